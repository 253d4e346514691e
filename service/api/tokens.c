/* API tokens: POST (admin; organizer for non-admin roles), GET list (admin: all;
 * organizer: non-admin), DELETE revokes (admin any, organizer non-admin, anyone their own).
 * A token is shown once, in the creation response; only its SHA-256 is stored. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "decoders.h"
#include "participants.h"
#include "resource.h"
#include "sessions.h"
#include "tokens.h"

#define TOKEN_JSON                                                                                 \
  "json_build_object('id', t.id::text, 'role', t.role, 'participant_id', t.participant_id::text,"  \
  " 'label', t.label, 'created_at', rt_ts(t.created_at), 'revoked_at', rt_ts(t.revoked_at))"

static const char *const roles[] = {"admin", "organizer", "state", "provider", NULL};
static const char *const known_fields[] = {"role", "participant_id", "label", NULL};

typedef struct create_ctx {
  rt_api_call_t *call;
  char token[RT_TOKEN_LEN + 1];
} create_ctx_t;

static void on_created(int status, const rt_db_result_t *res, void *data) {
  create_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__respond_write_failed(call, status, res);
    return;
  }
  /* The row's JSON plus the token, which exists nowhere else from now on. */
  json_error_t err;
  json_t *row = json_loadb(rt_db_result_value(res, 0, 0), rt_db_result_length(res, 0, 0), 0, &err);
  if (!row || json_object_set_new(row, "token", json_string(ctx->token))) {
    json_decref(row);
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt__json_respond(call->req, 201, row);
  json_decref(row);
}

int rt__token_decode(json_t *body, rt_field_errors_t *errs, rt_token_input_t *in) {
  memset(in, 0, sizeof(*in));
  rt__v_unknown(body, known_fields, errs);
  rt__v_enum(body, "role", "role", 1, roles, errs, &in->role);
  rt__v_id(body, "participant_id", "participant_id", 0, errs, &in->participant_id);
  rt__v_string(body, "label", "label", 0, 0, 200, errs, &in->label);
  const char *role = in->role;
  if (role && (strcmp(role, "state") == 0 || strcmp(role, "provider") == 0) &&
      !in->participant_id && !rt__field_errors_any(errs))
    rt__field_error(errs, "participant_id", "is required for a %s token", role);
  return rt__field_errors_any(errs) ? -1 : 0;
}

void rt__tokens_create(rt_api_call_t *call) {
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  rt_token_input_t in;
  int bad = rt__token_decode(body, &errs, &in);
  const char *role = in.role, *label = in.label;
  int64_t participant = in.participant_id;
  if (bad) {
    json_decref(body);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The token is not valid.",
                            &errs);
    return;
  }
  if (call->who.role != RT_ROLE_ADMIN && strcmp(role, "admin") == 0) {
    json_decref(body);
    rt_http_respond_problem(call->req, 403, "Forbidden", "Only an admin can create admin tokens.");
    return;
  }
  create_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  char *hash = rt_arena_alloc(&call->req->arena, RT_TOKEN_HASH_HEX_LEN + 1);
  label = label ? rt_arena_strdup(&call->req->arena, label) : "";
  json_decref(body);
  if (!ctx || !hash || !label || rt__token_generate(ctx->token, sizeof(ctx->token))) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  ctx->call = call;
  rt__token_hash_hex(ctx->token, RT_TOKEN_LEN, hash);
  static const char sql[] =
      "INSERT INTO tokens AS t (role, participant_id, label, hash, created_by)"
      " VALUES ($1, $2, $3, decode($4, 'hex'), $5) RETURNING " TOKEN_JSON "::text";
  const char *params[] = {role, participant ? rt__id_text(call, participant) : NULL, label, hash,
                          call->who.token_id ? rt__id_text(call, call->who.token_id) : NULL};
  int rc = rt__api_write(call, sql, 5, params, on_created, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

void rt__tokens_list(rt_api_call_t *call) {
  static const char sql[] = "SELECT " TOKEN_JSON "::text, t.id FROM tokens t WHERE t.id > $1"
                            " AND ($2 = 'admin' OR t.role <> 'admin')"
                            " AND ($3::bigint IS NULL OR t.participant_id = $3)"
                            " ORDER BY t.id LIMIT $4";
  rt__exec_credentials_list(call, sql);
}

static void on_revoked(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (rt_db_result_rows(res) < 1) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such token.");
    return;
  }
  rt_http_respond(call->req, 204, NULL, NULL, 0);
}

void rt__tokens_revoke(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  /* Revoking twice is harmless: the first time stands. */
  static const char sql[] =
      "UPDATE tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1"
      " AND ($2 = 'admin' OR ($2 = 'organizer' AND role <> 'admin') OR id = $3) RETURNING id";
  const char *params[] = {rt__id_text(call, id), rt__role_name(call->who.role),
                          rt__id_text(call, call->who.token_id)};
  int rc = rt__api_write(call, sql, 3, params, on_revoked, call);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

typedef struct cli_ctx {
  int status;
  char *err;
  size_t errlen;
} cli_ctx_t;

static void on_cli_created(int status, const rt_db_result_t *res, void *data) {
  cli_ctx_t *ctx = data;
  ctx->status = status;
  if (status)
    snprintf(ctx->err, ctx->errlen, "%s",
             *rt_db_result_message(res) ? rt_db_result_message(res) : rt_strerror(status));
}

int rt_api_token_create(const rt_db_options_t *db, const char *role, const char *participant,
                        const char *label, char *out, size_t outlen, char *err, size_t errlen) {
  int rc = rt__cli_role_check(role, participant, "token", err, errlen);
  if (rc)
    return rc;
  if (sodium_init() < 0 || rt__token_generate(out, outlen)) {
    snprintf(err, errlen, "no randomness available");
    return RT_EIO;
  }
  char hash[RT_TOKEN_HASH_HEX_LEN + 1];
  rt__token_hash_hex(out, RT_TOKEN_LEN, hash);
  const char *params[] = {role, participant, label ? label : "", hash};
  cli_ctx_t ctx = {.status = RT_EIO, .err = err, .errlen = errlen};
  static const char sql[] = "INSERT INTO tokens (role, participant_id, label, hash) VALUES ($1, "
                            "$2, $3, decode($4, 'hex'))";
  rc = rt_db_exec_once(db, sql, 4, params, on_cli_created, &ctx);
  if (rc) {
    snprintf(err, errlen, "%s", rt_strerror(rc));
    return rc;
  }
  if (ctx.status)
    out[0] = '\0';
  return ctx.status;
}

/* GET /me: who the caller's token is, and the participant it acts for, so that a client
 * (the web UI) need not guess from which calls are refused. */
void rt__tokens_me(rt_api_call_t *call) {
  if (call->who.session_id) {
    rt__sessions_me(call);
    return;
  }
  static const char sql[] =
      "SELECT json_build_object('token_id', t.id::text, 'role', t.role,"
      " 'label', t.label, 'participant_id', t.participant_id::text,"
      " 'participant', CASE WHEN p.id IS NULL THEN NULL ELSE " PARTICIPANT_JSON_OBJECT " END)::text"
      " FROM tokens t LEFT JOIN participants p ON p.id = t.participant_id WHERE t.id = $1";
  const char *params[] = {rt__id_text(call, call->who.token_id)};
  rt__exec_row(call, 200, sql, 1, params);
}
