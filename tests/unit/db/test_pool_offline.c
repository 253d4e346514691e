/* The pool without a database: bad connection strings, a closed port (nothing listens),
 * a black hole (a listener that never answers), the wait queue's bounds and timeouts,
 * closing with waiters queued, migrate's error reporting, and a read replica that is absent or
 * unreachable. A real PostgreSQL is
 * exercised by tests/db/pool_check.c through tests/api/test_db_pool.py. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "roundtable/buf.h"
#include "roundtable/db.h"

/* A loopback port with nothing behind it (connect is refused), or, with listen_fd, a
 * listener that never accepts: the kernel completes the handshake and then nothing
 * answers, as with a hung server. */
static int loopback_port(int *listen_fd) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  socklen_t len = sizeof(a);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  if (listen_fd) {
    assert_int_equal(listen(fd, 16), 0);
    *listen_fd = fd;
  } else {
    close(fd);
  }
  return ntohs(a.sin_port);
}

typedef struct ctx_s {
  uv_loop_t loop;
  rt_db_pool_t *pool;
  int calls;
  int statuses[16];
  int closed;
  uint64_t started, finished;
  int again; /* what an acquire from inside the callback returned */
} ctx_t;

static void on_closed(void *data) { ((ctx_t *)data)->closed++; }

static void on_acquire(int status, rt_db_conn_t *conn, void *data) {
  ctx_t *c = data;
  assert_null(conn);
  if (c->calls < 16)
    c->statuses[c->calls] = status;
  c->calls++;
  c->finished = uv_now(&c->loop);
}

static void on_acquire_then_again(int status, rt_db_conn_t *conn, void *data) {
  ctx_t *c = data;
  on_acquire(status, conn, data);
  c->again = rt_db_acquire(c->pool, on_acquire, c);
  rt_db_pool_close(c->pool, on_closed, c);
}

static void make_pool(ctx_t *c, const char *conninfo, int size, int max_waiters,
                      uint64_t connect_ms, uint64_t acquire_ms) {
  memset(c, 0, sizeof(*c));
  assert_int_equal(uv_loop_init(&c->loop), 0);
  rt_db_options_t o = {
      .conninfo = conninfo,
      .pool_size = size,
      .max_waiters = max_waiters,
      .connect_timeout_ms = connect_ms,
      .statement_timeout_ms = 1000,
      .acquire_timeout_ms = acquire_ms,
      .reconnect_min_ms = 5000, /* no retry during a test: the state stays "down" */
      .reconnect_max_ms = 5000,
  };
  assert_int_equal(rt_db_pool_create(&c->loop, &o, &c->pool), 0);
  c->started = uv_now(&c->loop);
}

static void finish(ctx_t *c) {
  uv_run(&c->loop, UV_RUN_DEFAULT);
  assert_int_equal(c->closed, 1);
  /* Every handle the pool made is closed: the loop can be closed. */
  assert_int_equal(uv_loop_close(&c->loop), 0);
}

static void test_bad_conninfo(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  rt_db_pool_t *pool = (rt_db_pool_t *)&loop; /* must be cleared on failure */
  rt_db_options_t o = {.conninfo = "host=127.0.0.1 this-is-not=valid", .pool_size = 1};
  assert_int_equal(rt_db_pool_create(&loop, &o, &pool), RT_EINVAL);
  assert_null(pool);
  o.conninfo = "postgresql://[::1";
  assert_int_equal(rt_db_pool_create(&loop, &o, &pool), RT_EINVAL);
  o.conninfo = NULL;
  assert_int_equal(rt_db_pool_create(&loop, &o, &pool), RT_EINVAL);
  assert_int_equal(rt_db_pool_create(&loop, NULL, &pool), RT_EINVAL);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* Nothing listens: the queued waiter learns at once that the database is unavailable, and
 * while every connection backs off, new requests are refused without queueing. */
static void test_refused_port(void **state) {
  (void)state;
  char conninfo[128];
  snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable",
           loopback_port(NULL));
  ctx_t c;
  make_pool(&c, conninfo, 2, 8, 2000, 5000);
  assert_int_equal(rt_db_pool_connected(c.pool), 0);
  assert_int_equal(rt_db_acquire(c.pool, on_acquire_then_again, &c), 0);
  assert_int_equal(c.calls, 0); /* never from inside rt_db_acquire */
  finish(&c);
  assert_int_equal(c.calls, 1);
  assert_int_equal(c.statuses[0], RT_EDB_UNAVAILABLE);
  assert_int_equal(c.again, RT_EDB_UNAVAILABLE);
  assert_true(c.finished - c.started < 3000);
}

