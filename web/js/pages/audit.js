// 审计 / Audit: filterable log and the hash chain's status.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear } from '../dom.js';
import { t } from '../i18n.js';
import { api, listOf, errorText } from '../api.js';
import { fmtTime, maskPII } from '../format.js';

const filters = { from: '', to: '', actor: '', seal: '' };

function detailText(d) {
  if (d === null || d === undefined) return '';
  if (typeof d === 'object') return Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(', ');
  return String(d);
}

export function render(main) {
  const chain = h('div.msg.msg-info.chain', { role: 'status', text: t('common.loading') });
  const table = h('div', {}, h('p.empty', { text: t('common.loading') }));
  const count = h('p.hint', { 'aria-live': 'polite' });
  const from = field(t('audit.from'), h('input', { type: 'date', value: filters.from }));
  const to = field(t('audit.to'), h('input', { type: 'date', value: filters.to }));
  const actor = field(t('audit.actor'), h('input', { type: 'search', value: filters.actor, autocomplete: 'off' }));
  const seal = field(t('audit.seal'), h('input', { type: 'search', value: filters.seal, autocomplete: 'off', inputmode: 'numeric' }));
  const form = h('form.card.filters', { 'aria-label': t('audit.search'), role: 'search' }, from.wrap, to.wrap, actor.wrap, seal.wrap,
    h('button.btn', { type: 'submit', text: t('audit.search') }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    Object.assign(filters, { from: from.input.value, to: to.input.value, actor: actor.input.value.trim(), seal: seal.input.value.trim() });
    load();
  });

  async function load() {
    const q = new URLSearchParams();
    if (filters.from) q.set('from', `${filters.from}T00:00:00Z`);
    if (filters.to) q.set('to', `${filters.to}T23:59:59Z`);
    if (filters.actor) q.set('actor', filters.actor);
    if (filters.seal) q.set('seal', filters.seal);
    try {
      const rows = listOf(await api('GET', `/audit${q.toString() ? '?' + q : ''}`));
      clear(table);
      count.textContent = t('audit.count', { n: rows.length });
      if (!rows.length) { table.append(h('p.empty', { text: t('common.empty') })); return; }
      table.append(h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': t('audit.table') }, h('table', {},
        h('caption', { text: t('audit.table') }),
        h('thead', {}, h('tr', {}, ['seq', 'time', 'actor', 'action', 'target', 'detail', 'hash'].map((c) => h('th', { scope: 'col', text: t('audit.col.' + c) })))),
        h('tbody', {}, rows.map((r) => h('tr', {},
          h('td', { text: r.seq ?? r.id ?? '' }),
          h('td', { text: fmtTime(r.time ?? r.ts ?? r.at ?? r.created_at) }),
          h('td', { text: maskPII(r.actor ?? r.login ?? '') }),
          h('td', { text: `${r.action ?? r.event ?? r.kind ?? ''}${r.outcome && r.outcome !== 'ok' ? ` (${r.outcome})` : ''}` }),
          h('td', { text: maskPII(r.target ?? r.object ?? (r.seal ? `seal ${r.seal}` : '') ?? '') }),
          h('td', { text: maskPII(detailText(r.detail ?? r.details ?? r.data)) }),
          h('td.mono', { title: r.hash || '', text: r.hash ? `${String(r.hash).slice(0, 12)}…` : '' })))))));
    } catch (err) {
      count.textContent = '';
      clear(table).append(h('p.msg.msg-error', { text: err.status === 403 ? t('common.forbidden') : errorText(err) }));
    }
  }
  async function loadChain() {
    try {
      const r = await api('GET', '/audit/verify');
      const ok = r && (r.ok ?? r.valid ?? r.intact ?? (r.status === 'ok' || r.verdict === 'ok'));
      const n = r?.entries ?? r?.count ?? r?.checked;
      chain.className = `msg chain ${ok ? 'msg-ok' : 'msg-error'}`;
      chain.textContent = ok ? (n !== undefined ? t('audit.chainOk', { n }) : t('audit.chainOkNoCount')) : t('audit.chainBad', { detail: r?.message || r?.error || (r?.first_bad !== undefined ? `#${r.first_bad}` : '') });
    } catch (err) {
      chain.className = 'msg msg-warn chain';
      chain.textContent = t('audit.chainUnknown', { msg: errorText(err) });
    }
  }
  main.append(h('h1', { text: t('audit.title') }), h('p.lead', { text: t('audit.intro') }),
    h('section', { 'aria-label': t('audit.chain') }, chain), form, count, table);
  load(); loadChain();
}
