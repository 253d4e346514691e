/* Reference data from the migrations (themes, regions, countries, languages), read
 * once per process and then shared read-only by every thread. It changes only with a
 * migration, which comes with a restart, so the copy can never contradict the
 * database. Also the validators for fields holding these codes. */
#ifndef ROUNDTABLE_API_REFERENCE_H
#define ROUNDTABLE_API_REFERENCE_H

#include <jansson.h>
#include <stddef.h>

#include "api_internal.h"
#include "json.h"

typedef enum rt_ref_kind {
  RT_REF_THEME = 0, /* child themes only: needs and offers name children */
  RT_REF_LANGUAGE,
  RT_REF_REGION,
  RT_REF_COUNTRY,
  RT_REF_KIND_COUNT
} rt_ref_kind_t;

typedef struct rt_ref_entry_s {
  const char *code;
  const char *extra; /* theme: its parent (NULL for a parent); country: its region */
  const char *name_en;
  const char *name_zh;
} rt_ref_entry_t;

typedef struct rt_reference_s {
  rt_ref_entry_t *entries[RT_REF_KIND_COUNT]; /* each sorted by code */
  size_t count[RT_REF_KIND_COUNT];
  rt_ref_entry_t *all_themes; /* parents and children in taxonomy order, for GET /themes */
  size_t all_themes_count;
  char *themes_json; /* the GET /themes body */
  size_t themes_json_len;
} rt_reference_t;

/* Makes sure the reference data is loaded, then runs next(call) — at once when it is,
 * after one query otherwise; answers 503 itself when the database cannot be read. */
void rt__reference_ready(rt_api_call_t *call, void (*next)(rt_api_call_t *call));
/* The same without a request (the command line): loads the data on pool unless it is loaded,
 * then calls done(0 or a negative code, data) -- at once when it is loaded. Fails at once like
 * rt_db_exec (done is then not called). */
int rt__reference_load(rt_db_pool_t *pool, void (*done)(int status, void *data), void *data) RT_WUR;
/* The loaded data; only valid inside a continuation of rt__reference_ready. */
const rt_reference_t *rt__reference(void);
/* One row of reference data (borrowed strings): what load_sql reads from the migrations' tables.
 * extra is a theme's parent (NULL for a parent) or a country's region. */
typedef struct rt_ref_row_s {
  int kind; /* rt_ref_kind_t */
  const char *code;
  const char *extra;
  const char *name_en;
  const char *name_zh;
} rt_ref_row_t;
/* Builds and publishes the data from rows (copied) unless some is published already: the one
 * path the database's rows take too, open to a caller that has its rows in memory (the
 * fuzzers, which have no database). 0, or RT_EINVAL when there are no child themes or memory
 * ran out. */
int rt__reference_adopt_rows(const rt_ref_row_t *rows, size_t nrows) RT_WUR;
/* Frees the data at process exit. */
void rt__reference_free(void);

const rt_ref_entry_t *rt__ref_find(rt_ref_kind_t kind, const char *code);
/* A theme code or a parent code (for filters: "a parent matches its children"). */
const rt_ref_entry_t *rt__ref_find_any_theme(const char *code);
/* The themes a theme or a theme group covers (a group: every theme in it), as a PostgreSQL
 * array literal in arena: *out, or NULL when the code is neither; RT_ENOMEM or 0. */
int rt__ref_theme_set(rt_arena_t *arena, const char *theme, const char **out) RT_WUR;

/* Validates an array of codes of one kind (each known, no repeats, count within
 * [min, max]); out receives a PostgreSQL array literal such as {en,fr}. Same return
 * convention as the validators in input.h. */
int rt__v_codes(json_t *obj, const char *key, const char *field, int required, size_t min,
                size_t max, rt_ref_kind_t kind, rt_field_errors_t *errs, const char **out,
                rt_arena_t *arena);
/* A single code of one kind. */
int rt__v_code(json_t *obj, const char *key, const char *field, int required, rt_ref_kind_t kind,
               rt_field_errors_t *errs, const char **out);

/* GET /themes. */
void rt__themes_list(rt_api_call_t *call);

#endif
