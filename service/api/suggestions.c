/* Suggestions: GET /needs/{id}/suggestions and GET /offers/{id}/suggestions?limit=K. The
 * roundtable's snapshot is read on the loop; the instance is built and queried on the thread
 * pool; nothing is written. A posting that is not open has no feasible counterpart: its list is
 * empty.
 *
 * Need visibility (sql/014_need_visibility.sql): the suggestions of a need the caller may not
 * see are 404, like the need; an offer's suggestions leave out the needs the caller may not see.
 * Those needs stay in the instance, so that every score is the one a match run gives; the
 * engine is asked for k more hits than there are such needs, and they are skipped. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "matching.h"
#include "needs.h"
#include "reference.h"
#include "resource.h"
#include "roundtable/log.h"
#include "snapshot.h"

#define SUGGEST_DEFAULT 10
#define SUGGEST_MAX 100

typedef struct suggest_ctx {
  rt_api_call_t *call;
  rt_snapshot_focus_t focus;
  int64_t id;
  size_t k;
  rt_snapshot_t *snap; /* owned between the load and the work */
  int hiding;          /* the caller may not see every need: the extra statement lists them */
  /* the work's outcome */
  int rc;
  char err[256];
  rt_buf_t body;
} suggest_ctx_t;

/* s as a JSON string appended to out. */
static int json_string_to(rt_buf_t *out, const char *s) {
  json_t *j = json_string(s);
  char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
  int rc = text ? rt_buf_puts(out, text) : RT_ENOMEM;
  free(text);
  json_decref(j);
  return rc;
}

/* The open needs of the roundtable that the caller may not see, by id: $2 its role, $3 its
 * participant. */
static const char *const hidden_sql[] = {
    "SELECT n.id FROM needs n WHERE n.roundtable_id = $1 AND n.status = 'open'"
    " AND NOT rt_need_visible(n.visibility, n.participant_id, n.id, $2, $3::bigint)"
    " ORDER BY n.id"};

/* The ids of the snapshot's hidden needs, sorted: *n of them at *out (NULL when none). */
static int hidden_ids(rt_snapshot_t *snap, int64_t **out, size_t *n) {
  const rt_snapshot_table_t *t = &snap->extra[0];
  *out = NULL;
  *n = 0;
  if (!snap->request.n_extra || t->rows < 1)
    return 0;
  int64_t *ids = rt_arena_alloc(&snap->arena, (size_t)t->rows * sizeof(*ids));
  if (!ids)
    return RT_ENOMEM;
  for (int r = 0; r < t->rows; r++)
    ids[r] = strtoll(t->cells[(size_t)r * (size_t)t->cols], NULL, 10);
  *out = ids; /* ORDER BY n.id */
  *n = (size_t)t->rows;
  return 0;
}

/* On the thread pool: build, suggest, render. */
static void suggest_work(void *arg) {
  suggest_ctx_t *ctx = arg;
  rt_match_instance_t *inst = NULL;
  int64_t *hidden;
  size_t n_hidden;
  int rc = hidden_ids(ctx->snap, &hidden, &n_hidden);
  size_t want = ctx->k + n_hidden; /* enough that k are left once the hidden are skipped */
  rt_match_hit_t *hits = rc ? NULL : calloc(want, sizeof(*hits));
  size_t n = 0;
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  if (!rc)
    rc = hits ? rt__snapshot_build(ctx->snap, &inst, ctx->err, sizeof(ctx->err)) : RT_ENOMEM;
  /* the posting in focus is the only one of its side: index 0 */
  if (!rc && ctx->focus == RT_SNAP_NEED && rt_match_instance_needs(inst) == 1)
    rc = rt_match_suggest_offers(inst, 0, ctx->k, &w, hits, &n);
  else if (!rc && ctx->focus == RT_SNAP_OFFER && rt_match_instance_offers(inst) == 1)
    rc = rt_match_suggest_needs(inst, 0, want, &w, hits, &n);
  const bool need_hits = ctx->focus == RT_SNAP_OFFER;
  const char *key = need_hits ? "need_id" : "offer_id";
  if (!rc)
    rc = rt_buf_puts(&ctx->body, "{\"items\":[");
  for (size_t i = 0, shown = 0; i < n && shown < ctx->k && !rc; i++) {
    if (need_hits && hidden && bsearch(&hits[i].id, hidden, n_hidden, sizeof(*hidden), rt__cmp_i64))
      continue;
    /* the counterpart's title and participant, so that a list can name it */
    const char *title = rt__snapshot_title(ctx->snap, need_hits, (int)hits[i].index);
    const char *who = rt__snapshot_participant(ctx->snap, need_hits, (int)hits[i].index);
    rc = rt_buf_printf(&ctx->body, "%s{\"%s\":\"%lld\",\"%s\":{\"title\":", shown++ ? "," : "", key,
                       (long long)hits[i].id, need_hits ? "need" : "offer");
    if (!rc)
      rc = json_string_to(&ctx->body, title ? title : "");
    if (!rc)
      rc = rt_buf_printf(&ctx->body, ",\"participant_id\":\"%s\"},\"score\":", who ? who : "");
    if (!rc)
      rc = rt__number_json(&ctx->body, hits[i].breakdown.score);
    if (!rc)
      rc = rt_buf_puts(&ctx->body, ",\"breakdown\":");
    if (!rc)
      rc = rt__breakdown_json(&ctx->body, &hits[i].breakdown);
    if (!rc)
      rc = rt_buf_puts(&ctx->body, "}");
  }
  if (!rc)
    rc = rt_buf_puts(&ctx->body, "],\"next_cursor\":null}");
  ctx->rc = rc;
  free(hits);
  rt_match_instance_free(inst);
  rt__snapshot_free(ctx->snap);
  ctx->snap = NULL;
}

