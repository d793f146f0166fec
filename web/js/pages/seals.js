// 印章 / Seals: pictures, states, grants, renew / suspend / resume / revoke.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear, uid } from '../dom.js';
import { t } from '../i18n.js';
import { api, listOf, errorText, BASE } from '../api.js';
import { ownerOf, kindLabel, stateBadge, fmtDate, ownerText, sealId, sealName, sealCode, sealSize, mm, maskPII } from '../format.js';

const MANAGERS = ['platform-admin', 'admin', 'org-admin', 'seal-keeper'];
// suspend / resume / revoke / renew: the API lets admins only (a keeper gets 403)
const ADMINS = ['platform-admin', 'admin', 'org-admin'];

function reasonDialog(title, warn, confirmText) {
  return new Promise((resolve) => {
    const hid = uid('dlg');
    const reason = field(t('seals.action.reason'), h('textarea', { maxlength: 300, required: true }));
    const err = h('p.msg.msg-error', { role: 'alert' });
    const ok = h('button.btn', { type: 'submit', text: confirmText });
    const cancel = h('button.btn.btn-plain', { type: 'button', text: t('common.cancel') });
    const form = h('form', { method: 'dialog', novalidate: true },
      h('div.dlg-head', {}, h('h2', { id: hid, text: title })),
      h('div.dlg-body', {}, warn ? h('p.msg.msg-warn', { text: warn }) : null, err, reason.wrap),
      h('div.dlg-actions', {}, cancel, ok));
    const dlg = h('dialog', { 'aria-labelledby': hid }, form);
    let result = null;
    form.addEventListener('submit', (ev) => {
      if (!reason.input.value.trim()) { ev.preventDefault(); err.textContent = t('seals.action.needsReason'); reason.input.focus(); return; }
      result = reason.input.value.trim();
    });
    cancel.addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
    reason.input.focus();
  });
}

