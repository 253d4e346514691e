#include "serve.h"

#include <stdio.h>
#include <string.h>

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
                      .match_run_timeout_ms = cfg->match.run_timeout_ms,
                      .session_idle_ms = cfg->session.idle_ms,
                      .session_lifetime_ms = cfg->session.lifetime_ms,
                      .cookie_secure = cfg->session.cookie_secure,
                      .trusted_proxies = cfg->session.trusted_proxies};
  char err[256];
  if (rt_api_app_check(&app, err, sizeof(err))) {
    fprintf(stderr, "roundtable serve: %s\n", err);
    return 2;
  }
  int cache = cfg->auth_cache && strcmp(cfg->auth_cache, "on") == 0;
  if (!cache && (!cfg->auth_cache || strcmp(cfg->auth_cache, "off") != 0)) {
    fprintf(stderr, "roundtable serve: --auth-cache must be on or off\n");
    return 2;
  }
  rt_db_options_t listen_db = cfg->db;
  if (cfg->db_listen)
    listen_db.conninfo = cfg->db_listen;
  size_t responses = cfg->response_cache_bytes;
  if ((cache || responses) && rt_api_cache_start(&listen_db, cache, responses) != 0)
    rt_log_warn("caches: could not start; every request looks its token up and asks the "
                "database");
  rt_http_hooks_t hooks = rt_api_hooks(&app);
  rt_log_info("roundtable %s serving on %s:%d with %d thread%s", RT_VERSION, cfg->http.host,
              cfg->http.port, cfg->http.threads, cfg->http.threads == 1 ? "" : "s");
  int rc = rt_http_server_run(&cfg->http, &hooks);
  rt_api_cache_stop();
  rt_api_cleanup();
  if (rc) {
    fprintf(stderr, "roundtable serve: %s\n", rt_strerror(rc));
    return 1;
  }
  rt_log_info("roundtable stopped");
  return 0;
}
