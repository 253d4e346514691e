/* Drives the pool against a real PostgreSQL, one scenario per run:
 *
 *   pool_check CONNINFO SCENARIO
 *
 * Exit 0 when every check passed; otherwise each failed check is printed as one
 * "FAIL file:line: ..." line on stderr and the exit status is 1. Progress lines for a
 * coordinating test (READY, DOWN, RECOVERED, stats) go to stdout, flushed at once.
 * Every scenario ends by closing its pools and checking that the loop closes cleanly, so
 * an ASan build also proves that nothing leaked. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roundtable/buf.h"
#include "roundtable/db.h"
#include "roundtable/log.h"

static uv_loop_t loop;
static uv_timer_t wake;
static const char *conninfo;
static int failures;

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                         \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

#define CHECK_STATUS(got, want, what)                                                              \
  CHECK((got) == (want), "%s: status %d (%s), want %d (%s)", what, got, rt_strerror(got), want,    \
        rt_strerror(want))

static uint64_t now_ms(void) { return uv_hrtime() / 1000000u; }

static void on_wake(uv_timer_t *t) { (void)t; }

/* Runs the loop until *counter reaches want or timeout_ms passes. */
static int wait_for(const int *counter, int want, uint64_t timeout_ms) {
  uint64_t deadline = now_ms() + timeout_ms;
  uv_timer_start(&wake, on_wake, 10, 10);
  while (*counter < want && now_ms() < deadline)
    uv_run(&loop, UV_RUN_ONCE);
  uv_timer_stop(&wake);
  return *counter >= want;
}

static void sleep_loop(uint64_t ms) {
  int never = 0;
  wait_for(&never, 1, ms);
}

static rt_db_pool_t *make_pool(int size, int max_waiters, uint64_t stmt_ms, uint64_t acquire_ms) {
  rt_db_options_t o = {
      .conninfo = conninfo,
      .pool_size = size,
      .max_waiters = max_waiters,
      .connect_timeout_ms = 5000,
      .statement_timeout_ms = stmt_ms,
      .acquire_timeout_ms = acquire_ms,
      .reconnect_min_ms = 50,
      .reconnect_max_ms = 1000,
  };
  rt_db_pool_t *p = NULL;
  int rc = rt_db_pool_create(&loop, &o, &p);
  CHECK_STATUS(rc, 0, "rt_db_pool_create");
  if (rc) {
    fprintf(stderr, "cannot go on without a pool\n");
    exit(1);
  }
  return p;
}

/* ---- metrics, read back from the Prometheus text ---------------------------------------- */

static long metric(const char *name) {
  rt_buf_t b;
  rt_buf_init(&b, 0);
  long v = -1;
  if (rt_db_metrics_render(&b) == 0) {
    size_t n = strlen(name);
    for (const char *s = b.data; s && *s;) {
      if (strncmp(s, name, n) == 0 && s[n] == ' ') {
        v = strtol(s + n + 1, NULL, 10);
        break;
      }
      s = strchr(s, '\n');
      if (s)
        s++;
    }
  }
  rt_buf_free(&b);
  return v;
}

static int wait_idle(int n, uint64_t timeout_ms) {
  uint64_t deadline = now_ms() + timeout_ms;
  while (metric("roundtable_db_connections{state=\"idle\"}") < n && now_ms() < deadline)
    sleep_loop(20);
  return metric("roundtable_db_connections{state=\"idle\"}") >= n;
}

/* ---- synchronous wrappers: issue, then run the loop until the callback ------------------ */

#define MAXCOLS 8
typedef struct qres_s {
  int calls;
  int status;
  int rows, cols;
  long affected;
  char sqlstate[8];
  char message[512];
  char *vals[MAXCOLS]; /* first row; NULL for SQL NULL */
  size_t lens[MAXCOLS];
  int col_b; /* rt_db_result_column(res, "b") */
} qres_t;

static void qres_clear(qres_t *r) {
  for (int i = 0; i < MAXCOLS; i++)
    free(r->vals[i]);
  memset(r, 0, sizeof(*r));
}

static void on_result(int status, const rt_db_result_t *res, void *data) {
  qres_t *r = data;
  r->calls++;
  CHECK(r->calls == 1, "result callback called %d times", r->calls);
  CHECK(res != NULL, "result callback without a result view");
  if (r->calls != 1 || !res)
    return;
  r->status = status;
  r->rows = rt_db_result_rows(res);
  r->cols = rt_db_result_cols(res);
  r->affected = rt_db_result_affected(res);
  snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", rt_db_result_sqlstate(res));
  snprintf(r->message, sizeof(r->message), "%s", rt_db_result_message(res));
  r->col_b = rt_db_result_column(res, "b");
  for (int c = 0; c < r->cols && c < MAXCOLS && r->rows > 0; c++) {
    const char *v = rt_db_result_value(res, 0, c);
    r->lens[c] = rt_db_result_length(res, 0, c);
    r->vals[c] = v ? strdup(v) : NULL;
  }
}

static int sync_exec(rt_db_pool_t *p, const char *sql, int n, const char *const *params,
                     qres_t *r) {
  qres_clear(r);
  int rc = rt_db_exec(p, sql, n, params, on_result, r);
  if (rc)
    return r->status = rc;
  if (!wait_for(&r->calls, 1, 30000)) {
    CHECK(0, "no answer within 30 s to: %s", sql);
    return r->status = RT_ETIMEDOUT;
  }
  return r->status;
}

static int sync_query(rt_db_conn_t *c, const char *sql, int n, const char *const *params,
                      qres_t *r) {
  qres_clear(r);
  int rc = rt_db_query(c, sql, n, params, on_result, r);
  if (rc)
    return r->status = rc;
  if (!wait_for(&r->calls, 1, 30000)) {
    CHECK(0, "no answer within 30 s to: %s", sql);
    return r->status = RT_ETIMEDOUT;
  }
  return r->status;
}

typedef struct acq_s {
  int calls;
  int status;
  rt_db_conn_t *conn;
  uint64_t at;
} acq_t;

static void on_acquired(int status, rt_db_conn_t *conn, void *data) {
  acq_t *a = data;
  a->calls++;
  CHECK(a->calls == 1, "acquire callback called %d times", a->calls);
  CHECK((status == 0) == (conn != NULL), "acquire status %d with conn %p", status, (void *)conn);
  a->status = status;
  a->conn = conn;
  a->at = now_ms();
}

