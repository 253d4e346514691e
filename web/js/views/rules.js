// Locks, vetoes and "no thanks" (docs/matching.md, "Locks and vetoes"): organizers lock a pair
// (every later run proposes it when it fits) or veto it (never proposed); the need's state or
// the offer's provider says "no thanks" for its own side. The controls sit on match cards and
// suggestions; a roundtable's page of rules lists them with a way to remove each, and a run's
// refused locks are shown with their reasons.

import { h, data, replace, nextId } from '../dom.js';
import { t, tv, fmtDateTime, fmtNumber } from '../i18n.js';
import { api, listAll, isAbort } from '../api.js';
import { Form } from '../forms.js';
import { describeError, errorPanel, unavailable, loading, reasonDialog, confirmDialog, roundtableHead, radioField } from '../ui.js';
import { has, posting, forgetPostings } from '../store.js';
import * as session from '../session.js';

const PATH = '/api/v1/pair-rules';
export const pairKey = (needId, offerId) => `${needId}/${offerId}`;

/** Whether this server has pair rules (lock, veto, no thanks). */
export function rulesAvailable() {
  return has('POST', PATH);
}

/** The caller's own side: "organizer" for staff, "state" or "provider" for a party. */
function mySide() {
  const r = session.role();
  return r === 'state' || r === 'provider' ? r : 'organizer';
}

/**
 * The rules the caller may see for query ({roundtable_id} | {need_id} | {offer_id}), as a
 * Map pairKey -> [rule]; null when the server has no pair rules.
 */
export async function loadPairRules(query, signal) {
  if (!(await rulesAvailable())) return null;
  const items = await listAll(PATH, query, { signal });
  const map = new Map();
  for (const r of items) {
    const k = pairKey(r.need_id, r.offer_id);
    if (!map.has(k)) map.set(k, []);
    map.get(k).push(r);
  }
  return map;
}

function ruleBadge(rule) {
  return h(`span.badge.badge-rule-${rule.rule}`, tv('rule', rule.rule));
}

/** "Locked by the organizers", "No thanks from the provider", with the reason when given. */
function ruleLine(rule) {
  const who = rule.side === mySide() && rule.side !== 'organizer' ? t('rules.by_you') : tv('rule_side', rule.side);
  return h('span.rule-line', ruleBadge(rule), ' ', h('span', who), rule.reason ? [' — ', data('q', rule.reason)] : null);
}

/**
 * The lock / veto (staff) or "no thanks" (the pair's own party) controls for one pair, with
 * undo. rules is the Map from loadPairRules (kept up to date here); onChange(rule, removed)
 * is called after a rule is set (removed false) or taken away (removed true).
 */
