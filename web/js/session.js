// Who is signed in: with an account (email and password: the service sets an HttpOnly session
// cookie, and the page keeps only the CSRF token to send on changes) or with an API token.
// Either lives in sessionStorage only (gone with the tab; never in a URL or localStorage).
// With a token, a service without a "who am I" route is worked out:
//   1. GET /api/v1/me when the server has it (the route the UI asks the API to add);
//   2. otherwise GET /api/v1/tokens: 200 means staff (admin when an admin token is listed,
//      which organizers never see), 403 a state or provider token, 401 a bad token;
//   3. a state or provider then says which participant it acts for, and the UI checks that
//      claim with a PATCH the server refuses before writing anything: {"name": null} is
//      answered 403 for another participant and 422 ("cannot be cleared") for one's own.

import { api, setToken, setCsrf, ApiError } from './api.js';
import { feature, rememberParticipant, resetAll } from './store.js';

const KEY = 'rt.session';
let current = null;

export function get() {
  return current;
}

export function restore() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.role && (typeof s.token === 'string' || typeof s.csrf === 'string')) {
      current = s;
      setToken(s.token || null);
      setCsrf(s.csrf || null);
      if (s.participant) rememberParticipant(s.participant);
    }
  } catch {
    current = null;
  }
  return current;
}

function save(s) {
  current = s;
  sessionStorage.setItem(KEY, JSON.stringify(s));
  setToken(s.token || null);
  setCsrf(s.csrf || null);
  if (s.participant) rememberParticipant(s.participant);
}

/** Forgets who is signed in; a session is also ended on the server (best effort). */
export function signOut() {
  const wasSession = !!current?.csrf;
  if (wasSession) api('DELETE', '/api/v1/session', { keepSession: true, noRetry: true }).catch(() => {});
  current = null;
  sessionStorage.removeItem(KEY);
  setToken(null);
  // the DELETE above has taken the CSRF token with it already
  setCsrf(null);
  resetAll();
}

export const isSessionSignIn = () => !!current?.csrf;

/**
 * Signs in with email and password. Resolves when signed in; rejects with ApiError (401 wrong
 * email or password, 429 too many failures with retryAfter, 422 a field missing).
 */
export async function signInWithPassword(email, password) {
  setToken(null);
  const s = await api('POST', '/api/v1/session', { body: { email, password }, keepSession: true, noRetry: true });
  setCsrf(s.csrf_token);
  let participant = null;
  if (s.participant_id) participant = await api('GET', `/api/v1/participants/${encodeURIComponent(s.participant_id)}`, { keepSession: true });
  save({ csrf: s.csrf_token, role: s.role, email: s.account?.email || email, participant });
}

export const isStaff = () => current?.role === 'admin' || current?.role === 'organizer';
export const role = () => current?.role || null;
export const participantId = () => current?.participant?.id || null;

function roleForKind(kind) {
  if (kind === 'state') return 'state';
  if (kind === 'donor' || kind === 'implementer') return 'provider';
  return null;
}

/**
 * Signs in with a token. Resolves to {done: true} when the session is complete, or
 * {needParticipant: true} when a state or provider token must say whom it acts for.
 * Rejects with ApiError (401 for a token the service does not know).
 */
export async function identify(token) {
  setToken(token);
  let me = null;
  try {
    if (await feature('me')) me = await api('GET', '/api/v1/me', { keepSession: true });
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw e;
    me = null;
  }
  if (me && me.role) {
    let participant = me.participant || null;
    const pid = me.participant_id || participant?.id || null;
    if (pid && !participant) participant = await api('GET', `/api/v1/participants/${pid}`, { keepSession: true });
    save({ token, role: me.role, participant });
    return { done: true };
  }
  try {
    const list = await api('GET', '/api/v1/tokens', { query: { limit: 500 }, keepSession: true });
    const admin = list.items.some((tk) => tk.role === 'admin');
    save({ token, role: admin ? 'admin' : 'organizer', participant: null });
    return { done: true };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      pendingToken = token;
      return { needParticipant: true };
    }
    setToken(null);
    throw e;
  }
}

let pendingToken = null;

/** Confirms that the pending token acts for participant p. Resolves true, or false if not. */
export async function confirmParticipant(p) {
  const token = pendingToken;
  setToken(token);
  try {
    await api('PATCH', `/api/v1/participants/${encodeURIComponent(p.id)}`, { body: { name: null }, keepSession: true });
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) {
      const r = roleForKind(p.kind);
      if (!r) return false;
      save({ token, role: r, participant: p });
      pendingToken = null;
      return true;
    }
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return false;
    throw e;
  }
  // The server accepted an empty change: it no longer refuses before writing, so the check
  // proves nothing. Should not happen; say no rather than guess.
  return false;
}

export function hasPending() {
  return pendingToken !== null;
}
