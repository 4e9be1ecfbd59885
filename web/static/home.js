// The start page: the collection, recent ärenden and what is not embedded yet.

import { getJSON } from "./api.js";
import { capitalize, dotted, h } from "./dom.js";
import { route, tag, urlFor } from "./links.js";

// --- home -------------------------------------------------------------------------------------

export async function homeView() {
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
