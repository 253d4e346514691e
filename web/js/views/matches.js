// Proposed partnerships: the list with filters, each match with its explanation, and the
// accept / decline decisions of the two parties.

import { h } from '../dom.js';
import { t, tv, fmtDateTime } from '../i18n.js';
import { api, isAbort } from '../api.js';
import { REGIONS, themeSelect } from '../forms.js';
import { pageHead, filterBox, badge, describeError, errorPanel, unavailable, scoreBlock, criteriaHelp, confirmDialog } from '../ui.js';
import { loadThemes, loadRoundtables, participant, feature, posting, forgetPostings } from '../store.js';
import * as session from '../session.js';

export async function matchesView(ctx) {
  const { main, query, signal } = ctx;
  const title = session.isStaff() ? t('matches.title_all') : t('matches.title_mine');
  main.append(pageHead(title));
  if (!(await feature('matches'))) {
    main.append(unavailable(t('matches.unavailable')));
    return;
  }
  const [taxonomy, roundtables] = await Promise.all([loadThemes(signal), loadRoundtables(signal)]);
  const filters = h('form.filters', { role: 'search', 'aria-label': t('filters.title') });
  const sel = (name, label, options) => {
    const id = `flt-${name}`;
    return h('div.field', h('label', { for: id }, label),
      h('select', { id, name }, options.map(([v, l]) => h('option', { value: v, selected: (query.get(name) || '') === v }, l))));
  };
  const minPct = query.get('min_score') ? String(Math.round(Number(query.get('min_score')) * 100)) : '';
  filters.append(
    sel('roundtable_id', t('field.roundtable'), [['', t('filters.any')], ...roundtables.map((r) => [r.id, r.title])]),
    themeSelect('theme', taxonomy, query.get('theme') || ''),
    sel('region', t('field.region'), [['', t('filters.any')], ...REGIONS.map((r) => [r, tv('region', r)])]),
    sel('status', t('field.status'), [['', t('filters.any')], ...['proposed', 'agreed', 'declined', 'completed'].map((s) => [s, tv('match_status', s)])]),
    h('div.field', h('label', { for: 'flt-min' }, t('filters.min_score')),
      h('input', { id: 'flt-min', name: 'min_pct', type: 'number', min: 0, max: 100, step: 1, inputmode: 'numeric', value: minPct })),
    sel('sort', t('filters.sort'), [['-score', t('filters.sort_score')], ['created_at', t('filters.sort_created')]]),
    h('div.actions', h('button.secondary', { type: 'submit' }, t('filters.apply'))),
  );
  const filterErr = h('p.field-error', { role: 'alert', hidden: true });
  filters.append(filterErr);
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) {
      if (!v) continue;
      if (k === 'min_pct') {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0 || n > 100) {
          filterErr.textContent = t('valid.percent');
          filterErr.hidden = false;
          return;
        }
        q.set('min_score', String(n / 100));
      } else if (!(k === 'sort' && v === '-score')) {
        q.set(k, v);
      }
    }
    ctx.navigate(`#/matches?${q}`);
  });
  filters.addEventListener('change', (ev) => {
    if (ev.target.tagName === 'SELECT') filters.requestSubmit();
  });
  main.append(filterBox(filters, query, ['roundtable_id', 'theme', 'region', 'status', 'min_score']), criteriaHelp());
  const apiQuery = {};
  for (const k of ['roundtable_id', 'theme', 'region', 'status', 'min_score', 'sort']) if (query.get(k)) apiQuery[k] = query.get(k);
  const box = h('section');
  main.append(box);
  await matchList(ctx, box, apiQuery, { emptyText: t('matches.none') });
}

/** Loads matches for query into box, 20 at a time, each with its decisions. */
export async function matchList(ctx, box, query, { emptyText }) {
  const { signal } = ctx;
  const canDecide = await feature('decide');
  const list = h('ul.cards.match-list');
  const count = h('p.muted', { role: 'status' });
  const more = h('button.secondary', { type: 'button', hidden: true }, t('common.more'));
  box.append(count, list, more);
  let cursor = null;
  let shown = 0;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await api('GET', '/api/v1/matches', { query: { ...query, limit: 20, cursor }, signal });
      for (const m of page.items) list.append(matchCard(ctx, m, canDecide));
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      count.textContent = shown ? t('common.shown', { n: shown }) : '';
      if (!shown) list.replaceWith(h('p.empty', emptyText));
    } catch (e) {
      if (!isAbort(e)) more.before(errorPanel(e, () => ctx.refresh()));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', load);
  await load();
}

