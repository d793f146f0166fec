// 修改密码: POST /me/password {current_password, new_password, totp?}.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear, uid } from './dom.js';
import { t } from './i18n.js';
import { api, errorText } from './api.js';

export function openPasswordDialog(ctx) {
  const hid = uid('dlg');
  const body = h('div.dlg-body');
  const actions = h('div.dlg-actions');
  const dlg = h('dialog', { 'aria-labelledby': hid }, h('div.dlg-head', {}, h('h2', { id: hid, text: t('password.title') })), body, actions);
  const close = h('button.btn.btn-plain', { type: 'button', text: t('common.close'), onclick: () => dlg.close() });
  const msg = h('p.msg', { role: 'alert' });
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);

  const cur = field(t('password.current'), h('input', { type: 'password', autocomplete: 'current-password' }));
  const next = field(t('password.new'), h('input', { type: 'password', autocomplete: 'new-password' }));
  const again = field(t('password.again'), h('input', { type: 'password', autocomplete: 'new-password' }));
  const otp = ctx.user?.totp ? field(t('totp.code'), h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 })) : null;
  const form = h('form', { id: uid('pw'), novalidate: true },
    h('p', { text: t('password.intro') }), msg, cur.wrap, next.wrap, again.wrap, otp ? otp.wrap : null);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.className = 'msg msg-error';
    if (!cur.input.value || !next.input.value) { msg.textContent = t('password.required'); (cur.input.value ? next : cur).input.focus(); return; }
    if (next.input.value !== again.input.value) { msg.textContent = t('password.mismatch'); again.input.select(); return; }
    const req = { current_password: cur.input.value, new_password: next.input.value };
    if (otp) req.totp = otp.input.value.trim();
    try {
      await api('POST', '/me/password', { json: req });
      clear(body).append(h('p.msg.msg-ok', { role: 'status', text: t('password.done') }));
      clear(actions).append(close);
      close.focus();
    } catch (err) { msg.textContent = errorText(err); cur.input.select(); }
  });
  body.append(form);
  actions.append(close, h('button.btn', { type: 'submit', form: form.id, text: t('password.submit') }));
  dlg.showModal();
  cur.input.focus();
}
