/* libFuzzer entry point: query strings through the API's parser (rt__input_query):
 * percent-decoding, UTF-8 checks, unknown and repeated names, the parameter cap. A refusal
 * answers 400 through the HTTP core (a request without a connection frees itself). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api_internal.h"
#include "http_internal.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const allowed[] = {"limit",  "cursor", "q",     "theme",          "status",
                                        "entity", "since",  "until", "participant_id", NULL};
  rt__http_req_t *r = rt__http_req_new();
  if (!r)
    return 0;
  if (rt__http_req_set_state(r, RT__REQ_QUEUED) || rt__http_req_set_state(r, RT__REQ_HANDLING)) {
    rt__http_req_free(r);
    return 0;
  }
  char *q = rt_arena_alloc(&r->pub.arena, size + 1);
  if (!q) {
    rt__http_req_free(r);
    return 0;
  }
  memcpy(q, data, size);
  q[size] = '\0'; /* the HTTP core hands over a NUL-terminated target */
  strcpy(r->pub.id, "fuzz");
  r->pub.method = RT_HTTP_GET;
  r->pub.method_name = "GET";
  r->pub.query = q;
  rt_api_call_t call;
  memset(&call, 0, sizeof(call));
  call.req = &r->pub;
  rt_query_t out;
  if (rt__input_query(&call, allowed, &out) != 0)
    return 0; /* answered 400: the request is gone */
  for (int i = 0; i < out.count; i++) {
    int known = 0;
    for (const char *const *a = allowed; *a; a++)
      known |= strcmp(*a, out.keys[i]) == 0;
    if (!known || rt__query_get(&out, out.keys[i]) != out.values[i])
      __builtin_trap(); /* unknown or repeated names must have been refused */
  }
  rt_page_t page;
  if (rt__input_page(&call, &out, &page) != 0)
    return 0;
  if (page.limit < 1 || page.limit > 500 || page.after < 0)
    __builtin_trap();
  rt__http_req_free(r);
  return 0;
}
