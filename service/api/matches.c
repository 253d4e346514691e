/* Matches: GET /matches (filters, two orders, keyset cursors), GET /matches/{id}, and
 * POST /matches/{id}/decision.
 *
 * Who sees what: staff see every match; a state only the matches of its needs, a provider only
 * those of its offers (others' are absent from lists and 404 one by one).
 *
 * A decision is one transaction: the roundtable's advisory lock taken shared (a run's write
 * takes it exclusive, so a run never writes around a decision), the match, its need and its
 * offer locked FOR NO KEY UPDATE, then — in a later statement, so that it sees every decision
 * committed before the locks were granted — the agreed partnerships of the need and the offer
 * counted against max_partners and capacity. Two concurrent accepts on one offer are thereby
 * serialised and cannot over-commit it. docs/matching.md has the rules. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "decoders.h"
#include "matching.h"
#include "reference.h"
#include "resource.h"

#define MATCH_JSON RT__MATCH_JSON

static const char *const match_statuses[] = {"proposed", "agreed", "declined", "completed", NULL};

/* The visibility condition for the caller, with its participant as parameter $n; "" for staff;
 * NULL when out of memory. */
static const char *visible_sql(rt_api_call_t *call, int n) {
  if (call->who.role == RT_ROLE_STATE)
    return rt_arena_printf(&call->req->arena,
                           " AND EXISTS (SELECT 1 FROM needs vn WHERE vn.id = m.need_id"
                           " AND vn.participant_id = $%d)",
                           n);
  if (call->who.role == RT_ROLE_PROVIDER)
    return rt_arena_printf(&call->req->arena,
                           " AND EXISTS (SELECT 1 FROM offers vo WHERE vo.id = m.offer_id"
                           " AND vo.participant_id = $%d)",
                           n);
  return "";
}

static int is_party(const rt_api_call_t *call) {
  return call->who.role == RT_ROLE_STATE || call->who.role == RT_ROLE_PROVIDER;
}

static void oom(rt_api_call_t *call) {
  rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
}

/* ---- GET /matches/{id} ---- */

void rt__matches_get(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  const char *params[] = {rt__id_text(call, id), rt__id_text(call, call->who.participant_id)};
  const char *visible = visible_sql(call, 2);
  const char *sql = visible ? rt_arena_printf(&call->req->arena,
                                              "SELECT " MATCH_JSON " FROM matches m"
                                              " WHERE m.id = $1%s",
                                              visible)
                            : NULL;
  rt__exec_row(call, 200, sql, is_party(call) ? 2 : 1, params);
}

/* ---- GET /matches ---- */

typedef struct list_ctx {
  rt_api_call_t *call;
  int by_score; /* else by created_at */
  rt_keyset_t page;
} list_ctx_t;

/* 9999-12-31T23:59:59.999999Z: beyond it no cursor of ours. */
#define MAX_TIMESTAMP_US 253402300799999999ull

/* created_at as microseconds since 1970 <-> the text PostgreSQL reads exactly. */
static const char *timestamp_text(rt_arena_t *arena, int64_t us) {
  int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
  int64_t frac = us - secs * 1000000;
  time_t t = (time_t)secs;
  struct tm tm;
  if (!gmtime_r(&t, &tm))
    return NULL;
  return rt_arena_printf(arena, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                         (long long)frac);
}

static void on_list(int status, const rt_db_result_t *res, void *data) {
  list_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  int rows = rt_db_result_rows(res), limit = ctx->page.limit;
  int shown = rows > limit ? limit : rows;
  char cursor[48] = "";
  if (rows > limit) {
    int64_t id = strtoll(rt_db_result_value(res, shown - 1, 1), NULL, 10);
    const char *key = rt_db_result_value(res, shown - 1, 2);
    uint64_t k;
    if (ctx->by_score) {
      double score = strtod(key, NULL);
      memcpy(&k, &score, sizeof(k));
    } else {
      k = (uint64_t)strtoll(key, NULL, 10);
    }
    rt__keyset_cursor_encode(ctx->by_score ? 's' : 't', k, id, cursor, sizeof(cursor));
  }
  rt__respond_items(call, res, shown, cursor[0] ? cursor : NULL);
}

