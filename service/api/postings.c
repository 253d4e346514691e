#include "postings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "decoders.h"

#define MAX_FIELDS 24
/* Parameters ahead of the fields: id or roundtable, participant, status (see below). */
#define LEAD 3

typedef struct posting_input {
  const char *values[MAX_FIELDS]; /* copied into the request arena */
  int given[MAX_FIELDS];          /* present in the body (value NULL: cleared) */
  int64_t roundtable_id;
  int64_t participant_id;
  const char *status;
} posting_input_t;

/* The object holding a field and the key inside it: "window.start" lives in body.window. */
static json_t *field_home(json_t *body, const rt_posting_field_t *f, const char **key) {
  const char *dot = strchr(f->key, '.');
  if (!dot) {
    *key = f->key;
    return body;
  }
  *key = dot + 1;
  char parent[32];
  snprintf(parent, sizeof(parent), "%.*s", (int)(dot - f->key), f->key);
  json_t *home = json_object_get(body, parent);
  return json_is_object(home) ? home : NULL;
}

static int is_status(const rt_posting_kind_t *kind, const char *s) {
  for (const char *const *p = kind->statuses; *p; p++)
    if (strcmp(*p, s) == 0)
      return 1;
  return 0;
}

/* Length of the part of a field key before '.', or 0 when it has none. */
static size_t nest_len(const char *key) {
  const char *dot = strchr(key, '.');
  return dot ? (size_t)(dot - key) : 0;
}

static void check_known_keys(const rt_posting_kind_t *kind, json_t *body, rt_field_errors_t *errs,
                             rt_arena_t *arena) {
  static const char *const common[] = {
      "id", "roundtable_id", "participant_id", "status", "created_at", "updated_at", NULL};
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v) {
    int ok = 0, nested = 0;
    for (const char *const *c = common; *c && !ok; c++)
      ok = strcmp(*c, key) == 0;
    for (size_t i = 0; i < kind->nfields && !ok; i++) {
      const char *fk = kind->fields[i].key;
      size_t n = nest_len(fk);
      nested = n && strlen(key) == n && strncmp(fk, key, n) == 0;
      ok = nested || strcmp(fk, key) == 0;
    }
    if (!ok) {
      rt__field_error(errs, key, "is not a field of a %s", kind->singular);
    } else if (nested && !json_is_null(v) && !json_is_object(v)) {
      rt__field_error(errs, key, "must be an object");
    } else if (nested && json_is_object(v)) {
      const char *sub;
      json_t *sv;
      json_object_foreach(v, sub, sv) {
        const char *full = rt_arena_printf(arena, "%s.%s", key, sub);
        int known = 0;
        for (size_t i = 0; i < kind->nfields && full && !known; i++)
          known = strcmp(kind->fields[i].key, full) == 0;
        if (!known)
          rt__field_error(errs, full ? full : key, "is not a field of %s", key);
      }
    }
  }
}

static int decode_field(rt_api_call_t *call, const rt_posting_field_t *f, json_t *body,
                        int creating, rt_field_errors_t *errs, const char **out) {
  rt_arena_t *arena = &call->req->arena;
  const char *key;
  json_t *home = field_home(body, f, &key);
  if (!home) {
    if (creating && f->required) {
      rt__field_error(errs, f->key, "is required");
      return -1;
    }
    return 0;
  }
  int required = creating && f->required;
  long long n;
  int rc = 0;
  switch (f->type) {
  case RT_PF_TEXT:
    rc = rt__v_string(home, key, f->key, required, (size_t)f->min, (size_t)f->max, errs, out);
    break;
  case RT_PF_ENUM:
    rc = rt__v_enum(home, key, f->key, required, f->values, errs, out);
    break;
  case RT_PF_CODES:
    rc = rt__v_codes(home, key, f->key, required, (size_t)f->min, (size_t)f->max, f->ref, errs, out,
                     arena);
    break;
  case RT_PF_DATE:
    rc = rt__v_date(home, key, f->key, required, errs, out);
    break;
  case RT_PF_MONEY:
    rc = rt__v_money(home, key, f->key, required, errs, out, arena);
    break;
  case RT_PF_INT:
    rc = rt__v_int(home, key, f->key, required, f->min, f->max, errs, &n);
    if (rc > 0)
      *out = rt_arena_printf(arena, "%lld", n);
    break;
  }
  if (rc > 0 && *out)
    *out = rt_arena_strdup(arena, *out); /* outlive the JSON body */
  return rc;
}

