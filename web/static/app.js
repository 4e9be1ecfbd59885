// Nämndsök web UI: search, filters, answers with citations, a document view, ärenden and
// "Liknande". Plain ES modules, no build step. All state lives in the URL (shareable links;
// back and forward work through history.pushState and popstate). Document text is untrusted
// and only ever reaches the page as text nodes (see dom.js).

import { ApiError, getJSON } from "./api.js";
import {
  arendeView,
  liknandeView,
  partyLabel,
  ROLE_LABELS,
  unitBar,
} from "./arende.js";
import { capitalize, clear, dotted, h, highlighted, offsetMapper } from "./dom.js";
import {
  citeTools,
  coverageView,
  followTools,
  printView,
  safeUrl,
  searchCsvUrl,
  searchFeedUrl,
  setFeed,
  sourceLine,
} from "./follow.js";
import {
  arendeUrl,
  documentUrl,
  paragrafLabel,
  readState,
  route,
  searchPart,
  tag,
  urlFor,
} from "./links.js";

// [URL key, label, facet name in the API's response]
const FILTERS = [
  ["kommun", "Kommun", "kommun"],
  ["namnd", "Nämnd", "namnd"],
  ["ar", "År", "ar"],
  ["dokumenttyp", "Dokumenttyp", "dokumenttyp"],
  ["roll", "Ställningstagande", "roll"],
  ["parti", "Parti", "parti"],
  ["ref", "Hänvisar till", "referenser"],
];
// Filters the question answerer does not take: a question ignores them, and says so.
const SEARCH_ONLY = new Set(["roll", "parti", "ref"]);
const UNKNOWN = new Set(["okänd", "okänt"]); // facet values that cannot be filtered on
const DEFAULT_LIMIT = 20;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const SORTS = [
  ["relevans", "Relevans"],
  ["nyast", "Nyast först"],
  ["aldst", "Äldst först"],
];
const MAX_LIMIT = 50;
const WIDE = "(min-width: 56rem)";

const main = document.getElementById("main");
const statusLine = document.getElementById("status");
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const submit = document.getElementById("submit");

let renderCount = 0; // a newer render makes older, still loading ones drop their result

// --- the URL -----------------------------------------------------------------------------

function apiFilters(state, { search = true } = {}) {
  const out = { kommun: state.kommun, namnd: state.namnd, dokumenttyp: state.dokumenttyp };
  if (search) Object.assign(out, { roll: state.roll, parti: state.parti, ref: state.ref });
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

function navigate(url, { focus = "heading" } = {}) {
  history.replaceState({ ...(history.state || {}), scrollY: window.scrollY }, "");
  history.pushState({ focus }, "", url);
  render({ focus });
}

window.addEventListener("popstate", () => render({ restore: true }));

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-route]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"), { focus: link.dataset.focus || "heading" });
});

// --- the search form -----------------------------------------------------------------------

function syncForm(state) {
  input.value = state.q || "";
  const mode = state.mode === "fraga" ? "fraga" : "sok";
  for (const radio of form.elements.mode) radio.checked = radio.value === mode;
  submit.textContent = mode === "fraga" ? "Fråga" : "Sök";
  input.placeholder =
    mode === "fraga" ? "Fråga, t.ex. Vem är ordförande?" : "Sök, t.ex. vräkning";
}

function formMode() {
  return form.elements.mode.value === "fraga" ? "fraga" : undefined;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const q = input.value.trim();
  if (!q) {
    input.focus();
    return;
  }
  const state = readState();
  // Focus stays in the search box (to refine the query); the status line announces the count.
  navigate(urlFor({ ...searchPart(state), q, mode: formMode(), limit: undefined, sida: undefined }), {
    focus: "none",
  });
});

form.addEventListener("change", (event) => {
  if (event.target.name !== "mode") return;
  const mode = formMode();
  submit.textContent = mode ? "Fråga" : "Sök";
  const state = readState();
  const q = input.value.trim() || state.q;
  if (q) navigate(urlFor({ ...searchPart(state), q, mode, limit: undefined, sida: undefined }), {
    focus: "none",
  });
  else syncForm({ mode });
});

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest("input, textarea, select, [contenteditable]");
  if (event.key === "/" && !typing && !event.metaKey && !event.ctrlKey) {
    event.preventDefault();
    input.focus();
    input.select();
  }
});

// --- rendering -----------------------------------------------------------------------------

async function render({ focus = "none", restore = false } = {}) {
  const token = ++renderCount;
  const state = readState();
  syncForm(state);
  main.classList.add("is-loading");
  main.setAttribute("aria-busy", "true");
  let view;
  setFeed(null); // a view with a feed sets its own
  try {
    if (state.tackning) view = await coverageView(state);
    else if (state.utskrift) view = await printView(state);
    else if (state.arende) view = await arendeView(state);
    else if (state.liknande) view = await liknandeView(state);
    else if (state.doc) view = await documentView(state);
    else if (state.q && state.mode === "fraga") view = await answerView(state);
    else if (state.q) view = await searchView(state);
    else view = await homeView();
  } catch (error) {
    view = errorView(error);
  }
  if (token !== renderCount) return; // a newer navigation took over
  clear(main).append(view.node);
  main.classList.remove("is-loading");
  main.setAttribute("aria-busy", "false");
  document.title = view.title ? `${view.title} – Nämndsök` : "Nämndsök";
  statusLine.textContent = view.status || "";
  const saved = restore && history.state && history.state.scrollY;
  if (typeof saved === "number") {
    window.scrollTo(0, saved);
  } else if (view.target) {
    view.target();
  } else {
    window.scrollTo(0, 0);
  }
  if (focus === "heading" && !view.target) {
    const heading = main.querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
  }
}