static void list_ready(rt_api_call_t *call) {
  static const char *const allowed[] = {
      "limit",          "cursor", "roundtable_id", "run_id",    "need_id", "offer_id", "theme",
      "participant_id", "region", "status",        "min_score", "sort",    "outcome",  NULL};
  rt_query_t q;
  if (rt__input_query(call, allowed, &q))
    return;
  list_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    oom(call);
    return;
  }
  memset(ctx, 0, sizeof(*ctx));
  ctx->call = call;
  const char *sort = rt__query_get(&q, "sort");
  if (sort && strcmp(sort, "-score") != 0 && strcmp(sort, "created_at") != 0) {
    rt_http_respond_problem(call->req, 400, "Bad Request", "sort must be -score or created_at.");
    return;
  }
  ctx->by_score = !sort || strcmp(sort, "-score") == 0;
  if (rt__input_keyset(call, &q, ctx->by_score ? 's' : 't', &ctx->page))
    return;

  rt_arena_t *arena = &call->req->arena;
  const char *params[24];
  int n = 0;
  rt_buf_t where;
  rt_buf_init(&where, 16384);
  int rc = rt_buf_puts(&where, "true");
  const char *bad = NULL;
  if (is_party(call)) {
    params[n++] = rt__id_text(call, call->who.participant_id);
    const char *visible = visible_sql(call, n);
    rc = rc ? rc : visible ? rt_buf_puts(&where, visible) : RT_ENOMEM;
  }
  static const char *const id_filters[] = {"roundtable_id", "run_id", "need_id", "offer_id"};
  for (int i = 0; i < 4 && !rc; i++) {
    const char *v = rt__query_get(&q, id_filters[i]);
    if (!v)
      continue;
    if (!rt__parse_id(v))
      bad = rt_arena_printf(arena, "%s must be an id.", id_filters[i]);
    params[n++] = v;
    rc = rt_buf_printf(&where, " AND m.%s = $%d", id_filters[i], n);
    if (!rc && i == 1) /* run_id has no index of its own (sql/007_match_writes.sql) */
      rc = rt_buf_printf(&where,
                         " AND m.roundtable_id = (SELECT r.roundtable_id FROM match_runs r"
                         " WHERE r.id = $%d)",
                         n);
  }
  const char *participant = rt__query_get(&q, "participant_id");
  if (participant && !rc) {
    if (!rt__parse_id(participant))
      bad = "participant_id must be an id.";
    params[n++] = participant;
    rc = rt_buf_printf(&where,
                       " AND (EXISTS (SELECT 1 FROM needs n WHERE n.id = m.need_id"
                       " AND n.participant_id = $%d) OR EXISTS (SELECT 1 FROM offers o"
                       " WHERE o.id = m.offer_id AND o.participant_id = $%d))",
                       n, n);
  }
  const char *theme = rt__query_get(&q, "theme");
  if (theme && !rc) {
    rc = rt__ref_theme_set(arena, theme, &params[n++]);
    if (!rc && !params[n - 1])
      bad = "theme is not a known theme or theme group.";
    /* the need or the offer holds a theme of the set */
    if (!rc)
      rc = rt_buf_printf(&where,
                         " AND (EXISTS (SELECT 1 FROM needs n WHERE n.id = m.need_id"
                         " AND n.themes && $%d::text[]) OR EXISTS (SELECT 1 FROM offers o"
                         " WHERE o.id = m.offer_id AND o.themes && $%d::text[]))",
                         n, n);
  }
  const char *region = rt__query_get(&q, "region");
  if (region && !rc) {
    if (!rt__ref_find(RT_REF_REGION, region))
      bad = "region is not a known region code.";
    params[n++] = region;
    /* the region of the need's state */
    rc = rt_buf_printf(&where,
                       " AND EXISTS (SELECT 1 FROM needs n JOIN participants p"
                       " ON p.id = n.participant_id WHERE n.id = m.need_id AND p.region = $%d)",
                       n);
  }
  const char *status = rt__query_get(&q, "status");
  if (status && !rc) {
    int ok = 0;
    for (const char *const *s = match_statuses; *s; s++)
      ok |= strcmp(*s, status) == 0;
    if (!ok)
      bad = "status must be proposed, agreed, declined or completed.";
    params[n++] = status;
    rc = rt_buf_printf(&where, " AND m.status = $%d", n);
  }
  const char *outcome = rt__query_get(&q, "outcome");
  if (outcome && !rc) {
    int ok = strcmp(outcome, "none") == 0;
    for (const char *const *o = rt__follow_up_outcomes; *o; o++)
      ok |= strcmp(*o, outcome) == 0;
    if (!ok)
      bad = "outcome must be delivered, partly_delivered, abandoned or none.";
    params[n++] = outcome;
    rc = rt_buf_printf(&where, " AND m.follow_up_outcome IS NOT DISTINCT FROM nullif($%d, 'none')",
                       n);
  }
  const char *min_score = rt__query_get(&q, "min_score");
  if (min_score && !rc) {
    char *end = NULL;
    double d = strtod(min_score, &end);
    /* decimal only: strtod also reads hex and "inf", which PostgreSQL would refuse */
    if (!*min_score || *end || strspn(min_score, "0123456789.eE+-") != strlen(min_score) ||
        !(d >= 0 && d <= 1))
      bad = "min_score must be a number from 0 to 1.";
    params[n++] = min_score;
    rc = rt_buf_printf(&where, " AND m.score >= $%d::float8", n);
  }
  if (ctx->page.has_after && !rc) {
    if (ctx->by_score) {
      double after;
      memcpy(&after, &ctx->page.key, sizeof(after));
      if (!(after >= 0 && after <= 1))
        bad = "The cursor is not one this service issued for this order.";
      params[n++] = rt_arena_printf(arena, "%.17g", after);
      params[n++] = rt__id_text(call, ctx->page.id);
      rc = rt_buf_printf(&where,
                         " AND (m.score < $%d::float8 OR (m.score = $%d::float8 AND m.id > $%d))",
                         n - 1, n - 1, n);
    } else {
      if (ctx->page.key > MAX_TIMESTAMP_US)
        bad = "The cursor is not one this service issued for this order.";
      params[n++] = timestamp_text(arena, (int64_t)(ctx->page.key % (MAX_TIMESTAMP_US + 1)));
      params[n++] = rt__id_text(call, ctx->page.id);
      rc = rt_buf_printf(&where, " AND (m.created_at, m.id) > ($%d::timestamptz, $%d::bigint)",
                         n - 1, n);
    }
  }
  params[n++] = rt__id_text(call, ctx->page.limit + 1);
  char *sql =
      rc ? NULL
         : rt_arena_printf(
               arena,
               "SELECT " MATCH_JSON ", m.id, %s FROM matches m WHERE %s"
               " ORDER BY %s LIMIT $%d",
               ctx->by_score ? "m.score" : "(extract(epoch FROM m.created_at) * 1000000)::bigint",
               where.data, ctx->by_score ? "m.score DESC, m.id" : "m.created_at, m.id", n);
  rt_buf_free(&where);
  if (bad) {
    rt_http_respond_problem(call->req, 400, "Bad Request", bad);
    return;
  }
  for (int i = 0; i < n && sql; i++)
    if (!params[i])
      sql = NULL;
  rc = sql ? rt_db_exec(rt__api_read_pool(call), sql, n, params, on_list, ctx) : RT_ENOMEM;
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

