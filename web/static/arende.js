// Ärenden (cases) and precedent: the ärende page (timeline, audit trail, positions, the
// evidence of every link, hänvisningar), "Liknande" for a §, and the bar that opens each §
// in the document view. A guessed link is never shown as certain: every member or link that
// is not certain carries its certainty ("trolig", "osäker") and confidence in words.
// Document text reaches the page only as text nodes (see dom.js).

import { getJSON } from "./api.js";
import { capitalize, dotted, h } from "./dom.js";
import { arendeFeedUrl, citeTools, followTools, setFeed, sourceLine } from "./follow.js";
import {
  arendeUrl,
  documentUrl,
  liknandeUrl,
  paragrafLabel,
  route,
  searchPart,
  tag,
  unitPlace,
  urlFor,
} from "./links.js";

export const ROLE_LABELS = {
  yrkande: "Yrkanden",
  reservation: "Reservationer",
  "särskilt uttalande": "Särskilda uttalanden",
  protokollsanteckning: "Protokollsanteckningar",
};
const ROLE_ORDER = Object.keys(ROLE_LABELS);

const PARTIES = {
  S: "Socialdemokraterna",
  M: "Moderaterna",
  SD: "Sverigedemokraterna",
  C: "Centerpartiet",
  V: "Vänsterpartiet",
  KD: "Kristdemokraterna",
  L: "Liberalerna",
  MP: "Miljöpartiet",
  "F!": "Feministiskt initiativ",
};

const RULES = {
  granskning: "Samma granskning",
  dnr: "Samma diarienummer",
  dubblett: "Samma text",
  bilaga: "Bilaga",
  samma_handling: "Samma handling",
  hänvisning: "Hänvisning",
  rubrik: "Liknande rubrik",
};

// The steps of an ärende's chain, as a revisor names them.
const STEP_LABELS = {
  initiativ: "Initiativ",
  granskning: "Granskning",
  missiv: "Missiv",
  anmälan: "Anmälan",
  svar: "Nämndens svar",
  beslut: "Beslut",
  uppföljning: "Uppföljning",
};

const DATE_KINDS = {
  dokument: "daterad",
  justering: "justerad",
  sammanträde: "sammanträde",
};

// "Visa i svaret": the definite form of a member's type.
const DEFINITE = {
  svar: "svaret",
  yttrande: "yttrandet",
  beslut: "beslutet",
  tjänsteskrivelse: "tjänsteskrivelsen",
  missiv: "missivet",
  revisionsrapport: "revisionsrapporten",
  anmälan: "anmälan",
  bilaga: "bilagan",
  rapport: "rapporten",
};

// Dokumenttyp filters offered by "Liknande" (the API takes any word).
const KINDS = [
  ["", "Alla"],
  ["yttrande", "Yttranden"],
  ["beslut", "Beslut"],
  ["tjänsteskrivelse", "Tjänsteskrivelser"],
  ["rapport", "Rapporter"],
];

export function partyLabel(code) {
  const name = PARTIES[String(code).toUpperCase()];
  return name ? `${name} (${code})` : code;
}

function definite(typ) {
  return DEFINITE[typ] || typ;
}

function percent(value) {
  return `${Math.round((value || 0) * 100)} %`;
}

function unitLabel(unit) {
  return unit.paragraf ? `§ ${unit.paragraf}` : capitalize(unit.typ);
}

/** "Trolig · 75 %": shown for every member or link that is not certain; nothing when it is. */
function certaintyTag(sakerhet, konfidens) {
  if (sakerhet === "säker") return null;
  const kind = sakerhet === "trolig" ? "trolig" : "osaker";
  return h(
    "span",
    {
      class: `tag tag--${kind}`,
      title: "Kopplingen är en slutsats, inte ett diarienummer eller samma text",
    },
    `${capitalize(sakerhet)} · ${percent(konfidens)}`,
  );
}

