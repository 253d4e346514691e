// The meeting schedule (docs/schedule.md): on a roundtable's schedule page an organizer defines
// the time slots and tables, runs the scheduler and reads the timetable grid with what could not
// be placed and why, and marks (and sees) any participant's unavailable slots; a state or provider
// reads its own meetings there, downloads them as an iCalendar file and marks the slots it cannot
// make. "My schedule" lists a party's meetings in every roundtable.

import { h, data, replace, nextId } from '../dom.js';
import { t, tv, fmtDateTime, fmtNumber, current as uiLang } from '../i18n.js';
import { api, listAll, isAbort } from '../api.js';
import { Form } from '../forms.js';
import { pageHead, describeError, errorPanel, unavailable, loading, dl, roundtableHead, radioField } from '../ui.js';
import { feature, participant, posting, loadRoundtables } from '../store.js';
import * as session from '../session.js';

const rtPath = (id, what) => `/api/v1/roundtables/${encodeURIComponent(id)}/${what}`;

// --- time: the API speaks UTC ("…Z"), the inputs the browser's local time --------------------

const pad = (n) => String(n).padStart(2, '0');

/** An API time as a datetime-local value in the browser's time zone. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value (local time) as the API's UTC form, or null when it is no time. */
export function toUtc(local) {
  if (!local) return null;
  const d = new Date(local); // a date-time without an offset is local time
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function zoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    return '';
  }
}

function fmtTime(ts) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts || '';
  return new Intl.DateTimeFormat(uiLang(), { timeStyle: 'short' }).format(d);
}

/** "Day 1 morning · 10 May 2024, 09:00 – 09:30" */
function slotLabel(s) {
  const when = `${fmtDateTime(s.starts_at)} – ${fmtTime(s.ends_at)}`;
  return s.session ? [data('span.slot-session', s.session), h('span.slot-when', when)] : [h('span.slot-when', when)];
}