void rt__matches_list(rt_api_call_t *call) { rt__reference_ready(call, list_ready); }

/* ---- POST /matches/{id}/decision ---- */

/* Steps (rt__match_tx_t): the lock; the match, its need and its offer, locked; the
 * partnerships holding the need's and the offer's room (accept only); the write. */
typedef struct decide_ctx {
  rt__match_tx_t mt;    /* first: the shared transaction's callbacks cast back to it */
  const char *decision; /* accept | decline; NULL when missing */
  const char *side;     /* state | provider; from the token, or the body for an admin */
  int side_given;
  /* from the row */
  const char *need_id, *offer_id, *state_decision, *provider_decision;
  const char *need_status, *offer_status;
  long max_partners, capacity;
  /* from the counts */
  long need_agreed, offer_agreed;
  const char *new_status;
} decide_ctx_t;

/* ---- one transaction on a match, ending in the changed match: decisions and follow-ups ---- */

/* Ends the transaction without committing (the caller answers). */
static void match_tx_abandon(rt__match_tx_t *t) {
  if (t->tx) {
    rt_db_tx_abandon(t->tx); /* rolls back */
    t->tx = NULL;
    t->conn = NULL;
  }
}

void rt__match_tx_respond(rt__match_tx_t *t, int status, const char *detail) {
  rt_http_request_t *req = t->call->req;
  match_tx_abandon(t);
  if (status == 404)
    rt_http_respond_problem(req, 404, "Not Found", "No such resource.");
  else
    rt_http_respond_problem(req, status, status == 409 ? "Conflict" : "Error", detail);
}