export function pairControls(ctx, pair, rules, { onChange = () => {}, canSay = true, label = null } = {}) {
  const box = h('div.pair-rules', { role: 'group', 'aria-label': label ? `${t('rules.group')}: ${label}` : t('rules.group') });
  const status = h('p.visually-hidden', { role: 'status' });
  const err = h('div.action-error');
  const key = pairKey(pair.need_id, pair.offer_id);
  const side = mySide();
  const staff = side === 'organizer';
  render();
  return box;

  function render() {
    const all = rules.get(key) || [];
    const mine = all.find((r) => r.side === side);
    const lines = all.map((r) => h('li', ruleLine(r),
      r === mine ? h('button.link.rule-remove', { type: 'button', onclick: () => remove(r) },
        r.rule === 'no_thanks' ? t('rules.undo_no_thanks') : t('rules.remove')) : null));
    const buttons = [];
    if (!mine && canSay) {
      if (staff) {
        buttons.push(h('button.secondary.rule-lock', { type: 'button', onclick: () => add('lock') }, t('rules.lock')),
          h('button.secondary.rule-veto', { type: 'button', onclick: () => add('veto') }, t('rules.veto')));
      } else {
        buttons.push(h('button.secondary.rule-no-thanks', { type: 'button', onclick: () => add('no_thanks') }, t('rules.no_thanks')));
      }
    }
    replace(box, lines.length ? h('ul.rule-lines', lines) : null, buttons.length ? h('div.actions', buttons) : null, status, err);
  }

  async function add(rule) {
    const ask = await reasonDialog(t(`rules.${rule}_confirm`), t(`rules.${rule}`));
    if (!ask.ok) return;
    await change(async () => {
      const body = { need_id: pair.need_id, offer_id: pair.offer_id, rule };
      if (ask.text) body.reason = ask.text;
      const made = await api('POST', PATH, { body });
      rules.set(key, [...(rules.get(key) || []), made]);
      return [made, false, t(`rules.${rule}_done`), '.rule-remove'];
    });
  }

  function remove(r) {
    return change(async () => {
      await api('DELETE', `${PATH}/${encodeURIComponent(r.id)}`);
      rules.set(key, (rules.get(key) || []).filter((x) => x.id !== r.id));
      return [r, true, t('rules.removed_now'), 'button'];
    });
  }

  /** Runs one request with the buttons off; then says what happened and focuses what comes next. */
  async function change(request) {
    for (const b of box.querySelectorAll('button')) b.disabled = true;
    try {
      const [rule, removed, said, focus] = await request();
      forgetPostings();
      render();
      status.textContent = said;
      ctx.announce(said);
      onChange(rule, removed);
      box.querySelector(focus)?.focus();
    } catch (e) {
      if (isAbort(e)) return;
      render();
      err.replaceChildren(h('p.notice.error', { role: 'alert' }, describeError(e)));
    }
  }
}

// --- a run's locks --------------------------------------------------------------------------

/** What became of a run's locks: how many were honoured, and each refused one with its reason. */
export function lockOutcome(locks, signal, names = null) {
  if (!locks) return null;
  const refused = locks.refused || [];
  const title = (kind, id, known) => {
    const a = h('a', { href: `#/${kind}/${id}`, dir: 'auto' }, known?.get(id) || `#${id}`);
    if (!known?.has(id)) posting(kind, id, signal).then((p) => { a.textContent = p.title; }).catch(() => { /* the number stays */ });
    return a;
  };
  return h('section.lock-outcome', { 'aria-labelledby': 'lock-out-h' },
    h('h3', { id: 'lock-out-h' }, t('rules.locks_title')),
    h('p', t('rules.locks_honoured', { n: fmtNumber(locks.honoured ?? 0) }),
      refused.length ? ` ${t('rules.locks_refused', { n: fmtNumber(refused.length) })}` : ''),
    refused.length ? h('ul.refused-locks', refused.map((x) => h('li',
      title('needs', x.need_id, names?.needs), h('span', { 'aria-hidden': 'true' }, ' ⇄ '),
      h('span.visually-hidden', ` ${t('matches.with')} `), title('offers', x.offer_id, names?.offers),
      ': ', h('span.reason', tv('lock_reason', x.reason))))) : null);
}

// --- a roundtable's rules page --------------------------------------------------------------

export async function rulesView(ctx) {
  const { main, signal } = ctx;
  const r = await roundtableHead(ctx, 'rules.title');
  if (!(await rulesAvailable())) {
    main.append(unavailable(t('rules.unavailable')));
    return;
  }
  const staff = session.isStaff();
  main.append(h('p.muted', staff ? t('rules.intro_staff') : t('rules.intro_party')));
  const [needs, offers, rules] = await Promise.all([
    listAll('/api/v1/needs', { roundtable_id: r.id }, { signal }),
    listAll('/api/v1/offers', { roundtable_id: r.id }, { signal }),
    listAll(PATH, { roundtable_id: r.id }, { signal }),
  ]);
  const names = {
    needs: new Map(needs.map((n) => [n.id, n.title])),
    offers: new Map(offers.map((o) => [o.id, o.title])),
  };
  const listBox = h('section.panel.rules-list', { 'aria-labelledby': 'rules-list-h' });
  if (staff) main.append(addForm(ctx, r, needs, offers, names, listBox, rules));
  main.append(listBox);
  showRules(ctx, listBox, rules, names);
  if (staff) main.append(await lastRunPanel(ctx, r, names));
}