static void suggest_done(rt_http_request_t *req, void *arg) {
  suggest_ctx_t *ctx = arg;
  if (ctx->rc) {
    RT_LOG(RT_LOG_ERROR, req->id, "suggestions: %s: %s", rt_strerror(ctx->rc), ctx->err);
    rt_buf_free(&ctx->body);
    rt_http_respond_problem(req, 500, "Internal Server Error",
                            "The suggestions could not be computed; this has been logged.");
    return;
  }
  rt_http_respond_buf(req, 200, "application/json", &ctx->body);
}

static void on_loaded(int status, rt_snapshot_outcome_t outcome, rt_snapshot_t *snap,
                      const rt_db_result_t *res, void *data) {
  suggest_ctx_t *ctx = data;
  rt_http_request_t *req = ctx->call->req;
  if (status) {
    rt__api_db_failed(req, status, res);
    return;
  }
  if (outcome == RT_SNAP_NOT_FOUND) {
    rt_http_respond_problem(req, 404, "Not Found", "No such resource.");
    return;
  }
  if (outcome != RT_SNAP_LOADED) {
    rt__api_json(req, 200, "{\"items\":[],\"next_cursor\":null}");
    return;
  }
  ctx->snap = snap;
  rt_buf_init(&ctx->body, 0);
  int rc = rt_http_offload(req, suggest_work, suggest_done, ctx);
  if (rc) {
    rt__snapshot_free(snap);
    ctx->snap = NULL;
    rt__api_unavailable(req, RT_EBUSY);
  }
}

static void load(rt_api_call_t *call) {
  suggest_ctx_t *ctx = call->state;
  rt_snapshot_request_t rq = {.focus = ctx->focus, .id = ctx->id};
  if (ctx->hiding && ctx->focus == RT_SNAP_OFFER) {
    rq.extra_sql = hidden_sql;
    rq.n_extra = 1;
    rq.extra_caller = 1u;
    rq.caller_role = rt__role_name(call->who.role);
    rq.caller_participant = call->who.participant_id;
  }
  int rc = rt__snapshot_load(rt__api_read_pool(call), &rq, on_loaded, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

/* A need the caller may not see has no suggestions to show: 404, as for the need itself. */
static void on_need_checked(int status, const rt_db_result_t *res, void *data) {
  suggest_ctx_t *ctx = data;
  if (status) {
    rt__api_db_failed(ctx->call->req, status, res);
    return;
  }
  if (rt_db_result_rows(res) < 1) {
    rt_http_respond_problem(ctx->call->req, 404, "Not Found", "No such resource.");
    return;
  }
  load(ctx->call);
}

static void suggest_ready(rt_api_call_t *call) {
  suggest_ctx_t *ctx = call->state;
  if (!ctx->hiding || ctx->focus != RT_SNAP_NEED) {
    load(call);
    return;
  }
  const char *params[3] = {rt__id_text(call, ctx->id)};
  int n = 1;
  const char *visible = rt__need_visible_sql(call, "x", params, &n);
  const char *sql = visible
                        ? rt_arena_printf(&call->req->arena,
                                          "SELECT 1 FROM needs x WHERE x.id = $1 AND %s", visible)
                        : NULL;
  int rc = sql ? rt_db_exec(rt__api_pool(call), sql, n, params, on_need_checked, ctx) : RT_ENOMEM;
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

static void suggestions(rt_api_call_t *call, rt_snapshot_focus_t focus) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char *const allowed[] = {"limit", NULL};
  rt_query_t q;
  if (rt__input_query(call, allowed, &q))
    return;
  size_t k = SUGGEST_DEFAULT;
  const char *limit = rt__query_get(&q, "limit");
  if (limit) {
    int64_t v = rt__parse_id(limit);
    if (v < 1 || v > SUGGEST_MAX) {
      rt_http_respond_problem(call->req, 400, "Bad Request",
                              "limit must be a whole number from 1 to 100.");
      return;
    }
    k = (size_t)v;
  }
  suggest_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  memset(ctx, 0, sizeof(*ctx));
  ctx->call = call;
  ctx->focus = focus;
  ctx->id = id;
  ctx->k = k;
  ctx->hiding = !(call->who.role & RT_ROLES_STAFF);
  call->state = ctx;
  rt__reference_ready(call, suggest_ready);
}

void rt__needs_suggestions(rt_api_call_t *call) { suggestions(call, RT_SNAP_NEED); }
void rt__offers_suggestions(rt_api_call_t *call) { suggestions(call, RT_SNAP_OFFER); }