/** Saves a Blob under a file name (the browser's download). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// --- the roundtable's schedule page ---------------------------------------------------------

export async function scheduleView(ctx) {
  const { main, signal } = ctx;
  const r = await roundtableHead(ctx, 'schedule.title');
  if (!(await feature('schedule'))) {
    main.append(unavailable(t('schedule.unavailable')));
    return;
  }
  const [slots, tables, sched] = await Promise.all([
    api('GET', rtPath(r.id, 'slots'), { signal }),
    api('GET', rtPath(r.id, 'tables'), { signal }),
    api('GET', rtPath(r.id, 'schedule'), { signal }),
  ]);
  if (session.isStaff()) {
    const result = h('section.panel.schedule-result', { 'aria-labelledby': 'sch-res-h' });
    let marks = await staffUnavailabilityPanel(ctx, r, slots.items);
    // New slots can be marked at once: the panel is made again from the slots just saved.
    const slotsSaved = async (saved) => {
      const fresh = await staffUnavailabilityPanel(ctx, r, saved);
      marks.replaceWith(fresh);
      marks = fresh;
    };
    main.append(
      gridEditor(ctx, r, SLOT_EDITOR, slots.items, slotsSaved),
      gridEditor(ctx, r, TABLE_EDITOR, tables.items),
      marks,
      runPanel(ctx, r, result),
      result);
    await showResult(ctx, result, sched);
    return;
  }
  const me = session.participantId();
  if (!me) {
    main.append(h('p.muted', t('schedule.no_participant')));
    return;
  }
  main.append(await myMeetingsPanel(ctx, me, r), await unavailabilityPanel(ctx, me, r, slots.items));
}

// --- slots and tables: rows of fields, each error next to its field -------------------------

const SLOT_EDITOR = {
  what: 'slots',
  fields: [
    { key: 'session', label: 'schedule.slot_session', type: 'text', maxlength: 200 },
    { key: 'starts_at', label: 'schedule.slot_starts', type: 'datetime-local', fromApi: toLocalInput, toApi: toUtc, required: true },
    { key: 'ends_at', label: 'schedule.slot_ends', type: 'datetime-local', fromApi: toLocalInput, toApi: toUtc, required: true },
  ],
  check(item, row) {
    const errs = [];
    if (item.starts_at && item.ends_at && item.ends_at <= item.starts_at) errs.push({ field: `${row}.ends_at`, message: t('schedule.valid_end_after') });
    return errs;
  },
};

const TABLE_EDITOR = {
  what: 'tables',
  fields: [
    { key: 'name', label: 'schedule.table_name', type: 'text', maxlength: 200, required: true },
    { key: 'location', label: 'schedule.table_location', type: 'text', maxlength: 500 },
  ],
  check: () => [],
};

function gridEditor(ctx, r, kind, items, onSaved = null) {
  const { what } = kind;
  const headId = `sch-${what}-h`;
  const sec = h(`section.panel.schedule-${what}`, { 'aria-labelledby': headId }, h('h2', { id: headId }, t(`schedule.${what}_title`)));
  const list = h('ol.grid-rows');
  const rows = [];
  const form = new Form({
    submitLabel: t(`schedule.${what}_save`),
    cls: `grid-form grid-form-${what}`,
    onSubmit: async (f) => {
      // The rows that hold anything are sent, in order; the fields of the n-th are items[n].*,
      // the names the service's errors use.
      f.clearErrors();
      for (const name of [...f.fields.keys()]) if (name.startsWith('items[')) f.fields.delete(name);
      const body = [];
      const errs = [];
      for (const row of rows) {
        const raw = Object.fromEntries(kind.fields.map((fd) => [fd.key, row.inputs[fd.key].value.trim()]));
        if (!Object.values(raw).some(Boolean)) continue;
        const n = body.length;
        const item = row.id ? { id: row.id } : {};
        for (const fd of kind.fields) {
          const entry = row.entries[fd.key];
          f.register(`items[${n}].${fd.key}`, { ...entry, label: t(`schedule.${what}_row_field`, { n: n + 1, field: t(fd.label) }) });
          const v = raw[fd.key];
          if (fd.toApi) {
            const conv = fd.toApi(v);
            if (v && conv === null) errs.push({ field: `items[${n}].${fd.key}`, message: t('schedule.valid_time') });
            if (conv) item[fd.key] = conv;
          } else if (v) {
            item[fd.key] = v;
          }
          if (fd.required && !v) errs.push({ field: `items[${n}].${fd.key}`, message: t('valid.required') });
        }
        errs.push(...kind.check(item, `items[${n}]`));
        body.push(item);
      }
      if (errs.length) {
        f.showErrors(errs);
        return;
      }
      f.clearErrors();
      f.say(t('common.saving'));
      try {
        const saved = await api('PUT', rtPath(r.id, what), { body: { items: body } });
        f.say(t(`schedule.${what}_saved`, { n: fmtNumber(saved.items.length) }));
        ctx.announce(t(`schedule.${what}_saved`, { n: saved.items.length }));
        fill(saved.items);
        if (onSaved) await onSaved(saved.items);
      } catch (e) {
        f.say('');
        if (!isAbort(e)) f.showProblem(e, describeError);
      }
    },
  });
  const add = h('button.secondary', { type: 'button', onclick: () => addRow({}, true) }, t(`schedule.${what}_add`));
  form.add(list, h('p', add));
  const intro = what === 'slots' ? t('schedule.slots_intro', { zone: zoneName() || '—' }) : t('schedule.tables_intro');
  sec.append(h('p.muted', intro), form.el);
  fill(items);
  return sec;

  function fill(list2) {
    rows.length = 0;
    replace(list);
    for (const it of list2) addRow(it, false);
    if (!list2.length) addRow({}, false);
  }

  function addRow(item, focus) {
    const row = { id: item.id || null, inputs: {}, entries: {} };
    const legendId = nextId('rl');
    const legend = h('legend.visually-hidden', { id: legendId });
    const cells = kind.fields.map((fd) => {
      const id = nextId('f');
      const errId = nextId('err');
      const input = h('input', {
        id, type: fd.type, name: `${what}-${fd.key}`, maxlength: fd.maxlength, autocomplete: 'off',
        value: fd.fromApi ? fd.fromApi(item[fd.key]) : item[fd.key] ?? '', 'aria-describedby': errId,
      });
      const err = h('p.field-error', { id: errId, hidden: true });
      const wrap = h('div.field', { dataset: { field: fd.key } }, h('label', { for: id }, t(fd.label)), err, input);
      row.inputs[fd.key] = input;
      row.entries[fd.key] = { wrap, err, controls: [input], get: () => input.value };
      return wrap;
    });
    const remove = h('button.link.remove-row', { type: 'button' }, t(`schedule.${what}_remove`));
    const li = h('li.grid-row', h('fieldset.grid-row-fields', { 'aria-labelledby': legendId }, legend, h('div.row', cells), remove));
    row.el = li;
    remove.addEventListener('click', () => {
      const i = rows.indexOf(row);
      rows.splice(i, 1);
      li.remove();
      number();
      ctx.announce(t(`schedule.${what}_removed`));
      const next = rows[i] || rows[i - 1];
      if (next) next.inputs[kind.fields[0].key].focus();
      else add.focus();
    });
    rows.push(row);
    list.append(li);
    number();
    if (focus) row.inputs[kind.fields[0].key].focus();
  }

  function number() {
    rows.forEach((row, i) => {
      const label = t(`schedule.${what}_row`, { n: i + 1 });
      row.el.querySelector('legend').textContent = label;
      row.el.querySelector('.remove-row').setAttribute('aria-label', `${t(`schedule.${what}_remove`)}: ${label}`);
    });
  }
}

// --- running the scheduler ------------------------------------------------------------------

function runPanel(ctx, r, result) {
  const sec = h('section.panel.schedule-run', { 'aria-labelledby': 'sch-run-h' }, h('h2', { id: 'sch-run-h' }, t('schedule.run_title')));
  const form = new Form({
    submitLabel: t('schedule.run_start'),
    cls: 'schedule-run-form',
    onSubmit: async (f) => {
      f.clearErrors();
      f.say(t('schedule.running'));
      try {
        const body = { group: f.value('group'), agreed_first: f.value('agreed_first') };
        const sched = await api('POST', rtPath(r.id, 'schedule'), { body, timeout: 120000 });
        f.say('');
        const s = sched.stats || {};
        ctx.announce(t('schedule.done', { placed: s.placed ?? 0, meetings: s.meetings ?? 0 }));
        await showResult(ctx, result, sched);
        result.querySelector('h2')?.focus();
      } catch (e) {
        f.say('');
        if (!isAbort(e)) f.showProblem(e, describeError);
      }
    },
  });
  const groupField = radioField(form, 'group', t('schedule.group'), ['need', 'pair'].map((v) => [v, t(`schedule.group_${v}`)]), 'need');
  const agreedId = nextId('c');
  const agreedErr = h('p.field-error', { id: nextId('err'), hidden: true });
  const agreed = h('input', { type: 'checkbox', id: agreedId, name: 'agreed_first', checked: true, 'aria-describedby': agreedErr.id });
  const agreedField = h('div.field', agreedErr, h('div.check', agreed, h('label', { for: agreedId }, t('schedule.agreed_first'))));
  form.register('agreed_first', { wrap: agreedField, err: agreedErr, controls: [agreed], label: t('schedule.agreed_first'), get: () => agreed.checked });
  form.add(groupField, agreedField);
  sec.append(h('p.muted', t('schedule.run_intro')), form.el);
  return sec;
}

// --- the result: figures, the grid, what could not be placed -------------------------------

async function showResult(ctx, sec, sched) {
  replace(sec, h('h2', { id: 'sch-res-h', tabindex: '-1' }, t('schedule.result_title')));
  if (!sched.created_at) {
    sec.append(h('p.empty', t('schedule.none_yet')));
    return;
  }
  const s = sched.stats || {};
  sec.append(
    h(`p.notice.${s.optimal ? 'ok' : 'warn'}.optimality`, s.optimal ? t('schedule.optimal') : t('schedule.not_optimal')),
    dl([
      [t('schedule.stat_placed'), t('schedule.placed_of', { placed: fmtNumber(s.placed ?? 0), meetings: fmtNumber(s.meetings ?? 0) })],
      [t('schedule.stat_partnerships'), fmtNumber(s.matches_placed ?? 0)],
      [t('schedule.stat_grid'), t('schedule.grid_size', { slots: fmtNumber(s.slots ?? 0), tables: fmtNumber(s.tables ?? 0) })],
      [t('schedule.stat_options'), `${t(`schedule.group_${sched.params?.group || 'need'}`)}${sched.params?.agreed_first ? ` · ${t('schedule.agreed_first')}` : ''}`],
      [t('schedule.stat_elapsed'), t('run.ms', { ms: fmtNumber(s.elapsed_ms ?? 0) })],
      [t('schedule.stat_made'), fmtDateTime(sched.created_at)],
    ]),
    timetableGrid(sched));
  const unplacedBox = h('div.unplaced');
  sec.append(unplacedBox);
  await unplacedList(ctx, unplacedBox, sched);
}

function timetableGrid(sched) {
  if (!sched.slots.length || !sched.tables.length) return h('p.empty', t('schedule.no_grid'));
  const cell = new Map(sched.meetings.map((m) => [`${m.slot_id}/${m.table_id}`, m]));
  return scrollTable('timetable', t('schedule.grid_caption'), false,
    h('thead', h('tr',
      h('th', { scope: 'col' }, t('schedule.col_slot')),
      sched.tables.map((tb) => h('th', { scope: 'col' }, data('span.table-name', tb.name), tb.location ? data('span.table-location', tb.location) : null)))),
    h('tbody', sched.slots.map((sl) => h('tr',
      h('th', { scope: 'row' }, slotLabel(sl)),
      sched.tables.map((tb) => {
        const m = cell.get(`${sl.id}/${tb.id}`);
        if (!m) return h('td.free', h('span', { 'aria-hidden': 'true' }, '—'), h('span.visually-hidden', t('schedule.free')));
        return h('td.meeting', meetingCell(m));
      })))));
}

/** A table in a region that scrolls sideways on a narrow screen, by keyboard too. */
function scrollTable(cls, caption, hideCaption, ...parts) {
  const capId = nextId('cap');
  return h('div.table-wrap.grid-scroll', { role: 'region', tabindex: '0', 'aria-labelledby': capId },
    h(`table.${cls}`, h(`caption${hideCaption ? '.visually-hidden' : ''}`, { id: capId }, caption), ...parts));
}

