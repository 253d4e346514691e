/* A per-request arena: many small allocations, freed together in one place. */
#ifndef ROUNDTABLE_ARENA_H
#define ROUNDTABLE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include "roundtable/error.h"

typedef struct rt_arena_block_s rt_arena_block_t;

typedef struct rt_arena_s {
  rt_arena_block_t *head; /* newest block first */
  size_t block_size;      /* default size of a new block */
  size_t total;           /* bytes held in blocks, for limits and metrics */
} rt_arena_t;

/* Initialises an empty arena; no memory is taken until the first allocation. */
void rt_arena_init(rt_arena_t *a, size_t block_size);
/* Frees every block. The arena may be used again afterwards. */
void rt_arena_reset(rt_arena_t *a);
/* Returns 16-byte aligned memory owned by the arena, or NULL when out of memory. */
void *rt_arena_alloc(rt_arena_t *a, size_t n) RT_WUR;
/* Copies n bytes of s (borrowed) and adds a terminating NUL. */
char *rt_arena_strndup(rt_arena_t *a, const char *s, size_t n) RT_WUR;
char *rt_arena_strdup(rt_arena_t *a, const char *s) RT_WUR;
char *rt_arena_printf(rt_arena_t *a, const char *fmt, ...) RT_WUR
    __attribute__((format(printf, 2, 3)));
char *rt_arena_vprintf(rt_arena_t *a, const char *fmt, va_list ap) RT_WUR
    __attribute__((format(printf, 2, 0)));

#endif