/* The one decoder of a need or an offer body. */
static int decode(rt_api_call_t *call, const rt_posting_kind_t *kind, json_t *body, int creating,
                  rt_field_errors_t *errs, posting_input_t *in) {
  memset(in, 0, sizeof(*in));
  check_known_keys(kind, body, errs, &call->req->arena);
  static const char *const read_only[] = {"id", "created_at", "updated_at", NULL};
  rt__v_forbidden(body, read_only, errs);
  json_t *window = json_object_get(body, "window");
  for (size_t i = 0; i < kind->nfields; i++) {
    const rt_posting_field_t *f = &kind->fields[i];
    const char *key;
    json_t *home = field_home(body, f, &key);
    json_t *v = home ? json_object_get(home, key) : NULL;
    int cleared = (v && json_is_null(v)) || (strchr(f->key, '.') && window && json_is_null(window));
    if (cleared && !creating) {
      if (!f->clearable)
        rt__field_error(errs, f->key, "cannot be cleared");
      in->given[i] = 1;
      continue;
    }
    in->given[i] = decode_field(call, f, body, creating, errs, &in->values[i]) > 0;
  }
  /* window: end not before start when both are known here */
  const char *start = NULL, *end = NULL;
  for (size_t i = 0; i < kind->nfields; i++) {
    if (strcmp(kind->fields[i].key, "window.start") == 0)
      start = in->values[i];
    if (strcmp(kind->fields[i].key, "window.end") == 0)
      end = in->values[i];
  }
  if (start && end && strcmp(end, start) < 0)
    rt__field_error(errs, "window.end", "must not be before window.start");

  if (creating) {
    rt__v_id(body, "roundtable_id", "roundtable_id", 1, errs, &in->roundtable_id);
    int own = call->who.role == kind->owner_role;
    int64_t named = 0;
    rt__v_id(body, "participant_id", "participant_id", !own, errs, &named);
    if (own && named && named != call->who.participant_id)
      rt__field_error(errs, "participant_id", "must be your own participant (%lld) or left out",
                      (long long)call->who.participant_id);
    in->participant_id = own ? call->who.participant_id : named;
    const char *status = NULL;
    if (rt__v_enum(body, "status", "status", 0, kind->statuses, errs, &status) > 0 &&
        strcmp(status, kind->statuses[0]) != 0)
      rt__field_error(errs, "status", "starts as %s", kind->statuses[0]);
  } else {
    static const char *const fixed[] = {"roundtable_id", "participant_id", NULL};
    for (const char *const *k = fixed; *k; k++)
      if (json_object_get(body, *k))
        rt__field_error(errs, *k, "cannot be changed");
    rt__v_enum(body, "status", "status", 0, kind->statuses, errs, &in->status);
  }
  return rt__field_errors_any(errs) ? -1 : 0;
}

int rt__posting_decode_check(rt_api_call_t *call, const rt_posting_kind_t *kind, json_t *body,
                             int creating, rt_field_errors_t *errs) {
  posting_input_t in;
  return decode(call, kind, body, creating, errs, &in);
}

static void refuse(rt_api_call_t *call, rt_field_errors_t *errs, const rt_posting_kind_t *kind) {
  char detail[96];
  snprintf(detail, sizeof(detail), "The %s is not valid.", kind->singular);
  rt__problem_with_errors(call->req, 422, "Unprocessable Content", detail, errs);
}

typedef struct posting_ctx {
  rt_api_call_t *call;
  const rt_posting_kind_t *kind;
  posting_input_t in;
} posting_ctx_t;

static posting_ctx_t *ctx_new(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  posting_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return NULL;
  }
  memset(ctx, 0, sizeof(*ctx));
  ctx->call = call;
  ctx->kind = kind;
  return ctx;
}

/* ---- create ---- */

static void on_created(int status, const rt_db_result_t *res, void *data) {
  posting_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__respond_write_failed(call, status, res);
    return;
  }
  const char *rt_status = rt_db_result_value(res, 0, 0);
  if (!rt_status) {
    rt_field_errors_t errs = {0};
    rt__field_error(&errs, "roundtable_id", "is not a roundtable");
    refuse(call, &errs, ctx->kind);
    return;
  }
  if (!rt_db_result_value(res, 0, 1)) {
    rt_http_respond_problem(call->req, 409, "Conflict",
                            "The roundtable is closed; it takes no new postings.");
    return;
  }
  const char *header = rt_db_result_value(res, 0, 2);
  if (ctx->kind->created_header && header &&
      rt_http_add_header(call->req, ctx->kind->created_header, header)) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond(call->req, 201, "application/json", rt_db_result_value(res, 0, 1),
                  rt_db_result_length(res, 0, 1));
}

