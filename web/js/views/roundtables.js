// Roundtables: the list, the form, and each roundtable's page — for organizers also the CSV
// import with its row-by-row report, the match run with its progress bar, and the summary.

import { h, data, replace, bar, sleep, nextId } from '../dom.js';
import { t, tv, fmtDate, fmtDateTime, fmtPercent, fmtNumber, current as uiLang } from '../i18n.js';
import { api, isAbort, ApiError } from '../api.js';
import { Form, textField, selectField, checkGroup } from '../forms.js';
import { pageHead, badge, describeError, errorPanel, unavailable, loading, dl, confirmDialog, CRITERIA } from '../ui.js';
import { loadRoundtables, forgetRoundtables, feature, themeName, loadThemes } from '../store.js';
import * as session from '../session.js';
import { saveBlob } from './schedule.js';
import { rulesAvailable, lockOutcome } from './rules.js';

function dates(r) {
  if (!r.starts_on && !r.ends_on) return t('common.no_dates');
  if (r.starts_on === r.ends_on || !r.ends_on) return fmtDate(r.starts_on);
  return `${fmtDate(r.starts_on) || '…'} – ${fmtDate(r.ends_on)}`;
}

export async function roundtableList(ctx) {
  const { main, signal } = ctx;
  const list = await loadRoundtables(signal, { fresh: true });
  main.append(pageHead(t('roundtables.title'),
    session.isStaff() ? h('a.button.primary', { href: '#/roundtables/new' }, t('roundtables.new')) : null));
  if (!list.length) {
    main.append(h('p.empty', session.isStaff() ? t('roundtables.none_staff') : t('roundtables.none')));
    return;
  }
  main.append(h('ul.cards', list.slice().reverse().map((r) => h('li.card',
    h('div.card-head', h('h2', h('a', { href: `#/roundtables/${r.id}` }, data('span', r.title))), h('div.badges', badge('rt_status', r.status))),
    h('p.meta', dates(r), r.location ? ' · ' : '', r.location ? data('span', r.location) : '')))));
}

export async function roundtableForm(ctx) {
  const { main, params, signal } = ctx;
  const r = params.id ? await api('GET', `/api/v1/roundtables/${params.id}`, { signal }) : {};
  main.append(pageHead(params.id ? t('roundtables.edit_title') : t('roundtables.new_title')));
  const form = new Form({
    submitLabel: params.id ? t('common.save') : t('roundtables.create'),
    cancelHref: params.id ? `#/roundtables/${params.id}` : '#/roundtables',
    onSubmit: async (f) => {
      const body = {
        title: f.value('title'),
        starts_on: f.value('starts_on') || null,
        ends_on: f.value('ends_on') || null,
        location: f.value('location') || null,
        description: f.value('description') || null,
      };
      const errs = [];
      if (!body.title.trim()) errs.push({ field: 'title', message: t('valid.required') });
      if (body.starts_on && body.ends_on && body.ends_on < body.starts_on) errs.push({ field: 'ends_on', message: t('valid.dates') });
      if (!params.id) body.status = f.value('status');
      if (errs.length) {
        f.showErrors(errs);
        return;
      }
      f.clearErrors();
      try {
        const saved = params.id
          ? await api('PATCH', `/api/v1/roundtables/${params.id}`, { body })
          : await api('POST', '/api/v1/roundtables', { body });
        forgetRoundtables();
        ctx.announce(t('common.saved'));
        ctx.navigate(`#/roundtables/${saved.id}`);
      } catch (e) {
        if (!isAbort(e)) f.showProblem(e, describeError);
      }
    },
  });
  form.add(
    textField(form, 'title', t('field.title'), { value: r.title, maxlength: 300 }),
    h('div.row',
      textField(form, 'starts_on', t('field.starts_on'), { type: 'date', value: r.starts_on || '' }),
      textField(form, 'ends_on', t('field.ends_on'), { type: 'date', value: r.ends_on || '' })),
    textField(form, 'location', t('field.location'), { value: r.location, maxlength: 300 }),
    textField(form, 'description', t('field.description'), { value: r.description, multiline: true, rows: 4 }),
  );
  if (!params.id) {
    form.add(selectField(form, 'status', t('field.status'), ['planned', 'open'].map((s) => ({ value: s, label: tv('rt_status', s) })), 'planned', { hint: t('hint.rt_status') }));
  }
  main.append(form.el);
}

