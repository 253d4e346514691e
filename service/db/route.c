/* Read routing to a replica (docs/scaling.md, "Read replica").
 *
 * Staleness is measured, not guessed: every probe interval the route asks the primary for
 * its WAL insert position P (noting the monotonic time s just before sending), then asks
 * the replica how far it has replayed (R). Once R >= P, everything committed on the primary
 * before s is on the replica, so "caught_up" = the newest such s. It needs no clock shared
 * between hosts and stays right on an idle primary (where pg_last_xact_replay_timestamp()
 * would show a growing "lag").
 *
 * Read-your-writes: a transaction that commits for a caller (rt_db_tx_*, the actor names
 * it) stores its COMMIT time t in a process-wide table under the caller's key. That caller's
 * reads go to the replica only while caught_up > t: the probe that proves it was sent after
 * the COMMIT returned, so its P covers the commit record. The table is a fixed array indexed
 * by a hash: two callers that share a slot only send each other to the primary a little
 * more often, never to a replica that lacks their write. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "roundtable/log.h"

#define MARK_SLOTS 4096 /* power of two */
#define MAX_SAMPLES 64
#define MIN_INTERVAL_MS 10
#define MAX_INTERVAL_MS 250
#define KICK_GAP_MS 5 /* probes a write asks for start at most this often */

typedef struct route_sample_s {
  uint64_t at_ns; /* uv_hrtime() just before the primary was asked */
  uint64_t lsn;   /* the primary's WAL insert position it answered */
} route_sample_t;

struct rt__db_route_s {
  rt_db_pool_t *primary;
  rt_db_pool_t *replica;
  uv_timer_t timer;
  uint64_t max_lag_ns;
  uint64_t sent_ns; /* the probe in flight: when its primary query was sent */
  int probing;      /* a probe query is in flight */
  int again;        /* a write committed while probing: probe once more right after */
  int soon;         /* the timer is set for KICK_GAP_MS: later writes leave it be */
  uint64_t interval_ms;
  int closing;
  int timer_open;
  void (*close_cb)(void *data);
  void *close_data;
  route_sample_t samples[MAX_SAMPLES]; /* oldest first; at_ns and lsn increase */
  int nsamples;
  uint64_t caught_up_ns; /* 0: not yet measured */
  int warned_primary;    /* logged once that the read server is not a standby */
};

static _Atomic uint64_t marks[MARK_SLOTS];
static atomic_ulong routed_replica, routed_recent_write, routed_down, routed_lagging, fallbacks;

static void on_primary_lsn(int status, const rt_db_result_t *res, void *data);
static void on_replica_lsn(int status, const rt_db_result_t *res, void *data);

static void bump(atomic_ulong *c) { atomic_fetch_add_explicit(c, 1, memory_order_relaxed); }

