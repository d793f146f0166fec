// The signing flow for an OFD (GB/T 33190): upload, pages shown as images, drag a seal onto page 1,
// 签署 → 密码 → 确认 → 下载; the download verifies with `eseal verify` and shows the seal where it was dropped
// (page rendered with `eseal render`); the verify page says 有效 for it and 无效 for a tampered copy.
// SPDX-License-Identifier: AGPL-3.0-or-later
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readPng, redStats, tamperOfd } from './lib.mjs';

const A4 = [210.0, 297.0];

// t: { page, check, soft, upload, nav, shot, PW, WORK, ESEAL, DATA, OFD, MOCK, sealLabel? }
export async function ofdFlow(t) {
  const { page, check, soft, PW, WORK } = t;
  if (t.MOCK && !t.OFD) { console.log('     (no OFD given: OFD flow skipped against the mock)'); return; }
  if (!t.OFD || !fs.existsSync(t.OFD)) { check(false, 'ofd: sample OFD made by run.sh', `OFD=${t.OFD}`); return; }
  const eseal = (...args) => spawnSync(t.ESEAL, [...(t.DATA ? ['--data', t.DATA] : []), ...args], { encoding: 'utf8' });
  let signed = null;
  let drop = null;
  let sealMm = 42;

  await soft('ofd: pages of the uploaded OFD are shown as images', async () => {
    await t.upload(page, t.OFD);
    const n = await page.getByRole('img', { name: /^第 \d+ 页$/ }).count();
    const name = await page.locator('.sign-toolbar .docname').textContent();
    check(n === 2 && /contract\.ofd/.test(name), 'ofd: pages of the uploaded OFD are shown as images', `${n} page images, “${name}”`);
    // the picture really is a page (a PNG from the server), not a placeholder
    const src = await page.locator('.page[data-page="1"] img.page-img').getAttribute('src');
    check(/\/pages\/1\.png\?dpi=\d+$/.test(src), 'ofd: page 1 is a PNG rendered by the server', src);
  });

  await soft('ofd: drag the seal onto page 1', async () => {
    await page.getByLabel('缩放', { exact: true }).selectOption('0.5');
    await page.waitForTimeout(300);
    const seal = t.sealLabel ? page.getByRole('button', { name: t.sealLabel, exact: true }) : page.getByRole('button', { name: /^印章：/ }).first();
    await seal.waitFor();
    const pg = page.locator('.page[data-page="1"]');
    await pg.scrollIntoViewIfNeeded();
    const pb = await pg.boundingBox();
    const sb = await seal.boundingBox();
    sealMm = (await seal.locator('img').boundingBox()).width / (pb.width / A4[0]) || 42;
    // a place away from the sample's text, lower left of the middle
    const tx = pb.x + pb.width * 0.35; const ty = pb.y + pb.height * 0.6;
    drop = { x: ((tx - pb.x) / pb.width) * A4[0], y: ((ty - pb.y) / pb.height) * A4[1] };
    await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2);
    await page.mouse.down();
    await page.mouse.move(tx, ty, { steps: 15 });
    await page.mouse.up();
    const placed = page.locator('.placed').first();
    await placed.waitFor();
    const m = /第 (\d+) 页，横向 ([\d.]+) 毫米，纵向 ([\d.]+) 毫米/.exec(await placed.getAttribute('aria-label'));
    const pos = m && m.slice(1).map(Number);
    check(pos && pos[0] === 1 && Math.abs(pos[1] - drop.x) < 1 && Math.abs(pos[2] - drop.y) < 1, 'ofd: drag the seal onto page 1',
      `placed ${pos}, dropped at ${drop.x.toFixed(1)}, ${drop.y.toFixed(1)}`);
    check(!(await page.getByLabel('签名级别').count()), 'ofd: no PAdES level choice for an OFD');
  });
  await t.shot(page, 'sign-ofd-zh');

  await soft('ofd: 签署 → 密码 → 确认 → 下载', async () => {
    await page.getByRole('button', { name: '签署', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('密码', { exact: true }).fill(PW);
    await dlg.getByRole('button', { name: '确认', exact: true }).click();
    const link = dlg.getByRole('link', { name: '下载', exact: true });
    await link.waitFor({ timeout: 60000 });
    const region = dlg.getByRole('region', { name: '签署结果验证' });
    await region.waitFor({ timeout: 30000 });
    const word = (await region.locator('.verdict-word').textContent()).trim();
    check(word === '有效', 'ofd: the dialog verifies the signed OFD: 有效', word);
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    signed = path.join(WORK, 'signed.ofd');
    await dl.saveAs(signed);
    const head = fs.readFileSync(signed).subarray(0, 2).toString('latin1');
    check(dl.suggestedFilename() === 'contract-signed.ofd' && head === 'PK' && fs.statSync(signed).size > fs.statSync(t.OFD).size,
      'ofd: 签署 → 密码 → 确认 → 下载', `${dl.suggestedFilename()}, ${fs.statSync(signed).size} bytes`);
    await dlg.getByRole('button', { name: '关闭', exact: true }).click();
  });
  if (!signed || t.MOCK) return;

  // ---- the download, checked outside the browser ----
  const v = eseal('verify', signed);
  check(v.status === 0, 'ofd: `eseal verify` passes the signed OFD (exit 0)', `exit ${v.status}: ${(v.stdout + v.stderr).slice(0, 400)}`);
  if (drop) {
    const png = path.join(WORK, 'signed-ofd-p1.png');
    const r = eseal('render', signed, '--page', '1', '--dpi', '50', '--out', png);
    if (check(r.status === 0 && fs.existsSync(png), 'ofd: `eseal render` draws page 1', r.stderr)) {
      const img = readPng(png);
      const rad = sealMm / 2 + 4;
      const st = redStats(img, 50, { x0: drop.x - rad, x1: drop.x + rad, y0: drop.y - rad, y1: drop.y + rad });
      check(st.n > 200, `ofd: red seal pixels around (${drop.x.toFixed(1)}, ${drop.y.toFixed(1)}) mm`, `${st.n} red pixels there, ${st.total} on the page`);
      check(Math.hypot(st.cx - drop.x, st.cy - drop.y) < 3.5, 'ofd: seal centre is where it was dropped', `red centre (${st.cx.toFixed(1)}, ${st.cy.toFixed(1)}) mm`);
    }
  }
  const bad = path.join(WORK, 'tampered.ofd');
  let tampered = false;
  try { tamperOfd(signed, bad, { page: 0, from: '1', to: '7' }); tampered = true; } catch (e) { check(false, 'ofd: tampered copy made (unzip, one byte, zip)', String(e.message || e)); }
  if (tampered) {
    const vb = eseal('verify', bad);
    check(vb.status === 1, 'ofd: `eseal verify` fails the tampered copy (exit 1)', `exit ${vb.status}`);
  }

  // ---- the verify page ----
  await t.nav(page, '验证');
  const verdictOf = async (file) => {
    await page.getByLabel('上传文件', { exact: true }).setInputFiles(file);
    // the result for this file (the region names the file), not the one before
    const region = page.getByRole('region', { name: '验证结果', exact: true }).filter({ hasText: path.basename(file) });
    await region.waitFor({ timeout: 30000 });
    return (await region.locator('.verdict-word').textContent()).trim();
  };
  await soft('verify: signed OFD is 有效', async () => {
    const w = await verdictOf(signed);
    check(w === '有效', 'verify: signed OFD is 有效', w);
  });
  if (tampered) {
    await soft('verify: tampered OFD is 无效', async () => {
      const w = await verdictOf(bad);
      check(w === '无效', 'verify: tampered OFD is 无效', w);
    });
  }
}