static int sync_acquire(rt_db_pool_t *p, rt_db_conn_t **conn) {
  acq_t a = {0};
  *conn = NULL;
  int rc = rt_db_acquire(p, on_acquired, &a);
  if (rc)
    return rc;
  if (!wait_for(&a.calls, 1, 30000)) {
    CHECK(0, "no connection within 30 s");
    return RT_ETIMEDOUT;
  }
  *conn = a.conn;
  return a.status;
}

static int closed;
static void on_pool_closed(void *data) {
  (void)data;
  closed++;
}

static void close_pool(rt_db_pool_t *p) {
  int before = closed;
  rt_db_pool_close(p, on_pool_closed, NULL);
  CHECK(wait_for(&closed, before + 1, 10000), "pool did not finish closing");
}

static int wait_connected(rt_db_pool_t *p) {
  uint64_t deadline = now_ms() + 15000;
  while (!rt_db_pool_connected(p) && now_ms() < deadline)
    sleep_loop(20);
  CHECK(rt_db_pool_connected(p), "pool not connected within 15 s");
  return rt_db_pool_connected(p);
}

/* ---- scenarios ------------------------------------------------------------------------ */

static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static void scenario_basic(void) {
  rt_db_pool_t *p = make_pool(2, 16, 5000, 5000);
  if (!wait_connected(p))
    goto out;
  qres_t r = {0};
  static const char text[] = "圆桌会议：ICT 安全能力建设 — café ☕ 🌐 \"quoted\" 'single' \\ end";
  const char *params[] = {text, "41", NULL};
  int rc = sync_exec(p,
                     "SELECT $1::text AS a, $2::int + 1 AS b, $3::text IS NULL AS c, "
                     "length($1::text) AS d, octet_length($1::text) AS e",
                     3, params, &r);
  CHECK_STATUS(rc, 0, "params round trip");
  CHECK(r.rows == 1 && r.cols == 5, "rows %d cols %d", r.rows, r.cols);
  CHECK(r.vals[0] && strcmp(r.vals[0], text) == 0, "text came back as '%s'",
        r.vals[0] ? r.vals[0] : "(null)");
  CHECK(r.lens[0] == strlen(text), "length %zu, want %zu", r.lens[0], strlen(text));
  CHECK(r.vals[1] && strcmp(r.vals[1], "42") == 0, "int param: %s", r.vals[1]);
  CHECK(r.vals[2] && strcmp(r.vals[2], "t") == 0, "NULL param: %s", r.vals[2]);
  char want[32];
  snprintf(want, sizeof(want), "%zu", utf8_chars(text));
  CHECK(r.vals[3] && strcmp(r.vals[3], want) == 0, "server counted %s characters, want %s",
        r.vals[3], want);
  snprintf(want, sizeof(want), "%zu", strlen(text));
  CHECK(r.vals[4] && strcmp(r.vals[4], want) == 0, "server counted %s bytes, want %s", r.vals[4],
        want);
  CHECK(r.col_b == 1, "column b at %d", r.col_b);
  CHECK(r.affected == 1, "affected %ld", r.affected);

  rc = sync_exec(p, "SELECT NULL::text AS a, ''::text AS b", 0, NULL, &r);
  CHECK_STATUS(rc, 0, "nulls");
  CHECK(r.vals[0] == NULL, "SQL NULL should be a NULL pointer");
  CHECK(r.vals[1] && r.vals[1][0] == '\0' && r.lens[1] == 0, "empty string should be \"\"");

  rc = sync_exec(p, "SELECT g FROM generate_series(1, 5) g", 0, NULL, &r);
  CHECK_STATUS(rc, 0, "series");
  CHECK(r.rows == 5 && r.affected == 5, "rows %d affected %ld", r.rows, r.affected);
  rc = sync_exec(p, "SELECT 1 WHERE false", 0, NULL, &r);
  CHECK(rc == 0 && r.rows == 0, "no rows: status %d rows %d", rc, r.rows);

  /* The session is what we asked for. */
  rc = sync_exec(p,
                 "SELECT current_setting('application_name'), "
                 "current_setting('statement_timeout'), current_setting('server_encoding')",
                 0, NULL, &r);
  CHECK_STATUS(rc, 0, "settings");
  CHECK(r.vals[0] && strcmp(r.vals[0], "roundtable") == 0, "application_name %s", r.vals[0]);
  CHECK(r.vals[1] && strcmp(r.vals[1], "5s") == 0, "statement_timeout %s", r.vals[1]);

  /* One query at a time per connection. */
  rt_db_conn_t *c;
  rc = sync_acquire(p, &c);
  CHECK_STATUS(rc, 0, "acquire");
  if (c) {
    qres_t slow = {0};
    rc = rt_db_query(c, "SELECT pg_sleep(0.1)", 0, NULL, on_result, &slow);
    CHECK_STATUS(rc, 0, "first query");
    qres_t second = {0};
    rc = rt_db_query(c, "SELECT 1", 0, NULL, on_result, &second);
    CHECK_STATUS(rc, RT_EBUSY, "second query while one is in flight");
    CHECK(wait_for(&slow.calls, 1, 5000), "first query never finished");
    CHECK_STATUS(slow.status, 0, "first query");
    CHECK(second.calls == 0, "a refused query must not call back");
    rc = rt_db_query(c, "SELECT $1", 1, NULL, on_result, &second);
    CHECK_STATUS(rc, RT_EINVAL, "params missing");
    qres_clear(&slow);
    rt_db_release(c);
  }
  CHECK(metric("roundtable_db_queries_total") >= 6, "queries_total %ld",
        metric("roundtable_db_queries_total"));
  qres_clear(&r);
out:
  close_pool(p);
}

typedef struct many_s {
  int done;
  int bad;
  int expect[400];
  char pid[400][16];
} many_t;

typedef struct many_one_s {
  many_t *m;
  int i;
} many_one_t;

static void on_many(int status, const rt_db_result_t *res, void *data) {
  many_one_t *o = data;
  many_t *m = o->m;
  m->done++;
  const char *v = rt_db_result_value(res, 0, 0);
  char want[16];
  snprintf(want, sizeof(want), "%d", m->expect[o->i]);
  if (status != 0 || !v || strcmp(v, want) != 0) {
    m->bad++;
    CHECK(0, "query %d: status %d (%s) value %s want %s", o->i, status, rt_db_result_message(res),
          v ? v : "(null)", want);
  }
  const char *pid = rt_db_result_value(res, 0, 1);
  snprintf(m->pid[o->i], sizeof(m->pid[o->i]), "%s", pid ? pid : "");
}