function errorView(error) {
  const message =
    error instanceof ApiError ? error.message : "Något gick fel när sidan skulle visas.";
  if (!(error instanceof ApiError)) console.error(error);
  return {
    title: "Fel",
    status: message,
    node: h(
      "section",
      { class: "view" },
      h("h1", { tabindex: "-1" }, "Det gick inte"),
      h("p", { class: "notice notice--error", role: "alert" }, message),
      h("p", {}, route("/", {}, "Till startsidan")),
    ),
  };
}

// --- home ----------------------------------------------------------------------------------

async function homeView() {
  const [listing, health, cases] = await Promise.all([
    getJSON("/api/documents"),
    getJSON("/health"),
    // A data directory from before ärenden has none yet (503): the page works without them.
    getJSON("/api/arenden", { limit: 100 }).catch(() => null),
  ]);
  const examples = [
    ["vräkning av barnfamiljer", undefined],
    ["SOCN/2023:82", undefined],
    ["Hur många ansökningar om vräkning fick Kronofogden i Katrineholm 2022?", "fraga"],
  ];
  const node = h(
    "section",
    { class: "view home" },
    h("h1", { tabindex: "-1" }, "Sök i kommunala nämndhandlingar"),
    h(
      "p",
      { class: "lead" },
      "Sök bland protokoll, kallelser, tjänsteskrivelser och rapporter, eller ställ en ",
      "fråga. Svaren är ordagranna citat ur handlingarna med numrerade källor.",
    ),
    h(
      "p",
      { class: "examples" },
      "Prova: ",
      examples.map(([q, mode], i) => [
        i ? ", " : "",
        route(urlFor({ q, mode }), {}, mode ? `fråga ”${q}”` : `”${q}”`),
      ]),
    ),
    notEmbeddedNotice(health.not_embedded, health.chunks),
    caseList(cases),
    h("h2", {}, `Handlingar (${listing.total})`),
    listing.documents.length
      ? h(
          "ul",
          { class: "doc-list" },
          listing.documents.map((doc) =>
            h(
              "li",
              { class: "card" },
              h("p", { class: "meta" }, dotted(doc.kommun, doc.namnd, doc.datum)),
              h(
                "h3",
                { class: "card__title" },
                route(urlFor({ doc: doc.id }), {}, doc.title || doc.filename),
              ),
              h(
                "p",
                { class: "tags" },
                tag(capitalize(doc.dokumenttyp)),
                doc.paragrafer.length ? tag(`${doc.paragrafer.length} §`) : null,
                doc.parts.length > 1 ? tag(`${doc.parts.length} delar`) : null,
              ),
            ),
          ),
        )
      : h("p", {}, "Inga handlingar är inlästa än. Läs in några med namnd ingest."),
  );
  return { node, title: null, status: "" };
}

/** The ärenden that gather several documents or §, those with a revision first. */
function caseList(cases) {
  const several = ((cases && cases.arenden) || [])
    .filter((a) => a.antal > 1)
    .sort((a, b) => b.har_rekommendationer - a.har_rekommendationer || b.antal - a.antal)
    .slice(0, 6);
  if (!several.length) return null;
  return [
    h("h2", {}, "Ärenden med flera handlingar"),
    h(
      "ul",
      { class: "case-list" },
      several.map((a) =>
        h(
          "li",
          { class: "card" },
          h("p", { class: "meta" }, dotted(a.kommun, period(a.forsta_datum, a.senaste_datum))),
          h("h3", { class: "card__title" }, route(urlFor({ arende: a.id }), {}, a.rubrik || "")),
          h(
            "p",
            { class: "tags" },
            tag(`${a.antal} delar`),
            a.har_rekommendationer ? tag("Revision med svar", "tag--exact") : null,
            a.osakra ? tag(`${a.osakra} osäkert kopplade`, "tag--quiet") : null,
          ),
        ),
      ),
    ),
  ];
}

function period(first, last) {
  if (!first) return last || null;
  return last && last !== first ? `${first} – ${last}` : first;
}

function notEmbeddedNotice(missing, total) {
  if (!missing) return null;
  return h(
    "p",
    { class: "notice" },
    h("strong", {}, "Obs: "),
    `${missing} av ${total} textavsnitt är inte inbäddade än, så den semantiska sökningen `,
    "täcker bara resten (kör namnd embed).",
  );
}

// --- search --------------------------------------------------------------------------------

