#include <stdio.h>
#include <unistd.h>

#include "api_internal.h"
#include "cache.h"

void rt__health_live(rt_api_call_t *call) { rt__api_json(call->req, 200, "{\"status\":\"ok\"}"); }

static void on_ready(int status, const rt_db_result_t *res, void *data) {
  (void)res;
  rt_api_call_t *call = data;
  if (status) {
    rt__api_unavailable(call->req, status);
    return;
  }
  /* Ready follows the primary: a replica down or behind only sends reads to the primary. */
  const char *replica = rt_db_read_state(rt__api_pool(call));
  char body[64];
  (void)snprintf(body, sizeof(body), "{\"status\":\"ready\"%s%s%s}",
                 replica ? ",\"read_replica\":\"" : "", replica ? replica : "",
                 replica ? "\"" : "");
  rt__api_json(call->req, 200, body);
}

void rt__health_ready(rt_api_call_t *call) {
  int rc = rt_db_exec(rt__api_pool(call), "SELECT 1", 0, NULL, on_ready, call);
  if (rc)
    rt__api_unavailable(call->req, rc);
}

/* Resident set size from /proc (Linux); 0 when unknown. */
static long long resident_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  long long pages_total = 0, pages_resident = 0;
  int n = fscanf(f, "%lld %lld", &pages_total, &pages_resident);
  fclose(f);
  return n == 2 ? pages_resident * sysconf(_SC_PAGESIZE) : 0;
}

void rt__health_metrics(rt_api_call_t *call) {
  rt_http_request_t *req = call->req;
  rt_buf_t out;
  rt_buf_init(&out, 4 * 1024 * 1024);
  int rc = rt_http_metrics_render(&out);
  if (!rc)
    rc = rt_db_metrics_render(&out);
  if (!rc)
    rc = rt__response_cache_metrics(&out);
  if (!rc)
    rc = rt_buf_printf(&out,
                       "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                       "# TYPE process_resident_memory_bytes gauge\n"
                       "process_resident_memory_bytes %lld\n",
                       resident_bytes());
  if (rc) {
    rt_buf_free(&out);
    rt_http_respond_problem(req, 500, "Internal Server Error", "Metrics could not be rendered.");
    return;
  }
  rt_http_respond_buf(req, 200, "text/plain; version=0.0.4; charset=utf-8", &out);
}
