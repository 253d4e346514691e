// Forms whose every field has a label, an optional hint, and a slot for its error message;
// a problem+json `errors` list lands next to the fields it names ("themes[2]" -> themes,
// "window.end" -> the window's end), the rest in the summary at the top.

import { h, nextId, append } from './dom.js';
import { t, langName } from './i18n.js';
import { themeName } from './store.js';

export const UN_LANGUAGE_CODES = ['en', 'fr', 'es', 'ar', 'zh', 'ru'];
export const REGIONS = ['africa', 'asia_pacific', 'eastern_europe', 'latin_america_caribbean', 'western_europe_others'];

export class Form {
  constructor({ onSubmit, submitLabel, cancelHref, cls }) {
    this.fields = new Map();
    this.summary = h('div.error-summary', { tabindex: '-1', hidden: true, 'aria-labelledby': nextId('es') });
    this.body = h('div.form-body');
    this.submit = h('button.primary', { type: 'submit' }, submitLabel);
    this.status = h('p.form-status', { role: 'status', 'aria-live': 'polite' });
    const actions = h('div.actions', this.submit, cancelHref ? h('a.button.secondary', { href: cancelHref }, t('common.cancel')) : null);
    this.el = h(`form.form${cls ? '.' + cls : ''}`, { novalidate: true }, this.summary, this.body, actions, this.status);
    this.el.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (this.busy) return;
      this.busy = true;
      this.submit.disabled = true;
      this.submit.setAttribute('aria-busy', 'true');
      try {
        await onSubmit(this);
      } finally {
        this.busy = false;
        if (!this.lockedUntil || Date.now() >= this.lockedUntil) this.submit.disabled = false;
        this.submit.removeAttribute('aria-busy');
      }
    });
  }

  add(...nodes) {
    append(this.body, nodes);
    return this;
  }

  register(name, entry) {
    this.fields.set(name, entry);
  }

  value(name) {
    return this.fields.get(name)?.get();
  }

  clearErrors() {
    this.summary.hidden = true;
    this.summary.replaceChildren();
    for (const f of this.fields.values()) {
      f.err.hidden = true;
      f.err.textContent = '';
      f.wrap.classList.remove('has-error');
      for (const c of f.controls) c.removeAttribute('aria-invalid');
    }
  }

  /** Field name a server path points at: themes[2] -> themes, window -> window.start. */
  resolve(path) {
    if (!path) return null;
    if (this.fields.has(path)) return path;
    const base = path.replace(/\[\d+\]/g, '');
    if (this.fields.has(base)) return base;
    if (this.fields.has(`${base}.start`)) return `${base}.start`;
    const head = base.split('.')[0];
    if (this.fields.has(head)) return head;
    return null;
  }

  /**
   * Shows errors: [{field, message}] next to their fields and in the summary; focuses the
   * summary so that a screen reader reads it and a keyboard user can jump to each field.
   */
  showErrors(errors, intro) {
    this.clearErrors();
    const items = [];
    const seen = new Map();
    for (const e of errors) {
      const name = this.resolve(e.field);
      const f = name ? this.fields.get(name) : null;
      const label = f ? f.label : e.field || t('form.general');
      const msg = e.message;
      if (f) {
        const prev = seen.get(name);
        const text = prev ? `${prev}; ${msg}` : msg;
        seen.set(name, text);
        f.err.textContent = text;
        f.err.hidden = false;
        f.wrap.classList.add('has-error');
        for (const c of f.controls) c.setAttribute('aria-invalid', 'true');
      }
      const link = f && f.controls[0]
        ? h('a', { href: `#${f.controls[0].id}`, onclick: (ev) => { ev.preventDefault(); f.controls[0].focus(); } }, `${label}: ${msg}`)
        : `${label}: ${msg}`;
      items.push(h('li', link));
    }
    const head = h('h2', { id: this.summary.getAttribute('aria-labelledby') }, intro || t('form.fix'));
    this.summary.replaceChildren(head, h('ul', items));
    this.summary.hidden = false;
    this.summary.focus();
  }

  /** A failed request: field errors next to fields, anything else in words in the summary. */
  showProblem(err, describe) {
    if (err.errors && err.errors.length) {
      this.showErrors(err.errors, t('form.server_fix'));
      return;
    }
    this.clearErrors();
    this.summary.replaceChildren(h('h2', { id: this.summary.getAttribute('aria-labelledby') }, t('form.failed')), h('p', describe(err)));
    this.summary.hidden = false;
    this.summary.focus();
    if (err.retryAfter && (err.status === 503 || err.status === 429)) {
      // Honour Retry-After: the button comes back when the service said to try again.
      this.lockedUntil = Date.now() + err.retryAfter * 1000;
      this.submit.disabled = true;
      setTimeout(() => {
        this.submit.disabled = false;
        this.lockedUntil = 0;
      }, err.retryAfter * 1000);
    }
  }

  say(text) {
    this.status.textContent = text;
  }
}

