/* Transactions with retry: the one place where a serialization failure or a deadlock
 * (SQLSTATE 40001/40P01, RT_EDB_CONFLICT) is retried, and where the caller's identity is
 * handed to the audit triggers (sql/006_audit.sql) as the transaction-local setting
 * roundtable.actor.
 *
 * A conflict aborts the whole transaction, so a retry starts over: release the connection
 * (rolled back), lease one again, BEGIN, set the actor, run the body again. The body is
 * the caller's; it must be re-runnable (reset its own state at the start). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "roundtable/buf.h"
#include "roundtable/log.h"

/* Three attempts in all: a conflict that survives two retries is a hot spot that a client
 * retry (409) is better placed to wait out. */
#define TX_MAX_ATTEMPTS 3

typedef enum tx_phase {
  TX_ACQUIRING,
  TX_BEGIN,
  TX_ACTOR,
  TX_BODY,
  TX_COMMIT,
} tx_phase_t;

struct rt_db_tx_s {
  rt_db_pool_t *pool;
  rt_db_conn_t *conn;
  tx_phase_t phase;
  int attempt;
  char *begin_sql; /* owned */
  char *actor;     /* owned; NULL: none */
  uint64_t reader; /* the actor's read-your-writes key (route.c); 0: none */
  rt_db_tx_body_cb body;
  rt_db_tx_done_cb done;
  void *data;
};

static atomic_ulong tx_retries, tx_conflicts_given_up;

static void tx_step(int status, const rt_db_result_t *res, void *arg);
static void tx_on_acquire(int status, rt_db_conn_t *conn, void *arg);

static void tx_free(rt_db_tx_t *tx) {
  free(tx->begin_sql);
  free(tx->actor);
  free(tx);
}

/* Ends the transaction with status (res borrowed, may be NULL): the connection goes back
 * first (rolled back unless committed), then done runs, then tx is freed. */
static void tx_finish(rt_db_tx_t *tx, int status, const rt_db_result_t *res) {
  if (tx->conn) {
    rt_db_release(tx->conn);
    tx->conn = NULL;
  }
  rt_db_result_t empty = {.pg = NULL, .message = status ? rt_strerror(status) : "", .sqlstate = ""};
  tx->done(status, res ? res : &empty, tx->data);
  tx_free(tx);
}

static int tx_retry(rt_db_tx_t *tx) {
  if (tx->attempt >= TX_MAX_ATTEMPTS) {
    atomic_fetch_add_explicit(&tx_conflicts_given_up, 1, memory_order_relaxed);
    return -1;
  }
  if (tx->conn) {
    rt_db_release(tx->conn); /* rolls the aborted transaction back */
    tx->conn = NULL;
  }
  atomic_fetch_add_explicit(&tx_retries, 1, memory_order_relaxed);
  rt_log_info("db: transaction conflict (serialization failure or deadlock); retry %d of %d",
              tx->attempt, TX_MAX_ATTEMPTS - 1);
  tx->attempt++;
  tx->phase = TX_ACQUIRING;
  int rc = rt_db_acquire(tx->pool, tx_on_acquire, tx);
  if (rc)
    tx_finish(tx, rc, NULL);
  return 0;
}

static void tx_send(rt_db_tx_t *tx, tx_phase_t phase, const char *sql, int n, const char **v) {
  tx->phase = phase;
  int rc = rt_db_query(tx->conn, sql, n, v, tx_step, tx);
  if (rc)
    tx_finish(tx, rc, NULL);
}

static void tx_step(int status, const rt_db_result_t *res, void *arg) {
  rt_db_tx_t *tx = arg;
  if (status) {
    if (status == RT_EDB_CONFLICT && tx_retry(tx) == 0)
      return;
    tx_finish(tx, status, res);
    return;
  }
  if (tx->phase == TX_BEGIN && tx->actor) {
    const char *v[] = {tx->actor};
    tx_send(tx, TX_ACTOR, "SELECT set_config('roundtable.actor', $1, true)", 1, v);
    return;
  }
  switch (tx->phase) {
  case TX_BEGIN:
  case TX_ACTOR:
    tx->phase = TX_BODY;
    tx->body(tx, tx->conn, tx->data);
    return;
  case TX_COMMIT:
    /* Before done: the caller's next request then starts after the mark. */
    if (tx->reader) {
      rt__db_route_note_write(tx->reader);
      rt__db_pool_write_committed(tx->pool);
    }
    tx_finish(tx, 0, NULL);
    return;
  case TX_ACQUIRING:
  case TX_BODY:
    break;
  }
  tx_finish(tx, RT_EINVAL, NULL);
}

static void tx_on_acquire(int status, rt_db_conn_t *conn, void *arg) {
  rt_db_tx_t *tx = arg;
  if (status) {
    tx_finish(tx, status, NULL);
    return;
  }
  tx->conn = conn;
  tx_send(tx, TX_BEGIN, tx->begin_sql, 0, NULL);
}