function meetingCell(m) {
  const [state, ...providers] = m.participants;
  return [
    h('a.meeting-need', { href: `#/needs/${m.need_id}` }, data('span', m.need_title)),
    h('ul.meeting-people',
      state ? h('li.meeting-state', h('span.visually-hidden', `${t('schedule.state')}: `), data('strong', state.name)) : null,
      providers.map((p) => h('li', h('span.visually-hidden', `${t('schedule.provider')}: `), data('span', p.name)))),
  ];
}

async function unplacedList(ctx, box, sched) {
  replace(box, h('h3', t('schedule.unplaced_title', { n: fmtNumber(sched.unplaced.length) })));
  if (!sched.unplaced.length) {
    box.append(h('p.muted', t('schedule.all_placed')));
    return;
  }
  // The names behind the ids: who meets, and the need (a lookup that fails shows the id).
  const known = new Map();
  for (const m of sched.meetings) for (const p of m.participants) known.set(p.id, p.name);
  const name = async (id) => {
    if (known.has(id)) return known.get(id);
    try {
      return (await participant(id, ctx.signal)).name;
    } catch (e) {
      if (isAbort(e)) throw e;
      return `#${id}`;
    }
  };
  const needTitle = async (id) => {
    try {
      return (await posting('needs', id, ctx.signal)).title;
    } catch (e) {
      if (isAbort(e)) throw e;
      return t('schedule.need_n', { id });
    }
  };
  const items = await Promise.all(sched.unplaced.map(async (u) => ({
    u,
    title: await needTitle(u.need_id),
    names: await Promise.all(u.participant_ids.map(name)),
    who: u.participant_id ? await name(u.participant_id) : null,
  })));
  box.append(h('ul.unplaced-list', items.map(({ u, title, names, who }) => h('li',
    h('a', { href: `#/needs/${u.need_id}` }, data('span', title)),
    ' — ', h('span.people', { dir: 'auto' }, names.join(', ')),
    h('br'),
    h('span.reason', t(`schedule.reason_${u.reason}`, { name: who || '' }))))));
}

