// A document: its facts, the § or parts as navigation, and the text with the cited
// passage marked (document text only ever reaches the page as text nodes).

import { getJSON } from "./api.js";
import { unitBar } from "./arende.js";
import { capitalize, dotted, h, offsetMapper } from "./dom.js";
import { safeUrl } from "./follow.js";
import { paragrafLabel, route, searchPart, urlFor } from "./links.js";
import { input, main, statusLine, WIDE } from "./shared.js";

// --- the document view ------------------------------------------------------------------------

export async function documentView(state) {
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
export function copyLinkButton() {
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
