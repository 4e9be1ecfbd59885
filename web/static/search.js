// Sök: result cards, filters with counts and the notes of a search.

import { getJSON } from "./api.js";
import { partyLabel, ROLE_LABELS } from "./arende.js";
import { capitalize, dotted, h, highlighted } from "./dom.js";
import {
  citeTools,
  followTools,
  searchCsvUrl,
  searchFeedUrl,
  setFeed,
  sourceLine,
} from "./follow.js";
import { arendeUrl, documentUrl, paragrafLabel, route, searchPart, tag, urlFor } from "./links.js";
import { copyLinkButton } from "./document.js";
import {
  apiFilters,
  DEFAULT_LIMIT,
  FILTERS,
  form,
  input,
  main,
  MAX_LIMIT,
  navigate,
  SORTS,
  submit,
  UNKNOWN,
  WIDE,
} from "./shared.js";

// --- search -----------------------------------------------------------------------------------

export async function searchView(state) {
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

export function activeFilters(state) {
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

export function notes(response) {
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