// --- a party's own meetings and unavailability ---------------------------------------------

function meetingsTable(items, { withRoundtable, me }) {
  return scrollTable('my-meetings', t('schedule.my_caption'), true,
    h('thead', h('tr',
      h('th', { scope: 'col' }, t('schedule.col_when')),
      withRoundtable ? h('th', { scope: 'col' }, t('schedule.col_roundtable')) : null,
      h('th', { scope: 'col' }, t('schedule.col_table')),
      h('th', { scope: 'col' }, t('schedule.col_need')),
      h('th', { scope: 'col' }, t('schedule.col_with')))),
    h('tbody', items.map((m) => h('tr',
      h('th', { scope: 'row' }, slotLabel(m)),
      withRoundtable ? h('td', h('a', { href: `#/roundtables/${m.roundtable_id}/schedule` }, data('span', m.roundtable_title))) : null,
      h('td', data('span.table-name', m.table), m.location ? data('span.table-location', m.location) : null),
      h('td', h('a', { href: `#/needs/${m.need_id}` }, data('span', m.need_title))),
      h('td', h('ul.meeting-people', m.participants.filter((p) => p.id !== me).map((p) => h('li', data('span', p.name), h('span.muted', ` (${tv('kind', p.kind)})`)))))))));
}

function icsButton(me, roundtableId) {
  const status = h('p.form-status', { role: 'status', 'aria-live': 'polite' });
  const btn = h('button.secondary.ics-download', { type: 'button' }, t('schedule.ics_download'));
  btn.addEventListener('click', async () => {
    status.textContent = t('summary.preparing');
    btn.disabled = true;
    try {
      const res = await api('GET', `/api/v1/participants/${encodeURIComponent(me)}/schedule`, {
        query: { format: 'ics', roundtable_id: roundtableId || undefined }, raw: true, accept: 'text/calendar, */*',
      });
      saveBlob(await res.blob(), roundtableId ? `roundtable-${roundtableId}-schedule.ics` : 'roundtable-schedule.ics');
      status.textContent = t('summary.downloaded');
    } catch (e) {
      status.textContent = describeError(e);
    } finally {
      btn.disabled = false;
    }
  });
  return h('div.ics', btn, h('p.hint', t('schedule.ics_hint')), status);
}