static void create_ready(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  posting_ctx_t *ctx = ctx_new(call, kind);
  if (!ctx)
    return;
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  int bad = decode(call, kind, body, 1, &errs, &ctx->in);
  json_decref(body);
  if (bad) {
    refuse(call, &errs, kind);
    return;
  }
  rt_arena_t *arena = &call->req->arena;
  const char *params[LEAD + MAX_FIELDS];
  params[0] = rt__id_text(call, ctx->in.roundtable_id);
  params[1] = rt__id_text(call, ctx->in.participant_id);
  params[2] = kind->statuses[0];
  rt_buf_t cols, vals;
  rt_buf_init(&cols, 4096);
  rt_buf_init(&vals, 4096);
  int rc = rt_buf_puts(&cols, "roundtable_id, participant_id, status");
  if (!rc)
    rc = rt_buf_puts(&vals, "$1, $2, $3");
  for (size_t i = 0; i < kind->nfields && !rc; i++) {
    const rt_posting_field_t *f = &kind->fields[i];
    int p = LEAD + (int)i + 1;
    params[p - 1] = ctx->in.values[i];
    rc = rt_buf_printf(&cols, ", %s", f->column);
    if (!rc && f->fallback)
      rc = rt_buf_printf(&vals, ", coalesce($%d%s, %s)", p, f->cast, f->fallback);
    else if (!rc)
      rc = rt_buf_printf(&vals, ", $%d%s", p, f->cast);
  }
  /* FOR SHARE: a roundtable being closed at this moment waits for the posting, or the
   * posting sees it closed; it never lands in a closed roundtable. */
  char *sql =
      rc ? NULL
         : rt_arena_printf(arena,
                           "WITH r AS (SELECT status FROM roundtables WHERE id = $1 FOR SHARE),"
                           " ins AS (INSERT INTO %s AS x (%s) SELECT %s FROM r"
                           " WHERE r.status <> 'closed' RETURNING %s AS json, %s AS header)"
                           " SELECT (SELECT status FROM r), (SELECT json FROM ins),"
                           " (SELECT header FROM ins)",
                           kind->table, cols.data, vals.data, kind->json_sql,
                           kind->created_header_sql ? kind->created_header_sql : "NULL::text");
  rt_buf_free(&cols);
  rt_buf_free(&vals);
  if (!sql) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rc = rt__api_write(call, sql, LEAD + (int)kind->nfields, params, on_created, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

/* Reference data first (themes, languages), then the kind's own work. */
typedef void (*kind_step_fn)(rt_api_call_t *call, const rt_posting_kind_t *kind);
typedef struct step_ctx {
  kind_step_fn step;
  const rt_posting_kind_t *kind;
} step_ctx_t;

static void run_step(rt_api_call_t *call) {
  step_ctx_t *s = call->state;
  s->step(call, s->kind);
}

static void with_reference(rt_api_call_t *call, const rt_posting_kind_t *kind, kind_step_fn step) {
  step_ctx_t *s = rt_arena_alloc(&call->req->arena, sizeof(*s));
  if (!s) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  s->step = step;
  s->kind = kind;
  call->state = s;
  rt__reference_ready(call, run_step);
}

void rt__postings_create(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  with_reference(call, kind, create_ready);
}

/* ---- read ---- */

void rt__postings_get(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  const char *params[3] = {rt__id_text(call, id)};
  int n = 1;
  const char *visible = kind->visible_sql ? kind->visible_sql(call, "x", params, &n) : "true";
  char *sql = visible
                  ? rt_arena_printf(&call->req->arena, "SELECT %s FROM %s x WHERE x.id = $1 AND %s",
                                    kind->json_sql, kind->table, visible)
                  : NULL;
  rt__exec_row(call, 200, sql, n, params);
}

/* Escapes LIKE's wildcards so q is matched as plain text. */
static char *like_pattern(rt_arena_t *arena, const char *q) {
  size_t n = strlen(q);
  char *out = rt_arena_alloc(arena, 2 * n + 3);
  if (!out)
    return NULL;
  size_t o = 0;
  out[o++] = '%';
  for (size_t i = 0; i < n; i++) {
    if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
      out[o++] = '\\';
    out[o++] = q[i];
  }
  out[o++] = '%';
  out[o] = '\0';
  return out;
}

static void list_ready(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  rt_page_t page;
  const char *allowed[16] = {"limit", "cursor", "roundtable_id", "participant_id",
                             "theme", "region", "status",        "q"};
  int na = 8;
  for (const char *const *e = kind->extra_enum_filters; e && *e && na < 15; e++)
    allowed[na++] = *e;
  allowed[na] = NULL;
  rt_query_t q;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  rt_arena_t *arena = &call->req->arena;
  const char *params[24];
  int n = 0;
  rt_buf_t where;
  rt_buf_init(&where, 8192);
  params[n++] = rt__id_text(call, page.after);
  int rc = rt_buf_puts(&where, "x.id > $1");
  const char *bad = NULL;
  static const char *const id_filters[] = {"roundtable_id", "participant_id"};
  for (int i = 0; i < 2 && !rc; i++) {
    const char *v = rt__query_get(&q, id_filters[i]);
    if (!v)
      continue;
    if (!rt__parse_id(v))
      bad = rt_arena_printf(arena, "%s must be an id.", id_filters[i]);
    params[n++] = v;
    rc = rt_buf_printf(&where, " AND x.%s = $%d", id_filters[i], n);
  }
  const char *status = rt__query_get(&q, "status");
  if (status && !rc) {
    if (!is_status(kind, status))
      bad = "status is not a status of this kind.";
    params[n++] = status;
    rc = rt_buf_printf(&where, " AND x.status = $%d", n);
  }
  for (const char *const *e = kind->extra_enum_filters; e && *e && !rc; e++) {
    const char *v = rt__query_get(&q, *e);
    if (!v)
      continue;
    for (size_t i = 0; i < kind->nfields; i++) {
      if (strcmp(kind->fields[i].key, *e) != 0)
        continue;
      int ok = 0;
      for (const char *const *val = kind->fields[i].values; val && *val; val++)
        ok |= strcmp(*val, v) == 0;
      if (!ok)
        bad = rt_arena_printf(arena, "%s is not a valid value.", *e);
    }
    params[n++] = v;
    rc = rt_buf_printf(&where, " AND x.%s = $%d", *e, n);
  }
  const char *theme = rt__query_get(&q, "theme");
  if (theme && !rc) {
    /* a group matches every theme in it */
    const char *set;
    rc = rt__ref_theme_set(arena, theme, &set);
    if (!rc && !set) {
      bad = "theme is not a known theme or theme group.";
    } else if (!rc) {
      params[n++] = set;
      rc = rt_buf_printf(&where, " AND x.themes && $%d::text[]", n);
    }
  }
  const char *region = rt__query_get(&q, "region");
  if (region && !rc) {
    if (!rt__ref_find(RT_REF_REGION, region))
      bad = "region is not a known region code.";
    params[n++] = region;
    rc = rt_buf_printf(&where, " AND %s%d%s", kind->region_filter[0], n, kind->region_filter[1]);
  }
  const char *text = rt__query_get(&q, "q");
  if (text && !rc) {
    if (rt__utf8_chars(text) > 200)
      bad = "q must be at most 200 characters.";
    params[n++] = like_pattern(arena, text);
    rc = rt_buf_printf(&where, " AND (x.title || ' ' || x.description) ILIKE $%d", n);
  }
  if (kind->visible_sql && !rc) {
    const char *visible = kind->visible_sql(call, "x", params, &n);
    rc = visible ? rt_buf_printf(&where, " AND %s", visible) : RT_ENOMEM;
  }
  params[n++] = rt__id_text(call, page.limit + 1);
  char *sql =
      rc ? NULL
         : rt_arena_printf(arena, "SELECT %s, x.id FROM %s x WHERE %s ORDER BY x.id LIMIT $%d",
                           kind->json_sql, kind->table, where.data, n);
  rt_buf_free(&where);
  if (bad) {
    rt_http_respond_problem(call->req, 400, "Bad Request", bad);
    return;
  }
  rt__exec_list(call, &page, sql, n, params);
}

void rt__postings_list(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  with_reference(call, kind, list_ready);
}

/* ---- change and withdraw ---- */

static void on_changed(int status, const rt_db_result_t *res, void *data) {
  posting_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__respond_write_failed(call, status, res);
    return;
  }
  if (rt_db_result_rows(res) < 1) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such resource.");
    return;
  }
  if (rt_db_result_value(res, 0, 2)) {
    rt_http_respond(call->req, 200, "application/json", rt_db_result_value(res, 0, 2),
                    rt_db_result_length(res, 0, 2));
    return;
  }
  int owner = call->who.role == ctx->kind->owner_role;
  int foreign =
      owner && strtoll(rt_db_result_value(res, 0, 0), NULL, 10) != call->who.participant_id;
  if (foreign && strcmp(rt_db_result_value(res, 0, 3), "t") == 0) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such resource.");
    return;
  }
  if (foreign) {
    char detail[96];
    snprintf(detail, sizeof(detail), "Only its own participant or an organizer can change this %s.",
             ctx->kind->singular);
    rt_http_respond_problem(call->req, 403, "Forbidden", detail);
    return;
  }
  char detail[160];
  const char *from = rt_db_result_value(res, 0, 1);
  if (ctx->in.status && strcmp(ctx->in.status, from) != 0)
    snprintf(detail, sizeof(detail), "The %s is %s; %s cannot make it %s.", ctx->kind->singular,
             from, owner ? "its owner" : "an organizer", ctx->in.status);
  else
    snprintf(detail, sizeof(detail), "The %s is %s and can no longer be changed.",
             ctx->kind->singular, from);
  rt_http_respond_problem(call->req, 409, "Conflict", detail);
}