export function render(main, ctx) {
  const msg = h('div.msg', { role: 'status', tabindex: -1 });
  const grid = h('div.seal-grid', {}, h('p.empty', { text: t('common.loading') }));
  const canManage = (ctx.user?.roles || []).some((r) => MANAGERS.includes(r));
  const canAdmin = (ctx.user?.roles || []).some((r) => ADMINS.includes(r));
  let orgs = [];

  function say(ok, text) { msg.className = ok ? 'msg msg-ok' : 'msg msg-error'; msg.textContent = text; ctx.announce(text); }

  function grantsBlock(s) {
    const id = sealId(s);
    const name = sealName(s);
    const list = h('div', {}, h('p.empty', { text: t('common.loading') }));
    const local = h('div.msg', { role: 'status' });
    async function load() {
      try {
        const gs = listOf(await api('GET', `/seals/${encodeURIComponent(id)}/grants`)).filter((g) => !g.revoked);
        clear(list);
        if (!gs.length) { list.append(h('p.hint', { text: t('seals.grants.empty') })); return; }
        list.append(h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': t('seals.grantsOf', { name }) }, h('table', {},
          h('caption.sr-only', { text: t('seals.grantsOf', { name }) }),
          h('thead', {}, h('tr', {}, ['login', 'until', 'uses', 'approval', 'auto', 'actions'].map((c) => h('th', { scope: 'col', text: t('seals.grant.col.' + c) })))),
          h('tbody', {}, gs.map((g) => {
            const who = g.login ?? g.user?.login ?? g.user ?? '';
            const used = g.uses ?? g.used ?? g.use_count;
            const max = g.max_uses || null;
            return h('tr', {},
              h('td', { text: maskPII(who) }),
              h('td', { text: g.not_after ? fmtDate(g.not_after) : t('common.unlimited') }),
              h('td', { text: `${used ?? 0} / ${max ?? t('common.unlimited')}` }),
              h('td', { text: g.needs_approval ? t('common.yes') : t('common.no') }),
              h('td', { text: g.auto_sign ? t('common.yes') : t('common.no') }),
              h('td', {}, canManage ? h('button.btn.btn-ghost.btn-small', {
                type: 'button', text: t('seals.grant.remove'), 'aria-label': t('seals.grant.removeLabel', { login: who }),
                onclick: async (ev) => {
                  ev.currentTarget.disabled = true;
                  try { await api('DELETE', `/grants/${encodeURIComponent(g.id)}`); local.className = 'msg msg-ok'; local.textContent = t('seals.grant.removed'); ctx.announce(local.textContent); load(); }
                  catch (err) { local.className = 'msg msg-error'; local.textContent = errorText(err); }
                },
              }) : null));
          })))));
      } catch (err) {
        clear(list).append(h('p.msg.msg-error', { text: errorText(err) }));
      }
    }
    let form = null;
    if (canManage) {
      const login = field(t('seals.grant.login'), h('input', { type: 'text', autocomplete: 'off', autocapitalize: 'off', required: true }));
      const until = field(t('seals.grant.notAfter'), h('input', { type: 'date' }));
      const max = field(t('seals.grant.maxUses'), h('input', { type: 'number', min: 1, step: 1, inputmode: 'numeric' }), t('seals.grant.maxUsesHint'));
      const needs = h('input', { type: 'checkbox' });
      const auto = h('input', { type: 'checkbox' });
      form = h('form.grant-form', { novalidate: true, 'aria-label': t('seals.grant.add') },
        login.wrap, until.wrap, max.wrap,
        h('div', {}, h('label.check', {}, needs, t('seals.grant.needsApproval')), h('label.check', {}, auto, t('seals.grant.autoSign'))),
        h('div.span2', {}, h('button.btn', { type: 'submit', text: t('seals.grant.add') })));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const who = login.input.value.trim();
        if (!who) { login.input.setAttribute('aria-invalid', 'true'); login.input.focus(); return; }
        login.input.removeAttribute('aria-invalid');
        const body = { login: who, needs_approval: needs.checked, auto_sign: auto.checked };
        if (until.input.value) body.not_after = Math.floor(Date.parse(`${until.input.value}T23:59:59`) / 1000);
        if (max.input.value) body.max_uses = +max.input.value;
        try {
          await api('POST', `/seals/${encodeURIComponent(id)}/grants`, { json: body });
          local.className = 'msg msg-ok'; local.textContent = t('seals.grant.added', { login: who }); ctx.announce(local.textContent);
          form.reset(); load();
        } catch (err) { local.className = 'msg msg-error'; local.textContent = errorText(err); }
      });
    }
    const det = h('details', {}, h('summary', { text: t('seals.grants') }), local, list, form);
    det.addEventListener('toggle', () => { if (det.open) load(); });
    return det;
  }

  function card(s) {
    const id = sealId(s);
    const name = sealName(s);
    const [w, hh] = sealSize(s);
    const state = s.state || 'active';
    const hid = uid('seal');
    const actions = [];
    const act = (key, path, warn) => h('button.btn.btn-ghost.btn-small', {
      type: 'button', text: t(key),
      onclick: async () => {
        const reason = await reasonDialog(t('seals.action.title', { action: t(key), name }), warn, t('seals.action.confirm', { action: t(key) }));
        if (reason === null) return;
        try { await api('POST', `/seals/${encodeURIComponent(id)}/${path}`, { json: { reason } }); say(true, t('seals.action.done', { action: t(key) })); load(); msg.focus(); }
        catch (err) { say(false, errorText(err)); msg.focus(); }
      },
    });
    if (canAdmin && state === 'active') actions.push(act('seals.renew', 'renew', t('seals.action.renewWarn')));
    if (canAdmin && state === 'active') actions.push(act('seals.suspend', 'suspend'));
    if (canAdmin && state === 'suspended') actions.push(act('seals.resume', 'resume'));
    if (canAdmin && (state === 'active' || state === 'suspended')) actions.push(act('seals.revoke', 'revoke', t('seals.action.revokeWarn')));
    return h('article.card.seal-card', { 'aria-labelledby': hid },
      h('div.seal-card-head', {},
        h('img', { src: `${BASE}/seals/${encodeURIComponent(id)}/picture.svg`, alt: t('seals.pictureAlt', { name }), loading: 'lazy' }),
        h('div', {},
          h('h2', { id: hid, text: name }),
          stateBadge(state),
          h('dl.kv', {},
            h('dt', { text: t('seals.code') }), h('dd.mono', { text: sealCode(s) || id }),
            h('dt', { text: t('seals.kind') }), h('dd', { text: kindLabel(s.kind) }),
            ownerOf(s) || s.owner_name ? [h('dt', { text: t('seals.owner') }), h('dd', { text: s.owner_name ? maskPII(s.owner_name) : ownerText(ownerOf(s), orgs) })] : null,
            h('dt', { text: t('seals.size') }), h('dd', { text: w === hh ? `Ø ${mm(w)} mm` : `${mm(w)} × ${mm(hh)} mm` }),
            s.not_after || s.valid_until || s.valid_end ? [h('dt', { text: t('seals.validity') }), h('dd', { text: `${fmtDate(s.valid_start ?? s.not_before ?? s.valid_from ?? '')} – ${fmtDate(s.valid_end ?? s.not_after ?? s.valid_until)}` })] : null))),
      h('div.row', {},
        h('a.btn.btn-plain.btn-small', { href: `${BASE}/seals/${encodeURIComponent(id)}/seal.esl`, download: `${sealCode(s) || id}.esl`, text: t('seals.download') }),
        actions),
      canManage ? grantsBlock(s) : null);
  }

  async function load() {
    try {
      try { orgs = listOf(await api('GET', '/orgs')); } catch { orgs = []; }
      const seals = listOf(await api('GET', '/seals'));
      clear(grid);
      if (!seals.length) grid.append(h('p.empty', { text: t('seals.empty') }));
      for (const s of seals) grid.append(card(s));
    } catch (err) {
      clear(grid).append(h('p.msg.msg-error', { text: errorText(err) }));
    }
  }
  main.append(h('h1', { text: t('seals.title') }), h('p.lead', { text: t('seals.intro') }), msg, grid);
  load();
}
