/* Decoding request bodies and building problem+json with field errors (jansson). */
#ifndef ROUNDTABLE_API_JSON_H
#define ROUNDTABLE_API_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "roundtable/error.h"
#include "roundtable/http.h"

/* Deepest nesting of arrays and objects a request body may have. */
#define RT_JSON_MAX_DEPTH 32
/* Longest string (bytes, after unescaping; keys included) and longest array of a request
 * body. Bulk imports (a JSON array of rows) are parsed by import.c with their own bounds. */
#define RT_JSON_MAX_STRING (64 * 1024)
#define RT_JSON_MAX_ARRAY 10000

typedef enum rt_json_status {
  RT_JSON_OK = 0,
  RT_JSON_MALFORMED,  /* not JSON, invalid UTF-8, NUL in a string, duplicate key */
  RT_JSON_TOO_DEEP,   /* nesting beyond RT_JSON_MAX_DEPTH */
  RT_JSON_NOT_OBJECT, /* valid JSON, but the top level is not an object */
  RT_JSON_TOO_LONG    /* a string or an array beyond RT_JSON_MAX_STRING / _ARRAY */
} rt_json_status_t;

/* Decodes body[0..len) strictly: duplicate keys, NUL in strings and invalid UTF-8 are
 * refused. On RT_JSON_OK *out is a new reference to an object; otherwise *out is NULL
 * and detail (size detaillen) says what is wrong, with the position. */
rt_json_status_t rt__json_decode(const char *body, size_t len, json_t **out, char *detail,
                                 size_t detaillen);

/* Responds 400 for a body that rt__json_decode refused; for RT_JSON_TOO_LONG with the
 * offending field in errors ({"field": "themes", "message": ...}). */
void rt__json_respond_refused(rt_http_request_t *req, rt_json_status_t status, const char *detail);

/* Field-level validation errors, collected and then answered as one 422. */
typedef struct rt_field_errors_s {
  json_t *list; /* [{"field","message"}], created on the first error */
} rt_field_errors_t;

/* Adds {"field": field, "message": printf(fmt, ...)}. */
void rt__field_error(rt_field_errors_t *errs, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int rt__field_errors_any(const rt_field_errors_t *errs) { return errs->list != NULL; }
/* Responds with problem+json: status, title, detail and the errors (stolen, may be NULL). */
void rt__problem_with_errors(rt_http_request_t *req, int status, const char *title,
                             const char *detail, rt_field_errors_t *errs);

/* Serialises a JSON value (borrowed) as the response body. */
void rt__json_respond(rt_http_request_t *req, int status, const json_t *value);

#endif
