/* Asynchronous PostgreSQL on the event loop: a pool of non-blocking libpq connections
 * per loop, driven by uv_poll. Only db/ includes libpq; callers see the small
 * result API below. */
#ifndef ROUNDTABLE_DB_H
#define ROUNDTABLE_DB_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "roundtable/buf.h"
#include "roundtable/error.h"

struct rt_buf_s;

/* A field left 0 takes the default in brackets; values are clamped to the bounds given. */
typedef struct rt_db_options_s {
  const char *conninfo;          /* libpq conninfo string or URI (borrowed; copied) */
  int pool_size;                 /* connections per loop [4], 1..1000 */
  int max_waiters;               /* callers queued for a connection; beyond: RT_EBUSY [256] */
  uint64_t connect_timeout_ms;   /* per connection attempt [5000] */
  uint64_t statement_timeout_ms; /* server-side statement_timeout [30000]; the client gives
                                    up on a silent server (connection broken) a margin later */
  uint64_t acquire_timeout_ms;   /* longest wait in the queue [5000] */
  uint64_t reconnect_min_ms;     /* backoff after a failed connect, doubling ... [100] */
  uint64_t reconnect_max_ms;     /* ... up to this, with jitter [5000] */
  /* A read replica (docs/scaling.md): NULL for none. Otherwise the pool keeps a second set of
   * pool_size connections there, run as default_transaction_read_only, and
   * rt_db_read_pool() hands it out for reads while it is up and has replayed the primary to
   * within read_max_lag_ms [5000] (borrowed; copied). */
  const char *read_conninfo;
  uint64_t read_max_lag_ms;
} rt_db_options_t;

typedef struct rt_db_pool_s rt_db_pool_t;
typedef struct rt_db_conn_s rt_db_conn_t;
typedef struct rt_db_result_s rt_db_result_t;

/* Creates a pool on loop and starts connecting in the background. A conninfo that libpq
 * cannot parse gives RT_EINVAL. Host names are resolved with uv_getaddrinfo, off the loop.
 * The pool belongs to loop's thread: every call below except rt_db_metrics_render must be
 * made there. */
int rt_db_pool_create(uv_loop_t *loop, const rt_db_options_t *opts, rt_db_pool_t **out) RT_WUR;
/* Fails waiters with RT_ESHUTDOWN (their callbacks run), abandons in-flight queries (their
 * callbacks get RT_ESHUTDOWN), closes connections and handles, then calls cb(data) (may be
 * NULL) and frees the pool. Connections still held by callers stay valid until released
 * (rt_db_query on them fails with RT_ESHUTDOWN); the pool is freed only after the last
 * one is released. A second call is ignored. */
void rt_db_pool_close(rt_db_pool_t *pool, void (*cb)(void *data), void *data);
/* Non-zero while at least one connection is established. */
int rt_db_pool_connected(const rt_db_pool_t *pool);

typedef void (*rt_db_acquire_cb)(int status, rt_db_conn_t *conn, void *data);
/* Asks for a connection. Returns RT_EBUSY when the wait queue is full,
 * RT_EDB_UNAVAILABLE when no connection is up (none established and none being
 * attempted), RT_ESHUTDOWN when closing; the callback is then never called. On 0, cb runs
 * exactly once, later (never inside this call), in FIFO order: status 0 with a
 * connection that the caller must rt_db_release, or a negative code and NULL:
 * RT_ETIMEDOUT (acquire_timeout_ms passed), RT_EDB_UNAVAILABLE (the last connection
 * attempt failed meanwhile), RT_ESHUTDOWN (pool closed). */
int rt_db_acquire(rt_db_pool_t *pool, rt_db_acquire_cb cb, void *data) RT_WUR;
/* Returns a connection (stolen): an open or failed transaction is rolled back, a broken
 * connection replaced. Releasing with a query in flight abandons the query: its callback
 * is not called and its result is drained before the connection is reused. */