async function myMeetingsPanel(ctx, me, r) {
  const sec = h('section.panel.my-schedule', { 'aria-labelledby': 'sch-mine-h' }, h('h2', { id: 'sch-mine-h' }, t('schedule.mine_title')));
  const wait = loading();
  sec.append(wait);
  try {
    const mine = await api('GET', `/api/v1/participants/${encodeURIComponent(me)}/schedule`, { query: { format: 'json', roundtable_id: r.id }, signal: ctx.signal });
    wait.remove();
    if (!mine.items.length) sec.append(h('p.empty', t('schedule.mine_none')));
    else sec.append(meetingsTable(mine.items, { withRoundtable: false, me }), icsButton(me, r.id));
  } catch (e) {
    wait.remove();
    if (isAbort(e)) throw e;
    sec.append(errorPanel(e, () => ctx.refresh()));
  }
  return sec;
}

async function unavailabilityPanel(ctx, me, r, slots) {
  const sec = h('section.panel.unavailability', { 'aria-labelledby': 'sch-un-h' }, h('h2', { id: 'sch-un-h' }, t('schedule.unavail_title')));
  if (!slots.length) {
    sec.append(h('p.muted', t('schedule.unavail_no_slots')));
    return sec;
  }
  let marked = [];
  try {
    const got = await api('GET', rtPath(r.id, 'unavailability'), { signal: ctx.signal });
    marked = got.items.find((x) => x.participant_id === me)?.slot_ids || [];
  } catch (e) {
    if (isAbort(e)) throw e;
    sec.append(errorPanel(e, () => ctx.refresh()));
    return sec;
  }
  const chosen = new Set(marked);
  const form = new Form({
    submitLabel: t('schedule.unavail_save'),
    cls: 'unavail-form',
    onSubmit: async (f) => {
      f.clearErrors();
      try {
        const saved = await api('PUT', rtPath(r.id, 'unavailability'), { body: { slot_ids: f.value('slot_ids') } });
        f.say(t('schedule.unavail_saved', { n: fmtNumber(saved.slot_ids.length) }));
        ctx.announce(t('schedule.unavail_saved', { n: saved.slot_ids.length }));
      } catch (e) {
        f.say('');
        if (!isAbort(e)) f.showProblem(e, describeError);
      }
    },
  });
  slotChecks(form, slots, chosen, t('schedule.unavail_legend'));
  sec.append(h('p.muted', t('schedule.unavail_intro')), form.el);
  return sec;
}

