/* Idempotency-Key: claim the key, run the handler once, store its response; replay it for
 * a repeat with the same body, refuse a different body (422) or a repeat while the first
 * is still running (409).
 *
 * The claim is one INSERT ... ON CONFLICT, so two processes racing on one key cannot both
 * run the handler. The response is stored after the handler answered, by a statement of
 * its own: a repeat that arrives in between sees the key in flight (409, Retry-After).
 * A response that says the request could not be carried out now (429, 503) releases the
 * key, so the client's retry with the same key runs. A key left in flight by a process that
 * died (or lost the database before storing) is taken over after IN_FLIGHT_STALE. */
#include "idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "roundtable/log.h"

#define KEY_MAX 255
#define SCOPE_MAX 32
/* A stored response bigger than this is not kept; the key is released instead. */
#define STORED_BODY_MAX (1024 * 1024)
/* A repeat that finds the key in flight looks again this often, this many times, before
 * answering 409: the first response is stored just after it is sent, so a client that
 * repeats at once would otherwise see a 409 for a request that has already finished. */
#define IN_FLIGHT_POLL_MS 50
#define IN_FLIGHT_POLLS 20

typedef struct idem_ctx {
  rt_api_call_t *call;
  const rt_route_t *route; /* the route's own row, whose handler runs once claimed */
  const char *scope, *target, *key;
  char hash[RT_TOKEN_HASH_HEX_LEN + 1];
  int waits; /* times the key was found in flight and looked at again */
} idem_ctx_t;

static void claim_send(idem_ctx_t *ctx);

/* What outlives the request: storing (or releasing) its response. */
typedef struct idem_store {
  char *scope, *target, *key;
  char status[8];
  char *content_type;
  char *body;
} idem_store_t;

static void store_free(idem_store_t *s) {
  free(s->scope);
  free(s->target);
  free(s->key);
  free(s->content_type);
  free(s->body);
  free(s);
}

static void on_stored(int status, const rt_db_result_t *res, void *data) {
  idem_store_t *s = data;
  if (status)
    rt_log_warn("idempotency: storing the response for a key failed: %s %s", rt_strerror(status),
                rt_db_result_message(res));
  store_free(s);
}

static void on_response(rt_http_request_t *req, int status, const char *content_type,
                        const char *body, size_t len, void *arg) {
  idem_ctx_t *ctx = arg;
  idem_store_t *s = calloc(1, sizeof(*s));
  if (!s)
    return;
  s->scope = strdup(ctx->scope);
  s->target = strdup(ctx->target);
  s->key = strdup(ctx->key);
  snprintf(s->status, sizeof(s->status), "%d", status);
  int release = status == 429 || status == 503 || status >= 500 || len > STORED_BODY_MAX ||
                (body && memchr(body, '\0', len));
  if (!release) {
    s->content_type = strdup(content_type ? content_type : "");
    s->body = malloc(len + 1);
    if (s->body) {
      if (len)
        memcpy(s->body, body, len);
      s->body[len] = '\0';
    }
  }
  if (!s->scope || !s->target || !s->key || (!release && (!s->content_type || !s->body))) {
    store_free(s);
    return;
  }
  int rc;
  rt_db_pool_t *pool = rt__api_worker(req)->pool;
  if (release) {
    static const char sql[] = "DELETE FROM idempotency_keys WHERE scope = $1 AND route = $2"
                              " AND key = $3 AND state = 'in_flight'";
    const char *params[] = {s->scope, s->target, s->key};
    rc = rt_db_exec(pool, sql, 3, params, on_stored, s);
  } else {
    static const char sql[] = "UPDATE idempotency_keys SET state = 'done', status = $4::int,"
                              " content_type = $5, body = $6"
                              " WHERE scope = $1 AND route = $2 AND key = $3"
                              " AND state = 'in_flight'";
    const char *params[] = {s->scope, s->target, s->key, s->status, s->content_type, s->body};
    rc = rt_db_exec(pool, sql, 6, params, on_stored, s);
  }
  if (rc) {
    rt_log_warn("idempotency: storing the response for a key failed: %s", rt_strerror(rc));
    store_free(s);
  }
}

static void on_poll_closed(uv_handle_t *h) {
  idem_ctx_t *ctx = h->data;
  free(h);
  claim_send(ctx);
}

static void on_poll_timer(uv_timer_t *t) { uv_close((uv_handle_t *)t, on_poll_closed); }