void rt__match_tx_invalid(rt__match_tx_t *t, rt_field_errors_t *errs) {
  match_tx_abandon(t);
  rt__problem_with_errors(t->call->req, 422, "Unprocessable Content", t->invalid, errs);
}

void rt__match_tx_refuse(rt__match_tx_t *t, const char *field, const char *message) {
  rt_field_errors_t errs = {0};
  rt__field_error(&errs, field, "%s", message);
  rt__match_tx_invalid(t, &errs);
}

void rt__match_tx_failed(rt__match_tx_t *t, int status, const rt_db_result_t *res) {
  rt_db_tx_t *tx = t->tx;
  t->tx = NULL;
  t->conn = NULL;
  if (tx)
    rt_db_tx_end(tx, status, res);
  else
    rt__api_db_failed(t->call->req, status, res);
}

const char *rt__match_tx_text(rt__match_tx_t *t, const rt_db_result_t *res, int col) {
  const char *v = rt_db_result_value(res, 0, col);
  return v ? rt_arena_strdup(&t->call->req->arena, v) : NULL;
}

/* Takes the changed match from column 0 of res and commits; match_tx_done answers. */
static void match_tx_commit(rt__match_tx_t *t, const rt_db_result_t *res) {
  t->json = rt__match_tx_text(t, res, 0);
  if (!t->json) {
    rt__match_tx_failed(t, RT_ENOMEM, NULL);
    return;
  }
  rt_db_tx_t *tx = t->tx;
  t->tx = NULL;
  t->conn = NULL;
  rt_db_tx_end(tx, 0, NULL); /* commits */
}

int rt__match_tx_yours(rt__match_tx_t *t, const rt_db_result_t *res, int state_col,
                       int provider_col) {
  const rt_api_call_t *call = t->call;
  int col = call->who.role == RT_ROLE_STATE      ? state_col
            : call->who.role == RT_ROLE_PROVIDER ? provider_col
                                                 : -1;
  if (col < 0 || strtoll(rt_db_result_value(res, 0, col), NULL, 10) == call->who.participant_id)
    return 1;
  rt__match_tx_respond(t, 404, NULL);
  return 0;
}