static void scenario_concurrent(void) {
  enum { N = 400, SIZE = 3 };
  rt_db_pool_t *p = make_pool(SIZE, 1000, 5000, 20000);
  if (!wait_connected(p) || !wait_idle(SIZE, 10000))
    goto out;
  static many_t m;
  static many_one_t ones[N];
  memset(&m, 0, sizeof(m));
  char vals[N][16];
  uint64_t t0 = now_ms();
  for (int i = 0; i < N; i++) {
    ones[i] = (many_one_t){&m, i};
    m.expect[i] = i * 2;
    snprintf(vals[i], sizeof(vals[i]), "%d", i);
    const char *params[] = {vals[i]};
    /* Some statements take a little while so that callers really queue. */
    const char *sql = i % 10 == 0 ? "SELECT $1::int * 2, pg_backend_pid(), pg_sleep(0.01)"
                                  : "SELECT $1::int * 2, pg_backend_pid()";
    int rc = rt_db_exec(p, sql, 1, params, on_many, &ones[i]);
    CHECK_STATUS(rc, 0, "exec");
  }
  CHECK(metric("roundtable_db_waiters") == N, "waiters %ld, want %d",
        metric("roundtable_db_waiters"), N);
  CHECK(wait_for(&m.done, N, 30000), "only %d of %d completed", m.done, N);
  CHECK(m.bad == 0, "%d wrong results", m.bad);
  /* Work spread over the pool's connections, and no more than it has. */
  char seen[SIZE + 1][16];
  int distinct = 0;
  for (int i = 0; i < N; i++) {
    int known = 0;
    for (int j = 0; j < distinct; j++)
      known |= strcmp(seen[j], m.pid[i]) == 0;
    if (!known && distinct <= SIZE)
      snprintf(seen[distinct++], sizeof(seen[0]), "%s", m.pid[i]);
  }
  CHECK(distinct >= 2 && distinct <= SIZE, "%d distinct backends for pool of %d", distinct, SIZE);
  printf("concurrent: %d queries on %d connections in %" PRIu64 " ms\n", N, distinct,
         now_ms() - t0);
  CHECK(metric("roundtable_db_waiters") == 0, "waiters left: %ld", metric("roundtable_db_waiters"));
out:
  close_pool(p);
}

static void scenario_queue_full(void) {
  rt_db_pool_t *p = make_pool(1, 2, 5000, 10000);
  if (!wait_connected(p))
    goto out;
  rt_db_conn_t *held;
  int rc = sync_acquire(p, &held);
  CHECK_STATUS(rc, 0, "acquire");
  acq_t x = {0}, y = {0}, z = {0};
  long busy0 = metric("roundtable_db_acquire_rejected_total{reason=\"busy\"}");
  CHECK_STATUS(rt_db_acquire(p, on_acquired, &x), 0, "first waiter");
  CHECK_STATUS(rt_db_acquire(p, on_acquired, &y), 0, "second waiter");
  CHECK_STATUS(rt_db_acquire(p, on_acquired, &z), RT_EBUSY, "third waiter (queue full)");
  qres_t r = {0};
  CHECK_STATUS(rt_db_exec(p, "SELECT 1", 0, NULL, on_result, &r), RT_EBUSY, "exec (queue full)");
  CHECK(metric("roundtable_db_acquire_rejected_total{reason=\"busy\"}") == busy0 + 2,
        "rejected busy counter");
  sleep_loop(100);
  CHECK(x.calls == 0 && y.calls == 0, "waiters served while the connection is held");
  if (held)
    rt_db_release(held);
  CHECK(wait_for(&x.calls, 1, 5000), "first waiter never served");
  CHECK_STATUS(x.status, 0, "first waiter");
  CHECK(y.calls == 0, "second waiter served while the first holds the connection");
  if (x.conn)
    rt_db_release(x.conn);
  CHECK(wait_for(&y.calls, 1, 5000), "second waiter never served");
  CHECK_STATUS(y.status, 0, "second waiter");
  if (y.conn)
    rt_db_release(y.conn);
  sleep_loop(50);
  CHECK(z.calls == 0 && r.calls == 0, "a refused request called back");
out:
  close_pool(p);
}

static void scenario_acquire_timeout(void) {
  rt_db_pool_t *p = make_pool(1, 8, 5000, 300);
  if (!wait_connected(p))
    goto out;
  rt_db_conn_t *held;
  int rc = sync_acquire(p, &held);
  CHECK_STATUS(rc, 0, "acquire");
  acq_t w = {0};
  uint64_t t0 = now_ms();
  CHECK_STATUS(rt_db_acquire(p, on_acquired, &w), 0, "waiter");
  CHECK(wait_for(&w.calls, 1, 5000), "waiter never called back");
  CHECK_STATUS(w.status, RT_ETIMEDOUT, "waiter");
  CHECK(w.at - t0 >= 250 && w.at - t0 < 2000, "timed out after %" PRIu64 " ms, want ~300",
        w.at - t0);
  if (held)
    rt_db_release(held);
  qres_t r = {0};
  CHECK_STATUS(sync_exec(p, "SELECT 1", 0, NULL, &r), 0, "after the timeout");
  CHECK(metric("roundtable_db_acquire_timeouts_total") >= 1, "timeouts counter");
  qres_clear(&r);
out:
  close_pool(p);
}

