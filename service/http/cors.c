#include <stdlib.h>
#include <string.h>

#include "http_internal.h"

int rt__http_cors_parse(rt__http_cors_t *c, const char *list) {
  memset(c, 0, sizeof(*c));
  if (!list)
    return 0;
  size_t cap = 1;
  for (const char *p = list; *p; p++)
    cap += *p == ',';
  c->origins = calloc(cap, sizeof(char *));
  if (!c->origins)
    return RT_ENOMEM;
  const char *p = list;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    const char *start = p;
    while (*p && *p != ',')
      p++;
    const char *end = p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
      end--;
    /* An origin is compared as sent; a trailing slash would never match one. */
    while (end > start && end[-1] == '/')
      end--;
    size_t n = (size_t)(end - start);
    if (n == 0)
      continue;
    if (n == 1 && *start == '*') {
      c->any = 1;
      continue;
    }
    char *o = malloc(n + 1);
    if (!o) {
      rt__http_cors_free(c);
      return RT_ENOMEM;
    }
    memcpy(o, start, n);
    o[n] = '\0';
    c->origins[c->count++] = o;
  }
  return 0;
}

void rt__http_cors_free(rt__http_cors_t *c) {
  for (size_t i = 0; i < c->count; i++)
    free(c->origins[i]);
  free(c->origins);
  memset(c, 0, sizeof(*c));
}

int rt__http_cors_allowed(const rt__http_cors_t *c, const char *origin) {
  if (!origin || !*origin)
    return 0;
  /* "null" (sandboxed documents, file:) is never trusted, even with "*". */
  if (strcmp(origin, "null") == 0)
    return 0;
  if (c->any)
    return 1;
  for (size_t i = 0; i < c->count; i++)
    if (strcmp(c->origins[i], origin) == 0)
      return 1;
  return 0;
}
