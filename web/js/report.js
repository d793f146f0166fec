// Renders a verification report (POST /verify) for people: verdict, each signature in plain words, details folded.
// SPDX-License-Identifier: AGPL-3.0-or-later
import { h } from './dom.js';
import { t, has, getLang } from './i18n.js';
import { fmtTime, maskPII, mm, kindLabel } from './format.js';

export function verdictClass(v) {
  if (v === 'TOTAL_PASSED') return 'ok';
  if (v === 'TOTAL_FAILED') return 'bad';
  return 'unknown';
}

export function verdictWord(v) {
  return has('verify.' + v) ? t('verify.' + v) : t('verify.INDETERMINATE');
}

function findingList(list) {
  if (!list || !list.length) return h('p.hint', { text: t('verify.noFindings') });
  return h('ul.findings', {}, list.map((f) => {
    const sev = String(f.severity || 'info').toLowerCase();
    const text = (getLang() === 'zh' ? f.zh || f.en : f.en || f.zh) || f.message || f.code || '';
    return h('li', { class: 'sev-' + sev.replace(/[^a-z]/g, '') },
      h('strong', { text: (has('verify.severity.' + sev) ? t('verify.severity.' + sev) : sev) + '：' }), maskPII(text), ' ',
      f.code ? h('span.code', { text: `(${f.code})` }) : null);
  }));
}

function timeText(s) {
  const when = fmtTime(s.signing_time ?? s.time);
  if (!when) return '';
  const src = String(s.time_source || 'unknown').toLowerCase();
  const key = has('verify.source.' + src) ? 'verify.source.' + src : (/tsa|stamp/.test(src) ? 'verify.source.tsa' : 'verify.source.unknown');
  return getLang() === 'zh' ? `${when}（${t(key)}）` : `${when} (${t(key)})`;
}

// report → element. opts.label: accessible name of the region; opts.fileName shown when given.
export function renderReport(report, opts = {}) {
  const v = report?.verdict || 'UNREADABLE';
  const cls = verdictClass(v);
  const sigs = report?.signatures || [];
  const region = h('section.report', { role: 'region', 'aria-label': opts.label || t('verify.result') });
  region.append(h('div.verdict', { class: 'verdict-' + cls },
    h('span.verdict-icon', { 'aria-hidden': 'true', text: cls === 'ok' ? '✓' : cls === 'bad' ? '✕' : '?' }),
    h('div', {},
      h('p.verdict-word', { text: verdictWord(v) }),
      h('p', { text: t('verify.explain.' + (has('verify.explain.' + v) ? v : 'INDETERMINATE')) }),
      h('p.hint', { text: [opts.fileName ? t('verify.file', { name: opts.fileName }) : '', sigs.length ? t('verify.count', { n: sigs.length }) : ''].filter(Boolean).join(' · ') }))));
  sigs.forEach((s, i) => {
    const sv = s.verdict || v;
    const p = s.picture;
    region.append(h('article.sig', { 'aria-label': t('verify.signature', { i: i + 1 }) },
      h('div.sig-head', {},
        h('h3', { text: `${t('verify.signature', { i: i + 1 })} · ${maskPII(s.seal_name || s.signer || '')}` }),
        h('span.badge', { class: 'badge-' + (cls === 'ok' && sv === 'TOTAL_PASSED' ? 'active' : verdictClass(sv) === 'bad' ? 'revoked' : verdictClass(sv) === 'ok' ? 'active' : 'pending'), text: verdictWord(sv) })),
      h('dl.kv', {},
        h('dt', { text: t('verify.sealName') }), h('dd', { text: maskPII(s.seal_name || '—') }),
        h('dt', { text: t('verify.signer') }), h('dd', { text: maskPII(s.signer || '—') }),
        s.organisation ? [h('dt', { text: t('verify.organisation') }), h('dd', { text: maskPII(s.organisation) })] : null,
        h('dt', { text: t('verify.time') }), h('dd', { text: timeText(s) || '—' })),
      h('details.more', {}, h('summary', { text: t('verify.details') }),
        h('dl.kv', {},
          s.seal_code ? [h('dt', { text: t('verify.sealCode') }), h('dd.mono', { text: s.seal_code })] : null,
          s.kind ? [h('dt', { text: t('verify.kind') }), h('dd', { text: kindLabel(s.kind) })] : null,
          s.level ? [h('dt', { text: t('verify.level') }), h('dd', { text: s.level })] : null,
          p ? [h('dt', { text: t('verify.position') }), h('dd', { text: t('verify.positionText', { page: p.page, x: mm(+p.x_mm || 0), y: mm(+p.y_mm || 0), w: mm(+p.w_mm || 0), h: mm(+p.h_mm || 0) }) })] : null),
        h('h4', { text: t('verify.findings') }), findingList(s.findings))));
  });
  if (report?.findings?.length) {
    region.append(h('details.more', {}, h('summary', { text: t('verify.docFindings') }), findingList(report.findings)));
  }
  return region;
}
