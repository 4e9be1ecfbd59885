// The JSON API the UI is built on (the same endpoints are documented at /docs).

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const cache = new Map(); // url -> parsed JSON; back and forward are instant and stable
const CACHE_SIZE = 30;

/** GET a JSON endpoint; `params` with empty values are left out. Throws ApiError. */
export async function getJSON(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  const url = query.toString() ? `${path}?${query}` : path;
  if (cache.has(url)) return cache.get(url);
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError(0, "Servern svarar inte. Kontrollera att namnd serve körs.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, describe(response.status, body));
  cache.set(url, body);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
  return body;
}

function describe(status, body) {
  const detail = body && body.detail;
  if (status === 404) return "Hittades inte.";
  if (status === 422 && Array.isArray(detail)) {
    const problems = detail.map((p) => (p.parameter ? `${p.parameter}: ${p.message}` : p.message));
    return `Ogiltig begäran (${problems.join("; ")})`;
  }
  if (status === 422 && typeof detail === "string") return `Ogiltig begäran (${detail})`;
  return `Något gick fel (HTTP ${status}).`;
}