async function searchView(state) {
  const limit = Math.min(Math.max(parseInt(state.limit, 10) || DEFAULT_LIMIT, 1), MAX_LIMIT);
  const pageNumber = Math.max(parseInt(state.sida, 10) || 1, 1);
  const offset = (pageNumber - 1) * limit;
  const sort = SORTS.some(([value]) => value === state.sort) ? state.sort : "relevans";
  const params = { q: state.q, ...apiFilters(state) };
  const response = await getJSON("/api/search", {
    ...params,
    limit,
    offset,
    sort: sort === "relevans" ? undefined : sort,
  });
  setFeed(searchFeedUrl(params), `Nämndsök: ${state.q}`);
  const total = response.total;
  const count = response.results.length;
  const heading = total
    ? `${response.total_exact ? "" : "Minst "}${total} ${total === 1 ? "träff" : "träffar"} för ”${state.q}”`
    : `Inga träffar för ”${state.q}”`;
  const results = h(
    "section",
    { class: "results", "aria-labelledby": "results-title" },
    h("div", { class: "results__head" },
      h("h1", { id: "results-title", tabindex: "-1" }, heading), copyLinkButton()),
    activeFilters(state),
    notes(response),
    suggestionLine(state, response.suggestions, total),
    total ? resultTools(state, sort) : null,
    followTools(searchFeedUrl(params), searchCsvUrl({ ...params, limit })),
    count
      ? h(
          "ol",
          { class: "result-list", id: "result-list", start: offset + 1 },
          response.results.map((r) => h("li", {}, resultCard(state, r))),
        )
      : h(
          "div",
          { class: "empty" },
          total
            ? h("p", {}, "Inga fler träffar på den här sidan. ",
              route(urlFor({ ...state, sida: undefined }), {}, "Till första sidan"), ".")
            : h("p", {}, "Inga träffar. Prova andra eller färre ord", hasFilters(state) ? "," : "."),
          !total && hasFilters(state)
            ? h("p", {}, "eller ", route(urlFor(clearFilters(state)), {}, "ta bort filtren"), ".")
            : null,
        ),
    count ? pager(state, total, offset, count, limit, pageNumber) : null,
    count
      ? h(
          "p",
          { class: "switch-mode" },
          route(urlFor({ ...searchPart(state), mode: "fraga", limit: undefined, sida: undefined,
            sort: undefined }), {},
          `Ställ ”${state.q}” som fråga i stället`),
        )
      : null,
  );
  const node = h(
    "div",
    { class: "view search-layout" },
    count ? skipToResults() : null,
    facetPanel(state, response.facets),
    results,
  );
  return { node, title: state.q, status: heading };
}

/** Keyboard users reach the first result without tabbing through every filter. */
function skipToResults() {
  const link = h("a", { class: "skip-results", href: "#result-list" }, "Hoppa till träffarna");
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const first = main.querySelector("#result-list .card__title a");
    if (first) first.focus();
  });
  return link;
}

/** "Menade du: …": other spellings, from words that occur in the documents. */
function suggestionLine(state, suggestions, total) {
  if (!suggestions || !suggestions.length) return null;
  const links = suggestions.map((q) =>
    route(urlFor({ ...searchPart(state), q, sida: undefined }), { class: "suggestion" }, q));
  const joined = links.flatMap((link, i) => (i ? [", ", link] : [link]));
  return h("p", { class: total ? "suggestions" : "suggestions suggestions--empty" },
    "Menade du: ", ...joined, "?");
}

/** Sort order and date range: both part of the URL, so a sorted, dated search is a link. */
function resultTools(state, sort) {
  const select = h("select", { id: "sort", name: "sort" },
    SORTS.map(([value, label]) => h("option", { value, selected: value === sort || null }, label)));
  select.addEventListener("change", () => {
    navigate(urlFor({ ...state, sort: select.value === "relevans" ? undefined : select.value,
      sida: undefined }), { focus: "none" });
  });
  const from = h("input", { type: "date", id: "from", name: "from", value: state.from || "" });
  const to = h("input", { type: "date", id: "to", name: "to", value: state.to || "" });
  const range = h(
    "form",
    { class: "range", "aria-label": "Datumintervall" },
    h("label", { for: "from" }, "Från"), from,
    h("label", { for: "to" }, "Till"), to,
    h("button", { type: "submit" }, "Visa"),
  );
  range.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(urlFor({ ...state, ar: undefined, sida: undefined,
      from: from.value || undefined, to: to.value || undefined }), { focus: "none" });
  });
  return h("div", { class: "result-tools" },
    h("p", { class: "sort" }, h("label", { for: "sort" }, "Sortera"), select),
    range);
}

function pager(state, total, offset, count, limit, pageNumber) {
  const last = Math.ceil(total / limit);
  const to = (n) => urlFor({ ...state, sida: n > 1 ? String(n) : undefined });
  return h(
    "nav",
    { class: "pager", "aria-label": "Sidor" },
    h("p", {}, `Visar ${offset + 1}–${offset + count} av ${total}`),
    pageNumber > 1 ? route(to(pageNumber - 1), { rel: "prev" }, "← Föregående") : null,
    pageNumber < last ? route(to(pageNumber + 1), { rel: "next" }, "Nästa →") : null,
  );
}

function hasFilters(state) {
  return FILTERS.some(([key]) => state[key]) || Boolean(state.from || state.to);
}

function clearFilters(state) {
  const out = { ...searchPart(state) };
  for (const [key] of FILTERS) delete out[key];
  for (const key of ["limit", "sida", "from", "to"]) delete out[key];
  return out;
}

function toggled(state, key, value) {
  const out = { ...searchPart(state), limit: undefined, sida: undefined };
  out[key] = state[key] === value ? undefined : value;
  if (key === "ar") {
    // A year is a date range: it replaces the typed one.
    out.from = undefined;
    out.to = undefined;
  }
  return out;
}

function facetLabel(key, value) {
  if (key === "dokumenttyp") return capitalize(value);
  if (key === "roll") return ROLE_LABELS[value] || capitalize(value);
  if (key === "parti") return partyLabel(value);
  return value;
}

const FACET_SHOWN = 8; // longer lists (references, parties) fold the rest away

