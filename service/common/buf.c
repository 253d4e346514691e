#include "roundtable/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rt_buf_init(rt_buf_t *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void rt_buf_free(rt_buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

void rt_buf_clear(rt_buf_t *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

int rt_buf_reserve(rt_buf_t *b, size_t extra) {
  if (extra > ((size_t)-1) / 2 - b->len)
    return RT_E2BIG;
  size_t want = b->len + extra + 1; /* room for the NUL */
  if (b->max && want - 1 > b->max)
    return RT_E2BIG;
  if (want <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < want)
    cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p)
    return RT_ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int rt_buf_append(rt_buf_t *b, const void *data, size_t n) {
  int rc = rt_buf_reserve(b, n);
  if (rc)
    return rc;
  if (n)
    memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int rt_buf_puts(rt_buf_t *b, const char *s) { return rt_buf_append(b, s, strlen(s)); }

int rt_buf_vprintf(rt_buf_t *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return RT_EINVAL;
  int rc = rt_buf_reserve(b, (size_t)n);
  if (rc)
    return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int rt_buf_printf(rt_buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = rt_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

void rt_buf_consume(rt_buf_t *b, size_t n) {
  if (n >= b->len) {
    rt_buf_clear(b);
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
  b->data[b->len] = '\0';
}
