// Nämndsök web UI: search, filters, answers with citations, a document view, ärenden and
// "Liknande". Plain ES modules, no build step. All state lives in the URL (shareable links;
// back and forward work through history.pushState and popstate). Document text is untrusted
// and only ever reaches the page as text nodes (see dom.js).
//
// The entry module: the search form, routing by the URL and rendering a view (views live in
// home.js, search.js, answer.js, document.js, arende.js and follow.js).

import { ApiError } from "./api.js";
import { arendeView, liknandeView } from "./arende.js";
import { clear, h } from "./dom.js";
import { coverageView, printView, setFeed } from "./follow.js";
import { readState, route, searchPart, urlFor } from "./links.js";
import { answerView } from "./answer.js";
import { documentView } from "./document.js";
import { homeView } from "./home.js";
import { searchView } from "./search.js";
import { form, input, main, navigate, setRenderer, statusLine, submit } from "./shared.js";

let renderCount = 0; // a newer render makes older, still loading ones drop their result

// --- the URL ----------------------------------------------------------------------------------



window.addEventListener("popstate", () => render({ restore: true }));

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-route]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"), { focus: link.dataset.focus || "heading" });
});

// --- the search form --------------------------------------------------------------------------

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

// --- rendering --------------------------------------------------------------------------------

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


setRenderer(render);
render();
