/* Shared by the files of the API layer. */
#ifndef ROUNDTABLE_API_INTERNAL_H
#define ROUNDTABLE_API_INTERNAL_H

#include "roundtable/api.h"
#include "router.h"

/* Per event-loop thread: what its handlers use. */
typedef struct rt_api_worker_s {
  uv_loop_t *loop;
  rt_api_app_t *app;
  rt_db_pool_t *pool;
} rt_api_worker_t;

static inline rt_api_worker_t *rt__api_worker(const rt_http_request_t *req) {
  return (rt_api_worker_t *)req->worker_data;
}

/* 503 with Retry-After for a database that cannot answer now; code is the rt_error
 * from the db layer (RT_EBUSY, RT_EDB_UNAVAILABLE, RT_ETIMEDOUT, ...). */
void rt__api_unavailable(rt_http_request_t *req, int code);

/* A JSON body (borrowed) with the given status. */
void rt__api_json(rt_http_request_t *req, int status, const char *json);

/* Route handlers. */
void rt__health_live(rt_http_request_t *req, const rt_route_params_t *params);
void rt__health_ready(rt_http_request_t *req, const rt_route_params_t *params);
void rt__health_metrics(rt_http_request_t *req, const rt_route_params_t *params);

#endif
