#include "reference.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "roundtable/log.h"

static _Atomic(rt_reference_t *) current;
static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;

/* kind, code, extra, name_en, name_zh; themes in taxonomy order, the rest by code. */
static const char load_sql[] =
    "SELECT 0, code, parent, name_en, name_zh, sort FROM themes"
    " UNION ALL SELECT 1, code, NULL, name_en, name_zh, 0 FROM languages"
    " UNION ALL SELECT 2, code, NULL, name_en, name_zh, 0 FROM regions"
    " UNION ALL SELECT 3, code::text, region, name_en, name_zh, 0 FROM countries"
    " ORDER BY 1, 6, 2";

static const char *const kind_names[] = {"theme", "language", "region", "country"};

const rt_reference_t *rt__reference(void) { return atomic_load(&current); }

static void reference_destroy(rt_reference_t *ref) {
  if (!ref)
    return;
  for (int k = 0; k < RT_REF_KIND_COUNT; k++)
    free(ref->entries[k]);
  free(ref->all_themes);
  free(ref->themes_json);
  free(ref);
}

void rt__reference_free(void) { reference_destroy(atomic_exchange(&current, NULL)); }

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const rt_ref_entry_t *)a)->code, ((const rt_ref_entry_t *)b)->code);
}

/* Every string lives in one block after the reference struct's arrays: the rows'
 * text is copied into `strings`, which is kept for the process's life. */
static char *copy(char **cursor, const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  char *p = *cursor;
  memcpy(p, s, n);
  *cursor += n;
  return p;
}

static rt_reference_t *reference_build(const rt_ref_row_t *rows, size_t nrows) {
  size_t text = 0;
  for (size_t r = 0; r < nrows; r++) {
    const char *cols[] = {rows[r].code, rows[r].extra, rows[r].name_en, rows[r].name_zh};
    for (int c = 0; c < 4; c++)
      text += (cols[c] ? strlen(cols[c]) : 0) + 1;
  }
  rt_reference_t *ref = calloc(1, sizeof(*ref) + text);
  if (!ref)
    return NULL;
  char *cursor = (char *)(ref + 1);
  size_t counts[RT_REF_KIND_COUNT] = {0};
  for (size_t r = 0; r < nrows; r++) {
    int k = rows[r].kind;
    if (k >= 0 && k < RT_REF_KIND_COUNT)
      counts[k]++;
  }
  ref->all_themes = calloc(counts[RT_REF_THEME] + 1, sizeof(rt_ref_entry_t));
  for (int k = 0; k < RT_REF_KIND_COUNT; k++)
    ref->entries[k] = calloc(counts[k] + 1, sizeof(rt_ref_entry_t));
  for (int k = 0; k < RT_REF_KIND_COUNT; k++) {
    if (!ref->entries[k] || !ref->all_themes) {
      reference_destroy(ref);
      return NULL;
    }
  }
  json_t *themes = json_array();
  for (size_t r = 0; r < nrows; r++) {
    int k = rows[r].kind;
    if (k < 0 || k >= RT_REF_KIND_COUNT || !rows[r].code || !rows[r].name_en || !rows[r].name_zh)
      continue;
    rt_ref_entry_t e = {
        .code = copy(&cursor, rows[r].code),
        .extra = copy(&cursor, rows[r].extra),
        .name_en = copy(&cursor, rows[r].name_en),
        .name_zh = copy(&cursor, rows[r].name_zh),
    };
    if (k == RT_REF_THEME) {
      ref->all_themes[ref->all_themes_count++] = e;
      json_array_append_new(themes, json_pack("{s:s, s:s?, s:{s:s, s:s}}", "code", e.code, "parent",
                                              e.extra, "name", "en", e.name_en, "zh", e.name_zh));
      if (!e.extra)
        continue; /* parents are not valid codes for a need or an offer */
    } else if (k == RT_REF_COUNTRY && !e.extra) {
      continue; /* every country is in a region: validators rely on it */
    }
    ref->entries[k][ref->count[k]++] = e;
  }
  for (int k = 0; k < RT_REF_KIND_COUNT; k++)
    qsort(ref->entries[k], ref->count[k], sizeof(rt_ref_entry_t), cmp_entry);
  json_t *body = json_pack("{s:o, s:n}", "items", themes, "next_cursor");
  ref->themes_json = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (!ref->themes_json || ref->count[RT_REF_THEME] == 0) {
    reference_destroy(ref);
    return NULL;
  }
  ref->themes_json_len = strlen(ref->themes_json);
  return ref;
}