export async function roundtableDetail(ctx) {
  const { main, params, signal } = ctx;
  const r = await api('GET', `/api/v1/roundtables/${params.id}`, { signal });
  const staff = session.isStaff();
  const actions = [];
  const actionError = h('div.action-error');
  if (staff) {
    actions.push(h('a.button.secondary', { href: `#/roundtables/${r.id}/edit` }, t('common.edit')));
    if (r.status === 'planned') actions.push(h('button.primary', { type: 'button', onclick: () => move('open') }, t('roundtables.open')));
    if (r.status !== 'closed') actions.push(h('button.danger', { type: 'button', onclick: () => move('closed') }, t('roundtables.close')));
  } else if (r.status !== 'closed') {
    if (session.role() === 'state') actions.push(h('a.button.primary', { href: `#/needs/new?roundtable_id=${r.id}` }, t('needs.new')));
    if (session.role() === 'provider') actions.push(h('a.button.primary', { href: `#/offers/new?roundtable_id=${r.id}` }, t('offers.new')));
  }
  main.append(pageHead(r.title, ...actions), actionError);
  main.querySelector('h1').setAttribute('dir', 'auto');
  main.append(dl([
    [t('field.status'), badge('rt_status', r.status)],
    [t('field.dates'), dates(r)],
    r.location ? [t('field.location'), data('span', r.location)] : null,
  ]));
  if (r.description) main.append(data('p.description', r.description));
  main.append(h('nav.sub', { 'aria-label': t('roundtables.browse') }, h('ul',
    h('li', h('a', { href: `#/needs?mine=0&roundtable_id=${r.id}` }, t('roundtables.needs'))),
    h('li', h('a', { href: `#/offers?mine=0&roundtable_id=${r.id}` }, t('roundtables.offers'))),
    h('li', h('a', { href: `#/matches?roundtable_id=${r.id}` }, t('roundtables.matches'))),
    (await feature('schedule')) ? h('li', h('a', { href: `#/roundtables/${r.id}/schedule` }, t('roundtables.schedule'))) : null,
    (await rulesAvailable()) ? h('li', h('a', { href: `#/roundtables/${r.id}/rules` }, t('roundtables.rules'))) : null)));

  if (staff) {
    main.append(importSection(ctx, r), await runSection(ctx, r));
  }
  main.append(await summarySection(ctx, r));

  async function move(status) {
    const ask = status === 'closed' ? t('roundtables.close_confirm') : t('roundtables.open_confirm');
    if (!(await confirmDialog(ask, status === 'closed' ? t('roundtables.close') : t('roundtables.open')))) return;
    try {
      await api('PATCH', `/api/v1/roundtables/${r.id}`, { body: { status } });
      forgetRoundtables();
      ctx.announce(t('roundtables.now', { status: tv('rt_status', status) }));
      ctx.refresh();
    } catch (e) {
      if (!isAbort(e)) replace(actionError, errorPanel(e));
    }
  }
}

// --- import ---------------------------------------------------------------------------------

const CSV_COLUMNS = {
  needs: 'participant_id,title,description,themes,languages,modality,window_start,window_end,budget_usd,priority,max_partners',
  offers: 'participant_id,title,description,kind,themes,languages,modality,window_start,window_end,funding_usd,capacity,regions,countries',
};

