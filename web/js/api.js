// The HTTP client: bearer token or session cookie (with its CSRF token on every write), JSON
// in and out, RFC 9457 problems turned into ApiError, 401 handed to the session (back to
// sign-in), 503/429 retried after Retry-After for reads.

const TIMEOUT_MS = 30000;
const MAX_AUTO_WAIT_S = 30;

let token = null;
let csrf = null; // the session's CSRF token, when a session cookie signs the requests
let onUnauthorized = () => {};
let onBusy = () => {};

export function setToken(t) {
  token = t;
}
export function setCsrf(c) {
  csrf = c;
}
export function setHandlers(h) {
  if (h.unauthorized) onUnauthorized = h.unauthorized;
  if (h.busy) onBusy = h.busy;
}

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status; // 0: the service could not be reached
    this.title = problem?.title || '';
    this.detail = problem?.detail || '';
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
    this.retryAfter = retryAfter; // seconds, or null
    this.timeout = !!problem?.timeout;
  }
}

export function isAbort(e) {
  return e?.name === 'AbortError';
}

function retryAfterSeconds(res) {
  const v = res.headers.get('Retry-After');
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const when = Date.parse(v);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

function buildUrl(path, query) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    url.searchParams.set(k, String(v));
  }
  return url.pathname + url.search;
}

async function once(method, url, opts) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (opts.accept) headers.Accept = opts.accept;
  if (token && opts.auth !== false) headers.Authorization = `Bearer ${token}`;
  // The cookie goes by itself (same origin); a change made with it also needs the CSRF token.
  else if (csrf && method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  let body;
  if (opts.text !== undefined) {
    body = opts.text;
    headers['Content-Type'] = opts.contentType || 'text/plain; charset=utf-8';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  }
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new DOMException('timeout', 'TimeoutError')), opts.timeout || TIMEOUT_MS);
  const outer = opts.signal;
  const relay = () => ctrl.abort(new DOMException('aborted', 'AbortError'));
  if (outer) {
    if (outer.aborted) relay();
    else outer.addEventListener('abort', relay, { once: true });
  }
  try {
    return await fetch(url, { method, headers, body, signal: ctrl.signal, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    if (outer?.aborted) throw new DOMException('aborted', 'AbortError');
    if (ctrl.signal.aborted) throw new ApiError(0, { timeout: true });
    throw new ApiError(0, null);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', relay);
  }
}

/**
 * api('GET', '/api/v1/needs', {query, body, text, contentType, signal, raw})
 * Resolves to the parsed JSON (null for 204), or the Response itself with raw: true.
 */
export async function api(method, path, opts = {}) {
  const url = buildUrl(path, opts.query);
  const idempotent = method === 'GET' || method === 'HEAD';
  for (let attempt = 0; ; attempt++) {
    const res = await once(method, url, opts);
    if (res.ok) {
      if (opts.raw) return res;
      if (res.status === 204) return null;
      const type = res.headers.get('Content-Type') || '';
      return type.includes('json') ? res.json() : res.text();
    }
    let problem = null;
    try {
      const type = res.headers.get('Content-Type') || '';
      if (type.includes('json')) problem = await res.json();
    } catch {
      /* a body that is not JSON: the status says enough */
    }
    const wait = retryAfterSeconds(res);
    if (res.status === 401 && opts.auth !== false && !opts.keepSession) {
      onUnauthorized(problem);
    }
    if ((res.status === 503 || res.status === 429) && idempotent && attempt < 3 && !opts.noRetry) {
      const s = Math.min(wait ?? 2, MAX_AUTO_WAIT_S);
      onBusy(s);
      await new Promise((resolve, reject) => {
        const t = setTimeout(resolve, s * 1000);
        opts.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new DOMException('aborted', 'AbortError'));
        }, { once: true });
      });
      onBusy(0);
      continue;
    }
    throw new ApiError(res.status, problem, wait);
  }
}

/** Every page of a list, up to max items. */
export async function listAll(path, query, { signal, max = 2000 } = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await api('GET', path, { query: { ...query, limit: 500, cursor }, signal });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