int rt__reference_adopt_rows(const rt_ref_row_t *rows, size_t nrows) {
  if (atomic_load(&current))
    return 0;
  rt_reference_t *ref = reference_build(rows, nrows);
  if (!ref)
    return RT_EINVAL;
  /* Two threads may load at once; the first to publish wins. */
  pthread_mutex_lock(&publish_lock);
  if (!atomic_load(&current)) {
    atomic_store(&current, ref);
    ref = NULL;
  }
  pthread_mutex_unlock(&publish_lock);
  reference_destroy(ref);
  return 0;
}

/* Builds and publishes the data from the rows of load_sql, through the same path as any
 * other table of rows; 0, or RT_EINVAL when they hold no themes (the database needs
 * migrating) or memory ran out. */
static int reference_adopt(const rt_db_result_t *res) {
  if (atomic_load(&current))
    return 0;
  int n = rt_db_result_rows(res);
  rt_ref_row_t *rows = calloc((size_t)n + 1, sizeof(*rows));
  if (!rows)
    return RT_EINVAL;
  for (int r = 0; r < n; r++) {
    rows[r] = (rt_ref_row_t){
        .kind = rt_db_result_value(res, r, 0) ? atoi(rt_db_result_value(res, r, 0)) : -1,
        .code = rt_db_result_value(res, r, 1),
        .extra = rt_db_result_value(res, r, 2),
        .name_en = rt_db_result_value(res, r, 3),
        .name_zh = rt_db_result_value(res, r, 4),
    };
  }
  int rc = rt__reference_adopt_rows(rows, (size_t)n);
  free(rows);
  return rc;
}

typedef struct load_ctx {
  rt_api_call_t *call;
  void (*next)(rt_api_call_t *call);
} load_ctx_t;

static void on_loaded(int status, const rt_db_result_t *res, void *data) {
  load_ctx_t *ctx = data;
  if (status) {
    rt__api_db_failed(ctx->call->req, status, res);
    return;
  }
  if (reference_adopt(res)) {
    RT_LOG(RT_LOG_ERROR, ctx->call->req->id,
           "reference data could not be loaded: "
           "out of memory or no themes (run migrate)");
    rt_http_respond_problem(ctx->call->req, 500, "Internal Server Error",
                            "Reference data is missing; the database needs migrating.");
    return;
  }
  ctx->next(ctx->call);
}

