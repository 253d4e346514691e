/* libFuzzer entry point: raw bytes through the strict request parser (scanner + llhttp),
 * whole and split at every size from the input's first byte. The outcome must not depend
 * on how the bytes were split, and no request may break the parser's invariants. */
#include <stddef.h>
#include <stdint.h>

#include "roundtable/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t step = (size_t)data[0] % 64 + 1;
  const char *bytes = (const char *)data + 1;
  size_t len = size - 1;
  int whole = rt_http_parse_stream(bytes, len, 0);
  int split = rt_http_parse_stream(bytes, len, step);
  int single = rt_http_parse_stream(bytes, len, 1);
  if (whole == RT_EINVAL || whole != split || whole != single)
    __builtin_trap();
  return 0;
}