static uint64_t mix64(uint64_t x) {
  /* splitmix64's finaliser: spreads ids over the slots. */
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

uint64_t rt_db_reader_key(int64_t participant_id, int64_t account_id, int64_t token_id) {
  uint64_t kind, id;
  if (participant_id)
    kind = 1, id = (uint64_t)participant_id;
  else if (account_id)
    kind = 2, id = (uint64_t)account_id;
  else if (token_id)
    kind = 3, id = (uint64_t)token_id;
  else
    return 0;
  uint64_t k = mix64(id ^ (kind << 60));
  return k ? k : 1;
}

/* The integer after "name": in the actor's JSON (quoted or not); 0 when absent or null. */
static int64_t actor_member(const char *actor, const char *name) {
  char pat[40];
  (void)snprintf(pat, sizeof(pat), "\"%s\":", name);
  const char *at = strstr(actor, pat);
  if (!at)
    return 0;
  at += strlen(pat);
  while (*at == ' ' || *at == '"')
    at++;
  return strtoll(at, NULL, 10);
}

uint64_t rt__db_actor_reader_key(const char *actor) {
  if (!actor)
    return 0;
  return rt_db_reader_key(actor_member(actor, "participant_id"), actor_member(actor, "account_id"),
                          actor_member(actor, "token_id"));
}

void rt__db_route_note_write(uint64_t reader) {
  if (!reader)
    return;
  _Atomic uint64_t *slot = &marks[reader & (MARK_SLOTS - 1)];
  uint64_t now = uv_hrtime();
  uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
  while (old < now && !atomic_compare_exchange_weak_explicit(slot, &old, now, memory_order_release,
                                                             memory_order_relaxed))
    ;
}

void rt__db_route_count_fallback(void) { bump(&fallbacks); }

/* ---- probing ------------------------------------------------------------------------ */

static uint64_t parse_lsn(const rt_db_result_t *res, int col, int *ok) {
  const char *v = rt_db_result_rows(res) == 1 ? rt_db_result_value(res, 0, col) : NULL;
  char *end = NULL;
  unsigned long long n = v ? strtoull(v, &end, 10) : 0;
  *ok = v && end != v;
  return n;
}

static void route_maybe_free(rt__db_route_t *r) {
  if (!r->closing || r->probing || r->timer_open)
    return;
  void (*cb)(void *) = r->close_cb;
  void *data = r->close_data;
  free(r);
  if (cb)
    cb(data);
}

static void on_route_timer(uv_timer_t *t);

/* The next probe in KICK_GAP_MS, then every interval again. */
static void route_probe_soon(rt__db_route_t *r) {
  if (r->soon)
    return; /* restarting it on every write would starve the probe under steady writes */
  r->soon = 1;
  uv_timer_start(&r->timer, on_route_timer, KICK_GAP_MS, r->interval_ms);
}

void rt__db_route_kick(rt__db_route_t *r) {
  if (r->closing)
    return;
  if (r->probing)
    r->again = 1; /* the probe in flight was sent before the write: it cannot prove it */
  else
    route_probe_soon(r);
}

/* A probe ended (its callback ran): one more soon if a write asked meanwhile. */
static void probe_ended(rt__db_route_t *r) {
  r->probing = 0;
  if (r->again && !r->closing) {
    r->again = 0;
    route_probe_soon(r);
  }
  route_maybe_free(r);
}

static void on_route_timer(uv_timer_t *t) {
  rt__db_route_t *r = t->data;
  r->soon = 0;
  if (r->closing || r->probing)
    return;
  r->sent_ns = uv_hrtime();
  r->probing = 1;
  /* As text: a numeric of bytes since 0/0, beyond int8 only after 8 EiB of WAL. */
  if (rt__db_exec_pinned(r->primary, "SELECT (pg_current_wal_insert_lsn() - '0/0')::text", 0, NULL,
                         on_primary_lsn, r) != 0)
    probe_ended(r);
}

static void on_primary_lsn(int status, const rt_db_result_t *res, void *data) {
  rt__db_route_t *r = data;
  int ok = 0;
  uint64_t lsn = status ? 0 : parse_lsn(res, 0, &ok);
  if (r->closing || !ok || !rt_db_pool_connected(r->replica)) {
    probe_ended(r);
    return;
  }
  if (r->nsamples == MAX_SAMPLES) { /* far behind: forget the oldest (conservative) */
    memmove(r->samples, r->samples + 1, sizeof(r->samples[0]) * (MAX_SAMPLES - 1));
    r->nsamples--;
  }
  r->samples[r->nsamples++] = (route_sample_t){.at_ns = r->sent_ns, .lsn = lsn};
  /* A standby reports how far it replayed; a primary given as the read server (the same
   * cluster through another address or a pooler) is as far as it has written. */
  if (rt__db_exec_pinned(r->replica,
                         "SELECT pg_is_in_recovery(), (CASE WHEN pg_is_in_recovery() THEN "
                         "pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END - "
                         "'0/0')::text",
                         0, NULL, on_replica_lsn, r) != 0)
    probe_ended(r);
}

static void on_replica_lsn(int status, const rt_db_result_t *res, void *data) {
  rt__db_route_t *r = data;
  int ok = 0;
  uint64_t replayed = status ? 0 : parse_lsn(res, 1, &ok);
  if (r->closing || !ok) {
    probe_ended(r);
    return;
  }
  const char *standby = rt_db_result_value(res, 0, 0);
  if (standby && strcmp(standby, "f") == 0 && !r->warned_primary) {
    r->warned_primary = 1;
    rt_log_warn("db: the --db-read server is not a standby; it is taken to be the primary "
                "itself (another address or a pooler), read-your-writes relies on that");
  }
  int newest = -1;
  for (int i = 0; i < r->nsamples; i++)
    if (r->samples[i].lsn <= replayed)
      newest = i;
  if (newest >= 0) {
    if (r->samples[newest].at_ns > r->caught_up_ns)
      r->caught_up_ns = r->samples[newest].at_ns;
    r->nsamples -= newest + 1;
    memmove(r->samples, r->samples + newest + 1, sizeof(r->samples[0]) * (size_t)r->nsamples);
  }
  if (r->caught_up_ns)
    rt__db_pool_read_lag_set(r->primary, (long)((uv_hrtime() - r->caught_up_ns) / 1000000));
  probe_ended(r);
}

/* ---- life ---------------------------------------------------------------------------- */

int rt__db_route_create(uv_loop_t *loop, rt_db_pool_t *primary, rt_db_pool_t *replica,
                        uint64_t max_lag_ms, rt__db_route_t **out) {
  rt__db_route_t *r = calloc(1, sizeof(*r));
  if (!r)
    return RT_ENOMEM;
  r->primary = primary;
  r->replica = replica;
  r->max_lag_ns = max_lag_ms * 1000000ull;
  uint64_t interval = max_lag_ms / 20;
  if (interval < MIN_INTERVAL_MS)
    interval = MIN_INTERVAL_MS;
  if (interval > MAX_INTERVAL_MS)
    interval = MAX_INTERVAL_MS;
  r->interval_ms = interval;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  r->timer_open = 1;
  uv_timer_start(&r->timer, on_route_timer, 0, interval);
  *out = r;
  return 0;
}

static void on_route_timer_closed(uv_handle_t *h) {
  rt__db_route_t *r = h->data;
  r->timer_open = 0;
  route_maybe_free(r);
}

void rt__db_route_close(rt__db_route_t *r, void (*cb)(void *data), void *data) {
  r->closing = 1;
  r->close_cb = cb;
  r->close_data = data;
  uv_close((uv_handle_t *)&r->timer, on_route_timer_closed);
}

/* ---- routing ----------------------------------------------------------------------- */

rt_db_pool_t *rt__db_route_pick(rt__db_route_t *r, uint64_t reader) {
  if (!rt_db_pool_connected(r->replica)) {
    bump(&routed_down);
    return r->primary;
  }
  uint64_t caught_up = r->caught_up_ns;
  if (!caught_up || uv_hrtime() - caught_up > r->max_lag_ns) {
    bump(&routed_lagging);
    return r->primary;
  }
  if (reader &&
      atomic_load_explicit(&marks[reader & (MARK_SLOTS - 1)], memory_order_acquire) >= caught_up) {
    bump(&routed_recent_write);
    return r->primary;
  }
  bump(&routed_replica);
  return r->replica;
}

uint64_t rt__db_route_caught_up(const rt__db_route_t *r) { return r->caught_up_ns; }

const char *rt__db_route_state(const rt__db_route_t *r) {
  if (!rt_db_pool_connected(r->replica))
    return "down";
  if (!r->caught_up_ns)
    return "starting";
  return uv_hrtime() - r->caught_up_ns > r->max_lag_ns ? "lagging" : "in_use";
}

int rt__db_route_metrics_render(rt_buf_t *out, long lag_ms) {
  return rt_buf_printf(
      out,
      "# HELP roundtable_db_read_routed_total Reads routed to the replica or kept on the "
      "primary, by reason.\n"
      "# TYPE roundtable_db_read_routed_total counter\n"
      "roundtable_db_read_routed_total{to=\"replica\"} %lu\n"
      "roundtable_db_read_routed_total{to=\"primary\",reason=\"recent_write\"} %lu\n"
      "roundtable_db_read_routed_total{to=\"primary\",reason=\"replica_down\"} %lu\n"
      "roundtable_db_read_routed_total{to=\"primary\",reason=\"replica_lagging\"} %lu\n"
      "# HELP roundtable_db_read_fallbacks_total Reads the replica could not serve, retried on "
      "the primary.\n"
      "# TYPE roundtable_db_read_fallbacks_total counter\n"
      "roundtable_db_read_fallbacks_total %lu\n"
      "# HELP roundtable_db_read_replica_lag_seconds How far the replica was behind the primary "
      "at its last probe (an upper bound; -1: not measured).\n"
      "# TYPE roundtable_db_read_replica_lag_seconds gauge\n"
      "roundtable_db_read_replica_lag_seconds %.3f\n",
      atomic_load_explicit(&routed_replica, memory_order_relaxed),
      atomic_load_explicit(&routed_recent_write, memory_order_relaxed),
      atomic_load_explicit(&routed_down, memory_order_relaxed),
      atomic_load_explicit(&routed_lagging, memory_order_relaxed),
      atomic_load_explicit(&fallbacks, memory_order_relaxed),
      lag_ms < 0 ? -1.0 : (double)lag_ms / 1000.0);
}
