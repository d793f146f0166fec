// Shell: header, navigation, session, hash router.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h, clear } from './dom.js';
import { t, getLang, setLang, applyDocumentLang } from './i18n.js';
import { api, setCsrf } from './api.js';
import { openTotpDialog } from './totp.js';
import { openPasswordDialog } from './password.js';
import * as login from './pages/login.js';
import * as apply from './pages/apply.js';
import * as review from './pages/review.js';
import * as seals from './pages/seals.js';
import * as sign from './pages/sign.js';
import * as approvals from './pages/approvals.js';
import * as verify from './pages/verify.js';
import * as audit from './pages/audit.js';

const ROUTES = { login, apply, review, seals, sign, approvals, verify, audit };
const NAV = ['apply', 'review', 'seals', 'sign', 'approvals', 'verify', 'audit'];
const PUBLIC = new Set(['login', 'verify']);
const USER_KEY = 'eseal.user';

const ctx = {
  user: null,
  announce,
  navigate(route) { if (location.hash === '#/' + route) render(); else location.hash = '#/' + route; },
  loggedIn(data) {
    setCsrf(data.csrf_token);
    sign.reset();
    ctx.user = data.user || null;
    try { sessionStorage.setItem(USER_KEY, JSON.stringify(ctx.user)); } catch { /* */ }
  },
  async logout() {
    try { await api('DELETE', '/session', { noAuthEvent: true }); } catch { /* session may be gone already */ }
    forget();
    ctx.navigate('login');
  },
};

function forget() {
  setCsrf('');
  sign.reset();
  ctx.user = null;
  try { sessionStorage.removeItem(USER_KEY); } catch { /* */ }
}

try { ctx.user = JSON.parse(sessionStorage.getItem(USER_KEY) || 'null'); } catch { ctx.user = null; }

let cleanup = null;
let lastRoute = null;

function currentRoute() {
  const r = (location.hash.replace(/^#\/?/, '').split(/[/?]/)[0]) || '';
  if (r in ROUTES) return r;
  return ctx.user ? 'sign' : 'login';
}

export function announce(msg) {
  const live = document.getElementById('live');
  live.textContent = '';
  setTimeout(() => { live.textContent = msg; }, 30);
}

function renderHeader(route) {
  const top = clear(document.getElementById('topbar'));
  const brand = h('a.brand', { href: ctx.user ? '#/sign' : '#/login' },
    h('img', { src: 'icons/logo.svg', alt: '', width: 32, height: 32 }),
    h('span.brand-text', {}, h('span.brand-name', { text: t('app.name') }), h('span.brand-tag', { text: t('app.tagline') })));
  const tools = h('div.tools', {},
    h('button.linklike', {
      type: 'button', lang: getLang() === 'zh' ? 'en' : 'zh-CN', 'aria-label': t('lang.switch.label'), text: t('lang.switch'),
      onclick: () => {
        setLang(getLang() === 'zh' ? 'en' : 'zh');
        render(true);
        const b = document.querySelector('#topbar .linklike');
        if (b) b.focus();
      },
    }),
    ctx.user ? h('span.who', { text: t('user.signedIn', { login: ctx.user.login }) }) : null,
    ctx.user ? h('button.linklike', { type: 'button', text: t('totp.open'), title: t('totp.openLabel'), onclick: () => openTotpDialog(ctx) }) : null,
    ctx.user ? h('button.linklike', { type: 'button', text: t('password.open'), onclick: () => openPasswordDialog(ctx) }) : null,
    ctx.user ? h('button.btn.btn-ghost.btn-small', { type: 'button', text: t('user.logout'), onclick: () => ctx.logout() }) : null);
  const items = (ctx.user ? NAV : ['verify', 'login']).map((r) => h('li', {},
    h('a', { href: '#/' + r, 'aria-current': r === route ? 'page' : null, text: t('nav.' + r) })));
  top.append(h('div.topbar-inner', {}, brand, tools),
    h('nav.mainnav', { 'aria-label': t('nav.label') }, h('ul', {}, items)));
  document.getElementById('skip').textContent = t('skip');
  const foot = clear(document.getElementById('footer'));
  foot.append(h('p', {}, 'eseal · AGPL-3.0-or-later'));
}

async function render(keepFocus) {
  applyDocumentLang();
  let route = currentRoute();
  if (!ctx.user && !PUBLIC.has(route)) route = 'login';
  if (ctx.user && route === 'login') route = 'sign';
  if (cleanup) { try { cleanup(); } catch { /* */ } cleanup = null; }
  renderHeader(route);
  const main = clear(document.getElementById('main'));
  main.className = 'page-' + route;
  const res = ROUTES[route].render(main, ctx);
  cleanup = typeof res === 'function' ? res : null;
  if (!keepFocus && lastRoute !== null && lastRoute !== route) main.focus({ preventScroll: false });
  lastRoute = route;
}

window.addEventListener('hashchange', () => render());
window.addEventListener('eseal:unauthorized', () => {
  if (!ctx.user) return;
  forget();
  announce(t('err.unauthorized'));
  ctx.navigate('login');
});

render();

// A stored session may have ended on the server: ask who we are (GET /me); a 401 logs out.
if (ctx.user) {
  api('GET', '/me').then((me) => {
    const u = me && (me.user || me);
    if (u && u.login) { ctx.user = u; try { sessionStorage.setItem(USER_KEY, JSON.stringify(u)); } catch { /* */ } }
  }).catch(() => { /* 401 is handled by the event; other errors: keep going */ });
}