function fieldShell(form, name, label, control, { hint, controls } = {}) {
  const errId = nextId('err');
  const hintId = hint ? nextId('hint') : null;
  const err = h('p.field-error', { id: errId, hidden: true });
  const ctrls = controls || [control];
  for (const c of ctrls) {
    const described = [hintId, errId].filter(Boolean).join(' ');
    c.setAttribute('aria-describedby', described);
  }
  const wrap = h('div.field', { dataset: { field: name } },
    h('label', { for: ctrls[0].id }, label),
    hint ? h('p.hint', { id: hintId }, hint) : null,
    err,
    control);
  return { wrap, err, controls: ctrls };
}

/** A text, number, date or textarea field. */
export function textField(form, name, label, opts = {}) {
  const id = nextId('f');
  const attrs = {
    id,
    name,
    type: opts.multiline ? undefined : opts.type || 'text',
    value: opts.value ?? '',
    maxlength: opts.maxlength,
    min: opts.min,
    max: opts.max,
    step: opts.step,
    inputmode: opts.inputmode,
    autocomplete: opts.autocomplete || 'off',
    required: opts.required,
    spellcheck: opts.spellcheck,
    rows: opts.rows,
  };
  const input = opts.multiline ? h('textarea', attrs) : h('input', attrs);
  if (opts.multiline) input.value = opts.value ?? '';
  const shell = fieldShell(form, name, label, input, opts);
  form.register(name, { ...shell, label, get: () => input.value });
  return shell.wrap;
}

export function selectField(form, name, label, options, value, opts = {}) {
  const id = nextId('f');
  const select = h('select', { id, name },
    options.map((o) => h('option', { value: o.value, selected: String(o.value) === String(value ?? '') }, o.label)));
  const shell = fieldShell(form, name, label, select, opts);
  form.register(name, { ...shell, label, get: () => select.value });
  return shell.wrap;
}

/** Check boxes in a fieldset; get() gives the ticked values. */
export function checkGroup(form, name, legend, options, values = [], opts = {}) {
  const chosen = new Set(values);
  const boxes = [];
  const items = options.map((o) => {
    const id = nextId('c');
    const box = h('input', { type: 'checkbox', id, name, value: o.value, checked: chosen.has(o.value) });
    boxes.push(box);
    return h('div.check', box, h('label', { for: id }, o.label));
  });
  return groupShell(form, name, legend, boxes, h('div.checks', items), opts, () => boxes.filter((b) => b.checked).map((b) => b.value));
}

function groupShell(form, name, legend, controls, content, opts, get) {
  const errId = nextId('err');
  const hintId = opts.hint ? nextId('hint') : null;
  const err = h('p.field-error', { id: errId, hidden: true });
  const fs = h('fieldset.field', { dataset: { field: name }, 'aria-describedby': [hintId, errId].filter(Boolean).join(' ') },
    h('legend', legend),
    opts.hint ? h('p.hint', { id: hintId }, opts.hint) : null,
    err,
    content);
  form.register(name, { wrap: fs, err, controls, label: legend, get });
  return fs;
}

