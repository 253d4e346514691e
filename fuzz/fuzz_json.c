/* libFuzzer entry point: request bodies through the strict JSON decoder. */
#include <stddef.h>
#include <stdint.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *v = NULL;
  char detail[256];
  rt_json_status_t st = rt__json_decode((const char *)data, size, &v, detail, sizeof(detail));
  if ((st == RT_JSON_OK) != (v != NULL))
    __builtin_trap();
  json_decref(v);
  return 0;
}