static void scenario_statement_timeout(void) {
  rt_db_pool_t *p = make_pool(1, 8, 300, 5000);
  if (!wait_connected(p))
    goto out;
  rt_db_conn_t *c;
  qres_t r = {0};
  int rc = sync_acquire(p, &c);
  CHECK_STATUS(rc, 0, "acquire");
  if (c) {
    uint64_t t0 = now_ms();
    rc = sync_query(c, "SELECT pg_sleep(10)", 0, NULL, &r);
    uint64_t took = now_ms() - t0;
    CHECK_STATUS(rc, RT_ETIMEDOUT, "pg_sleep(10) under statement_timeout=300ms");
    CHECK(strcmp(r.sqlstate, "57014") == 0, "sqlstate %s", r.sqlstate);
    CHECK(took >= 250 && took < 3000, "cancelled after %" PRIu64 " ms", took);
    rc = sync_query(c, "SELECT 1", 0, NULL, &r);
    CHECK_STATUS(rc, 0, "same connection after the timeout");
    /* Inside a transaction: the timeout leaves it failed; release rolls it back. */
    CHECK_STATUS(sync_query(c, "BEGIN", 0, NULL, &r), 0, "BEGIN");
    CHECK_STATUS(sync_query(c, "SELECT pg_sleep(10)", 0, NULL, &r), RT_ETIMEDOUT, "in txn");
    CHECK_STATUS(sync_query(c, "SELECT 1", 0, NULL, &r), RT_EDB_QUERY, "failed txn");
    CHECK(strcmp(r.sqlstate, "25P02") == 0, "sqlstate %s, want 25P02", r.sqlstate);
    rt_db_release(c);
  }
  rc = sync_acquire(p, &c);
  CHECK_STATUS(rc, 0, "acquire again");
  if (c) {
    CHECK_STATUS(sync_query(c, "SELECT 1", 0, NULL, &r), 0, "after rollback");
    rt_db_release(c);
  }
  qres_clear(&r);
out:
  close_pool(p);
}

static void scenario_txn_rollback(void) {
  rt_db_pool_t *p = make_pool(1, 8, 5000, 5000);
  if (!wait_connected(p))
    goto out;
  rt_db_conn_t *c;
  qres_t r = {0};

  /* A failed transaction, released: rolled back, the connection reusable. */
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "BEGIN", 0, NULL, &r), 0, "BEGIN");
    CHECK_STATUS(sync_query(c, "CREATE TEMP TABLE rt_probe (x int)", 0, NULL, &r), 0, "create");
    CHECK_STATUS(sync_query(c, "SELECT 1/0", 0, NULL, &r), RT_EDB_QUERY, "division by zero");
    CHECK(strcmp(r.sqlstate, "22012") == 0, "sqlstate %s", r.sqlstate);
    rt_db_release(c);
  }
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "SELECT to_regclass('pg_temp.rt_probe') IS NULL", 0, NULL, &r), 0,
                 "after failed txn");
    CHECK(r.vals[0] && strcmp(r.vals[0], "t") == 0, "temp table survived the rollback");
    rt_db_release(c);
  }

  /* An open transaction, released without COMMIT: rolled back too. */
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "BEGIN", 0, NULL, &r), 0, "BEGIN");
    CHECK_STATUS(sync_query(c, "CREATE TEMP TABLE rt_open (x int)", 0, NULL, &r), 0, "create");
    rt_db_release(c);
  }
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "SELECT to_regclass('pg_temp.rt_open') IS NULL", 0, NULL, &r), 0,
                 "after open txn");
    CHECK(r.vals[0] && strcmp(r.vals[0], "t") == 0, "uncommitted table survived release");
    rt_db_release(c);
  }

  /* A committed transaction stays. */
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "CREATE TEMP TABLE rt_kept (x int)", 0, NULL, &r), 0, "create");
    CHECK_STATUS(sync_query(c, "BEGIN", 0, NULL, &r), 0, "BEGIN");
    const char *v[] = {"7"};
    CHECK_STATUS(sync_query(c, "INSERT INTO rt_kept VALUES ($1), ($1 + 1)", 1, v, &r), 0, "ins");
    CHECK(r.affected == 2, "affected %ld", r.affected);
    CHECK_STATUS(sync_query(c, "COMMIT", 0, NULL, &r), 0, "COMMIT");
    rt_db_release(c);
  }
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "SELECT sum(x) FROM rt_kept", 0, NULL, &r), 0, "read back");
    CHECK(r.vals[0] && strcmp(r.vals[0], "15") == 0, "sum %s", r.vals[0]);
    rt_db_release(c);
  }

  /* Released with a query in flight inside a transaction: the query is abandoned (its
   * callback never runs), drained, and the transaction rolled back. */
  qres_t abandoned = {0};
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "BEGIN", 0, NULL, &r), 0, "BEGIN");
    CHECK_STATUS(sync_query(c, "CREATE TEMP TABLE rt_abandon (x int)", 0, NULL, &r), 0, "create");
    CHECK_STATUS(rt_db_query(c, "SELECT pg_sleep(0.3)", 0, NULL, on_result, &abandoned), 0,
                 "slow query");
    rt_db_release(c);
  }
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "SELECT to_regclass('pg_temp.rt_abandon') IS NULL", 0, NULL, &r), 0,
                 "after abandoned query");
    CHECK(r.vals[0] && strcmp(r.vals[0], "t") == 0, "abandoned transaction not rolled back");
    rt_db_release(c);
  }
  CHECK(abandoned.calls == 0, "abandoned query called back");
  qres_clear(&r);
out:
  close_pool(p);
}

static void scenario_errors(void) {
  rt_db_pool_t *p = make_pool(1, 8, 5000, 5000);
  if (!wait_connected(p))
    goto out;
  qres_t r = {0};
  CHECK_STATUS(sync_exec(p, "SELEC 1", 0, NULL, &r), RT_EDB_QUERY, "syntax error");
  CHECK(strcmp(r.sqlstate, "42601") == 0, "sqlstate %s", r.sqlstate);
  CHECK(strstr(r.message, "syntax error") != NULL, "message '%s'", r.message);
  CHECK(strchr(r.message, '\n') == NULL, "message has a newline");
  CHECK_STATUS(
      sync_exec(p, "DO $$BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END$$", 0, NULL, &r),
      RT_EDB_CONFLICT, "serialization failure");
  CHECK(strcmp(r.sqlstate, "40001") == 0, "sqlstate %s", r.sqlstate);
  CHECK_STATUS(
      sync_exec(p, "DO $$BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END$$", 0, NULL, &r),
      RT_EDB_CONFLICT, "deadlock");
  const char *bad[] = {"not a number"};
  CHECK_STATUS(sync_exec(p, "SELECT $1::int", 1, bad, &r), RT_EDB_QUERY, "bad int");
  CHECK(strcmp(r.sqlstate, "22P02") == 0, "sqlstate %s", r.sqlstate);
  CHECK_STATUS(sync_exec(p, "SELECT 1; SELECT 2", 0, NULL, &r), RT_EDB_QUERY,
               "two statements (extended protocol)");
  CHECK_STATUS(sync_exec(p, "", 0, NULL, &r), RT_EDB_QUERY, "empty statement");
  const char *v[] = {"关系"};
  CHECK_STATUS(sync_exec(p, "SELECT * FROM \"需求\" WHERE x = $1", 1, v, &r), RT_EDB_QUERY,
               "missing table");
  CHECK(strcmp(r.sqlstate, "42P01") == 0, "sqlstate %s", r.sqlstate);
  CHECK(strstr(r.message, "需求") != NULL, "message '%s'", r.message);
  CHECK_STATUS(sync_exec(p, "SELECT 1", 0, NULL, &r), 0, "still usable");
  CHECK(metric("roundtable_db_query_errors_total") >= 7, "errors counter %ld",
        metric("roundtable_db_query_errors_total"));
  qres_clear(&r);
out:
  close_pool(p);
}

