#include <string.h>

#include "api_internal.h"

void rt__api_unavailable(rt_http_request_t *req, int code) {
  /* The pool reconnects with backoff; a client retrying after a second is reasonable. */
  if (rt_http_add_header(req, "Retry-After", "1")) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  const char *detail = code == RT_EBUSY ? "The service is busy; retry shortly."
                                        : "The database is unavailable; retry shortly.";
  rt_http_respond_problem(req, 503, "Service Unavailable", detail);
}

void rt__api_json(rt_http_request_t *req, int status, const char *json) {
  rt_http_respond(req, status, "application/json", json, strlen(json));
}
