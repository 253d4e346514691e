/* The API layer: routes every request of the HTTP core to its handler. The only
 * module that knows the API contract (../shared/API.md). */
#ifndef ROUNDTABLE_API_H
#define ROUNDTABLE_API_H

#include <stdint.h>
#include <uv.h>

#include "roundtable/buf.h"
#include "roundtable/db.h"
#include "roundtable/http.h"

typedef struct rt_api_app_s {
  const rt_db_options_t *db; /* borrowed; outlives the server */
  /* A queued or running match run whose process has not refreshed its heartbeat for this long
   * is considered dead (the process stopped or lost the database) and is failed by the next
   * request that meets it; 0 means the default, 60 s. */
  uint64_t match_run_stale_ms;
  uint64_t match_run_timeout_ms; /* 0: no limit */
  /* Browser sessions (docs/security.md): a session ends after idle_ms without a request or
   * lifetime_ms after sign-in, whichever comes first; 0 means the defaults (30 min, 12 h). */
  uint64_t session_idle_ms;
  uint64_t session_lifetime_ms;
  /* "auto" (NULL): the session cookie is Secure when a trusted proxy says the request came
   * over https (X-Forwarded-Proto); "always"; "never". */
  const char *cookie_secure;
  /* Comma-separated peer addresses whose X-Forwarded-Proto and X-Forwarded-For are believed;
   * NULL: none (borrowed). */
  const char *trusted_proxies;
} rt_api_app_t;

/* Checks the options of app (cookie_secure's value); 0, or RT_EINVAL with a reason in err. */
int rt_api_app_check(const rt_api_app_t *app, char *err, size_t errlen) RT_WUR;

/* The hooks to pass to rt_http_server_run; app (borrowed) goes in hooks.app. */
rt_http_hooks_t rt_api_hooks(rt_api_app_t *app);

/* Starts the process's caches and the one connection that LISTENs for their invalidation
 * (docs/scaling.md): bearer-token lookups when tokens is non-zero, rendered GET responses
 * of up to response_bytes when that is non-zero; 0 or a negative code. Without them every
 * request looks its token up and every GET asks the database. rt_api_cache_stop stops the
 * listener and frees the caches (nothing is cached afterwards); both from the main thread. */
int rt_api_cache_start(const rt_db_options_t *db, int tokens, size_t response_bytes) RT_WUR;
void rt_api_cache_stop(void);

/* Creates a token from the command line (no caller to authorise: whoever can reach the
 * database is trusted). role is admin, organizer, state or provider; participant (may be
 * NULL) an id. On success writes the token into out (at least 64 bytes) and returns 0;
 * else a negative code with a one-line reason in err. Blocking. */
int rt_api_token_create(const rt_db_options_t *db, const char *role, const char *participant,
                        const char *label, char *out, size_t outlen, char *err,
                        size_t errlen) RT_WUR;

/* Creates an account from the command line (no caller to authorise). email, role and
 * participant (may be NULL) as for POST /api/v1/accounts; password[0..len) is hashed with
 * argon2id. On success writes the new account's id into out and returns 0; else a negative
 * code with a one-line reason in err (RT_EINVAL for a bad argument). Blocking. */
int rt_api_account_create(const rt_db_options_t *db, const char *email, const char *role,
                          const char *participant, const char *password, size_t len, char *out,
                          size_t outlen, char *err, size_t errlen) RT_WUR;

/* Loads the demo roundtable (the first Global Roundtable on ICT security capacity-building)
 * in one transaction unless it is there already. *loaded says which. Blocking. */
int rt_api_demo_load(const char *conninfo, int *loaded, char *err, size_t errlen) RT_WUR;

/* Writes the summary of a roundtable (the document GET /roundtables/{id}/summary answers) into
 * out: roundtable is its id, format json|markdown|html|csv and lang en|zh (NULL: json, en).
 * Returns 0; RT_EINVAL for a bad argument, RT_ENOENT for an unknown roundtable, or another
 * negative code, each with a one-line reason in err. Blocking. */
int rt_api_summary(const rt_db_options_t *db, const char *roundtable, const char *format,
                   const char *lang, rt_buf_t *out, char *err, size_t errlen) RT_WUR;

/* Frees what the API layer keeps for the process's life; after the server stopped. */
void rt_api_cleanup(void);

#endif
