// Needs (posted by states) and offers (posted by donors and implementers): lists with filters,
// the form to post or edit one, and a page per posting with its suggestions and matches.

import { h, data, replace } from '../dom.js';
import { t, tv, fmtDate, fmtDateTime, fmtMoney, langName } from '../i18n.js';
import { api, ApiError, isAbort } from '../api.js';
import { Form, textField, selectField, checkGroup, themePicker, languagePicker, dateRange, splitList, themeSelect, REGIONS } from '../forms.js';
import { pageHead, filterBox, badge, themeChips, describeError, errorPanel, unavailable, loading, dl, scoreBlock, criteriaHelp, confirmDialog } from '../ui.js';
import { loadThemes, loadRoundtables, participant, feature, posting, forgetPostings, themeName } from '../store.js';
import * as session from '../session.js';
import { matchList } from './matches.js';
import { postingRules, rulesLink, suggestionControls } from './rules.js';

export const KINDS = {
  needs: {
    path: 'needs',
    ownerRole: 'state',
    other: 'offers',
    participantKinds: ['state'],
    modalities: ['any', 'in_person', 'online', 'hybrid'],
    suggestions: 'needSuggestions',
  },
  offers: {
    path: 'offers',
    ownerRole: 'provider',
    other: 'needs',
    participantKinds: ['donor', 'implementer'],
    modalities: ['in_person', 'online', 'hybrid'],
    suggestions: 'offerSuggestions',
  },
};

const canPost = (cfg) => session.role() === cfg.ownerRole || session.isStaff();
const owns = (cfg, p) => session.isStaff() || (session.role() === cfg.ownerRole && p.participant_id === session.participantId());

function windowText(w) {
  if (!w || (!w.start && !w.end)) return t('common.any_time');
  return `${w.start ? fmtDate(w.start) : '…'} – ${w.end ? fmtDate(w.end) : '…'}`;
}

function participantName(id, signal) {
  const span = h('span.participant', { dir: 'auto' }, '…');
  participant(id, signal)
    .then((p) => { span.textContent = p.name; })
    .catch((e) => { if (!isAbort(e)) span.textContent = `#${id}`; });
  return span;
}

// --- list -----------------------------------------------------------------------------------