static void match_tx_step_done(int status, const rt_db_result_t *res, void *data) {
  rt__match_tx_t *t = data;
  if (status) {
    rt__match_tx_failed(t, status, res);
    return;
  }
  switch (t->step) {
  case RT__MATCH_TX_LOCK:
  case RT__MATCH_TX_ROW:
    if (rt_db_result_rows(res) < 1)
      rt__match_tx_respond(t, 404, NULL);
    else if (t->step == RT__MATCH_TX_LOCK)
      rt__match_tx_send(t, RT__MATCH_TX_ROW);
    else
      t->row(t, res);
    return;
  case RT__MATCH_TX_COUNTS:
    t->counts(t, res);
    return;
  case RT__MATCH_TX_WRITE:
    match_tx_commit(t, res);
    return;
  }
}

void rt__match_tx_send(rt__match_tx_t *t, rt__match_tx_step_t step) {
  t->step = step;
  const char *params[RT__MATCH_TX_MAX_PARAMS] = {t->id_text};
  int n = 1;
  const char *sql =
      step == RT__MATCH_TX_LOCK ? RT__MATCH_LOCK_SHARED_SQL : t->statement(t, step, params, &n);
  int rc = sql ? rt_db_query(t->conn, sql, n, params, match_tx_step_done, t) : RT_ENOMEM;
  if (rc)
    rt__match_tx_failed(t, rc, NULL);
}

/* Every attempt of the transaction starts here, after BEGIN. */
static void match_tx_body(rt_db_tx_t *tx, rt_db_conn_t *conn, void *data) {
  rt__match_tx_t *t = data;
  t->tx = tx;
  t->conn = conn;
  t->json = NULL;
  rt__match_tx_send(t, RT__MATCH_TX_LOCK);
}

static void match_tx_done(int status, const rt_db_result_t *res, void *data) {
  rt__match_tx_t *t = data;
  if (status)
    rt__api_db_failed(t->call->req, status, res);
  else
    rt__api_json(t->call->req, 200, t->json);
}

void *rt__match_tx_new(rt_api_call_t *call, size_t size, const rt__match_tx_t *like,
                       json_t **body) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return NULL;
  *body = rt__input_body(call);
  if (!*body)
    return NULL;
  rt__match_tx_t *t = rt_arena_alloc(&call->req->arena, size);
  if (!t) {
    json_decref(*body);
    oom(call);
    return NULL;
  }
  memset(t, 0, size);
  *t = *like;
  t->call = call;
  t->id_text = rt__id_text(call, id);
  return t;
}

void rt__match_tx_begin(rt__match_tx_t *t, rt_field_errors_t *errs) {
  if (rt__field_errors_any(errs)) {
    rt__match_tx_invalid(t, errs);
    return;
  }
  int rc = rt__api_tx(t->call, NULL, match_tx_body, match_tx_done, t);
  if (rc)
    rt__api_db_failed(t->call->req, rc, NULL);
}

/* ---- the decision's steps ---- */

