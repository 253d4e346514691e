/* libFuzzer entry point: raw bytes through the strict request parser (scanner + llhttp),
 * whole and split at every size from the input's first byte. Whether a stream is accepted,
 * and how many requests it holds, must not depend on how the bytes were split, and no
 * request may break the parser's invariants. */
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
  if (whole == RT_EINVAL || split == RT_EINVAL || single == RT_EINVAL)
    __builtin_trap();
  /* Accepted requests must be the same however the bytes arrive. A refused stream must be
   * refused whatever the split, but which refusal wins may differ: llhttp sees a head in
   * pieces as it comes, so it can object (400, e.g. to a lower-case method) before the
   * scanner reaches a limit that the whole head shows at once (413). */
  if ((whole < 0) != (split < 0) || (whole < 0) != (single < 0) ||
      (whole >= 0 && (whole != split || whole != single)))
    __builtin_trap();
  return 0;
}
