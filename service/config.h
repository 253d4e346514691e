/* Configuration as one table: every option's name, type, default, bounds and
 * environment variable. Flags override the environment, which overrides defaults. */
#ifndef ROUNDTABLE_CONFIG_H
#define ROUNDTABLE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "roundtable/db.h"
#include "roundtable/http.h"
#include "roundtable/log.h"

/* Which commands accept an option. */
enum {
  RT_CMD_SERVE = 1u << 0,
  RT_CMD_MIGRATE = 1u << 1,
  RT_CMD_TOKEN = 1u << 2,
  RT_CMD_ACCOUNT = 1u << 3,
  RT_CMD_SUMMARY = 1u << 4,
  RT_CMD_DB = RT_CMD_SERVE | RT_CMD_MIGRATE | RT_CMD_TOKEN | RT_CMD_ACCOUNT |
              RT_CMD_SUMMARY, /* opens the DB */
};

typedef struct rt_config_s {
  rt_http_options_t http;
  rt_db_options_t db;
  rt_log_level_t log_level;
  struct {
    uint64_t run_stale_ms;   /* a live match run without a heartbeat for this long is dead */
    uint64_t run_timeout_ms; /* a match run still computing after this long is stopped */
  } match;
  struct {
    const char *role;
    const char *participant;
    const char *label;
  } token; /* token create; role and participant also account create */
  struct {
    const char *email;
  } account; /* account create */
  struct {
    const char *roundtable;
    const char *format;
    const char *lang;
  } summary; /* summary */
  struct {
    uint64_t idle_ms;     /* a session without a request for this long ends */
    uint64_t lifetime_ms; /* a session ends this long after sign-in */
    const char *cookie_secure;
    const char *trusted_proxies;
  } session;
  const char *auth_cache;      /* "on" or "off": bearer-token lookups cached in process */
  const char *db_listen;       /* the cache's LISTEN connection; NULL: --db's */
  size_t response_cache_bytes; /* rendered GET answers cached in process; 0: none */
} rt_config_t;

/* Fills cfg from defaults, then the environment, then argv (flags as --name VALUE or
 * --name=VALUE) for the options that `command` accepts. Strings in cfg borrow from argv,
 * the environment or static defaults. Positional arguments are refused. On error,
 * returns RT_ECONFIG with a one-line reason in err. */
int rt_config_load(rt_config_t *cfg, unsigned command, int argc, char **argv, char *err,
                   size_t errlen) RT_WUR;

/* Writes the options that `command` accepts, with defaults and environment names. */
void rt_config_usage(FILE *out, unsigned command);

#endif