void rt_db_release(rt_db_conn_t *conn);

/* For a transaction that set its own statement_timeout (SET LOCAL, set_config(..., true)):
 * the client-side deadline of this lease's queries follows ms instead of the pool's, until
 * the connection is released. */
void rt_db_conn_statement_timeout(rt_db_conn_t *conn, uint64_t ms);

/* res is borrowed, never NULL, valid only during the callback. status is 0, RT_EDB_QUERY
 * (see sqlstate), RT_EDB_CONFLICT (40001/40P01: retry), RT_EDB_UNAVAILABLE (connection
 * lost; the connection is dead, release it), RT_ETIMEDOUT (statement_timeout, SQLSTATE
 * 57014, connection still usable; or the server went silent past the client deadline,
 * connection dead) or RT_ESHUTDOWN. The callback may query again on the same connection,
 * release it, or close the pool. */
typedef void (*rt_db_result_cb)(int status, const rt_db_result_t *res, void *data);

/* Sends one parameterised statement (text parameters, NULL for SQL NULL; borrowed,
 * copied by libpq before return). One query at a time per connection: RT_EBUSY while
 * one is in flight; RT_EDB_UNAVAILABLE if the connection is lost; RT_ESHUTDOWN when the
 * pool is closing; RT_EINVAL for nparams out of 0..65535. The callback then is not called. */
int rt_db_query(rt_db_conn_t *conn, const char *sql, int nparams, const char *const *values,
                rt_db_result_cb cb, void *data) RT_WUR;
/* Acquire, one statement, release; sql and values are copied. Fails at once like
 * rt_db_acquire (the callback is then not called); otherwise cb runs exactly once, with
 * the acquire's error (res empty) or the statement's outcome. */
int rt_db_exec(rt_db_pool_t *pool, const char *sql, int nparams, const char *const *values,
               rt_db_result_cb cb, void *data) RT_WUR;

/* ---- transactions with retry (tx.c) ----
 * A transaction that a serialization failure or deadlock (RT_EDB_CONFLICT) aborts is run
 * again from the start, up to 3 attempts in all; only then does the caller see the
 * conflict. actor (may be NULL; copied) is a JSON text set as the transaction-local
 * setting roundtable.actor before the body runs: the audit triggers record it. */
typedef struct rt_db_tx_s rt_db_tx_t;
/* Runs inside the open transaction, on every attempt (reset the caller's own state at its
 * start). It sends its statements with rt_db_query on conn and ends, exactly once, with
 * rt_db_tx_end or rt_db_tx_abandon. conn is borrowed: do not release it. */
typedef void (*rt_db_tx_body_cb)(rt_db_tx_t *tx, rt_db_conn_t *conn, void *data);
/* The outcome, once the connection is back in the pool: 0 committed, else the failure
 * (res borrowed, never NULL, valid during the call). */
typedef void (*rt_db_tx_done_cb)(int status, const rt_db_result_t *res, void *data);
/* Leases a connection, sends begin_sql (NULL: "BEGIN"; e.g. "BEGIN ISOLATION LEVEL
 * SERIALIZABLE"), sets the actor, runs body. Fails at once like rt_db_acquire (nothing is
 * then called); otherwise done runs exactly once, unless the body abandons. */
int rt_db_tx_begin(rt_db_pool_t *pool, const char *begin_sql, const char *actor,
                   rt_db_tx_body_cb body, rt_db_tx_done_cb done, void *data) RT_WUR;
/* From the body: status 0 commits (a conflict at COMMIT retries too), RT_EDB_CONFLICT
 * retries while attempts remain, anything else rolls back; then done(status, res). */
void rt_db_tx_end(rt_db_tx_t *tx, int status, const rt_db_result_t *res);
/* From the body: rolls back and ends without calling done (the caller answers itself). */
void rt_db_tx_abandon(rt_db_tx_t *tx);
/* 1 on the first attempt, 2 on the first retry, ... */
int rt_db_tx_attempt(const rt_db_tx_t *tx);
/* One statement in its own transaction with the actor set: like rt_db_exec (sql and values
 * copied), but cb sees the statement's result only once COMMIT succeeded, and conflicts
 * are retried. */
