// Pieces shared by the views: headings, badges, score explanations, errors in words, dialogs.

import { h, bar, nextId } from './dom.js';
import { t, tv, fmtPercent, fmtNumber } from './i18n.js';
import { themeName } from './store.js';
import { api } from './api.js';

export const CRITERIA = ['theme', 'text', 'window', 'modality', 'funding', 'priority', 'fairness'];

export function pageHead(title, ...actions) {
  return h('div.page-head',
    h('h1', { tabindex: '-1' }, title),
    actions.length ? h('div.page-actions', actions) : null);
}

export function badge(prefix, value) {
  return h(`span.badge.badge-${String(value).replace(/[^a-z_]/g, '')}`, tv(prefix, value));
}

export function themeChips(codes) {
  return h('ul.chips', { 'aria-label': t('field.themes') }, (codes || []).map((c) => h('li', themeName(c))));
}

/** A failure in words, in the interface language; the server's own detail follows. */
export function describeError(err) {
  if (!err) return t('error.unknown');
  if (err.name === 'ApiError') {
    const extra = err.detail ? ` (${err.detail})` : '';
    switch (err.status) {
      case 0:
        return err.timeout ? t('error.timeout') : t('error.network');
      case 400:
        return t('error.400') + extra;
      case 401:
        return t('error.401');
      case 403:
        return t('error.403') + extra;
      case 404:
        return t('error.404') + extra;
      case 409:
        return t('error.409') + extra;
      case 413:
        return t('error.413');
      case 415:
        return t('error.415');
      case 422:
        return t('error.422') + extra;
      case 429:
      case 503:
        return err.retryAfter ? t('error.busy_wait', { s: err.retryAfter }) : t('error.busy');
      default:
        return t('error.status', { status: err.status }) + extra;
    }
  }
  return t('error.unknown') + (err.message ? ` (${err.message})` : '');
}

export function errorPanel(err, retry) {
  const btn = retry ? h('button.secondary', { type: 'button', onclick: retry }, t('common.retry')) : null;
  if (btn && err?.retryAfter) {
    btn.disabled = true;
    setTimeout(() => { btn.disabled = false; }, err.retryAfter * 1000);
  }
  return h('div.notice.error', { role: 'alert' }, h('p', describeError(err)), btn);
}

export function unavailable(text) {
  return h('p.notice.unavailable', { dataset: { unavailable: '1' } }, text);
}

export function loading() {
  return h('p.loading', { role: 'status' }, t('common.loading'));
}

export function dl(rows) {
  return h('dl.facts', rows.filter(Boolean).flatMap(([k, v]) => [h('dt', k), h('dd', v)]));
}

/** A score and, criterion by criterion, its value, weight and share of the score. */
export function scoreBlock(score, breakdown, { compact = false } = {}) {
  const head = h('div.score-total',
    h('span.score-label', t('score.total')),
    bar(score, 'bar-total'),
    h('strong.score-figure', fmtPercent(score)));
  const rows = CRITERIA.filter((c) => breakdown && breakdown[c]).map((c) => {
    const { value, weight } = breakdown[c];
    return h('li.criterion',
      h('span.crit-name', tv('criterion', c)),
      bar(value),
      h('span.crit-figures', t('score.value_weight', { value: fmtPercent(value), weight: fmtPercent(weight) })),
      h('span.crit-points', t('score.points', { points: fmtNumber(value * weight * 100, { maximumFractionDigits: 1 }) })));
  });
  const list = h('ul.criteria', { 'aria-label': t('score.breakdown') }, rows);
  return h(`div.score${compact ? '.compact' : ''}`, head, list);
}

export function criteriaHelp() {
  return h('details.criteria-help',
    h('summary', t('score.help_title')),
    h('p', t('score.help_intro')),
    h('dl', CRITERIA.flatMap((c) => [h('dt', tv('criterion', c)), h('dd', t(`criterion_help.${c}`))])));
}

