// Roundtable's web UI: boot, the hash router, the page frame (navigation, language, sign-out)
// and the safety nets that turn any failure into words on the page.

import { h, replace } from './dom.js';
import * as i18n from './i18n.js';
import { t, tv } from './i18n.js';
import { setHandlers, isAbort } from './api.js';
import * as session from './session.js';
import { errorPanel, describeError } from './ui.js';
import { signinView } from './views/signin.js';
import { postingList, postingForm, postingDetail } from './views/postings.js';
import { matchesView } from './views/matches.js';
import { roundtableList, roundtableForm, roundtableDetail } from './views/roundtables.js';
import { scheduleView, myScheduleView } from './views/schedule.js';
import { rulesView } from './views/rules.js';

const ANY = null;
const STAFF = ['admin', 'organizer'];
const ROUTES = [
  ['/signin', signinView, 'public'],
  ['/needs', postingList('needs'), ANY],
  ['/needs/new', postingForm('needs'), [...STAFF, 'state']],
  ['/needs/:id', postingDetail('needs'), ANY],
  ['/needs/:id/edit', postingForm('needs'), [...STAFF, 'state']],
  ['/offers', postingList('offers'), ANY],
  ['/offers/new', postingForm('offers'), [...STAFF, 'provider']],
  ['/offers/:id', postingDetail('offers'), ANY],
  ['/offers/:id/edit', postingForm('offers'), [...STAFF, 'provider']],
  ['/matches', matchesView, ANY],
  ['/roundtables', roundtableList, ANY],
  ['/roundtables/new', roundtableForm, STAFF],
  ['/roundtables/:id', roundtableDetail, ANY],
  ['/roundtables/:id/edit', roundtableForm, STAFF],
  ['/roundtables/:id/schedule', scheduleView, ANY],
  ['/roundtables/:id/rules', rulesView, ANY],
  ['/schedule', myScheduleView, ['state', 'provider']],
].map(([pattern, view, roles]) => {
  const names = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (m, n) => { names.push(n); return '([1-9][0-9]{0,17})'; })}$`);
  return { pattern, re, names, view, roles };
});

const main = document.getElementById('main');
const live = document.getElementById('live');
const banner = document.getElementById('banner');
let viewCtrl = null;

function home() {
  const r = session.role();
  if (r === 'state') return '#/needs';
  if (r === 'provider') return '#/offers';
  return '#/roundtables';
}

function navigate(hash, replaceHistory = false) {
  if (location.hash === hash) {
    render();
  } else if (replaceHistory) {
    history.replaceState(null, '', hash);
    render();
  } else {
    location.hash = hash;
  }
}

function announce(text) {
  // Cleared first so that the same message twice is read twice.
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 50);
}

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path, query: new URLSearchParams(qs || '') };
}

async function render() {
  viewCtrl?.abort();
  viewCtrl = new AbortController();
  const ctrl = viewCtrl;
  const { path, query } = parseHash();
  renderFrame();
  if (!session.get() && path !== '/signin') {
    navigate('#/signin', true);
    return;
  }
  if (path === '/' || path === '') {
    navigate(home(), true);
    return;
  }
  let found = null;
  let params = {};
  for (const r of ROUTES) {
    const m = r.re.exec(path);
    if (m) {
      found = r;
      params = Object.fromEntries(r.names.map((n, i) => [n, m[i + 1]]));
      break;
    }
  }
  const fresh = h('div.view');
  replace(main, fresh);
  main.setAttribute('aria-busy', 'true');
  try {
    if (!found) {
      fresh.append(h('h1', { tabindex: '-1' }, t('notfound.title')), h('p', t('notfound.text')), h('p', h('a', { href: home() }, t('notfound.home'))));
    } else if (found.roles === 'public' && session.get() && path === '/signin') {
      navigate(home(), true);
      return;
    } else if (Array.isArray(found.roles) && !found.roles.includes(session.role())) {
      fresh.append(h('h1', { tabindex: '-1' }, t('forbidden.title')), h('p', t('forbidden.text')), h('p', h('a', { href: home() }, t('notfound.home'))));
    } else {
      await found.view({
        main: fresh,
        params,
        query,
        signal: ctrl.signal,
        navigate,
        announce,
        refresh: () => render(),
        signedIn: () => {
          announce(t('signin.welcome'));
          navigate(home(), true);
        },
      });
    }
  } catch (e) {
    if (isAbort(e) || ctrl.signal.aborted) return;
    if (e?.status === 401) return; // the session handler has gone back to sign-in
    replace(fresh, h('h1', { tabindex: '-1' }, t('error.page_title')), errorPanel(e, () => render()));
  } finally {
    if (!ctrl.signal.aborted) {
      main.removeAttribute('aria-busy');
      const h1 = fresh.querySelector('h1');
      if (h1) document.title = `${h1.textContent} — ${t('app.title')}`;
      if (focusNext) h1?.focus({ preventScroll: false });
      focusNext = true;
    }
  }
}
let focusNext = false; // not on the first page load: the browser starts at the top anyway

// --- frame: navigation, who is signed in, language ------------------------------------------

function renderFrame() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  const s = session.get();
  const links = [];
  if (s) {
    const r = s.role;
    if (r === 'state') links.push(['#/needs', t('nav.my_needs')], ['#/matches', t('nav.partnerships')], ['#/offers?mine=0', t('nav.offers')], ['#/roundtables', t('nav.roundtables')], ['#/schedule', t('nav.my_schedule')]);
    else if (r === 'provider') links.push(['#/offers', t('nav.my_offers')], ['#/matches', t('nav.matches')], ['#/needs?mine=0', t('nav.needs')], ['#/roundtables', t('nav.roundtables')], ['#/schedule', t('nav.my_schedule')]);
    else links.push(['#/roundtables', t('nav.roundtables')], ['#/needs', t('nav.needs')], ['#/offers', t('nav.offers')], ['#/matches', t('nav.matches')]);
  }
  const { path } = parseHash();
  replace(nav, links.length ? h('ul', links.map(([href, label]) => {
    const base = href.split('?')[0].slice(1);
    const isCurrent = path === base || path.startsWith(`${base}/`);
    return h('li', h('a', { href, 'aria-current': isCurrent ? 'page' : null }, label));
  })) : null);
  nav.hidden = !links.length;
  if (s) {
    const name = s.participant ? s.participant.name : tv('role', s.role);
    replace(who,
      h('span.who-name', h('span.visually-hidden', t('frame.signed_in_as')), h('span', { dir: 'auto' }, name), s.participant ? h('span.muted', ` (${tv('role', s.role)})`) : null),
      h('button.link', { type: 'button', onclick: signOut }, t('frame.sign_out')));
  } else {
    replace(who);
  }
}

function signOut() {
  session.signOut();
  announce(t('frame.signed_out'));
  navigate('#/signin', true);
}

async function setupLanguages() {
  const select = document.getElementById('lang');
  const fill = (langs) => {
    replace(select, langs.map((l) => h('option', { value: l.code, lang: l.code, selected: l.code === i18n.current() }, l.name)));
  };
  fill([{ code: i18n.current(), name: t('_name') }]);
  select.addEventListener('change', async () => {
    try {
      await i18n.setLanguage(select.value);
      focusNext = false;
      const typed = snapshot(main); // what is half typed survives the new labels
      await render();
      restore(main, typed);
      announce(t('frame.language_changed'));
      select.focus();
    } catch (e) {
      showBanner(describeError(e), 'error');
    }
  });
  try {
    fill(await i18n.available());
  } catch {
    /* the current language stays the only choice */
  }
}

/** The values of the named controls in root, keyed by name (and value, for check boxes). */
function snapshot(root) {
  const out = new Map();
  for (const el of root.querySelectorAll('input[name], select[name], textarea[name]')) {
    if (el.type === 'file') continue;
    const box = el.type === 'checkbox' || el.type === 'radio';
    const key = box ? `${el.name}=${el.value}` : el.name;
    out.set(key, box ? el.checked : el.value);
  }
  return out;
}

function restore(root, snap) {
  for (const el of root.querySelectorAll('input[name], select[name], textarea[name]')) {
    if (el.type === 'file') continue;
    const box = el.type === 'checkbox' || el.type === 'radio';
    const key = box ? `${el.name}=${el.value}` : el.name;
    if (!snap.has(key)) continue;
    if (box) el.checked = snap.get(key);
    else el.value = snap.get(key);
  }
}

// --- banners: busy service, unexpected failures ---------------------------------------------

let busyTimer = null;
function onBusy(seconds) {
  clearInterval(busyTimer);
  if (!seconds) {
    banner.hidden = true;
    return;
  }
  let left = seconds;
  const tick = () => {
    showBanner(t('error.busy_retrying', { s: left }), 'warn');
    left -= 1;
    if (left < 0) clearInterval(busyTimer);
  };
  tick();
  busyTimer = setInterval(tick, 1000);
}

function showBanner(text, kind) {
  banner.className = `banner ${kind}`;
  replace(banner, h('p', text), h('button.link', { type: 'button', onclick: () => { banner.hidden = true; } }, t('common.dismiss')));
  banner.hidden = false;
}

window.addEventListener('unhandledrejection', (ev) => {
  if (isAbort(ev.reason)) {
    ev.preventDefault();
    return;
  }
  ev.preventDefault();
  showBanner(`${t('error.unexpected')} ${describeError(ev.reason)}`, 'error');
});
window.addEventListener('error', (ev) => {
  ev.preventDefault();
  showBanner(`${t('error.unexpected')} ${ev.message || ''}`, 'error');
});

// --- boot -----------------------------------------------------------------------------------

async function boot() {
  try {
    await i18n.init();
  } catch {
    // Without even English there are no labels: say so in plain words rather than a blank page.
    replace(main, h('div.notice.error', { role: 'alert' }, h('p', 'The page could not load its texts. Check the connection and reload. — 无法加载页面文字，请检查网络后刷新。')));
    return;
  }
  setHandlers({
    unauthorized: () => {
      if (!session.get()) return;
      session.signOut();
      navigate('#/signin?expired=1', true);
    },
    busy: onBusy,
  });
  session.restore();
  window.addEventListener('hashchange', () => render());
  i18n.onChange(() => renderFrame());
  document.getElementById('noscript-note')?.remove();
  // The skip link must not change the hash, which is the router's.
  document.getElementById('skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    main.focus();
  });
  render();
  setupLanguages();
}

boot();
