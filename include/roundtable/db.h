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

typedef struct rt_db_options_s {
  const char *conninfo;          /* libpq conninfo string or URI */
  int pool_size;                 /* connections per loop */
  int max_waiters;               /* callers queued for a connection; beyond: RT_EBUSY */
  uint64_t connect_timeout_ms;   /* per connection attempt */
  uint64_t statement_timeout_ms; /* server-side statement_timeout */
  uint64_t acquire_timeout_ms;   /* longest wait in the queue */
  uint64_t reconnect_min_ms;     /* backoff after a failed connect, doubling ... */
  uint64_t reconnect_max_ms;     /* ... up to this */
} rt_db_options_t;

typedef struct rt_db_pool_s rt_db_pool_t;
typedef struct rt_db_conn_s rt_db_conn_t;
typedef struct rt_db_result_s rt_db_result_t;

/* Creates a pool on loop and starts connecting in the background. */
int rt_db_pool_create(uv_loop_t *loop, const rt_db_options_t *opts, rt_db_pool_t **out) RT_WUR;
/* Fails waiters with RT_ESHUTDOWN, closes connections (after in-flight queries are
 * abandoned) and handles, then calls cb(data) and frees the pool. */
void rt_db_pool_close(rt_db_pool_t *pool, void (*cb)(void *data), void *data);
/* Non-zero while at least one connection is established. */
int rt_db_pool_connected(const rt_db_pool_t *pool);

typedef void (*rt_db_acquire_cb)(int status, rt_db_conn_t *conn, void *data);
/* Asks for a connection. Returns RT_EBUSY when the wait queue is full,
 * RT_EDB_UNAVAILABLE when no connection is up, RT_ESHUTDOWN when closing; the callback
 * is then never called. On 0, cb runs exactly once, later: status 0 with a connection
 * that the caller must rt_db_release, or a negative code (RT_ETIMEDOUT, ...) and NULL. */
int rt_db_acquire(rt_db_pool_t *pool, rt_db_acquire_cb cb, void *data) RT_WUR;
/* Returns a connection: pending results are drained, a failed transaction rolled back,
 * a broken connection replaced. */
void rt_db_release(rt_db_conn_t *conn);

/* res is borrowed, valid only during the callback. status is 0, RT_EDB_QUERY (see
 * sqlstate), RT_EDB_CONFLICT (40001/40P01: retry), RT_EDB_UNAVAILABLE (connection
 * lost), RT_ETIMEDOUT or RT_ESHUTDOWN. */
typedef void (*rt_db_result_cb)(int status, const rt_db_result_t *res, void *data);

/* Sends one parameterised statement (text parameters, NULL for SQL NULL; borrowed,
 * copied by libpq before return). One query at a time per connection. */
int rt_db_query(rt_db_conn_t *conn, const char *sql, int nparams, const char *const *values,
                rt_db_result_cb cb, void *data) RT_WUR;
/* Acquire, one statement, release. */
int rt_db_exec(rt_db_pool_t *pool, const char *sql, int nparams, const char *const *values,
               rt_db_result_cb cb, void *data) RT_WUR;

int rt_db_result_rows(const rt_db_result_t *res);
int rt_db_result_cols(const rt_db_result_t *res);
/* NUL-terminated text of a value, NULL for SQL NULL. */
const char *rt_db_result_value(const rt_db_result_t *res, int row, int col);
size_t rt_db_result_length(const rt_db_result_t *res, int row, int col);
int rt_db_result_column(const rt_db_result_t *res, const char *name); /* -1 if absent */
long rt_db_result_affected(const rt_db_result_t *res);
const char *rt_db_result_sqlstate(const rt_db_result_t *res); /* "" when none */
const char *rt_db_result_message(const rt_db_result_t *res);  /* "" when none */

/* Appends Prometheus text for pool gauges (connections by state, waiters, errors) of
 * every pool in the process; thread-safe. */
int rt_db_metrics_render(rt_buf_t *out) RT_WUR;

/* Off-loop (CLI) helpers, blocking. Applies the embedded migrations in order, each once
 * in its own transaction, under an advisory lock; prints one line per applied file to
 * log. Returns 0 or a negative code with a one-line reason in err. */
int rt_db_migrate(const char *conninfo, char *err, size_t errlen) RT_WUR;

#endif
