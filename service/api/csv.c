#include "csv.h"

#include <stdio.h>
#include <string.h>

void rt__csv_init(rt_csv_t *csv, const char *data, size_t len) {
  csv->data = data;
  csv->len = len;
  csv->pos = 0;
  csv->line = 1;
  if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
    csv->pos = 3;
}

int rt__csv_next(rt_csv_t *csv, rt_arena_t *arena, char **fields, int max, char *err,
                 size_t errlen) {
  const char *d = csv->data;
  size_t n = csv->len, p = csv->pos;
  if (p >= n)
    return 0;
  size_t record_line = csv->line;
  int count = 0;
  for (;;) {
    /* one field: its text is at most the rest of the input */
    size_t start = p, o = 0;
    char *out;
    if (count == max) {
      snprintf(err, errlen, "line %zu: more than %d fields", record_line, max);
      return -1;
    }
    if (p < n && d[p] == '"') {
      size_t end = p + 1, cap = 0;
      while (end < n && !(d[end] == '"' && (end + 1 >= n || d[end + 1] != '"')))
        end += d[end] == '"' ? 2 : 1;
      cap = end - p;
      out = rt_arena_alloc(arena, cap + 1);
      if (!out) {
        snprintf(err, errlen, "line %zu: out of memory", record_line);
        return -1;
      }
      p++;
      for (;;) {
        if (p >= n) {
          snprintf(err, errlen, "line %zu: a quoted field is not closed", record_line);
          return -1;
        }
        char c = d[p];
        if (c == '"') {
          if (p + 1 < n && d[p + 1] == '"') {
            out[o++] = '"';
            p += 2;
            continue;
          }
          p++;
          break;
        }
        if (c == '\0') {
          snprintf(err, errlen, "line %zu: NUL byte", csv->line);
          return -1;
        }
        if (c == '\n')
          csv->line++;
        out[o++] = c;
        p++;
      }
      if (p < n && d[p] != ',' && d[p] != '\n' && d[p] != '\r') {
        snprintf(err, errlen, "line %zu: text after a closing quote", record_line);
        return -1;
      }
    } else {
      while (p < n && d[p] != ',' && d[p] != '\n' && d[p] != '\r') {
        if (d[p] == '"') {
          snprintf(err, errlen, "line %zu: a quote inside an unquoted field", record_line);
          return -1;
        }
        if (d[p] == '\0') {
          snprintf(err, errlen, "line %zu: NUL byte", record_line);
          return -1;
        }
        p++;
      }
      out = rt_arena_strndup(arena, d + start, p - start);
      if (!out) {
        snprintf(err, errlen, "line %zu: out of memory", record_line);
        return -1;
      }
      o = p - start;
    }
    out[o] = '\0';
    fields[count++] = out;
    if (p < n && d[p] == ',') {
      p++;
      continue;
    }
    /* end of record */
    if (p < n && d[p] == '\r') {
      if (p + 1 >= n || d[p + 1] != '\n') {
        snprintf(err, errlen, "line %zu: CR without LF", record_line);
        return -1;
      }
      p++;
    }
    if (p < n && d[p] == '\n')
      p++;
    csv->line++;
    break;
  }
  csv->pos = p;
  return count;
}
