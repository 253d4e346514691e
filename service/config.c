#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef RT_DEFAULT_WEB_ROOT
#define RT_DEFAULT_WEB_ROOT "web"
#endif

typedef enum config_type {
  CFG_STRING,   /* const char *; "" in a default means NULL */
  CFG_INT,      /* int within [min, max] */
  CFG_BYTES,    /* size_t; suffixes K, M, G (binary) */
  CFG_MILLIS,   /* uint64_t milliseconds; suffixes ms, s */
  CFG_LISTEN,   /* HOST:PORT into http.host and http.port */
  CFG_LOGLEVEL, /* error, warn, info, debug */
} config_type_t;

typedef struct config_entry {
  const char *name; /* the flag without "--" */
  config_type_t type;
  size_t offset; /* into rt_config_t */
  const char *def;
  long long min, max;
  const char *env;
  unsigned commands;
  const char *help;
} config_entry_t;

#define OFF(field) offsetof(rt_config_t, field)
#define KiB 1024LL
#define MiB (1024LL * 1024)
#define GiB (1024LL * 1024 * 1024)
#define HOUR_MS (3600LL * 1000)

static const config_entry_t config_table[] = {
    {"listen", CFG_LISTEN, 0, "127.0.0.1:8080", 0, 0, "ROUNDTABLE_LISTEN", RT_CMD_SERVE,
     "address and port to serve on (HOST:PORT; IPv6 as [::1]:8080)"},
    {"db", CFG_STRING, OFF(db.conninfo), "", 0, 0, "ROUNDTABLE_DB", RT_CMD_DB,
     "PostgreSQL connection: libpq conninfo string or URI"},
    {"threads", CFG_INT, OFF(http.threads), "0", 0, 256, "ROUNDTABLE_THREADS", RT_CMD_SERVE,
     "event-loop threads sharing the port (0: one per core)"},
    {"web-root", CFG_STRING, OFF(http.web_root), RT_DEFAULT_WEB_ROOT, 0, 0, "ROUNDTABLE_WEB_ROOT",
     RT_CMD_SERVE, "folder of the web UI's static files"},
    {"cors-origins", CFG_STRING, OFF(http.cors_origins), "", 0, 0, "ROUNDTABLE_CORS_ORIGINS",
     RT_CMD_SERVE, "comma-separated origins allowed by CORS (* for any)"},
    {"max-connections", CFG_INT, OFF(http.max_connections), "10000", 1, 1000000,
     "ROUNDTABLE_MAX_CONNECTIONS", RT_CMD_SERVE, "open connections per process"},
    {"max-header-bytes", CFG_BYTES, OFF(http.max_header_bytes), "16K", 1 * KiB, 1 * MiB,
     "ROUNDTABLE_MAX_HEADER_BYTES", RT_CMD_SERVE, "request line and headers (beyond: 431)"},
    {"max-header-fields", CFG_INT, OFF(http.max_header_fields), "100", 8, 1000,
     "ROUNDTABLE_MAX_HEADER_FIELDS", RT_CMD_SERVE, "header fields per request (beyond: 431)"},
    {"max-uri-bytes", CFG_BYTES, OFF(http.max_uri_bytes), "8K", 256, 1 * MiB,
     "ROUNDTABLE_MAX_URI_BYTES", RT_CMD_SERVE, "request target (beyond: 414)"},
    {"max-body-bytes", CFG_BYTES, OFF(http.max_body_bytes), "1M", 1 * KiB, 1 * GiB,
     "ROUNDTABLE_MAX_BODY_BYTES", RT_CMD_SERVE, "request body (beyond: 413)"},
    {"max-upload-bytes", CFG_BYTES, OFF(http.max_upload_bytes), "64M", 1 * KiB, 4 * GiB,
     "ROUNDTABLE_MAX_UPLOAD_BYTES", RT_CMD_SERVE, "bulk import body (beyond: 413)"},
    {"max-pipelined", CFG_INT, OFF(http.max_pipelined), "16", 1, 1024, "ROUNDTABLE_MAX_PIPELINED",
     RT_CMD_SERVE, "requests read ahead of their responses on one connection"},
    {"rate-limit-rps", CFG_INT, OFF(http.rate_limit_rps), "100", 0, 1000000,
     "ROUNDTABLE_RATE_LIMIT_RPS", RT_CMD_SERVE,
     "requests per second per token or session, sustained (0: no limit; beyond: 429)"},
    {"rate-limit-burst", CFG_INT, OFF(http.rate_limit_burst), "1000", 1, 10000000,
     "ROUNDTABLE_RATE_LIMIT_BURST", RT_CMD_SERVE, "requests per token or session in a burst"},
    {"rate-limit-address-rps", CFG_INT, OFF(http.rate_limit_address_rps), "300", 0, 1000000,
     "ROUNDTABLE_RATE_LIMIT_ADDRESS_RPS", RT_CMD_SERVE,
     "requests per second per client address, sustained (0: no limit; beyond: 429)"},
    {"rate-limit-address-burst", CFG_INT, OFF(http.rate_limit_address_burst), "3000", 1, 10000000,
     "ROUNDTABLE_RATE_LIMIT_ADDRESS_BURST", RT_CMD_SERVE, "requests per client address in a burst"},
    {"max-connections-per-address", CFG_INT, OFF(http.max_connections_per_address), "1000", 0,
     1000000, "ROUNDTABLE_MAX_CONNECTIONS_PER_ADDRESS", RT_CMD_SERVE,
     "open connections per client address (0: no limit; beyond: 429 and closed)"},
    {"header-timeout", CFG_MILLIS, OFF(http.header_timeout_ms), "10s", 10, HOUR_MS,
     "ROUNDTABLE_HEADER_TIMEOUT", RT_CMD_SERVE, "time to send a request's headers"},
    {"body-timeout", CFG_MILLIS, OFF(http.body_timeout_ms), "30s", 10, HOUR_MS,
     "ROUNDTABLE_BODY_TIMEOUT", RT_CMD_SERVE, "time to send a request's body"},
    {"idle-timeout", CFG_MILLIS, OFF(http.idle_timeout_ms), "60s", 10, HOUR_MS,
     "ROUNDTABLE_IDLE_TIMEOUT", RT_CMD_SERVE, "idle keep-alive connections are closed after it"},
    {"shutdown-timeout", CFG_MILLIS, OFF(http.shutdown_timeout_ms), "10s", 0, HOUR_MS,
     "ROUNDTABLE_SHUTDOWN_TIMEOUT", RT_CMD_SERVE, "on SIGTERM, time left for in-flight requests"},
    {"db-pool-size", CFG_INT, OFF(db.pool_size), "4", 1, 1000, "ROUNDTABLE_DB_POOL_SIZE",
     RT_CMD_SERVE, "database connections per event-loop thread"},
    {"db-max-waiters", CFG_INT, OFF(db.max_waiters), "512", 1, 1000000, "ROUNDTABLE_DB_MAX_WAITERS",
     RT_CMD_SERVE, "requests queued for a connection per thread (beyond: 503)"},
    {"db-connect-timeout", CFG_MILLIS, OFF(db.connect_timeout_ms), "5s", 100, HOUR_MS,
     "ROUNDTABLE_DB_CONNECT_TIMEOUT", RT_CMD_SERVE, "time to establish a database connection"},
    {"db-acquire-timeout", CFG_MILLIS, OFF(db.acquire_timeout_ms), "5s", 10, HOUR_MS,
     "ROUNDTABLE_DB_ACQUIRE_TIMEOUT", RT_CMD_SERVE, "longest wait for a free connection"},
    {"statement-timeout", CFG_MILLIS, OFF(db.statement_timeout_ms), "10s", 10, HOUR_MS,
     "ROUNDTABLE_STATEMENT_TIMEOUT", RT_CMD_SERVE, "statements running longer are cancelled"},
    {"db-reconnect-min", CFG_MILLIS, OFF(db.reconnect_min_ms), "100ms", 1, HOUR_MS,
     "ROUNDTABLE_DB_RECONNECT_MIN", RT_CMD_SERVE,
     "first reconnect delay after losing the database"},
    {"db-reconnect-max", CFG_MILLIS, OFF(db.reconnect_max_ms), "5s", 1, HOUR_MS,
     "ROUNDTABLE_DB_RECONNECT_MAX", RT_CMD_SERVE, "longest reconnect delay"},
    {"match-run-stale", CFG_MILLIS, OFF(match.run_stale_ms), "60s", 1000, HOUR_MS,
     "ROUNDTABLE_MATCH_RUN_STALE", RT_CMD_SERVE,
     "a match run whose process sent no heartbeat for this long is failed as abandoned"},
    {"match-run-timeout", CFG_MILLIS, OFF(match.run_timeout_ms), "10m", 1000, 24 * HOUR_MS,
     "ROUNDTABLE_MATCH_RUN_TIMEOUT", RT_CMD_SERVE,
     "a match run not finished after this long is stopped and failed with this reason"},
    {"session-idle-timeout", CFG_MILLIS, OFF(session.idle_ms), "30m", 1000, 24 * HOUR_MS,
     "ROUNDTABLE_SESSION_IDLE_TIMEOUT", RT_CMD_SERVE,
     "a browser session without a request for this long ends"},
    {"session-lifetime", CFG_MILLIS, OFF(session.lifetime_ms), "12h", 1000, 30 * 24 * HOUR_MS,
     "ROUNDTABLE_SESSION_LIFETIME", RT_CMD_SERVE, "a browser session ends this long after sign-in"},
    {"cookie-secure", CFG_STRING, OFF(session.cookie_secure), "auto", 0, 0,
     "ROUNDTABLE_COOKIE_SECURE", RT_CMD_SERVE,
     "Secure session cookie: always, never, or auto (when a trusted proxy says https)"},
    {"trusted-proxies", CFG_STRING, OFF(session.trusted_proxies), "", 0, 0,
     "ROUNDTABLE_TRUSTED_PROXIES", RT_CMD_SERVE,
     "comma-separated proxy addresses whose X-Forwarded-For/-Proto are believed"},
    {"auth-cache", CFG_STRING, OFF(auth_cache), "on", 0, 0, "ROUNDTABLE_AUTH_CACHE", RT_CMD_SERVE,
     "on: bearer-token lookups are cached in process, dropped on LISTEN/NOTIFY; off: none"},
    {"db-listen", CFG_STRING, OFF(db_listen), "", 0, 0, "ROUNDTABLE_DB_LISTEN", RT_CMD_SERVE,
     "conninfo of the caches' LISTEN connection (tokens, responses), straight to PostgreSQL "
     "(default: --db's)"},
    {"response-cache", CFG_BYTES, OFF(response_cache_bytes), "32M", 0, 4 * GiB,
     "ROUNDTABLE_RESPONSE_CACHE", RT_CMD_SERVE,
     "bytes of rendered GET answers cached in process, dropped on LISTEN/NOTIFY (0: off)"},
    {"db-read", CFG_STRING, OFF(db.read_conninfo), "", 0, 0, "ROUNDTABLE_DB_READ", RT_CMD_SERVE,
     "conninfo of a streaming replica for read-only GETs (default: none, all on --db)"},
    {"db-read-max-lag", CFG_MILLIS, OFF(db.read_max_lag_ms), "5s", 10, HOUR_MS,
     "ROUNDTABLE_DB_READ_MAX_LAG", RT_CMD_SERVE,
     "reads leave a replica further behind the primary than this (--db-read)"},
    {"email", CFG_STRING, OFF(account.email), "", 0, 0, "ROUNDTABLE_ACCOUNT_EMAIL", RT_CMD_ACCOUNT,
     "the account's email address (the password is read from stdin)"},
    {"role", CFG_STRING, OFF(token.role), "", 0, 0, "ROUNDTABLE_TOKEN_ROLE",
     RT_CMD_TOKEN | RT_CMD_ACCOUNT,
     "the token's or account's role: admin, organizer, state or provider"},
    {"participant", CFG_STRING, OFF(token.participant), "", 0, 0, "ROUNDTABLE_TOKEN_PARTICIPANT",
     RT_CMD_TOKEN | RT_CMD_ACCOUNT,
     "the participant id a state or provider token or account acts for"},
    {"label", CFG_STRING, OFF(token.label), "", 0, 0, "ROUNDTABLE_TOKEN_LABEL", RT_CMD_TOKEN,
     "a note saying whose token it is"},
    {"roundtable", CFG_STRING, OFF(summary.roundtable), "", 0, 0, "ROUNDTABLE_SUMMARY_ROUNDTABLE",
     RT_CMD_SUMMARY, "the id of the roundtable to summarise"},
    {"format", CFG_STRING, OFF(summary.format), "json", 0, 0, "ROUNDTABLE_SUMMARY_FORMAT",
     RT_CMD_SUMMARY, "json, markdown, html or csv"},
    {"lang", CFG_STRING, OFF(summary.lang), "en", 0, 0, "ROUNDTABLE_SUMMARY_LANG", RT_CMD_SUMMARY,
     "the language of labels and names: en or zh"},
    {"log-level", CFG_LOGLEVEL, OFF(log_level), "info", 0, 0, "ROUNDTABLE_LOG_LEVEL", RT_CMD_DB,
     "error, warn, info or debug"},
};