function facetPanel(state, facets) {
  const groups = FILTERS.map(([key, label, facet]) => {
    const values = [...((facets && facets[facet]) || [])];
    if (state[key] && !values.some((v) => v.value === state[key])) {
      values.unshift({ value: state[key], count: null }); // chosen in a shared link
    }
    if (!values.length) return null;
    const chosenAt = values.findIndex((v) => v.value === state[key]);
    if (chosenAt >= FACET_SHOWN) values.unshift(...values.splice(chosenAt, 1));
    const items = values.map(({ value, count }) => facetItem(state, key, label, value, count));
    const rest = items.length > FACET_SHOWN + 2 ? items.splice(FACET_SHOWN) : [];
    return h(
      "section",
      { class: "facet", "aria-labelledby": `facet-${key}` },
      h("h3", { id: `facet-${key}` }, label),
      h("ul", {}, items),
      rest.length
        ? h("details", { class: "facet__more" }, h("summary", {}, `Fler (${rest.length})`),
          h("ul", {}, rest))
        : null,
    );
  });
  const open = window.matchMedia(WIDE).matches || undefined;
  return h(
    "aside",
    { class: "filters", "aria-label": "Filtrera" },
    h(
      "details",
      { class: "filters__box", open },
      h("summary", {}, h("h2", {}, "Filtrera"), hasFilters(state) ? h("span", {
        class: "filters__active-count",
      }, chosenCount(state)) : null),
      h("p", { class: "filters__hint" }, "Antal träffar om du väljer värdet (med dina andra filter)."),
      groups,
    ),
  );
}

function facetItem(state, key, label, value, count) {
  const chosen = state[key] === value;
  const content = [
    h("span", { class: "facet__value" }, facetLabel(key, value)),
    h("span", { class: "facet__count" }, count === null ? "–" : String(count)),
  ];
  if (UNKNOWN.has(value) && !chosen) {
    return h("li", {}, h("span", { class: "facet__item is-disabled" }, content));
  }
  return h(
    "li",
    {},
    route(urlFor(toggled(state, key, value)), {
      class: "facet__item",
      "aria-current": chosen ? "true" : null,
      "aria-label": chosen
        ? `${label}: ${facetLabel(key, value)}, valt. Ta bort filtret`
        : `${label}: ${facetLabel(key, value)}, ${count ?? "okänt antal"} träffar`,
      "data-facet": key,
      "data-value": value,
    }, content),
  );
}

function chosenCount(state) {
  const range = !state.ar && (state.from || state.to) ? 1 : 0;
  const n = FILTERS.filter(([key]) => state[key]).length + range;
  return n === 1 ? "1 valt" : `${n} valda`;
}

function activeFilters(state) {
  const chosen = FILTERS.filter(([key]) => state[key]);
  const range = !state.ar && (state.from || state.to)
    ? route(urlFor({ ...searchPart(state), from: undefined, to: undefined, sida: undefined }), {
        class: "chip",
        "aria-label": `Ta bort filtret Datum: ${state.from || "…"}–${state.to || "…"}`,
      }, `Datum: ${state.from || "…"}–${state.to || "…"}`, h("span", { "aria-hidden": "true" }, " ✕"))
    : null;
  if (!chosen.length && !range) return null;
  return h(
    "div",
    { class: "chips" },
    h("span", { class: "chips__label" }, "Filter:"),
    chosen.map(([key, label]) =>
      route(urlFor(toggled(state, key, state[key])), {
        class: "chip",
        "aria-label": `Ta bort filtret ${label}: ${facetLabel(key, state[key])}`,
      }, `${label}: ${facetLabel(key, state[key])}`, h("span", { "aria-hidden": "true" }, " ✕")),
    ),
    range,
    chosen.length + (range ? 1 : 0) > 1
      ? route(urlFor(clearFilters(state)), { class: "chips__clear" }, "Rensa alla")
      : null,
  );
}

/** In Fråga mode: the filters the answerer does not take are named, not silently ignored. */
function searchOnlyNotice(state) {
  const ignored = FILTERS.filter(([key]) => SEARCH_ONLY.has(key) && state[key]);
  if (!ignored.length) return null;
  return h(
    "p",
    { class: "notice", role: "note" },
    `Svaret tar inte hänsyn till filtr${ignored.length === 1 ? "et" : "en"} `,
    ignored.map(([, label]) => label.toLowerCase()).join(", "),
    "; det gäller bara Sök.",
  );
}

function notes(response) {
  const lines = response.notes || [];
  if (!lines.length && !response.not_embedded) return null;
  return h(
    "div",
    { class: "notice", role: "note" },
    response.not_embedded && response.mode !== "bm25"
      ? h(
          "p",
          {},
          h("strong", {}, "Obs: "),
          `${response.not_embedded} av ${response.embedded + response.not_embedded} `,
          "textavsnitt är inte inbäddade än; den semantiska delen av sökningen täcker bara ",
          "resten.",
        )
      : null,
    lines.map((line) => h("p", { class: "notice__detail", lang: "en" }, line)),
  );
}

