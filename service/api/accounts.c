/* Accounts: POST (admin; organizer for non-admin roles), GET list (admin: all; organizer:
 * non-admin), DELETE disables (admin any, organizer non-admin) and ends the account's
 * sessions. Passwords are hashed with argon2id (libsodium's crypto_pwhash_str) on the libuv
 * thread pool: the event loop never spends a hash's 64 MiB and tens of milliseconds. */
#include "accounts.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "decoders.h"
#include "resource.h"

/* Password work in flight in the process: each holds MEMLIMIT bytes while it runs, and a
 * flood of sign-ins must not queue without bound behind the thread pool. */
#define PASSWORD_JOBS_MAX 64
#define PASSWORD_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PASSWORD_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

static atomic_int password_jobs;
static uv_once_t dummy_once = UV_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

/* A hash of a random password with the same cost as real ones: an unknown email is checked
 * against it, so that it takes as long as a known one and says nothing. */
static void make_dummy(void) {
  unsigned char pw[32];
  randombytes_buf(pw, sizeof(pw));
  if (crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw), PASSWORD_OPSLIMIT,
                        PASSWORD_MEMLIMIT) != 0)
    dummy_hash[0] = '\0';
  sodium_memzero(pw, sizeof(pw));
}

static void warm_work(uv_work_t *w) {
  (void)w;
  uv_once(&dummy_once, make_dummy);
}

static void warm_done(uv_work_t *w, int status) {
  (void)status;
  free(w);
}

void rt__password_warm(uv_loop_t *loop) {
  uv_work_t *w = malloc(sizeof(*w));
  if (w && uv_queue_work(loop, w, warm_work, warm_done))
    free(w); /* the first unknown email then makes it, and takes longer once */
}

static void password_work(void *arg) {
  rt_password_job_t *job = arg;
  if (job->verify) {
    const char *stored = job->stored;
    if (!stored) {
      uv_once(&dummy_once, make_dummy);
      stored = dummy_hash;
    }
    int match = *stored && crypto_pwhash_str_verify(stored, job->password, job->len) == 0;
    job->ok = match && job->stored != NULL;
  } else {
    job->ok = crypto_pwhash_str(job->hash, job->password, job->len, PASSWORD_OPSLIMIT,
                                PASSWORD_MEMLIMIT) == 0;
  }
  sodium_memzero(job->password, job->len);
}

static void password_done(rt_http_request_t *req, void *arg) {
  (void)req;
  rt_password_job_t *job = arg;
  atomic_fetch_sub(&password_jobs, 1);
  job->done(job->call, job);
}

int rt__password_run(rt_password_job_t *job) {
  rt_http_request_t *req = job->call->req;
  if (atomic_fetch_add(&password_jobs, 1) >= PASSWORD_JOBS_MAX) {
    atomic_fetch_sub(&password_jobs, 1);
    sodium_memzero(job->password, job->len);
    rt__api_unavailable(req, RT_EBUSY);
    return -1;
  }
  if (rt_http_offload(req, password_work, password_done, job)) {
    atomic_fetch_sub(&password_jobs, 1);
    sodium_memzero(job->password, job->len);
    rt__api_unavailable(req, RT_EBUSY);
    return -1;
  }
  return 0;
}

int rt__password_check(const char *password, size_t len, const char *field,
                       rt_field_errors_t *errs) {
  if (len > RT_PASSWORD_MAX_BYTES) {
    rt__field_error(errs, field, "must be at most %d bytes", RT_PASSWORD_MAX_BYTES);
    return -1;
  }
  if (!rt__utf8_valid(password, len) || strlen(password) != len) {
    rt__field_error(errs, field, "must be valid UTF-8 text");
    return -1;
  }
  if (rt__utf8_chars(password) < RT_PASSWORD_MIN_CHARS) {
    rt__field_error(errs, field, "must be at least %d characters long", RT_PASSWORD_MIN_CHARS);
    return -1;
  }
  return 0;
}

static const char *const roles[] = {"admin", "organizer", "state", "provider", NULL};