#define CONFIG_COUNT (sizeof(config_table) / sizeof(config_table[0]))

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return RT_ECONFIG;
}

/* Parses a whole decimal number with an optional suffix from `suffixes`
 * (pairs of name and multiplier). */
typedef struct suffix {
  const char *name;
  long long mult;
} suffix_t;

static int parse_scaled(const char *s, const suffix_t *suffixes, long long *out) {
  if (*s < '0' || *s > '9')
    return RT_EINVAL;
  errno = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (errno)
    return RT_EINVAL;
  long long mult = 1;
  if (*end) {
    const suffix_t *sf = suffixes;
    while (sf && sf->name && strcasecmp(sf->name, end) != 0)
      sf++;
    if (!sf || !sf->name)
      return RT_EINVAL;
    mult = sf->mult;
  }
  if (v > LLONG_MAX / mult)
    return RT_EINVAL;
  *out = v * mult;
  return 0;
}

static const suffix_t byte_suffixes[] = {{"K", KiB}, {"KiB", KiB}, {"M", MiB}, {"MiB", MiB},
                                         {"G", GiB}, {"GiB", GiB}, {NULL, 0}};
static const suffix_t millis_suffixes[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", HOUR_MS}, {NULL, 0}};

static int parse_listen(const char *s, rt_http_options_t *http) {
  const char *colon;
  const char *host = s;
  size_t hostlen;
  if (*s == '[') { /* [v6]:port */
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':')
      return RT_EINVAL;
    host = s + 1;
    hostlen = (size_t)(close - host);
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon || memchr(s, ':', (size_t)(colon - s)))
      return RT_EINVAL;
    hostlen = (size_t)(colon - s);
  }
  if (hostlen == 0 || hostlen >= sizeof(http->host))
    return RT_EINVAL;
  const char *p = colon + 1;
  if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p))
    return RT_EINVAL;
  long port = strtol(p, NULL, 10);
  if (port < 1 || port > 65535)
    return RT_EINVAL;
  memcpy(http->host, host, hostlen);
  http->host[hostlen] = '\0';
  http->port = (int)port;
  return 0;
}