function resultCard(state, r) {
  const place = documentUrl(state, { doc: r.document_id, chunk: r.chunk_id });
  const title = r.rubrik || `${capitalize(r.dokumenttyp)} ${r.datum || ""}`.trim();
  return h(
    "article",
    { class: "card result", "data-chunk": r.chunk_id, "data-kommun": r.kommun || "" },
    h("p", { class: "meta" }, dotted(r.kommun, r.namnd, r.datum, paragrafLabel(r.paragraf), r.dnr)),
    h("h2", { class: "card__title" }, route(place, { "data-focus": "target" }, title)),
    h("p", { class: "snippet" }, highlighted(r.snippet, r.highlights)),
    h(
      "p",
      { class: "tags" },
      r.scores && r.scores.exact ? tag("Exakt träff", "tag--exact") : null,
      tag(capitalize(r.dokumenttyp)),
      r.sektion ? tag(capitalize(r.sektion), "tag--quiet") : null,
      r.page ? tag(`s. ${r.page}`, "tag--quiet") : null,
      r.maskinlast ? tag("Maskinläst text", "tag--quiet") : null,
      sourceLine(r),
      r.arende_id
        ? route(arendeUrl(state, r.arende_id), {
            class: "card__arende",
            "aria-label": `Ärende: ${title}`,
          }, "Ärende")
        : null,
    ),
    r.passages && r.passages.length
      ? h(
          "div",
          { class: "passages" },
          h("span", { class: "passages__label" },
            r.paragraf ? `Fler träffar i § ${r.paragraf}:` : "Fler träffar i samma del:"),
          h(
            "ul",
            {},
            r.passages.map((p) =>
              h(
                "li",
                {},
                route(documentUrl(state, { doc: r.document_id, chunk: p.chunk_id }), {
                  "data-focus": "target",
                  class: "passage",
                }, highlighted(p.snippet, p.highlights)),
              ),
            ),
            r.passages_total > r.passages.length
              ? h("li", { class: "also__more" },
                `… och ${r.passages_total - r.passages.length} ställen till`)
              : null,
          ),
        )
      : null,
    citeTools(r),
    r.other_places && r.other_places.length
      ? h(
          "div",
          { class: "also" },
          h("span", { class: "also__label" }, "Även i:"),
          h(
            "ul",
            {},
            r.other_places.map((o) =>
              h(
                "li",
                {},
                route(
                  documentUrl(state, { doc: o.document_id, chunk: o.chunk_id }),
                  { "data-focus": "target" },
                  dotted(capitalize(o.dokumenttyp), o.datum, paragrafLabel(o.paragraf)),
                ),
              ),
            ),
            r.other_places_total > r.other_places.length
              ? h("li", { class: "also__more" },
                `… och ${r.other_places_total - r.other_places.length} ställen till`)
              : null,
          ),
        )
      : null,
  );
}

// --- answers -------------------------------------------------------------------------------

async function answerView(state) {
  const answer = await getJSON("/api/ask", {
    q: state.q,
    ...apiFilters(state, { search: false }),
  });
  const citations = new Map(answer.citations.map((c) => [String(c.n), c]));
  const citeUrl = (c) =>
    documentUrl(state, { doc: c.document_id, chunk: c.chunk_id, start: c.start, end: c.end });
  const answerText = h("p", { class: "answer__text" });
  if (answer.abstained) {
    answerText.append(answer.answer);
  } else {
    // "Citat ett. [1] Citat två. [2]": text as text, each [n] as a link to its place.
    const pieces = answer.answer.split(/(\[\d+\])/);
    for (const piece of pieces) {
      const match = /^\[(\d+)\]$/.exec(piece);
      const citation = match && citations.get(match[1]);
      if (citation) {
        answerText.append(
          h("sup", {}, route(citeUrl(citation), {
            class: "cite",
            "data-focus": "target",
            "aria-label": `Källa ${citation.n}`,
          }, `[${citation.n}]`)),
        );
      } else {
        answerText.append(piece);
      }
    }
  }
  const node = h(
    "section",
    { class: "view answer-view", "aria-labelledby": "answer-title" },
    h("p", { class: "question-label" }, "Fråga"),
    h("h1", { id: "answer-title", tabindex: "-1" }, state.q),
    activeFilters(state),
    searchOnlyNotice(state),
    notes(answer),
    h(
      "div",
      { class: `answer ${answer.abstained ? "answer--none" : ""}`.trim() },
      h("h2", { class: "answer__label" }, "Svar"),
      answerKind(answer),
      answerText,
    ),
    nearestSources(state, answer),
    answer.citations.length
      ? h(
          "section",
          { class: "sources", "aria-labelledby": "sources-title" },
          h("h2", { id: "sources-title" }, "Källor"),
          h(
            "ol",
            {},
            answer.citations.map((c) =>
              h(
                "li",
                { id: `kalla-${c.n}`, class: "source-item" },
                h("span", { class: "source-item__n", "aria-hidden": "true" }, String(c.n)),
                h(
                  "div",
                  {},
                  h("blockquote", {}, c.quote),
                  h(
                    "p",
                    { class: "meta" },
                    dotted(c.kommun, c.namnd, c.datum, paragrafLabel(c.paragraf), c.dnr),
                  ),
                  c.rubrik ? h("p", { class: "source-item__rubrik" }, c.rubrik) : null,
                  h(
                    "p",
                    { class: "tags" },
                    tag(capitalize(c.dokumenttyp)),
                    c.sektion ? tag(capitalize(c.sektion), "tag--quiet") : null,
                    c.page ? tag(`s. ${c.page}`, "tag--quiet") : null,
                    sourceLine(c),
                  ),
                  citeTools(c),
                  h(
                    "p",
                    {},
                    route(citeUrl(c), { class: "source-item__link", "data-focus": "target" },
                      "Visa i handlingen"),
                  ),
                ),
              ),
            ),
          ),
        )
      : null,
    h(
      "p",
      { class: "switch-mode" },
      route(urlFor({ ...searchPart(state), mode: undefined }), {},
        `Sök efter ”${state.q}” i stället`),
    ),
  );
  return {
    node,
    title: state.q,
    status: answer.abstained ? answer.answer : `Svar med ${answer.citations.length} källor`,
  };
}

// What kind of answer it is: read from a decision, from positions, a quoted sentence, ...
const ANSWER_KINDS = {
  beslut: "Från beslut",
  forslag: "Från förslag till beslut",
  stallningstaganden: "Från ställningstaganden",
  roll: "Från protokollet",
  datum: "Från protokollet",
  dnr: "Från diarienumret",
  revision: "Från revisionsärendet",
  mening: "Citerad mening",
};
const ANSWER_STATUS = { beslutat: "Beslutat", "förslag": "Förslag – inte beslutat" };

function answerKind(answer) {
  const kind = ANSWER_KINDS[answer.answer_kind];
  if (answer.abstained || !kind) return null;
  return h(
    "p",
    { class: "tags answer__kind" },
    tag(kind),
    ANSWER_STATUS[answer.status]
      ? tag(ANSWER_STATUS[answer.status], answer.status === "förslag" ? "tag--warn" : "tag--quiet")
      : null,
  );
}