function linkCertainty(link) {
  if (link.saker) return tag("Säker", "tag--saker");
  return certaintyTag(link.konfidens >= 0.7 ? "trolig" : "osäker", link.konfidens);
}

function backLink(state) {
  return state.q
    ? route(urlFor(searchPart(state)), { class: "back" },
      state.mode === "fraga" ? "← Tillbaka till svaret" : "← Tillbaka till träffarna")
    : route("/", { class: "back" }, "← Startsidan");
}

function unique(values) {
  return [...new Set(values.filter(Boolean))];
}

/** A link to a member of the ärende at its place in its document. */
function unitLink(state, entry, fallback = "okänd del") {
  if (!entry) return fallback;
  return route(documentUrl(state, unitPlace(entry)), { "data-focus": "target" },
    dotted(unitLabel(entry), entry.datum));
}

function referenceLinks(references) {
  if (!references || !references.length) return null;
  return references.map((reference) =>
    route(urlFor({ q: reference, ref: reference }), {
      class: "tag tag--ref",
      "aria-label": `Sök allt som hänvisar till ${reference}`,
    }, reference),
  );
}

// --- the ärende page -------------------------------------------------------------------------

export async function arendeView(state) {
  const id = /^\d+$/.test(state.arende) ? state.arende : "0";
  const arende = await getJSON(`/api/arenden/${id}`);
  const entries = new Map(arende.tidslinje.map((e) => [e.paragraph_id, e]));
  const namnder = unique(arende.tidslinje.map((e) => e.namnd));
  const title = arende.rubrik || `Ärende ${arende.id}`;
  const node = h(
    "div",
    { class: "view arende-view" },
    h("p", {}, backLink(state)),
    h(
      "header",
      { class: "doc-header" },
      h("p", { class: "meta" }, dotted("Ärende", arende.kommun, namnder.join(", "))),
      h("h1", { tabindex: "-1" }, title),
      h(
        "dl",
        { class: "facts" },
        arende.dnr.length ? fact("Dnr", arende.dnr.join(", ")) : null,
        fact("Period", period(arende.forsta_datum, arende.senaste_datum)),
        fact("Export", h("span", { class: "export-links" },
          h("a", { href: `/api/arenden/${arende.id}/utskrift`, class: "export-link" },
            "Utskrift"), " · ",
          h("a", { href: `/api/arenden/${arende.id}/export.csv`, class: "export-link" }, "CSV"),
          " · ",
          h("a", { href: `/api/arenden/${arende.id}/export.json`, class: "export-link" }, "JSON"))),
        fact("Delar", arende.osakra
          ? `${arende.antal}, varav ${arende.osakra} osäkert kopplade`
          : String(arende.antal)),
      ),
    ),
    arende.osakra
      ? h(
          "p",
          { class: "notice", role: "note" },
          `${arende.osakra} av ${arende.antal} delar hör troligen till ärendet men är inte `,
          "säkert kopplade (inget gemensamt diarienummer eller samma text). De är märkta ",
          "”trolig” eller ”osäker”; se bevisen under Kopplingar och bevis.",
        )
      : null,
    followTools(arendeFeedUrl(arende.id)),
    chainSection(state, arende, entries),
    timelineSection(state, arende, entries),
    auditSection(state, arende, entries),
    positionsSection(state, arende, entries),
    evidenceSection(state, arende, entries),
    referencesSection(state, arende, entries),
  );
  setFeed(arendeFeedUrl(arende.id), `Nämndsök: ${title}`);
  return {
    node,
    title,
    status: `Ärendet visas: ${arende.tidslinje.length} delar i tidsordning.`,
  };
}

function fact(label, value) {
  if (!value) return null;
  return h("div", {}, h("dt", {}, label), h("dd", {}, value));
}

function period(first, last) {
  if (!first) return last || null;
  return last && last !== first ? `${first} – ${last}` : first;
}

function section(id, title, ...children) {
  return h(
    "section",
    { class: "arende-section", "aria-labelledby": id },
    h("h2", { id }, title),
    ...children,
  );
}