static void scenario_terminate(void) {
  rt_db_pool_t *p = make_pool(2, 16, 10000, 5000);
  rt_db_pool_t *admin = make_pool(1, 4, 10000, 5000);
  if (!wait_connected(p) || !wait_connected(admin) || !wait_idle(3, 10000))
    goto out;
  rt_db_conn_t *c;
  qres_t r = {0}, t = {0};
  char pid[32];
  const char *params[] = {pid};

  /* 1. Killed with a query in flight: that callback gets RT_EDB_UNAVAILABLE, once. */
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "SELECT pg_backend_pid()", 0, NULL, &r), 0, "pid");
    snprintf(pid, sizeof(pid), "%s", r.vals[0] ? r.vals[0] : "0");
    qres_t slow = {0};
    CHECK_STATUS(rt_db_query(c, "SELECT pg_sleep(5)", 0, NULL, on_result, &slow), 0, "sleep");
    sleep_loop(100);
    CHECK_STATUS(sync_exec(admin, "SELECT pg_terminate_backend($1::int)", 1, params, &t), 0,
                 "terminate");
    CHECK(wait_for(&slow.calls, 1, 5000), "in-flight query not failed");
    CHECK_STATUS(slow.status, RT_EDB_UNAVAILABLE, "in-flight query on a killed backend");
    sleep_loop(50);
    CHECK(slow.calls == 1, "called %d times", slow.calls);
    CHECK_STATUS(rt_db_query(c, "SELECT 1", 0, NULL, on_result, &r), RT_EDB_UNAVAILABLE,
                 "query on the broken connection");
    rt_db_release(c);
    qres_clear(&slow);
  }

  /* 2. Killed while idle in the pool: noticed and replaced before anyone uses it. */
  CHECK(wait_idle(3, 10000), "pool did not recover after (1)"); /* both pools */
  long reconnects = metric("roundtable_db_reconnects_total");
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "SELECT pg_backend_pid()", 0, NULL, &r), 0, "pid");
    snprintf(pid, sizeof(pid), "%s", r.vals[0] ? r.vals[0] : "0");
    rt_db_release(c);
  }
  CHECK_STATUS(sync_exec(admin, "SELECT pg_terminate_backend($1::int)", 1, params, &t), 0,
               "terminate idle");
  uint64_t deadline = now_ms() + 5000;
  while (metric("roundtable_db_reconnects_total") <= reconnects && now_ms() < deadline)
    sleep_loop(20);
  CHECK(metric("roundtable_db_reconnects_total") > reconnects, "idle kill not noticed");
  CHECK(wait_idle(3, 5000), "pool not back to 2 idle");
  for (int i = 0; i < 10; i++)
    CHECK_STATUS(sync_exec(p, "SELECT 1", 0, NULL, &r), 0, "after idle kill");

  /* 3. Killed while held but not querying: the next query on it fails at once or with
   * RT_EDB_UNAVAILABLE, never anything else. */
  if (sync_acquire(p, &c) == 0) {
    CHECK_STATUS(sync_query(c, "SELECT pg_backend_pid()", 0, NULL, &r), 0, "pid");
    snprintf(pid, sizeof(pid), "%s", r.vals[0] ? r.vals[0] : "0");
    CHECK_STATUS(sync_exec(admin, "SELECT pg_terminate_backend($1::int)", 1, params, &t), 0,
                 "terminate held");
    sleep_loop(200);
    int rc = sync_query(c, "SELECT 1", 0, NULL, &r);
    CHECK_STATUS(rc, RT_EDB_UNAVAILABLE, "query on a held, killed connection");
    rt_db_release(c);
  }
  CHECK(wait_idle(3, 10000), "pools not fully back");
  for (int i = 0; i < 10; i++)
    CHECK_STATUS(sync_exec(p, "SELECT 1", 0, NULL, &r), 0, "after recovery");
  qres_clear(&r);
  qres_clear(&t);
out:
  close_pool(p);
  close_pool(admin);
}

/* For test_db_pool.py's restart: queries every 50 ms; READY after the first success, DOWN
 * at the first failure after that, RECOVERED after 20 straight successes following it.
 * The test stops and starts the server in between. */
typedef struct restart_s {
  rt_db_pool_t *pool;
  uv_timer_t tick;
  int phase; /* 0 waiting for READY, 1 ready, 2 down, 3 recovered */
  int issued, completed, refused_sync;
  int ok, unavailable, other;
  int streak;
  uint64_t deadline;
  int finished;
} restart_t;

static void on_restart_result(int status, const rt_db_result_t *res, void *data) {
  restart_t *s = data;
  s->completed++;
  if (status == 0) {
    s->ok++;
    s->streak++;
  } else if (status == RT_EDB_UNAVAILABLE) {
    s->unavailable++;
    s->streak = 0;
  } else {
    s->other++;
    s->streak = 0;
    fprintf(stderr, "unexpected status %d (%s): %s\n", status, rt_strerror(status),
            rt_db_result_message(res));
  }
  if (s->phase == 0 && status == 0) {
    s->phase = 1;
    printf("READY\n");
    fflush(stdout);
  } else if (s->phase == 1 && status != 0) {
    s->phase = 2;
    printf("DOWN %s\n", rt_strerror(status));
    fflush(stdout);
  } else if (s->phase == 2 && s->streak >= 20) {
    s->phase = 3;
    printf("RECOVERED\n");
    fflush(stdout);
  }
}