/** The theme taxonomy: one small fieldset per group, themes as check boxes. */
export function themePicker(form, name, taxonomy, values = [], opts = {}) {
  const chosen = new Set(values);
  const boxes = [];
  const groups = taxonomy.groups.map((g) => {
    const legendId = nextId('g');
    return h('fieldset.theme-group', { 'aria-labelledby': legendId },
      h('legend', { id: legendId }, themeName(g.code)),
      g.children.map((th) => {
        const id = nextId('c');
        const box = h('input', { type: 'checkbox', id, name, value: th.code, checked: chosen.has(th.code) });
        boxes.push(box);
        return h('div.check', box, h('label', { for: id }, themeName(th.code)));
      }));
  });
  return groupShell(form, name, opts.legend || t('field.themes'), boxes, h('div.theme-groups', groups), { hint: opts.hint ?? t('hint.themes') },
    () => boxes.filter((b) => b.checked).map((b) => b.value));
}

/** The six UN languages as check boxes, plus any other ISO 639-1 codes typed in. */
export function languagePicker(form, name, values = [], opts = {}) {
  const chosen = new Set(values);
  const boxes = [];
  const items = UN_LANGUAGE_CODES.map((code) => {
    const id = nextId('c');
    const box = h('input', { type: 'checkbox', id, name, value: code, checked: chosen.has(code) });
    boxes.push(box);
    return h('div.check', box, h('label', { for: id, lang: code }, `${langName(code)} (${code})`));
  });
  const otherId = nextId('f');
  const others = values.filter((v) => !UN_LANGUAGE_CODES.includes(v));
  const other = h('input', { id: otherId, type: 'text', name: `${name}-other`, value: others.join(', '), autocomplete: 'off', spellcheck: 'false' });
  const content = h('div',
    h('div.checks', items),
    h('div.other', h('label', { for: otherId }, t('field.languages_other')), other));
  return groupShell(form, name, opts.legend || t('field.languages'), [...boxes, other], content, { hint: t('hint.languages') }, () => {
    const list = boxes.filter((b) => b.checked).map((b) => b.value);
    for (const code of splitList(other.value).map((s) => s.toLowerCase())) if (!list.includes(code)) list.push(code);
    return list;
  });
}

/** A window: start and end dates, each its own field (window.start, window.end). */
export function dateRange(form, name, legend, value = {}) {
  const mk = (part, label) => {
    const id = nextId('f');
    const input = h('input', { id, type: 'date', name: `${name}.${part}`, value: value?.[part] || '' });
    const shell = fieldShell(form, `${name}.${part}`, label, input, {});
    form.register(`${name}.${part}`, { ...shell, label: `${legend} — ${label}`, get: () => input.value });
    return shell.wrap;
  };
  return h('fieldset.field.range', h('legend', legend), h('p.hint', t('hint.window')),
    h('div.row', mk('start', t('field.from')), mk('end', t('field.to'))));
}

export function splitList(s) {
  return String(s || '')
    .split(/[,;\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A theme filter: any, a whole group, or one theme. */
export function themeSelect(name, taxonomy, value, label = t('field.theme')) {
  const id = `flt-${name}`;
  return h('div.field', h('label', { for: id }, label),
    h('select', { id, name },
      h('option', { value: '' }, t('filters.any')),
      taxonomy.groups.map((g) => h('optgroup', { label: themeName(g.code) },
        h('option', { value: g.code, selected: value === g.code }, t('filters.whole_group', { name: themeName(g.code) })),
        g.children.map((c) => h('option', { value: c.code, selected: value === c.code }, themeName(c.code)))))));
}
