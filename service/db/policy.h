/* Private to service/db: the pure policy of the pool (connection state table, backoff,
 * error mapping), apart from any I/O and from libpq so unit tests check it alone. */
#ifndef ROUNDTABLE_DB_POLICY_H
#define ROUNDTABLE_DB_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "roundtable/error.h"

/* One pooled connection's life. "Leased" states belong to a caller between acquire and
 * release; the others belong to the pool. */
typedef enum rt__db_state {
  RT__DB_DISCONNECTED = 0, /* no PGconn, nothing scheduled (initial) */
  RT__DB_RESOLVING,        /* uv_getaddrinfo in flight for the host name */
  RT__DB_CONNECTING,       /* PQconnectPoll in progress */
  RT__DB_IDLE,             /* ready, waiting in the pool; watched for EOF */
  RT__DB_ACQUIRED,         /* leased, no query in flight */
  RT__DB_BUSY,             /* leased, a caller's query in flight */
  RT__DB_RESETTING,        /* released; draining an abandoned query or ROLLBACK in flight */
  RT__DB_BROKEN,           /* leased, but the connection is gone; waits for release */
  RT__DB_BACKOFF,          /* not connected; reconnect timer running */
  RT__DB_CLOSING,          /* pool closing; its handles are closing */
  RT__DB_CLOSED,           /* every handle closed */
  RT__DB_STATE_COUNT
} rt__db_state_t;

/* Which gauge a state counts under in the metrics. */
typedef enum rt__db_gauge {
  RT__DB_GAUGE_IDLE = 0,
  RT__DB_GAUGE_BUSY,
  RT__DB_GAUGE_CONNECTING,
  RT__DB_GAUGE_DOWN,
  RT__DB_GAUGE_NONE, /* closing/closed: not counted */
  RT__DB_GAUGE_COUNT
} rt__db_gauge_t;

const char *rt__db_state_name(rt__db_state_t s);
/* Non-zero when the state table allows from -> to. */
int rt__db_transition_ok(rt__db_state_t from, rt__db_state_t to);
rt__db_gauge_t rt__db_state_gauge(rt__db_state_t s);

/* Reconnect delay before attempt number `failures` (0 after a healthy connection was
 * lost): min doubling per failure up to max, scaled by a jitter factor in [0.8, 1.2]
 * taken from rnd (uniform in [0, 1]), then clamped to [min, max]. */
uint64_t rt__db_backoff_ms(uint64_t min_ms, uint64_t max_ms, unsigned failures, double rnd);

/* Maps a failed statement to an rt_error code: conn_bad (the connection is gone) or a
 * connection-class SQLSTATE -> RT_EDB_UNAVAILABLE; 40001/40P01 -> RT_EDB_CONFLICT;
 * 57014 -> RT_ETIMEDOUT; anything else (sqlstate may be NULL or "") -> RT_EDB_QUERY. */
int rt__db_error_from_sqlstate(const char *sqlstate, int conn_bad);

/* Copies src into dst as one line: CR, LF and tabs become spaces, runs of them collapse,
 * trailing space goes. dst always NUL-terminated. */
void rt__db_one_line(char *dst, size_t dstlen, const char *src);

#endif
