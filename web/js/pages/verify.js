// 验证 / Verify: anyone uploads a file; the server's report is shown in plain words.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { api, errorText } from '../api.js';
import { renderReport } from '../report.js';

let last = null; // {report, name} kept across language switches

export function fileType(name, type) {
  if (type && type !== 'application/octet-stream') return type;
  const ext = String(name).toLowerCase().split('.').pop();
  return { pdf: 'application/pdf', ofd: 'application/ofd', esl: 'application/octet-stream' }[ext] || 'application/octet-stream';
}

export function render(main, ctx) {
  const out = h('div', { 'aria-live': 'polite' });
  const status = h('p.msg.msg-info', { role: 'status' });
  status.hidden = true;
  const input = h('input.file-input', { type: 'file', id: 'verify-file', accept: '.pdf,.ofd,.esl,application/pdf,application/ofd' });
  const zone = h('div.dropzone', {},
    h('p.big', { text: t('sign.dropHere') }),
    h('div.file-label', {}, input, h('label.btn.btn-large', { for: 'verify-file', text: t('verify.upload') })));
  let dl = null;

  function show(report, name) {
    last = { report, name };
    clear(out);
    if (dl) URL.revokeObjectURL(dl);
    dl = URL.createObjectURL(new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' }));
    out.append(renderReport(report, { fileName: name }),
      h('p.row', {}, h('a.btn.btn-plain', { href: dl, download: `${String(name).replace(/\.[^.]*$/, '')}-verify.json`, text: t('verify.json') }),
        h('span.hint', { text: t('verify.again') })));
  }

  async function check(file) {
    if (!file) return;
    status.hidden = false; status.className = 'msg msg-info'; status.textContent = t('verify.busy', { name: file.name });
    clear(out);
    try {
      const report = await api('POST', '/verify', { body: file, type: fileType(file.name, file.type), headers: { 'X-Filename': encodeURIComponent(file.name) }, noAuthEvent: true });
      status.hidden = true;
      show(report, file.name);
      ctx.announce(t('verify.result') + '：' + out.querySelector('.verdict-word').textContent);
    } catch (err) {
      if (err.extra && err.extra.verdict) { status.hidden = true; show(err.extra, file.name); return; }
      status.className = 'msg msg-error'; status.textContent = errorText(err);
    }
    input.value = '';
  }
  input.addEventListener('change', () => check(input.files[0]));
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => { ev.preventDefault(); zone.classList.remove('over'); check(ev.dataTransfer.files[0]); });

  main.append(h('h1', { text: t('verify.title') }), h('p.lead', { text: t('verify.intro') }), zone, status, out);
  if (last) show(last.report, last.name);
  return () => { if (dl) setTimeout(() => URL.revokeObjectURL(dl), 1000); };
}
