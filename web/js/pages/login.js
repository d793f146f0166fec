// 登录 / Log in.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, field } from '../dom.js';
import { t } from '../i18n.js';
import { api, errorText } from '../api.js';

export function render(main, ctx) {
  const msg = h('div.msg.msg-error', { role: 'alert' });
  const login = field(t('login.login'), h('input', { type: 'text', name: 'login', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' }));
  const pw = field(t('login.password'), h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true }));
  const totp = field(t('login.totp'), h('input', { type: 'text', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6 }), t('login.totpHint'));
  totp.wrap.hidden = true;
  const btn = h('button.btn.btn-large', { type: 'submit', text: t('login.submit') });

  const form = h('form.card.login-card', { novalidate: true, 'aria-labelledby': 'login-h' },
    h('h2', { id: 'login-h', text: t('login.title') }),
    msg, login.wrap, pw.wrap, totp.wrap, btn);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    const body = { login: login.input.value.trim(), password: pw.input.value };
    if (!body.login || !body.password) { msg.textContent = t('login.required'); (body.login ? pw : login).input.focus(); return; }
    if (!totp.wrap.hidden && totp.input.value.trim()) body.totp = totp.input.value.trim();
    btn.disabled = true; btn.textContent = t('login.busy');
    try {
      const data = await api('POST', '/session', { json: body, noAuthEvent: true });
      ctx.loggedIn(data);
      ctx.navigate(location.hash.replace(/^#\/?/, '') && !/^login/.test(location.hash.replace(/^#\/?/, '')) ? location.hash.replace(/^#\/?/, '') : 'sign');
    } catch (err) {
      btn.disabled = false; btn.textContent = t('login.submit');
      const code = `${err.code || ''} ${err.message || ''}`.toLowerCase();
      if (/totp|one-time|second_factor|2fa/.test(code) && totp.wrap.hidden) {
        totp.wrap.hidden = false;
        msg.textContent = t('login.totpNeeded');
        totp.input.focus();
        return;
      }
      msg.textContent = errorText(err);
      if (/totp|otp/.test(code)) { totp.input.select(); totp.input.focus(); } else { pw.input.select(); pw.input.focus(); }
    }
  });

  main.append(h('div.login-wrap', {},
    h('section.login-hero', { 'aria-labelledby': 'hero-h' },
      h('h1', { id: 'hero-h', text: t('app.name') }),
      h('img.seal-art', { src: 'icons/logo.svg', alt: '' }),
      h('p.lead', { text: t('login.intro') }),
      h('p', {}, t('login.verifyHint'), ' ', h('a', { href: '#/verify', text: t('login.verifyLink') }))),
    form));
  setTimeout(() => login.input.focus(), 0);
}
