/* Sessions: POST /session signs in with email and password (public), GET /session tells the
 * current one (with its CSRF token, for a page that was reloaded), DELETE /session signs out;
 * GET /sessions lists live sessions (admin: all; others: their account's), DELETE
 * /sessions/{id} revokes one (admin: any; others: their account's; else 404).
 *
 * Only the SHA-256 of a session's secret is stored. Its CSRF token is an HMAC keyed with the
 * secret (auth.c), stored nowhere. Failed sign-ins are counted per email and per client
 * address; past a threshold, sign-in on that key answers 429 with Retry-After until a delay
 * that doubles with each further failure has passed (docs/security.md). */
#include "sessions.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "audit.h"
#include "decoders.h"
#include "participants.h"
#include "resource.h"

#define IDLE_DEFAULT_MS (30ull * 60 * 1000)
#define LIFETIME_DEFAULT_MS (12ull * 3600 * 1000)
/* Failures on one key within the window before sign-in on it is slowed down. An address
 * (an office behind one NAT) gets more room than one email. */
#define EMAIL_FAILURES_FREE "5"
#define ADDRESS_FAILURES_FREE "20"
#define ADDRESS_MAX 64

static const char wrong_credentials[] = "The email or password is wrong.";

/* --- cookie, address, options --- */