static const char *decide_statement(rt__match_tx_t *t, rt__match_tx_step_t step,
                                    const char **params, int *n) {
  decide_ctx_t *ctx = (decide_ctx_t *)t;
  rt_arena_t *arena = &t->call->req->arena;
  const char *sql = NULL;
  switch (step) {
  case RT__MATCH_TX_LOCK:
    break;
  case RT__MATCH_TX_ROW:
    sql = "SELECT m.status, m.state_decision, m.provider_decision, m.need_id, m.offer_id,"
          " n.participant_id, o.participant_id, n.status, o.status, n.max_partners, o.capacity"
          " FROM matches m JOIN needs n ON n.id = m.need_id JOIN offers o ON o.id = m.offer_id"
          " WHERE m.id = $1 FOR NO KEY UPDATE";
    break;
  case RT__MATCH_TX_COUNTS:
    sql = "SELECT (SELECT count(*) FROM matches WHERE need_id = $1 AND " RT__MATCH_HOLDS_ROOM "),"
          " (SELECT count(*) FROM matches WHERE offer_id = $2 AND " RT__MATCH_HOLDS_ROOM ")";
    params[0] = ctx->need_id;
    params[1] = ctx->offer_id;
    *n = 2;
    break;
  case RT__MATCH_TX_WRITE:
    /* The status follows from the decisions; an agreement may fill the need (matched) or the
     * offer (closed); a decline remembers the pair. */
    sql = "WITH upd AS (UPDATE matches m SET"
          " state_decision = CASE WHEN $2 = 'state' THEN $3 ELSE m.state_decision END,"
          " provider_decision = CASE WHEN $2 = 'provider' THEN $3 ELSE m.provider_decision END,"
          " status = $4, decided_at = CASE WHEN $4 <> 'proposed' THEN now() END"
          " WHERE m.id = $1 RETURNING m.*),"
          " dp AS (INSERT INTO declined_pairs (need_id, offer_id, match_id)"
          " SELECT need_id, offer_id, id FROM upd WHERE status = 'declined'"
          " ON CONFLICT DO NOTHING),"
          " ns AS (UPDATE needs n SET status = 'matched' FROM upd"
          " WHERE upd.status = 'agreed' AND n.id = upd.need_id AND n.status = 'open'"
          " AND $5::int + 1 >= n.max_partners),"
          " os AS (UPDATE offers o SET status = 'closed' FROM upd"
          " WHERE upd.status = 'agreed' AND o.id = upd.offer_id AND o.status = 'open'"
          " AND $6::int + 1 >= o.capacity)"
          " SELECT " MATCH_JSON " FROM upd m";
    params[1] = ctx->side;
    params[2] = ctx->decision;
    params[3] = ctx->new_status;
    params[4] = rt_arena_printf(arena, "%ld", ctx->need_agreed);
    params[5] = rt_arena_printf(arena, "%ld", ctx->offer_agreed);
    *n = 6;
    if (!params[4] || !params[5])
      return NULL;
    break;
  }
  return sql;
}

/* The locked row: visibility, the body's completeness, the transition. */
static void decide_checked_row(rt__match_tx_t *t, const rt_db_result_t *res) {
  decide_ctx_t *ctx = (decide_ctx_t *)t;
  rt_api_call_t *call = ctx->mt.call;
  char detail[200];
  if (!rt__match_tx_yours(&ctx->mt, res, 5, 6))
    return;
  if (!ctx->decision) {
    rt__match_tx_refuse(&ctx->mt, "decision", "is required: accept or decline");
    return;
  }
  const char *own = call->who.role == RT_ROLE_STATE      ? "state"
                    : call->who.role == RT_ROLE_PROVIDER ? "provider"
                                                         : NULL;
  if (!own && !ctx->side_given) {
    rt__match_tx_refuse(
        &ctx->mt, "side",
        "is required when an admin decides: state or provider, the side it acts for");
    return;
  }
  if (own && ctx->side_given && strcmp(own, ctx->side) != 0) {
    snprintf(detail, sizeof(detail), "must be %s (your token decides for the %s) or left out", own,
             own);
    rt__match_tx_refuse(&ctx->mt, "side", detail);
    return;
  }
  if (own)
    ctx->side = own;
  const char *status = rt_db_result_value(res, 0, 0);
  if (strcmp(status, "proposed") != 0) {
    snprintf(detail, sizeof(detail), "The match is %s; only a proposed match takes decisions.",
             status);
    rt__match_tx_respond(&ctx->mt, 409, detail);
    return;
  }
  ctx->state_decision = rt__match_tx_text(&ctx->mt, res, 1);
  ctx->provider_decision = rt__match_tx_text(&ctx->mt, res, 2);
  ctx->need_id = rt__match_tx_text(&ctx->mt, res, 3);
  ctx->offer_id = rt__match_tx_text(&ctx->mt, res, 4);
  ctx->need_status = rt__match_tx_text(&ctx->mt, res, 7);
  ctx->offer_status = rt__match_tx_text(&ctx->mt, res, 8);
  ctx->max_partners = strtol(rt_db_result_value(res, 0, 9), NULL, 10);
  ctx->capacity = strtol(rt_db_result_value(res, 0, 10), NULL, 10);
  if (!ctx->need_id || !ctx->offer_id || !ctx->need_status || !ctx->offer_status) {
    rt__match_tx_failed(&ctx->mt, RT_ENOMEM, NULL);
    return;
  }
  if (strcmp(ctx->decision, "decline") == 0) {
    ctx->new_status = "declined";
    rt__match_tx_send(&ctx->mt, RT__MATCH_TX_WRITE);
    return;
  }
  const char *other =
      strcmp(ctx->side, "state") == 0 ? ctx->provider_decision : ctx->state_decision;
  ctx->new_status = other && strcmp(other, "accept") == 0 ? "agreed" : "proposed";
  rt__match_tx_send(&ctx->mt, RT__MATCH_TX_COUNTS);
}