/* The rules of an account's email, role and participant, for the API and the CLI alike. */
static void check_identity(const char *email, const char *role, int64_t participant,
                           rt_field_errors_t *errs) {
  if (email && !rt__email_ok(email))
    rt__field_error(errs, "email", "must be an email address");
  if (role && (strcmp(role, "state") == 0 || strcmp(role, "provider") == 0) && !participant)
    rt__field_error(errs, "participant_id", "is required for a %s account", role);
}

static const char insert_sql[] =
    "INSERT INTO accounts AS a (email, role, participant_id, password_hash, created_by_token,"
    " created_by_account) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ((lower(email))) DO NOTHING"
    " RETURNING " ACCOUNT_JSON_OBJECT "::text";

typedef struct create_ctx {
  const char *email, *role, *participant;
} create_ctx_t;

static void on_created(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__respond_write_failed(call, status, res);
    return;
  }
  if (rt_db_result_rows(res) < 1) {
    rt_field_errors_t errs = {0};
    rt__field_error(&errs, "email", "is already used by another account");
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The account is not valid.",
                            &errs);
    return;
  }
  rt__respond_row(call, 201, res);
}

static void on_hashed(rt_api_call_t *call, rt_password_job_t *job) {
  create_ctx_t *ctx = job->data;
  if (!job->ok) {
    rt__api_unavailable(call->req, RT_EBUSY);
    return;
  }
  const char *params[] = {ctx->email,
                          ctx->role,
                          ctx->participant,
                          job->hash,
                          call->who.token_id ? rt__id_text(call, call->who.token_id) : NULL,
                          call->who.account_id ? rt__id_text(call, call->who.account_id) : NULL};
  int rc = rt__api_write(call, insert_sql, 6, params, on_created, call);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

int rt__account_decode(json_t *body, rt_field_errors_t *errs, rt_account_input_t *in) {
  static const char *const known[] = {"email", "password", "role", "participant_id", NULL};
  memset(in, 0, sizeof(*in));
  rt__v_unknown(body, known, errs);
  rt__v_string(body, "email", "email", 1, 3, 254, errs, &in->email);
  rt__v_enum(body, "role", "role", 1, roles, errs, &in->role);
  rt__v_id(body, "participant_id", "participant_id", 0, errs, &in->participant_id);
  /* Its length is checked in bytes too, before counting characters of a huge string. */
  json_t *pw = json_object_get(body, "password");
  if (!pw) {
    rt__field_error(errs, "password", "is required");
  } else if (!json_is_string(pw)) {
    rt__field_error(errs, "password", "must be a string");
  } else if (!rt__password_check(json_string_value(pw), json_string_length(pw), "password", errs)) {
    in->password = json_string_value(pw);
    in->password_len = json_string_length(pw);
  }
  check_identity(in->email, in->role, in->participant_id, errs);
  return rt__field_errors_any(errs) ? -1 : 0;
}

void rt__accounts_create(rt_api_call_t *call) {
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  rt_account_input_t in;
  int bad = rt__account_decode(body, &errs, &in);
  const char *email = in.email, *role = in.role, *password = in.password;
  int64_t participant = in.participant_id;
  if (bad) {
    json_decref(body);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The account is not valid.",
                            &errs);
    return;
  }
  if (call->who.role != RT_ROLE_ADMIN && strcmp(role, "admin") == 0) {
    json_decref(body);
    rt_http_respond_problem(call->req, 403, "Forbidden",
                            "Only an admin can create admin accounts.");
    return;
  }
  rt_arena_t *arena = &call->req->arena;
  rt_password_job_t *job = rt_arena_alloc(arena, sizeof(*job));
  create_ctx_t *ctx = rt_arena_alloc(arena, sizeof(*ctx));
  size_t pwlen = in.password_len;
  char *pwcopy = rt_arena_alloc(arena, pwlen + 1);
  if (job && ctx && pwcopy) {
    memset(job, 0, sizeof(*job));
    memcpy(pwcopy, password, pwlen + 1);
    ctx->email = rt_arena_strdup(arena, email);
    ctx->role = rt_arena_strdup(arena, role);
    ctx->participant = participant ? rt__id_text(call, participant) : NULL;
  }
  json_decref(body);
  if (!job || !ctx || !pwcopy || !ctx->email || !ctx->role || (participant && !ctx->participant)) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  job->call = call;
  job->password = pwcopy;
  job->len = pwlen;
  job->done = on_hashed;
  job->data = ctx;
  (void)rt__password_run(job);
}