function addForm(ctx, r, needs, offers, names, listBox, rules) {
  const sec = h('section.panel.rules-add', { 'aria-labelledby': 'rules-add-h' }, h('h2', { id: 'rules-add-h' }, t('rules.add_title')));
  const form = new Form({
    submitLabel: t('rules.add'),
    cls: 'rules-form',
    onSubmit: async (f) => {
      f.clearErrors();
      const errs = [];
      for (const name of ['need_id', 'offer_id']) if (!f.value(name)) errs.push({ field: name, message: t('valid.required') });
      if (errs.length) {
        f.showErrors(errs);
        return;
      }
      const body = { need_id: f.value('need_id'), offer_id: f.value('offer_id'), rule: f.value('rule') };
      if (f.value('reason')) body.reason = f.value('reason');
      try {
        const made = await api('POST', PATH, { body });
        rules.push(made);
        forgetPostings();
        showRules(ctx, listBox, rules, names);
        const said = t(`rules.${made.rule}_done`);
        f.say(said);
        ctx.announce(said);
        f.el.querySelector('textarea').value = '';
      } catch (e) {
        f.say('');
        if (!isAbort(e)) f.showProblem(e, describeError);
      }
    },
  });
  const select = (name, label, items, text) => {
    const id = nextId('f');
    const err = h('p.field-error', { id: nextId('err'), hidden: true });
    const sel = h('select', { id, name, 'aria-describedby': err.id },
      h('option', { value: '' }, t('common.choose')),
      items.map((x) => h('option', { value: x.id }, text(x))));
    const wrap = h('div.field', { dataset: { field: name } }, h('label', { for: id }, label), err, sel);
    form.register(name, { wrap, err, controls: [sel], label, get: () => sel.value });
    return wrap;
  };
  const open = (x) => x.status !== 'withdrawn';
  const who = (x) => (x.participant_name ? ` — ${x.participant_name}` : '');
  const ruleField = radioField(form, 'rule', t('rules.rule'),
    ['lock', 'veto'].map((v) => [v, [tv('rule', v), h('span.hint', ` — ${t(`rules.${v}_hint`)}`)]]), 'lock');
  const reasonId = nextId('f');
  const reasonErr = h('p.field-error', { id: nextId('err'), hidden: true });
  const reason = h('textarea', { id: reasonId, name: 'reason', rows: 2, maxlength: 500, 'aria-describedby': reasonErr.id });
  const reasonField = h('div.field', { dataset: { field: 'reason' } }, h('label', { for: reasonId }, t('rules.reason_optional')), reasonErr, reason);
  form.register('reason', { wrap: reasonField, err: reasonErr, controls: [reason], label: t('rules.reason_optional'), get: () => reason.value.trim() });
  form.add(
    select('need_id', t('rules.need'), needs.filter(open), (x) => `${x.title}${who(x)}`),
    select('offer_id', t('rules.offer'), offers.filter(open), (x) => `${x.title}${who(x)}`),
    ruleField, reasonField);
  sec.append(form.el);
  return sec;
}

