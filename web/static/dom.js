// DOM helpers. Every piece of document text reaches the page through text nodes
// (textContent / createTextNode), never through HTML parsing: the documents are untrusted.

/**
 * Create an element: h("a", {href: "…", class: "x"}, "text", child, …).
 * Attributes are set with setAttribute (values are never parsed as HTML); children that are
 * strings become text nodes; null, undefined and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/**
 * The API counts offsets in Unicode code points (Python strings); JavaScript strings count
 * UTF-16 units. Returns a function from code-point offset to UTF-16 offset for `text`
 * (the identity when the text has no characters outside the Basic Multilingual Plane).
 */
export function offsetMapper(text) {
  if (!/[\uD800-\uDFFF]/.test(text)) {
    return (offset) => Math.max(0, Math.min(offset, text.length));
  }
  const units = [];
  let position = 0;
  for (const character of text) {
    units.push(position);
    position += character.length;
  }
  units.push(position);
  return (offset) => units[Math.max(0, Math.min(offset, units.length - 1))];
}

/**
 * `text` as a fragment of text nodes, with the [start, end] code-point ranges wrapped in
 * <mark> elements. Ranges may be unsorted, overlapping or out of bounds.
 */
export function highlighted(text, ranges, markClass = null) {
  const toUnits = offsetMapper(text);
  const spans = (ranges || [])
    .map(([start, end]) => [toUnits(start), toUnits(end)])
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const fragment = document.createDocumentFragment();
  let position = 0;
  for (const [start, end] of spans) {
    if (end <= position) continue;
    const from = Math.max(start, position);
    if (from > position) fragment.append(document.createTextNode(text.slice(position, from)));
    fragment.append(h("mark", { class: markClass }, text.slice(from, end)));
    position = end;
  }
  if (position < text.length) fragment.append(document.createTextNode(text.slice(position)));
  return fragment;
}

/** "Eskilstuna · Socialnämnden · 2023-09-26": the present values joined by a middle dot. */
export function dotted(...values) {
  return values.filter((v) => v !== null && v !== undefined && v !== "").join(" · ");
}

export function capitalize(word) {
  return word ? word.charAt(0).toLocaleUpperCase("sv") + word.slice(1) : word;
}
