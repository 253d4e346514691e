#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Depth of the deepest container below v (a scalar has depth 0). Iterative bound:
 * jansson itself refuses nesting beyond its own parser limit, so recursion here is
 * bounded by that. Stops early once max is exceeded. */
static int depth_exceeds(const json_t *v, int depth, int max) {
  if (depth > max)
    return 1;
  if (json_is_array(v)) {
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item) {
      if ((json_is_array(item) || json_is_object(item)) && depth_exceeds(item, depth + 1, max))
        return 1;
    }
  } else if (json_is_object(v)) {
    const char *key;
    const json_t *item;
    json_object_foreach((json_t *)v, key, item) {
      if ((json_is_array(item) || json_is_object(item)) && depth_exceeds(item, depth + 1, max))
        return 1;
    }
  }
  return 0;
}

rt_json_status_t rt__json_decode(const char *body, size_t len, json_t **out, char *detail,
                                 size_t detaillen) {
  *out = NULL;
  /* A raw NUL byte can never be part of JSON text; jansson would stop reading at it. */
  const char *nul = body ? memchr(body, '\0', len) : NULL;
  if (nul) {
    snprintf(detail, detaillen, "Malformed JSON: NUL byte at offset %zu.", (size_t)(nul - body));
    return RT_JSON_MALFORMED;
  }
  json_error_t err;
  json_t *v = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
  if (!v) {
    snprintf(detail, detaillen, "Malformed JSON at line %d, column %d: %s", err.line, err.column,
             err.text);
    return RT_JSON_MALFORMED;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    snprintf(detail, detaillen, "The request body must be a JSON object.");
    return RT_JSON_NOT_OBJECT;
  }
  if (depth_exceeds(v, 1, RT_JSON_MAX_DEPTH)) {
    json_decref(v);
    snprintf(detail, detaillen, "JSON nesting deeper than %d levels.", RT_JSON_MAX_DEPTH);
    return RT_JSON_TOO_DEEP;
  }
  *out = v;
  return RT_JSON_OK;
}

void rt__json_respond_refused(rt_http_request_t *req, rt_json_status_t status, const char *detail) {
  (void)status;
  rt_http_respond_problem(req, 400, "Bad Request", detail);
}

void rt__field_error(rt_field_errors_t *errs, const char *field, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (!errs->list)
    errs->list = json_array();
  if (!errs->list)
    return;
  json_array_append_new(errs->list, json_pack("{s:s, s:s}", "field", field, "message", msg));
}

void rt__json_respond(rt_http_request_t *req, int status, const json_t *value) {
  char *text = json_dumps(value, JSON_COMPACT | JSON_REAL_PRECISION(15));
  if (!text) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond(req, status, "application/json", text, strlen(text));
  free(text);
}

void rt__problem_with_errors(rt_http_request_t *req, int status, const char *title,
                             const char *detail, rt_field_errors_t *errs) {
  json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title", title, "status",
                        status, "detail", detail);
  if (p && errs->list)
    json_object_set_new(p, "errors", errs->list);
  else if (errs->list)
    json_decref(errs->list);
  errs->list = NULL;
  if (!p) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  char *text = json_dumps(p, JSON_COMPACT);
  json_decref(p);
  if (!text) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond(req, status, "application/problem+json", text, strlen(text));
  free(text);
}