static void test_refused_uri_and_hostname(void **state) {
  (void)state;
  /* A URI, and a host name resolved off the loop (localhost may give ::1 and 127.0.0.1:
   * both are tried, each refused). */
  char conninfo[128];
  int port = loopback_port(NULL);
  for (int i = 0; i < 2; i++) {
    if (i == 0)
      snprintf(conninfo, sizeof(conninfo), "postgresql://x@127.0.0.1:%d/x?sslmode=disable", port);
    else
      snprintf(conninfo, sizeof(conninfo), "host=localhost port=%d user=x dbname=x sslmode=disable",
               port);
    ctx_t c;
    make_pool(&c, conninfo, 1, 8, 2000, 5000);
    assert_int_equal(rt_db_acquire(c.pool, on_acquire_then_again, &c), 0);
    finish(&c);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.statuses[0], RT_EDB_UNAVAILABLE);
  }
}

/* A listener that never answers: the connect timeout ends the attempt. */
static void test_connect_timeout(void **state) {
  (void)state;
  int lfd;
  char conninfo[128];
  snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable",
           loopback_port(&lfd));
  ctx_t c;
  make_pool(&c, conninfo, 1, 8, 200, 5000);
  assert_int_equal(rt_db_acquire(c.pool, on_acquire_then_again, &c), 0);
  finish(&c);
  close(lfd);
  assert_int_equal(c.calls, 1);
  assert_int_equal(c.statuses[0], RT_EDB_UNAVAILABLE);
  assert_true(c.finished - c.started >= 150);
  assert_true(c.finished - c.started < 4000);
}

static void close_pool_cb(uv_timer_t *t) {
  ctx_t *c = t->data;
  rt_db_pool_close(c->pool, on_closed, c);
  uv_close((uv_handle_t *)t, NULL);
}

/* While connections are still being attempted, callers queue up to max_waiters, then get
 * RT_EBUSY at once; waiters past acquire_timeout get RT_ETIMEDOUT; closing fails the
 * rest with RT_ESHUTDOWN, each callback exactly once. */
static void test_queue_bounds_timeout_and_close(void **state) {
  (void)state;
  int lfd;
  char conninfo[128];
  snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable",
           loopback_port(&lfd));
  ctx_t c;
  make_pool(&c, conninfo, 2, 3, 10000, 150);
  assert_int_equal(rt_db_acquire(c.pool, on_acquire, &c), 0);
  assert_int_equal(rt_db_acquire(c.pool, on_acquire, &c), 0);
  assert_int_equal(rt_db_acquire(c.pool, on_acquire, &c), 0);
  assert_int_equal(rt_db_acquire(c.pool, on_acquire, &c), RT_EBUSY);
  assert_int_equal(rt_db_exec(c.pool, "SELECT 1", 0, NULL, NULL, &c), RT_EINVAL);
  assert_int_equal(rt_db_exec(c.pool, "SELECT $1", 1, NULL, NULL, &c), RT_EINVAL);
  /* All three time out at about the same time. */
  uv_run(&c.loop, UV_RUN_ONCE);
  while (c.calls < 3)
    uv_run(&c.loop, UV_RUN_ONCE);
  assert_int_equal(c.calls, 3);
  for (int i = 0; i < 3; i++)
    assert_int_equal(c.statuses[i], RT_ETIMEDOUT);
  assert_true(c.finished - c.started >= 140);
  assert_true(c.finished - c.started < 3000);

  /* Queue two more, then close while they wait. */
  assert_int_equal(rt_db_acquire(c.pool, on_acquire, &c), 0);
  assert_int_equal(rt_db_acquire(c.pool, on_acquire, &c), 0);
  uv_timer_t t;
  uv_timer_init(&c.loop, &t);
  t.data = &c;
  uv_timer_start(&t, close_pool_cb, 20, 0);
  finish(&c);
  close(lfd);
  assert_int_equal(c.calls, 5);
  assert_int_equal(c.statuses[3], RT_ESHUTDOWN);
  assert_int_equal(c.statuses[4], RT_ESHUTDOWN);
}

static void test_close_idle_pool_and_twice(void **state) {
  (void)state;
  char conninfo[128];
  snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable",
           loopback_port(NULL));
  ctx_t c;
  make_pool(&c, conninfo, 3, 8, 1000, 1000);
  rt_db_pool_close(c.pool, on_closed, &c);
  rt_db_pool_close(c.pool, on_closed, &c); /* ignored */
  finish(&c);
}