function importSection(ctx, r) {
  const sec = h('section.panel', { 'aria-labelledby': 'imp-h' }, h('h2', { id: 'imp-h' }, t('import.title')));
  if (r.status === 'closed') {
    sec.append(h('p.muted', t('import.closed')));
    return sec;
  }
  const report = h('div.import-report', { 'aria-live': 'polite' });
  const form = new Form({
    submitLabel: t('import.submit'),
    cls: 'import-form',
    onSubmit: async (f) => {
      replace(report);
      const entity = f.value('entity');
      const file = fileInput.files[0];
      let text = f.value('csv');
      if (file) {
        try {
          text = await file.text();
        } catch {
          f.showErrors([{ field: 'file', message: t('import.unreadable') }]);
          return;
        }
      }
      if (!text.trim()) {
        f.showErrors([{ field: 'file', message: t('import.empty') }]);
        return;
      }
      f.clearErrors();
      f.say(t('import.sending'));
      try {
        const res = await api('POST', `/api/v1/roundtables/${r.id}/import`, { query: { entity }, text, contentType: 'text/csv; charset=utf-8', timeout: 300000 });
        f.say('');
        replace(report, h('p.notice.ok', { role: 'status' }, t(`import.done_${entity}`, { n: fmtNumber(res.inserted) })));
        ctx.announce(t(`import.done_${entity}`, { n: res.inserted }));
        fileInput.value = '';
      } catch (e) {
        f.say('');
        if (isAbort(e)) return;
        const rows = e.errors.filter((x) => Number.isInteger(x.row));
        if (e.status === 422 && rows.length) {
          replace(report, rowReport(e, rows));
          report.querySelector('h3').focus();
        } else if (e.status === 422 && e.errors.length) {
          f.showErrors(e.errors.map((x) => ({ field: 'file', message: `${x.field ? x.field + ': ' : ''}${x.message}` })));
        } else {
          f.showProblem(e, describeError);
        }
      }
    },
  });
  const entityField = h('fieldset.field.inline', h('legend', t('import.entity')),
    ['needs', 'offers'].map((v, i) => {
      const id = nextId('c');
      return h('div.check', h('input', { type: 'radio', id, name: 'entity', value: v, checked: i === 0 }), h('label', { for: id }, t(`import.entity_${v}`)));
    }));
  form.register('entity', { wrap: entityField, err: h('p'), controls: [], label: t('import.entity'), get: () => entityField.querySelector('input:checked').value });
  const fileId = nextId('f');
  const fileErr = h('p.field-error', { id: `${fileId}-err`, hidden: true });
  const fileInput = h('input', { id: fileId, type: 'file', accept: '.csv,text/csv', 'aria-describedby': `${fileId}-hint ${fileId}-err` });
  const fileField = h('div.field', h('label', { for: fileId }, t('import.file')), h('p.hint', { id: `${fileId}-hint` }, t('import.file_hint')), fileErr, fileInput);
  form.register('file', { wrap: fileField, err: fileErr, controls: [fileInput], label: t('import.file'), get: () => fileInput.files[0] });
  form.add(entityField, fileField,
    textField(form, 'csv', t('import.paste'), { multiline: true, rows: 4, spellcheck: 'false' }),
    h('details.help', h('summary', t('import.format_title')),
      h('p', t('import.format_text')),
      h('p', t('import.columns_needs')), h('pre', h('code', CSV_COLUMNS.needs)),
      h('p', t('import.columns_offers')), h('pre', h('code', CSV_COLUMNS.offers))));
  sec.append(h('p.muted', t('import.intro')), form.el, report);
  return sec;
}

