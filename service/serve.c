#include "serve.h"

#include <stdio.h>

#include "roundtable/api.h"
#include "roundtable/log.h"

int rt_serve(rt_config_t *cfg) {
  if (!cfg->db.conninfo) {
    fprintf(stderr, "roundtable serve: no database: pass --db CONNINFO or set ROUNDTABLE_DB\n");
    return 2;
  }
  if (cfg->http.threads == 0) {
    unsigned n = uv_available_parallelism();
    cfg->http.threads = n > 64 ? 64 : (int)n;
  }
  rt_api_app_t app = {.db = &cfg->db,
                      .match_run_stale_ms = cfg->match.run_stale_ms,
                      .match_run_timeout_ms = cfg->match.run_timeout_ms};
  rt_http_hooks_t hooks = rt_api_hooks(&app);
  rt_log_info("roundtable %s serving on %s:%d with %d thread%s", RT_VERSION, cfg->http.host,
              cfg->http.port, cfg->http.threads, cfg->http.threads == 1 ? "" : "s");
  int rc = rt_http_server_run(&cfg->http, &hooks);
  rt_api_cleanup();
  if (rc) {
    fprintf(stderr, "roundtable serve: %s\n", rt_strerror(rc));
    return 1;
  }
  rt_log_info("roundtable stopped");
  return 0;
}