export function postingList(kindName) {
  const cfg = KINDS[kindName];
  return async (ctx) => {
    const { main, query, signal } = ctx;
    const mineDefault = session.role() === cfg.ownerRole;
    const mine = query.has('mine') ? query.get('mine') === '1' : mineDefault;
    const [taxonomy, roundtables] = await Promise.all([loadThemes(signal), loadRoundtables(signal)]);
    const title = mine ? t(`${kindName}.mine_title`) : t(`${kindName}.all_title`);
    main.append(pageHead(title, canPost(cfg) ? h('a.button.primary', { href: `#/${kindName}/new` }, t(`${kindName}.new`)) : null));

    // Filters, kept in the address (after #) so that back and forward work.
    const filters = h('form.filters', { role: 'search', 'aria-label': t('filters.title') });
    const sel = (name, label, options) => {
      const id = `flt-${name}`;
      const s = h('select', { id, name }, options.map(([v, l]) => h('option', { value: v, selected: (query.get(name) || '') === v }, l)));
      return h('div.field', h('label', { for: id }, label), s);
    };
    if (session.role() === cfg.ownerRole) {
      filters.append(sel('mine', t('filters.show'), [['1', t(`${kindName}.filter_mine`)], ['0', t(`${kindName}.filter_all`)]]));
      filters.querySelector('select').value = mine ? '1' : '0';
    }
    filters.append(
      sel('roundtable_id', t('field.roundtable'), [['', t('filters.any')], ...roundtables.map((r) => [r.id, r.title])]),
      themeSelect('theme', taxonomy, query.get('theme') || ''),
      sel('region', t('field.region'), [['', t('filters.any')], ...REGIONS.map((r) => [r, tv('region', r)])]),
      sel('status', t('field.status'), [['', t('filters.any')], ...(kindName === 'needs' ? ['open', 'matched', 'fulfilled', 'withdrawn'] : ['open', 'closed', 'withdrawn']).map((s) => [s, tv('status', s)])]),
      h('div.field', h('label', { for: 'flt-q' }, t('filters.text')), h('input', { id: 'flt-q', name: 'q', type: 'search', value: query.get('q') || '' })),
      h('div.actions', h('button.secondary', { type: 'submit' }, t('filters.apply'))),
    );
    filters.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams();
      for (const [k, v] of new FormData(filters)) if (v) q.set(k, v);
      ctx.navigate(`#/${kindName}?${q}`);
    });
    filters.addEventListener('change', (ev) => {
      if (ev.target.tagName === 'SELECT') filters.requestSubmit();
    });
    main.append(filterBox(filters, query, ['roundtable_id', 'theme', 'region', 'status', 'q']));

    const apiQuery = {};
    for (const k of ['roundtable_id', 'theme', 'region', 'status', 'q']) if (query.get(k)) apiQuery[k] = query.get(k);
    if (mine) apiQuery.participant_id = session.participantId();
    const list = h('ul.cards', { 'aria-label': title });
    const count = h('p.muted', { role: 'status' });
    const more = h('button.secondary', { type: 'button', hidden: true }, t('common.more'));
    main.append(count, list, more);
    const rtTitle = new Map(roundtables.map((r) => [r.id, r.title]));
    let cursor = null;
    let shown = 0;
    const load = async () => {
      more.disabled = true;
      try {
        const page = await api('GET', `/api/v1/${cfg.path}`, { query: { ...apiQuery, limit: 25, cursor }, signal });
        for (const p of page.items) list.append(postingCard(kindName, p, rtTitle, signal));
        shown += page.items.length;
        cursor = page.next_cursor;
        more.hidden = !cursor;
        count.textContent = shown ? t('common.shown', { n: shown }) : '';
        if (!shown) list.replaceWith(h('p.empty', mine ? t(`${kindName}.none_mine`) : t(`${kindName}.none`)));
      } catch (e) {
        if (!isAbort(e)) more.before(errorPanel(e, () => ctx.refresh()));
      } finally {
        more.disabled = false;
      }
    };
    more.addEventListener('click', load);
    await load();
  };
}

function postingCard(kindName, p, rtTitle, signal) {
  const href = `#/${kindName}/${p.id}`;
  return h('li.card',
    h('div.card-head',
      h('h2', h('a', { href }, data('span', p.title))),
      h('div.badges', badge('status', p.status), kindName === 'needs' ? badge('priority', p.priority) : badge('kind', p.kind), kindName === 'needs' && p.visibility && p.visibility !== 'everyone' ? badge('visibility', p.visibility) : null)),
    h('p.meta', participantName(p.participant_id, signal), ' · ', data('span', rtTitle.get(p.roundtable_id) || `#${p.roundtable_id}`), ' · ', windowText(p.window)),
    themeChips(p.themes));
}

// --- form -----------------------------------------------------------------------------------

