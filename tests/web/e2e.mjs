// End-to-end browser test of the eseal web page against a running `eseal serve`.
// Env: BASE_URL (http://127.0.0.1:PORT), SHOTS (screenshot dir), PW (users' password), WORK (scratch dir),
//      MOCK=1 when the server is a UI mock that does not really sign (skips pdfsig / pixel checks),
//      ESEAL (the CLI), DATA (the server's data dir), OFD (a 2-page sample OFD) for the OFD checks (ofd.mjs).
// SPDX-License-Identifier: AGPL-3.0-or-later
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makePdf, readPpm, redStats, launch, counter, totp } from './lib.mjs';
import { ofdFlow } from './ofd.mjs';
import { firstPageSpeed } from './perf.mjs';

const BASE = process.env.BASE_URL || 'http://127.0.0.1:8088';
const SHOTS = process.env.SHOTS || path.join(process.env.WORK || '/tmp', 'eseal-shots');
const PW = process.env.PW || 'correct horse battery';
const WORK = process.env.WORK || fs.mkdtempSync('/tmp/eseal-web-');
const MOCK = process.env.MOCK === '1';
const A4 = [210.0, 297.0];
fs.mkdirSync(SHOTS, { recursive: true });

const c = counter();
const { check } = c;
const jsErrors = [];
const cspErrors = [];

function ex(re, s) { const m = re.exec(s || ''); return m ? m.slice(1).map(Number) : null; }
async function soft(what, fn) {
  try { return await fn(); } catch (e) {
    check(false, what, String(e.message || e).split('\n').slice(0, 4).join(' | '));
    await page.screenshot({ path: path.join(WORK, `fail-${c.failed}.png`) }).catch(() => {});
    return undefined;
  }
}
async function shot(page, name) {
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
async function unlabelled(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
      if (el.closest('[hidden]') || el.type === 'hidden') continue;
      const name = (el.getAttribute('aria-label') || '').trim() || (el.labels && [...el.labels].map((l) => l.textContent).join('').trim())
        || (el.getAttribute('aria-labelledby') ? 'x' : '') || ((el.tagName === 'BUTTON' || el.tagName === 'A') ? el.textContent.trim() : '');
      if (!name) bad.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className}`);
    }
    return bad;
  });
}

// axe-core, evaluated through DevTools (not a page script, so the CSP stays as served).
const AXE = fs.readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
async function axeCheck(page, what) {
  await page.evaluate(AXE);
  const bad = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(!bad.length, `${what}: no WCAG 2.1 AA violations (axe-core)`, bad.join(' | '));
}

async function login(page, who, zh = true) {
  await page.goto(`${BASE}/#/login`);
  await page.getByLabel(zh ? '用户名' : 'User name', { exact: true }).fill(who);
  await page.getByLabel(zh ? '密码' : 'Password', { exact: true }).fill(PW);
  await page.getByRole('button', { name: zh ? '登录' : 'Log in', exact: true }).click();
  await page.getByRole('button', { name: zh ? '退出' : 'Log out', exact: true }).waitFor({ timeout: 10000 });
}
async function logout(page, zh = true) {
  await page.getByRole('button', { name: zh ? '退出' : 'Log out', exact: true }).click();
  await page.getByRole('button', { name: zh ? '登录' : 'Log in', exact: true }).waitFor();
}
async function nav(page, name) {
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
  await page.waitForTimeout(300);
}
async function pageLoaded(page, n, zh = true) {
  const alt = zh ? `第 ${n} 页` : `Page ${n}`;
  await page.getByRole('img', { name: alt, exact: true }).waitFor();
  await page.waitForFunction((a) => { const i = document.querySelector(`img[alt="${a}"]`); return i && i.complete && i.naturalWidth > 0; }, alt, { timeout: 20000 });
}
// The previous document's page 1 may still be on screen: wait for this upload's answer and its name first.
async function upload(page, file, zh = true) {
  const name = path.basename(file);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/v1\/documents$/.test(r.url()), { timeout: 30000 }),
    page.getByLabel(zh ? '上传文件' : 'Upload file', { exact: true }).first().setInputFiles(file),
  ]);
  await page.waitForFunction((n) => (document.querySelector('.sign-toolbar .docname')?.textContent || '').startsWith(n), name, { timeout: 20000 });
  await pageLoaded(page, 1, zh);
}
function pdfChecks(file, expect, label) {
  if (MOCK) return;
  const sig = spawnSync('pdfsig', [file], { encoding: 'utf8' });
  const out = `${sig.stdout}${sig.stderr}`;
  const valid = (out.match(/Signature is Valid/g) || []).length;
  check(valid >= expect.count, `${label}: pdfsig reports ${expect.count} valid signature(s)`, `found ${valid}: ${out.slice(0, 400)}`);
  const dpi = 50;
  const base = path.join(WORK, `${label.replace(/\W+/g, '_')}-p${expect.page}`);
  spawnSync('pdftoppm', ['-r', String(dpi), '-f', String(expect.page), '-l', String(expect.page), '-singlefile', file, base]);
  if (!check(fs.existsSync(`${base}.ppm`), `${label}: pdftoppm renders page ${expect.page}`)) return;
  const img = readPpm(`${base}.ppm`);
  const r = expect.r + 4;
  const st = redStats(img, dpi, { x0: expect.x - r, x1: expect.x + r, y0: expect.y - r, y1: expect.y + r });
  check(st.n > 200, `${label}: red seal pixels around (${expect.x.toFixed(1)}, ${expect.y.toFixed(1)}) mm`, `${st.n} red pixels there, ${st.total} on the page`);
  check(Math.hypot(st.cx - expect.x, st.cy - expect.y) < 3.5, `${label}: seal centre is where it was dropped`, `red centre (${st.cx.toFixed(1)}, ${st.cy.toFixed(1)}) mm`);
}
async function lastSign() {
  const r = await fetch(`${BASE}/mock/last-sign`); return r.json();
}