/* what names where the value came from, for the error message. */
static int apply(rt_config_t *cfg, const config_entry_t *e, const char *value, const char *what,
                 char *err, size_t errlen) {
  char *field = (char *)cfg + e->offset;
  long long v;
  switch (e->type) {
  case CFG_STRING:
    *(const char **)field = *value ? value : NULL;
    return 0;
  case CFG_LISTEN:
    if (parse_listen(value, &cfg->http))
      return fail(err, errlen, "%s: expected HOST:PORT, got \"%s\"", what, value);
    return 0;
  case CFG_LOGLEVEL:
    if (rt_log_parse_level(value, &cfg->log_level))
      return fail(err, errlen, "%s: expected error, warn, info or debug, got \"%s\"", what, value);
    return 0;
  case CFG_INT:
    if (parse_scaled(value, NULL, &v))
      return fail(err, errlen, "%s: expected a whole number, got \"%s\"", what, value);
    break;
  case CFG_BYTES:
    if (parse_scaled(value, byte_suffixes, &v))
      return fail(err, errlen, "%s: expected a size such as 65536, 64K or 1M, got \"%s\"", what,
                  value);
    break;
  case CFG_MILLIS:
    if (parse_scaled(value, millis_suffixes, &v))
      return fail(err, errlen,
                  "%s: expected milliseconds or a duration such as 500ms or 10s, "
                  "got \"%s\"",
                  what, value);
    break;
  }
  if (v < e->min || v > e->max) {
    char range[64];
    snprintf(range, sizeof(range), "%lld..%lld", e->min, e->max);
    return fail(err, errlen, "%s: out of range (%s)", what, range);
  }
  switch (e->type) {
  case CFG_INT:
    *(int *)field = (int)v;
    break;
  case CFG_BYTES:
    *(size_t *)field = (size_t)v;
    break;
  default:
    *(uint64_t *)field = (uint64_t)v;
    break;
  }
  return 0;
}