static void on_restart_tick(uv_timer_t *t) {
  restart_t *s = t->data;
  if (s->phase == 3 || now_ms() > s->deadline) {
    uv_timer_stop(t);
    s->finished = 1;
    return;
  }
  /* A quick statement and, now and then, one that is in flight when the server goes. */
  const char *sql = s->issued % 4 == 0 ? "SELECT pg_sleep(0.2)" : "SELECT 1";
  s->issued++;
  int rc = rt_db_exec(s->pool, sql, 0, NULL, on_restart_result, s);
  if (rc) {
    s->refused_sync++;
    s->streak = 0;
    if (rc == RT_EDB_UNAVAILABLE) {
      s->unavailable++;
      if (s->phase == 1) {
        s->phase = 2;
        printf("DOWN %s\n", rt_strerror(rc));
        fflush(stdout);
      }
    } else {
      s->other++;
      fprintf(stderr, "exec refused with %d (%s)\n", rc, rt_strerror(rc));
    }
  }
}

static void scenario_restart(void) {
  static restart_t s;
  memset(&s, 0, sizeof(s));
  s.pool = make_pool(3, 1000, 3000, 3000);
  s.deadline = now_ms() + 90000;
  uv_timer_init(&loop, &s.tick);
  s.tick.data = &s;
  uv_timer_start(&s.tick, on_restart_tick, 0, 50);
  wait_for(&s.finished, 1, 100000);
  /* Let the last queries finish before counting. */
  int expected = s.issued - s.refused_sync;
  wait_for(&s.completed, expected, 10000);
  printf("issued %d completed %d refused_at_once %d ok %d unavailable %d other %d\n", s.issued,
         s.completed, s.refused_sync, s.ok, s.unavailable, s.other);
  CHECK(s.phase == 3, "did not see READY, DOWN, RECOVERED in order (phase %d)", s.phase);
  CHECK(s.completed == expected, "%d callbacks for %d accepted queries", s.completed, expected);
  CHECK(s.unavailable > 0, "no RT_EDB_UNAVAILABLE seen");
  CHECK(s.other == 0, "%d unexpected statuses", s.other);
  CHECK(metric("roundtable_db_reconnects_total") >= 3, "reconnects %ld",
        metric("roundtable_db_reconnects_total"));
  uv_close((uv_handle_t *)&s.tick, NULL);
  close_pool(s.pool);
}

/* Closing with everything going on: a held connection, queries in flight, waiters. Every
 * callback runs exactly once (RT_ESHUTDOWN), at once, without waiting for the queries; the
 * pool is freed when the held connection comes back. */
static void scenario_close_inflight(void) {
  rt_db_pool_t *p = make_pool(3, 16, 10000, 10000);
  if (!wait_connected(p) || !wait_idle(3, 10000))
    goto out;
  rt_db_conn_t *held;
  CHECK_STATUS(sync_acquire(p, &held), 0, "acquire");
  qres_t slow[2] = {{0}}, queued[3] = {{0}};
  acq_t waiter = {0};
  for (int i = 0; i < 2; i++)
    CHECK_STATUS(rt_db_exec(p, "SELECT pg_sleep(5)", 0, NULL, on_result, &slow[i]), 0, "slow");
  sleep_loop(200); /* the two are in flight now */
  for (int i = 0; i < 3; i++)
    CHECK_STATUS(rt_db_exec(p, "SELECT 1", 0, NULL, on_result, &queued[i]), 0, "queued");
  CHECK_STATUS(rt_db_acquire(p, on_acquired, &waiter), 0, "waiter");
  CHECK(metric("roundtable_db_waiters") == 4, "waiters %ld", metric("roundtable_db_waiters"));

  uint64_t t0 = now_ms();
  int before = closed;
  rt_db_pool_close(p, on_pool_closed, NULL);
  for (int i = 0; i < 2; i++) {
    CHECK(slow[i].calls == 1, "in-flight query %d: %d callbacks", i, slow[i].calls);
    CHECK_STATUS(slow[i].status, RT_ESHUTDOWN, "in-flight query");
  }
  for (int i = 0; i < 3; i++) {
    CHECK(queued[i].calls == 1, "queued exec %d: %d callbacks", i, queued[i].calls);
    CHECK_STATUS(queued[i].status, RT_ESHUTDOWN, "queued exec");
  }
  CHECK(waiter.calls == 1, "waiter: %d callbacks", waiter.calls);
  CHECK_STATUS(waiter.status, RT_ESHUTDOWN, "waiter");
  qres_t r = {0};
  acq_t late = {0};
  CHECK_STATUS(rt_db_acquire(p, on_acquired, &late), RT_ESHUTDOWN, "acquire while closing");
  CHECK_STATUS(rt_db_exec(p, "SELECT 1", 0, NULL, on_result, &r), RT_ESHUTDOWN, "exec closing");
  if (held)
    CHECK_STATUS(rt_db_query(held, "SELECT 1", 0, NULL, on_result, &r), RT_ESHUTDOWN,
                 "query on a held connection while closing");
  sleep_loop(100);
  CHECK(closed == before, "pool freed while a connection is still held");
  if (held)
    rt_db_release(held);
  CHECK(wait_for(&closed, before + 1, 5000), "pool did not finish closing");
  CHECK(now_ms() - t0 < 2000, "close took %" PRIu64 " ms", now_ms() - t0);
  sleep_loop(50);
  for (int i = 0; i < 2; i++)
    CHECK(slow[i].calls == 1, "in-flight query %d: %d callbacks after close", i, slow[i].calls);
  CHECK(late.calls == 0 && r.calls == 0, "a refused request called back");
  for (int i = 0; i < 2; i++)
    qres_clear(&slow[i]);
  for (int i = 0; i < 3; i++)
    qres_clear(&queued[i]);
  return;
out:
  close_pool(p);
}

/* Closing from inside a result callback, with another query in flight. */
typedef struct reentrant_s {
  rt_db_pool_t *pool;
  int first, second;
  int second_status;
} reentrant_t;

static void on_second(int status, const rt_db_result_t *res, void *data) {
  (void)res;
  reentrant_t *x = data;
  x->second++;
  x->second_status = status;
}

static void on_first_then_close(int status, const rt_db_result_t *res, void *data) {
  (void)res;
  reentrant_t *x = data;
  x->first++;
  CHECK_STATUS(status, 0, "first");
  rt_db_pool_close(x->pool, on_pool_closed, NULL);
  /* Closing again, and asking for more, from here is refused, not a crash. */
  rt_db_pool_close(x->pool, on_pool_closed, NULL);
  qres_t r = {0};
  CHECK_STATUS(rt_db_exec(x->pool, "SELECT 1", 0, NULL, on_result, &r), RT_ESHUTDOWN, "exec");
}

