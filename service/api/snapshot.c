/* Loading a roundtable's snapshot (on the loop) and encoding it for the engine (off it). */
#include "snapshot.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

/* ---- loading ---- */

typedef enum load_step {
  STEP_BEGIN,
  STEP_HEAD, /* the focus posting, or setting the run running */
  STEP_NEEDS,
  STEP_OFFERS,
  STEP_PAIRS,
  STEP_EXTRA, /* request.extra_sql[extra], one after the other */
  STEP_COMMIT,
} load_step_t;

typedef struct load_ctx {
  rt_db_conn_t *conn;
  rt_snapshot_t *snap;
  rt_snapshot_cb cb;
  void *data;
  load_step_t step;
  int extra;            /* the extra statement in flight */
  char id_text[24];     /* the roundtable, need or offer */
  char run_text[24];    /* the run */
  char rt_text[24];     /* the roundtable, once known */
  char focus_text[24];  /* the need or offer in focus, "" for none */
  char caller_text[24]; /* the caller's participant, "" for none */
} load_ctx_t;

/* The state's partnerships feed fairness (docs/matching.md, "Follow-up"): those delivered or
 * partly delivered, in any roundtable, and those of this roundtable awaiting their follow-up;
 * abandoned ones not. A window with one end missing is open on that side. Amounts in cents.
 * Arrays as comma-separated codes. */
static const char needs_sql[] =
    "WITH agreed AS (SELECT x.participant_id, count(*) AS k FROM ("
    "SELECT n.participant_id FROM matches m JOIN needs n ON n.id = m.need_id"
    " WHERE m.roundtable_id = $1 AND m.status IN ('agreed', 'completed')"
    " AND m.follow_up_outcome IS NULL"
    " UNION ALL SELECT n.participant_id FROM matches m JOIN needs n ON n.id = m.need_id"
    " WHERE m.follow_up_outcome IN ('delivered', 'partly_delivered')) x"
    " GROUP BY x.participant_id)"
    " SELECT n.id, n.participant_id, p.region, p.country::text, n.title, n.description,"
    " array_to_string(n.themes, ','), array_to_string(n.languages, ','), n.modality,"
    " n.window_start - DATE '1970-01-01', n.window_end - DATE '1970-01-01',"
    " (n.budget_usd * 100)::bigint, n.priority, n.max_partners, coalesce(a.k, 0)"
    " FROM needs n JOIN participants p ON p.id = n.participant_id"
    " LEFT JOIN agreed a ON a.participant_id = n.participant_id"
    " WHERE n.roundtable_id = $1 AND n.status = 'open' AND ($2::bigint IS NULL OR n.id = $2)"
    " ORDER BY n.id";
enum {
  N_ID,
  N_PARTICIPANT,
  N_REGION,
  N_COUNTRY,
  N_TITLE,
  N_DESCRIPTION,
  N_THEMES,
  N_LANGUAGES,
  N_MODALITY,
  N_WSTART,
  N_WEND,
  N_BUDGET,
  N_PRIORITY,
  N_MAX_PARTNERS,
  N_AGREED,
  N_COLS
};
_Static_assert(N_COLS == RT_SNAP_NEED_COLS, "snapshot.h names the layout");

static const char offers_sql[] =
    "SELECT o.id, o.participant_id, o.title, o.description, array_to_string(o.themes, ','),"
    " array_to_string(o.languages, ','), o.modality, o.window_start - DATE '1970-01-01',"
    " o.window_end - DATE '1970-01-01', (o.funding_usd * 100)::bigint, o.capacity,"
    " array_to_string(o.regions, ','), array_to_string(o.countries, ',')"
    " FROM offers o"
    " WHERE o.roundtable_id = $1 AND o.status = 'open' AND ($2::bigint IS NULL OR o.id = $2)"
    " ORDER BY o.id";
enum {
  O_ID,
  O_PARTICIPANT,
  O_TITLE,
  O_DESCRIPTION,
  O_THEMES,
  O_LANGUAGES,
  O_MODALITY,
  O_WSTART,
  O_WEND,
  O_FUNDING,
  O_CAPACITY,
  O_REGIONS,
  O_COUNTRIES,
  O_COLS
};
_Static_assert(O_COLS == RT_SNAP_OFFER_COLS, "snapshot.h names the layout");