function timelineSection(state, arende, entries) {
  const borrowed = arende.tidslinje.some((e) => e.datum_kalla === "dokumentet");
  const steps = arende.tidslinje.filter((e) => e.bilaga_till === null);
  const under = (id) => arende.tidslinje.filter((e) => e.bilaga_till === id);
  const item = (entry) => {
    const li = timelineItem(state, entry, entries);
    const bilagor = under(entry.paragraph_id);
    if (bilagor.length) {
      li.append(h("ol", { class: "timeline timeline--bilagor", "aria-label": "Bilagor" },
        bilagor.map(item)));
    }
    return li;
  };
  return section(
    "tidslinje",
    "Tidslinje",
    h("p", { class: "section-lead" },
      "Alla delar i datumordning; bilagor under den del de hör till."),
    h("ol", { class: "timeline" }, steps.map(item)),
    borrowed
      ? h("p", { class: "footnote" },
        "* Delen anger inget eget datum; datumet är handlingens som den ingår i.")
      : null,
  );
}

// --- the chain ---------------------------------------------------------------------------------

function chainSection(state, arende, entries) {
  // One step says no more than the timeline does.
  if (!arende.kedja || arende.kedja.length < 2) return null;
  return section(
    "kedja",
    "Ärendets gång",
    h("p", { class: "section-lead" },
      "Steg för steg som en revisor läser ärendet, med bevisen för varje koppling."),
    h("ol", { class: "chain" }, arende.kedja.map((step) => chainStep(state, step, entries))),
  );
}

function stepDate(step) {
  if (step.datum) return step.datum;
  const span = step.datum_intervall || {};
  const between = span.efter && span.senast ? `mellan ${span.efter} och ${span.senast}`
    : span.efter ? `efter ${span.efter}` : span.senast ? `senast ${span.senast}` : "";
  return ["odaterat", between].filter(Boolean).join(", ");
}

function chainStep(state, step, entries) {
  const twin = step.samma_text_som ? entries.get(step.samma_text_som) : null;
  return h(
    "li",
    { class: "chain__step", "data-steg": step.steg, "data-paragraph": step.paragraph_id },
    h("p", { class: "chain__head" },
      tag(STEP_LABELS[step.steg] || capitalize(step.steg), "tag--typ"),
      " ",
      h("time", step.datum ? { datetime: step.datum, class: "chain__date" } : { class: "chain__date" },
        stepDate(step)),
      certaintyTag(step.sakerhet, step.konfidens)),
    h("h3", { class: "chain__title" },
      route(documentUrl(state, unitPlace(step)), { "data-focus": "target" },
        step.paragraf ? `§ ${step.paragraf} ` : "", step.rubrik || capitalize(step.typ))),
    h("p", { class: "meta" },
      dotted(step.namnd, step.dnr.join(", "),
        step.revisor ? `Revisor: ${step.revisor}` : null,
        step.till ? `Till: ${step.till}` : null,
        step.svar_senast ? `Svar senast ${step.svar_senast}` : null,
        step.handlingens_datum ? `handlingens datum ${step.handlingens_datum}` : null)),
    step.beslut && step.beslut.length
      ? h("blockquote", { class: "chain__beslut" },
        h("p", { class: "chain__label" }, "Beslut"),
        step.beslut.map((text) => h("p", {}, text)))
      : null,
    twin
      ? h("p", { class: "timeline__twin" }, "Samma text som ", unitLink(state, twin),
        "; texten visas en gång.")
      : null,
    step.bevis.length
      ? h("ul", { class: "chain__bevis", "aria-label": "Bevis" },
        step.bevis.map((b) => {
          const other = entries.get(b.med);
          return h("li", {},
            linkCertainty(b), " ", RULES[b.regel] || b.regel, ": ", b.varde,
            other ? [" (", unitLink(state, other), ")"] : null);
        }))
      : null,
    step.bilagor.length
      ? h("details", { class: "chain__bilagor" },
        h("summary", {}, `Bilagor (${step.bilagor.length})`),
        h("ul", {}, step.bilagor.map((b) => h("li", {},
          route(documentUrl(state, unitPlace(b)), { "data-focus": "target" },
            b.rubrik || capitalize(b.typ)),
          b.datum ? ` · ${b.datum}${b.datum_kalla === "dokumentet" ? " (handlingens)" : ""}` : ""))))
      : null,
  );
}