function rowReport(e, rows) {
  rows.sort((a, b) => a.row - b.row || String(a.field).localeCompare(String(b.field)));
  const badRows = new Set(rows.map((x) => x.row)).size;
  return h('div.notice.error.report',
    h('h3', { tabindex: '-1' }, t('import.failed_title')),
    h('p', t('import.failed_text', { rows: badRows, problems: rows.length })),
    h('div.table-wrap', h('table.rows',
      h('caption.visually-hidden', t('import.report_caption')),
      h('thead', h('tr', h('th', { scope: 'col' }, t('import.row')), h('th', { scope: 'col' }, t('import.line')), h('th', { scope: 'col' }, t('import.field')), h('th', { scope: 'col' }, t('import.problem')))),
      h('tbody', rows.map((x) => h('tr', h('td', String(x.row)), h('td', String(x.row + 1)), h('td', h('code', x.field || '—')), h('td', x.message)))))));
}

// --- match runs -----------------------------------------------------------------------------

const runKey = (rtId) => `rt.run.${rtId}`;

async function runSection(ctx, r) {
  const sec = h('section.panel', { 'aria-labelledby': 'run-h' }, h('h2', { id: 'run-h' }, t('run.title')));
  if (!(await feature('matchRuns'))) {
    sec.append(unavailable(t('run.unavailable')));
    return sec;
  }
  const out = h('div.run-status');
  const form = new Form({
    submitLabel: t('run.start'),
    cls: 'run-form',
    onSubmit: async (f) => {
      const errs = [];
      const body = {};
      const min = String(f.value('min_score')).trim();
      if (min !== '') {
        const n = Number(min);
        if (!Number.isFinite(n) || n < 0 || n > 100) errs.push({ field: 'min_score', message: t('valid.percent') });
        else body.min_score = n / 100;
      }
      const weights = {};
      for (const c of CRITERIA) {
        const v = String(f.value(`weights.${c}`)).trim();
        if (v === '') continue;
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0 || n > 1000000) errs.push({ field: `weights.${c}`, message: t('valid.weight') });
        else weights[c] = n;
      }
      if (Object.keys(weights).length) body.weights = weights;
      if (f.value('fairness_floor').length) body.fairness_floor = true;
      if (errs.length) {
        f.showErrors(errs);
        return;
      }
      f.clearErrors();
      try {
        const run = await api('POST', `/api/v1/roundtables/${r.id}/match-runs`, { body });
        sessionStorage.setItem(runKey(r.id), run.id);
        ctx.announce(t('run.started'));
        await watch(ctx, run, out);
      } catch (e) {
        if (isAbort(e)) return;
        if (e instanceof ApiError && e.status === 409) {
          const last = sessionStorage.getItem(runKey(r.id));
          f.showProblem(e, () => t('run.busy'));
          if (last) await resume(last);
          return;
        }
        f.showProblem(e, describeError);
      }
    },
  });
  form.add(
    textField(form, 'min_score', t('run.min_score'), { type: 'number', min: 0, max: 100, step: 1, inputmode: 'numeric', hint: t('run.min_score_hint') }),
    checkGroup(form, 'fairness_floor', t('run.floor'), [{ value: 'on', label: t('run.floor_label') }], [], { hint: t('run.floor_hint') }),
    h('details.weights', h('summary', t('run.weights')), h('p.hint', t('run.weights_hint')),
      h('div.weights-grid', CRITERIA.map((c) => textField(form, `weights.${c}`, t(`criterion.${c}`), { type: 'number', min: 0, step: 'any', inputmode: 'decimal' })))));
  sec.append(h('p.muted', r.status === 'closed' ? t('run.intro_closed') : t('run.intro')), form.el, out);
  const last = sessionStorage.getItem(runKey(r.id));
  if (last) await resume(last);
  return sec;

  async function resume(id) {
    try {
      const run = await api('GET', `/api/v1/match-runs/${id}`, { signal: ctx.signal });
      watch(ctx, run, out).catch(() => {});
    } catch (e) {
      if (!isAbort(e)) sessionStorage.removeItem(runKey(r.id));
    }
  }
}

