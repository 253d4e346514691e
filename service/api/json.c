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

/* The bounds on strings and arrays, walked after parsing. path (size RT__PATH_MAX) names
 * the value being looked at ("window.start", "themes[3]"); on a refusal it names the
 * offender and detail says what is wrong. */
#define RT__PATH_MAX 160
static void path_append(char *path, size_t at, const char *key, size_t index) {
  char piece[RT__PATH_MAX];
  if (key) {
    /* A key may hold anything; the separator of the refusal must not appear in it. */
    size_t n = 0;
    for (const char *k = key; *k && n + 1 < sizeof(piece); k++)
      piece[n++] = (unsigned char)*k < 0x20 ? '?' : *k;
    piece[n] = '\0';
    snprintf(path + at, RT__PATH_MAX - at, at ? ".%s" : "%s", piece);
  } else {
    snprintf(path + at, RT__PATH_MAX - at, "[%zu]", index);
  }
}

static int too_long(const json_t *v, char *path, char *detail, size_t detaillen) {
  size_t at = strlen(path);
  if (json_is_string(v) && json_string_length(v) > RT_JSON_MAX_STRING) {
    snprintf(detail, detaillen, "%s\x1fis longer than %d bytes", path[0] ? path : "(body)",
             RT_JSON_MAX_STRING);
    return 1;
  }
  if (json_is_array(v)) {
    if (json_array_size(v) > RT_JSON_MAX_ARRAY) {
      snprintf(detail, detaillen, "%s\x1fhas more than %d elements", path[0] ? path : "(body)",
               RT_JSON_MAX_ARRAY);
      return 1;
    }
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item) {
      path_append(path, at, NULL, i);
      if (too_long(item, path, detail, detaillen))
        return 1;
      path[at] = '\0';
    }
  } else if (json_is_object(v)) {
    const char *key;
    const json_t *item;
    json_object_foreach((json_t *)v, key, item) {
      path_append(path, at, key, 0);
      if (strlen(key) > RT_JSON_MAX_STRING) {
        snprintf(detail, detaillen, "%s\x1fis a key longer than %d bytes", path,
                 RT_JSON_MAX_STRING);
        return 1;
      }
      if (too_long(item, path, detail, detaillen))
        return 1;
      path[at] = '\0';
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
  char path[RT__PATH_MAX] = "";
  if (too_long(v, path, detail, detaillen)) {
    json_decref(v);
    return RT_JSON_TOO_LONG;
  }
  *out = v;
  return RT_JSON_OK;
}

void rt__json_respond_refused(rt_http_request_t *req, rt_json_status_t status, const char *detail) {
  const char *sep = status == RT_JSON_TOO_LONG ? strchr(detail, '\x1f') : NULL;
  if (!sep) {
    rt_http_respond_problem(req, 400, "Bad Request", detail);
    return;
  }
  char field[RT__PATH_MAX];
  size_t n = (size_t)(sep - detail) < sizeof(field) ? (size_t)(sep - detail) : sizeof(field) - 1;
  memcpy(field, detail, n);
  field[n] = '\0';
  rt_field_errors_t errs = {0};
  rt__field_error(&errs, field, "%s", sep + 1);
  char text[300];
  snprintf(text, sizeof(text), "A value in the body is over a size limit: %s %s.", field, sep + 1);
  rt__problem_with_errors(req, 400, "Bad Request", text, &errs);
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
