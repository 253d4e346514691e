/* Private to service/db: what pool.c, result.c and migrate.c share beyond policy.h. */
#ifndef ROUNDTABLE_DB_INTERNAL_H
#define ROUNDTABLE_DB_INTERNAL_H

#include <libpq-fe.h>

#include "policy.h"
#include "roundtable/db.h"
#include "route.h"

/* What a callback's res points at: a PGresult (may be NULL when no statement ran) and, for
 * failures without one, a message and SQLSTATE (borrowed). */
struct rt_db_result_s {
  const PGresult *pg;
  const char *message;
  const char *sqlstate;
};

/* Appends the transaction retry counters (tx.c) to the pool's metrics. */
int rt__db_tx_metrics_render(rt_buf_t *out);

/* pool.c, for route.c: rt_db_exec that stays on pool (no fallback to the primary). */
int rt__db_exec_pinned(rt_db_pool_t *pool, const char *sql, int nparams, const char *const *values,
                       rt_db_result_cb cb, void *data) RT_WUR;
/* A transaction of a caller committed on pool (a primary): its route probes soon. */
void rt__db_pool_write_committed(rt_db_pool_t *pool);
/* Publishes the replica's lag (ms; -1 unknown) of a primary pool for the metrics. */
void rt__db_pool_read_lag_set(rt_db_pool_t *pool, long lag_ms);

#endif