static void scenario_close_reentrant(void) {
  static reentrant_t x;
  memset(&x, 0, sizeof(x));
  x.pool = make_pool(2, 8, 10000, 10000);
  if (!wait_connected(x.pool) || !wait_idle(2, 10000)) {
    close_pool(x.pool);
    return;
  }
  int before = closed;
  CHECK_STATUS(rt_db_exec(x.pool, "SELECT pg_sleep(5)", 0, NULL, on_second, &x), 0, "second");
  sleep_loop(100);
  CHECK_STATUS(rt_db_exec(x.pool, "SELECT 1", 0, NULL, on_first_then_close, &x), 0, "first");
  CHECK(wait_for(&closed, before + 1, 5000), "pool did not close");
  CHECK(x.first == 1 && x.second == 1, "callbacks: first %d second %d", x.first, x.second);
  CHECK_STATUS(x.second_status, RT_ESHUTDOWN, "second");
}

/* Results far larger than libpq's and OpenSSL's buffers (also run over TLS by the test). */
static void scenario_large(void) {
  rt_db_pool_t *p = make_pool(2, 16, 30000, 30000);
  if (!wait_connected(p))
    goto out;
  qres_t r = {0};
  for (int round = 0; round < 3; round++) {
    CHECK_STATUS(sync_exec(p, "SELECT repeat('汉字x', 500000) AS a", 0, NULL, &r), 0, "big value");
    CHECK(r.lens[0] == 3500000, "length %zu", r.lens[0]);
    CHECK(r.vals[0] && strncmp(r.vals[0], "汉字x汉字x", 14) == 0, "content");
    CHECK_STATUS(
        sync_exec(p, "SELECT g, md5(g::text) FROM generate_series(1, 50000) g", 0, NULL, &r), 0,
        "many rows");
    CHECK(r.rows == 50000, "rows %d", r.rows);
    CHECK(r.vals[1] && strcmp(r.vals[1], "c4ca4238a0b923820dcc509a6f75849b") == 0, "md5 %s",
          r.vals[1]);
    /* And a big parameter going the other way. */
    static char big[2000001];
    memset(big, 'y', sizeof(big) - 1);
    const char *params[] = {big};
    CHECK_STATUS(sync_exec(p, "SELECT length($1::text)", 1, params, &r), 0, "big parameter");
    CHECK(r.vals[0] && strcmp(r.vals[0], "2000000") == 0, "length %s", r.vals[0]);
    /* Whether the session is encrypted, for the record. */
    CHECK_STATUS(
        sync_exec(p, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", 0, NULL, &r), 0,
        "ssl");
    if (round == 0)
      printf("ssl: %s\n", r.vals[0] ? r.vals[0] : "?");
  }
  qres_clear(&r);
out:
  close_pool(p);
}

/* Replies of every size around libpq's (16 KiB, growing) and TLS's (16 KiB records) buffer
 * boundaries: none may stall waiting for a socket event that never comes. */
static void scenario_sizes(void) {
  rt_db_pool_t *p = make_pool(1, 16, 30000, 30000);
  if (!wait_connected(p))
    goto out;
  qres_t r = {0};
  int n = 0;
  for (int size = 8000; size < 140000 && failures == 0; size += 61, n++) {
    char v[16];
    snprintf(v, sizeof(v), "%d", size);
    const char *params[] = {v};
    qres_clear(&r);
    int rc = rt_db_exec(p, "SELECT repeat('x', $1::int)", 1, params, on_result, &r);
    CHECK_STATUS(rc, 0, "exec");
    if (rc)
      break;
    CHECK(wait_for(&r.calls, 1, 3000), "reply of %d bytes stalled", size);
    CHECK(r.lens[0] == (size_t)size, "length %zu, want %d", r.lens[0], size);
  }
  printf("sizes: %d replies\n", n);
  qres_clear(&r);
out:
  close_pool(p);
}

/* ---- a TCP proxy on the loop that can go silent, as a server behind a cut network does ---- */

typedef struct pair_s {
  uv_tcp_t down; /* from the pool */
  uv_tcp_t up;   /* to the server */
  uv_connect_t connect;
  int handles; /* still open */
  int frozen;
  struct pair_s *next;
} pair_t;

typedef struct chunk_s {
  uv_write_t req;
  char data[];
} chunk_t;

static uv_tcp_t proxy;
static pair_t *pairs;
static struct sockaddr_in upstream;

static void on_pair_handle_closed(uv_handle_t *h) {
  pair_t *p = h->data;
  if (--p->handles > 0)
    return;
  for (pair_t **pp = &pairs; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  free(p);
}

static void pair_close(pair_t *p) {
  if (!uv_is_closing((uv_handle_t *)&p->down))
    uv_close((uv_handle_t *)&p->down, on_pair_handle_closed);
  if (!uv_is_closing((uv_handle_t *)&p->up))
    uv_close((uv_handle_t *)&p->up, on_pair_handle_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)h;
  chunk_t *c = malloc(sizeof(chunk_t) + hint);
  *buf = uv_buf_init(c ? c->data : NULL, c ? (unsigned)hint : 0);
}

static void on_written(uv_write_t *req, int status) {
  (void)status;
  free(req->data);
}

static void on_proxy_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  pair_t *p = s->data;
  chunk_t *c = buf->base ? (chunk_t *)(void *)(buf->base - offsetof(chunk_t, data)) : NULL;
  if (n <= 0) {
    free(c);
    if (n < 0)
      pair_close(p);
    return;
  }
  uv_stream_t *to = s == (uv_stream_t *)&p->down ? (uv_stream_t *)&p->up : (uv_stream_t *)&p->down;
  uv_buf_t out = uv_buf_init(c->data, (unsigned)n);
  c->req.data = c;
  if (uv_write(&c->req, to, &out, 1, on_written) != 0) {
    free(c);
    pair_close(p);
  }
}

static void on_upstream(uv_connect_t *req, int status) {
  pair_t *p = req->data;
  if (status < 0 || uv_is_closing((uv_handle_t *)&p->down)) {
    pair_close(p);
    return;
  }
  uv_read_start((uv_stream_t *)&p->down, on_alloc, on_proxy_read);
  uv_read_start((uv_stream_t *)&p->up, on_alloc, on_proxy_read);
}

static void on_proxy_connection(uv_stream_t *server, int status) {
  if (status < 0)
    return;
  pair_t *p = calloc(1, sizeof(*p));
  if (!p)
    return;
  uv_tcp_init(&loop, &p->down);
  uv_tcp_init(&loop, &p->up);
  p->down.data = p->up.data = p;
  p->handles = 2;
  p->next = pairs;
  pairs = p;
  if (uv_accept(server, (uv_stream_t *)&p->down) != 0) {
    pair_close(p);
    return;
  }
  p->connect.data = p;
  if (uv_tcp_connect(&p->connect, &p->up, (const struct sockaddr *)&upstream, on_upstream) != 0)
    pair_close(p);
}

/* Starts the proxy in front of conninfo's port; returns conninfo pointing at the proxy. */
static char *proxy_start(void) {
  const char *port = strstr(conninfo, "port=");
  if (!port || !strstr(conninfo, "host=127.0.0.1")) {
    CHECK(0, "blackhole needs a conninfo with host=127.0.0.1 and port=");
    return NULL;
  }
  uv_ip4_addr("127.0.0.1", atoi(port + 5), &upstream);
  struct sockaddr_in any;
  uv_ip4_addr("127.0.0.1", 0, &any);
  uv_tcp_init(&loop, &proxy);
  int rc = uv_tcp_bind(&proxy, (const struct sockaddr *)&any, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&proxy, 16, on_proxy_connection);
  struct sockaddr_in bound;
  int len = sizeof(bound);
  if (rc == 0)
    rc = uv_tcp_getsockname(&proxy, (struct sockaddr *)&bound, &len);
  CHECK(rc == 0, "proxy: %s", uv_strerror(rc));
  if (rc)
    return NULL;
  size_t n = strlen(conninfo) + 16;
  char *out = malloc(n);
  const char *rest = port + 5;
  while (*rest >= '0' && *rest <= '9')
    rest++;
  snprintf(out, n, "%.*sport=%d%s", (int)(port - conninfo), conninfo, ntohs(bound.sin_port), rest);
  return out;
}

/* Every connection through the proxy so far stops carrying bytes, both ways; later ones
 * work. The sockets stay open: no RST, no FIN, just silence. */
static void proxy_freeze(void) {
  for (pair_t *p = pairs; p; p = p->next) {
    p->frozen = 1;
    uv_read_stop((uv_stream_t *)&p->down);
    uv_read_stop((uv_stream_t *)&p->up);
  }
}

static void proxy_stop(void) {
  for (pair_t *p = pairs; p; p = p->next)
    pair_close(p);
  uv_close((uv_handle_t *)&proxy, NULL);
}

/* The server goes silent mid-query (statement_timeout cannot help: nothing reaches it or
 * comes back): the client deadline gives up on the connection, the caller gets
 * RT_ETIMEDOUT, and the pool reconnects. */
static void scenario_blackhole(void) {
  char *via = proxy_start();
  if (!via)
    return;
  const char *real = conninfo;
  conninfo = via;
  rt_db_pool_t *p = make_pool(1, 8, 500, 10000);
  conninfo = real;
  rt_db_conn_t *c = NULL;
  qres_t r = {0};
  if (!wait_connected(p))
    goto out;
  CHECK_STATUS(sync_exec(p, "SELECT 1", 0, NULL, &r), 0, "through the proxy");
  CHECK_STATUS(sync_acquire(p, &c), 0, "acquire");
  if (c) {
    proxy_freeze();
    uint64_t t0 = now_ms();
    CHECK_STATUS(sync_query(c, "SELECT 1", 0, NULL, &r), RT_ETIMEDOUT, "silent server");
    uint64_t took = now_ms() - t0;
    /* statement_timeout 500 ms + a 2 s margin. */
    CHECK(took >= 2300 && took < 6000, "gave up after %" PRIu64 " ms, want ~2500", took);
    CHECK_STATUS(rt_db_query(c, "SELECT 1", 0, NULL, on_result, &r), RT_EDB_UNAVAILABLE,
                 "query on the abandoned connection");
    rt_db_release(c);
  }
  CHECK(wait_idle(1, 10000), "no new connection after the silent one");
  CHECK_STATUS(sync_exec(p, "SELECT 1", 0, NULL, &r), 0, "after reconnecting");
  CHECK(metric("roundtable_db_reconnects_total") >= 1, "reconnects counter");
out:
  qres_clear(&r);
  close_pool(p);
  proxy_stop();
  free(via);
}

/* ---- main ------------------------------------------------------------------------------ */

static const struct {
  const char *name;
  void (*run)(void);
} scenarios[] = {
    {"basic", scenario_basic},
    {"concurrent", scenario_concurrent},
    {"queue_full", scenario_queue_full},
    {"acquire_timeout", scenario_acquire_timeout},
    {"statement_timeout", scenario_statement_timeout},
    {"txn_rollback", scenario_txn_rollback},
    {"errors", scenario_errors},
    {"terminate", scenario_terminate},
    {"restart", scenario_restart},
    {"close_inflight", scenario_close_inflight},
    {"close_reentrant", scenario_close_reentrant},
    {"large", scenario_large},
    {"sizes", scenario_sizes},
    {"blackhole", scenario_blackhole},
};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s CONNINFO SCENARIO\nscenarios:", argv[0]);
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
      fprintf(stderr, " %s", scenarios[i].name);
    fputc('\n', stderr);
    return 2;
  }
  conninfo = argv[1];
  const char *level = getenv("RT_LOG_LEVEL");
  if (!level || rt_log_parse_level(level, &rt_log_threshold) != 0)
    rt_log_threshold = RT_LOG_INFO;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (uv_loop_init(&loop) != 0)
    return 1;
  uv_timer_init(&loop, &wake);
  size_t i;
  for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
    if (strcmp(scenarios[i].name, argv[2]) == 0)
      break;
  if (i == sizeof(scenarios) / sizeof(scenarios[0])) {
    fprintf(stderr, "unknown scenario %s\n", argv[2]);
    return 2;
  }
  scenarios[i].run();

  uv_close((uv_handle_t *)&wake, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&loop);
  CHECK(rc == 0, "loop still has handles after every pool closed: %s", uv_strerror(rc));
  if (rc)
    uv_print_all_handles(&loop, stderr);
  printf("%s: %s\n", argv[2], failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