const char *rt__session_cookie_value(const rt_http_request_t *req, size_t *len) {
  static const char name[] = RT_SESSION_COOKIE;
  for (size_t i = 0; i < req->nheaders; i++) {
    const rt_http_header_t *h = &req->headers[i];
    if (h->name_len != 6 || strncasecmp(h->name, "Cookie", 6) != 0)
      continue;
    const char *p = h->value, *end = h->value + h->value_len;
    while (p < end) {
      while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
        p++;
      const char *pair = p;
      while (p < end && *p != ';')
        p++;
      if ((size_t)(p - pair) > sizeof(name) && memcmp(pair, name, sizeof(name) - 1) == 0 &&
          pair[sizeof(name) - 1] == '=') {
        const char *v = pair + sizeof(name);
        size_t n = (size_t)(p - v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
          n--;
        *len = n;
        return v;
      }
    }
  }
  return NULL;
}

uint64_t rt__session_idle_ms(const rt_api_call_t *call) {
  const rt_api_app_t *app = rt__api_worker(call->req)->app;
  return app->session_idle_ms ? app->session_idle_ms : IDLE_DEFAULT_MS;
}

static uint64_t lifetime_ms(const rt_api_call_t *call) {
  const rt_api_app_t *app = rt__api_worker(call->req)->app;
  return app->session_lifetime_ms ? app->session_lifetime_ms : LIFETIME_DEFAULT_MS;
}

/* Non-zero when addr is one of the comma-separated list's entries. */
static int listed(const char *list, const char *addr) {
  size_t n = strlen(addr);
  for (const char *p = list; p && *p;) {
    while (*p == ' ' || *p == ',')
      p++;
    const char *e = p;
    while (*e && *e != ',' && *e != ' ')
      e++;
    if ((size_t)(e - p) == n && n && memcmp(p, addr, n) == 0)
      return 1;
    p = e;
  }
  return 0;
}

static int from_trusted_proxy(rt_api_call_t *call) {
  const rt_api_app_t *app = rt__api_worker(call->req)->app;
  char peer[ADDRESS_MAX];
  return app->trusted_proxies && rt_http_request_peer(call->req, peer, sizeof(peer)) == 0 &&
         listed(app->trusted_proxies, peer);
}

void rt__client_address(rt_api_call_t *call, char *out, size_t outlen) {
  if (rt_http_request_peer(call->req, out, outlen))
    out[0] = '\0';
  const char *xff = rt_http_header(call->req, "X-Forwarded-For");
  if (!xff || !from_trusted_proxy(call))
    return;
  /* The last entry is the one our proxy added; those before it the client may have forged. */
  const char *last = strrchr(xff, ',');
  last = last ? last + 1 : xff;
  while (*last == ' ')
    last++;
  size_t n = strcspn(last, " ");
  if (n == 0 || n >= outlen || strspn(last, "0123456789abcdefABCDEF.:") < n)
    return;
  memcpy(out, last, n);
  out[n] = '\0';
}

static int cookie_secure(rt_api_call_t *call) {
  const char *mode = rt__api_worker(call->req)->app->cookie_secure;
  if (mode && strcmp(mode, "always") == 0)
    return 1;
  if (mode && strcmp(mode, "never") == 0)
    return 0;
  const char *proto = rt_http_header(call->req, "X-Forwarded-Proto");
  return proto && strcasecmp(proto, "https") == 0 && from_trusted_proxy(call);
}

int rt__session_set_cookie(rt_api_call_t *call, const char *value) {
  unsigned long long max_age = value ? (unsigned long long)(lifetime_ms(call) / 1000) : 0;
  const char *cookie =
      rt_arena_printf(&call->req->arena,
                      RT_SESSION_COOKIE "=%s; Path=/; Max-Age=%llu; HttpOnly; "
                                        "SameSite=Strict%s",
                      value ? value : "", max_age, cookie_secure(call) ? "; Secure" : "");
  return cookie ? rt_http_add_header(call->req, "Set-Cookie", cookie) : RT_ENOMEM;
}

int rt_api_app_check(const rt_api_app_t *app, char *err, size_t errlen) {
  const char *m = app->cookie_secure;
  if (m && strcmp(m, "auto") != 0 && strcmp(m, "always") != 0 && strcmp(m, "never") != 0) {
    snprintf(err, errlen, "--cookie-secure: expected auto, always or never, got \"%s\"", m);
    return RT_EINVAL;
  }
  return 0;
}

/* --- signing in --- */

#define SESSION_JSON                                                                               \
  "json_build_object('id', s.id::text, 'account', " ACCOUNT_JSON_OBJECT ", 'role', a.role,"        \
  " 'participant_id', a.participant_id::text, 'created_at', rt_ts(s.created_at),"                  \
  " 'expires_at', rt_ts(s.expires_at))"

typedef struct signin_ctx {
  rt_api_call_t *call;
  const char *email;
  const char *account_id; /* NULL: no enabled account has this email */
  char address[ADDRESS_MAX];
  char secret[RT_TOKEN_LEN + 1];
  rt_password_job_t job;
} signin_ctx_t;

static void respond_session(rt_api_call_t *call, const rt_db_result_t *res, const char *secret,
                            size_t len, int status) {
  if (rt_db_result_rows(res) < 1) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such session.");
    return;
  }
  char csrf[RT_CSRF_LEN + 1];
  rt__session_csrf(secret, len, csrf);
  json_error_t jerr;
  json_t *row = json_loadb(rt_db_result_value(res, 0, 0), rt_db_result_length(res, 0, 0), 0, &jerr);
  int rc = !row || json_object_set_new(row, "csrf_token", json_string(csrf));
  sodium_memzero(csrf, sizeof(csrf));
  if (!rc && status == 201)
    rc = rt__session_set_cookie(call, secret);
  if (rc) {
    json_decref(row);
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt__json_respond(call->req, status, row);
  json_decref(row);
}

static void on_session_created(int status, const rt_db_result_t *res, void *data) {
  signin_ctx_t *ctx = data;
  if (status) {
    rt__api_db_failed(ctx->call->req, status, res);
    return;
  }
  respond_session(ctx->call, res, ctx->secret, RT_TOKEN_LEN, 201);
  sodium_memzero(ctx->secret, sizeof(ctx->secret));
}

static void on_failure_recorded(int status, const rt_db_result_t *res, void *data) {
  signin_ctx_t *ctx = data;
  rt_http_request_t *req = ctx->call->req;
  if (status) {
    rt__api_db_failed(req, status, res);
    return;
  }
  if (rt_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"roundtable\"")) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond_problem(req, 401, "Unauthorized", wrong_credentials);
}

