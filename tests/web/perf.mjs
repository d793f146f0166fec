// Speed of the signing page on a long document: the first page image of a 100-page PDF must be on screen
// (loaded and decoded: complete && naturalWidth > 0) within 1 s of the upload's response, and pages
// (and thumbnails) must load lazily — uploading must not fetch all 100 page images.
// Measured in the browser, on its own clock: from the end of the response to POST /documents (Resource
// Timing) to the first moment page 1's image is complete. Three uploads of three different 100-page PDFs
// (so nothing is shared between them); their median is held to the full 1000 ms target, with no margin
// added — one slow run on a busy machine does not fail the test, a slow page does.
// SPDX-License-Identifier: AGPL-3.0-or-later
import fs from 'node:fs';
import path from 'node:path';
import { makePdf } from './lib.mjs';

export const FIRST_PAGE_MS = 1000; // the target of the issue, not loosened
const RUNS = 3;                    // the median of three uploads is compared with the target
const PAGES = 100;
const MAX_THUMBS = 20;              // the list shows about 7 at 900 px; 150 px of look-ahead adds one or two

// In the page (through DevTools, so the CSP stays as served): note when page 1's image is first complete
// and decoded, on the same clock as the Resource Timing entry of the upload.
function arm() {
  const w = window;
  const id = (w.__armed || 0) + 1; // a later run's watchers replace this one's
  w.__armed = id;
  w.__firstPage = null;
  w.__uploaded = null;
  // the page shown before (if any) is replaced by new elements for the new document
  const old = document.querySelector('.page[data-page="1"] img.page-img');
  // the upload's Resource Timing entry, caught as it is made
  const po = new PerformanceObserver((list) => {
    if (w.__armed !== id) { po.disconnect(); return; }
    for (const e of list.getEntries()) if (e.initiatorType === 'fetch' && /\/api\/v1\/documents$/.test(e.name)) w.__uploaded = e.responseEnd;
  });
  po.observe({ type: 'resource' });
  const seen = () => {
    if (w.__armed !== id) { document.removeEventListener('load', seen, true); return true; }
    if (w.__firstPage !== null) return true;
    const img = document.querySelector('.page[data-page="1"] img.page-img');
    if (img && img !== old && img.src && img.complete && img.naturalWidth > 0) { w.__firstPage = performance.now(); return true; }
    return false;
  };
  // 'load' does not bubble, but it can be caught on the way down; a frame loop backs it up.
  document.addEventListener('load', seen, true);
  const tick = () => { if (!seen()) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}

// t: { page, check, soft, upload, WORK }
export async function firstPageSpeed(t) {
  const { page, check, WORK } = t;
  const times = [];
  const counts = [];
  let pagesSeen = null;
  const onRequest = (req) => {
    if (!pagesSeen) return;
    const m = /\/documents\/[^/]+\/pages\/(\d+)\.png\?dpi=(\d+)/.exec(req.url());
    if (!m) return;
    const thumb = +m[2] <= 36;
    (thumb ? pagesSeen.thumbs : pagesSeen.pages).add(+m[1]);
    pagesSeen.order.push(`${thumb ? 't' : 'p'}${m[1]}`);
  };
  // measured at the page's default zoom (fit to width), not at whatever an earlier test left
  const zoom = page.getByLabel('缩放', { exact: true });
  const zoomBefore = (await zoom.count()) ? await zoom.inputValue() : null;
  if (zoomBefore) await zoom.selectOption('fit');
  page.on('request', onRequest);
  try {
    for (let run = 1; run <= RUNS; run++) {
      // a different document each time (different hash), so nothing is shared between the runs
      const file = path.join(WORK, `long-${run}.pdf`);
      fs.writeFileSync(file, makePdf(PAGES, `Long contract ${run}`));
      await page.evaluate(arm);
      pagesSeen = { pages: new Set(), thumbs: new Set(), order: [] };
      await page.getByLabel('上传文件', { exact: true }).first().setInputFiles(file);
      await page.waitForFunction(() => window.__firstPage !== null && window.__uploaded !== null, null, { timeout: 20000 });
      const m = await page.evaluate(() => ({ uploaded: window.__uploaded, first: window.__firstPage }));
      times.push(m.first - m.uploaded);
      // what the page asks for on its own, without any scrolling
      await page.waitForTimeout(1500);
      counts.push({ pages: pagesSeen.pages.size, thumbs: pagesSeen.thumbs.size, first: pagesSeen.order[0] });
      pagesSeen = null;
    }
  } finally {
    page.off('request', onRequest);
    if (zoomBefore && (await zoom.count())) await zoom.selectOption(zoomBefore).catch(() => {});
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const runs = times.map((x) => `${Math.round(x)} ms`).join(', ');
  console.log(`     first page image of a ${PAGES}-page PDF: ${runs} (median ${Math.round(median)} ms); ` +
    `requested before scrolling: ${counts.map((x) => `${x.pages} page + ${x.thumbs} thumbnail images`).join('; ')}`);
  check(median < FIRST_PAGE_MS, `speed: first page image of a ${PAGES}-page PDF within ${FIRST_PAGE_MS} ms of the upload (median of ${RUNS})`, runs);
  const maxPages = Math.max(...counts.map((x) => x.pages));
  const maxThumbs = Math.max(...counts.map((x) => x.thumbs));
  check(maxPages < PAGES, `speed: page images load lazily (not all ${PAGES} requested before scrolling)`, `${maxPages} page images`);
  // thumbnails are lazy too: only those in (or near) the visible part of their list, never all
  check(maxThumbs < PAGES && maxThumbs <= MAX_THUMBS, `speed: thumbnails load lazily (at most ${MAX_THUMBS} before scrolling)`, `${maxThumbs} thumbnails`);
  check(counts.every((x) => x.first === 'p1'), 'speed: the first page image is requested before any thumbnail', counts.map((x) => x.first).join(', '));

  // Lazy must still mean loaded when needed: scroll the pages and the thumbnails to the end.
  await t.soft('speed: later pages and thumbnails load on scrolling', async () => {
    await page.locator(`.page[data-page="${PAGES}"]`).scrollIntoViewIfNeeded();
    await page.waitForFunction((n) => { const i = document.querySelector(`.page[data-page="${n}"] img.page-img`); return i && i.complete && i.naturalWidth > 0; }, PAGES, { timeout: 15000 });
    await page.locator('nav.thumbs').evaluate((nav) => { nav.scrollTop = nav.scrollHeight; });
    await page.waitForFunction((n) => { const i = document.querySelector(`nav.thumbs img[data-page="${n}"]`); return i && i.complete && i.naturalWidth > 0; }, PAGES, { timeout: 15000 });
    const loaded = await page.evaluate(() => [...document.querySelectorAll('img.page-img')].filter((i) => i.src).length);
    check(loaded < PAGES, 'speed: later pages and thumbnails load on scrolling', `${loaded} page images set`);
  });
  return { times, median, counts };
}
