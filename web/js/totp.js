// 动态口令 enrolment: POST /me/totp → {secret, otpauth_uri}; POST /me/totp/confirm {code}.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field, clear, uid } from './dom.js';
import { t } from './i18n.js';
import { api, errorText } from './api.js';

export function openTotpDialog(ctx) {
  const hid = uid('dlg');
  const body = h('div.dlg-body');
  const actions = h('div.dlg-actions');
  const dlg = h('dialog', { 'aria-labelledby': hid }, h('div.dlg-head', {}, h('h2', { id: hid, text: t('totp.title') })), body, actions);
  const close = h('button.btn.btn-plain', { type: 'button', text: t('common.close'), onclick: () => dlg.close() });
  const msg = h('p.msg', { role: 'status' });
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();

  function start() {
    clear(body); clear(actions);
    body.append(h('p', { text: ctx.user?.totp ? t('totp.already') : t('totp.intro') }), msg);
    const go = h('button.btn', { type: 'button', text: t('totp.start') });
    go.addEventListener('click', async () => {
      go.disabled = true;
      try { enrol(await api('POST', '/me/totp', { json: {} })); } catch (err) { msg.className = 'msg msg-error'; msg.textContent = errorText(err); go.disabled = false; }
    });
    actions.append(close, go);
    go.focus();
  }
  function enrol(res) {
    clear(body); clear(actions);
    const secret = String(res.secret || '');
    const code = field(t('totp.code'), h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }));
    const form = h('form', { id: uid('totp'), novalidate: true },
      h('dl.kv', {},
        h('dt', { text: t('totp.secret') }), h('dd.mono', { text: secret.replace(/(.{4})/g, '$1 ').trim() }),
        res.otpauth_uri ? [h('dt', { text: t('totp.uri') }), h('dd.mono', { text: res.otpauth_uri })] : null),
      msg, code.wrap);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api('POST', '/me/totp/confirm', { json: { code: code.input.value.trim() } });
        if (ctx.user) ctx.user.totp = true;
        clear(body).append(h('p.msg.msg-ok', { role: 'status', text: t('totp.done') }));
        clear(actions).append(close);
        close.focus();
      } catch (err) { msg.className = 'msg msg-error'; msg.textContent = errorText(err); code.input.select(); }
    });
    body.append(form);
    actions.append(close, h('button.btn', { type: 'submit', form: form.id, text: t('totp.confirm') }));
    code.input.focus();
  }
  start();
}
