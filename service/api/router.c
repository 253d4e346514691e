#include "router.h"

#include <stdio.h>
#include <string.h>

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

char *rt__percent_decode(rt_arena_t *arena, const char *src, size_t len, int plus_is_space) {
  char *out = rt_arena_alloc(arena, len + 1);
  if (!out)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = src[i];
    if (c == '+' && plus_is_space) {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= len)
        return NULL;
      int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return NULL;
      c = (char)(hi << 4 | lo);
      i += 2;
    }
    out[o++] = c;
  }
  out[o] = '\0';
  return out;
}

/* Matches one pattern against the path; fills params when it matches. */
static int pattern_match(const char *pattern, const char *path, size_t path_len, rt_arena_t *arena,
                         rt_route_params_t *params, int *bad) {
  const char *p = pattern;
  const char *s = path;
  const char *end = path + path_len;
  params->count = 0;
  while (*p && s < end) {
    if (*p == '{') {
      const char *close = strchr(p, '}');
      const char *seg_end = memchr(s, '/', (size_t)(end - s));
      if (!seg_end)
        seg_end = end;
      if (seg_end == s || params->count == RT_ROUTE_MAX_PARAMS)
        return 0;
      char *v = rt__percent_decode(arena, s, (size_t)(seg_end - s), 0);
      if (!v) {
        *bad = 1;
        return 0;
      }
      params->values[params->count++] = v;
      p = close + 1;
      s = seg_end;
    } else if (*p == *s) {
      p++;
      s++;
    } else {
      return 0;
    }
  }
  return *p == '\0' && s == end;
}

static void allow_add(char *allow, size_t allowlen, const char *m) {
  if (strstr(allow, m))
    return;
  size_t used = strlen(allow);
  snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "", m);
}

static const char *const method_names[] = {
    [RT_HTTP_GET] = "GET",         [RT_HTTP_HEAD] = "HEAD",   [RT_HTTP_POST] = "POST",
    [RT_HTTP_PUT] = "PUT",         [RT_HTTP_PATCH] = "PATCH", [RT_HTTP_DELETE] = "DELETE",
    [RT_HTTP_OPTIONS] = "OPTIONS",
};

rt_route_result_t rt__route_match(const rt_route_t *table, size_t n, rt_http_method_t method,
                                  const char *path, size_t path_len, rt_arena_t *arena,
                                  const rt_route_t **route, rt_route_params_t *params, char *allow,
                                  size_t allowlen) {
  int path_found = 0, bad = 0;
  rt_http_method_t want = method == RT_HTTP_HEAD ? RT_HTTP_GET : method;
  allow[0] = '\0';
  /* Allow is listed in a fixed order whatever the table's order. */
  static const rt_http_method_t order[] = {RT_HTTP_GET, RT_HTTP_POST, RT_HTTP_PUT, RT_HTTP_PATCH,
                                           RT_HTTP_DELETE};
  int seen[RT_HTTP_OPTIONS + 1] = {0};
  for (size_t i = 0; i < n; i++) {
    rt_route_params_t tmp;
    if (!pattern_match(table[i].pattern, path, path_len, arena, &tmp, &bad))
      continue;
    if (table[i].method == want) {
      *route = &table[i];
      *params = tmp;
      return RT_ROUTE_FOUND;
    }
    path_found = 1;
    seen[table[i].method] = 1;
  }
  if (bad)
    return RT_ROUTE_BAD_PATH;
  if (!path_found)
    return RT_ROUTE_NO_PATH;
  for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
    if (!seen[order[k]])
      continue;
    allow_add(allow, allowlen, method_names[order[k]]);
    if (order[k] == RT_HTTP_GET)
      allow_add(allow, allowlen, "HEAD");
  }
  return RT_ROUTE_NO_METHOD;
}
