/* Private to service/db: what pool.c, result.c and migrate.c share beyond policy.h. */
#ifndef ROUNDTABLE_DB_INTERNAL_H
#define ROUNDTABLE_DB_INTERNAL_H

#include <libpq-fe.h>

#include "policy.h"
#include "roundtable/db.h"

/* What a callback's res points at: a PGresult (may be NULL when no statement ran) and, for
 * failures without one, a message and SQLSTATE (borrowed). */
struct rt_db_result_s {
  const PGresult *pg;
  const char *message;
  const char *sqlstate;
};

/* Appends the transaction retry counters (tx.c) to the pool's metrics. */
int rt__db_tx_metrics_render(rt_buf_t *out);

#endif
