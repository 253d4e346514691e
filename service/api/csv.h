/* RFC 4180 CSV: fields separated by commas, optionally quoted with "..." where "" is a
 * quote; records end in CRLF or LF. Strict: a quote inside an unquoted field, text after
 * a closing quote, an unterminated quote or a NUL byte is an error. */
#ifndef ROUNDTABLE_API_CSV_H
#define ROUNDTABLE_API_CSV_H

#include <stddef.h>

#include "roundtable/arena.h"

typedef struct rt_csv_s {
  const char *data; /* borrowed input */
  size_t len;
  size_t pos;
  size_t line; /* 1-based line of the record being read */
} rt_csv_t;

void rt__csv_init(rt_csv_t *csv, const char *data, size_t len);

/* Reads the next record into fields (at most max; values NUL-terminated in arena).
 * Returns the number of fields, 0 at the end of input, or -1 on a syntax error (or more
 * than max fields) with a message in err. A UTF-8 byte order mark at the start is
 * skipped; an empty last line is not a record. */
int rt__csv_next(rt_csv_t *csv, rt_arena_t *arena, char **fields, int max, char *err,
                 size_t errlen);

#endif
