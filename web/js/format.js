// Formatting helpers shared by the pages: kinds, states, dates, masking, seal fields.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { t, has, getLang } from './i18n.js';
import { h } from './dom.js';

export const KINDS = ['company', 'contract', 'finance', 'invoice', 'legal-rep', 'personal'];
export const ORG_KINDS = ['company', 'contract', 'finance', 'invoice', 'legal-rep'];
export const USER_KINDS = ['personal'];
export const TEMPLATES = {
  company: ['round42', 'round40'],
  contract: ['round40', 'round38'],
  finance: ['round40', 'round38'],
  invoice: ['oval40x30'],
  'legal-rep': ['square18', 'square20', 'square22', 'square25'],
  personal: ['square18', 'square20', 'square22', 'square25'],
};
const DEFAULT_SIZE = {
  company: [42, 42], contract: [40, 40], finance: [40, 40], invoice: [40, 30], 'legal-rep': [20, 20], personal: [20, 20],
};

export function kindLabel(kind) { return kind && has('kind.' + kind) ? t('kind.' + kind) : (kind || ''); }
export function stateLabel(state) { return state && has('state.' + state) ? t('state.' + state) : (state || ''); }
export function stateBadge(state) {
  return h('span.badge', { class: 'badge-' + String(state || 'unknown').replace(/[^a-z-]/gi, ''), text: stateLabel(state) });
}

export function fmtTime(v) {
  if (v === null || v === undefined || v === '') return '';
  let d;
  if (typeof v === 'number') d = new Date(v < 1e12 ? v * 1000 : v);
  else d = new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return d.toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  });
}
export function fmtDate(v) { const s = fmtTime(v); return s.split(/[ ,]+/)[0] || s; }

// Belt and braces: the server masks personal data; never show anything that still looks like it.
const ID_RE = /(?<![0-9A-Za-z])(\d{3})\d{11}(\d{3}[\dXx])(?![0-9A-Za-z])/g;
const CARD_RE = /(?<![0-9A-Za-z])(\d{4})\d{8,11}(\d{4})(?![0-9A-Za-z])/g;
const MOBILE_RE = /(?<![0-9A-Za-z])(1[3-9]\d)\d{4}(\d{4})(?![0-9A-Za-z])/g;
export function maskPII(v) {
  if (v === null || v === undefined) return '';
  return String(v)
    .replace(ID_RE, (m, a, b) => `${a}${'*'.repeat(11)}${b}`)
    .replace(CARD_RE, (m, a, b) => `${a} **** **** ${b}`)
    .replace(MOBILE_RE, (m, a, b) => `${a}****${b}`);
}

export function sealId(s) { return s.id ?? s.seal_id ?? s.code ?? s.seal_code; }
export function sealName(s) { return s.name ?? s.seal_name ?? s.text ?? (s.kind ? kindLabel(s.kind) : String(sealId(s))); }
export function sealCode(s) { return s.code ?? s.seal_code ?? s.es_id ?? (typeof s.id === 'string' ? s.id : ''); }
export function sealSize(s) {
  const w = +(s.width_mm ?? s.w_mm ?? (Array.isArray(s.size_mm) ? s.size_mm[0] : s.size_mm));
  const hh = +(s.height_mm ?? s.h_mm ?? (Array.isArray(s.size_mm) ? s.size_mm[1] : s.size_mm));
  const def = DEFAULT_SIZE[s.kind] || [40, 40];
  return [w > 0 ? w : def[0], hh > 0 ? hh : (w > 0 ? w : def[1])];
}
export function ownerOf(x) {
  if (x.owner) return x.owner;
  if (x.owner_kind === 'org' || (x.owner_org_id && !x.owner_login)) return { org_id: x.owner_org_id };
  if (x.owner_login) return { login: x.owner_login };
  return null;
}
export function ownerText(o, orgs) {
  if (!o) return '';
  if (typeof o === 'string') return maskPII(o);
  if (o.org_name || o.name) return maskPII(o.org_name || o.name);
  if (o.org_id !== undefined) {
    const org = (orgs || []).find((x) => String(x.id) === String(o.org_id));
    return org ? org.name : `#${o.org_id}`;
  }
  if (o.login) return o.login;
  return '';
}

// page_sizes_mm may be [[w,h],…] or [{w_mm,h_mm}|{width_mm,height_mm}|{w,h}, …]
export function pageSizes(doc) {
  const raw = doc.page_sizes_mm || doc.pages_mm || [];
  const out = raw.map((p) => {
    if (Array.isArray(p)) return [+p[0], +p[1]];
    return [+(p.w_mm ?? p.width_mm ?? p.w ?? p.width), +(p.h_mm ?? p.height_mm ?? p.h ?? p.height)];
  });
  const n = +doc.pages || out.length;
  while (out.length < n) out.push(out[out.length - 1] || [210, 297]);
  return out.map(([w, hh]) => [w > 0 ? w : 210, hh > 0 ? hh : 297]);
}

export function mm(v) { return (Math.round(v * 10) / 10).toFixed(1); }