const { context: browser, dir } = await launch({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
const page = browser.pages()[0] || await browser.newPage();
page.on('pageerror', (e) => jsErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text()); });
page.setDefaultTimeout(15000);

let signed1 = null;
let signed2 = null;
let sealName = null;
let sealSize = 42;
try {
  // ---- login ----
  await page.goto(`${BASE}/`);
  await soft('login page has 用户名, 密码 and 登录', async () => {
    await page.getByLabel('用户名', { exact: true }).waitFor();
    await page.getByLabel('密码', { exact: true }).waitFor();
    check(await page.getByRole('button', { name: '登录', exact: true }).isVisible(), 'login page has 用户名, 密码 and 登录');
  });
  await shot(page, 'login-zh');
  await axeCheck(page, 'zh: login');
  await soft('wrong password is refused clearly', async () => {
    await page.getByLabel('用户名', { exact: true }).fill('alice');
    await page.getByLabel('密码', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: '登录', exact: true }).click();
    const alert = page.getByRole('alert');
    await page.waitForFunction(() => document.querySelector('[role=alert]')?.textContent.trim().length > 0);
    const txt = await alert.textContent();
    check(txt.length > 0 && !(await page.getByRole('button', { name: '退出' }).count()), 'wrong password is refused clearly', txt);
  });

  // ---- apply (org admin) ----
  await login(page, 'alice');
  await nav(page, '印章申请');
  await soft('apply: live preview follows the text', async () => {
    await page.getByLabel('印章类型', { exact: true }).selectOption('contract');
    await page.getByLabel('印章文字', { exact: true }).fill('杭州示例科技有限公司');
    await page.waitForFunction(() => { const i = document.querySelector('.preview-box img'); return i && i.complete && i.naturalWidth > 0 && i.src.includes('contract'); }, null, { timeout: 8000 });
    const src = await page.locator('.preview-box img').getAttribute('src');
    check(/seal-preview\.svg\?kind=contract&text=/.test(src), 'apply: live preview follows the text', src);
  });
  await shot(page, 'apply-zh');
  await soft('apply: application submitted', async () => {
    await page.getByRole('button', { name: '提交申请' }).click();
    await page.getByRole('main').getByText(/申请已提交/).waitFor();
    await page.locator('table tbody tr').first().waitFor();
    check(true, 'apply: application submitted');
  });
  await logout(page);

  // ---- review (reviewer) ----
  await login(page, 'rev');
  await nav(page, '审核');
  await soft('review: approve the application', async () => {
    const item = page.getByRole('article').filter({ hasText: '合同专用章' }).first();
    await item.waitFor();
    const text = await page.locator('main').textContent();
    check(!/\d{17}[\dX]/.test(text), 'review: no resident ID number in clear');
    await shot(page, 'review-zh');
    await item.getByLabel('审核意见').fill('材料齐全');
    await item.getByRole('button', { name: '通过', exact: true }).click();
    await page.getByRole('main').getByText(/已通过申请/).waitFor();
    check(true, 'review: approve the application');
  });
  await logout(page);

  // ---- grant (org admin) ----
  await login(page, 'alice');
  await nav(page, '印章');
  await soft('seals: grant the company seal to bob', async () => {
    const card = page.getByRole('article').filter({ hasText: '公章' }).first();
    await card.waitFor();
    sealName = (await card.getByRole('heading').first().textContent()).trim();
    await card.getByText('授权', { exact: true }).click();
    await card.getByLabel('被授权用户').fill('bob');
    await card.getByRole('button', { name: '添加授权' }).click();
    await card.getByText(/已授权给 bob/).waitFor();
    await card.getByRole('cell', { name: 'bob', exact: true }).first().waitFor();
    check(true, 'seals: grant the company seal to bob');
  });
  await soft('seals: grant the contract seal to bob, each use approved', async () => {
    const card = page.getByRole('article').filter({ hasText: '合同专用章' }).first();
    await card.waitFor();
    await card.getByText('授权', { exact: true }).click();
    await card.getByLabel('被授权用户').fill('bob');
    await card.getByLabel('每次用印需审批').check();
    await card.getByRole('button', { name: '添加授权' }).click();
    await card.getByText(/已授权给 bob/).waitFor();
    check(true, 'seals: grant the contract seal to bob, each use approved');
  });
  await soft('seals: renew the contract seal (续期)', async () => {
    const card = page.getByRole('article').filter({ hasText: '合同专用章' }).first();
    await card.waitFor();
    await card.getByRole('button', { name: '续期', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByText(/此前签署的文件仍然有效/).waitFor();
    await dlg.getByLabel('理由').fill('有效期届满');
    await dlg.getByRole('button', { name: '确认续期' }).click();
    await page.getByRole('main').getByText('续期成功。').waitFor();
    const after = page.getByRole('article').filter({ hasText: '合同专用章' }).first();
    await after.getByText('正常', { exact: true }).first().waitFor();
    check(true, 'seals: renew the contract seal (续期)');
  });
  await shot(page, 'seals-zh');
  await logout(page);

  // ---- sign by dragging (member) ----
  const pdf = path.join(WORK, 'contract.pdf');
  fs.writeFileSync(pdf, makePdf(2));
  await login(page, 'bob');
  await nav(page, '签署文件');
  await shot(page, 'sign-empty-zh');
  await upload(page, pdf);
  check(await page.getByRole('img', { name: '第 2 页', exact: true }).count() === 1, 'sign: every page has an image named 第 N 页');
  await page.getByLabel('缩放', { exact: true }).selectOption('0.5');
  await page.waitForTimeout(300);
  const seal = page.getByRole('button', { name: /^印章：/ }).first();
  await seal.waitFor();
  const sealLabel = await seal.getAttribute('aria-label');
  sealName = sealLabel.replace(/^印章：/, '');
  let drop = null;
  await soft('sign: drag the seal onto page 1', async () => {
    const pg = page.locator('.page[data-page="1"]');
    await pg.scrollIntoViewIfNeeded();
    const pb = await pg.boundingBox();
    const sb = await seal.boundingBox();
    sealSize = (sb && (await seal.locator('img').boundingBox()).width / (pb.width / A4[0])) || 42;
    const tx = pb.x + pb.width * 0.6; const ty = pb.y + pb.height * 0.7;
    drop = { x: ((tx - pb.x) / pb.width) * A4[0], y: ((ty - pb.y) / pb.height) * A4[1] };
    await page.mouse.move(sb.x + sb.width / 2, sb.y + sb.height / 2);
    await page.mouse.down();
    await page.mouse.move(tx, ty, { steps: 15 });
    await page.mouse.up();
    const placed = page.locator('.placed').first();
    await placed.waitFor();
    const pos = ex(/第 (\d+) 页，横向 ([\d.]+) 毫米，纵向 ([\d.]+) 毫米/, await placed.getAttribute('aria-label'));
    check(pos && pos[0] === 1 && Math.abs(pos[1] - drop.x) < 1 && Math.abs(pos[2] - drop.y) < 1, 'sign: drag the seal onto page 1', `placed ${pos}, dropped at ${drop.x.toFixed(1)}, ${drop.y.toFixed(1)}`);
  });
  await shot(page, 'sign-zh');
  await soft('sign: 签署 → 密码 → 确认 → 下载', async () => {
    await page.getByRole('button', { name: '签署', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await dlg.waitFor();
    await dlg.getByLabel('密码', { exact: true }).fill(PW);
    await shot(page, 'sign-confirm-zh');
    await dlg.getByRole('button', { name: '确认', exact: true }).click();
    const link = dlg.getByRole('link', { name: '下载', exact: true });
    await link.waitFor({ timeout: 60000 });
    await dlg.getByRole('region', { name: '签署结果验证' }).waitFor({ timeout: 30000 }).catch(() => {});
    await shot(page, 'sign-result-zh');
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    signed1 = path.join(WORK, 'signed-1.pdf');
    await dl.saveAs(signed1);
    check(fs.statSync(signed1).size > fs.statSync(pdf).size, 'sign: 签署 → 密码 → 确认 → 下载');
    await dlg.getByRole('button', { name: '关闭', exact: true }).click();
  });
  if (MOCK && drop) {
    const ls = await lastSign();
    check(Math.abs(ls.placement?.x_mm - drop.x) < 1 && Math.abs(ls.placement?.y_mm - drop.y) < 1 && ls.placement?.page === 1, 'sign: request carries the seal centre in mm', JSON.stringify(ls.placement));
  }
  if (signed1 && drop) pdfChecks(signed1, { count: 1, page: 1, x: drop.x, y: drop.y, r: sealSize / 2 }, 'drag-signed');

  // ---- keyboard-only placement on the signed document ----
  const kx = A4[0] / 2 - 50 + 3; const ky = A4[1] / 2 - 80;
  await soft('sign: keyboard-only placement', async () => {
    await pageLoaded(page, 1);
    await page.locator('.viewer').evaluate((v) => { v.scrollTop = 0; });
    await page.waitForTimeout(300);
    await page.getByRole('button', { name: sealLabel, exact: true }).focus();
    await page.keyboard.press('Enter');
    const active = await page.evaluate(() => document.activeElement.className);
    check(/placing/.test(active), 'sign: Enter on a seal starts placing it', active);
    for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+ArrowLeft');
    for (let i = 0; i < 8; i++) await page.keyboard.press('Shift+ArrowUp');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    const label = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    const pos = ex(/第 (\d+) 页，横向 ([\d.]+) 毫米，纵向 ([\d.]+) 毫米/, label);
    check(pos && pos[0] === 1 && Math.abs(pos[1] - kx) < 0.05 && Math.abs(pos[2] - ky) < 0.05, 'sign: keyboard-only placement', label);
    // nudge with the keyboard once more and back: the placed seal keeps focus
    await page.keyboard.press('ArrowDown'); await page.keyboard.press('ArrowUp');
    await page.getByRole('button', { name: '签署', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.type(PW);
    await page.keyboard.press('Enter');
    const link = page.getByRole('dialog').getByRole('link', { name: '下载', exact: true });
    await link.waitFor({ timeout: 60000 });
    await page.waitForFunction(() => document.activeElement?.textContent === '下载');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    signed2 = path.join(WORK, 'signed-2.pdf');
    await dl.saveAs(signed2);
    check(fs.statSync(signed2).size > fs.statSync(signed1 || pdf).size, 'sign: keyboard-only signing and download');
    await page.keyboard.press('Escape');
  });
  if (MOCK) {
    const ls = await lastSign();
    check(Math.abs(ls.placement?.x_mm - kx) < 0.05 && Math.abs(ls.placement?.y_mm - ky) < 0.05, 'sign: keyboard placement reaches the server', JSON.stringify(ls.placement));
  }
  if (signed2) pdfChecks(signed2, { count: 2, page: 1, x: kx, y: ky, r: sealSize / 2 }, 'keyboard-signed');

  // ---- a grant that needs approval: 提交用印申请, approved by the org admin, signing resumes ----
  await soft('use request: submit, approve, resume signing', async () => {
    await upload(page, pdf);
    const cseal = page.getByRole('button', { name: /^印章：.*合同/ }).first();
    await cseal.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.classList.contains('placing'));
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Enter');
    await page.locator('.placed').first().waitFor();
    await page.getByRole('button', { name: '签署', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('密码', { exact: true }).fill(PW);
    await dlg.getByRole('button', { name: '确认', exact: true }).click();
    await dlg.getByRole('button', { name: '提交用印申请' }).waitFor({ timeout: 30000 });
    await dlg.getByLabel('用印事由').fill('签订采购合同');
    await dlg.getByRole('button', { name: '提交用印申请' }).click();
    const sent = await dlg.getByText(/用印申请已提交/).textContent();
    const reqId = ex(/（编号 (\d+)）/, sent)?.[0];
    check(!!reqId, 'use request: submitted', sent);
    await shot(page, 'sign-request-zh');
    // the approver, in a browser of their own
    const second = await launch({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
    try {
      const ap = second.context.pages()[0] || await second.context.newPage();
      await login(ap, 'alice');
      await nav(ap, '用印审批');
      const lookup = ap.getByLabel('用印申请编号');
      await lookup.or(ap.getByRole('button', { name: '批准' })).first().waitFor();
      if (await lookup.count()) {
        await lookup.fill(String(reqId));
        await ap.getByRole('button', { name: '查找' }).click();
      }
      const item = ap.getByRole('article', { name: `用印申请 ${reqId}` });
      await item.waitFor();
      const sha = await item.locator('dd.mono').textContent();
      check(/^[0-9a-f]{64}$/.test(sha.trim()), 'approvals: the document hash is shown', sha);
      await ap.waitForFunction(() => [...document.querySelectorAll('img.thumb')].some((i) => i.complete && i.naturalWidth > 0));
      await shot(ap, 'approvals-zh');
      await item.getByRole('button', { name: '批准', exact: true }).click();
      await ap.getByRole('main').getByText(/已批准用印申请/).waitFor();
    } finally {
      await second.context.close();
      fs.rmSync(second.dir, { recursive: true, force: true });
    }
    await dlg.getByText('用印申请已批准，可以继续签署。').waitFor({ timeout: 15000 });
    await dlg.getByRole('button', { name: '继续签署' }).click();
    await dlg.getByLabel('密码', { exact: true }).fill(PW);
    await dlg.getByRole('button', { name: '确认', exact: true }).click();
    const link = dlg.getByRole('link', { name: '下载', exact: true });
    await link.waitFor({ timeout: 60000 });
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const f = path.join(WORK, 'signed-approved.pdf');
    await dl.saveAs(f);
    check(fs.statSync(f).size > fs.statSync(pdf).size, 'use request: submit, approve, resume signing');
    await dlg.getByRole('button', { name: '关闭', exact: true }).click();
    if (!MOCK) pdfChecks(f, { count: 1, page: 1, x: A4[0] / 2, y: A4[1] / 2 + 10, r: 20 }, 'approved-signed');
  });
  // ---- cross-page seal (骑缝章) over both pages ----
  await soft('sign: a seal on page 2 and a cross-page seal in one go', async () => {
    await upload(page, pdf);
    await page.getByRole('button', { name: sealLabel, exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.classList.contains('placing'));
    await page.keyboard.press('PageDown');
    await page.keyboard.press('Enter');
    const lbl = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    check(/第 2 页/.test(lbl), 'sign: PageDown moves the seal being placed to page 2', lbl);
    await page.getByLabel('骑缝章', { exact: true }).check();
    await page.getByLabel('骑缝章印章').selectOption({ index: 0 });
    await page.getByRole('button', { name: '签署', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('密码', { exact: true }).fill(PW);
    await dlg.getByRole('button', { name: '确认', exact: true }).click();
    const link = dlg.getByRole('link', { name: '下载', exact: true });
    await link.waitFor({ timeout: 60000 });
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const f = path.join(WORK, 'signed-cross.pdf');
    await dl.saveAs(f);
    await dlg.getByRole('button', { name: '关闭', exact: true }).click();
    check(fs.statSync(f).size > fs.statSync(pdf).size, 'sign: a seal on page 2 and a cross-page seal in one go');
    if (MOCK) return;
    const sig = spawnSync('pdfsig', [f], { encoding: 'utf8' });
    // pdfsig lists a cross-page signature once per widget (page), so count distinct field names.
    const fields = new Set([...sig.stdout.matchAll(/Signature Field Name: (\S+)/g)].map((m) => m[1]));
    const invalid = /Signature Validation: (?!Signature is Valid)/.test(sig.stdout);
    check(fields.size === 2 && !invalid, 'cross-page: pdfsig reports 2 valid signatures (placed one after the other)', sig.stdout.slice(0, 600));
    for (const n of [1, 2]) {
      const base = path.join(WORK, `cross-p${n}`);
      spawnSync('pdftoppm', ['-r', '50', '-f', String(n), '-l', String(n), '-singlefile', f, base]);
      const st = redStats(readPpm(`${base}.ppm`), 50, { x0: A4[0] - 30, x1: A4[0], y0: 0, y1: A4[1] });
      check(st.n > 100, `cross-page: page ${n} carries its slice at the right edge`, `${st.n} of ${st.total} red pixels`);
      if (n === 2) {
        const mid = redStats(readPpm(`${base}.ppm`), 50, { x0: A4[0] / 2 - 25, x1: A4[0] / 2 + 25, y0: A4[1] / 2 - 25, y1: A4[1] / 2 + 25 });
        check(mid.n > 200, 'page 2 carries the seal placed in its middle', `${mid.n} red pixels`);
      }
    }
  });
  // ---- the same flow for an OFD, then the verify page on it (ofd.mjs) ----
  const T = { page, check, soft, upload, nav, shot, PW, WORK, MOCK, sealLabel, ESEAL: process.env.ESEAL, DATA: process.env.DATA, OFD: process.env.OFD };
  await soft('ofd: signing flow', () => ofdFlow(T));
  // ---- speed: the first page of a 100-page PDF within a second, pages and thumbnails lazy (perf.mjs) ----
  await nav(page, '签署文件');
  await soft('speed: 100-page PDF', () => firstPageSpeed(T));
  await logout(page);

  // ---- verify (no login) ----
  await nav(page, '验证');
  const verdictOf = async (file) => {
    await page.getByLabel('上传文件', { exact: true }).setInputFiles(file);
    const region = page.getByRole('region', { name: '验证结果', exact: true });
    await region.waitFor({ timeout: 30000 });
    return (await region.locator('.verdict-word').textContent()).trim();
  };
  if (signed1) {
    await soft('verify: signed document is 有效', async () => {
      const v = await verdictOf(signed2 || signed1);
      check(v === '有效', 'verify: signed document is 有效', v);
      await page.locator('details.more').first().evaluate((d) => { d.open = true; });
      await shot(page, 'verify-valid-zh');
      await axeCheck(page, 'zh: verify result');
      const jsonLink = page.getByRole('link', { name: '下载验证报告（JSON）' });
      const [dl] = await Promise.all([page.waitForEvent('download'), jsonLink.click()]);
      const rep = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
      check(rep.verdict === 'TOTAL_PASSED', 'verify: JSON report download');
    });
    await soft('verify: tampered copy is 无效', async () => {
      const b = fs.readFileSync(signed1);
      const i = b.indexOf('Contract page 1');
      b[i + 14] = '7'.charCodeAt(0);
      const bad = path.join(WORK, 'tampered.pdf');
      fs.writeFileSync(bad, b);
      const v = await verdictOf(bad);
      check(v === '无效', 'verify: tampered copy is 无效', v);
      await shot(page, 'verify-invalid-zh');
    });
  }
  await soft('verify: an unsigned file cannot be confirmed', async () => {
    const v = await verdictOf(pdf);
    check(v === '无法确认' || v === '无效', 'verify: an unsigned file is not 有效', v);
  });

  // ---- every page, zh and en, with a label audit ----
  const PAGES = [['apply', '印章申请', 'Apply', 'alice'], ['review', '审核', 'Review', 'rev'], ['seals', '印章', 'Seals', 'alice'],
    ['sign', '签署文件', 'Sign', 'bob'], ['approvals', '用印审批', 'Approvals', 'alice'], ['audit', '审计', 'Audit', process.env.AUDITOR || 'aud']];
  for (const lang of ['zh', 'en']) {
    const zh = lang === 'zh';
    await page.goto(`${BASE}/#/login`);
    if (!zh && (await page.evaluate(() => document.documentElement.lang)) !== 'en') {
      await page.getByRole('button', { name: 'Switch to English' }).click();
      check((await page.evaluate(() => document.documentElement.lang)) === 'en', 'English can be chosen');
    }
    if (!zh) await shot(page, 'login-en');
    for (const [id, zhName, enName, who] of PAGES) {
      await soft(`${lang}: ${id} page renders`, async () => {
        await login(page, who, zh);
        await nav(page, zh ? zhName : enName);
        if (id === 'apply' && !zh) {
          await page.getByLabel('Seal kind', { exact: true }).selectOption('finance');
          await page.getByRole('button', { name: 'Submit application' }).click();
          await page.getByRole('main').getByText(/submitted/).waitFor();
        }
        if (id === 'sign') {
          await upload(page, pdf, zh);
          const seal2 = page.getByRole('button', { name: zh ? /^印章：/ : /^Seal: / }).first();
          await seal2.focus(); await page.keyboard.press('Enter'); await page.keyboard.press('Enter');
        }
        await page.waitForTimeout(600);
        const bad = await unlabelled(page);
        check(!bad.length, `${lang}: every control on ${id} has a name`, bad.join(' '));
        await axeCheck(page, `${lang}: ${id}`);
        if (!zh || !['sign', 'review', 'approvals'].includes(id)) await shot(page, `${id}-${lang}`);
        if (id === 'audit') {
          const chain = await page.locator('.chain').textContent();
          check(zh ? /审计链/.test(chain) : /audit chain/i.test(chain), `${lang}: audit chain status shown`, chain);
        }
        await logout(page, zh);
      });
    }
    await nav(page, zh ? '验证' : 'Verify');
    if (!zh) {
      if (signed1) {
        await page.getByLabel('Upload file', { exact: true }).setInputFiles(signed2 || signed1);
        await page.getByRole('region', { name: 'Verification result', exact: true }).waitFor({ timeout: 30000 });
        check((await page.locator('.verdict-word').textContent()).trim() === 'Valid', 'en: verify says Valid');
      }
      await shot(page, 'verify-en');
    }
  }
  check((await page.evaluate(() => localStorage.getItem('eseal.lang'))) === 'en', 'language choice is remembered');
  await page.reload();
  check((await page.getByRole('link', { name: 'Verify', exact: true }).count()) === 1, 'English stays after reload');
  await page.getByRole('button', { name: '切换到简体中文' }).click();

  // ---- phone width ----
  await page.setViewportSize({ width: 390, height: 844 });
  await login(page, 'bob');
  await nav(page, '签署文件');
  await soft('phone: sign page usable at 390 px', async () => {
    await upload(page, pdf);
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    check(sw <= 392, 'phone: no horizontal page scroll at 390 px', `scrollWidth ${sw}`);
    await shot(page, 'sign-phone-zh');
  });
  await soft('phone: touch drag places a seal', async () => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
    const seal = page.getByRole('button', { name: /^印章：/ }).first();
    await seal.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(200);
    const sb = await seal.boundingBox();
    const pb = await page.locator('.page[data-page="1"]').boundingBox();
    const vh = 844;
    const tx = pb.x + pb.width * 0.5;
    const ty = Math.min(pb.y + pb.height * 0.3, vh - 20);
    if (ty < pb.y + 5) throw new Error(`page 1 is not on screen (top ${pb.y})`);
    const want = { x: ((tx - pb.x) / pb.width) * A4[0], y: ((ty - pb.y) / pb.height) * A4[1] };
    const pt = (x, y) => [{ x: Math.round(x), y: Math.round(y), id: 1 }];
    const sx = sb.x + sb.width / 2; const sy = sb.y + sb.height / 2;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: pt(sx, sy) });
    for (let i = 1; i <= 12; i++) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: pt(sx + ((tx - sx) * i) / 12, sy + ((ty - sy) * i) / 12) });
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    const placed = page.locator('.placed').first();
    await placed.waitFor({ timeout: 5000 });
    const pos = ex(/第 (\d+) 页，横向 ([\d.]+) 毫米，纵向 ([\d.]+) 毫米/, await placed.getAttribute('aria-label'));
    check(pos && pos[0] === 1 && Math.abs(pos[1] - want.x) < 1.5 && Math.abs(pos[2] - want.y) < 1.5, 'phone: touch drag places a seal', `placed ${pos}, wanted ${want.x.toFixed(1)}, ${want.y.toFixed(1)}`);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
  });
  await logout(page);
  await nav(page, '验证');
  await shot(page, 'verify-phone-zh');
  // ---- one-time codes: enrol, then log in with one ----
  await page.setViewportSize({ width: 1366, height: 900 });
  await soft('totp: enrol and log in with a code', async () => {
    await login(page, 'rev');
    await page.getByRole('button', { name: '动态口令', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByRole('button', { name: '生成密钥' }).click();
    const secret = (await dlg.locator('dd.mono').first().textContent()).replace(/\s+/g, '');
    await shot(page, 'totp-zh');
    await dlg.getByLabel('动态口令', { exact: true }).fill(MOCK ? '123456' : totp(secret));
    await dlg.getByRole('button', { name: '确认开启' }).click();
    await dlg.getByText(/动态口令已开启/).waitFor();
    await dlg.getByRole('button', { name: '关闭', exact: true }).click();
    await logout(page);
    if (MOCK) { check(true, 'totp: enrol and log in with a code'); return; }
    await page.getByLabel('用户名', { exact: true }).fill('rev');
    await page.getByLabel('密码', { exact: true }).fill(PW);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByLabel('动态口令', { exact: true }).waitFor();
    // a code is single-use and a fresh 30 s step avoids replay refusals
    await page.waitForTimeout(1000 * (31 - (Math.floor(Date.now() / 1000) % 30)));
    await page.getByLabel('动态口令', { exact: true }).fill(totp(secret));
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('button', { name: '退出', exact: true }).waitFor();
    check(true, 'totp: enrol and log in with a code');
    await logout(page);
  });
  // ---- 修改密码: the new password logs in, the old one no longer does ----
  await soft('password: change it and log in with the new one', async () => {
    if (MOCK) { check(true, 'password: change it and log in with the new one'); return; }
    const NEW = 'a new horse battery 7';
    await login(page, 'aud');
    await page.getByRole('button', { name: '修改密码', exact: true }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('当前密码', { exact: true }).fill(PW);
    await dlg.getByLabel('新密码', { exact: true }).fill(NEW);
    await dlg.getByLabel('再次输入新密码', { exact: true }).fill(NEW + 'x');
    await dlg.getByRole('button', { name: '修改', exact: true }).click();
    await dlg.getByText(/两次输入的新密码不一致/).waitFor();
    await dlg.getByLabel('再次输入新密码', { exact: true }).fill(NEW);
    await shot(page, 'password-zh');
    await dlg.getByRole('button', { name: '修改', exact: true }).click();
    await dlg.getByText(/密码已修改/).waitFor();
    await dlg.getByRole('button', { name: '关闭', exact: true }).click();
    await logout(page);
    await page.getByLabel('用户名', { exact: true }).fill('aud');
    await page.getByLabel('密码', { exact: true }).fill(PW);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[role=alert]')?.textContent.trim().length > 0);
    check(!(await page.getByRole('button', { name: '退出' }).count()), 'password: the old one no longer logs in');
    await page.getByLabel('密码', { exact: true }).fill(NEW);
    await page.getByRole('button', { name: '登录', exact: true }).click();
    await page.getByRole('button', { name: '退出', exact: true }).waitFor({ timeout: 10000 });
    check(true, 'password: change it and log in with the new one');
    await logout(page);
  });
} catch (e) {
  check(false, 'test run', String(e.stack || e));
  await page.screenshot({ path: path.join(WORK, 'crash.png') }).catch(() => {});
} finally {
  check(!jsErrors.length, 'no JavaScript errors', jsErrors.join(' | '));
  check(!cspErrors.length, 'no Content-Security-Policy violations', cspErrors.join(' | '));
  await browser.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`${c.passed} passed, ${c.failed} failed`);
process.exit(c.failed ? 1 : 0);
