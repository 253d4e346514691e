#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "api_internal.h"
#include "audit.h"
#include "cache.h"
#include "idempotency.h"
#include "import.h"
#include "matching.h"
#include "needs.h"
#include "offers.h"
#include "participants.h"
#include "reference.h"
#include "roundtable/log.h"
#include "roundtables.h"
#include "schedule.h"
#include "sessions.h"
#include "summary.h"
#include "tokens.h"

static const rt_route_t routes[] = {
    {RT_HTTP_GET, "/healthz", RT_ROLES_PUBLIC, rt__health_live, 0},
    {RT_HTTP_GET, "/readyz", RT_ROLES_PUBLIC, rt__health_ready, 0},
    {RT_HTTP_GET, "/metrics", RT_ROLES_PUBLIC, rt__health_metrics, 0},
    {RT_HTTP_GET, "/api/openapi.json", RT_ROLES_PUBLIC, rt__openapi_document, 0},
    {RT_HTTP_GET, "/api/v1/themes", RT_ROLES_PUBLIC, rt__themes_list, RT_ROUTE_REPLICA},
    {RT_HTTP_POST, "/api/v1/participants", RT_ROLES_STAFF, rt__participants_create, 0},
    {RT_HTTP_GET, "/api/v1/participants", RT_ROLES_ANY, rt__participants_list,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/participants/{id}", RT_ROLES_ANY, rt__participants_get,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_PATCH, "/api/v1/participants/{id}", RT_ROLES_ANY, rt__participants_patch, 0},
    {RT_HTTP_GET, "/api/v1/me", RT_ROLES_ANY, rt__tokens_me, 0},
    {RT_HTTP_POST, "/api/v1/tokens", RT_ROLES_STAFF, rt__tokens_create, 0},
    {RT_HTTP_GET, "/api/v1/tokens", RT_ROLES_STAFF, rt__tokens_list, 0},
    {RT_HTTP_DELETE, "/api/v1/tokens/{id}", RT_ROLES_ANY, rt__tokens_revoke, 0},
    {RT_HTTP_POST, "/api/v1/accounts", RT_ROLES_STAFF, rt__accounts_create, 0},
    {RT_HTTP_GET, "/api/v1/accounts", RT_ROLES_STAFF, rt__accounts_list, 0},
    {RT_HTTP_DELETE, "/api/v1/accounts/{id}", RT_ROLES_STAFF, rt__accounts_disable, 0},
    {RT_HTTP_POST, "/api/v1/session", RT_ROLES_PUBLIC, rt__session_create, 0},
    {RT_HTTP_GET, "/api/v1/session", RT_ROLES_ANY, rt__session_get, 0},
    {RT_HTTP_DELETE, "/api/v1/session", RT_ROLES_ANY, rt__session_delete, 0},
    {RT_HTTP_GET, "/api/v1/sessions", RT_ROLES_ANY, rt__sessions_list, 0},
    {RT_HTTP_DELETE, "/api/v1/sessions/{id}", RT_ROLES_ANY, rt__sessions_revoke, 0},
    {RT_HTTP_POST, "/api/v1/roundtables", RT_ROLES_STAFF, rt__roundtables_create, 0},
    {RT_HTTP_GET, "/api/v1/roundtables", RT_ROLES_ANY, rt__roundtables_list,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/roundtables/{id}", RT_ROLES_ANY, rt__roundtables_get,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_PATCH, "/api/v1/roundtables/{id}", RT_ROLES_STAFF, rt__roundtables_patch, 0},
    {RT_HTTP_POST, "/api/v1/roundtables/{id}/import", RT_ROLES_STAFF, rt__roundtables_import,
     RT_ROUTE_UPLOAD},
    {RT_HTTP_GET, "/api/v1/roundtables/{id}/summary", RT_ROLES_ANY, rt__roundtables_summary,
     RT_ROUTE_REPLICA},
    {RT_HTTP_POST, "/api/v1/needs", RT_ROLES_STAFF | RT_ROLE_STATE, rt__needs_create, 0},
    {RT_HTTP_GET, "/api/v1/needs", RT_ROLES_ANY, rt__needs_list,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/needs/{id}", RT_ROLES_ANY, rt__needs_get,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_PATCH, "/api/v1/needs/{id}", RT_ROLES_STAFF | RT_ROLE_STATE, rt__needs_patch, 0},
    {RT_HTTP_DELETE, "/api/v1/needs/{id}", RT_ROLES_STAFF | RT_ROLE_STATE, rt__needs_withdraw, 0},
    {RT_HTTP_POST, "/api/v1/offers", RT_ROLES_STAFF | RT_ROLE_PROVIDER, rt__offers_create, 0},
    {RT_HTTP_GET, "/api/v1/offers", RT_ROLES_ANY, rt__offers_list,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/offers/{id}", RT_ROLES_ANY, rt__offers_get,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_PATCH, "/api/v1/offers/{id}", RT_ROLES_STAFF | RT_ROLE_PROVIDER, rt__offers_patch, 0},
    {RT_HTTP_DELETE, "/api/v1/offers/{id}", RT_ROLES_STAFF | RT_ROLE_PROVIDER, rt__offers_withdraw,
     0},
    {RT_HTTP_GET, "/api/v1/needs/{id}/suggestions", RT_ROLES_ANY, rt__needs_suggestions,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/offers/{id}/suggestions", RT_ROLES_ANY, rt__offers_suggestions,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/offers/{id}/overlaps", RT_ROLES_ANY, rt__offers_overlaps,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_POST, "/api/v1/roundtables/{id}/match-runs", RT_ROLES_STAFF, rt__match_runs_create, 0},
    {RT_HTTP_GET, "/api/v1/roundtables/{id}/match-runs", RT_ROLES_ANY, rt__match_runs_list, 0},
    {RT_HTTP_GET, "/api/v1/match-runs/{id}", RT_ROLES_ANY, rt__match_runs_get, 0},
    {RT_HTTP_POST, "/api/v1/pair-rules", RT_ROLES_ANY, rt__pair_rules_create, 0},
    {RT_HTTP_GET, "/api/v1/pair-rules", RT_ROLES_ANY, rt__pair_rules_list, RT_ROUTE_REPLICA},
    {RT_HTTP_DELETE, "/api/v1/pair-rules/{id}", RT_ROLES_ANY, rt__pair_rules_delete, 0},
    {RT_HTTP_GET, "/api/v1/matches", RT_ROLES_ANY, rt__matches_list,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/matches/{id}", RT_ROLES_ANY, rt__matches_get,
     RT_ROUTE_REPLICA | RT_ROUTE_CACHED},
    {RT_HTTP_GET, "/api/v1/audit", RT_ROLE_ADMIN, rt__audit_list, 0},
    {RT_HTTP_GET, "/api/v1/roundtables/{id}/slots", RT_ROLES_ANY, rt__schedule_slots_get,
     RT_ROUTE_REPLICA},
    {RT_HTTP_PUT, "/api/v1/roundtables/{id}/slots", RT_ROLES_STAFF, rt__schedule_slots_put, 0},
    {RT_HTTP_GET, "/api/v1/roundtables/{id}/tables", RT_ROLES_ANY, rt__schedule_tables_get,
     RT_ROUTE_REPLICA},
    {RT_HTTP_PUT, "/api/v1/roundtables/{id}/tables", RT_ROLES_STAFF, rt__schedule_tables_put, 0},
    {RT_HTTP_GET, "/api/v1/roundtables/{id}/unavailability", RT_ROLES_ANY,
     rt__schedule_unavailability_get, RT_ROUTE_REPLICA},
    {RT_HTTP_PUT, "/api/v1/roundtables/{id}/unavailability", RT_ROLES_ANY,
     rt__schedule_unavailability_put, 0},
    {RT_HTTP_POST, "/api/v1/roundtables/{id}/schedule", RT_ROLES_STAFF, rt__schedule_create, 0},
    {RT_HTTP_GET, "/api/v1/roundtables/{id}/schedule", RT_ROLES_ANY, rt__schedule_get,
     RT_ROUTE_REPLICA},
    {RT_HTTP_GET, "/api/v1/participants/{id}/schedule", RT_ROLES_ANY, rt__schedule_participant,
     RT_ROUTE_REPLICA},
    {RT_HTTP_POST, "/api/v1/matches/{id}/decision",
     RT_ROLE_ADMIN | RT_ROLE_STATE | RT_ROLE_PROVIDER, rt__matches_decide, 0},
    {RT_HTTP_POST, "/api/v1/matches/{id}/follow-up", RT_ROLES_ANY, rt__matches_follow_up, 0},
};

#define ROUTE_COUNT (sizeof(routes) / sizeof(routes[0]))

static int is_api_path(const rt_http_request_t *req) {
  return req->path_len >= 4 && memcmp(req->path, "/api", 4) == 0 &&
         (req->path_len == 4 || req->path[4] == '/');
}

static void handle(rt_http_request_t *req) {
  const rt_route_t *route = NULL;
  rt_route_params_t params;
  char allow[64];
  switch (rt__route_match(routes, ROUTE_COUNT, req->method, req->path, req->path_len, &req->arena,
                          &route, &params, allow, sizeof(allow))) {
  case RT_ROUTE_FOUND: {
    req->route = route->pattern;
    rt_api_call_t *call = rt_arena_alloc(&req->arena, sizeof(*call));
    if (!call) {
      rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
      return;
    }
    memset(call, 0, sizeof(*call));
    call->req = req;
    call->route = route;
    call->params = params;
    if (rt__idempotency_wrap(call))
      return;
    if (route->roles == RT_ROLES_PUBLIC)
      route->handler(call);
    else
      rt__api_authenticate(call);
    return;
  }
  case RT_ROUTE_NO_METHOD:
    req->route = "method_not_allowed";
    rt_http_respond_method_not_allowed(req, allow);
    return;
  case RT_ROUTE_BAD_PATH:
    req->route = "bad_path";
    rt_http_respond_problem(req, 400, "Bad Request", "The path has a malformed percent-escape.");
    return;
  case RT_ROUTE_NO_PATH:
    break;
  }
  if (is_api_path(req)) {
    req->route = "not_found";
    rt_http_respond_problem(req, 404, "Not Found", "No such resource.");
    return;
  }
  req->route = "static";
  if (req->method == RT_HTTP_GET || req->method == RT_HTTP_HEAD)
    rt_http_serve_static(req);
  else
    rt_http_respond_method_not_allowed(req, "GET, HEAD");
}

/* Bulk uploads may be larger than other bodies; the route table says which. */
static size_t body_limit(const rt_http_request_t *req) {
  const rt_route_t *route = NULL;
  rt_route_params_t params;
  char allow[64];
  rt_http_request_t *r = (rt_http_request_t *)req; /* params go to its arena */
  if (rt__route_match(routes, ROUTE_COUNT, req->method, req->path, req->path_len, &r->arena, &route,
                      &params, allow, sizeof(allow)) == RT_ROUTE_FOUND &&
      (route->flags & RT_ROUTE_UPLOAD))
    return (size_t)-1; /* capped to --max-upload-bytes by the HTTP core */
  return 0;
}

static int worker_init(uv_loop_t *loop, void *app_ptr, void **worker_data) {
  rt_api_app_t *app = app_ptr;
  if (sodium_init() < 0)
    return RT_EIO;
  rt_api_worker_t *w = calloc(1, sizeof(*w));
  if (!w)
    return RT_ENOMEM;
  w->loop = loop;
  w->app = app;
  int rc = rt_db_pool_create(loop, app->db, &w->pool);
  if (rc) {
    rt_log_error("database pool: %s", rt_strerror(rc));
    free(w);
    return rc;
  }
  rc = rt__token_cache_worker_init(loop);
  if (rc) {
    rt_db_pool_close(w->pool, NULL, NULL);
    free(w);
    return rc;
  }
  rt__password_warm(loop);
  *worker_data = w;
  return 0;
}

typedef struct worker_close_ctx {
  rt_api_worker_t *worker;
  void (*done)(void *arg);
  void *done_arg;
} worker_close_ctx_t;

static void on_pool_closed(void *data) {
  worker_close_ctx_t *ctx = data;
  void (*done)(void *) = ctx->done;
  void *done_arg = ctx->done_arg;
  free(ctx->worker);
  free(ctx);
  done(done_arg);
}

static void on_runs_drained(void *data) {
  worker_close_ctx_t *ctx = data;
  rt_db_pool_close(ctx->worker->pool, on_pool_closed, ctx);
}

static void worker_close(void *worker_data, void (*done)(void *arg), void *done_arg) {
  rt_api_worker_t *w = worker_data;
  rt__token_cache_worker_close(w->loop);
  worker_close_ctx_t *ctx = malloc(sizeof(*ctx));
  if (!ctx) {
    /* Without memory for the context, the pool is abandoned to process exit. */
    done(done_arg);
    return;
  }
  ctx->worker = w;
  ctx->done = done;
  ctx->done_arg = done_arg;
  /* Match runs still use the pool to record how they end. */
  rt__match_runs_shutdown(w, on_runs_drained, ctx);
}

rt_http_hooks_t rt_api_hooks(rt_api_app_t *app) {
  rt_http_hooks_t hooks = {
      .worker_init = worker_init,
      .worker_close = worker_close,
      .body_limit = body_limit,
      .handle = handle,
      .app = app,
  };
  return hooks;
}

void rt_api_cleanup(void) { rt__reference_free(); }