export function postingForm(kindName) {
  const cfg = KINDS[kindName];
  return async (ctx) => {
    const { main, params, query, signal } = ctx;
    const editing = params.id ? await api('GET', `/api/v1/${cfg.path}/${params.id}`, { signal }) : null;
    const [taxonomy, roundtables] = await Promise.all([loadThemes(signal), loadRoundtables(signal, { fresh: !editing })]);
    const p = editing || {};
    const title = editing ? t(`${kindName}.edit_title`) : t(`${kindName}.new_title`);
    main.append(pageHead(title));
    if (editing && !owns(cfg, editing)) {
      main.append(errorPanel(new ApiError(403, null, null)));
      return;
    }
    const usable = roundtables.filter((r) => r.status !== 'closed');
    if (!editing && !usable.length) {
      main.append(h('p.notice.warn', t('postings.no_roundtable')));
      return;
    }

    const form = new Form({
      submitLabel: editing ? t('common.save') : t(`${kindName}.submit`),
      cancelHref: editing ? `#/${kindName}/${editing.id}` : `#/${kindName}`,
      onSubmit: (f) => submit(f),
    });
    if (!editing) {
      const want = query.get('roundtable_id') || (usable.find((r) => r.status === 'open') || usable[0]).id;
      form.add(selectField(form, 'roundtable_id', t('field.roundtable'), usable.map((r) => ({ value: r.id, label: `${r.title} (${tv('status', r.status)})` })), want));
      if (session.isStaff()) {
        const people = [];
        for (const k of cfg.participantKinds) {
          const page = await api('GET', '/api/v1/participants', { query: { kind: k, limit: 500 }, signal });
          people.push(...page.items);
        }
        form.add(selectField(form, 'participant_id', t(`${kindName}.participant`), [{ value: '', label: t('common.choose') }, ...people.map((x) => ({ value: x.id, label: x.name }))], ''));
      }
    }
    form.add(
      textField(form, 'title', t('field.title'), { value: p.title, maxlength: 300, hint: t(`hint.${kindName}_title`) }),
      textField(form, 'description', t('field.description'), { value: p.description, multiline: true, rows: 4, hint: t(`hint.${kindName}_description`) }),
    );
    if (kindName === 'offers') {
      form.add(selectField(form, 'kind', t('field.kind'), ['training', 'technical_assistance', 'funding', 'equipment', 'mentoring', 'policy_advice'].map((k) => ({ value: k, label: tv('kind', k) })), p.kind || 'training'));
    }
    form.add(
      themePicker(form, 'themes', taxonomy, p.themes || []),
      languagePicker(form, 'languages', p.languages || (session.get()?.participant?.languages || []).filter((c) => /^[a-z]{2}$/.test(c))),
      selectField(form, 'modality', t('field.modality'), cfg.modalities.map((m) => ({ value: m, label: tv('modality', m) })), p.modality || cfg.modalities[0], { hint: t(`hint.${kindName}_modality`) }),
      dateRange(form, 'window', t('field.window'), p.window),
    );
    if (kindName === 'needs') {
      form.add(
        textField(form, 'budget_usd', t('field.budget_usd'), { type: 'number', min: 0, step: 'any', inputmode: 'decimal', value: p.budget_usd ?? '', hint: t('hint.budget') }),
        selectField(form, 'priority', t('field.priority'), ['high', 'medium', 'low'].map((v) => ({ value: v, label: tv('priority', v) })), p.priority || 'medium'),
        textField(form, 'max_partners', t('field.max_partners'), { type: 'number', min: 1, max: 100, step: 1, inputmode: 'numeric', value: p.max_partners ?? 1, hint: t('hint.max_partners') }),
        selectField(form, 'visibility', t('field.visibility'), ['everyone', 'providers', 'organizers'].map((v) => ({ value: v, label: tv('visibility', v) })), p.visibility || 'everyone', { hint: t('hint.visibility') }),
      );
    } else {
      form.add(
        textField(form, 'funding_usd', t('field.funding_usd'), { type: 'number', min: 0, step: 'any', inputmode: 'decimal', value: p.funding_usd ?? '', hint: t('hint.funding') }),
        textField(form, 'capacity', t('field.capacity'), { type: 'number', min: 1, max: 1000, step: 1, inputmode: 'numeric', value: p.capacity ?? 1, hint: t('hint.capacity') }),
        checkGroup(form, 'regions', t('field.regions'), REGIONS.map((r) => ({ value: r, label: tv('region', r) })), p.regions || [], { hint: t('hint.regions') }),
        textField(form, 'countries', t('field.countries'), { value: (p.countries || []).join(', '), hint: t('hint.countries'), spellcheck: 'false' }),
      );
    }
    main.append(form.el);

    async function submit(f) {
      const errs = [];
      const body = {};
      const title = f.value('title').trim();
      if (!title) errs.push({ field: 'title', message: t('valid.required') });
      body.title = f.value('title');
      body.description = f.value('description');
      const themes = f.value('themes');
      if (!themes.length) errs.push({ field: 'themes', message: t('valid.themes') });
      body.themes = themes;
      const langs = f.value('languages');
      if (!langs.length) errs.push({ field: 'languages', message: t('valid.languages') });
      const badLang = langs.find((c) => !/^[a-z]{2}$/.test(c));
      if (badLang) errs.push({ field: 'languages', message: t('valid.language_code', { code: badLang }) });
      body.languages = langs;
      body.modality = f.value('modality');
      const ws = f.value('window.start');
      const we = f.value('window.end');
      if (ws && we && we < ws) errs.push({ field: 'window.end', message: t('valid.window') });
      if (editing) body.window = { start: ws || null, end: we || null };
      else if (ws || we) body.window = { start: ws || null, end: we || null };
      const num = (name, { int = false, min = 0, max = Infinity } = {}) => {
        const raw = String(f.value(name)).trim();
        if (raw === '') return null;
        const n = Number(raw);
        if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) {
          errs.push({ field: name, message: int ? t('valid.int_range', { min, max }) : t('valid.amount') });
          return undefined;
        }
        return n;
      };
      if (kindName === 'needs') {
        body.budget_usd = num('budget_usd');
        body.priority = f.value('priority');
        body.max_partners = num('max_partners', { int: true, min: 1, max: 100 });
        body.visibility = f.value('visibility');
      } else {
        body.kind = f.value('kind');
        body.funding_usd = num('funding_usd');
        body.capacity = num('capacity', { int: true, min: 1, max: 1000 });
        body.regions = f.value('regions');
        const countries = splitList(f.value('countries')).map((c) => c.toUpperCase());
        const badC = countries.find((c) => !/^[A-Z]{3}$/.test(c));
        if (badC) errs.push({ field: 'countries', message: t('valid.country_code', { code: badC }) });
        body.countries = countries;
      }
      if (!editing) {
        body.roundtable_id = f.value('roundtable_id');
        if (session.isStaff()) {
          body.participant_id = f.value('participant_id');
          if (!body.participant_id) errs.push({ field: 'participant_id', message: t('valid.required') });
        }
        for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
      }
      if (errs.length) {
        f.showErrors(errs);
        return;
      }
      f.clearErrors();
      f.say(t('common.saving'));
      try {
        const saved = editing
          ? await api('PATCH', `/api/v1/${cfg.path}/${editing.id}`, { body })
          : await api('POST', `/api/v1/${cfg.path}`, { body });
        forgetPostings();
        f.say('');
        ctx.announce(editing ? t('common.saved') : t(`${kindName}.posted`));
        ctx.navigate(`#/${kindName}/${saved.id}`);
      } catch (e) {
        f.say('');
        if (isAbort(e)) return;
        // "languages[2]: is not a known language code" says which one: the value sent.
        for (const fe of e.errors || []) {
          const m = /^(\w+)\[(\d+)\]$/.exec(fe.field || '');
          const v = m && Array.isArray(body[m[1]]) ? body[m[1]][Number(m[2])] : undefined;
          if (v !== undefined) fe.message = `“${v}”: ${fe.message}`;
        }
        f.showProblem(e, describeError);
      }
    }
  };
}