function showRules(ctx, sec, rules, names) {
  replace(sec, h('h2', { id: 'rules-list-h' }, t('rules.list_title', { n: fmtNumber(rules.length) })));
  if (!rules.length) {
    sec.append(h('p.empty', t('rules.none')));
    return;
  }
  const side = mySide();
  const canRemove = (x) => session.role() === 'admin' || x.side === side;
  const capId = nextId('cap');
  const title = (kind, id) => {
    const a = h('a', { href: `#/${kind}/${id}`, dir: 'auto' }, names[kind].get(id) || `#${id}`);
    if (!names[kind].has(id)) posting(kind, id, ctx.signal).then((p) => { a.textContent = p.title; }).catch(() => { /* the number stays */ });
    return a;
  };
  sec.append(h('div.table-wrap', { role: 'region', tabindex: '0', 'aria-labelledby': capId },
    h('table.rules-table',
      h('caption.visually-hidden', { id: capId }, t('rules.list_caption')),
      h('thead', h('tr', ['rules.col_rule', 'rules.col_need', 'rules.col_offer', 'rules.col_by', 'rules.col_reason', 'rules.col_since', 'rules.col_action']
        .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', rules.map((x) => h('tr', { dataset: { ruleId: x.id } },
        h('th', { scope: 'row' }, ruleBadge(x)),
        h('td', title('needs', x.need_id)),
        h('td', title('offers', x.offer_id)),
        h('td', x.side === side && side !== 'organizer' ? t('rules.by_you') : tv('rule_side', x.side)),
        h('td', x.reason ? data('span', x.reason) : h('span.muted', '—')),
        h('td', fmtDateTime(x.created_at)),
        h('td', canRemove(x) ? h('button.link.rule-remove', {
          type: 'button',
          'aria-label': `${t('rules.remove')}: ${tv('rule', x.rule)} ${names.needs.get(x.need_id) || ''} — ${names.offers.get(x.offer_id) || ''}`,
          onclick: (ev) => remove(x, ev.currentTarget),
        }, t('rules.remove')) : null)))))));

  async function remove(x, btn) {
    if (!(await confirmDialog(t('rules.remove_confirm'), t('rules.remove')))) return;
    btn.disabled = true;
    try {
      await api('DELETE', `${PATH}/${encodeURIComponent(x.id)}`);
      rules.splice(rules.indexOf(x), 1);
      forgetPostings();
      showRules(ctx, sec, rules, names);
      ctx.announce(t('rules.removed_now'));
      sec.querySelector('h2').setAttribute('tabindex', '-1');
      sec.querySelector('h2').focus();
    } catch (e) {
      btn.disabled = false;
      if (!isAbort(e)) sec.append(errorPanel(e));
    }
  }
}

async function lastRunPanel(ctx, r, names) {
  const sec = h('section.panel.rules-last-run', { 'aria-labelledby': 'rules-run-h' }, h('h2', { id: 'rules-run-h' }, t('rules.last_run_title')));
  const wait = loading();
  sec.append(wait);
  try {
    const runs = await api('GET', `/api/v1/roundtables/${r.id}/match-runs`, { query: { limit: 5 }, signal: ctx.signal });
    wait.remove();
    const run = runs.items.find((x) => x.status === 'succeeded');
    if (!run) sec.append(h('p.empty', t('rules.no_run')));
    else if (!run.stats?.locks) sec.append(h('p.muted', t('rules.run_no_locks', { id: run.id, when: fmtDateTime(run.finished_at) })));
    else sec.append(h('p.muted', t('rules.run_of', { id: run.id, when: fmtDateTime(run.finished_at) })), lockOutcome(run.stats.locks, ctx.signal, names));
  } catch (e) {
    wait.remove();
    if (isAbort(e)) throw e;
    sec.append(errorPanel(e, () => ctx.refresh()));
  }
  return sec;
}

// --- on a posting's suggestions -------------------------------------------------------------

/** The rules on a posting's pairs, or null without pair rules (or when they fail to load). */
export function postingRules(kindName, p, signal) {
  return loadPairRules(kindName === 'needs' ? { need_id: p.id } : { offer_id: p.id }, signal).catch((e) => {
    if (isAbort(e)) throw e;
    return null;
  });
}

/** A link to the roundtable's rules page: a vetoed or "no thanks" pair leaves the suggestions and is undone there. */
export function rulesLink(p) {
  return h('p.rules-link', h('a', { href: `#/roundtables/${p.roundtable_id}/rules` }, t('rules.link')));
}

/** Lock / veto / "no thanks" on one suggestion of posting p (a need or an offer). */
export function suggestionControls(ctx, kindName, p, otherId, rules, li, canSay) {
  const pair = kindName === 'needs' ? { need_id: p.id, offer_id: otherId } : { need_id: otherId, offer_id: p.id };
  return pairControls(ctx, pair, rules, {
    canSay,
    onChange: (rule, removed) => {
      if (rule.rule !== 'lock') li.classList.toggle('withdrawn', !removed);
    },
  });
}