/** With no answer: the nearest places the search found, to read for oneself. */
function nearestSources(state, answer) {
  const nearest = answer.abstained ? answer.nearest || [] : [];
  if (!nearest.length) return null;
  return h(
    "section",
    { class: "sources nearest", "aria-labelledby": "nearest-title" },
    h("h2", { id: "nearest-title" }, "Närmaste källor"),
    h(
      "ul",
      {},
      nearest.map((n) =>
        h(
          "li",
          { class: "source-item" },
          h(
            "div",
            {},
            route(documentUrl(state, { doc: n.document_id, chunk: n.chunk_id }),
              { class: "source-item__link", "data-focus": "target" },
              n.rubrik || capitalize(n.dokumenttyp)),
            h("p", { class: "meta" },
              dotted(n.kommun, n.namnd, n.datum, paragrafLabel(n.paragraf), n.dnr)),
          ),
        ),
      ),
    ),
  );
}

// --- the document view ---------------------------------------------------------------------

async function documentView(state) {
  const id = /^\d+$/.test(state.doc) ? state.doc : "0";
  const doc = await getJSON(`/api/documents/${id}`);
  const text = doc.text || "";
  const chunks = [...(doc.chunks || [])].sort((a, b) => a.start - b.start);
  const paragrafer = doc.paragrafer || [];
  const parts = doc.parts || [];

  // What the URL points at: a cited sentence, a chunk, a § or a part.
  const start = numberOr(state.start);
  const end = numberOr(state.end);
  const sentence = start !== null && end !== null && end > start ? [start, end] : null;
  let hitChunk = chunks.find((c) => String(c.id) === state.chunk) || null;
  if (!hitChunk && sentence) hitChunk = chunks.find((c) => c.start <= start && start < c.end);
  const paragraf = state.paragraf ? paragrafer.find((p) => p.paragraf === state.paragraf) : null;
  const part = state.del ? parts.find((p) => String(p.id) === state.del) : null;
  const focusOffset = sentence ? start : hitChunk ? hitChunk.start : paragraf ? paragraf.start
    : part ? part.start : null;
  const currentPar = focusOffset === null ? null
    : paragrafer.find((p) => p.start <= focusOffset && focusOffset < p.end) || null;
  const currentPart = focusOffset === null ? null
    : part || parts.find((p) => p.start <= focusOffset && focusOffset < p.end) || null;
  const focusParagraph = paragraf && !hitChunk ? paragraf : null;
  // A part of a bundle (the revisionsrapport after a svar) opens under its own header.
  const ownPart = parts.length > 1 && currentPart && (state.del || currentPart.ordinal > 0)
    ? currentPart
    : null;
  // Each § and part without § opens with a bar: its ärende, "Liknande", its positions.
  const units = doc.enheter || [];
  const currentUnit = focusOffset === null ? null
    : units.find((u) => u.start <= focusOffset && focusOffset < u.end) || null;
  const bars = units.map((unit) => ({
    offset: unit.start,
    node: unitBar(state, { ...unit, document_id: doc.id }, unit === currentUnit),
  }));

  const body = documentText(text, chunks, {
    hitChunk,
    sentence,
    focusParagraph,
    bars,
    anchors: [
      ...paragrafer.map((p) => ({ offset: p.start, id: `par-${p.id}` })),
      ...(parts.length > 1 ? parts.map((p) => ({ offset: p.start, id: `del-${p.id}` })) : []),
      ...pageMarks(doc.page_starts),
    ],
  });

  const back = state.q
    ? route(urlFor(searchPart(state)), { class: "back" },
      state.mode === "fraga" ? "← Tillbaka till svaret" : "← Tillbaka till träffarna")
    : route("/", { class: "back" }, "← Alla handlingar");

  // Where the reader is stays in view while the text scrolls to a § or passage.
  const context = h(
    "div",
    { class: "doc-context", role: "group", "aria-label": "Handlingen" },
    h(
      "p",
      { class: "doc-context__place" },
      dotted(doc.kommun, doc.namnd, doc.datum, currentPar ? `§ ${currentPar.paragraf}` : null,
        capitalize(doc.dokumenttyp)),
    ),
    h("p", { class: "doc-context__title" },
      (currentPar && currentPar.rubrik) || (currentPart && currentPart.title) || doc.title
        || doc.filename),
    copyLinkButton(),
  );

  const node = h(
    "div",
    { class: "view document-view" },
    h("p", {}, back),
    context,
    ownPart
      ? partHeader(state, doc, ownPart, parts.length)
      : h(
          "header",
          { class: "doc-header" },
          h("p", { class: "meta" },
            dotted(doc.kommun, doc.namnd, doc.datum, capitalize(doc.dokumenttyp))),
          h("h1", { tabindex: "-1" }, doc.title || doc.filename),
          documentFacts(doc),
          presence(doc.narvarande || []),
        ),
    h(
      "div",
      { class: "doc-layout" },
      documentNav(state, doc, paragrafer, parts, currentPar, currentPart),
      h("article", { class: "doc-text", "aria-label": "Handlingens text" }, body),
    ),
  );

  const target = () => {
    const unitStart = currentUnit && main.querySelector(`#enhet-${currentUnit.paragraph_id}`);
    const el =
      (sentence && main.querySelector("mark.cite-mark")) ||
      (hitChunk && main.querySelector(`#chunk-${hitChunk.id}`)) ||
      ((paragraf || part) && unitStart) ||
      (paragraf && main.querySelector(`#par-${paragraf.id}`)) ||
      (part && main.querySelector(`#del-${part.id}`)) ||
      null;
    if (!el) {
      window.scrollTo(0, 0);
      main.querySelector("h1").focus({ preventScroll: true });
      return;
    }
    const block = el.closest(".chunk, .gap") || el;
    block.setAttribute("tabindex", "-1");
    block.focus({ preventScroll: true });
    el.scrollIntoView({ block: sentence || hitChunk ? "center" : "start" });
    revealInNav();
  };
  const where = sentence ? "det citerade stycket" : hitChunk ? "träffen"
    : paragraf ? `§ ${paragraf.paragraf}` : null;
  return {
    node,
    title: (ownPart && ownPart.title) || doc.title || doc.filename,
    status: where ? `Handlingen visas vid ${where}.` : "Handlingen visas.",
    target,
  };
}

