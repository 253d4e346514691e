// Translations: web/i18n/<code>.json, one flat object of key -> text, with "_name" (the
// language's own name) and optionally "_dir": "rtl". Dropping a file such as fr.json into
// web/i18n/ adds the language: candidates are the six UN languages and the browser's own
// preferences, and whichever files exist are offered. Missing keys fall back to English.

const STORE_KEY = 'rt.lang';
const PROBED_KEY = 'rt.langs';
const UN_LANGUAGES = ['en', 'zh', 'fr', 'es', 'ru', 'ar'];

let dict = {};
let fallback = {};
let lang = 'en';
const listeners = new Set();

async function fetchDict(code) {
  const res = await fetch(`/i18n/${code}.json`, { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    await res.body?.cancel(); // an unread body keeps the request open (and the page busy)
    throw new Error(`no translation file for ${code} (${res.status})`);
  }
  return res.json();
}

function wanted() {
  const stored = localStorage.getItem(STORE_KEY);
  if (stored && /^[a-z]{2,3}$/.test(stored)) return stored;
  for (const l of navigator.languages || []) {
    const code = l.toLowerCase().split('-')[0];
    if (UN_LANGUAGES.includes(code)) return code;
  }
  return 'en';
}

export async function init() {
  fallback = await fetchDict('en');
  const want = wanted();
  if (want !== 'en') {
    try {
      dict = await fetchDict(want);
      lang = want;
    } catch {
      dict = fallback;
      lang = 'en';
    }
  } else {
    dict = fallback;
  }
  applyDocument();
}

export function current() {
  return lang;
}

export async function setLanguage(code) {
  const d = code === 'en' ? fallback : await fetchDict(code);
  dict = d;
  lang = code;
  localStorage.setItem(STORE_KEY, code);
  applyDocument();
  for (const fn of listeners) fn(code);
}

export function onChange(fn) {
  listeners.add(fn);
}

/** The languages whose files exist, as [{code, name}], probed once per browser session. */
export async function available() {
  const cached = sessionStorage.getItem(PROBED_KEY);
  if (cached) {
    try {
      return JSON.parse(cached);
    } catch {
      /* probe again */
    }
  }
  const codes = [...UN_LANGUAGES];
  for (const l of navigator.languages || []) {
    const code = l.toLowerCase().split('-')[0];
    if (/^[a-z]{2,3}$/.test(code) && !codes.includes(code)) codes.push(code);
  }
  const found = [];
  await Promise.all(codes.map(async (code) => {
    if (code === 'en' || code === lang) {
      found.push({ code, name: (code === 'en' ? fallback : dict)._name || code });
      return;
    }
    try {
      const d = await fetchDict(code);
      found.push({ code, name: d._name || code });
    } catch {
      /* that language has no file yet */
    }
  }));
  found.sort((a, b) => codes.indexOf(a.code) - codes.indexOf(b.code));
  sessionStorage.setItem(PROBED_KEY, JSON.stringify(found));
  return found;
}

export function t(key, params) {
  let s = dict[key] ?? fallback[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

/** An enum value's label: t('status.open'), falling back to the raw value. */
export function tv(prefix, value) {
  if (value === null || value === undefined || value === '') return '';
  const key = `${prefix}.${value}`;
  const s = dict[key] ?? fallback[key];
  return s ?? String(value);
}

function applyDocument() {
  document.documentElement.lang = lang;
  document.documentElement.dir = dict._dir === 'rtl' ? 'rtl' : 'ltr';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
  document.title = t('app.title');
}

// --- formatting in the interface language --------------------------------------------------

export function fmtNumber(n, opts) {
  return new Intl.NumberFormat(lang, opts).format(n);
}

export function fmtMoney(n) {
  if (n === null || n === undefined || n === '') return t('common.none');
  return new Intl.NumberFormat(lang, { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format(n);
}

export function fmtPercent(v, digits = 0) {
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: digits }).format(v);
}

export function fmtDateTime(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function fmtDate(s) {
  if (!s) return '';
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return s;
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

export function langName(code) {
  try {
    return new Intl.DisplayNames([lang], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}

export function countryName(code) {
  if (!code) return '';
  return code; // alpha-3 codes have no Intl name table; the code is what delegates use
}
