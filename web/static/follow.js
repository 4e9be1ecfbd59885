// Following a kommun in the UI: feed links (visible and as <link rel="alternate">), the CSV
// of a result list, "Kopiera källhänvisning" / "Kopiera länk", readable sources (title and
// kind, the publisher's link, the original file at its page), the print view of one § and
// the "Täckning" page (meetings per organ as a calendar, with the gaps).

import { getJSON } from "./api.js";
import { capitalize, dotted, h, offsetMapper } from "./dom.js";
import { route, tag, urlFor } from "./links.js";

const MONTHS = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];

function query(params) {
  const out = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") out.set(name, value);
  }
  return out.toString();
}

/** The page's feed as <link rel="alternate"> in <head> (none when `url` is null). */
export function setFeed(url, title = "Nämndsök") {
  for (const old of document.head.querySelectorAll('link[rel="alternate"]')) old.remove();
  if (!url) return;
  document.head.append(
    h("link", { rel: "alternate", type: "application/atom+xml", title, href: url }),
  );
}

/** A search's feed URL (the same parameters as /api/search). */
export function searchFeedUrl(params) {
  return `/feed.atom?${query(params)}`;
}

export function arendeFeedUrl(id) {
  return `/feed.atom?${query({ arende: id })}`;
}

/** "Prenumerera (Atom)" and, for a search, "Ladda ner CSV". */
export function followTools(feedUrl, csvUrl = null) {
  return h(
    "p",
    { class: "follow-tools" },
    h("a", { class: "follow-tools__feed", href: feedUrl, type: "application/atom+xml" },
      "Prenumerera (Atom-flöde)"),
    csvUrl
      ? h("a", { class: "follow-tools__csv", href: csvUrl, download: "namndsok.csv" },
        "Ladda ner träfflistan (CSV)")
      : null,
  );
}

export function searchCsvUrl(params) {
  return `/api/search.csv?${query(params)}`;
}

// --- copying -------------------------------------------------------------------------------

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (an insecure origin): copy through a selected, hidden text field.
    const field = h("textarea", { class: "visually-hidden", readonly: true });
    field.value = text;
    document.body.append(field);
    field.select();
    const done = document.execCommand("copy");
    field.remove();
    return done;
  }
}

function copyButton(label, text, done) {
  const button = h("button", { type: "button", class: "copy-button" }, label);
  button.addEventListener("click", async () => {
    const ok = await copyText(text());
    const status = document.getElementById("status");
    const said = ok ? done : "Det gick inte att kopiera; markera texten och kopiera själv.";
    if (status) status.textContent = said;
    button.textContent = ok ? `${done} ✓` : label;
    setTimeout(() => {
      button.textContent = label;
    }, 2500);
  });
  return button;
}

/** "Kopiera källhänvisning", "Kopiera länk" and (for a § or part) "Utskrift". */
export function citeTools(item) {
  if (!item.kallhanvisning) return null;
  return h(
    "p",
    { class: "cite-tools" },
    copyButton("Kopiera källhänvisning", () => item.kallhanvisning, "Källhänvisningen kopierad"),
    copyButton("Kopiera länk", () => new URL(item.permalink, location.origin).href,
      "Länken kopierad"),
    item.paragraph_id
      ? route(urlFor({ utskrift: item.paragraph_id }), { class: "cite-tools__print" },
        "Utskriftsvy")
      : null,
  );
}

// --- readable sources ----------------------------------------------------------------------