/* Sends the UPDATE for ctx->in: owner check, allowed status move, frozen when withdrawn. */
static void send_change(posting_ctx_t *ctx, int64_t id) {
  rt_api_call_t *call = ctx->call;
  const rt_posting_kind_t *kind = ctx->kind;
  rt_arena_t *arena = &call->req->arena;
  int owner = call->who.role == kind->owner_role;
  const char *params[LEAD + MAX_FIELDS];
  int n = 0;
  params[n++] = rt__id_text(call, id);
  params[n++] = owner ? rt__id_text(call, call->who.participant_id) : NULL;
  params[n++] = ctx->in.status;
  rt_buf_t set, moves;
  rt_buf_init(&set, 8192);
  rt_buf_init(&moves, 4096);
  int rc = rt_buf_puts(&set, "updated_at = now(), status = coalesce($3, x.status)");
  int only_status = 1;
  for (size_t i = 0; i < kind->nfields && !rc; i++) {
    if (!ctx->in.given[i])
      continue;
    only_status = 0;
    const rt_posting_field_t *f = &kind->fields[i];
    params[n++] = ctx->in.values[i];
    if (f->fallback)
      rc = rt_buf_printf(&set, ", %s = coalesce($%d%s, %s)", f->column, n, f->cast, f->fallback);
    else
      rc = rt_buf_printf(&set, ", %s = $%d%s", f->column, n, f->cast);
  }
  rc = rc ? rc : rt_buf_puts(&moves, "('', '')");
  for (size_t i = 0; i < kind->nmoves && !rc; i++)
    if (!owner || kind->moves[i].owner_may)
      rc = rt_buf_printf(&moves, ", ('%s', '%s')", kind->moves[i].from, kind->moves[i].to);
  /* A withdrawn posting is frozen, except that withdrawing it again changes nothing. */
  char *sql =
      rc ? NULL
         : rt_arena_printf(arena,
                           "WITH cur AS (SELECT participant_id, status, %s AS private FROM %s"
                           " WHERE id = $1 FOR UPDATE),"
                           " upd AS (UPDATE %s x SET %s FROM cur WHERE x.id = $1"
                           " AND ($2::bigint IS NULL OR cur.participant_id = $2)"
                           " AND (cur.status <> '%s' OR (%d = 1 AND $3 = '%s'))"
                           " AND ($3::text IS NULL OR $3 = cur.status OR (cur.status, $3) IN (%s))"
                           " RETURNING %s)"
                           " SELECT participant_id, status, (SELECT * FROM upd), private FROM cur",
                           kind->private_sql ? kind->private_sql : "false", kind->table,
                           kind->table, set.data, kind->withdrawn, only_status, kind->withdrawn,
                           moves.data, kind->json_sql);
  rt_buf_free(&set);
  rt_buf_free(&moves);
  rc = sql ? rt__api_write(call, sql, n, params, on_changed, ctx) : RT_ENOMEM;
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

static void patch_ready(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  posting_ctx_t *ctx = ctx_new(call, kind);
  if (!ctx)
    return;
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  int bad = decode(call, kind, body, 0, &errs, &ctx->in);
  if (ctx->in.status)
    ctx->in.status = rt_arena_strdup(&call->req->arena, ctx->in.status);
  json_decref(body);
  if (bad) {
    refuse(call, &errs, kind);
    return;
  }
  send_change(ctx, id);
}

void rt__postings_patch(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  with_reference(call, kind, patch_ready);
}

void rt__postings_withdraw(rt_api_call_t *call, const rt_posting_kind_t *kind) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  posting_ctx_t *ctx = ctx_new(call, kind);
  if (!ctx)
    return;
  ctx->in.status = kind->withdrawn;
  send_change(ctx, id);
}

