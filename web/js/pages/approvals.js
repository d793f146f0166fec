// 用印审批 / Approvals: pending seal use requests with the document's first page and digest.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear } from '../dom.js';
import { t } from '../i18n.js';
import { api, listOf, errorText, BASE } from '../api.js';
import { stateBadge, fmtTime, maskPII } from '../format.js';

const OPEN = new Set(['pending', 'submitted', 'new', 'open', '']);

export function render(main, ctx) {
  const msg = h('div.msg', { role: 'status', tabindex: -1 });
  const box = h('div.queue', {}, h('p.empty', { text: t('common.loading') }));

  async function docInfo(r) {
    const id = r.document_id ?? r.document?.id;
    if (r.document && r.document.sha256) return { id, ...r.document };
    try { return { id, ...(await api('GET', `/documents/${encodeURIComponent(id)}`)) }; } catch { return { id, sha256: r.sha256 || r.document_sha256 || '' }; }
  }

  async function item(r) {
    const doc = await docInfo(r);
    const docName = doc.filename || doc.name || r.document_name || `#${doc.id}`;
    let seal = r.seal_name || r.seal?.name || '';
    if (!seal && r.seal_id) {
      try { const s = await api('GET', `/seals/${encodeURIComponent(r.seal_id)}`); seal = `${s.name || ''} (${r.seal_id})`; } catch { seal = String(r.seal_id); }
    }
    const who = r.requester?.login ?? r.requester ?? r.login ?? r.user ?? '';
    const reason = field(t('approvals.comment'), h('input', { type: 'text', maxlength: 200, autocomplete: 'off' }));
    const approve = h('button.btn.btn-ok', { type: 'button', text: t('approvals.approve') });
    const reject = h('button.btn.btn-ghost', { type: 'button', text: t('approvals.reject') });
    const local = h('div.msg', { role: 'status' });
    const title = t('approvals.request', { id: r.id });
    const el = h('article.card.queue-item', { 'aria-label': title },
      h('a', { href: `${BASE}/documents/${encodeURIComponent(doc.id)}/content`, target: '_blank', rel: 'noopener' },
        h('img.thumb', { src: `${BASE}/documents/${encodeURIComponent(doc.id)}/pages/1.png?dpi=48`, alt: t('approvals.firstPage', { name: docName }), loading: 'lazy' })),
      h('div', {},
        h('div.row', {}, h('h2', { text: title }), stateBadge(r.state || 'pending')),
        h('dl.kv', {},
          h('dt', { text: t('approvals.requester') }), h('dd', { text: maskPII(typeof who === 'object' ? who.login : who) }),
          h('dt', { text: t('approvals.seal') }), h('dd', { text: seal }),
          h('dt', { text: t('approvals.document') }), h('dd', { text: `${docName}${doc.pages ? ` · ${t('approvals.pages', { n: doc.pages })}` : ''}` }),
          h('dt', { text: 'SHA-256' }), h('dd.mono', { text: doc.sha256 || r.sha256 || '—' }),
          h('dt', { text: t('approvals.reasonGiven') }), h('dd', { text: maskPII(r.reason || '—') }),
          h('dt', { text: t('approvals.time') }), h('dd', { text: fmtTime(r.created_at ?? r.time) })),
        local,
        h('div.decide', {}, reason.wrap, approve, reject)));
    async function decide(ok) {
      local.className = 'msg'; local.textContent = '';
      if (!ok && !reason.input.value.trim()) { local.className = 'msg msg-error'; local.textContent = t('approvals.rejectNeedsReason'); reason.input.focus(); return; }
      approve.disabled = reject.disabled = true;
      try {
        await api('POST', `/use-requests/${encodeURIComponent(r.id)}/decision`, { json: { approve: ok, reason: reason.input.value.trim() } });
        msg.className = 'msg msg-ok'; msg.textContent = t(ok ? 'approvals.approved' : 'approvals.rejected', { id: r.id });
        ctx.announce(msg.textContent);
        el.remove();
        if (!box.children.length) box.append(h('p.empty', { text: t('approvals.empty') }));
        msg.focus();
      } catch (err) { local.className = 'msg msg-error'; local.textContent = errorText(err); approve.disabled = reject.disabled = false; }
    }
    approve.addEventListener('click', () => decide(true));
    reject.addEventListener('click', () => decide(false));
    return el;
  }

  async function load() {
    try {
      const list = listOf(await api('GET', '/use-requests?state=pending')).filter((r) => OPEN.has(String(r.state ?? '')));
      const els = await Promise.all(list.map(item));
      clear(box);
      if (!els.length) box.append(h('p.empty', { text: t('approvals.empty') }));
      box.append(...els);
    } catch (err) {
      clear(box);
      if (err.status === 404 || err.status === 405) box.append(lookupForm());
      else box.append(h('p.msg.msg-error', { text: err.status === 403 ? t('common.forbidden') : errorText(err) }));
    }
  }

  // Without a list endpoint: open one request by the number its requester passes on.
  function lookupForm() {
    const id = field(t('approvals.lookupId'), h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off' }));
    const out = h('div.queue');
    const err = h('p.msg', { role: 'status' });
    const form = h('form.card', { novalidate: true, 'aria-label': t('approvals.lookup') },
      h('p.hint', { text: t('approvals.lookupHint') }),
      h('div.decide', {}, id.wrap, h('button.btn', { type: 'submit', text: t('approvals.lookup') })), err);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.className = 'msg'; err.textContent = '';
      clear(out);
      const n = id.input.value.trim();
      if (!n) { id.input.focus(); return; }
      try {
        const r = await api('GET', `/use-requests/${encodeURIComponent(n)}`);
        out.append(await item(r));
      } catch (e) { err.className = 'msg msg-error'; err.textContent = errorText(e); }
    });
    return h('div', {}, form, out);
  }
  main.append(h('h1', { text: t('approvals.title') }), h('p.lead', { text: t('approvals.intro') }), msg, box);
  load();
}