int rt_db_tx_exec(rt_db_pool_t *pool, const char *actor, const char *sql, int nparams,
                  const char *const *values, rt_db_result_cb cb, void *data) RT_WUR;

int rt_db_result_rows(const rt_db_result_t *res);
int rt_db_result_cols(const rt_db_result_t *res);
/* NUL-terminated text of a value, NULL for SQL NULL. */
const char *rt_db_result_value(const rt_db_result_t *res, int row, int col);
size_t rt_db_result_length(const rt_db_result_t *res, int row, int col);
int rt_db_result_column(const rt_db_result_t *res, const char *name); /* -1 if absent */
/* Rows an INSERT/UPDATE/DELETE/SELECT/... touched; 0 when the command reports none. */
long rt_db_result_affected(const rt_db_result_t *res);
const char *rt_db_result_sqlstate(const rt_db_result_t *res); /* "" when none */
/* The constraint a failed write broke (e.g. "needs_window_ordered"); "" when none. */
const char *rt_db_result_constraint(const rt_db_result_t *res);
/* The server's (or libpq's) message, one line; "" when none. */
const char *rt_db_result_message(const rt_db_result_t *res);

/* ---- read replica (route.c) ----
 * Reads that may be served by the replica ask rt_db_read_pool for the pool to use: the
 * replica's, or pool itself (the primary) when no replica is configured, when it is down or
 * further behind than read_max_lag_ms, or when the caller (reader, below) committed a write
 * the replica has not replayed yet (read-your-writes). Writes, transactions and anything
 * that must see the newest state use pool itself. On the replica's pool, rt_db_acquire and
 * rt_db_exec that cannot get a connection there get one from the primary instead, and a
 * statement of rt_db_exec that fails there (except a statement timeout) runs again on the
 * primary: each counted as a fallback, so such callers see the primary's errors only. A
 * caller of rt_db_acquire that loses the replica's connection mid-way sees that failure. */
rt_db_pool_t *rt_db_read_pool(rt_db_pool_t *pool, uint64_t reader);
/* How fresh reads on read_pool (one rt_db_read_pool returned) are, as of now: every write
 * that committed on the primary before this monotonic time (uv_hrtime(), ns) is visible
 * there. UINT64_MAX for a primary's pool (every commit); for the replica's, the start of the
 * newest probe whose primary WAL position it had replayed (0: not measured). Only grows. */
uint64_t rt_db_read_as_of(const rt_db_pool_t *read_pool);
/* The read-your-writes key of a caller: the participant it acts for when bound to one, else
 * its account (browser sessions), else its API token; 0 (no key: a public caller) when all
 * are 0. rt_db_tx_* transactions whose actor (JSON) names the same members ("participant_id",
 * "account_id", "token_id", as text or numbers) mark their key as a writer at COMMIT. */
uint64_t rt_db_reader_key(int64_t participant_id, int64_t account_id, int64_t token_id);
/* The read pool's state for /readyz: NULL when no replica is configured, else "in_use"
 * (reads go there), "lagging" (further behind than the limit: reads go to the primary),
 * "down" (not connected: reads go to the primary) or "starting" (not yet measured: reads go
 * to the primary). */
const char *rt_db_read_state(const rt_db_pool_t *pool);

