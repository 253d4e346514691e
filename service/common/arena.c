#include "roundtable/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rt_arena_block_s {
  rt_arena_block_t *next;
  size_t size;
  size_t used;
  _Alignas(16) unsigned char data[];
};

void rt_arena_init(rt_arena_t *a, size_t block_size) {
  a->head = NULL;
  a->block_size = block_size ? block_size : 4096;
  a->total = 0;
}

void rt_arena_reset(rt_arena_t *a) {
  rt_arena_block_t *b = a->head;
  while (b) {
    rt_arena_block_t *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->total = 0;
}

void *rt_arena_alloc(rt_arena_t *a, size_t n) {
  size_t need = (n + 15) & ~(size_t)15;
  if (need < n)
    return NULL;
  rt_arena_block_t *b = a->head;
  if (!b || b->size - b->used < need) {
    size_t size = need > a->block_size ? need : a->block_size;
    if (size > SIZE_MAX - sizeof(*b))
      return NULL;
    b = malloc(sizeof(*b) + size);
    if (!b)
      return NULL;
    b->size = size;
    b->used = 0;
    /* A big one-off allocation goes behind the current block so the
     * current block's free space is not wasted. */
    if (a->head && size > a->block_size) {
      b->next = a->head->next;
      a->head->next = b;
    } else {
      b->next = a->head;
      a->head = b;
    }
    a->total += size;
  }
  void *p = b->data + b->used;
  b->used += need;
  return p;
}

char *rt_arena_strndup(rt_arena_t *a, const char *s, size_t n) {
  char *p = rt_arena_alloc(a, n + 1);
  if (!p)
    return NULL;
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *rt_arena_strdup(rt_arena_t *a, const char *s) { return rt_arena_strndup(a, s, strlen(s)); }

char *rt_arena_vprintf(rt_arena_t *a, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return NULL;
  char *p = rt_arena_alloc(a, (size_t)n + 1);
  if (!p)
    return NULL;
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  return p;
}

char *rt_arena_printf(rt_arena_t *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *p = rt_arena_vprintf(a, fmt, ap);
  va_end(ap);
  return p;
}
