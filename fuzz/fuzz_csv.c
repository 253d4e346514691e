/* libFuzzer entry point: bulk-import CSV through the strict reader. Every record it
 * returns must have fields that lie within the input's length, and it must end. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rt_arena_t arena;
  rt_arena_init(&arena, 4096);
  rt_csv_t csv;
  rt__csv_init(&csv, (const char *)data, size);
  char *fields[32];
  char err[128];
  int n;
  size_t records = 0, bytes = 0;
  while ((n = rt__csv_next(&csv, &arena, fields, 32, err, sizeof(err))) > 0) {
    for (int i = 0; i < n; i++)
      bytes += strlen(fields[i]);
    if (++records > size + 1 || bytes > size)
      __builtin_trap(); /* more records or text than the input holds */
  }
  rt_arena_reset(&arena);
  return 0;
}
