// Fråga: an answer with its numbered citations and the list of sources.

import { getJSON } from "./api.js";
import { capitalize, dotted, h } from "./dom.js";
import { citeTools, sourceLine } from "./follow.js";
import { documentUrl, paragrafLabel, route, searchPart, tag, urlFor } from "./links.js";
import { activeFilters, notes } from "./search.js";
import { apiFilters } from "./shared.js";

// --- answers ----------------------------------------------------------------------------------

export async function answerView(state) {
  const answer = await getJSON("/api/ask", {
    q: state.q,
    ...apiFilters(state),
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