static void replay(idem_ctx_t *ctx, const rt_db_result_t *res) {
  rt_http_request_t *req = ctx->call->req;
  const char *hash = rt_db_result_value(res, 0, 1);
  const char *state = rt_db_result_value(res, 0, 2);
  if (!hash || !state) {
    /* The key vanished between claim and look (released meanwhile): ask again later. */
    if (!rt_http_add_header(req, "Retry-After", "1"))
      rt_http_respond_problem(req, 409, "Conflict",
                              "A request with this Idempotency-Key is in progress; retry it.");
    else
      rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  if (strcmp(hash, ctx->hash) != 0) {
    rt_field_errors_t errs = {0};
    rt__field_error(&errs, "Idempotency-Key",
                    "was used before with a different request body; use a new key");
    rt__problem_with_errors(req, 422, "Unprocessable Content",
                            "This Idempotency-Key was used with a different request.", &errs);
    return;
  }
  if (strcmp(state, "done") != 0 && ctx->waits < IN_FLIGHT_POLLS) {
    uv_timer_t *t = malloc(sizeof(*t));
    if (t && uv_timer_init(rt_http_request_loop(req), t) == 0) {
      ctx->waits++;
      t->data = ctx;
      uv_timer_start(t, on_poll_timer, IN_FLIGHT_POLL_MS, 0);
      return;
    }
    free(t);
  }
  if (strcmp(state, "done") != 0) {
    if (rt_http_add_header(req, "Retry-After", "1")) {
      rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
      return;
    }
    rt_http_respond_problem(req, 409, "Conflict",
                            "The first request with this Idempotency-Key is still in progress.");
    return;
  }
  const char *status = rt_db_result_value(res, 0, 3);
  const char *ctype = rt_db_result_value(res, 0, 4);
  const char *body = rt_db_result_value(res, 0, 5);
  if (rt_http_add_header(req, "Idempotent-Replayed", "true")) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond(req, atoi(status ? status : "500"), ctype && *ctype ? ctype : NULL,
                  body ? body : "", body ? rt_db_result_length(res, 0, 5) : 0);
}

static void on_claimed(int status, const rt_db_result_t *res, void *data) {
  idem_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  const char *claimed = rt_db_result_value(res, 0, 0);
  if (!claimed || strcmp(claimed, "1") != 0) {
    replay(ctx, res);
    return;
  }
  rt_http_observe_response(call->req, on_response, ctx);
  call->route = ctx->route;
  call->state = NULL;
  ctx->route->handler(call);
}

/* The wrapped route's handler: runs after authentication. */
static void claim(rt_api_call_t *call) {
  idem_ctx_t *ctx = call->state;
  rt_http_request_t *req = call->req;
  char scope[SCOPE_MAX];
  if (call->who.token_id)
    snprintf(scope, sizeof(scope), "t:%lld", (long long)call->who.token_id);
  else
    snprintf(scope, sizeof(scope), "a:%lld", (long long)call->who.account_id);
  ctx->scope = rt_arena_strdup(&req->arena, scope);
  ctx->target = rt_arena_printf(&req->arena, "POST %s", req->target);
  rt__token_hash_hex(req->body ? req->body : "", req->body ? req->body_len : 0, ctx->hash);
  if (!ctx->scope || !ctx->target) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  claim_send(ctx);
}

static void claim_send(idem_ctx_t *ctx) {
  /* Claims a new key, an expired one, or one left in flight by a request that never
   * finished; otherwise returns what is stored. The SELECT sees the row as it was before
   * this statement. */
  static const char sql[] =
      "WITH claim AS (INSERT INTO idempotency_keys AS k (scope, route, key, request_hash)"
      " VALUES ($1, $2, $3, $4) ON CONFLICT (scope, route, key) DO UPDATE"
      " SET request_hash = EXCLUDED.request_hash, state = 'in_flight', status = NULL,"
      " content_type = NULL, body = NULL, created_at = now(),"
      " expires_at = now() + interval '24 hours'"
      " WHERE k.expires_at <= now()"
      " OR (k.state = 'in_flight' AND k.created_at < now() - interval '2 minutes')"
      " RETURNING 1)"
      " SELECT (SELECT count(*) FROM claim), k.request_hash, k.state, k.status, k.content_type,"
      " k.body FROM (SELECT 1) one LEFT JOIN idempotency_keys k"
      " ON k.scope = $1 AND k.route = $2 AND k.key = $3";
  const char *params[] = {ctx->scope, ctx->target, ctx->key, ctx->hash};
  int rc = rt_db_exec(rt__api_pool(ctx->call), sql, 4, params, on_claimed, ctx);
  if (rc)
    rt__api_db_failed(ctx->call->req, rc, NULL);
}

static int key_ok(const char *k) {
  size_t n = strlen(k);
  if (n < 1 || n > KEY_MAX)
    return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
      return 0;
  return 1;
}

static void refuse_key(rt_api_call_t *call) {
  rt_http_respond_problem(call->req, 400, "Bad Request",
                          "Idempotency-Key must be 1 to 255 visible ASCII characters.");
}

int rt__idempotency_wrap(rt_api_call_t *call) {
  rt_http_request_t *req = call->req;
  const char *key = rt_http_header(req, "Idempotency-Key");
  if (!key || req->method != RT_HTTP_POST || call->route->roles == RT_ROLES_PUBLIC)
    return 0;
  rt_arena_t *arena = &req->arena;
  rt_route_t *wrapped = rt_arena_alloc(arena, sizeof(*wrapped));
  idem_ctx_t *ctx = rt_arena_alloc(arena, sizeof(*ctx));
  if (!wrapped || !ctx) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return -1;
  }
  memset(ctx, 0, sizeof(*ctx));
  ctx->call = call;
  ctx->route = call->route;
  ctx->key = key;
  *wrapped = *call->route;
  /* Authentication runs first, then the key is checked and claimed. */
  wrapped->handler = key_ok(key) ? claim : refuse_key;
  call->route = wrapped;
  call->state = ctx;
  return 0;
}
