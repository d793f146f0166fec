// Language selection and string lookup. Catalogues: ../i18n/zh.js, ../i18n/en.js.
// SPDX-License-Identifier: AGPL-3.0-or-later
import zh from '../i18n/zh.js';
import en from '../i18n/en.js';

const catalogues = { zh, en };
const KEY = 'eseal.lang';
let lang = 'zh';
try { const saved = localStorage.getItem(KEY); if (saved in catalogues) lang = saved; } catch { /* storage off */ }

export function getLang() { return lang; }

export function setLang(next) {
  if (!(next in catalogues)) return;
  lang = next;
  try { localStorage.setItem(KEY, next); } catch { /* storage off */ }
  applyDocumentLang();
}

export function applyDocumentLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.name');
}

export function has(key) { return key in catalogues[lang]; }

export function t(key, vars) {
  let s = catalogues[lang][key] ?? catalogues.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] ?? vars[k] === 0 ? String(vars[k]) : m));
  return s;
}
