// 审核 / Review queue for seal applications.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear } from '../dom.js';
import { t } from '../i18n.js';
import { api, listOf, errorText, BASE } from '../api.js';
import { ownerOf, kindLabel, stateBadge, fmtTime, ownerText, maskPII } from '../format.js';

const OPEN = new Set(['submitted', 'pending', 'new', 'open', '']);

export function render(main, ctx) {
  const msg = h('div.msg', { role: 'status' });
  const box = h('div.queue', {}, h('p.empty', { text: t('common.loading') }));
  let orgs = [];

  function person(p) {
    if (!p) return '';
    if (typeof p === 'string') return maskPII(p);
    return [p.login, p.name, p.id_number, p.mobile].filter(Boolean).map(maskPII).join(' · ');
  }

  function item(a) {
    const reason = field(t('review.reason'), h('input', { type: 'text', maxlength: 200, autocomplete: 'off' }));
    const approve = h('button.btn.btn-ok', { type: 'button', text: t('review.approve') });
    const reject = h('button.btn.btn-ghost', { type: 'button', text: t('review.reject') });
    const local = h('div.msg', { role: 'status' });
    const text = a.text || ownerText(ownerOf(a), orgs) || '';
    const q = new URLSearchParams({ kind: a.kind || '', text });
    if (a.template) q.set('template', a.template);
    const title = t('review.app', { id: a.id });
    const ev = a.evidence || a.identity || null;
    const section = h('article.card.queue-item', { 'aria-label': title },
      h('img.seal-preview', { src: `${BASE}/seal-preview.svg?${q}`, alt: t('apply.previewAlt', { kind: kindLabel(a.kind) }) }),
      h('div', {},
        h('div.row', {}, h('h2', { text: title }), stateBadge(a.state)),
        h('dl.kv', {},
          h('dt', { text: t('review.applicant') }), h('dd', { text: person(a.applicant) || maskPII(a.applicant_login || '') }),
          h('dt', { text: t('review.owner') }), h('dd', { text: ownerText(ownerOf(a), orgs) }),
          h('dt', { text: t('review.kind') }), h('dd', { text: kindLabel(a.kind) }),
          h('dt', { text: t('review.text') }), h('dd', { text: maskPII(text) }),
          a.template ? [h('dt', { text: t('review.template') }), h('dd', { text: a.template })] : null,
          ev ? [h('dt', { text: t('review.evidence') }), h('dd', { text: typeof ev === 'object' ? Object.values(ev).map(maskPII).join(' · ') : maskPII(ev) })] : null,
          h('dt', { text: t('review.time') }), h('dd', { text: fmtTime(a.created_at ?? a.submitted_at ?? a.time) })),
        local,
        h('div.decide', {}, reason.wrap, approve, reject)));
    async function decide(ok) {
      local.className = 'msg'; local.textContent = '';
      if (!ok && !reason.input.value.trim()) {
        local.className = 'msg msg-error'; local.textContent = t('review.rejectNeedsReason');
        reason.input.setAttribute('aria-invalid', 'true'); reason.input.focus(); return;
      }
      approve.disabled = reject.disabled = true;
      try {
        const res = await api('POST', `/seal-applications/${encodeURIComponent(a.id)}/decision`, { json: { approve: ok, reason: reason.input.value.trim() } });
        const seal = res?.seal_code ?? res?.seal_id;
        msg.className = 'msg msg-ok';
        msg.textContent = ok ? (seal ? t('review.approved', { id: a.id, seal }) : t('review.approvedNoSeal', { id: a.id })) : t('review.rejected', { id: a.id });
        ctx.announce(msg.textContent);
        section.remove();
        if (!box.children.length) box.append(h('p.empty', { text: t('review.empty') }));
        msg.focus();
      } catch (err) {
        local.className = 'msg msg-error'; local.textContent = errorText(err);
        approve.disabled = reject.disabled = false;
      }
    }
    approve.addEventListener('click', () => decide(true));
    reject.addEventListener('click', () => decide(false));
    return section;
  }

  async function load() {
    try {
      try { orgs = listOf(await api('GET', '/orgs')); } catch { orgs = []; }
      const me = ctx.user?.login;
      const apps = listOf(await api('GET', '/seal-applications?state=submitted'))
        .filter((a) => OPEN.has(String(a.state ?? '')) && (a.applicant?.login ?? a.applicant) !== me);
      clear(box);
      if (!apps.length) box.append(h('p.empty', { text: t('review.empty') }));
      for (const a of apps) box.append(item(a));
    } catch (err) {
      clear(box).append(h('p.msg.msg-error', { text: err.status === 403 ? t('common.forbidden') : errorText(err) }));
    }
  }

  msg.tabIndex = -1;
  main.append(h('h1', { text: t('review.title') }), h('p.lead', { text: t('review.intro') }), msg, box);
  load();
}
