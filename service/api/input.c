#include "input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

json_t *rt__input_body(rt_api_call_t *call) {
  rt_http_request_t *req = call->req;
  const char *ct = rt_http_header(req, "Content-Type");
  /* application/json, optionally with parameters such as charset=utf-8 */
  size_t n = ct ? strcspn(ct, "; \t") : 0;
  if (!ct || n != 16 || strncasecmp(ct, "application/json", 16) != 0) {
    rt_http_respond_problem(req, 415, "Unsupported Media Type",
                            "The request body must be application/json.");
    return NULL;
  }
  json_t *body = NULL;
  char detail[256];
  rt_json_status_t st = rt__json_decode(req->body, req->body_len, &body, detail, sizeof(detail));
  if (st != RT_JSON_OK) {
    rt__json_respond_refused(req, st, detail);
    return NULL;
  }
  return body;
}

static void bad_request(rt_api_call_t *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void bad_request(rt_api_call_t *call, const char *fmt, ...) {
  char detail[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof(detail), fmt, ap);
  va_end(ap);
  rt__utf8_trim(detail);
  rt_http_respond_problem(call->req, 400, "Bad Request", detail);
}

int rt__input_query(rt_api_call_t *call, const char *const *allowed, rt_query_t *out) {
  rt_http_request_t *req = call->req;
  out->count = 0;
  const char *q = req->query;
  if (!q || !*q)
    return 0;
  while (*q) {
    size_t plen = strcspn(q, "&");
    if (plen) {
      const char *eq = memchr(q, '=', plen);
      size_t klen = eq ? (size_t)(eq - q) : plen;
      char *key = rt__percent_decode(&req->arena, q, klen, 1);
      char *value = eq ? rt__percent_decode(&req->arena, eq + 1, plen - klen - 1, 1)
                       : rt_arena_strdup(&req->arena, "");
      if (!key || !value) {
        bad_request(call, "The query string has a malformed percent-escape.");
        return -1;
      }
      if (!rt__utf8_valid(key, strlen(key)) || !rt__utf8_valid(value, strlen(value))) {
        bad_request(call, "The query string is not valid UTF-8 once percent-decoded.");
        return -1;
      }
      int known = 0;
      for (const char *const *a = allowed; a && *a; a++)
        if (strcmp(*a, key) == 0)
          known = 1;
      if (!known) {
        bad_request(call, "Unknown query parameter \"%s\".", key);
        return -1;
      }
      if (rt__query_get(out, key)) {
        bad_request(call, "The query parameter \"%s\" is given more than once.", key);
        return -1;
      }
      if (out->count == (int)(sizeof(out->keys) / sizeof(out->keys[0]))) {
        bad_request(call, "Too many query parameters.");
        return -1;
      }
      out->keys[out->count] = key;
      out->values[out->count++] = value;
    }
    q += plen;
    if (*q == '&')
      q++;
  }
  return 0;
}

const char *rt__query_get(const rt_query_t *q, const char *key) {
  for (int i = 0; i < q->count; i++)
    if (strcmp(q->keys[i], key) == 0)
      return q->values[i];
  return NULL;
}

int64_t rt__parse_id(const char *s) {
  if (!s || *s < '1' || *s > '9' || strlen(s) > 18)
    return 0;
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9')
      return 0;
  return strtoll(s, NULL, 10);
}

/* Cursors are "c" + the id in base 36: opaque to clients, cheap to check. */
void rt__cursor_encode(int64_t id, char *out, size_t outlen) {
  char tmp[24];
  int n = 0;
  uint64_t v = (uint64_t)id;
  do {
    tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
    v /= 36;
  } while (v);
  size_t o = 0;
  if (outlen < (size_t)n + 2)
    return;
  out[o++] = 'c';
  while (n)
    out[o++] = tmp[--n];
  out[o] = '\0';
}

int rt__cursor_decode(const char *s, int64_t *id) {
  if (s[0] != 'c' || !s[1] || strlen(s) > 14)
    return -1;
  int64_t v = 0;
  for (const char *p = s + 1; *p; p++) {
    int d;
    if (*p >= '0' && *p <= '9')
      d = *p - '0';
    else if (*p >= 'a' && *p <= 'z')
      d = *p - 'a' + 10;
    else
      return -1;
    if (v > (INT64_MAX - d) / 36)
      return -1; /* beyond any id: not one this service issued */
    v = v * 36 + d;
  }
  if (v <= 0)
    return -1;
  *id = v;
  return 0;
}

static int input_limit(rt_api_call_t *call, const rt_query_t *q, int *out) {
  *out = 50;
  const char *limit = rt__query_get(q, "limit");
  if (limit) {
    int64_t v = rt__parse_id(limit);
    if (v < 1 || v > 500) {
      bad_request(call, "limit must be a whole number from 1 to 500, not \"%s\".", limit);
      return -1;
    }
    *out = (int)v;
  }
  return 0;
}

int rt__input_page(rt_api_call_t *call, const rt_query_t *q, rt_page_t *page) {
  page->after = 0;
  if (input_limit(call, q, &page->limit))
    return -1;
  const char *cursor = rt__query_get(q, "cursor");
  if (cursor && rt__cursor_decode(cursor, &page->after)) {
    bad_request(call, "The cursor \"%s\" is not one this service issued.", cursor);
    return -1;
  }
  return 0;
}

static size_t base36(uint64_t v, char *out) {
  char tmp[16];
  size_t n = 0;
  do {
    tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
    v /= 36;
  } while (v);
  for (size_t i = 0; i < n; i++)
    out[i] = tmp[n - 1 - i];
  return n;
}

/* Parses base-36 digits up to end; -1 when empty, malformed or beyond max. */
static int unbase36(const char *s, const char *end, uint64_t max, uint64_t *out) {
  if (s == end || end - s > 13)
    return -1;
  uint64_t v = 0;
  for (const char *p = s; p < end; p++) {
    int d;
    if (*p >= '0' && *p <= '9')
      d = *p - '0';
    else if (*p >= 'a' && *p <= 'z')
      d = *p - 'a' + 10;
    else
      return -1;
    if (v > (max - (uint64_t)d) / 36)
      return -1;
    v = v * 36 + (uint64_t)d;
  }
  *out = v;
  return 0;
}

void rt__keyset_cursor_encode(char tag, uint64_t key, int64_t id, char *out, size_t outlen) {
  char tmp[40];
  size_t n = 0;
  tmp[n++] = tag;
  n += base36(key, tmp + n);
  tmp[n++] = '.';
  n += base36((uint64_t)id, tmp + n);
  tmp[n] = '\0';
  if (outlen > n)
    memcpy(out, tmp, n + 1);
  else if (outlen)
    out[0] = '\0';
}

int rt__input_keyset(rt_api_call_t *call, const rt_query_t *q, char tag, rt_keyset_t *page) {
  page->has_after = 0;
  page->key = 0;
  page->id = 0;
  if (input_limit(call, q, &page->limit))
    return -1;
  const char *cursor = rt__query_get(q, "cursor");
  if (!cursor)
    return 0;
  const char *dot = strchr(cursor, '.');
  uint64_t id = 0;
  if (cursor[0] != tag || !dot || unbase36(cursor + 1, dot, UINT64_MAX, &page->key) ||
      unbase36(dot + 1, dot + strlen(dot), INT64_MAX, &id) || id == 0) {
    bad_request(call, "The cursor \"%.*s\" is not one this service issued for this order.",
                rt__utf8_prefix(cursor, 60), cursor);
    return -1;
  }
  page->id = (int64_t)id;
  page->has_after = 1;
  return 0;
}

size_t rt__utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  return n;
}