/* Agreed (and completed) pairs use up capacity; declined pairs are never feasible, nor are
 * abandoned partnerships, which use no capacity. */
static const char pairs_sql[] =
    "SELECT CASE WHEN m.follow_up_outcome = 'abandoned' THEN 'd' ELSE 'a' END,"
    " m.need_id, m.offer_id FROM matches m"
    " WHERE m.roundtable_id = $1 AND m.status IN ('agreed', 'completed')"
    " UNION ALL SELECT 'd', d.need_id, d.offer_id FROM declined_pairs d"
    " JOIN needs n ON n.id = d.need_id WHERE n.roundtable_id = $1"
    /* vetoes and "no thanks" keep a pair out like a decline; locks go to the runs */
    " UNION ALL SELECT CASE r.rule WHEN 'lock' THEN 'l' ELSE 'd' END, r.need_id, r.offer_id"
    " FROM pair_rules r WHERE r.roundtable_id = $1"
    /* states holding a standing partnership here (fairness floor): 's', participant, 0 */
    " UNION ALL SELECT DISTINCT 's', n.participant_id, 0::bigint FROM matches m"
    " JOIN needs n ON n.id = m.need_id WHERE m.roundtable_id = $1"
    " AND m.status IN ('agreed', 'completed') AND m.follow_up_outcome IS DISTINCT FROM 'abandoned'";

static void load_finish(load_ctx_t *ctx, int status, rt_snapshot_outcome_t outcome,
                        const rt_db_result_t *res) {
  rt_snapshot_cb cb = ctx->cb;
  void *data = ctx->data;
  rt_snapshot_t *snap = NULL;
  if (!status && outcome == RT_SNAP_LOADED) {
    snap = ctx->snap;
    ctx->snap = NULL;
  }
  if (ctx->conn)
    rt_db_release(ctx->conn); /* rolls back an unfinished transaction */
  rt__snapshot_free(ctx->snap);
  free(ctx);
  cb(status, outcome, snap, res, data);
}

static int table_copy(rt_arena_t *a, const rt_db_result_t *res, rt_snapshot_table_t *t) {
  t->rows = rt_db_result_rows(res);
  t->cols = rt_db_result_cols(res);
  size_t cells = (size_t)t->rows * (size_t)t->cols, bytes = 0;
  for (int r = 0; r < t->rows; r++)
    for (int c = 0; c < t->cols; c++)
      bytes += rt_db_result_length(res, r, c) + 1;
  t->cells = rt_arena_alloc(a, (cells ? cells : 1) * sizeof(char *));
  char *text = rt_arena_alloc(a, bytes ? bytes : 1);
  if (!t->cells || !text)
    return RT_ENOMEM;
  for (int r = 0; r < t->rows; r++) {
    for (int c = 0; c < t->cols; c++) {
      const char *v = rt_db_result_value(res, r, c);
      size_t n = rt_db_result_length(res, r, c);
      if (!v) {
        t->cells[(size_t)r * (size_t)t->cols + (size_t)c] = NULL;
        continue;
      }
      memcpy(text, v, n);
      text[n] = '\0';
      t->cells[(size_t)r * (size_t)t->cols + (size_t)c] = text;
      text += n + 1;
    }
  }
  return 0;
}

static void on_step(int status, const rt_db_result_t *res, void *data);

