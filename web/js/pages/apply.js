// 印章申请 / Apply: owner, kind, text, live SVG preview, own applications.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear, debounce } from '../dom.js';
import { t } from '../i18n.js';
import { api, listOf, errorText, BASE } from '../api.js';
import { ORG_KINDS, USER_KINDS, TEMPLATES, ownerOf, kindLabel, stateBadge, fmtTime, ownerText, maskPII } from '../format.js';

export function render(main, ctx) {
  let orgs = [];
  const msg = h('div.msg', { role: 'status' });
  const ownerOrg = h('input', { type: 'radio', name: 'owner', value: 'org', checked: true });
  const ownerUser = h('input', { type: 'radio', name: 'owner', value: 'user' });
  const ownerSet = h('fieldset', {}, h('legend', { text: t('apply.owner') }),
    h('div.radio-row', {}, h('label', {}, ownerOrg, t('apply.ownerOrg')), h('label', {}, ownerUser, t('apply.ownerUser'))));
  const org = field(t('apply.org'), h('select', { name: 'org' }));
  const kind = field(t('apply.kind'), h('select', { name: 'kind' }));
  const tpl = field(t('apply.template'), h('select', { name: 'template' }));
  const text = field(t('apply.text'), h('input', { type: 'text', name: 'text', maxlength: 60, autocomplete: 'off' }), t('apply.textHint'));
  const submit = h('button.btn.btn-large', { type: 'submit', text: t('apply.submit') });

  const img = h('img', { alt: '', width: 240, height: 240 });
  const pmsg = h('p.msg.msg-warn', { role: 'status' });
  const preview = h('section.card', { 'aria-labelledby': 'pv-h' },
    h('h2', { id: 'pv-h', text: t('apply.preview') }),
    h('div.preview-box', {}, img, pmsg));

  const listBox = h('div', {}, h('p.empty', { text: t('common.loading') }));

  function isOrg() { return ownerOrg.checked; }
  function fillKinds() {
    const prev = kind.input.value;
    clear(kind.input);
    for (const k of (isOrg() ? ORG_KINDS : USER_KINDS)) kind.input.append(h('option', { value: k, text: kindLabel(k) }));
    if ([...kind.input.options].some((o) => o.value === prev)) kind.input.value = prev;
    org.wrap.hidden = !isOrg();
    fillTemplates();
  }
  function fillTemplates() {
    clear(tpl.input);
    tpl.input.append(h('option', { value: '', text: t('apply.templateDefault') }));
    for (const x of TEMPLATES[kind.input.value] || []) tpl.input.append(h('option', { value: x, text: x }));
  }
  function previewText() {
    const v = text.input.value.trim();
    if (v) return v;
    if (isOrg()) { const o = orgs.find((x) => String(x.id) === org.input.value); return o ? o.name : ''; }
    return ctx.user?.name || ctx.user?.login || '';
  }
  let pvSeq = 0;
  const updatePreview = debounce(() => {
    const q = new URLSearchParams({ kind: kind.input.value, text: previewText() });
    if (tpl.input.value) q.set('template', tpl.input.value);
    const url = `${BASE}/seal-preview.svg?${q}`;
    const my = ++pvSeq;
    img.onload = () => { if (my === pvSeq) { pmsg.textContent = ''; img.hidden = false; } };
    img.onerror = async () => {
      if (my !== pvSeq) return;
      img.hidden = true;
      try { await api('GET', `/seal-preview.svg?${q}`); pmsg.textContent = t('apply.previewUnavailable'); }
      catch (err) { pmsg.textContent = err.status === 404 ? t('apply.previewUnavailable') : t('apply.previewError', { msg: errorText(err) }); }
    };
    img.alt = t('apply.previewAlt', { kind: kindLabel(kind.input.value) });
    img.src = url;
  }, 300);

  ownerOrg.addEventListener('change', () => { fillKinds(); updatePreview(); });
  ownerUser.addEventListener('change', () => { fillKinds(); updatePreview(); });
  kind.input.addEventListener('change', () => { fillTemplates(); updatePreview(); });
  for (const el of [tpl.input, org.input]) el.addEventListener('change', updatePreview);
  text.input.addEventListener('input', updatePreview);

  const form = h('form.card', { novalidate: true, 'aria-labelledby': 'ap-h' },
    h('h2', { id: 'ap-h', text: t('apply.title') }), msg, ownerSet, org.wrap, kind.wrap, tpl.wrap, text.wrap, submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.className = 'msg'; msg.textContent = '';
    const body = { owner: isOrg() ? { org_id: /^\d+$/.test(org.input.value) ? +org.input.value : org.input.value } : { login: ctx.user.login }, kind: kind.input.value };
    if (text.input.value.trim()) body.text = text.input.value.trim();
    if (tpl.input.value) body.template = tpl.input.value;
    submit.disabled = true;
    try {
      const res = await api('POST', '/seal-applications', { json: body });
      msg.className = 'msg msg-ok'; msg.textContent = t('apply.submitted', { id: res?.id ?? '' });
      ctx.announce(msg.textContent);
      text.input.value = '';
      loadList();
    } catch (err) {
      msg.className = 'msg msg-error'; msg.textContent = errorText(err);
    } finally { submit.disabled = false; }
  });

  async function loadList() {
    try {
      const apps = listOf(await api('GET', '/seal-applications'))
        .filter((a) => !a.applicant || !ctx.user || (a.applicant.login ?? a.applicant) === ctx.user.login || a.mine);
      clear(listBox);
      if (!apps.length) { listBox.append(h('p.empty', { text: t('common.empty') })); return; }
      listBox.append(h('div.table-wrap', { tabindex: 0, role: 'region', 'aria-label': t('apply.mine') }, h('table', {},
        h('caption.sr-only', { text: t('apply.mine') }),
        h('thead', {}, h('tr', {}, ['id', 'kind', 'owner', 'text', 'state', 'time', 'note'].map((c) => h('th', { scope: 'col', text: t('apply.col.' + c) })))),
        h('tbody', {}, apps.map((a) => h('tr', {},
          h('td', { text: a.id }), h('td', { text: kindLabel(a.kind) }), h('td', { text: ownerText(ownerOf(a), orgs) || maskPII(a.owner_name || '') }),
          h('td', { text: maskPII(a.text || '') }), h('td', {}, stateBadge(a.state)),
          h('td', { text: fmtTime(a.created_at ?? a.submitted_at ?? a.time) }), h('td', { text: maskPII(a.reason ?? a.decision_reason ?? '') })))))));
    } catch (err) {
      clear(listBox).append(h('p.msg.msg-error', { text: errorText(err) }));
    }
  }

  main.append(h('h1', { text: t('apply.title') }), h('p.lead', { text: t('apply.intro') }),
    h('div.grid-2', {}, form, preview),
    h('section', { 'aria-labelledby': 'mine-h' }, h('h2', { id: 'mine-h', text: t('apply.mine') }), listBox));

  fillKinds();
  (async () => {
    try { orgs = listOf(await api('GET', '/orgs')); } catch { orgs = []; }
    clear(org.input);
    if (!orgs.length && ctx.user?.org_id != null) orgs = [{ id: ctx.user.org_id, name: `#${ctx.user.org_id}` }];
    for (const o of orgs) org.input.append(h('option', { value: o.id, text: o.name }));
    if (!orgs.length) { org.input.append(h('option', { value: '', text: t('apply.noOrg') })); ownerUser.checked = true; fillKinds(); }
    if (ctx.user?.org_id != null && orgs.some((o) => String(o.id) === String(ctx.user.org_id))) org.input.value = String(ctx.user.org_id);
    updatePreview();
  })();
  loadList();
}
