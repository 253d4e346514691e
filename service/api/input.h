/* Reading a call's input: the JSON body, query parameters, cursors; and the field
 * validators every resource decoder uses, which collect field-level errors. */
#ifndef ROUNDTABLE_API_INPUT_H
#define ROUNDTABLE_API_INPUT_H

#include <jansson.h>
#include <stdint.h>

#include "api_internal.h"
#include "json.h"

/* The request body as a JSON object (new reference), or NULL after answering 415 (not
 * application/json) or 400 (malformed, not an object, too deep). */
json_t *rt__input_body(rt_api_call_t *call);

/* Query parameters, percent-decoded ('+' as space), in the request arena. */
typedef struct rt_query_s {
  const char *keys[32];
  const char *values[32];
  int count;
} rt_query_t;

/* Parses the query string; only names in `allowed` (NULL-terminated) are accepted.
 * Returns 0, or answers 400 (unknown or repeated parameter, bad escape) and returns -1. */
int rt__input_query(rt_api_call_t *call, const char *const *allowed, rt_query_t *out);
const char *rt__query_get(const rt_query_t *q, const char *key);

/* Keyset pagination: limit (1..500, default 50) and an opaque cursor holding the last
 * id seen. Returns 0, or answers 400 and returns -1. */
typedef struct rt_page_s {
  int limit;
  int64_t after; /* 0: from the start */
} rt_page_t;
int rt__input_page(rt_api_call_t *call, const rt_query_t *q, rt_page_t *page);
/* Writes the cursor for "after this id" into out (at least 24 bytes). */
void rt__cursor_encode(int64_t id, char *out, size_t outlen);
int rt__cursor_decode(const char *s, int64_t *id);

/* Keyset pagination in an order other than by id: the cursor holds a tag naming the order,
 * the last row's sort key (an opaque 64-bit value) and its id, so that a cursor of one order
 * is refused by another. Returns 0, or answers 400 and returns -1. */
typedef struct rt_keyset_s {
  int limit;
  int has_after; /* 0: from the start */
  uint64_t key;
  int64_t id;
} rt_keyset_t;
int rt__input_keyset(rt_api_call_t *call, const rt_query_t *q, char tag, rt_keyset_t *page);
/* Writes the cursor for "after (key, id)" in the order tag into out (at least 32 bytes). */
void rt__keyset_cursor_encode(char tag, uint64_t key, int64_t id, char *out, size_t outlen);

/* Parses a decimal id ("42") as API paths and bodies carry them; 0 when malformed. */
int64_t rt__parse_id(const char *s);

/* Field validators. Each looks up `key` in obj; `field` names it in errors (e.g.
 * "window.start"). They add an error and return -1 when the value is present but
 * wrong, or absent while required; 0 when absent and optional (out untouched); 1 when
 * present and valid. Strings are trimmed of nothing and kept exactly as sent. */
int rt__v_string(json_t *obj, const char *key, const char *field, int required, size_t min_chars,
                 size_t max_chars, rt_field_errors_t *errs, const char **out);
int rt__v_enum(json_t *obj, const char *key, const char *field, int required,
               const char *const *values, rt_field_errors_t *errs, const char **out);
int rt__v_date(json_t *obj, const char *key, const char *field, int required,
               rt_field_errors_t *errs, const char **out);
int rt__v_int(json_t *obj, const char *key, const char *field, int required, long long min,
              long long max, rt_field_errors_t *errs, long long *out);
/* A non-negative amount with at most two decimals; out is its text for SQL numeric. */
int rt__v_money(json_t *obj, const char *key, const char *field, int required,
                rt_field_errors_t *errs, const char **out, rt_arena_t *arena);
int rt__v_id(json_t *obj, const char *key, const char *field, int required, rt_field_errors_t *errs,
             int64_t *out);
/* Fields that exist in objects of this kind but that the caller may not set. */
void rt__v_forbidden(json_t *obj, const char *const *keys, rt_field_errors_t *errs);
/* Fields not in `known` (NULL-terminated) are refused as unknown. */
void rt__v_unknown(json_t *obj, const char *const *known, rt_field_errors_t *errs);

/* Makes values[0..n) (NULL entries stay NULL) copies in arena, so that what a decoder
 * read outlives the JSON body it borrowed from. On failure adds a field error. */
void rt__own_strings(rt_arena_t *arena, const char **values, size_t n, rt_field_errors_t *errs);

/* Non-zero when s looks like an email address (one '@', a dot in the domain, no spaces). */
int rt__email_ok(const char *s);
/* Non-zero when s is a valid calendar date YYYY-MM-DD. */
int rt__is_date(const char *s);
/* Number of Unicode code points in UTF-8 s. */
size_t rt__utf8_chars(const char *s);
/* Non-zero when s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or code
 * points beyond U+10FFFF), which is all PostgreSQL accepts as text. */
int rt__utf8_valid(const char *s, size_t n);
/* Cuts a UTF-8 sequence that truncation (snprintf into a fixed buffer) left incomplete
 * at the end of s, so that messages quoting the caller's text stay valid UTF-8. */
void rt__utf8_trim(char *s);
/* The length in bytes of the longest prefix of s that has at most max bytes and does not
 * end inside a character: for quoting with "%.*s". */
int rt__utf8_prefix(const char *s, size_t max);

#endif