static void test_metrics_text(void **state) {
  (void)state;
  char conninfo[128];
  snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable",
           loopback_port(NULL));
  ctx_t c;
  make_pool(&c, conninfo, 3, 8, 1000, 1000);
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_db_metrics_render(&b), 0);
  assert_non_null(strstr(b.data, "# TYPE roundtable_db_connections gauge\n"));
  assert_non_null(strstr(b.data, "roundtable_db_connections{state=\"connecting\"} 3\n"));
  assert_non_null(strstr(b.data, "roundtable_db_connections{state=\"idle\"} 0\n"));
  assert_non_null(strstr(b.data, "roundtable_db_waiters 0\n"));
  assert_non_null(strstr(b.data, "roundtable_db_queries_total 0\n"));
  assert_non_null(strstr(b.data, "roundtable_db_acquire_rejected_total{reason=\"busy\"} "));
  assert_non_null(strstr(b.data, "roundtable_db_reconnects_total "));
  rt_db_pool_close(c.pool, on_closed, &c);
  finish(&c);
  /* A closed pool no longer counts. */
  rt_buf_clear(&b);
  assert_int_equal(rt_db_metrics_render(&b), 0);
  assert_non_null(strstr(b.data, "roundtable_db_connections{state=\"connecting\"} 0\n"));
  rt_buf_free(&b);
}

/* A read replica that cannot be reached: reads stay on the primary, the read pool's gauges
 * and routing are in the metrics, and the pool closes with its replica and its route (the
 * probe in flight included). */
static void close_pool_on_timer(uv_timer_t *t) {
  ctx_t *c = t->data;
  rt_db_pool_close(c->pool, on_closed, c);
  uv_close((uv_handle_t *)t, NULL);
}

static void test_unreachable_replica(void **state) {
  (void)state;
  char primary[128], replica[128];
  snprintf(primary, sizeof(primary), "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable",
           loopback_port(NULL));
  snprintf(replica, sizeof(replica), "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable",
           loopback_port(NULL));
  ctx_t c;
  memset(&c, 0, sizeof(c));
  assert_int_equal(uv_loop_init(&c.loop), 0);
  rt_db_options_t o = {
      .conninfo = primary,
      .read_conninfo = replica,
      .read_max_lag_ms = 100,
      .pool_size = 2,
      .connect_timeout_ms = 2000,
      .reconnect_min_ms = 5000,
      .reconnect_max_ms = 5000,
  };
  assert_int_equal(rt_db_pool_create(&c.loop, &o, &c.pool), 0);
  assert_string_equal(rt_db_read_state(c.pool), "down");
  assert_ptr_equal(rt_db_read_pool(c.pool, rt_db_reader_key(1, 0, 0)), c.pool);
  uv_run(&c.loop, UV_RUN_NOWAIT); /* both pools try and fail; the probe starts */
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_db_metrics_render(&b), 0);
  assert_non_null(strstr(b.data, "roundtable_db_read_connections{state=\"down\"} "));
  assert_non_null(
      strstr(b.data, "roundtable_db_read_routed_total{to=\"primary\",reason=\"replica_down\"} "));
  assert_non_null(strstr(b.data, "roundtable_db_read_replica_lag_seconds -1.000\n"));
  rt_buf_free(&b);
  uv_timer_t timer;
  uv_timer_init(&c.loop, &timer);
  timer.data = &c;
  uv_timer_start(&timer, close_pool_on_timer, 300, 0);
  finish(&c);
}

static void test_no_replica(void **state) {
  (void)state;
  ctx_t c;
  make_pool(&c, "host=127.0.0.1 port=1 user=x dbname=x", 1, 8, 1000, 1000);
  assert_null(rt_db_read_state(c.pool));
  assert_ptr_equal(rt_db_read_pool(c.pool, 42), c.pool);
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_db_metrics_render(&b), 0);
  assert_null(strstr(b.data, "roundtable_db_read_")); /* only with a replica */
  rt_buf_free(&b);
  rt_db_pool_close(c.pool, on_closed, &c);
  finish(&c);
}

static void test_migrate_unreachable(void **state) {
  (void)state;
  char conninfo[128], err[256];
  snprintf(conninfo, sizeof(conninfo),
           "host=127.0.0.1 port=%d user=x dbname=x sslmode=disable connect_timeout=2",
           loopback_port(NULL));
  assert_int_equal(rt_db_migrate(conninfo, err, sizeof(err)), RT_EDB_UNAVAILABLE);
  assert_non_null(strstr(err, "cannot connect to the database: "));
  assert_null(strchr(err, '\n'));
  assert_int_equal(rt_db_migrate("not a conninfo", err, sizeof(err)), RT_EDB_UNAVAILABLE);
  assert_true(strlen(err) > 0);
  assert_null(strchr(err, '\n'));
  assert_int_equal(rt_db_migrate(NULL, err, sizeof(err)), RT_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_conninfo),
      cmocka_unit_test(test_refused_port),
      cmocka_unit_test(test_refused_uri_and_hostname),
      cmocka_unit_test(test_connect_timeout),
      cmocka_unit_test(test_queue_bounds_timeout_and_close),
      cmocka_unit_test(test_close_idle_pool_and_twice),
      cmocka_unit_test(test_metrics_text),
      cmocka_unit_test(test_migrate_unreachable),
      cmocka_unit_test(test_no_replica),
      cmocka_unit_test(test_unreachable_replica),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
