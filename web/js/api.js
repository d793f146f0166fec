// JSON client for /api/v1: cookie session, X-CSRF-Token on every write, errors as ApiError.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { t, has } from './i18n.js';

export const BASE = '/api/v1';
const CSRF_KEY = 'eseal.csrf';
let csrf = '';
try { csrf = sessionStorage.getItem(CSRF_KEY) || ''; } catch { /* storage off */ }

export function setCsrf(token) {
  csrf = token || '';
  try { if (csrf) sessionStorage.setItem(CSRF_KEY, csrf); else sessionStorage.removeItem(CSRF_KEY); } catch { /* */ }
}

export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.extra = extra;
  }
}

// api('POST', '/seals/1/revoke', {json: {...}}) or {body: Blob, type: 'application/pdf', headers: {...}}
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  let body;
  if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
  else if (opts.body !== undefined) { body = opts.body; if (opts.type) headers['Content-Type'] = opts.type; }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('err.network'));
  }
  const ctype = res.headers.get('Content-Type') || '';
  let data = null;
  if (res.status !== 204) {
    if (ctype.includes('json')) { try { data = await res.json(); } catch { data = null; } }
    else if (opts.blob) data = await res.blob();
    else { try { data = await res.text(); } catch { data = null; } }
  }
  if (!res.ok) {
    const e = (data && typeof data === 'object' && data.error) || {};
    const err = new ApiError(res.status, e.code, e.message, {
      ...e, retryAfter: res.headers.get('Retry-After'),
    });
    if (res.status === 401 && !opts.noAuthEvent) window.dispatchEvent(new CustomEvent('eseal:unauthorized'));
    throw err;
  }
  return data;
}

// Find the array in a list response: [..] or {items: [..]} or {seals: [..]} …
export function listOf(data) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object') {
    for (const k of ['items', 'results', 'data', 'list']) if (Array.isArray(data[k])) return data[k];
    for (const v of Object.values(data)) if (Array.isArray(v)) return v;
  }
  return [];
}

// Human text for an error, in the current language when the code is known.
export function errorText(err) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  if (err.code === 'network') return t('err.network');
  const code = String(err.code || '').toLowerCase();
  if (/lock|rate_limited/.test(code) || err.status === 429) {
    const secs = lockSeconds(err);
    return secs ? t('err.locked', { minutes: Math.max(1, Math.ceil(secs / 60)) }) : t('err.lockedNoTime');
  }
  if (code && has('err.' + code)) return t('err.' + code);
  if (/csrf/.test(code)) return t('err.csrf');
  if (err.message && err.message !== code) return err.message;
  if (err.status === 401) return t('err.unauthorized');
  if (err.status === 403) return t('err.forbidden');
  if (err.status === 404) return t('err.not_found');
  return t('err.http', { status: err.status });
}

export function lockSeconds(err) {
  const x = err.extra || {};
  for (const k of ['retry_after', 'retry_after_seconds', 'locked_for', 'locked_seconds', 'seconds']) {
    if (Number.isFinite(+x[k]) && +x[k] > 0) return +x[k];
  }
  if (x.locked_until) {
    const ms = Date.parse(x.locked_until) - Date.now();
    if (ms > 0) return ms / 1000;
  }
  if (x.retryAfter && Number.isFinite(+x.retryAfter)) return +x.retryAfter;
  const m = /(\d+)\s*(s|sec|seconds|秒)\b/i.exec(err.message || '');
  if (m) return +m[1];
  const mm = /(\d+)\s*(min|minutes|分钟)/i.exec(err.message || '');
  if (mm) return +mm[1] * 60;
  return 0;
}
