// Proposed partnerships: the list with filters, each match with its explanation, the accept /
// decline decisions of the two parties, the organizers' locks and vetoes and the parties' "no
// thanks" (views/rules.js), and the follow-up of an agreed partnership (delivered, partly
// delivered or abandoned, with its date and reason).

import { h, data, nextId } from '../dom.js';
import { t, tv, fmtDate, fmtDateTime } from '../i18n.js';
import { api, isAbort } from '../api.js';
import { Form, REGIONS, themeSelect } from '../forms.js';
import { pageHead, filterBox, badge, describeError, errorPanel, unavailable, scoreBlock, criteriaHelp, confirmDialog, radioField } from '../ui.js';
import { loadThemes, loadRoundtables, participant, feature, has, posting, forgetPostings } from '../store.js';
import * as session from '../session.js';
import { loadPairRules, pairControls, rulesAvailable } from './rules.js';

export const OUTCOMES = ['delivered', 'partly_delivered', 'abandoned'];
const followUpAvailable = () => has('POST', '/api/v1/matches/{id}/follow-up');

export async function matchesView(ctx) {
  const { main, query, signal } = ctx;
  const title = session.isStaff() ? t('matches.title_all') : t('matches.title_mine');
  main.append(pageHead(title));
  if (!(await feature('matches'))) {
    main.append(unavailable(t('matches.unavailable')));
    return;
  }
  const [taxonomy, roundtables, withOutcome] = await Promise.all([loadThemes(signal), loadRoundtables(signal), followUpAvailable()]);
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
    withOutcome ? sel('outcome', t('follow_up.outcome'), [['', t('filters.any')], ...OUTCOMES.map((o) => [o, tv('outcome', o)]), ['none', t('follow_up.filter_none')]]) : null,
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
  main.append(filterBox(filters, query, ['roundtable_id', 'theme', 'region', 'status', 'outcome', 'min_score']), criteriaHelp());
  if (query.get('roundtable_id') && (await rulesAvailable())) {
    main.append(h('p', h('a', { href: `#/roundtables/${query.get('roundtable_id')}/rules` }, t('rules.link'))));
  }
  const apiQuery = {};
  for (const k of ['roundtable_id', 'run_id', 'theme', 'region', 'status', 'outcome', 'min_score', 'sort']) if (query.get(k)) apiQuery[k] = query.get(k);
  const box = h('section');
  main.append(box);
  await matchList(ctx, box, apiQuery, { emptyText: t('matches.none') });
}