function timelineItem(state, entry, entries) {
  const twin = entry.samma_text_som ? entries.get(entry.samma_text_som) : null;
  const borrowed = entry.datum_kalla === "dokumentet";
  return h(
    "li",
    {
      class: `timeline__item timeline__item--${entry.sakerhet === "säker" ? "saker" : "gissad"}`,
      "data-paragraph": entry.paragraph_id,
      "data-typ": entry.typ,
      "data-sakerhet": entry.sakerhet,
    },
    h(
      "div",
      { class: "timeline__date" },
      h(
        "span",
        { class: "timeline__day" },
        h("time", entry.datum ? { datetime: entry.datum } : {}, entry.datum || "okänt datum"),
        borrowed ? h("span", { class: "timeline__star", "aria-hidden": "true" }, "*") : null,
      ),
      h(
        "span",
        { class: "timeline__datekind" },
        borrowed ? "handlingens datum" : DATE_KINDS[entry.datum_typ] || entry.datum_typ || "",
      ),
    ),
    h(
      "div",
      { class: "timeline__body" },
      h(
        "p",
        { class: "tags" },
        tag(capitalize(entry.typ), "tag--typ"),
        certaintyTag(entry.sakerhet, entry.konfidens),
        entry.dokumenttyp && entry.dokumenttyp !== entry.typ
          ? tag(capitalize(entry.dokumenttyp), "tag--quiet")
          : null,
      ),
      h(
        "h3",
        { class: "timeline__title" },
        route(documentUrl(state, unitPlace(entry)), { "data-focus": "target" },
          entry.paragraf ? `§ ${entry.paragraf} ` : "", entry.rubrik || capitalize(entry.typ)),
      ),
      h("p", { class: "meta" }, dotted(entry.namnd, entry.dnr.join(", "))),
      twin
        ? h("p", { class: "timeline__twin" }, "Samma text som ", unitLink(state, twin), ".")
        : null,
      h(
        "p",
        { class: "timeline__more" },
        referenceLinks(entry.referenser),
        entry.positioner
          ? h("span", { class: "timeline__count" },
            `${entry.positioner} ställningstagande${entry.positioner === 1 ? "" : "n"}`)
          : null,
        route(liknandeUrl(state, entry.paragraph_id), {
          class: "timeline__liknande",
          "aria-label": `Liknande som ${unitLabel(entry)} ${entry.rubrik || ""}`.trim(),
        }, "Liknande"),
        sourceLine(entry),
      ),
      citeTools(entry),
    ),
  );
}

// --- the audit trail ---------------------------------------------------------------------------

function auditSection(state, arende, entries) {
  if (!arende.revision.length) return null;
  return section(
    "revision",
    "Revisionens rekommendationer och nämndens svar",
    h("p", { class: "section-lead" },
      "Varje rekommendation bredvid det stycke i nämndens svar som besvarar den."),
    h("ol", { class: "audit" }, arende.revision.map((rec) => auditRow(state, rec, entries))),
  );
}