/* A printable-ASCII copy of the User-Agent, for the list of sessions. */
static const char *user_agent(rt_api_call_t *call) {
  const char *ua = rt_http_header(call->req, "User-Agent");
  char *out = rt_arena_strndup(&call->req->arena, ua ? ua : "", 200);
  for (char *p = out; p && *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      *p = '?';
  return out;
}

static void on_checked(rt_api_call_t *call, rt_password_job_t *job) {
  signin_ctx_t *ctx = job->data;
  int rc;
  if (!job->ok) {
    /* Both keys count, whether the email is known or not: the answer must not tell. */
    static const char sql[] =
        "INSERT INTO sign_in_failures AS f (key, failures, window_start, last_failure_at)"
        " VALUES ('email:' || lower($1), 1, now(), now()), ('address:' || $2, 1, now(), now())"
        " ON CONFLICT (key) DO UPDATE SET"
        " failures = CASE WHEN f.window_start > now() - interval '1 hour' THEN f.failures + 1"
        " ELSE 1 END,"
        " window_start = CASE WHEN f.window_start > now() - interval '1 hour' THEN f.window_start"
        " ELSE now() END, last_failure_at = now()";
    const char *params[] = {ctx->email, ctx->address};
    rc = rt__api_write(call, sql, 2, params, on_failure_recorded, ctx);
  } else if (rt__secret_generate(RT_SESSION_PREFIX, ctx->secret, sizeof(ctx->secret))) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "No randomness available.");
    return;
  } else {
    /* The email's failures are forgotten; an address's are not (one good account must not
     * let an address guess others' passwords at full speed). Stale counters go too. */
    static const char sql[] =
        "WITH s AS (INSERT INTO sessions (account_id, hash, expires_at, address, user_agent)"
        " VALUES ($1, decode($2, 'hex'), now() + $3::bigint * interval '1 ms', $4, $5)"
        " RETURNING *),"
        " forget AS (DELETE FROM sign_in_failures WHERE key = 'email:' || lower($6)"
        " OR window_start < now() - interval '1 hour')"
        " SELECT " SESSION_JSON "::text FROM s JOIN accounts a ON a.id = s.account_id";
    char *hash = rt_arena_alloc(&call->req->arena, RT_TOKEN_HASH_HEX_LEN + 1);
    const char *lifetime =
        rt_arena_printf(&call->req->arena, "%llu", (unsigned long long)lifetime_ms(call));
    if (!hash || !lifetime) {
      rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
      return;
    }
    rt__token_hash_hex(ctx->secret, RT_TOKEN_LEN, hash);
    const char *params[] = {ctx->account_id,  hash,      lifetime, ctx->address,
                            user_agent(call), ctx->email};
    rc = rt__api_write(call, sql, 6, params, on_session_created, ctx);
  }
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

static void on_account(int status, const rt_db_result_t *res, void *data) {
  signin_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    sodium_memzero(ctx->job.password, ctx->job.len);
    rt__api_db_failed(call->req, status, res);
    return;
  }
  long wait = strtol(rt_db_result_value(res, 0, 0), NULL, 10);
  if (wait > 0) {
    /* Refused before any hashing: a guesser gets nothing, and costs nothing. */
    sodium_memzero(ctx->job.password, ctx->job.len);
    const char *after = rt_arena_printf(&call->req->arena, "%ld", wait);
    if (!after || rt_http_add_header(call->req, "Retry-After", after)) {
      rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
      return;
    }
    const char *detail = rt_arena_printf(
        &call->req->arena,
        "Too many failed sign-ins for this email or from this address; try again in %ld s.", wait);
    rt_http_respond_problem(call->req, 429, "Too Many Requests", detail);
    return;
  }
  int known = rt_db_result_value(res, 0, 1) != NULL;
  ctx->account_id =
      known ? rt_arena_strdup(&call->req->arena, rt_db_result_value(res, 0, 1)) : NULL;
  ctx->job.stored =
      known ? rt_arena_strdup(&call->req->arena, rt_db_result_value(res, 0, 2)) : NULL;
  /* The audit log names the account signing in (a known email) as the session's actor. */
  if (known) {
    call->who.account_id = strtoll(ctx->account_id ? ctx->account_id : "0", NULL, 10);
    call->who.participant_id =
        strtoll(rt_db_result_value(res, 0, 4) ? rt_db_result_value(res, 0, 4) : "0", NULL, 10);
    if (rt__role_parse(rt_db_result_value(res, 0, 3), &call->who.role))
      call->who.role = 0;
  }
  if (known && (!ctx->account_id || !ctx->job.stored)) {
    sodium_memzero(ctx->job.password, ctx->job.len);
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  (void)rt__password_run(&ctx->job);
}