/** A fieldset of one check box per slot, registered in form as slot_ids; returns the boxes. */
function slotChecks(form, slots, chosen, legend) {
  const boxes = [];
  const errId = nextId('err');
  const err = h('p.field-error', { id: errId, hidden: true });
  const items = slots.map((s) => {
    const id = nextId('c');
    const box = h('input', { type: 'checkbox', id, name: 'slot_ids', value: s.id, checked: chosen.has(s.id) });
    boxes.push(box);
    return h('div.check', box, h('label', { for: id }, slotLabel(s)));
  });
  const fs = h('fieldset.field', { 'aria-describedby': errId, dataset: { field: 'slot_ids' } }, h('legend', legend), err, h('div.slot-checks', items));
  form.register('slot_ids', { wrap: fs, err, controls: boxes, label: legend, get: () => boxes.filter((b) => b.checked).map((b) => b.value) });
  form.add(fs);
  return boxes;
}

/**
 * The organizers' view of unavailability: who cannot make which slot, and a form to mark any
 * participant's slots (the service lets staff PUT for any participant).
 */
async function staffUnavailabilityPanel(ctx, r, slots) {
  const sec = h('section.panel.staff-unavailability', { 'aria-labelledby': 'sch-sun-h' }, h('h2', { id: 'sch-sun-h' }, t('schedule.staff_unavail_title')));
  if (!slots.length) {
    sec.append(h('p.muted', t('schedule.staff_unavail_no_slots')));
    return sec;
  }
  let marks;
  let people;
  try {
    [marks, people] = await Promise.all([
      api('GET', rtPath(r.id, 'unavailability'), { signal: ctx.signal }),
      listAll('/api/v1/participants', {}, { signal: ctx.signal }),
    ]);
  } catch (e) {
    if (isAbort(e)) throw e;
    sec.append(errorPanel(e, () => ctx.refresh()));
    return sec;
  }
  const byId = new Map(people.map((p) => [p.id, p]));
  const byParticipant = new Map(marks.items.map((x) => [x.participant_id, x.slot_ids]));
  const slotById = new Map(slots.map((s) => [s.id, s]));
  const summary = h('div.unavail-summary');
  const showSummary = () => {
    const rows = [...byParticipant].filter(([, ids]) => ids.length);
    if (!rows.length) {
      replace(summary, h('p.empty', t('schedule.staff_unavail_none')));
      return;
    }
    replace(summary, h('h3', t('schedule.staff_unavail_marked')), h('ul.unavail-marks', rows.map(([pid, ids]) => h('li', { dataset: { participantId: pid } },
      data('strong', byId.get(pid)?.name || `#${pid}`), ': ',
      h('ul.unavail-slots', ids.map((id) => h('li', slotById.has(id) ? slotLabel(slotById.get(id)) : `#${id}`)))))));
  };
  showSummary();
  const form = new Form({
    submitLabel: t('schedule.staff_unavail_save'),
    cls: 'staff-unavail-form',
    onSubmit: async (f) => {
      f.clearErrors();
      const pid = f.value('participant_id');
      if (!pid) {
        f.showErrors([{ field: 'participant_id', message: t('valid.required') }]);
        return;
      }
      try {
        const saved = await api('PUT', rtPath(r.id, 'unavailability'), { body: { participant_id: pid, slot_ids: f.value('slot_ids') } });
        byParticipant.set(saved.participant_id, saved.slot_ids);
        showSummary();
        const said = t('schedule.staff_unavail_saved', { name: byId.get(pid)?.name || `#${pid}`, n: fmtNumber(saved.slot_ids.length) });
        f.say(said);
        ctx.announce(said);
      } catch (e) {
        f.say('');
        if (!isAbort(e)) f.showProblem(e, describeError);
      }
    },
  });
  const selId = nextId('f');
  const selErr = h('p.field-error', { id: nextId('err'), hidden: true });
  const parties = people.filter((p) => p.kind !== 'organizer').sort((a, b) => a.name.localeCompare(b.name));
  const sel = h('select', { id: selId, name: 'participant_id', 'aria-describedby': selErr.id },
    h('option', { value: '' }, t('common.choose')),
    parties.map((p) => h('option', { value: p.id }, `${p.name} (${tv('kind', p.kind)})`)));
  const selField = h('div.field', { dataset: { field: 'participant_id' } }, h('label', { for: selId }, t('schedule.staff_unavail_who')), selErr, sel);
  form.register('participant_id', { wrap: selField, err: selErr, controls: [sel], label: t('schedule.staff_unavail_who'), get: () => sel.value });
  form.add(selField);
  const boxes = slotChecks(form, slots, new Set(), t('schedule.staff_unavail_legend'));
  sel.addEventListener('change', () => {
    const marked = new Set(byParticipant.get(sel.value) || []);
    for (const b of boxes) b.checked = marked.has(b.value);
    form.say('');
  });
  sec.append(h('p.muted', t('schedule.staff_unavail_intro')), summary, form.el);
  return sec;
}