/** Shows a run's progress, polling until it has succeeded or failed (or the view is left). */
async function watch(ctx, run, out) {
  const labelId = nextId('pl');
  const progress = h('progress', { max: '100', value: '0', 'aria-labelledby': labelId });
  const label = h('p.progress-label', { id: labelId });
  const text = h('p.run-text', { role: 'status', 'aria-live': 'polite' });
  const details = h('div');
  replace(out, label, progress, text, details);
  let lastStatus = null;
  for (;;) {
    const pct = Math.round((run.progress || 0) * 100);
    progress.value = pct;
    progress.setAttribute('aria-valuetext', fmtPercent(run.progress || 0));
    label.textContent = t('run.progress', { id: run.id, pct: fmtPercent(run.progress || 0) });
    if (run.status !== lastStatus) {
      text.textContent = tv('run_status', run.status);
      lastStatus = run.status;
    }
    if (run.status === 'succeeded') {
      const s = run.stats || {};
      out.dataset.status = 'succeeded';
      replace(details, dl([
        [t('run.stat_needs'), fmtNumber(s.needs)],
        [t('run.stat_offers'), fmtNumber(s.offers)],
        [t('run.stat_pairs'), fmtNumber(s.pairs_scored)],
        [t('run.stat_feasible'), fmtNumber(s.feasible_pairs)],
        [t('run.stat_matches'), fmtNumber(s.matches)],
        [t('run.stat_total'), fmtNumber(s.total_score, { maximumFractionDigits: 3 })],
        s.states == null ? null : [t('run.stat_states'), t('run.states_of', { served: fmtNumber(s.states_served), servable: fmtNumber(s.states_servable), states: fmtNumber(s.states) })],
        [t('run.stat_elapsed'), t('run.ms', { ms: fmtNumber(s.elapsed_ms, { maximumFractionDigits: 1 }) })],
        [t('run.finished'), fmtDateTime(run.finished_at)],
      ]), lockOutcome(s.locks, ctx.signal), h('p', h('a', { href: `#/matches?roundtable_id=${run.roundtable_id}&run_id=${run.id}` }, t('run.see_matches'))));
      text.textContent = t('run.succeeded', { n: s.matches ?? 0 });
      return;
    }
    if (run.status === 'failed') {
      out.dataset.status = 'failed';
      replace(details, h('p.notice.error', { role: 'alert' }, t('run.failed', { why: run.error || '' })));
      return;
    }
    out.dataset.status = run.status;
    await sleep(run.status === 'queued' ? 300 : 500, ctx.signal);
    try {
      run = await api('GET', `/api/v1/match-runs/${run.id}`, { signal: ctx.signal });
    } catch (e) {
      if (isAbort(e)) throw e;
      // Lost sight of the run (the service is busy or unreachable): say so, offer to look again.
      const again = run;
      replace(details, errorPanel(e, () => { watch(ctx, again, out).catch(() => {}); }));
      return;
    }
  }
}

// --- summary --------------------------------------------------------------------------------

const FORMATS = [
  ['json', 'application/json', 'json'],
  ['markdown', 'text/markdown', 'md'],
  ['html', 'text/html', 'html'],
  ['csv', 'text/csv', 'csv'],
];

async function summarySection(ctx, r) {
  const sec = h('section.panel.summary', { 'aria-labelledby': 'sum-h' }, h('h2', { id: 'sum-h' }, t('summary.title')));
  if (!(await feature('summary'))) {
    sec.append(unavailable(t('summary.coming')));
    return sec;
  }
  const lang = uiLang() === 'zh' ? 'zh' : 'en';
  const wait = loading();
  sec.append(wait);
  try {
    const [s] = await Promise.all([
      api('GET', `/api/v1/roundtables/${r.id}/summary`, { query: { format: 'json', lang }, signal: ctx.signal }),
      loadThemes(ctx.signal),
    ]);
    wait.remove();
    sec.append(dashboard(s), exportsBlock(r));
  } catch (e) {
    wait.remove();
    if (!isAbort(e)) sec.append(errorPanel(e, () => ctx.refresh()));
  }
  return sec;
}