/** The header of one part of a bundle: its own kind, title and date, and the bundle it is
 * in. A date the part does not state itself is the bundle's, and said so. */
function partHeader(state, doc, part, count) {
  const kind = capitalize(part.typ || part.dokumenttyp);
  const datum = !part.datum ? "odaterad"
    : part.datum_kalla === "dokumentet" ? `odaterad (handlingens datum ${part.datum})`
      : part.datum;
  return h(
    "header",
    { class: "doc-header doc-header--part", "data-part": part.id },
    h("p", { class: "meta" }, dotted(doc.kommun, part.namnd, datum, kind)),
    h("h1", { tabindex: "-1" }, part.title || kind),
    h(
      "p",
      { class: "doc-header__bundle" },
      `Del ${part.ordinal + 1} av ${count} i `,
      route(urlFor({ ...searchPart(state), doc: doc.id }), {},
        doc.title || doc.filename),
      ` (${dotted(capitalize(doc.dokumenttyp), doc.datum)})`,
    ),
  );
}

/** "Kopiera länk": the page's URL (its whole state) to the clipboard. */
function copyLinkButton() {
  const button = h("button", { type: "button", class: "copy-link" }, "Kopiera länk");
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(location.href);
      copied = true;
    } catch {
      // No clipboard permission: the link is shown, selected, to copy by hand.
      const field = h("input", { type: "text", readonly: true, value: location.href,
        class: "copy-link__field", "aria-label": "Länk till sidan" });
      button.after(field);
      field.select();
    }
    button.textContent = copied ? "Länken är kopierad" : "Kopiera länken i fältet";
    statusLine.textContent = copied ? "Länken är kopierad." : "Markera och kopiera länken.";
  });
  return button;
}

/** Scroll the § list (not the page) so that the current § is in it. */
function revealInNav() {
  const nav = main.querySelector(".doc-nav");
  const current = nav && nav.querySelector('[aria-current="location"]');
  if (!current || nav.scrollHeight <= nav.clientHeight) return;
  const top = current.getBoundingClientRect().top - nav.getBoundingClientRect().top + nav.scrollTop;
  if (top < nav.scrollTop || top + current.offsetHeight > nav.scrollTop + nav.clientHeight) {
    nav.scrollTop = Math.max(0, top - nav.clientHeight / 3);
  }
}

function numberOr(value) {
  return value !== undefined && /^\d+$/.test(value) ? parseInt(value, 10) : null;
}

function pageMarks(pageStarts) {
  if (!pageStarts || pageStarts.length < 2) return [];
  const byOffset = new Map();
  pageStarts.forEach((offset, i) => byOffset.set(offset, i + 1)); // empty pages: the last
  return [...byOffset].map(([offset, page]) => ({ offset, page }));
}

function documentFacts(doc) {
  const rows = [
    ["Datum", doc.datum ? dotted(doc.datum, doc.datum_typ) : null],
    ["Paragrafer", doc.paragraf_range],
    ["Ordförande", doc.ordforande],
    ["Justerare", (doc.justerare || []).join(", ")],
    ["Maskinläst text", ocrPages(doc.ocr_sidor || [])],
  ].filter(([, value]) => value);
  const url = safeUrl(doc.source_url);
  return h(
    "dl",
    { class: "facts" },
    rows.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value))),
    url
      ? h("div", {}, h("dt", {}, "Källa"), h("dd", {}, h("a", {
          href: url,
          rel: "noopener noreferrer nofollow",
        }, url)))
      : null,
    h("div", {}, h("dt", {}, "Original"), h("dd", {}, h("a", {
      href: `/api/documents/${doc.id}/original`,
      class: "source__original",
    }, `${capitalize(doc.dokumenttyp)} (${doc.format})`))),
  );
}

// Pages read by OCR: "s. 1 (92 %), s. 2 (64 %, osäker)"; the text there may hold misreadings.
function ocrPages(pages) {
  if (!pages.length) return null;
  return pages
    .map((p) => `s. ${p.sida} (${Math.round(p.konfidens)} %${p.osaker ? ", osäker" : ""})`)
    .join(", ");
}

function presence(people) {
  if (!people.length) return null;
  return h(
    "details",
    { class: "presence" },
    h("summary", {}, `Närvarande (${people.length})`),
    h(
      "ul",
      {},
      people.map((p) =>
        h(
          "li",
          {},
          p.name,
          p.party ? ` (${p.party})` : "",
          dotted(p.roll, p.detalj)
            ? h("span", { class: "presence__role" }, `, ${dotted(p.roll, p.detalj)}`)
            : null,
        ),
      ),
    ),
  );
}