/** "My schedule": a state's or provider's meetings in every roundtable. */
export async function myScheduleView(ctx) {
  const { main, signal } = ctx;
  main.append(pageHead(t('schedule.my_title')));
  if (!(await feature('participantSchedule'))) {
    main.append(unavailable(t('schedule.unavailable')));
    return;
  }
  const me = session.participantId();
  if (!me) {
    main.append(h('p.muted', t('schedule.no_participant')));
    return;
  }
  const [mine, rts] = await Promise.all([
    api('GET', `/api/v1/participants/${encodeURIComponent(me)}/schedule`, { query: { format: 'json' }, signal }),
    loadRoundtables(signal),
  ]);
  if (!mine.items.length) main.append(h('p.empty', t('schedule.my_none')));
  else main.append(meetingsTable(mine.items, { withRoundtable: true, me }), icsButton(me, null));
  const open = rts.filter((x) => x.status !== 'closed');
  if (open.length) {
    main.append(h('section.panel', { 'aria-labelledby': 'sch-rts-h' },
      h('h2', { id: 'sch-rts-h' }, t('schedule.by_roundtable')),
      h('p.muted', t('schedule.by_roundtable_intro')),
      h('ul', open.map((x) => h('li', h('a', { href: `#/roundtables/${x.id}/schedule` }, data('span', x.title)))))));
  }
}