/**
 * Shows a <dialog> (so focus is trapped) of message, fields and two buttons; resolves
 * answer(true) when confirmed, answer(false) on cancel or Escape. check() may keep it open.
 */
function modal(cls, message, confirmLabel, { fields = [], check = () => true, answer = (ok) => ok, focus } = {}) {
  return new Promise((resolve) => {
    const yes = h('button.primary', { type: 'button', value: 'yes' }, confirmLabel);
    const no = h('button.secondary', { type: 'button', value: 'no' }, t('common.cancel'));
    const dlg = h(`dialog.confirm${cls}`, { 'aria-label': message }, h('p', message), fields, h('div.actions', yes, no));
    const done = (ok) => {
      dlg.close();
      dlg.remove();
      resolve(answer(ok));
    };
    yes.addEventListener('click', () => { if (check()) done(true); });
    no.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    (focus || no).focus();
  });
}

/** A modal question; resolves true when confirmed. */
export function confirmDialog(message, confirmLabel) {
  return modal('', message, confirmLabel);
}

/** Filters folded away on a phone unless some are in use; open on wider screens. */
export function filterBox(form, query, names) {
  const active = names.filter((n) => query.get(n)).length;
  const wide = window.matchMedia('(min-width: 48rem)').matches;
  return h('details.filter-box', { open: wide || active > 0 },
    h('summary', active ? t('filters.title_active', { n: active }) : t('filters.title')),
    form);
}

/**
 * A modal question with an optional text (a reason); resolves {ok, text}. The text field is
 * labelled, and the dialog is named by its question.
 */
export function reasonDialog(message, confirmLabel, { label, required = false, maxLength = 500 } = {}) {
  const id = nextId('rd');
  const errId = nextId('err');
  const area = h('textarea', { id, name: 'reason', rows: 3, maxlength: maxLength, 'aria-describedby': errId });
  const err = h('p.field-error', { id: errId, hidden: true });
  const field = h('div.field', h('label', { for: id }, label || (required ? t('rules.reason') : t('rules.reason_optional'))), err, area);
  const check = () => {
    if (!required || area.value.trim()) return true;
    err.textContent = t('valid.required');
    err.hidden = false;
    area.setAttribute('aria-invalid', 'true');
    area.focus();
    return false;
  };
  return modal('.reason-dialog', message, confirmLabel, { fields: [field], check, focus: area, answer: (ok) => ({ ok, text: area.value.trim() }) });
}

/** A roundtable's sub-page: its heading (titleKey with {title}) and the way back; resolves the roundtable. */
export async function roundtableHead(ctx, titleKey) {
  const r = await api('GET', `/api/v1/roundtables/${ctx.params.id}`, { signal: ctx.signal });
  ctx.main.append(pageHead(t(titleKey, { title: r.title })),
    h('p', h('a', { href: `#/roundtables/${r.id}` }, t('schedule.back', { title: r.title }))));
  ctx.main.querySelector('h1').setAttribute('dir', 'auto');
  return r;
}

/**
 * A fieldset of radio buttons registered in form as name: options are [value, label] (label
 * text or nodes); the control names are inputName (default name), checked the value ticked.
 */
export function radioField(form, name, legend, options, checked, { inputName = name } = {}) {
  const err = h('p.field-error', { id: nextId('err'), hidden: true });
  const inputs = [];
  const rows = options.map(([value, label]) => {
    const id = nextId('c');
    const input = h('input', { type: 'radio', id, name: inputName, value, checked: value === checked });
    inputs.push(input);
    return h('div.check', input, h('label', { for: id }, label));
  });
  const wrap = h('fieldset.field', { 'aria-describedby': err.id, dataset: { field: name } }, h('legend', legend), err, rows);
  form.register(name, { wrap, err, controls: inputs, label: legend, get: () => inputs.find((x) => x.checked)?.value || '' });
  return wrap;
}