/** Loads matches for query into box, 20 at a time, each with its decisions. */
export async function matchList(ctx, box, query, { emptyText }) {
  const { signal } = ctx;
  const ruleQuery = {};
  for (const k of ['roundtable_id', 'need_id', 'offer_id']) if (query[k]) ruleQuery[k] = query[k];
  const [canDecide, canFollowUp, rules] = await Promise.all([
    feature('decide'),
    followUpAvailable(),
    loadPairRules(ruleQuery, signal).catch((e) => {
      if (isAbort(e)) throw e;
      return null; // the list still shows; only the rule controls are missing
    }),
  ]);
  const opts = { canDecide, canFollowUp, rules };
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
      for (const m of page.items) list.append(matchCard(ctx, m, opts));
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

function matchCard(ctx, m, opts) {
  const { signal } = ctx;
  const { canDecide } = opts;
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
      h('div.badges', badge('match_status', m.status),
        m.locked ? h('span.badge.badge-rule-lock', t('rules.locked_badge')) : null,
        m.follow_up ? badge('outcome', m.follow_up.outcome) : null)),
    scoreBlock(m.score, m.breakdown, { compact: true }),
    h('p.decisions',
      h('span', `${t('decision.side_state')}: ${decisionText(m.state_decision)}`), ' · ',
      h('span', `${t('decision.side_provider')}: ${decisionText(m.provider_decision)}`),
      m.decided_at ? ` · ${fmtDateTime(m.decided_at)}` : ''),
    decide, err);
  if (opts.rules) {
    li.append(pairControls(ctx, m, opts.rules, {
      label: m.need && m.offer ? `${m.need.title} ⇄ ${m.offer.title}` : null,
      canSay: m.status === 'proposed' && (session.isStaff() || sides.length > 0),
      onChange: (rule, removed) => {
        if (rule.rule === 'lock' || m.status !== 'proposed') return;
        li.classList.toggle('withdrawn', !removed);
        decide.replaceChildren(h('p.notice', removed ? t('rules.pair_open_again') : t(`rules.${rule.rule}_withdrew`)));
      },
    }));
  }
  if (m.status === 'agreed' || m.status === 'completed') li.append(followUpBlock(ctx, m, opts, li));
  return li;

  async function act(decision, side) {
    if (decision === 'decline' && !(await confirmDialog(t('decision.decline_confirm'), t('decision.decline')))) return;
    for (const b of li.querySelectorAll('button')) b.disabled = true;
    try {
      const body = { decision };
      if (session.role() === 'admin') body.side = side;
      const updated = await api('POST', `/api/v1/matches/${m.id}/decision`, { body });
      forgetPostings();
      const card = matchCard(ctx, updated, opts);
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

// --- follow-up: what became of an agreed partnership ----------------------------------------

const today = () => new Date().toISOString().slice(0, 10);

function followUpBlock(ctx, m, opts, li) {
  const f = m.follow_up;
  const box = h('div.follow-up');
  if (f) {
    box.append(h('p.follow-up-record',
      h('strong', `${t('follow_up.title')}: `), tv('outcome', f.outcome), ` · ${fmtDate(f.on)}`,
      f.reason ? [' — ', data('q', f.reason)] : null,
      f.recorded_at ? h('span.muted', ` (${t('follow_up.recorded', { when: fmtDateTime(f.recorded_at) })})`) : null));
  }
  if (!opts.canFollowUp) return box;
  const form = new Form({
    submitLabel: f ? t('follow_up.save_again') : t('follow_up.save'),
    cls: 'follow-up-form',
    onSubmit: async (fm) => {
      const outcome = fm.value('outcome');
      const on = fm.value('on');
      const reason = fm.value('reason');
      const errs = [];
      if (!outcome) errs.push({ field: 'outcome', message: t('follow_up.valid_outcome') });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(on)) errs.push({ field: 'on', message: t('follow_up.valid_date') });
      if (outcome && outcome !== 'delivered' && !reason) errs.push({ field: 'reason', message: t('follow_up.valid_reason') });
      if (errs.length) {
        fm.showErrors(errs);
        return;
      }
      fm.clearErrors();
      fm.say(t('common.saving'));
      try {
        const body = { outcome, on };
        if (reason) body.reason = reason;
        const updated = await api('POST', `/api/v1/matches/${m.id}/follow-up`, { body });
        const card = matchCard(ctx, updated, opts);
        li.replaceWith(card);
        ctx.announce(t('follow_up.saved', { outcome: tv('outcome', outcome) }));
        const rec = card.querySelector('.follow-up-record');
        rec?.setAttribute('tabindex', '-1');
        rec?.focus();
      } catch (e) {
        fm.say('');
        if (!isAbort(e)) fm.showProblem(e, describeError);
      }
    },
  });
  const outField = radioField(form, 'outcome', t('follow_up.outcome'), OUTCOMES.map((o) => [o, tv('outcome', o)]), f?.outcome, { inputName: `outcome-${m.id}` });
  const dateId = nextId('f');
  const dateErr = h('p.field-error', { id: nextId('err'), hidden: true });
  const date = h('input', { id: dateId, type: 'date', name: `on-${m.id}`, value: f?.on || today(), max: today(), 'aria-describedby': dateErr.id });
  const dateField = h('div.field', { dataset: { field: 'on' } }, h('label', { for: dateId }, t('follow_up.on')), dateErr, date);
  form.register('on', { wrap: dateField, err: dateErr, controls: [date], label: t('follow_up.on'), get: () => date.value });
  const reasonId = nextId('f');
  const hintId = nextId('hint');
  const reasonErr = h('p.field-error', { id: nextId('err'), hidden: true });
  const reason = h('textarea', { id: reasonId, name: `reason-${m.id}`, rows: 2, maxlength: 1000, 'aria-describedby': `${hintId} ${reasonErr.id}` }, f?.reason || '');
  const reasonField = h('div.field', { dataset: { field: 'reason' } }, h('label', { for: reasonId }, t('follow_up.reason')),
    h('p.hint', { id: hintId }, t('follow_up.reason_hint')), reasonErr, reason);
  form.register('reason', { wrap: reasonField, err: reasonErr, controls: [reason], label: t('follow_up.reason'), get: () => reason.value.trim() });
  form.add(outField, dateField, reasonField);
  box.append(h('details.follow-up-edit', h('summary', f ? t('follow_up.correct') : t('follow_up.record')), form.el));
  return box;
}