// --- one posting ----------------------------------------------------------------------------

export function postingDetail(kindName) {
  const cfg = KINDS[kindName];
  return async (ctx) => {
    const { main, params, signal } = ctx;
    const [p, taxonomy, roundtables] = await Promise.all([
      api('GET', `/api/v1/${cfg.path}/${params.id}`, { signal }),
      loadThemes(signal),
      loadRoundtables(signal),
    ]);
    void taxonomy;
    const rt = roundtables.find((r) => r.id === p.roundtable_id);
    const mine = owns(cfg, p);
    const actions = [];
    if (mine && p.status !== 'withdrawn') {
      actions.push(h('a.button.secondary', { href: `#/${kindName}/${p.id}/edit` }, t('common.edit')));
      if (kindName === 'needs' && (p.status === 'open' || p.status === 'matched')) {
        actions.push(h('button.secondary', { type: 'button', onclick: () => changeStatus('fulfilled') }, t('needs.mark_fulfilled')));
      }
      actions.push(h('button.danger', { type: 'button', onclick: withdraw }, t('common.withdraw')));
    }
    const actionError = h('div.action-error');
    main.append(pageHead(p.title, ...actions), actionError);
    main.querySelector('h1').setAttribute('dir', 'auto');

    const facts = [
      [t('field.status'), badge('status', p.status)],
      [t(`${kindName}.participant`), participantName(p.participant_id, signal)],
      [t('field.roundtable'), rt ? h('a', { href: `#/roundtables/${rt.id}` }, data('span', rt.title)) : `#${p.roundtable_id}`],
      kindName === 'offers' ? [t('field.kind'), tv('kind', p.kind)] : null,
      [t('field.themes'), themeChips(p.themes)],
      [t('field.languages'), p.languages.map((c) => `${langName(c)} (${c})`).join(', ')],
      [t('field.modality'), tv('modality', p.modality)],
      [t('field.window'), windowText(p.window)],
    ];
    if (kindName === 'needs') {
      facts.push([t('field.budget_usd'), fmtMoney(p.budget_usd)], [t('field.priority'), tv('priority', p.priority)], [t('field.max_partners'), String(p.max_partners)], [t('field.visibility'), tv('visibility', p.visibility)]);
    } else {
      facts.push(
        [t('field.funding_usd'), fmtMoney(p.funding_usd)],
        [t('field.capacity'), String(p.capacity)],
        [t('field.regions'), p.regions.length ? p.regions.map((r) => tv('region', r)).join(', ') : t('common.no_restriction')],
        [t('field.countries'), p.countries.length ? p.countries.join(', ') : t('common.no_restriction')],
      );
    }
    facts.push([t('field.updated'), fmtDateTime(p.updated_at)]);
    main.append(dl(facts));
    if (p.description) main.append(h('h2', t('field.description')), data('p.description', p.description));
    if (kindName === 'offers') main.append(await overlapsNotice(p, signal));

    // Suggestions: the best feasible counterparts, each score explained.
    const sugBox = h('section.suggestions', { 'aria-labelledby': 'sug-h' }, h('h2', { id: 'sug-h' }, t(`${kindName}.suggestions_title`)));
    const matchBox = h('section.matches', { 'aria-labelledby': 'match-h' }, h('h2', { id: 'match-h' }, t(`${kindName}.matches_title`)));
    main.append(sugBox, matchBox);
    await Promise.all([suggestions(ctx, cfg, kindName, p, sugBox), matchesFor(ctx, kindName, p, matchBox)]);

    async function withdraw() {
      if (!(await confirmDialog(t(`${kindName}.withdraw_confirm`), t('common.withdraw')))) return;
      try {
        await api('DELETE', `/api/v1/${cfg.path}/${p.id}`);
        forgetPostings();
        ctx.announce(t('common.withdrawn'));
        ctx.refresh();
      } catch (e) {
        if (!isAbort(e)) replace(actionError, errorPanel(e));
      }
    }
    async function changeStatus(status) {
      try {
        await api('PATCH', `/api/v1/${cfg.path}/${p.id}`, { body: { status } });
        forgetPostings();
        ctx.announce(t('common.saved'));
        ctx.refresh();
      } catch (e) {
        if (!isAbort(e)) replace(actionError, errorPanel(e));
      }
    }
  };
}

