/* Needs and offers share one shape — a posting by a participant to a roundtable, with
 * themes, languages, modality, a window and a status — and so one engine: each is a
 * table of fields (posting_kind_t) that drives decoding, validation, INSERT, UPDATE,
 * filters and ownership. needs.c and offers.c hold the tables. */
#ifndef ROUNDTABLE_API_POSTINGS_H
#define ROUNDTABLE_API_POSTINGS_H

#include "reference.h"
#include "resource.h"

typedef enum rt_pf_type {
  RT_PF_TEXT,  /* string of min..max characters */
  RT_PF_ENUM,  /* one of values */
  RT_PF_CODES, /* array of ref codes, min..max entries */
  RT_PF_DATE,  /* YYYY-MM-DD */
  RT_PF_MONEY, /* non-negative amount */
  RT_PF_INT,   /* whole number in min..max */
} rt_pf_type_t;

typedef struct rt_posting_field_s {
  const char *key;    /* JSON name; "window.start" for the nested window */
  const char *column; /* SQL column */
  rt_pf_type_t type;
  int required;              /* on create */
  long long min, max;        /* characters, entries or value */
  const char *const *values; /* RT_PF_ENUM */
  rt_ref_kind_t ref;         /* RT_PF_CODES */
  const char *cast;          /* SQL cast for the text parameter, e.g. "::date" */
  const char *fallback;      /* SQL default on create when absent, e.g. "'{}'" (NULL: NULL) */
  int clearable;             /* PATCH may set it to null */
} rt_posting_field_t;

/* A status change the owner may make (from -> to); staff may make any listed change. */
typedef struct rt_posting_move_s {
  const char *from;
  const char *to;
  int owner_may;
} rt_posting_move_t;

typedef struct rt_posting_kind_s {
  const char *table;            /* "needs" */
  const char *singular;         /* "need" */
  const char *json_sql;         /* SELECT expression rendering row alias x as JSON text */
  rt_role_t owner_role;         /* RT_ROLE_STATE posts needs, RT_ROLE_PROVIDER offers */
  const char *poster_kinds_sql; /* participant kinds that may post it: "'state'" */
  const char *poster_name;      /* the same in words: "a state" */
  const rt_posting_field_t *fields;
  size_t nfields;
  const char *const *statuses; /* NULL-terminated; the first is the initial status */
  const rt_posting_move_t *moves;
  size_t nmoves;
  const char *withdrawn; /* the status DELETE sets */
  /* The region filter on x: SQL before and after the region's parameter number. */
  const char *region_filter[2];
  const char *const *extra_enum_filters; /* more query names equal to an enum column */
  /* Optional: a header of the answer to a POST, and its value as SQL on row alias x. */
  const char *created_header, *created_header_sql;
  /* Optional: who may see a posting (needs: rt__need_visible_sql); NULL: everyone signed in.
   * Reads leave out what the caller may not see; one by one it is 404. */
  const char *(*visible_sql)(rt_api_call_t *call, const char *a, const char **params, int *n);
  /* Optional: SQL on the unaliased row, true when a caller of the owner's role that does not own
   * it must not learn that it exists (a change answers 404 rather than 403). */
  const char *private_sql;
} rt_posting_kind_t;

extern const rt_posting_kind_t rt__need_kind;
extern const rt_posting_kind_t rt__offer_kind;

/* Bulk import, one row at a time (any thread; the reference data must be loaded): checks
 * row as a new posting of kind for roundtable_id by a staff caller, with the very decoder
 * the API uses. Valid: appends {column: text} to rows and returns 0. Invalid: the
 * errors go to errs and it returns -1. */
int rt__postings_import_row(rt_api_call_t *call, const rt_posting_kind_t *kind, json_t *row,
                            int64_t roundtable_id, rt_field_errors_t *errs, json_t *rows);
/* The statement that inserts the rows of rt__postings_import_row: $1 the roundtable id,
 * $2 the JSON array of rows. It returns (roundtable status or NULL, rows inserted or
 * NULL when the roundtable is closed). */
char *rt__postings_import_sql(rt_arena_t *arena, const rt_posting_kind_t *kind);
/* After that statement failed on a participant (unknown, or of a kind that may not post
 * this): $1 the same JSON array; returns (row number, the participant's kind or NULL) for
 * the rows at fault, at most limit of them. */
char *rt__postings_import_blame_sql(rt_arena_t *arena, const rt_posting_kind_t *kind, int limit);

void rt__postings_create(rt_api_call_t *call, const rt_posting_kind_t *kind);
void rt__postings_get(rt_api_call_t *call, const rt_posting_kind_t *kind);
void rt__postings_list(rt_api_call_t *call, const rt_posting_kind_t *kind);
void rt__postings_patch(rt_api_call_t *call, const rt_posting_kind_t *kind);
void rt__postings_withdraw(rt_api_call_t *call, const rt_posting_kind_t *kind);

#endif