int rt__signin_decode(json_t *body, rt_field_errors_t *errs, rt_signin_input_t *in) {
  static const char *const known[] = {"email", "password", NULL};
  memset(in, 0, sizeof(*in));
  rt__v_unknown(body, known, errs);
  rt__v_string(body, "email", "email", 1, 1, 254, errs, &in->email);
  json_t *pw = json_object_get(body, "password");
  if (!pw) {
    rt__field_error(errs, "password", "is required");
  } else if (!json_is_string(pw)) {
    rt__field_error(errs, "password", "must be a string");
  } else if (json_string_length(pw) > RT_PASSWORD_MAX_BYTES) {
    rt__field_error(errs, "password", "must be at most %d bytes", RT_PASSWORD_MAX_BYTES);
  } else {
    in->password = json_string_value(pw);
    in->password_len = json_string_length(pw);
  }
  return rt__field_errors_any(errs) ? -1 : 0;
}

void rt__session_create(rt_api_call_t *call) {
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  rt_signin_input_t in;
  const char *email = NULL;
  if (rt__signin_decode(body, &errs, &in) == 0)
    email = in.email;
  if (rt__field_errors_any(&errs)) {
    json_decref(body);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content",
                            "The sign-in request is not valid.", &errs);
    return;
  }
  rt_arena_t *arena = &call->req->arena;
  signin_ctx_t *ctx = rt_arena_alloc(arena, sizeof(*ctx));
  size_t pwlen = in.password_len;
  char *pwcopy = rt_arena_alloc(arena, pwlen + 1);
  if (ctx) {
    memset(ctx, 0, sizeof(*ctx));
    ctx->email = rt_arena_strdup(arena, email);
  }
  if (pwcopy)
    memcpy(pwcopy, in.password, pwlen + 1);
  json_decref(body);
  if (!ctx || !pwcopy || !ctx->email) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  ctx->call = call;
  ctx->job.call = call;
  ctx->job.password = pwcopy;
  ctx->job.len = pwlen;
  ctx->job.verify = 1;
  ctx->job.done = on_checked;
  ctx->job.data = ctx;
  rt__client_address(call, ctx->address, sizeof(ctx->address));
  /* One row whatever the email: the seconds to wait (0: none), then the account if any. */
  static const char sql[] =
      "SELECT greatest(rt_sign_in_wait('email:' || lower($1), " EMAIL_FAILURES_FREE "),"
      " rt_sign_in_wait('address:' || $2, " ADDRESS_FAILURES_FREE ")), a.id, a.password_hash,"
      " a.role, a.participant_id"
      " FROM (SELECT 1) one LEFT JOIN accounts a ON lower(a.email) = lower($1)"
      " AND a.disabled_at IS NULL";
  const char *params[] = {ctx->email, ctx->address};
  int rc = rt_db_exec(rt__api_pool(call), sql, 2, params, on_account, ctx);
  if (rc) {
    sodium_memzero(pwcopy, pwlen);
    rt__api_db_failed(call->req, rc, NULL);
  }
}

/* --- the current session --- */

static int answered_for_token(rt_api_call_t *call) {
  if (call->who.session_id)
    return 0;
  rt_http_respond_problem(call->req, 404, "Not Found",
                          "This request is authorised by a token, not by a session.");
  return 1;
}

static void on_current(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  size_t len;
  const char *secret = rt__session_cookie_value(call->req, &len);
  respond_session(call, res, secret ? secret : "", secret ? len : 0, 200);
}

