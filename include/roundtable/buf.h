/* A growable byte buffer with a hard cap, for responses and accumulated input. */
#ifndef ROUNDTABLE_BUF_H
#define ROUNDTABLE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "roundtable/error.h"

typedef struct rt_buf_s {
  char *data; /* owned; NUL-terminated after every append */
  size_t len;
  size_t cap;
  size_t max; /* appends past this fail with RT_E2BIG; 0 means no cap */
} rt_buf_t;

void rt_buf_init(rt_buf_t *b, size_t max);
void rt_buf_free(rt_buf_t *b);
/* Drops the contents but keeps the memory. */
void rt_buf_clear(rt_buf_t *b);
int rt_buf_reserve(rt_buf_t *b, size_t extra) RT_WUR;
int rt_buf_append(rt_buf_t *b, const void *data, size_t n) RT_WUR;
int rt_buf_puts(rt_buf_t *b, const char *s) RT_WUR;
int rt_buf_printf(rt_buf_t *b, const char *fmt, ...) RT_WUR __attribute__((format(printf, 2, 3)));
int rt_buf_vprintf(rt_buf_t *b, const char *fmt, va_list ap) RT_WUR
    __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes. */
void rt_buf_consume(rt_buf_t *b, size_t n);

#endif
