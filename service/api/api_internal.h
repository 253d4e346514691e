/* Shared by the files of the API layer. */
#ifndef ROUNDTABLE_API_INTERNAL_H
#define ROUNDTABLE_API_INTERNAL_H

#include "auth.h"
#include "roundtable/api.h"
#include "router.h"

struct rt_match_run_s;

/* Per event-loop thread: what its handlers use. */
typedef struct rt_api_worker_s {
  uv_loop_t *loop;
  rt_api_app_t *app;
  rt_db_pool_t *pool;
  /* Match runs in progress on this loop (match_runs.c): they outlive their requests, so the
   * pool closes only once the last has ended. */
  struct rt_match_run_s *runs;
  void (*runs_drained)(void *arg); /* set while shutting down */
  void *runs_drained_arg;
} rt_api_worker_t;

static inline rt_api_worker_t *rt__api_worker(const rt_http_request_t *req) {
  return (rt_api_worker_t *)req->worker_data;
}

/* One routed request: what every handler receives. Lives in the request arena. */
typedef struct rt_api_call_s {
  rt_http_request_t *req;
  const rt_route_t *route;
  rt_route_params_t params;
  rt_principal_t who; /* zeroed for public routes */
  void *state;        /* the handler's own, between its asynchronous steps */
  uint64_t synced;    /* a listener sync begun after the request came, answered (cache.h) */
  /* The least rt_db_read_as_of of its replica reads; 0: none (replica.c, cache.c). */
  uint64_t read_as_of;
} rt_api_call_t;

static inline rt_db_pool_t *rt__api_pool(const rt_api_call_t *call) {
  return rt__api_worker(call->req)->pool;
}
/* The pool for a read-only statement of a GET: the read replica's when --db-read is set, the
 * route may be served there (replica.c) and the caller has no write the replica lacks;
 * else rt__api_pool's. Never for a read inside a write or one that decides access. A replica
 * read lowers call->read_as_of to how fresh the replica is (the response cache's store rule). */
rt_db_pool_t *rt__api_read_pool(rt_api_call_t *call);

/* Answers a failed database call: 503 for unavailability, 409 for a conflict that
 * outlived its retries, 500 otherwise (logged with the request id). */
void rt__api_db_failed(rt_http_request_t *req, int code, const rt_db_result_t *res);

/* 503 with Retry-After for a database that cannot answer now; code is the rt_error
 * from the db layer (RT_EBUSY, RT_EDB_UNAVAILABLE, RT_ETIMEDOUT, ...). */
void rt__api_unavailable(rt_http_request_t *req, int code);

/* A JSON body (borrowed) with the given status. */
void rt__api_json(rt_http_request_t *req, int status, const char *json);

/* Checks the caller's bearer token, then the route's roles (401, 403, or 503 when the
 * database cannot say), then runs the route's handler. */
void rt__api_authenticate(rt_api_call_t *call);

/* Route handlers. */
void rt__health_live(rt_api_call_t *call);
void rt__health_ready(rt_api_call_t *call);
void rt__health_metrics(rt_api_call_t *call);
void rt__openapi_document(rt_api_call_t *call);

#endif
