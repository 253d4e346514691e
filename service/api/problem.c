#include <string.h>

#include "api_internal.h"
#include "roundtable/log.h"

void rt__api_unavailable(rt_http_request_t *req, int code) {
  /* The pool reconnects with backoff; a client retrying after a second is reasonable. */
  if (rt_http_add_header(req, "Retry-After", "1")) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  const char *detail = code == RT_EBUSY ? "The service is busy; retry shortly."
                       : code == RT_ETIMEDOUT
                           ? "The database did not answer in time; retry shortly."
                           : "The database is unavailable; retry shortly.";
  rt_http_respond_problem(req, 503, "Service Unavailable", detail);
}

void rt__api_json(rt_http_request_t *req, int status, const char *json) {
  rt_http_respond(req, status, "application/json", json, strlen(json));
}

void rt__api_db_failed(rt_http_request_t *req, int code, const rt_db_result_t *res) {
  switch (code) {
  case RT_EBUSY:
  case RT_EDB_UNAVAILABLE:
  case RT_ETIMEDOUT:
  case RT_ESHUTDOWN:
    rt__api_unavailable(req, code);
    return;
  case RT_EDB_CONFLICT:
    rt_http_respond_problem(req, 409, "Conflict",
                            "A concurrent change got in the way; retry the request.");
    return;
  default:
    RT_LOG(RT_LOG_ERROR, req->id, "database: %s (%s) %s", rt_strerror(code),
           res ? rt_db_result_sqlstate(res) : "", res ? rt_db_result_message(res) : "");
    rt_http_respond_problem(req, 500, "Internal Server Error",
                            "The request failed unexpectedly; it has been logged.");
  }
}
