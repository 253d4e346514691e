/* The process's cache of bearer-token lookups (docs/scaling.md): a found token's id, role
 * and participant. One LISTENing connection (rt_db_listener) hears every change to tokens,
 * accounts and sessions (sql/008_notify.sql) and empties the cache; so does the loss of
 * that connection, and while it is down nothing is cached.
 *
 * A cached answer is used only after a sync on the listening connection that started after
 * the request arrived: every notice committed before then has been heard, so a token
 * revoked through any process is refused by the next request everywhere. Requests waiting
 * at the same time share that one round trip, which is what makes the cache pay: one
 * SELECT 1 for many requests instead of a lookup each. */
#ifndef RT_API_CACHE_H
#define RT_API_CACHE_H

#include <stdint.h>
#include <uv.h>

#include "api_internal.h"
#include "auth.h"
#include "roundtable/buf.h"

typedef struct rt__cached_token {
  int64_t token_id;
  int64_t participant_id;
  rt_role_t role;
} rt__cached_token_t;

/* A request's place in a loop's wait list for a sync on the listening connection; lives in
 * the request's arena. ready(w, usable) runs on the loop's thread once the sync is answered
 * (usable 1), or when the loop closes or the listener is down (usable 0: trust nothing). */
typedef struct rt__cache_wait {
  struct rt__cache_wait *next;
  uint64_t sync;
  void (*ready)(struct rt__cache_wait *w, int usable);
} rt__cache_wait_t;

/* found: 1 with *t (borrowed for the call) when the cache vouches for the token, 0 when it
 * must be looked up; generation: what to pass to rt__token_cache_put after that lookup;
 * sync: the sync it waited for when found (0 else), which a later cache may reuse. */
typedef void (*rt__token_cache_cb)(void *arg, int found, const rt__cached_token_t *t,
                                   uint64_t generation, uint64_t sync);

typedef struct rt__token_wait {
  rt__cache_wait_t base; /* first */
  const char *hash;
  rt__token_cache_cb cb;
  void *arg;
} rt__token_wait_t;

/* Looks hash (hex, RT_TOKEN_HASH_HEX_LEN chars, borrowed until cb) up for a request on loop:
 * cb(arg, ...) runs exactly once, inside this call when the answer is known at once (a miss),
 * else later on loop's thread. w (borrowed until cb) holds the request's place. */
void rt__token_cache_lookup(uv_loop_t *loop, rt__token_wait_t *w, const char *hash,
                            rt__token_cache_cb cb, void *arg);
/* Keeps what a lookup that started at generation found, unless the cache was emptied since. */
void rt__token_cache_put(const char *hash, const rt__cached_token_t *t, uint64_t generation);
/* A worker loop's part: init in its worker_init, close in its worker_close (waiting requests
 * are answered as misses). 0 or a negative code. */
int rt__token_cache_worker_init(uv_loop_t *loop) RT_WUR;
void rt__token_cache_worker_close(uv_loop_t *loop);

/* ---- Rendered responses (docs/scaling.md, "Response cache") ----
 * The 200 answers of the GET routes listed in cache.c, keyed by the route's path, its query
 * string with its parameters in sorted order, and the caller's role and participant (all that
 * visibility depends on). Any change to a table such a response reads notifies rt_data
 * (sql/016_response_cache.sql) and empties the cache. A cached answer is served under the same
 * rule as a cached token: only after a sync that started after the request arrived (the one
 * its token's lookup waited for, when it did). Bounded in bytes, least recently used first out.
 * Misses of one key on one loop while its answer is being made follow that answer. With
 * --db-read, an answer that read the replica (the call's read_as_of) is kept only if the
 * replica had replayed everything committed before the current generation began.
 *
 * Runs call's handler, or answers call from the cache; call is authorised. sync: a sync that
 * started after the request arrived and has been answered (0: none). */
void rt__response_cache_run(rt_api_call_t *call, uint64_t sync);
/* Appends the cache's Prometheus counters to out; 0 or a negative code. Thread-safe. */
int rt__response_cache_metrics(rt_buf_t *out) RT_WUR;

#endif