async function suggestions(ctx, cfg, kindName, p, box) {
  const { signal } = ctx;
  if (!(await feature(cfg.suggestions))) {
    box.append(unavailable(t('suggestions.unavailable')));
    return;
  }
  if (p.status !== 'open') {
    box.append(h('p.muted', t(`${kindName}.suggestions_closed`)));
    return;
  }
  const wait = loading();
  box.append(wait);
  try {
    const [res, rules] = await Promise.all([
      api('GET', `/api/v1/${cfg.path}/${p.id}/suggestions`, { query: { limit: 10 }, signal }),
      postingRules(kindName, p, signal),
    ]);
    wait.remove();
    if (rules && owns(cfg, p)) box.append(rulesLink(p));
    if (!res.items.length) {
      box.append(h('p.empty', t(`${kindName}.suggestions_none`)));
      return;
    }
    box.append(h('p.muted', t('suggestions.intro')), criteriaHelp());
    const list = h('ol.cards.suggestion-list');
    box.append(list);
    for (const s of res.items) {
      const otherId = s.offer_id || s.need_id;
      const named = s.offer || s.need; // the counterpart's title, shown before the rest arrives
      const li = h('li.card.suggestion', named ? h('h3', data('span', named.title)) : h('p.muted', t('common.loading')), scoreBlock(s.score, s.breakdown));
      list.append(li);
      if (rules) li.append(suggestionControls(ctx, kindName, p, otherId, rules, li, owns(cfg, p)));
      posting(cfg.other, otherId, signal).then((o) => {
        li.firstChild.replaceWith(h('div.card-head',
          h('h3', h('a', { href: `#/${cfg.other}/${o.id}` }, data('span', o.title))),
          h('div.badges', cfg.other === 'offers' ? badge('kind', o.kind) : badge('priority', o.priority))),
        h('p.meta', participantName(o.participant_id, signal), ' · ', windowText(o.window)),
        themeChips(o.themes));
      }).catch((e) => {
        if (!isAbort(e)) li.firstChild.replaceWith(h('p', `#${otherId}: ${describeError(e)}`));
      });
    }
  } catch (e) {
    wait.remove();
    if (!isAbort(e)) box.append(errorPanel(e, () => ctx.refresh()));
  }
}