int rt_db_tx_begin(rt_db_pool_t *pool, const char *begin_sql, const char *actor,
                   rt_db_tx_body_cb body, rt_db_tx_done_cb done, void *data) {
  if (!pool || !body || !done)
    return RT_EINVAL;
  rt_db_tx_t *tx = calloc(1, sizeof(*tx));
  if (!tx)
    return RT_ENOMEM;
  tx->pool = pool;
  tx->attempt = 1;
  tx->body = body;
  tx->done = done;
  tx->data = data;
  tx->begin_sql = strdup(begin_sql ? begin_sql : "BEGIN");
  tx->actor = actor ? strdup(actor) : NULL;
  tx->reader = rt__db_actor_reader_key(actor);
  if (!tx->begin_sql || (actor && !tx->actor)) {
    tx_free(tx);
    return RT_ENOMEM;
  }
  tx->phase = TX_ACQUIRING;
  int rc = rt_db_acquire(pool, tx_on_acquire, tx);
  if (rc)
    tx_free(tx);
  return rc;
}

void rt_db_tx_end(rt_db_tx_t *tx, int status, const rt_db_result_t *res) {
  if (tx->phase != TX_BODY) {
    tx_finish(tx, RT_EINVAL, NULL);
    return;
  }
  if (status == 0) {
    tx_send(tx, TX_COMMIT, "COMMIT", 0, NULL);
    return;
  }
  if (status == RT_EDB_CONFLICT && tx_retry(tx) == 0)
    return;
  tx_finish(tx, status, res);
}

void rt_db_tx_abandon(rt_db_tx_t *tx) {
  if (tx->conn)
    rt_db_release(tx->conn);
  tx_free(tx);
}

int rt_db_tx_attempt(const rt_db_tx_t *tx) { return tx->attempt; }

/* ---- one statement ------------------------------------------------------------------- */

typedef struct tx_exec_s {
  rt_db_result_cb cb;
  void *data;
  char *sql;
  int nparams;
  char **values;
  PGresult *kept; /* the statement's result, held across COMMIT */
} tx_exec_t;

static void tx_exec_free(tx_exec_t *x) {
  for (int i = 0; i < x->nparams; i++)
    free(x->values[i]);
  free(x->values);
  free(x->sql);
  PQclear(x->kept);
  free(x);
}

static void tx_exec_on_stmt(int status, const rt_db_result_t *res, void *arg);

static void tx_exec_body(rt_db_tx_t *tx, rt_db_conn_t *conn, void *arg) {
  tx_exec_t *x = arg;
  PQclear(x->kept);
  x->kept = NULL;
  int rc =
      rt_db_query(conn, x->sql, x->nparams, (const char *const *)x->values, tx_exec_on_stmt, tx);
  if (rc)
    rt_db_tx_end(tx, rc, NULL);
}

/* tx_exec_body passes the tx as the query's data; the exec state is the tx's. */
static void tx_exec_on_stmt(int status, const rt_db_result_t *res, void *arg) {
  rt_db_tx_t *tx = arg;
  tx_exec_t *x = tx->data;
  if (!status && res->pg) {
    /* cmdStatus travels with the copy, so rt_db_result_affected still works. */
    x->kept = PQcopyResult(res->pg, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!x->kept)
      status = RT_ENOMEM;
  }
  rt_db_tx_end(tx, status, status ? res : NULL);
}

static void tx_exec_done(int status, const rt_db_result_t *res, void *arg) {
  tx_exec_t *x = arg;
  if (status == 0) {
    rt_db_result_t kept = {.pg = x->kept, .message = NULL, .sqlstate = NULL};
    x->cb(0, &kept, x->data);
  } else {
    x->cb(status, res, x->data);
  }
  tx_exec_free(x);
}

int rt_db_tx_exec(rt_db_pool_t *pool, const char *actor, const char *sql, int nparams,
                  const char *const *values, rt_db_result_cb cb, void *data) {
  if (!pool || !sql || !cb || nparams < 0 || nparams > 65535 || (nparams > 0 && !values))
    return RT_EINVAL;
  tx_exec_t *x = calloc(1, sizeof(*x));
  if (!x)
    return RT_ENOMEM;
  x->cb = cb;
  x->data = data;
  x->sql = strdup(sql);
  x->values = nparams ? calloc((size_t)nparams, sizeof(char *)) : NULL;
  x->nparams = nparams;
  int oom = !x->sql || (nparams && !x->values);
  for (int i = 0; i < nparams && !oom; i++)
    if (values[i] && !(x->values[i] = strdup(values[i])))
      oom = 1;
  if (oom) {
    if (!x->values)
      x->nparams = 0;
    tx_exec_free(x);
    return RT_ENOMEM;
  }
  int rc = rt_db_tx_begin(pool, NULL, actor, tx_exec_body, tx_exec_done, x);
  if (rc)
    tx_exec_free(x);
  return rc;
}

int rt__db_tx_metrics_render(rt_buf_t *out) {
  return rt_buf_printf(
      out,
      "# HELP roundtable_db_tx_retries_total Transactions retried after a serialization "
      "failure or deadlock.\n"
      "# TYPE roundtable_db_tx_retries_total counter\n"
      "roundtable_db_tx_retries_total %lu\n"
      "# HELP roundtable_db_tx_conflicts_total Transactions that still conflicted after the "
      "last retry.\n"
      "# TYPE roundtable_db_tx_conflicts_total counter\n"
      "roundtable_db_tx_conflicts_total %lu\n",
      atomic_load_explicit(&tx_retries, memory_order_relaxed),
      atomic_load_explicit(&tx_conflicts_given_up, memory_order_relaxed));
}
