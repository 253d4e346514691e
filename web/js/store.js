// What the UI keeps between views: the theme taxonomy, participants and roundtables seen, and
// which optional routes this server has (read from its OpenAPI document once per session).

import { api, listAll } from './api.js';
import { current as uiLang } from './i18n.js';

const ROUTES_KEY = 'rt.routes';
let routes = null;
let routesPromise = null;

/** Loads the set of "METHOD /path" the server serves; cached for the browser session. */
export function loadRoutes() {
  if (routes) return Promise.resolve(routes);
  const cached = sessionStorage.getItem(ROUTES_KEY);
  if (cached) {
    try {
      routes = new Set(JSON.parse(cached));
      return Promise.resolve(routes);
    } catch {
      /* read it again */
    }
  }
  if (!routesPromise) {
    routesPromise = api('GET', '/api/openapi.json', { auth: false })
      .then((doc) => {
        const set = new Set();
        for (const [p, ops] of Object.entries(doc.paths || {})) {
          for (const m of Object.keys(ops)) {
            if (['get', 'post', 'patch', 'put', 'delete'].includes(m)) set.add(`${m.toUpperCase()} ${p}`);
          }
        }
        routes = set;
        sessionStorage.setItem(ROUTES_KEY, JSON.stringify([...set]));
        return set;
      })
      .finally(() => {
        routesPromise = null;
      });
  }
  return routesPromise;
}

export async function has(method, path) {
  const set = await loadRoutes();
  return set.has(`${method} ${path}`);
}

export const FEATURES = {
  needSuggestions: ['GET', '/api/v1/needs/{id}/suggestions'],
  offerSuggestions: ['GET', '/api/v1/offers/{id}/suggestions'],
  matches: ['GET', '/api/v1/matches'],
  decide: ['POST', '/api/v1/matches/{id}/decision'],
  matchRuns: ['POST', '/api/v1/roundtables/{id}/match-runs'],
  matchRun: ['GET', '/api/v1/match-runs/{id}'],
  summary: ['GET', '/api/v1/roundtables/{id}/summary'],
  overlaps: ['GET', '/api/v1/offers/{id}/overlaps'],
  me: ['GET', '/api/v1/me'],
  schedule: ['POST', '/api/v1/roundtables/{id}/schedule'],
  participantSchedule: ['GET', '/api/v1/participants/{id}/schedule'],
};

export async function feature(name) {
  const [m, p] = FEATURES[name];
  return has(m, p);
}

// --- themes ---------------------------------------------------------------------------------

let themes = null;
export async function loadThemes(signal) {
  if (themes) return themes;
  const res = await api('GET', '/api/v1/themes', { auth: false, signal });
  const byCode = new Map();
  const groups = [];
  for (const th of res.items) {
    byCode.set(th.code, th);
    if (th.parent === null) groups.push({ ...th, children: [] });
  }
  for (const th of res.items) {
    if (th.parent !== null) groups.find((g) => g.code === th.parent)?.children.push(th);
  }
  themes = { byCode, groups };
  return themes;
}

/** A theme's name in the interface language (the taxonomy has English and Chinese). */
export function themeName(code) {
  const th = themes?.byCode.get(code);
  if (!th) return code;
  return th.name[uiLang()] || th.name.en || code;
}

// --- participants and roundtables -----------------------------------------------------------

const participants = new Map();
export async function participant(id, signal) {
  if (!id) return null;
  if (!participants.has(id)) {
    const p = api('GET', `/api/v1/participants/${encodeURIComponent(id)}`, { signal });
    participants.set(id, p);
    p.catch(() => participants.delete(id));
  }
  return participants.get(id);
}
export function rememberParticipant(p) {
  participants.set(p.id, Promise.resolve(p));
}

let roundtables = null;
export async function loadRoundtables(signal, { fresh = false } = {}) {
  if (!roundtables || fresh) roundtables = await listAll('/api/v1/roundtables', {}, { signal });
  return roundtables;
}
export function forgetRoundtables() {
  roundtables = null;
}

const postings = new Map();
/** A need or offer by id ("needs" | "offers"), cached briefly for lists of matches. */
export async function posting(kind, id, signal) {
  const key = `${kind}/${id}`;
  if (!postings.has(key)) {
    const p = api('GET', `/api/v1/${kind}/${encodeURIComponent(id)}`, { signal });
    postings.set(key, p);
    p.catch(() => postings.delete(key));
  }
  return postings.get(key);
}
export function forgetPostings() {
  postings.clear();
}

export function resetAll() {
  participants.clear();
  postings.clear();
  roundtables = null;
}