void rt__accounts_list(rt_api_call_t *call) {
  static const char sql[] = "SELECT " ACCOUNT_JSON_OBJECT "::text, a.id FROM accounts a"
                            " WHERE a.id > $1 AND ($2 = 'admin' OR a.role <> 'admin')"
                            " AND ($3::bigint IS NULL OR a.participant_id = $3)"
                            " ORDER BY a.id LIMIT $4";
  rt__exec_credentials_list(call, sql);
}

void rt__accounts_disable(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  /* Disabling twice is harmless; the account's sessions end with it. */
  static const char sql[] =
      "WITH a AS (UPDATE accounts SET disabled_at = coalesce(disabled_at, now())"
      " WHERE id = $1 AND ($2 = 'admin' OR role <> 'admin') RETURNING id),"
      " s AS (UPDATE sessions SET revoked_at = now() WHERE account_id IN (SELECT id FROM a)"
      " AND revoked_at IS NULL)"
      " SELECT id FROM a";
  const char *params[] = {rt__id_text(call, id), rt__role_name(call->who.role)};
  rt__exec_no_content(call, sql, 2, params, "No such account.");
}

/* --- the command line --- */

typedef struct cli_ctx {
  int status;
  char *out;
  size_t outlen;
  char *err;
  size_t errlen;
} cli_ctx_t;

static void on_cli_created(int status, const rt_db_result_t *res, void *data) {
  cli_ctx_t *ctx = data;
  ctx->status = status;
  if (status) {
    snprintf(ctx->err, ctx->errlen, "%s",
             *rt_db_result_message(res) ? rt_db_result_message(res) : rt_strerror(status));
  } else if (rt_db_result_rows(res) < 1) {
    ctx->status = RT_EINVAL;
    snprintf(ctx->err, ctx->errlen, "an account with this email exists already");
  } else {
    snprintf(ctx->out, ctx->outlen, "%s", rt_db_result_value(res, 0, 0));
  }
}

int rt_api_account_create(const rt_db_options_t *db, const char *email, const char *role,
                          const char *participant, const char *password, size_t len, char *out,
                          size_t outlen, char *err, size_t errlen) {
  if (!email || strlen(email) > 254 || !rt__email_ok(email)) {
    snprintf(err, errlen, "--email must be an email address");
    return RT_EINVAL;
  }
  if (rt__cli_role_check(role, participant, "account", err, errlen))
    return RT_EINVAL;
  rt_field_errors_t errs = {0};
  if (rt__password_check(password, len, "password", &errs)) {
    json_t *e = json_array_get(errs.list, 0);
    snprintf(err, errlen, "the password (read from stdin) %s",
             json_string_value(json_object_get(e, "message")));
    json_decref(errs.list);
    return RT_EINVAL;
  }
  char hash[crypto_pwhash_STRBYTES];
  if (sodium_init() < 0 ||
      crypto_pwhash_str(hash, password, len, PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT) != 0) {
    snprintf(err, errlen, "cannot hash the password (out of memory?)");
    return RT_ENOMEM;
  }
  static const char sql[] =
      "INSERT INTO accounts (email, role, participant_id, password_hash) VALUES ($1, $2, $3, $4)"
      " ON CONFLICT ((lower(email))) DO NOTHING RETURNING id::text";
  const char *params[] = {email, role, participant, hash};
  cli_ctx_t ctx = {.status = RT_EIO, .out = out, .outlen = outlen, .err = err, .errlen = errlen};
  int rc = rt_db_exec_once(db, sql, 4, params, on_cli_created, &ctx);
  if (rc) {
    snprintf(err, errlen, "%s", rt_strerror(rc));
    return rc;
  }
  if (ctx.status)
    out[0] = '\0';
  return ctx.status;
}