static void send_step(load_ctx_t *ctx, load_step_t step) {
  ctx->step = step;
  const rt_snapshot_request_t *rq = &ctx->snap->request;
  const char *sql = NULL;
  const char *params[3] = {NULL, NULL, NULL};
  int n = 0;
  switch (step) {
  case STEP_BEGIN:
    sql = rq->run_id ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                     : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    break;
  case STEP_HEAD:
    if (rq->focus == RT_SNAP_ROUNDTABLE) {
      sql = "UPDATE match_runs SET status = 'running', started_at = now(),"
            " heartbeat_at = now() WHERE id = $1 AND status = 'queued' RETURNING roundtable_id";
      params[n++] = ctx->run_text;
    } else {
      sql = rq->focus == RT_SNAP_NEED ? "SELECT roundtable_id, status FROM needs WHERE id = $1"
                                      : "SELECT roundtable_id, status FROM offers WHERE id = $1";
      params[n++] = ctx->id_text;
    }
    break;
  case STEP_NEEDS:
  case STEP_OFFERS:
    sql = step == STEP_NEEDS ? needs_sql : offers_sql;
    params[n++] = ctx->rt_text;
    params[n++] = (step == STEP_NEEDS ? rq->focus == RT_SNAP_NEED : rq->focus == RT_SNAP_OFFER)
                      ? ctx->id_text
                      : NULL;
    break;
  case STEP_PAIRS:
    sql = pairs_sql;
    params[n++] = ctx->rt_text;
    break;
  case STEP_EXTRA:
    sql = rq->extra_sql[ctx->extra];
    params[n++] = ctx->rt_text;
    if (rq->extra_caller >> ctx->extra & 1u) {
      params[n++] = rq->caller_role;
      params[n++] = ctx->caller_text[0] ? ctx->caller_text : NULL;
    }
    break;
  case STEP_COMMIT:
    sql = "COMMIT";
    break;
  }
  int rc = rt_db_query(ctx->conn, sql, n, params, on_step, ctx);
  if (rc)
    load_finish(ctx, rc, RT_SNAP_LOADED, NULL);
}

static void on_step(int status, const rt_db_result_t *res, void *data) {
  load_ctx_t *ctx = data;
  if (status) {
    load_finish(ctx, status, RT_SNAP_LOADED, res);
    return;
  }
  rt_snapshot_t *snap = ctx->snap;
  int rc = 0;
  switch (ctx->step) {
  case STEP_BEGIN:
    if (snap->request.focus == RT_SNAP_ROUNDTABLE && !snap->request.run_id) {
      snap->roundtable_id = snap->request.id;
      snprintf(ctx->rt_text, sizeof(ctx->rt_text), "%" PRId64, snap->roundtable_id);
      send_step(ctx, snap->request.caller_rows ? STEP_PAIRS : STEP_NEEDS);
    } else {
      send_step(ctx, STEP_HEAD);
    }
    return;
  case STEP_HEAD:
    if (rt_db_result_rows(res) < 1) {
      load_finish(
          ctx, 0,
          snap->request.focus == RT_SNAP_ROUNDTABLE ? RT_SNAP_NOT_QUEUED : RT_SNAP_NOT_FOUND, NULL);
      return;
    }
    if (snap->request.focus != RT_SNAP_ROUNDTABLE &&
        strcmp(rt_db_result_value(res, 0, 1), "open") != 0) {
      load_finish(ctx, 0, RT_SNAP_NOT_OPEN, NULL);
      return;
    }
    snap->roundtable_id = strtoll(rt_db_result_value(res, 0, 0), NULL, 10);
    snprintf(ctx->rt_text, sizeof(ctx->rt_text), "%" PRId64, snap->roundtable_id);
    send_step(ctx, STEP_NEEDS);
    return;
  case STEP_NEEDS:
    rc = table_copy(&snap->arena, res, &snap->needs);
    if (!rc && snap->needs.cols != N_COLS)
      rc = RT_EINVAL;
    if (!rc)
      send_step(ctx, STEP_OFFERS);
    break;
  case STEP_OFFERS:
    rc = table_copy(&snap->arena, res, &snap->offers);
    if (!rc && snap->offers.cols != O_COLS)
      rc = RT_EINVAL;
    if (!rc)
      send_step(ctx, STEP_PAIRS);
    break;
  case STEP_PAIRS:
    rc = table_copy(&snap->arena, res, &snap->pairs);
    if (!rc)
      send_step(ctx, snap->request.n_extra > 0 ? STEP_EXTRA : STEP_COMMIT);
    break;
  case STEP_EXTRA:
    rc = table_copy(&snap->arena, res, &snap->extra[ctx->extra]);
    if (!rc && ++ctx->extra < snap->request.n_extra)
      send_step(ctx, STEP_EXTRA);
    else if (!rc)
      send_step(ctx, STEP_COMMIT);
    break;
  case STEP_COMMIT:
    load_finish(ctx, 0, RT_SNAP_LOADED, NULL);
    return;
  }
  if (rc)
    load_finish(ctx, rc, RT_SNAP_LOADED, NULL);
}