function nameOf(id, signal) {
  const span = h('span', { dir: 'auto' }, '…');
  participant(id, signal).then((p) => { span.textContent = p.name; }).catch((e) => { if (!isAbort(e)) span.textContent = `#${id}`; });
  return span;
}

// A match names its need and offer (title, participant); an older service did not, so the
// posting is fetched when the name is missing.
function postingLink(kind, id, named, signal) {
  const a = h('a', { href: `#/${kind}/${id}`, dir: 'auto' }, named ? named.title : `#${id}`);
  const who = h('span.muted');
  if (named && named.participant_name) {
    who.replaceChildren(' — ', h('span', { dir: 'auto' }, named.participant_name));
  } else {
    posting(kind, id, signal).then((p) => {
      a.textContent = p.title;
      who.replaceChildren(' — ', nameOf(p.participant_id, signal));
    }).catch(() => { /* the link and its number stay */ });
  }
  return h('span.posting', a, who);
}

function decisionText(d) {
  return d === 'accept' ? t('decision.accepted') : d === 'decline' ? t('decision.declined') : t('decision.waiting');
}

function matchCard(ctx, m, canDecide) {
  const { signal } = ctx;
  const li = h('li.card.match', { dataset: { matchId: m.id } });
  const err = h('div.action-error');
  const role = session.role();
  const sides = role === 'state' ? ['state'] : role === 'provider' ? ['provider'] : role === 'admin' ? ['state', 'provider'] : [];
  const decide = h('div.decide');
  if (m.status === 'proposed' && canDecide) {
    for (const side of sides) {
      const mine = m[`${side}_decision`];
      if (mine) {
        decide.append(h('p.muted', role === 'admin' ? t(`decision.side_${side}`) + ': ' + decisionText(mine) : t('decision.you', { decision: decisionText(mine) })));
        continue;
      }
      const suffix = role === 'admin' ? ` (${t(`decision.for_${side}`)})` : '';
      decide.append(h('div.actions',
        h('button.primary', { type: 'button', onclick: () => act('accept', side) }, t('decision.accept') + suffix),
        h('button.danger', { type: 'button', onclick: () => act('decline', side) }, t('decision.decline') + suffix)));
    }
  } else if (m.status === 'proposed' && !canDecide && sides.length) {
    decide.append(unavailable(t('decision.unavailable')));
  }
  li.append(
    h('div.card-head',
      h('h3', postingLink('needs', m.need_id, m.need, signal), h('span.pair', { 'aria-hidden': 'true' }, ' ⇄ '), h('span.visually-hidden', ` ${t('matches.with')} `), postingLink('offers', m.offer_id, m.offer, signal)),
      h('div.badges', badge('match_status', m.status))),
    scoreBlock(m.score, m.breakdown, { compact: true }),
    h('p.decisions',
      h('span', `${t('decision.side_state')}: ${decisionText(m.state_decision)}`), ' · ',
      h('span', `${t('decision.side_provider')}: ${decisionText(m.provider_decision)}`),
      m.decided_at ? ` · ${fmtDateTime(m.decided_at)}` : ''),
    decide, err);
  return li;

  async function act(decision, side) {
    if (decision === 'decline' && !(await confirmDialog(t('decision.decline_confirm'), t('decision.decline')))) return;
    for (const b of li.querySelectorAll('button')) b.disabled = true;
    try {
      const body = { decision };
      if (session.role() === 'admin') body.side = side;
      const updated = await api('POST', `/api/v1/matches/${m.id}/decision`, { body });
      forgetPostings();
      const card = matchCard(ctx, updated, canDecide);
      li.replaceWith(card);
      ctx.announce(updated.status === 'agreed' ? t('decision.agreed_now') : decision === 'accept' ? t('decision.accepted_now') : t('decision.declined_now'));
      card.querySelector('.badges')?.setAttribute('tabindex', '-1');
      card.querySelector('.badges')?.focus();
    } catch (e) {
      if (isAbort(e)) return;
      err.replaceChildren(h('p.notice.error', { role: 'alert' }, describeError(e)));
      for (const b of li.querySelectorAll('button')) b.disabled = false;
    }
  }
}