int rt__utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end) {
    unsigned c = *p++;
    if (c < 0x80)
      continue;
    int more;
    unsigned min, cp;
    if (c >= 0xC2 && c <= 0xDF)
      more = 1, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
      more = 2, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
      more = 3, min = 0x10000, cp = c & 0x07;
    else
      return 0;
    if (end - p < more)
      return 0;
    for (int i = 0; i < more; i++, p++) {
      if ((*p & 0xC0) != 0x80)
        return 0;
      cp = cp << 6 | (*p & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
  }
  return 1;
}

void rt__utf8_trim(char *s) {
  size_t n = strlen(s), start = n;
  while (start > 0 && n - start < 4 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
    start--;
  if (start > 0 && !rt__utf8_valid(s + start - 1, n - start + 1))
    s[start - 1] = '\0';
}

int rt__utf8_prefix(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  if (s[n]) /* cut: step back to the start of the character that straddles the cut */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  return (int)n;
}

int rt__is_date(const char *s) {
  if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return 0;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
      return 0;
  int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
    return 0;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap);
}

static const char *json_type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
  case JSON_REAL:
    return "a number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "a value";
}

/* Shared start of every validator: 0 absent-optional, -1 error, 1 present. */
static int present(json_t *obj, const char *key, const char *field, int required,
                   rt_field_errors_t *errs, json_t **v) {
  *v = json_object_get(obj, key);
  if (!*v || (json_is_null(*v) && !required)) {
    if (required) {
      rt__field_error(errs, field, "is required");
      return -1;
    }
    return 0;
  }
  return 1;
}