/* Appends Prometheus text for pool gauges (connections by state, waiters) and counters
 * (queries, query errors, reconnects, rejected and timed-out acquires), summed over every
 * pool in the process; thread-safe. Metric names: roundtable_db_connections{state=
 * "idle|busy|connecting|down"}, roundtable_db_waiters, roundtable_db_tx_retries_total,
 * roundtable_db_tx_conflicts_total, roundtable_db_queries_total,
 * roundtable_db_query_errors_total, roundtable_db_reconnects_total,
 * roundtable_db_acquire_rejected_total{reason="busy|unavailable"},
 * roundtable_db_acquire_timeouts_total; all for the primary pools. With a read replica also
 * roundtable_db_read_connections{state=...}, roundtable_db_read_routed_total{to="replica"},
 * roundtable_db_read_routed_total{to="primary",reason="recent_write|replica_down|
 * replica_lagging"}, roundtable_db_read_fallbacks_total and
 * roundtable_db_read_replica_lag_seconds (largest over the process's pools). */
int rt_db_metrics_render(rt_buf_t *out) RT_WUR;

/* Off-loop (CLI) helpers, blocking. Applies the embedded migrations in order, each once
 * in its own transaction, under an advisory lock; logs "applied NNN_x.sql" (info) per
 * applied file. Refuses a database that records a migration this binary does not know.
 * Returns 0 or a negative code (RT_EDB_UNAVAILABLE: cannot connect; RT_EDB_QUERY: a
 * migration or the bookkeeping failed; RT_ECONFIG: schema newer than the binary) with a
 * one-line reason in err (may be NULL). */
int rt_db_migrate(const char *conninfo, char *err, size_t errlen) RT_WUR;

/* Runs a multi-statement SQL script for a command-line tool, in one transaction under an
 * advisory lock, unless guard_sql (may be NULL) returns a row: then nothing runs and
 * *skipped is 1. Blocking. Returns 0 or a negative code with a one-line reason in err. */
int rt_db_run_script(const char *conninfo, const char *guard_sql, const char *script, int *skipped,
                     char *err, size_t errlen) RT_WUR;

/* Runs one statement for a command-line tool through a private loop and a pool of one
 * connection, blocking until cb has run. Returns 0 once cb ran (cb gets the outcome), or
 * a negative code when the statement could not be started (cb is then not called). */
int rt_db_exec_once(const rt_db_options_t *opts, const char *sql, int nparams,
                    const char *const *values, rt_db_result_cb cb, void *data) RT_WUR;

/* One LISTENing connection of its own, on a thread of its own (not a loop): cb(event,
 * channel, arg) runs on that thread with RT_DB_LISTEN_UP once it listens on every channel of
 * channels (comma-separated; again after a reconnect: notices may have been missed
 * meanwhile), RT_DB_LISTEN_NOTIFY once per channel that had notifications in a batch read
 * (channel names it; NULL for the other events), RT_DB_LISTEN_SYNCED when a sync (below) is
 * answered, and RT_DB_LISTEN_DOWN when the connection is lost (reconnects with backoff) or
 * the listener stops. conninfo and channels are copied. */
typedef enum rt_db_listen_event {
  RT_DB_LISTEN_UP,
  RT_DB_LISTEN_NOTIFY,
  RT_DB_LISTEN_SYNCED,
  RT_DB_LISTEN_DOWN,
} rt_db_listen_event_t;
typedef void (*rt_db_listen_cb)(rt_db_listen_event_t event, const char *channel, void *arg);
typedef struct rt_db_listener_s rt_db_listener_t;
int rt_db_listener_start(const char *conninfo, const char *channels, rt_db_listen_cb cb, void *arg,
                         rt_db_listener_t **out) RT_WUR;
/* Asks for a sync: a round trip on the listening connection after which every notice
 * committed before this call has been heard (RT_DB_LISTEN_NOTIFY ran first). Returns its
 * number; it is answered once rt_db_listener_synced() reaches it (RT_DB_LISTEN_SYNCED). All
 * callers waiting meanwhile share one round trip. Thread-safe. */
uint64_t rt_db_listener_sync(rt_db_listener_t *l);
uint64_t rt_db_listener_synced(rt_db_listener_t *l);
/* Stops and joins the thread (cb gets RT_DB_LISTEN_DOWN), then frees l (may be NULL). */
void rt_db_listener_stop(rt_db_listener_t *l);

#endif
