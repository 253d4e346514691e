import { h, nextId, replace, append } from '../dom.js';
import { t, tv } from '../i18n.js';
import { api, ApiError, isAbort } from '../api.js';
import { Form, textField } from '../forms.js';
import { pageHead, describeError } from '../ui.js';
import * as session from '../session.js';

export async function signinView(ctx) {
  const { main, query } = ctx;
  const notice = query.get('expired')
    ? h('div.notice.warn', { role: 'alert' }, h('p', t('signin.expired')))
    : null;
  const step2 = h('section.step2', { hidden: true });

  const form = new Form({
    submitLabel: t('signin.submit'),
    onSubmit: async (f) => {
      const token = f.value('token').trim();
      if (!token) {
        f.showErrors([{ field: 'token', message: t('signin.token_missing') }]);
        return;
      }
      f.clearErrors();
      f.say(t('signin.checking'));
      try {
        const r = await session.identify(token);
        f.say('');
        if (r.done) {
          ctx.signedIn();
          return;
        }
        step2.hidden = false;
        form.el.hidden = true;
        pwForm.el.hidden = true; // eslint-disable-line no-use-before-define
        tokenBox.querySelector('summary').hidden = true; // eslint-disable-line no-use-before-define
        await participantStep(ctx, step2);
      } catch (e) {
        f.say('');
        if (e instanceof ApiError && e.status === 401) {
          f.showErrors([{ field: 'token', message: t('signin.token_unknown') }]);
        } else {
          f.showProblem(e, describeError);
        }
      }
    },
  });
  form.add(
    textField(form, 'token', t('signin.token'), { type: 'password', hint: t('signin.token_hint'), autocomplete: 'off', spellcheck: 'false' }),
  );
  const pwForm = passwordForm(ctx);
  const tokenBox = h('details.token-signin', h('summary', t('signin.token_instead')), h('p', t('signin.intro')), form.el);
  append(main, [
    pageHead(t('signin.title')),
    notice,
    h('p.lead', t('signin.password_intro')),
    pwForm.el,
    tokenBox,
    step2,
    h('details.help', h('summary', t('signin.help_title')), h('p', t('signin.help_text'))),
  ]);
}

/** Email and password: the service answers with a session cookie and a CSRF token. */
function passwordForm(ctx) {
  const form = new Form({
    submitLabel: t('signin.submit'),
    onSubmit: async (f) => {
      const email = f.value('email').trim();
      const password = f.value('password');
      const missing = [];
      if (!email) missing.push({ field: 'email', message: t('signin.email_missing') });
      if (!password) missing.push({ field: 'password', message: t('signin.password_missing') });
      if (missing.length) {
        f.showErrors(missing);
        return;
      }
      f.clearErrors();
      f.say(t('signin.checking_password'));
      try {
        await session.signInWithPassword(email, password);
        f.say('');
        ctx.signedIn();
      } catch (e) {
        f.say('');
        if (e instanceof ApiError && e.status === 401) {
          f.showErrors([{ field: 'password', message: t('signin.password_wrong') }]);
        } else if (e instanceof ApiError && e.status === 429) {
          f.showErrors([{ field: 'password', message: t('signin.too_many', { s: e.retryAfter ?? 60 }) }]);
        } else {
          f.showProblem(e, describeError);
        }
      }
    },
  });
  form.add(
    textField(form, 'email', t('signin.email'), { type: 'email', autocomplete: 'username', spellcheck: 'false' }),
    textField(form, 'password', t('signin.password'), { type: 'password', autocomplete: 'current-password' }),
  );
  return form;
}

/** Step 2: a state or provider token says which participant it acts for. */
async function participantStep(ctx, box) {
  const listId = nextId('plist');
  const results = h('div.participant-list', { id: listId, role: 'group', 'aria-label': t('signin.who') });
  const status = h('p.form-status', { role: 'status', 'aria-live': 'polite' });
  const errBox = h('div.error-summary', { tabindex: '-1', hidden: true, role: 'alert' });
  let items = [];
  let timer = null;
  let ctrl = null;

  const search = async (q) => {
    ctrl?.abort();
    ctrl = new AbortController();
    status.textContent = t('common.loading');
    try {
      const page = await api('GET', '/api/v1/participants', { query: { q: q || undefined, limit: 100 }, signal: ctrl.signal, keepSession: true });
      items = page.items.filter((p) => p.kind !== 'organizer');
      const name = `p-${listId}`;
      replace(results, items.length ? items.map((p, i) => {
        const id = `${listId}-${i}`;
        return h('div.check', h('input', { type: 'radio', name, id, value: p.id }),
          h('label', { for: id }, h('span', { dir: 'auto' }, p.name), ' ', h('span.muted', `— ${tv('kind', p.kind)}${p.country ? `, ${p.country}` : ''}`)));
      }) : h('p.muted', t('signin.none_found')));
      status.textContent = t('signin.found', { n: items.length });
    } catch (e) {
      if (isAbort(e)) return;
      status.textContent = describeError(e);
    }
  };

  const qId = nextId('f');
  const q = h('input', { id: qId, type: 'search', autocomplete: 'off' });
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(q.value.trim()), 300);
  });
  const go = h('button.primary', { type: 'submit' }, t('signin.continue'));
  const pickForm = h('form', { novalidate: true },
    errBox,
    h('div.field', h('label', { for: qId }, t('signin.search')), q),
    h('fieldset.field', h('legend', t('signin.who')), results),
    h('div.actions', go, h('button.secondary', { type: 'button', onclick: () => { session.signOut(); ctx.navigate('#/signin', true); } }, t('common.cancel'))),
    status);
  pickForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const chosen = results.querySelector('input[type=radio]:checked');
    const showErr = (msg) => {
      replace(errBox, h('p', msg));
      errBox.hidden = false;
      errBox.focus();
    };
    if (!chosen) {
      showErr(t('signin.pick_one'));
      return;
    }
    const p = items.find((x) => x.id === chosen.value);
    go.disabled = true;
    try {
      if (await session.confirmParticipant(p)) {
        ctx.signedIn();
      } else {
        showErr(t('signin.not_yours', { name: p.name }));
      }
    } catch (e) {
      showErr(describeError(e));
    } finally {
      go.disabled = false;
    }
  });
  replace(box, h('h2', { tabindex: '-1' }, t('signin.who_title')), h('p', t('signin.who_intro')), pickForm);
  box.querySelector('h2').focus();
  await search('');
}
