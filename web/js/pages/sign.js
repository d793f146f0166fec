// 签署文件 / Sign: upload, see pages, drag seals (pointer, touch, keyboard), confirm intent, sign, download.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear, uid, debounce } from '../dom.js';
import { t } from '../i18n.js';
import { api, listOf, errorText, BASE } from '../api.js';
import { sealId, sealName, sealCode, sealSize, kindLabel, pageSizes, mm } from '../format.js';
import { renderReport } from '../report.js';
import { fileType } from './verify.js';

const PX_PER_MM_100 = 96 / 25.4; // 100 % zoom: CSS pixels per millimetre
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];
const DPIS = [48, 72, 96, 144, 200, 300];

// Kept across re-renders (language switch, navigation away and back).
const S = {
  doc: null,          // {id, name, ext, pages, sha256, sizes: [[w,h]...]}
  zoom: 'fit',        // 'fit' or a factor of 100 %
  k: PX_PER_MM_100,   // current CSS px per mm
  placements: [],     // {pid, seal, page, x, y}  (x, y: centre in mm from the page's top-left)
  cross: false,
  crossSeal: null,
  seals: null,        // [{id, name, code, kind, w, h, needsApproval}]
  level: '',
  current: 1,
  resume: null,       // {step, docId, useRequestId, sealId}
  gen: 0,             // +1 for every document shown; late answers for an older one are dropped
};
let pidSeq = 0;

function sealById(id) { return (S.seals || []).find((s) => String(s.id) === String(id)); }
function pictureUrl(s) { return `${BASE}/seals/${encodeURIComponent(s.id)}/picture.svg`; }
function pageUrl(docId, n, dpi) { return `${BASE}/documents/${encodeURIComponent(docId)}/pages/${n}.png?dpi=${dpi}`; }
function dpiFor(k) {
  const want = k * 25.4 * (window.devicePixelRatio || 1);
  return DPIS.find((d) => d >= want) || DPIS[DPIS.length - 1];
}
function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
function extOf(name) { return (String(name).toLowerCase().match(/\.(pdf|ofd)$/) || [])[1] || ''; }

async function loadSeals() {
  const list = listOf(await api('GET', '/seals')).filter((s) => (!s.state || s.state === 'active') && s.usable !== false && s.can_sign !== false);
  const full = await Promise.all(list.map(async (s) => {
    try { return { ...s, ...(await api('GET', `/seals/${encodeURIComponent(sealId(s))}`)) }; } catch { return s; }
  }));
  S.seals = full.map((s) => {
    const [w, hh] = sealSize(s);
    const g = s.grant || s.my_grant || {};
    return { id: sealId(s), name: sealName(s), code: sealCode(s), kind: s.kind, w, h: hh, needsApproval: !!(s.needs_approval ?? g.needs_approval) };
  });
}