/** Only http(s) links from the data become links (never javascript: or data:). */
export function safeUrl(value) {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The document a result or citation comes from: its title and kind, the publisher's
 * page and the original file (at its page for a PDF). Falls back to the file name. */
export function sourceLine(item) {
  const doc = item.dokument;
  if (!doc) return h("span", { class: "source" }, item.source || "");
  const publisher = safeUrl(doc.source_url);
  return h(
    "span",
    { class: "source source--readable" },
    dotted(doc.titel || item.source, capitalize(doc.dokumenttyp)),
    publisher
      ? [" · ", h("a", { href: publisher, rel: "noopener noreferrer nofollow" },
        "Hos kommunen")]
      : null,
    item.original_url
      ? [" · ", h("a", { href: item.original_url, class: "source__original" },
        doc.format === "pdf" && item.page ? `Originalet, s. ${item.page}` : "Originalet")]
      : null,
  );
}

// --- print view of one § -------------------------------------------------------------------

export async function printView(state) {
  const id = /^\d+$/.test(state.utskrift) ? state.utskrift : "0";
  const unit = await getJSON(`/api/paragrafer/${id}`);
  const doc = await getJSON(`/api/documents/${unit.document_id}`);
  const toUnits = offsetMapper(doc.text || "");
  const text = (doc.text || "").slice(toUnits(unit.start), toUnits(unit.end)).trim();
  const label = unit.paragraf ? `§ ${unit.paragraf}` : capitalize(unit.dokumenttyp);
  const printButton = h("button", { type: "button", class: "print-button" }, "Skriv ut");
  printButton.addEventListener("click", () => window.print());
  const node = h(
    "article",
    { class: "view print-view" },
    h("p", { class: "no-print" },
      route(urlFor({ doc: unit.document_id, paragraf: unit.paragraf || undefined,
        del: unit.paragraf ? undefined : unit.part_id }), { class: "back" },
      "← Till handlingen")),
    h("p", { class: "meta" }, dotted(unit.kommun, unit.namnd, unit.datum, label)),
    h("h1", { tabindex: "-1" }, unit.rubrik || label),
    h("p", { class: "print-view__citation" }, h("strong", {}, "Källa: "), unit.kallhanvisning),
    h("p", { class: "print-view__link" }, new URL(unit.permalink, location.origin).href),
    h("div", { class: "print-view__text" }, text),
    h("div", { class: "no-print print-view__tools" }, printButton, citeTools(unit)),
  );
  return { node, title: `${label} ${unit.rubrik || ""}`.trim(), status: "Utskriftsvy." };
}

// --- Täckning ------------------------------------------------------------------------------

export async function coverageView() {
  const data = await getJSON("/api/coverage");
  const node = h(
    "section",
    { class: "view coverage-view" },
    h("h1", { tabindex: "-1" }, "Täckning"),
    h(
      "p",
      { class: "lead" },
      `Samlingen har ${data.dokument} handlingar. Här visas sammanträdena per kommun och `,
      "nämnd, vilka paragrafer som saknas i årets nummerföljd och månader utan sammanträde ",
      "då nämnden brukar sammanträda.",
    ),
    data.kommuner.map((kommun) =>
      h(
        "section",
        { class: "coverage-kommun", "data-kommun": kommun.kommun },
        h("h2", {}, kommun.kommun),
        h("p", { class: "meta" }, `${kommun.dokument} handlingar · år ${kommun.ar.join(", ")}`),
        kommun.organ.map((organ) => organSection(kommun.kommun, organ)),
      ),
    ),
    data.utan_moten.length
      ? h("p", {}, "Utan protokoll eller kallelse: ",
        data.utan_moten.map((k) => `${k.kommun} (${k.dokument} handlingar)`).join(", "))
      : null,
  );
  return { node, title: "Täckning", status: `Täckning för ${data.kommuner.length} kommuner.` };
}

function organSection(kommun, organ) {
  const byMonth = new Map();
  for (const meeting of organ.moten) {
    const month = meeting.datum.slice(0, 7);
    byMonth.set(month, [...(byMonth.get(month) || []), meeting]);
  }
  const gaps = new Set(organ.manader_utan_mote);
  const years = [...new Set(organ.moten.map((m) => Number(m.datum.slice(0, 4))))];
  const first = Math.min(...years);
  const last = Math.max(...years);
  const rows = [];
  for (let year = first; year <= last; year++) rows.push(year);
  const headingId = `organ-${kommun}-${organ.namnd}`.replace(/[^\wåäöÅÄÖ-]+/g, "-");
  return h(
    "section",
    { class: "coverage-organ", "aria-labelledby": headingId, "data-namnd": organ.namnd },
    h("h3", { id: headingId }, `${organ.namnd} (${organ.moten.length} sammanträden)`),
    h(
      "div",
      { class: "calendar-wrap" },
      h(
        "table",
        { class: "calendar" },
        h("caption", { class: "visually-hidden" }, `Sammanträden för ${organ.namnd}, ${kommun}`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "År"),
          MONTHS.map((m) => h("th", { scope: "col" }, m)))),
        h(
          "tbody",
          {},
          rows.map((year) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, String(year)),
              MONTHS.map((_, i) => monthCell(`${year}-${String(i + 1).padStart(2, "0")}`,
                byMonth, gaps)),
            ),
          ),
        ),
      ),
    ),
    organ.saknade_paragrafer.length
      ? h(
          "ul",
          { class: "coverage-missing" },
          organ.saknade_paragrafer.map((gap) =>
            h("li", {}, `${gap.ar}: § ${gap.saknas.join(", ")} saknas `,
              h("span", { class: "meta" }, `(${gap.antal} st, numrering ${gap.numrering})`)),
          ),
        )
      : h("p", { class: "coverage-complete" }, organ.moten.some((m) => m.paragrafer)
        ? "Inga luckor i paragrafnumreringen."
        : "Inga protokoll med paragrafer."),
    organ.manader_utan_mote.length
      ? h("p", { class: "coverage-months" }, "Månader utan sammanträde: ",
        organ.manader_utan_mote.join(", "))
      : null,
  );
}

function monthCell(month, byMonth, gaps) {
  const meetings = byMonth.get(month) || [];
  if (gaps.has(month)) {
    return h("td", { class: "calendar__gap", "data-month": month },
      h("span", { class: "visually-hidden" }, `${month}: `), "saknas");
  }
  if (!meetings.length) return h("td", { "data-month": month });
  return h(
    "td",
    { class: "calendar__met", "data-month": month },
    meetings.map((m) =>
      h(
        "span",
        { class: "calendar__meeting" },
        route(m.dokument[0].permalink, {
          title: dotted(m.datum, m.paragrafer ? `§ ${m.paragrafer}` : null,
            m.dokument.map((d) => d.titel).join("; ")),
          "aria-label": dotted(m.datum, m.paragrafer ? `§ ${m.paragrafer}` : null),
        }, m.datum.slice(8, 10)),
        m.paragrafer ? h("span", { class: "calendar__range" }, `§ ${m.paragrafer}`) : null,
        tag(m.typer.map(capitalize).join(", "), "tag--quiet"),
      ),
    ),
  );
}