/* An accept: both postings open and room on both sides, counted after the locks. */
static void decide_checked_counts(rt__match_tx_t *t, const rt_db_result_t *res) {
  decide_ctx_t *ctx = (decide_ctx_t *)t;
  char detail[200];
  ctx->need_agreed = strtol(rt_db_result_value(res, 0, 0), NULL, 10);
  ctx->offer_agreed = strtol(rt_db_result_value(res, 0, 1), NULL, 10);
  if (strcmp(ctx->need_status, "open") != 0) {
    snprintf(detail, sizeof(detail), "The need is %s; it takes no new partnership.",
             ctx->need_status);
  } else if (strcmp(ctx->offer_status, "open") != 0) {
    snprintf(detail, sizeof(detail), "The offer is %s; it takes no new partnership.",
             ctx->offer_status);
  } else if (ctx->need_agreed >= ctx->max_partners) {
    snprintf(detail, sizeof(detail), "The need already has its %ld agreed partner(s).",
             ctx->max_partners);
  } else if (ctx->offer_agreed >= ctx->capacity) {
    snprintf(detail, sizeof(detail), "The offer's capacity (%ld) is used up by agreed matches.",
             ctx->capacity);
  } else {
    rt__match_tx_send(&ctx->mt, RT__MATCH_TX_WRITE);
    return;
  }
  rt__match_tx_respond(&ctx->mt, 409, detail);
}

int rt__decision_decode(json_t *body, rt_field_errors_t *errs, rt_decision_input_t *in) {
  static const char *const known[] = {"decision", "side", NULL};
  static const char *const decisions[] = {"accept", "decline", NULL};
  static const char *const sides[] = {"state", "provider", NULL};
  in->decision = in->side = NULL;
  rt__v_unknown(body, known, errs);
  rt__v_enum(body, "decision", "decision", 0, decisions, errs, &in->decision);
  if (rt__v_enum(body, "side", "side", 0, sides, errs, &in->side) <= 0)
    in->side = NULL;
  return rt__field_errors_any(errs) ? -1 : 0;
}

void rt__matches_decide(rt_api_call_t *call) {
  json_t *body;
  static const rt__match_tx_t like = {.invalid = "The decision is not valid.",
                                      .statement = decide_statement,
                                      .row = decide_checked_row,
                                      .counts = decide_checked_counts};
  decide_ctx_t *ctx = rt__match_tx_new(call, sizeof(*ctx), &like, &body);
  if (!ctx)
    return;
  /* What the body says on its own is checked first; what depends on the match (is it yours,
   * is the decision there, may you name the side) once it is found. */
  rt_field_errors_t errs = {0};
  rt_decision_input_t in;
  rt__decision_decode(body, &errs, &in);
  ctx->decision = in.decision;
  ctx->side = in.side;
  ctx->side_given = in.side != NULL;
  json_decref(body); /* the values point into the static tables */
  rt__match_tx_begin(&ctx->mt, &errs);
}