static void on_acquired(int status, rt_db_conn_t *conn, void *data) {
  load_ctx_t *ctx = data;
  if (status) {
    load_finish(ctx, status, RT_SNAP_LOADED, NULL);
    return;
  }
  ctx->conn = conn;
  send_step(ctx, STEP_BEGIN);
}

int rt__snapshot_load(rt_db_pool_t *pool, const rt_snapshot_request_t *rq, rt_snapshot_cb cb,
                      void *data) {
  if (rq->n_extra < 0 || rq->n_extra > RT_SNAP_MAX_EXTRA)
    return RT_EINVAL;
  load_ctx_t *ctx = calloc(1, sizeof(*ctx));
  rt_snapshot_t *snap = calloc(1, sizeof(*snap));
  if (!ctx || !snap) {
    free(ctx);
    free(snap);
    return RT_ENOMEM;
  }
  rt_arena_init(&snap->arena, 256 * 1024);
  snap->request = *rq;
  ctx->snap = snap;
  ctx->cb = cb;
  ctx->data = data;
  snprintf(ctx->id_text, sizeof(ctx->id_text), "%" PRId64, rq->id);
  snprintf(ctx->run_text, sizeof(ctx->run_text), "%" PRId64, rq->run_id);
  if (rq->caller_participant)
    snprintf(ctx->caller_text, sizeof(ctx->caller_text), "%" PRId64, rq->caller_participant);
  int rc = rt_db_acquire(pool, on_acquired, ctx);
  if (rc) {
    rt__snapshot_free(snap);
    free(ctx);
  }
  return rc;
}

void rt__snapshot_free(rt_snapshot_t *snap) {
  if (!snap)
    return;
  rt_arena_reset(&snap->arena);
  free(snap);
}

/* ---- encoding for the engine ---- */

typedef struct codes {
  const rt_reference_t *ref;
  int16_t lang_dense[256]; /* reference language index -> dense index of this instance */
  int n_langs;
  uint8_t theme_parent[RT_MATCH_MAX_THEMES];
  uint32_t n_themes;
} codes_t;

