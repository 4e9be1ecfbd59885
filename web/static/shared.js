// What the views share: the filters the UI offers, how the URL's filters become API
// parameters, page limits, the page's elements (main, the search form, the status line)
// and navigation to another URL.

// [URL key, label, facet name in the API's response]
export const FILTERS = [
  ["kommun", "Kommun", "kommun"],
  ["namnd", "Nämnd", "namnd"],
  ["ar", "År", "ar"],
  ["dokumenttyp", "Dokumenttyp", "dokumenttyp"],
  ["roll", "Ställningstagande", "roll"],
  ["parti", "Parti", "parti"],
  ["ref", "Hänvisar till", "referenser"],
];
export const UNKNOWN = new Set(["okänd", "okänt"]); // facet values that cannot be filtered on
export const DEFAULT_LIMIT = 20;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export const SORTS = [
  ["relevans", "Relevans"],
  ["nyast", "Nyast först"],
  ["aldst", "Äldst först"],
];
export const MAX_LIMIT = 50;
export const WIDE = "(min-width: 56rem)";

export const main = document.getElementById("main");
export const statusLine = document.getElementById("status");
export const form = document.getElementById("search-form");
export const input = document.getElementById("q");
export const submit = document.getElementById("submit");

/** The URL's filters as the API's parameters (search and questions take the same ones). */
export function apiFilters(state) {
  const out = {
    kommun: state.kommun,
    namnd: state.namnd,
    dokumenttyp: state.dokumenttyp,
    roll: state.roll,
    parti: state.parti,
    ref: state.ref,
  };
  if (state.ar && /^\d{4}$/.test(state.ar)) {
    out.from = `${state.ar}-01-01`;
    out.to = `${state.ar}-12-31`;
  } else {
    // A chosen year is the date range; otherwise the range typed in the form.
    if (ISO_DATE.test(state.from || "")) out.from = state.from;
    if (ISO_DATE.test(state.to || "")) out.to = state.to;
  }
  return out;
}

let renderView = () => {};

/** app.js hands over its renderer, so a view can navigate without importing app.js. */
export function setRenderer(renderer) {
  renderView = renderer;
}

export function navigate(url, { focus = "heading" } = {}) {
  history.replaceState({ ...(history.state || {}), scrollY: window.scrollY }, "");
  history.pushState({ focus }, "", url);
  renderView({ focus });
}