// Offers that already serve a shared theme in a shared country, and agreed partnerships that
// do: duplication the donor should see before it happens.
async function overlapsNotice(p, signal) {
  const box = h('div');
  if (p.status !== 'open' || !(await feature('overlaps'))) return box;
  try {
    const res = await api('GET', `/api/v1/offers/${p.id}/overlaps`, { signal });
    if (!res.total) return box;
    const line = (x) => (x.kind === 'partnership'
      ? h('li', t('overlaps.partnership', { country: x.country || '—' }), ' ', h('a', { href: `#/needs/${x.need_id}` }, data('span', x.title)), ' — ', themeNames(x.themes))
      : h('li', t('overlaps.offer'), ' ', h('a', { href: `#/offers/${x.id}` }, data('span', x.title)), ' — ', themeNames(x.themes)));
    box.append(h('section.panel.overlaps', { role: 'note', 'aria-labelledby': 'ov-h' },
      h('h2', { id: 'ov-h' }, t('overlaps.title', { count: res.total })),
      h('p.muted', t('overlaps.intro')),
      h('ul', res.items.map(line))));
  } catch (e) {
    if (!isAbort(e)) box.append(h('p.muted', describeError(e)));
  }
  return box;
}

function themeNames(codes) {
  return codes.map((c) => themeName(c)).join(', ');
}

async function matchesFor(ctx, kindName, p, box) {
  if (!(await feature('matches'))) {
    box.append(unavailable(t('matches.unavailable')));
    return;
  }
  const query = kindName === 'needs' ? { need_id: p.id } : { offer_id: p.id };
  await matchList(ctx, box, query, { emptyText: t(`${kindName}.matches_none`) });
}