function auditRow(state, rec, entries) {
  return h(
    "li",
    { class: "audit__row", "data-nummer": rec.nummer },
    h(
      "div",
      { class: "audit__rec" },
      h("h3", { class: "audit__label" }, `Rekommendation ${rec.nummer}`),
      h("blockquote", { class: "audit__quote" }, rec.text),
      h(
        "p",
        { class: "audit__sources" },
        "Står i: ",
        rec.kallor.map((source, i) => {
          // A list that names it twice (a rapport's summary and its chapter): "ställe 2".
          const nth = rec.kallor.slice(0, i + 1)
            .filter((s) => s.paragraph_id === source.paragraph_id).length;
          return [
            i ? ", " : "",
            route(
              documentUrl(state, { doc: source.document_id, start: source.start, end: source.end }),
              { "data-focus": "target" },
              sourceLabel(source, entries),
              nth > 1 ? ` (ställe ${nth})` : "",
            ),
          ];
        }),
      ),
      rec.fran_revisionen ? null : h("p", { class: "meta" }, "Citerad i svaret; revisionens ",
        "egen text finns inte i samlingen."),
    ),
    h("div", { class: "audit__answer" }, answers(state, rec)),
  );
}

function sourceLabel(source, entries) {
  const entry = entries.get(source.paragraph_id);
  const name = entry && entry.paragraf ? `§ ${entry.paragraf}` : definite(source.typ);
  return dotted(name, entry && entry.datum);
}

/** The answering passages, each shown once; a § that repeats the svar word for word is one
 * more place of the same passage. */
function answers(state, rec) {
  if (!rec.svar.length) {
    return h("p", { class: "audit__none" }, "Inget svar på rekommendationen hittades i ärendet.");
  }
  return rec.svar.map((answer) => {
    const [passage, ...rest] = answer.passager;
    return h(
      "div",
      { class: "audit__passage", "data-osaker": String(Boolean(answer.osaker)) },
      h("h3", { class: "audit__label" }, "Nämndens svar",
        answer.osaker ? [" ", tag("Osäkert svar", "tag--osaker")] : null),
      h("blockquote", { class: "audit__quote" }, passage.text),
      rest.length
        ? h(
            "details",
            { class: "audit__more" },
            h("summary", {},
              `Fortsättning (${rest.length} ${rest.length === 1 ? "stycke" : "stycken"})`),
            rest.map((p) => h("blockquote", { class: "audit__quote" }, p.text)),
          )
        : null,
      h(
        "p",
        { class: "audit__places" },
        answer.platser.map((place, i) => {
          const where = place.paragraf ? `§ ${place.paragraf}` : definite(place.typ);
          return [
            i ? " · " : "",
            route(
              documentUrl(state, { doc: place.document_id, start: place.start, end: place.end }),
              { class: "audit__link", "data-focus": "target" },
              `Visa i ${where}`,
              place.datum ? ` (${place.datum})` : "",
              answer.osaker ? " – osäkert" : "",
            ),
          ];
        }),
      ),
    );
  });
}

// --- positions ---------------------------------------------------------------------------------

function positionsSection(state, arende, entries) {
  if (!arende.positioner.length) return null;
  return section(
    "positioner",
    "Ställningstaganden",
    h("p", { class: "section-lead" },
      "Vem som yrkade vad, reservationer, särskilda uttalanden och protokollsanteckningar."),
    arende.positioner.map((p) => {
      const entry = entries.get(p.paragraph_id);
      return h(
        "article",
        { class: "card positions-card", "data-paragraph": p.paragraph_id },
        h(
          "h3",
          { class: "card__title" },
          entry
            ? route(documentUrl(state, unitPlace(entry)), { "data-focus": "target" },
              dotted(paragrafLabel(p.paragraf), p.rubrik))
            : dotted(paragrafLabel(p.paragraf), p.rubrik),
        ),
        h("p", { class: "meta" }, p.datum),
        positionList(state, p.positioner),
      );
    }),
  );
}

