// Tiny DOM builder: h('tag.class', {attrs}, ...children). No innerHTML anywhere.
// SPDX-License-Identifier: AGPL-3.0-or-later
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'class') el.className = [el.className, v].filter(Boolean).join(' ');
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let seq = 0;
export function uid(prefix = 'f') { seq += 1; return `${prefix}-${seq}`; }

// A labelled form field: returns {wrap, input}.
export function field(label, input, hint) {
  const id = input.id || uid('in');
  input.id = id;
  const kids = [h('label', { for: id, text: label })];
  if (hint) {
    const hid = uid('hint');
    input.setAttribute('aria-describedby', hid);
    kids.push(input, h('p.hint', { id: hid, text: hint }));
  } else kids.push(input);
  return { wrap: h('div.field', {}, kids), input };
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