void rt__reference_ready(rt_api_call_t *call, void (*next)(rt_api_call_t *call)) {
  if (atomic_load(&current)) {
    next(call);
    return;
  }
  load_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  ctx->call = call;
  ctx->next = next;
  int rc = rt_db_exec(rt__api_pool(call), load_sql, 0, NULL, on_loaded, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

typedef struct pool_load_ctx {
  void (*done)(int status, void *data);
  void *data;
} pool_load_ctx_t;

static void on_pool_loaded(int status, const rt_db_result_t *res, void *data) {
  pool_load_ctx_t ctx = *(pool_load_ctx_t *)data;
  free(data);
  ctx.done(status ? status : reference_adopt(res), ctx.data);
}

int rt__reference_load(rt_db_pool_t *pool, void (*done)(int status, void *data), void *data) {
  if (atomic_load(&current)) {
    done(0, data);
    return 0;
  }
  pool_load_ctx_t *ctx = malloc(sizeof(*ctx));
  if (!ctx)
    return RT_ENOMEM;
  ctx->done = done;
  ctx->data = data;
  int rc = rt_db_exec(pool, load_sql, 0, NULL, on_pool_loaded, ctx);
  if (rc)
    free(ctx);
  return rc;
}

const rt_ref_entry_t *rt__ref_find(rt_ref_kind_t kind, const char *code) {
  const rt_reference_t *ref = rt__reference();
  if (!ref)
    return NULL;
  rt_ref_entry_t key = {.code = code};
  return bsearch(&key, ref->entries[kind], ref->count[kind], sizeof(rt_ref_entry_t), cmp_entry);
}

const rt_ref_entry_t *rt__ref_find_any_theme(const char *code) {
  const rt_reference_t *ref = rt__reference();
  if (!ref)
    return NULL;
  for (size_t i = 0; i < ref->all_themes_count; i++)
    if (strcmp(ref->all_themes[i].code, code) == 0)
      return &ref->all_themes[i];
  return NULL;
}

int rt__ref_theme_set(rt_arena_t *arena, const char *theme, const char **out) {
  *out = NULL;
  if (!rt__ref_find_any_theme(theme))
    return 0;
  const rt_reference_t *ref = rt__reference();
  rt_buf_t arr;
  rt_buf_init(&arr, 4096);
  int rc = rt_buf_puts(&arr, "{");
  int first = 1;
  for (size_t i = 0; i < ref->all_themes_count && !rc; i++) {
    const rt_ref_entry_t *c = &ref->all_themes[i];
    if (!c->extra || (strcmp(c->code, theme) != 0 && strcmp(c->extra, theme) != 0))
      continue;
    rc = rt_buf_printf(&arr, "%s%s", first ? "" : ",", c->code);
    first = 0;
  }
  if (!rc)
    rc = rt_buf_puts(&arr, "}");
  if (!rc && !(*out = rt_arena_strdup(arena, arr.data)))
    rc = RT_ENOMEM;
  rt_buf_free(&arr);
  return rc;
}

int rt__v_code(json_t *obj, const char *key, const char *field, int required, rt_ref_kind_t kind,
               rt_field_errors_t *errs, const char **out) {
  json_t *v = json_object_get(obj, key);
  if (!v || (json_is_null(v) && !required)) {
    if (required) {
      rt__field_error(errs, field, "is required");
      return -1;
    }
    return 0;
  }
  if (!json_is_string(v) || !rt__ref_find(kind, json_string_value(v))) {
    rt__field_error(errs, field, "is not a known %s code", kind_names[kind]);
    return -1;
  }
  *out = json_string_value(v);
  return 1;
}

int rt__v_codes(json_t *obj, const char *key, const char *field, int required, size_t min,
                size_t max, rt_ref_kind_t kind, rt_field_errors_t *errs, const char **out,
                rt_arena_t *arena) {
  json_t *v = json_object_get(obj, key);
  if (!v || (json_is_null(v) && !required)) {
    if (required) {
      rt__field_error(errs, field, "is required");
      return -1;
    }
    return 0;
  }
  if (!json_is_array(v)) {
    rt__field_error(errs, field, "must be an array of %s codes", kind_names[kind]);
    return -1;
  }
  size_t n = json_array_size(v);
  if (n < min || n > max) {
    if (min && n == 0)
      rt__field_error(errs, field, "must name at least %zu %s", min, kind_names[kind]);
    else
      rt__field_error(errs, field, "must hold %zu to %zu codes", min, max);
    return -1;
  }
  int ok = 1;
  size_t total = 3;
  for (size_t i = 0; i < n; i++) {
    json_t *item = json_array_get(v, i);
    char where[96];
    snprintf(where, sizeof(where), "%s[%zu]", field, i);
    if (!json_is_string(item) || !rt__ref_find(kind, json_string_value(item))) {
      if (kind == RT_REF_THEME && json_is_string(item) &&
          rt__ref_find_any_theme(json_string_value(item)))
        rt__field_error(errs, where, "is a theme group; name one of its themes (\"%s.…\")",
                        json_string_value(item));
      else
        rt__field_error(errs, where, "is not a known %s code", kind_names[kind]);
      ok = 0;
      continue;
    }
    for (size_t j = 0; j < i; j++) {
      if (json_equal(item, json_array_get(v, j))) {
        rt__field_error(errs, where, "repeats %s", json_string_value(item));
        ok = 0;
        break;
      }
    }
    total += strlen(json_string_value(item)) + 1;
  }
  if (!ok)
    return -1;
  char *lit = rt_arena_alloc(arena, total);
  if (!lit) {
    rt__field_error(errs, field, "could not be read");
    return -1;
  }
  /* Known codes hold only letters, digits, '_' and '.', so no quoting is needed. */
  size_t o = 0;
  lit[o++] = '{';
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(v, i));
    if (i)
      lit[o++] = ',';
    memcpy(lit + o, s, strlen(s));
    o += strlen(s);
  }
  lit[o++] = '}';
  lit[o] = '\0';
  *out = lit;
  return 1;
}

static void themes_respond(rt_api_call_t *call) {
  const rt_reference_t *ref = rt__reference();
  rt_http_respond(call->req, 200, "application/json", ref->themes_json, ref->themes_json_len);
}

void rt__themes_list(rt_api_call_t *call) { rt__reference_ready(call, themes_respond); }