static const config_entry_t *find_entry(const char *name, size_t len, unsigned command) {
  for (size_t i = 0; i < CONFIG_COUNT; i++) {
    const config_entry_t *e = &config_table[i];
    if ((e->commands & command) && strlen(e->name) == len && memcmp(e->name, name, len) == 0)
      return e;
  }
  return NULL;
}

int rt_config_load(rt_config_t *cfg, unsigned command, int argc, char **argv, char *err,
                   size_t errlen) {
  memset(cfg, 0, sizeof(*cfg));
  for (size_t i = 0; i < CONFIG_COUNT; i++) {
    int rc = apply(cfg, &config_table[i], config_table[i].def, config_table[i].name, err, errlen);
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < CONFIG_COUNT; i++) {
    const config_entry_t *e = &config_table[i];
    const char *v = (e->commands & command) ? getenv(e->env) : NULL;
    if (v) {
      int rc = apply(cfg, e, v, e->env, err, errlen);
      if (rc)
        return rc;
    }
  }
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
      return fail(err, errlen, "unexpected argument \"%s\"", arg);
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const config_entry_t *e = find_entry(name, len, command);
    if (!e)
      return fail(err, errlen, "unknown option \"%s\" (see --help)", arg);
    const char *value = eq ? eq + 1 : NULL;
    if (!value) {
      if (i + 1 >= argc)
        return fail(err, errlen, "option --%s needs a value", e->name);
      value = argv[++i];
    }
    char what[64];
    snprintf(what, sizeof(what), "--%s", e->name);
    int rc = apply(cfg, e, value, what, err, errlen);
    if (rc)
      return rc;
  }
  return 0;
}

void rt_config_usage(FILE *out, unsigned command) {
  fprintf(out, "Options (flags override the environment, which overrides defaults):\n");
  for (size_t i = 0; i < CONFIG_COUNT; i++) {
    const config_entry_t *e = &config_table[i];
    if (!(e->commands & command))
      continue;
    fprintf(out, "  --%-20s %s\n  %22s env %s", e->name, e->help, "", e->env);
    if (*e->def)
      fprintf(out, ", default %s", e->def);
    fputc('\n', out);
  }
}