int rt__v_string(json_t *obj, const char *key, const char *field, int required, size_t min_chars,
                 size_t max_chars, rt_field_errors_t *errs, const char **out) {
  json_t *v;
  int rc = present(obj, key, field, required, errs, &v);
  if (rc <= 0)
    return rc;
  if (!json_is_string(v)) {
    rt__field_error(errs, field, "must be a string, not %s", json_type_name(v));
    return -1;
  }
  const char *s = json_string_value(v);
  size_t n = rt__utf8_chars(s);
  size_t lead = strspn(s, " \t\r\n");
  if (min_chars && (n < min_chars || s[lead] == '\0')) {
    rt__field_error(errs, field, "must not be empty");
    return -1;
  }
  if (n > max_chars) {
    rt__field_error(errs, field, "must be at most %zu characters (has %zu)", max_chars, n);
    return -1;
  }
  *out = s;
  return 1;
}

int rt__v_enum(json_t *obj, const char *key, const char *field, int required,
               const char *const *values, rt_field_errors_t *errs, const char **out) {
  json_t *v;
  int rc = present(obj, key, field, required, errs, &v);
  if (rc <= 0)
    return rc;
  if (json_is_string(v)) {
    for (const char *const *p = values; *p; p++) {
      if (strcmp(*p, json_string_value(v)) == 0) {
        *out = *p;
        return 1;
      }
    }
  }
  char list[256] = "";
  for (const char *const *p = values; *p; p++) {
    size_t used = strlen(list);
    snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *p);
  }
  rt__field_error(errs, field, "must be one of: %s", list);
  return -1;
}

int rt__v_date(json_t *obj, const char *key, const char *field, int required,
               rt_field_errors_t *errs, const char **out) {
  json_t *v;
  int rc = present(obj, key, field, required, errs, &v);
  if (rc <= 0)
    return rc;
  if (!json_is_string(v) || !rt__is_date(json_string_value(v))) {
    rt__field_error(errs, field, "must be a date as YYYY-MM-DD");
    return -1;
  }
  *out = json_string_value(v);
  return 1;
}

int rt__v_int(json_t *obj, const char *key, const char *field, int required, long long min,
              long long max, rt_field_errors_t *errs, long long *out) {
  json_t *v;
  int rc = present(obj, key, field, required, errs, &v);
  if (rc <= 0)
    return rc;
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
    rt__field_error(errs, field, "must be a whole number from %lld to %lld", min, max);
    return -1;
  }
  *out = json_integer_value(v);
  return 1;
}

int rt__v_money(json_t *obj, const char *key, const char *field, int required,
                rt_field_errors_t *errs, const char **out, rt_arena_t *arena) {
  json_t *v;
  int rc = present(obj, key, field, required, errs, &v);
  if (rc <= 0)
    return rc;
  double d = json_is_number(v) ? json_number_value(v) : -1;
  if (!json_is_number(v) || d < 0 || d >= 1e13) {
    rt__field_error(errs, field, "must be an amount in US dollars from 0 to 9999999999999");
    return -1;
  }
  char *s = json_is_integer(v)
                ? rt_arena_printf(arena, "%" JSON_INTEGER_FORMAT, json_integer_value(v))
                : rt_arena_printf(arena, "%.2f", d);
  if (!s) {
    rt__field_error(errs, field, "could not be read");
    return -1;
  }
  /* rounded to cents, an amount just below the limit can reach it */
  if (strcspn(s, ".") > 13) {
    rt__field_error(errs, field, "must be an amount in US dollars from 0 to 9999999999999");
    return -1;
  }
  *out = s;
  return 1;
}

int rt__v_id(json_t *obj, const char *key, const char *field, int required, rt_field_errors_t *errs,
             int64_t *out) {
  json_t *v;
  int rc = present(obj, key, field, required, errs, &v);
  if (rc <= 0)
    return rc;
  int64_t id = json_is_string(v) ? rt__parse_id(json_string_value(v)) : 0;
  if (!id) {
    rt__field_error(errs, field, "must be an id (a string of digits)");
    return -1;
  }
  *out = id;
  return 1;
}

void rt__v_forbidden(json_t *obj, const char *const *keys, rt_field_errors_t *errs) {
  for (const char *const *k = keys; *k; k++)
    if (json_object_get(obj, *k))
      rt__field_error(errs, *k, "cannot be set by the caller");
}

void rt__v_unknown(json_t *obj, const char *const *known, rt_field_errors_t *errs) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    int ok = 0;
    for (const char *const *k = known; *k && !ok; k++)
      ok = strcmp(*k, key) == 0;
    if (!ok)
      rt__field_error(errs, key, "is not a field of this resource");
  }
}

void rt__own_strings(rt_arena_t *arena, const char **values, size_t n, rt_field_errors_t *errs) {
  for (size_t i = 0; i < n; i++) {
    if (!values[i])
      continue;
    values[i] = rt_arena_strdup(arena, values[i]);
    if (!values[i]) {
      rt__field_error(errs, "", "could not be read (out of memory)");
      return;
    }
  }
}

int rt__email_ok(const char *s) {
  const char *at = strchr(s, '@');
  return at && at != s && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
         !strpbrk(s, " \t\r\n\v\f") && at[1] != '.' && s[strlen(s) - 1] != '.';
}