function documentNav(state, doc, paragrafer, parts, currentPar, currentPart) {
  if (!paragrafer.length && parts.length < 2) return h("div", { class: "doc-nav doc-nav--empty" });
  const keep = { ...searchPart(state), doc: doc.id };
  const open = window.matchMedia(WIDE).matches || undefined;
  const title = paragrafer.length ? `Paragrafer (${paragrafer.length})` : `Delar (${parts.length})`;
  const tocLink = (href, current, label, text) =>
    route(href, { "aria-current": current ? "location" : null, "data-focus": "target" },
      h("span", { class: "toc__n" }, label), " ", h("span", { class: "toc__title" }, text || ""));
  const paragraphItem = (p) =>
    h(
      "li",
      {},
      tocLink(urlFor({ ...keep, paragraf: p.paragraf }), currentPar && currentPar.id === p.id,
        `§ ${p.paragraf}`, p.rubrik),
      p.dubbletter && p.dubbletter.length ? alsoIn(state, p.dubbletter) : null,
    );
  const partItem = (p) =>
    h(
      "li",
      {},
      tocLink(urlFor({ ...keep, del: p.id }), currentPart && currentPart.id === p.id,
        capitalize(p.dokumenttyp), p.title),
    );
  return h(
    "nav",
    { class: "doc-nav", "aria-label": "Innehåll i handlingen" },
    h(
      "details",
      { open },
      h("summary", {}, title),
      paragrafer.length ? h("ol", { class: "toc" }, paragrafer.map(paragraphItem)) : null,
      parts.length > 1 && paragrafer.length ? h("h2", { class: "toc__heading" }, "Delar") : null,
      parts.length > 1 ? h("ol", { class: "toc toc--parts" }, parts.map(partItem)) : null,
    ),
  );
}

/** "Även i: 004_….txt · § 72": the same § in other documents. */
function alsoIn(state, links) {
  return h(
    "p",
    { class: "toc__also" },
    "Även i: ",
    duplicates(links).map((d, i) => [
      i ? ", " : "",
      route(
        urlFor({ ...searchPart(state), doc: d.document_id, paragraf: d.paragraf || undefined }),
        { "data-focus": "target" },
        dotted(d.filename, paragrafLabel(d.paragraf)),
      ),
    ]),
  );
}

/** One link per other document: its § when the duplicate has one. */
function duplicates(links) {
  const byDocument = new Map();
  for (const link of links) {
    const seen = byDocument.get(link.document_id);
    if (!seen || (!seen.paragraf && link.paragraf)) byDocument.set(link.document_id, link);
  }
  return [...byDocument.values()];
}

/**
 * The document text as blocks, one per chunk (the text between chunks, when not blank, as
 * blocks of its own), with anchors at § and part starts, page marks, the chunk of the hit
 * marked and the cited sentence in <mark>. Offsets from the API are code points.
 */
function documentText(text, chunks, { hitChunk, sentence, focusParagraph, anchors, bars }) {
  const toUnits = offsetMapper(text);
  const blocks = [];
  let position = 0;
  for (const chunk of chunks) {
    if (chunk.start > position) blocks.push({ start: position, end: chunk.start });
    if (chunk.end > chunk.start) blocks.push({ start: chunk.start, end: chunk.end, chunk });
    position = Math.max(position, chunk.end);
  }
  const length = [...text].length;
  if (position < length) blocks.push({ start: position, end: length });
  const blank = (b) => !text.slice(toUnits(b.start), toUnits(b.end)).trim();
  const shown = blocks.filter((b) => b.chunk || !blank(b));

  // Each anchor goes into the first shown block that ends after it; each bar before it.
  const points = new Map(shown.map((b) => [b, []]));
  for (const anchor of anchors) {
    const block = shown.find((b) => b.end > anchor.offset);
    if (block) points.get(block).push({ ...anchor, offset: Math.max(anchor.offset, block.start) });
  }
  const before = new Map();
  for (const bar of bars || []) {
    const block = shown.find((b) => b.end > bar.offset);
    if (block) before.set(block, [...(before.get(block) || []), bar.node]);
  }

  const fragment = document.createDocumentFragment();
  for (const block of shown) {
    fragment.append(...(before.get(block) || []));
    const classes = [block.chunk ? "chunk" : "gap"];
    if (block.chunk && hitChunk && block.chunk.id === hitChunk.id) classes.push("chunk--hit");
    if (block.chunk && focusParagraph && block.chunk.paragraph_id === focusParagraph.id) {
      classes.push("chunk--focus");
    }
    const el = h("div", {
      class: classes.join(" "),
      id: block.chunk ? `chunk-${block.chunk.id}` : null,
      "data-sektion": block.chunk ? block.chunk.sektion : null,
    });
    // Cut points inside the block: anchors and the sentence's ends.
    const cuts = new Set([block.start, block.end]);
    for (const p of points.get(block)) cuts.add(p.offset);
    const mark = sentence && sentence[0] < block.end && sentence[1] > block.start
      ? [Math.max(sentence[0], block.start), Math.min(sentence[1], block.end)]
      : null;
    if (mark) mark.forEach((c) => cuts.add(c));
    const ordered = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i < ordered.length; i++) {
      const at = ordered[i];
      for (const p of points.get(block).filter((x) => x.offset === at)) {
        if (p.page) {
          const label = { class: "page-mark", "aria-label": `Sida ${p.page}` };
          el.append(h("span", label, `s. ${p.page}`));
        } else {
          el.append(h("span", { class: "anchor", id: p.id }));
        }
      }
      const next = ordered[i + 1];
      if (next === undefined || next <= at) continue;
      const piece = text.slice(toUnits(at), toUnits(next));
      if (mark && at >= mark[0] && next <= mark[1]) {
        el.append(h("mark", { class: "cite-mark" }, piece));
      } else {
        el.append(piece);
      }
    }
    fragment.append(el);
  }
  return fragment;
}

render();