/* ---- bulk import ---- */

int rt__postings_import_row(rt_api_call_t *call, const rt_posting_kind_t *kind, json_t *row,
                            int64_t roundtable_id, rt_field_errors_t *errs, json_t *rows) {
  json_t *given = json_object_get(row, "roundtable_id");
  if (given && !(json_is_string(given) && rt__parse_id(json_string_value(given)) == roundtable_id))
    rt__field_error(errs, "roundtable_id", "must be left out or be this roundtable");
  if (json_object_set_new(row, "roundtable_id", json_sprintf("%lld", (long long)roundtable_id)))
    rt__field_error(errs, "", "could not be read");
  posting_input_t in;
  if (decode(call, kind, row, 1, errs, &in) || rt__field_errors_any(errs))
    return -1;
  json_t *out = json_object();
  if (!out)
    return -1;
  json_object_set_new(out, "participant_id", json_sprintf("%lld", (long long)in.participant_id));
  for (size_t i = 0; i < kind->nfields; i++)
    if (in.values[i])
      json_object_set_new(out, kind->fields[i].column, json_string(in.values[i]));
  return json_array_append_new(rows, out) ? -1 : 0;
}

char *rt__postings_import_sql(rt_arena_t *arena, const rt_posting_kind_t *kind) {
  rt_buf_t cols, vals, types;
  rt_buf_init(&cols, 4096);
  rt_buf_init(&vals, 4096);
  rt_buf_init(&types, 4096);
  int rc = rt_buf_puts(&cols, "roundtable_id, participant_id, status");
  if (!rc)
    rc = rt_buf_printf(&vals, "$1::bigint, r.participant_id::bigint, '%s'", kind->statuses[0]);
  if (!rc)
    rc = rt_buf_puts(&types, "participant_id text");
  for (size_t i = 0; i < kind->nfields && !rc; i++) {
    const rt_posting_field_t *f = &kind->fields[i];
    rc = rt_buf_printf(&cols, ", %s", f->column);
    if (!rc)
      rc = rt_buf_printf(&types, ", %s text", f->column);
    if (!rc && f->fallback)
      rc = rt_buf_printf(&vals, ", coalesce(r.%s%s, %s)", f->column, f->cast, f->fallback);
    else if (!rc)
      rc = rt_buf_printf(&vals, ", r.%s%s", f->column, f->cast);
  }
  char *sql =
      rc ? NULL
         : rt_arena_printf(
               arena,
               "WITH rt AS (SELECT status FROM roundtables WHERE id = $1::bigint FOR SHARE),"
               " ins AS (INSERT INTO %s (%s) SELECT %s FROM rt,"
               " json_to_recordset($2::json) AS r(%s)"
               " WHERE rt.status <> 'closed' RETURNING 1)"
               " SELECT (SELECT status FROM rt),"
               " CASE WHEN (SELECT status FROM rt) <> 'closed'"
               " THEN (SELECT count(*) FROM ins) END",
               kind->table, cols.data, vals.data, types.data);
  rt_buf_free(&cols);
  rt_buf_free(&vals);
  rt_buf_free(&types);
  return sql;
}

char *rt__postings_import_blame_sql(rt_arena_t *arena, const rt_posting_kind_t *kind, int limit) {
  return rt_arena_printf(arena,
                         "SELECT r.n, p.kind FROM json_array_elements($1::json) WITH ORDINALITY"
                         " AS r(v, n) LEFT JOIN participants p"
                         " ON p.id = (r.v->>'participant_id')::bigint"
                         " WHERE p.id IS NULL OR p.kind NOT IN (%s) ORDER BY r.n LIMIT %d",
                         kind->poster_kinds_sql, limit);
}