static int efail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int efail(char *err, size_t errlen, int code, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* Themes: children by their position in the sorted reference, parents by their order in the
 * taxonomy; a child's parent index from its parent's code. */
static int codes_init(codes_t *k, char *err, size_t errlen) {
  memset(k, 0, sizeof(*k));
  k->ref = rt__reference();
  if (!k->ref)
    return efail(err, errlen, RT_EINVAL, "reference data not loaded");
  memset(k->lang_dense, 0xff, sizeof(k->lang_dense));
  size_t nt = k->ref->count[RT_REF_THEME];
  if (nt > RT_MATCH_MAX_THEMES || k->ref->count[RT_REF_LANGUAGE] > 256 ||
      k->ref->count[RT_REF_REGION] >= RT_MATCH_MAX_REGIONS)
    return efail(err, errlen, RT_E2BIG, "the taxonomy is larger than the engine's encoding");
  k->n_themes = (uint32_t)nt;
  for (size_t t = 0; t < nt; t++) {
    const char *parent = k->ref->entries[RT_REF_THEME][t].extra;
    int p = 0, found = -1;
    for (size_t i = 0; i < k->ref->all_themes_count && found < 0; i++) {
      if (k->ref->all_themes[i].extra)
        continue;
      if (strcmp(k->ref->all_themes[i].code, parent) == 0)
        found = p;
      p++;
    }
    if (found < 0 || found >= RT_MATCH_MAX_PARENTS)
      return efail(err, errlen, RT_E2BIG, "theme %s: parent out of range",
                   k->ref->entries[RT_REF_THEME][t].code);
    k->theme_parent[t] = (uint8_t)found;
  }
  return 0;
}

static int code_index(const codes_t *k, rt_ref_kind_t kind, const char *code) {
  const rt_ref_entry_t *e = rt__ref_find(kind, code);
  return e ? (int)(e - k->ref->entries[kind]) : -1;
}

/* Splits a comma-separated list (in place) into arena pointers. */
static int split(rt_arena_t *a, char *s, char ***out, uint32_t *n) {
  *n = 0;
  *out = NULL;
  if (!s || !*s)
    return 0;
  uint32_t count = 1;
  for (const char *p = s; *p; p++)
    count += *p == ',';
  char **v = rt_arena_alloc(a, count * sizeof(char *));
  if (!v)
    return RT_ENOMEM;
  char *save = NULL;
  for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    v[(*n)++] = tok;
  *out = v;
  return 0;
}

/* Codes of one kind as engine indices (languages renumbered densely). */
static int indices(rt_arena_t *a, codes_t *k, rt_ref_kind_t kind, char *list, uint8_t **out,
                   uint32_t *n, char *err, size_t errlen) {
  char **codes;
  int rc = split(a, list, &codes, n);
  if (rc)
    return rc;
  *out = rt_arena_alloc(a, *n ? *n : 1);
  if (!*out)
    return RT_ENOMEM;
  for (uint32_t i = 0; i < *n; i++) {
    int x = code_index(k, kind, codes[i]);
    if (x < 0)
      return efail(err, errlen, RT_EINVAL, "unknown code %s", codes[i]);
    if (kind == RT_REF_LANGUAGE) {
      if (k->lang_dense[x] < 0) {
        if (k->n_langs >= RT_MATCH_MAX_LANGUAGES)
          return efail(err, errlen, RT_E2BIG, "more than %d languages", RT_MATCH_MAX_LANGUAGES);
        k->lang_dense[x] = (int16_t)k->n_langs++;
      }
      x = k->lang_dense[x];
    }
    (*out)[i] = (uint8_t)x;
  }
  return 0;
}

static int64_t num(const char *s, int64_t missing) { return s ? strtoll(s, NULL, 10) : missing; }

/* A window with one end missing is open on that side (the engine's open bound). */
#define DAY_OPEN (1 << 23)
static void window(const char *start, const char *end, bool *has, int32_t *ws, int32_t *we) {
  *has = start || end;
  *ws = start ? (int32_t)strtol(start, NULL, 10) : -DAY_OPEN;
  *we = end ? (int32_t)strtol(end, NULL, 10) : DAY_OPEN;
}

static rt_match_modality_t modality(const char *s) {
  if (strcmp(s, "in_person") == 0)
    return RT_MATCH_IN_PERSON;
  if (strcmp(s, "online") == 0)
    return RT_MATCH_ONLINE;
  if (strcmp(s, "hybrid") == 0)
    return RT_MATCH_HYBRID;
  return RT_MATCH_ANY;
}

static rt_match_priority_t priority(const char *s) {
  if (strcmp(s, "high") == 0)
    return RT_MATCH_PRIORITY_HIGH;
  return strcmp(s, "low") == 0 ? RT_MATCH_PRIORITY_LOW : RT_MATCH_PRIORITY_MEDIUM;
}

int rt__snapshot_build(rt_snapshot_t *snap, rt_match_instance_t **out, char *err, size_t errlen) {
  *out = NULL;
  codes_t k;
  int rc = codes_init(&k, err, errlen);
  if (rc)
    return rc;
  rt_arena_t *a = &snap->arena;
  const rt_snapshot_table_t *nt = &snap->needs, *ot = &snap->offers, *pt = &snap->pairs;
  size_t nn = (size_t)nt->rows, no = (size_t)ot->rows;
  rt_match_need_t *needs = rt_arena_alloc(a, (nn ? nn : 1) * sizeof(*needs));
  rt_match_offer_t *offers = rt_arena_alloc(a, (no ? no : 1) * sizeof(*offers));
  rt_match_pair_t *pairs = rt_arena_alloc(a, (pt->rows ? (size_t)pt->rows : 1) * sizeof(*pairs));
  if (!needs || !offers || !pairs)
    return RT_ENOMEM;
  for (size_t i = 0; i < nn; i++) {
    char **row = nt->cells + i * N_COLS;
    rt_match_need_t *n = &needs[i];
    memset(n, 0, sizeof(*n));
    n->id = num(row[N_ID], 0);
    n->participant_id = num(row[N_PARTICIPANT], 0);
    int region = row[N_REGION] ? code_index(&k, RT_REF_REGION, row[N_REGION]) : -1;
    n->region = (uint8_t)(region >= 0 ? region : RT_MATCH_MAX_REGIONS - 1); /* none: no list */
    n->country = row[N_COUNTRY];
    n->title = row[N_TITLE];
    n->description = row[N_DESCRIPTION];
    uint8_t *themes, *langs;
    if ((rc = indices(a, &k, RT_REF_THEME, row[N_THEMES], &themes, &n->n_themes, err, errlen)) ||
        (rc = indices(a, &k, RT_REF_LANGUAGE, row[N_LANGUAGES], &langs, &n->n_languages, err,
                      errlen)))
      return rc;
    n->themes = themes;
    n->languages = langs;
    n->modality = modality(row[N_MODALITY]);
    window(row[N_WSTART], row[N_WEND], &n->has_window, &n->window_start, &n->window_end);
    n->budget_cents = num(row[N_BUDGET], -1);
    n->priority = priority(row[N_PRIORITY]);
    n->max_partners = (uint32_t)num(row[N_MAX_PARTNERS], 1);
    n->state_partnerships = (uint32_t)num(row[N_AGREED], 0);
    n->open = true;
  }
  for (size_t i = 0; i < no; i++) {
    char **row = ot->cells + i * O_COLS;
    rt_match_offer_t *o = &offers[i];
    memset(o, 0, sizeof(*o));
    o->id = num(row[O_ID], 0);
    o->participant_id = num(row[O_PARTICIPANT], 0);
    o->title = row[O_TITLE];
    o->description = row[O_DESCRIPTION];
    uint8_t *themes, *langs, *regions;
    char **countries;
    if ((rc = indices(a, &k, RT_REF_THEME, row[O_THEMES], &themes, &o->n_themes, err, errlen)) ||
        (rc = indices(a, &k, RT_REF_LANGUAGE, row[O_LANGUAGES], &langs, &o->n_languages, err,
                      errlen)) ||
        (rc =
             indices(a, &k, RT_REF_REGION, row[O_REGIONS], &regions, &o->n_regions, err, errlen)) ||
        (rc = split(a, row[O_COUNTRIES], &countries, &o->n_countries)))
      return rc;
    o->themes = themes;
    o->languages = langs;
    o->regions = regions;
    o->countries = (const char *const *)countries;
    o->modality = modality(row[O_MODALITY]);
    window(row[O_WSTART], row[O_WEND], &o->has_window, &o->window_start, &o->window_end);
    o->funding_cents = num(row[O_FUNDING], -1);
    o->capacity = (uint32_t)num(row[O_CAPACITY], 1);
    o->open = true;
  }
  size_t n_agreed = 0, n_declined = 0, n_served = 0;
  int64_t *served = rt_arena_alloc(a, (pt->rows ? (size_t)pt->rows : 1) * sizeof(int64_t));
  if (!served)
    return RT_ENOMEM;
  snap->n_locked = 0;
  for (int r = 0; r < pt->rows; r++) {
    n_agreed += pt->cells[(size_t)r * 3][0] == 'a';
    snap->n_locked += pt->cells[(size_t)r * 3][0] == 'l';
  }
  rt_match_pair_t *agreed = pairs, *declined = pairs + n_agreed;
  snap->locked = rt_arena_alloc(a, (snap->n_locked + 1) * sizeof(rt_match_pair_t));
  if (!snap->locked)
    return RT_ENOMEM;
  for (int r = 0, l = 0; r < pt->rows; r++) {
    char **row = pt->cells + (size_t)r * 3;
    rt_match_pair_t p = {num(row[1], 0), num(row[2], 0)};
    if (row[0][0] == 'a')
      *agreed++ = p;
    else if (row[0][0] == 'l')
      snap->locked[l++] = p;
    else if (row[0][0] == 's')
      served[n_served++] = p.need_id; /* a participant */
    else
      declined[n_declined++] = p;
  }
  qsort(served, n_served, sizeof(int64_t), rt__cmp_i64);
  for (size_t i = 0; i < nn; i++)
    needs[i].state_served =
        bsearch(&needs[i].participant_id, served, n_served, sizeof(int64_t), rt__cmp_i64) != NULL;
  rt_match_input_t in = {
      .needs = needs,
      .n_needs = nn,
      .offers = offers,
      .n_offers = no,
      .theme_parent = k.theme_parent,
      .n_themes = k.n_themes,
      .declined = pairs + n_agreed,
      .n_declined = n_declined,
      .agreed = pairs,
      .n_agreed = n_agreed,
  };
  return rt_match_instance_build(&in, out, err, errlen);
}

int rt__cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* ---- JSON ---- */

int rt__number_json(rt_buf_t *out, double v) {
  char s[40];
  if (!isfinite(v))
    return rt_buf_puts(out, "null");
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(s, sizeof(s), "%.*g", digits, v);
    if (strtod(s, NULL) == v)
      break;
  }
  return rt_buf_puts(out, s);
}

