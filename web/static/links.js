// The URL is the state of the UI: its keys, links built from them, and small shared pieces
// of markup (tags, in-app links). Every view is a URL, so every view is a shareable link.

import { h } from "./dom.js";

export const SEARCH_KEYS = [
  "q",
  "mode",
  "kommun",
  "namnd",
  "ar",
  "dokumenttyp",
  "roll",
  "parti",
  "ref",
  "from",
  "to",
  "sort",
  "limit",
  "sida",
];
export const DOC_KEYS = ["doc", "paragraf", "del", "chunk", "start", "end"];
// An ärende page, and "Liknande" for a § (with its dokumenttyp and other-kommuner filters);
// the Täckning page and the print view of one § (follow.js).
export const VIEW_KEYS = ["arende", "liknande", "liktyp", "andra", "tackning", "utskrift"];
const ALL_KEYS = [...SEARCH_KEYS, ...DOC_KEYS, ...VIEW_KEYS];

export function readState() {
  const params = new URLSearchParams(location.search);
  const state = {};
  for (const key of ALL_KEYS) {
    const value = params.get(key);
    if (value !== null && value.trim() !== "") state[key] = value;
  }
  if (state.mode !== "fraga") delete state.mode;
  return state;
}

/** A URL for `state` with the keys in a fixed order (so equal states give equal links). */
export function urlFor(state) {
  const params = new URLSearchParams();
  for (const key of ALL_KEYS) {
    const value = state[key];
    if (value !== null && value !== undefined && value !== "") params.set(key, value);
  }
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

/** The search (query, mode and filters) of a state, kept by links so "Tillbaka" works. */
export function searchPart(state) {
  const out = {};
  for (const key of SEARCH_KEYS) if (state[key]) out[key] = state[key];
  return out;
}

/** Link to a place in a document, keeping the search so "Tillbaka" can return to it. */
export function documentUrl(state, place) {
  return urlFor({ ...searchPart(state), ...place });
}

/** The place of a § (by its number) or of a part without § (by its id) in its document. */
export function unitPlace(unit) {
  return unit.paragraf
    ? { doc: unit.document_id, paragraf: unit.paragraf }
    : { doc: unit.document_id, del: unit.part_id };
}

export function arendeUrl(state, id) {
  return urlFor({ ...searchPart(state), arende: id });
}

export function liknandeUrl(state, paragraphId, extra = {}) {
  return urlFor({ ...searchPart(state), liknande: paragraphId, ...extra });
}

/** An in-app link: the click handler in app.js turns it into a pushState navigation. */
export function route(href, attrs, ...children) {
  return h("a", { href, "data-route": true, ...attrs }, ...children);
}

export function tag(text, extra = "") {
  return h("span", { class: `tag ${extra}`.trim() }, text);
}

export function paragrafLabel(paragraf) {
  return paragraf ? `§ ${paragraf}` : null;
}