/** Positions grouped by role: each person (party) with the kind, linked to the words. */
export function positionList(state, positions) {
  const groups = ROLE_ORDER.map((role) => [role, positions.filter((p) => p.roll === role)])
    .filter(([, list]) => list.length);
  return h(
    "dl",
    { class: "positions" },
    groups.map(([role, list]) =>
      h(
        "div",
        { class: "positions__group", "data-roll": role },
        h("dt", {}, ROLE_LABELS[role]),
        h(
          "dd",
          {},
          h(
            "ul",
            {},
            list.map((p) =>
              h(
                "li",
                { "data-namn": p.namn, "data-parti": p.parti || "" },
                route(
                  documentUrl(state, { doc: p.document_id, start: p.start, end: p.end }),
                  { "data-focus": "target", title: p.mening || null },
                  p.namn,
                ),
                p.parti ? ` (${p.parti})` : "",
                p.detalj ? [" ", h("span", { class: "positions__detail" }, p.detalj)] : null,
                p.grupp ? [" ", h("span", { class: "positions__detail" }, "för gruppen")] : null,
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

// --- evidence and hänvisningar -----------------------------------------------------------------

function evidenceSection(state, arende, entries) {
  if (!arende.lankar.length) return null;
  return section(
    "kopplingar",
    "Kopplingar och bevis",
    h("p", { class: "section-lead" },
      "Varför delarna hör ihop. Bara samma diarienummer, samma text och en bilaga direkt ",
      "efter sin handling är säkra; övriga kopplingar visas med sin konfidens."),
    h(
      "ul",
      { class: "evidence" },
      arende.lankar.map((link) =>
        h(
          "li",
          {
            class: `evidence__item${link.saker ? "" : " evidence__item--gissad"}`,
            "data-regel": link.regel,
            "data-saker": String(link.saker),
          },
          h(
            "p",
            { class: "evidence__head" },
            h("strong", {}, RULES[link.regel] || capitalize(link.regel)),
            " ",
            linkCertainty(link),
          ),
          h(
            "p",
            { class: "evidence__units" },
            unitLink(state, entries.get(link.fran)),
            h("span", { "aria-hidden": "true" }, " ↔ "),
            h("span", { class: "visually-hidden" }, " och "),
            unitLink(state, entries.get(link.till)),
          ),
          link.varde ? h("p", { class: "evidence__text" }, link.varde) : null,
          link.start !== null && link.end !== null && link.document_id
            ? h("p", {}, route(
                documentUrl(state, { doc: link.document_id, start: link.start, end: link.end }),
                { "data-focus": "target" }, "Visa beviset i texten"))
            : null,
        ),
      ),
    ),
  );
}

function referencesSection(state, arende, entries) {
  if (!arende.hanvisningar.length) return null;
  return section(
    "hanvisningar",
    "Hänvisningar",
    h("p", { class: "section-lead" }, "Andra beslut och diarienummer som ärendets delar nämner, ",
      "och delar av andra ärenden som nämner detta."),
    h(
      "ul",
      { class: "references" },
      arende.hanvisningar.map((ref) => {
        const target = ref.mal;
        const here = ref.riktning === "ut"
          ? ["i ", unitLink(state, entries.get(ref.paragraph_id))]
          : [
              "från ",
              ref.arende_id
                ? route(arendeUrl(state, ref.arende_id), {}, "ett annat ärende")
                : "en annan del",
            ];
        return h(
          "li",
          { "data-extern": String(ref.extern) },
          route(documentUrl(state, { doc: ref.document_id, start: ref.start, end: ref.end }),
            { class: "references__text", "data-focus": "target" }, `”${ref.text}”`),
          " ",
          here,
          ": ",
          ref.extern || !target
            ? h("span", { class: "references__extern" }, "finns inte i samlingen")
            : [
                route(
                  documentUrl(state, {
                    doc: target.document_id,
                    paragraf: target.paragraf || undefined,
                  }),
                  { "data-focus": "target" },
                  dotted(paragrafLabel(target.paragraf), target.rubrik, target.datum),
                ),
                target.arende_id && String(target.arende_id) !== String(arende.id)
                  ? [" · ", route(arendeUrl(state, target.arende_id), {}, "dess ärende")]
                  : null,
              ],
        );
      }),
    ),
  );
}

// --- the bar at the start of each § in the document view ---------------------------------------

/** Ärende, "Liknande", references and positions of one § (or part without §). */
export function unitBar(state, unit, current) {
  const label = unitLabel(unit);
  const positions = unit.positioner || [];
  return h(
    "div",
    {
      class: `unit-bar${current ? " unit-bar--current" : ""}`,
      id: `enhet-${unit.paragraph_id}`,
      "data-paragraph": unit.paragraph_id,
    },
    h(
      "p",
      { class: "unit-bar__row" },
      h("span", { class: "unit-bar__label" }, label),
      unit.arende_id
        ? route(arendeUrl(state, unit.arende_id), {
            class: "unit-bar__action",
            "aria-label": `Ärendet för ${label}`,
            "data-action": "arende",
          }, "Ärende")
        : null,
      unit.arende_id ? certaintyTag(unit.sakerhet, unit.konfidens) : null,
      route(liknandeUrl(state, unit.paragraph_id), {
        class: "unit-bar__action",
        "aria-label": `Liknande som ${label}`,
        "data-action": "liknande",
      }, "Liknande"),
      referenceLinks(unit.referenser),
    ),
    citeTools(unit),
    positions.length
      ? h(
          "details",
          { class: "unit-bar__positions", open: current || undefined },
          h("summary", {}, `Ställningstaganden (${positions.length})`),
          positionList(state, positions),
        )
      : null,
  );
}

// --- Liknande ----------------------------------------------------------------------------------

export async function liknandeView(state) {
  const id = /^\d+$/.test(state.liknande) ? state.liknande : "0";
  const kind = state.liktyp || "";
  // Other kommuner by default ("how did others answer?"); andra=0 adds the own kommun's
  // other meetings.
  const others = state.andra !== "0";
  const [source, found] = await Promise.all([
    getJSON(`/api/paragrafer/${id}`),
    getJSON(`/api/paragrafer/${id}/liknande`, {
      dokumenttyp: kind,
      andra_kommuner: others ? "true" : "false",
      limit: 10,
    }),
  ]);
  const keep = { ...searchPart(state), liknande: id };
  const kinds = KINDS.some(([value]) => value === kind)
    ? KINDS
    : [...KINDS, [kind, capitalize(kind)]];
  const label = unitLabel(source);
  const items = found.liknande;
  const close = items.filter((item) => item.narhet);
  const far = items.filter((item) => !item.narhet);
  const measured = found.metod === "hybrid" || items.some((item) => item.ordlikhet !== null);
  let heading = "Inga liknande hittades";
  if (close.length) heading = `${close.length} nära eller liknande`;
  else if (items.length && measured) heading = "Inget nära prejudikat";
  else if (items.length) heading = `${items.length} liknande`;
  const node = h(
    "section",
    { class: "view liknande-view", "aria-labelledby": "liknande-title" },
    h("p", {}, route(documentUrl(state, unitPlace(source)), { class: "back" },
      `← Tillbaka till ${label} i handlingen`)),
    h("p", { class: "question-label" }, `Liknande som ${label}`),
    h("h1", { id: "liknande-title", tabindex: "-1" }, source.rubrik || label),
    h("p", { class: "meta" },
      dotted(source.kommun, source.namnd, source.datum, paragrafLabel(source.paragraf),
        source.dnr.join(", "))),
    source.arende_id
      ? h("p", {}, route(arendeUrl(state, source.arende_id), {}, "Till ärendet"))
      : null,
    h(
      "div",
      { class: "choices", role: "group", "aria-label": "Typ" },
      h("span", { class: "chips__label", "aria-hidden": "true" }, "Typ:"),
      kinds.map(([value, text]) =>
        route(urlFor({ ...keep, liktyp: value || undefined, andra: state.andra }), {
          class: "choice",
          "aria-current": kind === value ? "true" : null,
          "data-liktyp": value,
        }, text),
      ),
    ),
    h(
      "div",
      { class: "choices choices--more" },
      route(urlFor({ ...keep, liktyp: kind || undefined, andra: others ? "0" : undefined }), {
        class: "choice choice--toggle",
        "aria-current": others ? null : "true",
        "data-andra": others ? "1" : "0",
      }, "Även egna kommunen"),
    ),
    h("p", { class: "section-lead" },
      others ? "Andra kommuners paragrafer; " : "Andra möten och andra kommuner; ",
      "samma slags handling och samma remiss eller lagrum först."),
    found.metod === "bm25"
      ? h("p", { class: "notice", role: "note" },
        "Texterna är inte inbäddade än, så liknande rangordnas bara efter ord.")
      : null,
    h("h2", { class: "liknande__count" }, heading),
    items.length && !close.length && measured
      ? h("p", { class: "notice liknande__none", role: "note" },
        "Inget nära prejudikat hittades: ingen paragraf nedan når gränsen för ”liknande ämne” ",
        `(textlikhet minst ${found.trosklar.textlikhet["liknande ämne"]} och ordlikhet minst `,
        `${found.trosklar.ordlikhet["liknande ämne"]}). De närmaste visas ändå nedan.`)
      : null,
    close.length
      ? h("ol", { class: "result-list" }, close.map((item) => h("li", {}, similarCard(state, item))))
      : null,
    far.length && close.length ? h("h3", { class: "liknande__far" }, "Längre ifrån") : null,
    far.length
      ? h("ol", { class: "result-list result-list--far" },
        far.map((item) => h("li", {}, similarCard(state, item))))
      : null,
    items.length
      ? null
      : h(
          "p",
          { class: "empty" },
          "Inga andra paragrafer liknar den här",
          kind || !others ? [" med de valen. ", route(urlFor(keep), {}, "Visa alla")] : ".",
        ),
  );
  return { node, title: `Liknande som ${label}`, status: heading };
}

function similarCard(state, item) {
  const place = item.paragraf
    ? { doc: item.document_id, paragraf: item.paragraf }
    : { doc: item.document_id, chunk: item.chunk ? item.chunk.chunk_id : undefined };
  return h(
    "article",
    {
      class: "card result liknande__item",
      "data-paragraph": item.paragraph_id,
      "data-kommun": item.kommun || "",
      "data-narhet": item.narhet || "",
    },
    h("p", { class: "meta" },
      dotted(item.kommun, item.namnd, item.datum, paragrafLabel(item.paragraf))),
    h("h2", { class: "card__title" }, route(documentUrl(state, place), { "data-focus": "target" },
      item.rubrik || capitalize(item.typ))),
    item.chunk ? h("p", { class: "snippet" }, excerpt(item.chunk.text)) : null,
    h(
      "p",
      { class: "tags" },
      item.narhet ? tag(capitalize(item.narhet), "tag--narhet") : null,
      item.samma_handling ? tag(`Samma slags handling: ${item.handling}`, "tag--handling") : null,
      item.gemensamma_referenser.length
        ? tag(`Samma ${item.gemensamma_referenser.join(", ")}`, "tag--referens")
        : null,
      tag(capitalize(item.typ)),
      item.textlikhet !== null || item.ordlikhet !== null
        ? h("span", { class: "liknande__score" },
          dotted(item.textlikhet !== null ? `textlikhet ${item.textlikhet.toFixed(2)}` : null,
            item.ordlikhet !== null ? `ordlikhet ${item.ordlikhet.toFixed(2)}` : null))
        : null,
      item.dokumenttyp && item.dokumenttyp !== item.typ
        ? tag(capitalize(item.dokumenttyp), "tag--quiet")
        : null,
      h("span", { class: "source" }, item.source),
      item.arende_id
        ? route(arendeUrl(state, item.arende_id), {
            class: "card__arende",
            "aria-label": `Ärende: ${item.rubrik || capitalize(item.typ)}`,
          }, "Ärende")
        : null,
    ),
  );
}

function excerpt(text, length = 280) {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= length) return flat;
  const cut = flat.lastIndexOf(" ", length);
  return `${flat.slice(0, cut > length / 2 ? cut : length)} …`;
}