/* q / 2^15 in decimal. Such a number's exact expansion has at most 15 decimals, and no shorter
 * decimal reads back as the same double, so this is what rt__number_json would write (bar the
 * exponent form for tiny values) without its trial printing and parsing: a run renders 14 of
 * them per proposal. */
_Static_assert(RT_MATCH_VALUE_ONE == 32768 && RT_MATCH_WEIGHT_ONE == 32768, "15-bit fractions");
static int fraction_json(rt_buf_t *out, uint32_t q) {
  const uint64_t ten15 = 1000000000000000ull;
  uint64_t scaled = (uint64_t)q * 30517578125ull; /* q * 5^15 = q / 2^15 * 10^15 */
  uint64_t whole = scaled / ten15, frac = scaled % ten15;
  if (!frac)
    return rt_buf_printf(out, "%" PRIu64, whole);
  char digits[16];
  int n = 15;
  for (int i = 14; i >= 0; i--, frac /= 10)
    digits[i] = (char)('0' + frac % 10);
  while (digits[n - 1] == '0')
    n--;
  return rt_buf_printf(out, "%" PRIu64 ".%.*s", whole, n, digits);
}

int rt__breakdown_json(rt_buf_t *out, const rt_match_breakdown_t *b) {
  int rc = rt_buf_puts(out, "{");
  for (int c = 0; c < RT_MATCH_CRITERIA && !rc; c++) {
    rc = rt_buf_printf(out, "%s\"%s\":{\"value\":", c ? "," : "", rt_match_criterion_name(c));
    if (!rc)
      rc = fraction_json(out, b->terms[c].value_q);
    if (!rc)
      rc = rt_buf_puts(out, ",\"weight\":");
    if (!rc)
      rc = fraction_json(out, b->terms[c].weight_q);
    if (!rc)
      rc = rt_buf_puts(out, "}");
  }
  return rc ? rc : rt_buf_puts(out, "}");
}

static const char *cell(const rt_snapshot_t *snap, bool need, int row, int n_col, int o_col) {
  const rt_snapshot_table_t *t = need ? &snap->needs : &snap->offers;
  if (row < 0 || row >= t->rows)
    return NULL;
  return t->cells[(size_t)row * (size_t)t->cols + (size_t)(need ? n_col : o_col)];
}

const char *rt__snapshot_title(const rt_snapshot_t *snap, bool need, int row) {
  return cell(snap, need, row, N_TITLE, O_TITLE);
}

const char *rt__snapshot_participant(const rt_snapshot_t *snap, bool need, int row) {
  return cell(snap, need, row, N_PARTICIPANT, O_PARTICIPANT);
}