export function render(main, ctx) {
  let observer = null;
  let thumbObserver = null;
  let thumbLoader = null;
  let pollTimer = null;
  const els = { pages: new Map() };
  const status = h('p.msg', { role: 'status' });
  status.hidden = true;
  const say = (cls, text) => { status.hidden = !text; status.className = 'msg ' + cls; status.textContent = text; };
  const announcePos = debounce((text) => ctx.announce(text), 350);

  main.append(h('h1', { text: t('sign.title') }), h('p.lead', { text: t('sign.intro') }), status);
  const body = h('div');
  main.append(body);

  // ---------- upload ----------
  function fileControl(id, big) {
    const input = h('input.file-input', { type: 'file', id, accept: '.pdf,.ofd,application/pdf,application/ofd' });
    input.addEventListener('change', () => { if (input.files[0]) upload(input.files[0]); input.value = ''; });
    return h('div.file-label', {}, input, h('label', { for: id, class: big ? 'btn btn-large' : 'btn btn-plain btn-small', text: t('sign.upload') }));
  }
  function dropTarget(el) {
    el.addEventListener('dragover', (ev) => { if ([...(ev.dataTransfer?.types || [])].includes('Files')) { ev.preventDefault(); el.classList.add('over'); } });
    el.addEventListener('dragleave', () => el.classList.remove('over'));
    el.addEventListener('drop', (ev) => {
      if (!ev.dataTransfer?.files?.length) return;
      ev.preventDefault(); el.classList.remove('over');
      upload(ev.dataTransfer.files[0]);
    });
  }
  async function upload(file) {
    const ext = extOf(file.name);
    if (!ext && !/pdf|ofd/.test(file.type)) { say('msg-error', t('sign.badType')); return; }
    say('msg-info', t('sign.uploading', { name: file.name }));
    S.gen++;
    try {
      const res = await api('POST', '/documents', { body: file, type: fileType(file.name, file.type), headers: { 'X-Filename': encodeURIComponent(file.name) } });
      S.doc = { id: res.id ?? res.document_id, name: file.name, ext: ext || (/ofd/.test(file.type) ? 'ofd' : 'pdf'), pages: +res.pages || pageSizes(res).length, sha256: res.sha256 || '', sizes: pageSizes(res) };
      S.placements = []; S.cross = false; S.resume = null; S.current = 1;
      say('', '');
      draw();
      const first = els.pages.get(1);
      if (first) first.scrollIntoView({ block: 'start' });
    } catch (err) { say('msg-error', errorText(err)); }
  }

  // ---------- layout ----------
  function fitK(viewer) {
    const maxW = Math.max(...S.doc.sizes.map((s) => s[0]));
    const avail = (viewer.clientWidth || 700) - 40;
    return clamp(avail / maxW, 1, 8);
  }
  function setZoom(z) {
    S.zoom = z;
    relayout();
  }
  function relayout() {
    if (!S.doc || !els.viewer) return;
    S.k = S.zoom === 'fit' ? fitK(els.viewer) : S.zoom * PX_PER_MM_100;
    const dpi = dpiFor(S.k);
    for (const [n, el] of els.pages) {
      const [w, hh] = S.doc.sizes[n - 1];
      el.style.width = `${w * S.k}px`;
      el.style.height = `${hh * S.k}px`;
      const img = el.querySelector('img.page-img');
      if (img.dataset.loaded) img.src = pageUrl(S.doc.id, n, dpi);
      img.dataset.dpi = dpi;
    }
    if (els.zoomSel) els.zoomSel.value = String(S.zoom);
    drawSealPanel();
    drawPlacements();
  }

  function draw() {
    if (observer) observer.disconnect();
    if (thumbObserver) thumbObserver.disconnect();
    if (thumbLoader) thumbLoader.disconnect();
    clear(body);
    els.pages.clear();
    if (!S.doc) {
      const zone = h('div.dropzone', {}, h('p.big', { text: t('sign.dropHere') }), fileControl('sign-file', true));
      dropTarget(zone);
      body.append(zone);
      return;
    }
    // toolbar
    els.zoomSel = h('select', { id: uid('zoom') },
      h('option', { value: 'fit', text: t('sign.fitWidth') }), ZOOMS.map((z) => h('option', { value: String(z), text: `${Math.round(z * 100)}%` })));
    els.zoomSel.value = String(S.zoom);
    els.zoomSel.addEventListener('change', () => setZoom(els.zoomSel.value === 'fit' ? 'fit' : +els.zoomSel.value));
    const step = (dir) => {
      const cur = S.k / PX_PER_MM_100;
      const next = dir > 0 ? ZOOMS.find((z) => z > cur + 0.01) : [...ZOOMS].reverse().find((z) => z < cur - 0.01);
      if (next) setZoom(next);
    };
    const crossBox = h('input', { type: 'checkbox', id: uid('cross'), checked: S.cross });
    const crossSel = field(t('sign.crossSeal'), h('select', {}, (S.seals || []).map((s) => h('option', { value: s.id, text: s.name }))));
    crossSel.wrap.hidden = !S.cross;
    crossSel.wrap.classList.add('inline');
    if (S.crossSeal) crossSel.input.value = String(S.crossSeal);
    crossBox.addEventListener('change', () => {
      S.cross = crossBox.checked; crossSel.wrap.hidden = !S.cross;
      S.crossSeal = S.cross ? (crossSel.input.value || (S.seals?.[0]?.id ?? null)) : S.crossSeal;
      drawPlacements();
    });
    crossSel.input.addEventListener('change', () => { S.crossSeal = crossSel.input.value; drawPlacements(); });
    els.crossSel = crossSel.input;
    const zid = els.zoomSel.id;
    body.append(h('div.sign-toolbar', {},
      h('span.docname', { text: t('sign.docInfo', { name: S.doc.name, pages: S.doc.pages }) }),
      S.doc.sha256 ? h('span.hint.mono', { title: S.doc.sha256, text: `${t('sign.hash')} ${S.doc.sha256.slice(0, 16)}…` }) : null,
      h('span.spacer'),
      h('div.zoom', {},
        h('button.btn.btn-plain.btn-small', { type: 'button', 'aria-label': t('sign.zoomOut'), text: '−', onclick: () => step(-1) }),
        h('label.sr-only', { for: zid, text: t('sign.zoom') }), els.zoomSel,
        h('button.btn.btn-plain.btn-small', { type: 'button', 'aria-label': t('sign.zoomIn'), text: '+', onclick: () => step(1) })),
      h('label.check', { for: crossBox.id }, crossBox, t('sign.crossPage')),
      crossSel.wrap,
      fileControl('sign-file-2', false)));

    // thumbnails, pages, panel
    const thumbs = h('ol');
    const inner = h('div.viewer-inner');
    els.viewer = h('div.viewer', { role: 'region', 'aria-label': t('sign.pages'), tabindex: 0 }, inner);
    dropTarget(els.viewer);
    for (let n = 1; n <= S.doc.pages; n++) {
      const img = h('img.page-img', { alt: t('sign.page', { n }), draggable: 'false' });
      const pageEl = h('div.page', { dataset: { page: n } }, img, h('span.page-no', { 'aria-hidden': 'true', text: `${n} / ${S.doc.pages}` }));
      els.pages.set(n, pageEl);
      inner.append(pageEl);
      // thumbnails keep their page's shape before they load, so only the ones in view are fetched
      const timg = h('img', { alt: '', draggable: 'false', dataset: { page: n } });
      const [tw, th] = S.doc.sizes[n - 1] || [210, 297];
      timg.style.aspectRatio = `${tw} / ${th}`;
      const tb = h('button', { type: 'button', 'aria-label': t('sign.gotoPage', { n }), 'aria-current': n === S.current ? 'true' : 'false',
        onclick: () => { pageEl.scrollIntoView({ block: 'start', behavior: 'smooth' }); S.current = n; markCurrent(); } },
      timg, h('span', { 'aria-hidden': 'true', text: String(n) }));
      thumbs.append(h('li', {}, tb));
    }
    els.thumbs = thumbs;
    els.panel = h('div.panel', { role: 'complementary', 'aria-label': t('sign.seals') });
    const thumbNav = h('nav.thumbs', { 'aria-label': t('sign.thumbs') }, thumbs);
    body.append(h('div.sign-layout', {}, thumbNav, els.viewer, els.panel));

    // lazy page images: load when near the visible part of the viewer
    observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const img = e.target.querySelector('img.page-img');
        if (e.isIntersecting && !img.dataset.loaded) {
          img.dataset.loaded = '1';
          img.src = pageUrl(S.doc.id, +e.target.dataset.page, img.dataset.dpi || dpiFor(S.k));
        }
      }
    }, { root: els.viewer, rootMargin: '400px 0px' });
    thumbObserver = new IntersectionObserver((entries) => {
      let best = null;
      for (const e of entries) if (e.isIntersecting && (!best || e.intersectionRatio > best.intersectionRatio)) best = e;
      if (best) { S.current = +best.target.dataset.page; markCurrent(); }
    }, { root: els.viewer, threshold: [0.25, 0.5, 0.75] });
    for (const el of els.pages.values()) { observer.observe(el); thumbObserver.observe(el); }
    // Thumbnails (36 dpi, the server's minimum) load lazily too, once in (or near) view in their own
    // scrolling list, and only after the first page image has arrived, so they never queue before it.
    const docId = S.doc.id;
    thumbLoader = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        e.target.src = pageUrl(docId, +e.target.dataset.page, 36);
        thumbLoader.unobserve(e.target);
      }
    }, { root: thumbNav, rootMargin: '150px 0px' });
    const loader = thumbLoader;
    let started = false;
    const startThumbs = () => {
      if (started || loader !== thumbLoader || !thumbNav.isConnected) return;
      started = true;
      inner.removeEventListener('load', startThumbs, true);
      inner.removeEventListener('error', startThumbs, true);
      for (const img of thumbs.querySelectorAll('img')) loader.observe(img);
    };
    inner.addEventListener('load', startThumbs, true);
    inner.addEventListener('error', startThumbs, true);
    setTimeout(startThumbs, 3000);
    relayout();
  }

  function markCurrent() {
    if (!els.thumbs) return;
    [...els.thumbs.querySelectorAll('button')].forEach((b, i) => b.setAttribute('aria-current', i + 1 === S.current ? 'true' : 'false'));
  }

  // ---------- seal panel ----------
  function drawSealPanel() {
    if (!els.panel) return;
    const focusedSeal = document.activeElement?.dataset?.sealItem;
    clear(els.panel);
    const list = h('ul.seal-list');
    if (S.seals === null) list.append(h('li.hint', { text: t('common.loading') }));
    else if (!S.seals.length) list.append(h('li.hint', { text: t('sign.noSeals') }));
    for (const s of S.seals || []) {
      const w = s.w * S.k; const hh = s.h * S.k;
      const scale = Math.min(1, 240 / w);
      const pic = h('img', { src: pictureUrl(s), alt: '', draggable: 'false' });
      pic.style.width = `${w * scale}px`; pic.style.height = `${hh * scale}px`;
      const detId = uid('sd');
      // The button's visible text is the name only, so its name “印章：名称” contains all it shows (WCAG 2.5.3).
      const btn = h('button.seal-item', { type: 'button', 'aria-label': t('sign.seal', { name: s.name }), 'aria-describedby': detId, 'aria-pressed': S.placingSeal === s.id ? 'true' : 'false', dataset: { sealItem: s.id } },
        h('span.seal-pic', {}, pic), h('strong.seal-name', { text: s.name }));
      attachDrag(btn, s, null);
      list.append(h('li.seal-entry', {}, btn,
        h('p.seal-details', { id: detId }, [kindLabel(s.kind), s.code].filter(Boolean).join(' · '), h('br'),
          s.w === s.h ? `Ø ${mm(s.w)} mm` : `${mm(s.w)} × ${mm(s.h)} mm`,
          s.needsApproval ? [h('br'), t('sign.needsApprovalHint')] : null)));
    }
    const plist = h('ul.placements');
    for (const p of S.placements) {
      plist.append(h('li', {}, h('span', { text: `${p.seal.name} · ${t('sign.placingPos', { page: p.page, x: mm(p.x), y: mm(p.y) })}` }),
        h('button.btn.btn-ghost.btn-small', { type: 'button', text: t('sign.remove'), 'aria-label': t('sign.removeLabel', { name: p.seal.name, page: p.page }), onclick: () => removePlacement(p) })));
    }
    if (S.cross && crossSeal()) plist.append(h('li', {}, h('span', { text: t('sign.crossItem', { name: crossSeal().name }) })));
    if (!plist.children.length) plist.append(h('li.hint', { text: t('sign.placements.empty') }));
    const levelSel = field(t('sign.level'), h('select', {}, [['', t('sign.levelDefault')], ['B-B', 'PAdES B-B'], ['B-T', 'PAdES B-T'], ['B-LT', 'PAdES B-LT']].map(([v, l]) => h('option', { value: v, text: l }))));
    levelSel.input.value = S.level;
    levelSel.input.addEventListener('change', () => { S.level = levelSel.input.value; });
    const signBtn = h('button.btn.btn-large', { type: 'button', text: t('sign.sign'), onclick: () => openDialog() });
    els.panel.append(
      h('section.card', { 'aria-labelledby': 'seals-h' }, h('h2', { id: 'seals-h', text: t('sign.seals') }), h('p.hint', { text: t('sign.sealsHint') }), list),
      h('section.card', { 'aria-labelledby': 'pl-h' }, h('h2', { id: 'pl-h', text: t('sign.placements') }), plist),
      h('section.card.sign-action', { 'aria-label': t('sign.sign') }, S.doc?.ext === 'pdf' ? levelSel.wrap : null, signBtn));
    if (focusedSeal) els.panel.querySelector(`[data-seal-item="${CSS.escape(focusedSeal)}"]`)?.focus();
  }
  function crossSeal() { return sealById(S.crossSeal) || (S.seals || [])[0]; }

  // ---------- placements on pages ----------
  function drawPlacements() {
    const focusedPid = document.activeElement?.dataset?.pid;
    for (const el of els.pages.values()) el.querySelectorAll('.placed-wrap, .cross-slice, .placing').forEach((x) => x.remove());
    for (const p of S.placements) {
      const pageEl = els.pages.get(p.page);
      if (!pageEl) continue;
      const label = t('sign.placed', { name: p.seal.name, page: p.page, x: mm(p.x), y: mm(p.y) });
      const btn = h('button.placed', { type: 'button', 'aria-label': label, title: label, dataset: { pid: p.pid } }, h('img', { src: pictureUrl(p.seal), alt: '', draggable: 'false' }));
      const wrap = h('div.placed-wrap', {}, btn,
        h('button.placed-remove', { type: 'button', 'aria-label': t('sign.removeLabel', { name: p.seal.name, page: p.page }), text: '×', onclick: () => removePlacement(p) }));
      position(wrap, p.seal, p.x, p.y);
      attachDrag(btn, p.seal, p);
      btn.addEventListener('keydown', (ev) => placedKey(ev, p));
      pageEl.append(wrap);
    }
    if (S.cross && crossSeal()) {
      const s = crossSeal();
      const n = S.doc.pages;
      const sliceW = s.w / n;
      for (const [i, pageEl] of [...els.pages.values()].entries()) {
        const box = h('div.cross-slice', { 'aria-hidden': 'true' });
        box.style.width = `${sliceW * S.k}px`; box.style.height = `${s.h * S.k}px`; box.style.marginTop = `${(-s.h * S.k) / 2}px`;
        const img = h('img', { src: pictureUrl(s), alt: '' });
        img.style.width = `${s.w * S.k}px`; img.style.left = `${-i * sliceW * S.k}px`;
        box.append(img);
        pageEl.append(box);
      }
    }
    if (S.placing) drawPlacing(false);
    if (focusedPid) document.querySelector(`.placed[data-pid="${CSS.escape(focusedPid)}"]`)?.focus();
    if (els.panel && !els.panel.contains(document.activeElement)) drawSealPanel();
  }
  function position(el, seal, x, y) {
    el.style.width = `${seal.w * S.k}px`; el.style.height = `${seal.h * S.k}px`;
    el.style.left = `${(x - seal.w / 2) * S.k}px`; el.style.top = `${(y - seal.h / 2) * S.k}px`;
  }
  function addPlacement(seal, page, x, y) {
    const p = { pid: `p${++pidSeq}`, seal, page, x, y };
    S.placements.push(p);
    drawPlacements(); drawSealPanel();
    ctx.announce(t('sign.placedAnnounce', { name: seal.name, page }));
    return p;
  }
  function removePlacement(p) {
    S.placements = S.placements.filter((q) => q !== p);
    drawPlacements(); drawSealPanel();
    ctx.announce(t('sign.removed', { name: p.seal.name }));
    els.panel.querySelector('.seal-item')?.focus();
  }
  function placedKey(ev, p) {
    const d = ev.shiftKey ? 10 : 1;
    const [w, hh] = S.doc.sizes[p.page - 1];
    const moves = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] };
    if (moves[ev.key]) {
      ev.preventDefault();
      p.x = clamp(p.x + moves[ev.key][0], 0, w); p.y = clamp(p.y + moves[ev.key][1], 0, hh);
      drawPlacements();
      announcePos(t('sign.placingPos', { page: p.page, x: mm(p.x), y: mm(p.y) }));
    } else if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault(); removePlacement(p);
    }
  }

  // ---------- keyboard placing ----------
  function startPlacing(seal) {
    const page = S.current || 1;
    const [w, hh] = S.doc.sizes[page - 1];
    S.placing = { seal, page, x: w / 2, y: hh / 2 };
    S.placingSeal = seal.id;
    drawPlacing(true);
  }
  function drawPlacing(focus) {
    document.querySelectorAll('.placing').forEach((x) => x.remove());
    const P = S.placing;
    if (!P) return;
    const pageEl = els.pages.get(P.page);
    const el = h('div.placing', { tabindex: 0, role: 'application', 'aria-roledescription': t('sign.seal', { name: '' }).replace(/[：:]\s*$/, ''),
      'aria-label': t('sign.placing', { name: P.seal.name, page: P.page, x: mm(P.x), y: mm(P.y) }), dataset: { placing: '1' } },
    h('img', { src: pictureUrl(P.seal), alt: '' }));
    position(el, P.seal, P.x, P.y);
    el.addEventListener('keydown', placingKey);
    el.addEventListener('blur', () => setTimeout(() => { if (S.placing === P && !el.isConnected) return; if (S.placing === P && document.activeElement !== el && !document.activeElement?.classList.contains('placing')) cancelPlacing(false); }, 0));
    pageEl.append(el);
    if (focus) { el.focus({ preventScroll: true }); el.scrollIntoView({ block: 'nearest', inline: 'nearest' }); }
  }
  function placingKey(ev) {
    const P = S.placing;
    if (!P) return;
    const d = ev.shiftKey ? 10 : 1;
    const [w, hh] = S.doc.sizes[P.page - 1];
    const moves = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, -d], ArrowDown: [0, d] };
    if (moves[ev.key]) {
      ev.preventDefault();
      P.x = clamp(P.x + moves[ev.key][0], 0, w); P.y = clamp(P.y + moves[ev.key][1], 0, hh);
    } else if ((ev.key === 'PageDown' && P.page < S.doc.pages) || (ev.key === 'PageUp' && P.page > 1)) {
      ev.preventDefault();
      P.page += ev.key === 'PageDown' ? 1 : -1;
      const [w2, h2] = S.doc.sizes[P.page - 1];
      P.x = clamp(P.x, 0, w2); P.y = clamp(P.y, 0, h2);
    } else if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      S.placing = null; S.placingSeal = null;
      document.querySelectorAll('.placing').forEach((x) => x.remove());
      const p = addPlacement(P.seal, P.page, P.x, P.y);
      document.querySelector(`.placed[data-pid="${p.pid}"]`)?.focus();
      return;
    } else if (ev.key === 'Escape') {
      ev.preventDefault(); cancelPlacing(true); return;
    } else return;
    drawPlacing(true);
    announcePos(t('sign.placingPos', { page: P.page, x: mm(P.x), y: mm(P.y) }));
  }
  function cancelPlacing(refocus) {
    const P = S.placing;
    S.placing = null; S.placingSeal = null;
    document.querySelectorAll('.placing').forEach((x) => x.remove());
    drawSealPanel();
    if (refocus && P) els.panel.querySelector(`[data-seal-item="${CSS.escape(String(P.seal.id))}"]`)?.focus();
  }

  // ---------- pointer drag (mouse, pen, touch) ----------
  function pageAt(x, y) {
    for (const el of document.elementsFromPoint(x, y)) { const pg = el.closest?.('.page'); if (pg) return pg; }
    return null;
  }
  function attachDrag(el, seal, placement) {
    let start = null; let ghost = null; let over = null;
    el.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0 || !S.doc) return;
      start = { x: ev.clientX, y: ev.clientY, id: ev.pointerId };
      try { el.setPointerCapture(ev.pointerId); } catch { /* */ }
    });
    el.addEventListener('pointermove', (ev) => {
      if (!start || ev.pointerId !== start.id) return;
      if (!ghost && Math.hypot(ev.clientX - start.x, ev.clientY - start.y) < 5) return;
      ev.preventDefault();
      if (!ghost) {
        ghost = h('img.ghost', { src: pictureUrl(seal), alt: '' });
        ghost.style.width = `${seal.w * S.k}px`; ghost.style.height = `${seal.h * S.k}px`;
        document.body.append(ghost);
        if (placement) el.parentElement.style.opacity = '0.3';
      }
      ghost.style.left = `${ev.clientX - (seal.w * S.k) / 2}px`;
      ghost.style.top = `${ev.clientY - (seal.h * S.k) / 2}px`;
      const pg = pageAt(ev.clientX, ev.clientY);
      if (pg !== over) { over?.classList.remove('drop-over'); over = pg; over?.classList.add('drop-over'); }
    });
    const finish = (ev, drop) => {
      if (!start || ev.pointerId !== start.id) return;
      const wasDrag = !!ghost;
      start = null;
      over?.classList.remove('drop-over'); over = null;
      if (ghost) { ghost.remove(); ghost = null; }
      if (placement) el.parentElement.style.opacity = '';
      if (!wasDrag) return;
      el.dataset.dragged = '1';
      setTimeout(() => { delete el.dataset.dragged; }, 0);
      if (!drop) return;
      const pg = pageAt(ev.clientX, ev.clientY);
      if (!pg) return;
      const n = +pg.dataset.page;
      const r = pg.getBoundingClientRect();
      const [w, hh] = S.doc.sizes[n - 1];
      const x = clamp(((ev.clientX - r.left) / r.width) * w, 0, w);
      const y = clamp(((ev.clientY - r.top) / r.height) * hh, 0, hh);
      if (placement) {
        Object.assign(placement, { page: n, x, y });
        drawPlacements(); drawSealPanel();
        document.querySelector(`.placed[data-pid="${placement.pid}"]`)?.focus();
      } else {
        const p = addPlacement(seal, n, x, y);
        document.querySelector(`.placed[data-pid="${p.pid}"]`)?.focus();
      }
    };
    el.addEventListener('pointerup', (ev) => finish(ev, true));
    el.addEventListener('pointercancel', (ev) => finish(ev, false));
    if (!placement) {
      el.addEventListener('click', () => {
        if (el.dataset.dragged) return;
        if (S.placing && S.placing.seal.id === seal.id) { cancelPlacing(true); return; }
        startPlacing(seal);
      });
    }
  }

  // ---------- signing ----------
  function operations() {
    const ops = [...S.placements].sort((a, b) => a.page - b.page || a.y - b.y)
      .map((p) => ({ seal: p.seal, placement: { page: p.page, x_mm: Math.round(p.x * 100) / 100, y_mm: Math.round(p.y * 100) / 100 } }));
    if (S.cross && crossSeal()) ops.push({ seal: crossSeal(), placement: { cross_page: true } });
    return ops;
  }

  function openDialog() {
    const ops = operations();
    if (!ops.length) { say('msg-error', t('sign.nothing')); return; }
    say('', '');
    const hid = uid('dlg');
    const dbody = h('div.dlg-body');
    const actions = h('div.dlg-actions');
    const dlg = h('dialog', { 'aria-labelledby': hid }, h('div.dlg-head', {}, h('h2', { id: hid, text: t('sign.dialog.title') })), dbody, actions);
    document.body.append(dlg);
    dlg.addEventListener('close', () => { clearInterval(pollTimer); pollTimer = null; dlg.remove(); els.panel?.querySelector('.sign-action .btn')?.focus(); });
    dlg.showModal();
    confirmStep(dlg, dbody, actions, ops);
  }

  function confirmStep(dlg, dbody, actions, ops) {
    clear(dbody); clear(actions);
    const err = h('p.msg.msg-error', { role: 'alert' });
    let byTotp = false;
    const pw = field(t('sign.dialog.password'), h('input', { type: 'password', autocomplete: 'current-password' }));
    const otp = field(t('sign.dialog.totp'), h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }));
    otp.wrap.hidden = true;
    const toggle = h('button.linklike', { type: 'button', text: t('sign.dialog.useTotp') });
    toggle.addEventListener('click', () => {
      byTotp = !byTotp;
      pw.wrap.hidden = byTotp; otp.wrap.hidden = !byTotp;
      toggle.textContent = t(byTotp ? 'sign.dialog.usePassword' : 'sign.dialog.useTotp');
      (byTotp ? otp : pw).input.focus();
    });
    const form = h('form', { novalidate: true, id: uid('confirm') },
      h('p', { text: t('sign.dialog.text', { name: S.doc.name, n: ops.length }) }),
      err, pw.wrap, otp.wrap, h('p', {}, toggle));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const auth = byTotp ? { totp: otp.input.value.trim() } : { password: pw.input.value };
      if (!Object.values(auth)[0]) { err.textContent = t('sign.dialog.required'); (byTotp ? otp : pw).input.focus(); return; }
      runSigning(dlg, dbody, actions, ops, auth);
    });
    dbody.append(form);
    actions.append(h('button.btn.btn-plain', { type: 'button', text: t('common.cancel'), onclick: () => dlg.close() }),
      h('button.btn', { type: 'submit', form: form.id, text: t('sign.dialog.confirm') }));
    pw.input.focus();
  }

  async function runSigning(dlg, dbody, actions, ops, auth) {
    clear(dbody); clear(actions);
    const prog = h('progress', { max: ops.length, value: 0, 'aria-label': t('sign.progressLabel') });
    const line = h('p', { role: 'status' });
    dbody.append(line, prog);
    const r = S.resume;
    let docId = r ? r.docId : S.doc.id;
    let i = r ? r.step : 0;
    // Several seals and no approval step: one request, one identity proof (a TOTP code passes once).
    if (!r && ops.length > 1 && ops.every((op) => !op.seal.needsApproval)) {
      line.textContent = t('sign.progress', { i: ops.length, n: ops.length });
      const req = { signatures: ops.map((op) => ({ seal_id: op.seal.id, placement: op.placement, ...(S.level && S.doc.ext === 'pdf' ? { level: S.level } : {}) })), ...auth };
      try {
        const res = await api('POST', `/documents/${encodeURIComponent(docId)}/sign`, { json: req });
        docId = res.document_id ?? docId;
      } catch (err) {
        clear(dbody).append(h('p.msg.msg-error', { role: 'alert', text: t('sign.failed', { msg: errorText(err) }) }));
        actions.append(h('button.btn.btn-plain', { type: 'button', text: t('common.close'), onclick: () => dlg.close() }));
        actions.lastChild.focus();
        return;
      }
      i = ops.length;
    }
    for (; i < ops.length; i++) {
      const op = ops[i];
      line.textContent = t('sign.progress', { i: i + 1, n: ops.length });
      prog.value = i;
      const req = { seal_id: op.seal.id, placement: op.placement, ...auth };
      if (S.level && S.doc.ext === 'pdf') req.level = S.level;
      if (r && r.useRequestId && String(r.sealId) === String(op.seal.id) && i === r.step) req.use_request_id = r.useRequestId;
      try {
        const res = await api('POST', `/documents/${encodeURIComponent(docId)}/sign`, { json: req });
        docId = res.document_id ?? res.id ?? docId;
      } catch (err) {
        if (needsApproval(err) && r && r.useRequestId && /not approved/i.test(err.message || '')) {
          clear(dbody).append(h('p.msg.msg-warn', { role: 'alert', text: t('sign.requestWaiting', { id: r.useRequestId }) }));
          actions.append(h('button.btn.btn-plain', { type: 'button', text: t('common.close'), onclick: () => dlg.close() }),
            h('button.btn', { type: 'button', text: t('sign.resume'), onclick: () => confirmStep(dlg, dbody, actions, ops) }));
          actions.lastChild.focus();
          return;
        }
        if (needsApproval(err)) { approvalStep(dlg, dbody, actions, ops, op, i, docId); return; }
        clear(dbody).append(h('p.msg.msg-error', { role: 'alert', text: t('sign.failed', { msg: errorText(err) }) }));
        if (i > 0) S.resume = { step: i, docId, useRequestId: null, sealId: op.seal.id };
        actions.append(h('button.btn.btn-plain', { type: 'button', text: t('common.close'), onclick: () => dlg.close() }),
          h('button.btn', { type: 'button', text: t('sign.resume'), onclick: () => confirmStep(dlg, dbody, actions, ops) }));
        actions.lastChild.focus();
        return;
      }
    }
    prog.value = ops.length;
    S.resume = null;
    await resultStep(dlg, dbody, actions, ops, docId);
  }

  function needsApproval(err) {
    const s = `${err.code} ${err.message}`.toLowerCase();
    return /approv|use_request|use-request|审批/.test(s);
  }

  function approvalStep(dlg, dbody, actions, ops, op, step, docId) {
    clear(dbody); clear(actions);
    const reason = field(t('sign.requestReason'), h('textarea', { maxlength: 300 }));
    const msg = h('p.msg', { role: 'status' });
    const resume = h('button.btn', { type: 'button', text: t('sign.resume'), disabled: true, onclick: () => confirmStep(dlg, dbody, actions, ops) });
    const submit = h('button.btn', { type: 'button', text: t('sign.requestSubmit') });
    submit.addEventListener('click', async () => {
      submit.disabled = true;
      try {
        const res = await api('POST', '/use-requests', { json: { seal_id: op.seal.id, document_id: docId, reason: reason.input.value.trim() } });
        const id = res.id ?? res.use_request_id;
        S.resume = { step, docId, useRequestId: id, sealId: op.seal.id };
        msg.className = 'msg msg-info'; msg.textContent = t('sign.requestSent', { id });
        submit.hidden = true; resume.disabled = false;
        poll(id, msg, resume);
      } catch (err) { submit.disabled = false; msg.className = 'msg msg-error'; msg.textContent = errorText(err); }
    });
    dbody.append(h('p.msg.msg-warn', { text: t('sign.approvalNeeded', { name: op.seal.name }) }), reason.wrap, msg);
    actions.append(h('button.btn.btn-plain', { type: 'button', text: t('common.close'), onclick: () => dlg.close() }), submit, resume);
    reason.input.focus();
  }

  function poll(id, msg, resume) {
    clearInterval(pollTimer);
    pollTimer = setInterval(async () => {
      let r = null;
      try { r = await api('GET', `/use-requests/${encodeURIComponent(id)}`); } catch {
        try { r = listOf(await api('GET', '/use-requests')).find((x) => String(x.id) === String(id)); } catch { r = null; }
      }
      if (!r) return;
      if (r.state === 'approved') { clearInterval(pollTimer); msg.className = 'msg msg-ok'; msg.textContent = t('sign.requestApproved'); resume.focus(); }
      if (r.state === 'rejected') { clearInterval(pollTimer); msg.className = 'msg msg-error'; msg.textContent = t('sign.requestRejected', { reason: r.reason || r.decision_reason || '' }); resume.disabled = true; }
    }, 4000);
  }

  async function resultStep(dlg, dbody, actions, ops, docId) {
    const base = S.doc.name.replace(/\.[^.]*$/, '');
    const ext = S.doc.ext;
    const fileName = `${base}-signed.${ext}`;
    clear(dbody); clear(actions);
    const line = h('p', { role: 'status', text: t('sign.verifying') });
    dbody.append(h('p.msg.msg-ok', { text: `${t('sign.done')} — ${t('sign.doneText', { n: ops.length })}` }), line);
    const dl = h('a.btn', { href: `${BASE}/documents/${encodeURIComponent(docId)}/content`, download: fileName, text: t('sign.download') });
    actions.append(h('button.btn.btn-plain', { type: 'button', text: t('common.close'), onclick: () => dlg.close() }), dl);
    dl.focus();
    // show the signed document behind the dialog, unless another one was opened meanwhile
    const oldName = S.doc.name;
    const gen = ++S.gen;
    let meta = null;
    try { meta = await api('GET', `/documents/${encodeURIComponent(docId)}`); } catch { meta = null; }
    if (gen === S.gen) {
      S.doc = meta
        ? { ...S.doc, id: docId, name: fileName, pages: +meta.pages || S.doc.pages, sha256: meta.sha256 || '', sizes: meta.page_sizes_mm ? pageSizes(meta) : S.doc.sizes }
        : { ...S.doc, id: docId, name: fileName, sha256: '' };
      S.placements = []; S.cross = false;
      draw();
    }
    try {
      const blob = await api('GET', `/documents/${encodeURIComponent(docId)}/content`, { blob: true });
      // The server names its download after the document id; the copy at hand keeps the name promised here.
      const local = URL.createObjectURL(blob);
      dl.href = local;
      dlg.addEventListener('close', () => setTimeout(() => URL.revokeObjectURL(local), 1000));
      const report = await api('POST', '/verify', { body: blob, type: ext === 'ofd' ? 'application/ofd' : 'application/pdf', headers: { 'X-Filename': encodeURIComponent(fileName) } });
      line.remove();
      dbody.append(renderReport(report, { label: t('sign.verifyTitle'), fileName }));
    } catch (err) {
      line.textContent = errorText(err);
    }
    void oldName;
  }

  // ---------- boot ----------
  draw();
  const onResize = debounce(() => { if (S.zoom === 'fit') relayout(); }, 150);
  window.addEventListener('resize', onResize);
  loadSeals().then(() => { if (S.doc) draw(); }).catch((err) => { if (S.seals === null) S.seals = []; say('msg-error', errorText(err)); drawSealPanel(); });
  return () => {
    window.removeEventListener('resize', onResize);
    if (observer) observer.disconnect();
    if (thumbObserver) thumbObserver.disconnect();
    if (thumbLoader) thumbLoader.disconnect();
    clearInterval(pollTimer);
    S.placing = null;
  };
}

// Seals are cached per login; forget them when someone else logs in.
window.addEventListener('eseal:unauthorized', () => { S.seals = null; S.doc = null; S.placements = []; });
export function reset() { S.seals = null; S.doc = null; S.placements = []; S.resume = null; }