void rt__session_get(rt_api_call_t *call) {
  if (answered_for_token(call))
    return;
  static const char sql[] = "SELECT " SESSION_JSON "::text FROM sessions s"
                            " JOIN accounts a ON a.id = s.account_id WHERE s.id = $1";
  const char *params[] = {rt__id_text(call, call->who.session_id)};
  int rc = rt_db_exec(rt__api_pool(call), sql, 1, params, on_current, call);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

static void on_signed_out(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (rt__session_set_cookie(call, NULL)) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond(call->req, 204, NULL, NULL, 0);
}

void rt__session_delete(rt_api_call_t *call) {
  if (answered_for_token(call))
    return;
  static const char sql[] = "UPDATE sessions SET revoked_at = coalesce(revoked_at, now())"
                            " WHERE id = $1";
  const char *params[] = {rt__id_text(call, call->who.session_id)};
  int rc = rt__api_write(call, sql, 1, params, on_signed_out, call);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

/* --- all sessions --- */

void rt__sessions_list(rt_api_call_t *call) {
  static const char *const allowed[] = {"limit", "cursor", "account_id", NULL};
  rt_query_t q;
  rt_page_t page;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  const char *account;
  if (rt__input_id_filter(call, &q, "account_id", &account))
    return;
  /* Live sessions only: a revoked or expired one signs no one in and is history. */
  static const char sql[] =
      "SELECT json_build_object('id', s.id::text, 'account_id', a.id::text, 'email', a.email,"
      " 'role', a.role, 'participant_id', a.participant_id::text,"
      " 'created_at', rt_ts(s.created_at), 'last_seen_at', rt_ts(s.last_seen_at),"
      " 'expires_at', rt_ts(s.expires_at), 'address', s.address, 'user_agent', s.user_agent,"
      " 'current', s.id = $5)::text, s.id"
      " FROM sessions s JOIN accounts a ON a.id = s.account_id"
      " WHERE s.id > $1 AND ($2 = 'admin' OR s.account_id = $3)"
      " AND ($4::bigint IS NULL OR s.account_id = $4)"
      " AND s.revoked_at IS NULL AND a.disabled_at IS NULL AND s.expires_at > now()"
      " AND s.last_seen_at > now() - $6::bigint * interval '1 ms'"
      " ORDER BY s.id LIMIT $7";
  const char *params[] = {rt__id_text(call, page.after),
                          rt__role_name(call->who.role),
                          rt__id_text(call, call->who.account_id),
                          account,
                          rt__id_text(call, call->who.session_id),
                          rt__id_text(call, (int64_t)rt__session_idle_ms(call)),
                          rt__id_text(call, page.limit + 1)};
  rt__exec_list(call, &page, sql, 7, params);
}

void rt__sessions_revoke(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  /* Another account's session is 404, as if it did not exist. */
  static const char sql[] = "UPDATE sessions SET revoked_at = coalesce(revoked_at, now())"
                            " WHERE id = $1 AND ($2 = 'admin' OR account_id = $3) RETURNING id";
  const char *params[] = {rt__id_text(call, id), rt__role_name(call->who.role),
                          rt__id_text(call, call->who.account_id)};
  rt__exec_no_content(call, sql, 3, params, "No such session.");
}

void rt__sessions_me(rt_api_call_t *call) {
  static const char sql[] =
      "SELECT json_build_object('token_id', NULL, 'session_id', s.id::text,"
      " 'account_id', a.id::text, 'role', a.role, 'label', a.email,"
      " 'participant_id', a.participant_id::text,"
      " 'participant', CASE WHEN p.id IS NULL THEN NULL ELSE " PARTICIPANT_JSON_OBJECT " END)::text"
      " FROM sessions s JOIN accounts a ON a.id = s.account_id"
      " LEFT JOIN participants p ON p.id = a.participant_id WHERE s.id = $1";
  const char *params[] = {rt__id_text(call, call->who.session_id)};
  rt__exec_row(call, 200, sql, 1, params);
}