function dashboard(s) {
  const tt = s.totals || {};
  const tile = (label, value) => h('div.tile', h('span.tile-value', value), h('span.tile-label', label));
  const cov = Number(tt.coverage) || 0;
  const tiles = h('div.tiles',
    tile(t('summary.states'), fmtNumber(tt.states ?? 0)),
    tile(t('summary.providers'), fmtNumber(tt.providers ?? 0)),
    tile(t('summary.needs'), fmtNumber(tt.needs ?? 0)),
    tile(t('summary.offers'), fmtNumber(tt.offers ?? 0)),
    tile(t('summary.matches_proposed'), fmtNumber(tt.matches_proposed ?? 0)),
    tile(t('summary.matches_agreed'), fmtNumber(tt.matches_agreed ?? 0)),
    tile(t('summary.needs_matched'), fmtNumber(tt.needs_matched ?? 0)));
  const coverage = h('div.coverage', h('span', t('summary.coverage')), bar(cov, 'bar-total'), h('strong', fmtPercent(cov)));
  const chart = (title, rows, labelOf) => h('figure.chart',
    h('figcaption', title),
    h('div.table-wrap', h('table.chart-table',
      h('thead', h('tr', h('th', { scope: 'col' }, t('summary.col_name')), h('th', { scope: 'col' }, t('summary.needs')), h('th', { scope: 'col' }, t('summary.needs_matched')), h('th', { scope: 'col' }, t('summary.coverage')))),
      h('tbody', (rows || []).map((x) => {
        const share = x.needs ? x.needs_matched / x.needs : 0;
        return h('tr', h('th', { scope: 'row' }, labelOf(x)), h('td', fmtNumber(x.needs)), h('td', fmtNumber(x.needs_matched)), h('td.bar-cell', bar(share), ' ', fmtPercent(share)));
      })))));
  const unmet = (s.unmet_needs || []).length
    ? h('div', h('h3', t('summary.unmet')), h('ul.unmet', s.unmet_needs.map((u) => h('li', h('a', { href: `#/needs/${u.need_id}` }, data('span', u.title)), ' — ', tv('unmet', u.reason)))))
    : h('p.muted', t('summary.no_unmet'));
  return h('div.dashboard', tiles, coverage,
    chart(t('summary.by_theme'), s.by_theme, (x) => themeName(x.theme)),
    chart(t('summary.by_region'), s.by_region, (x) => tv('region', x.region)),
    unmet,
    h('p.muted', t('summary.generated', { when: fmtDateTime(s.generated_at) })));
}

function exportsBlock(r) {
  const status = h('p.form-status', { role: 'status', 'aria-live': 'polite' });
  const get = async (format, ext, lang) => {
    status.textContent = t('summary.preparing');
    try {
      const res = await api('GET', `/api/v1/roundtables/${r.id}/summary`, { query: { format, lang }, raw: true, accept: '*/*' });
      saveBlob(await res.blob(), `roundtable-${r.id}-summary-${lang}.${ext}`);
      status.textContent = t('summary.downloaded');
    } catch (e) {
      status.textContent = describeError(e);
    }
  };
  return h('div.exports', h('h3', t('summary.export')),
    h('div.table-wrap', h('table',
      h('thead', h('tr', h('th', { scope: 'col' }, t('summary.format')), h('th', { scope: 'col' }, 'English'), h('th', { scope: 'col', lang: 'zh' }, '中文'))),
      h('tbody', FORMATS.map(([format, , ext]) => h('tr',
        h('th', { scope: 'row' }, t(`summary.format_${format}`)),
        ['en', 'zh'].map((lang) => h('td', h('button.link', { type: 'button', onclick: () => get(format, ext, lang) }, t('summary.download', { format: t(`summary.format_${format}`), lang: lang === 'en' ? 'English' : '中文' }))))))))),
    status);
}
