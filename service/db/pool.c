/* The connection pool: non-blocking libpq connections driven by one uv_poll_t each, on
 * the loop that owns the pool (pgbouncer's asynctest.c and h2o's redis client pattern).
 *
 * Every connection is an explicit state machine (db_internal.h) changed only through
 * set_state(), which checks the transition table in policy.c. Callers' callbacks run only
 * from loop callbacks (poll, timers, the dispatch idle handle) or from rt_db_pool_close,
 * never from inside rt_db_acquire/rt_db_query/rt_db_exec, and the code that calls them
 * touches nothing afterwards that the callback could have invalidated. Memory of the pool
 * and its connections lives until the last handle's close callback. */
#include <arpa/inet.h>
#include <assert.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "db_internal.h"
#include "roundtable/buf.h"
#include "roundtable/log.h"

#define DEFAULT_POOL_SIZE 4
#define MAX_POOL_SIZE 1000
#define DEFAULT_MAX_WAITERS 256
#define MAX_MAX_WAITERS 100000
#define DEFAULT_CONNECT_TIMEOUT_MS 5000
#define DEFAULT_STATEMENT_TIMEOUT_MS 30000
#define DEFAULT_ACQUIRE_TIMEOUT_MS 5000
#define DEFAULT_RECONNECT_MIN_MS 100
#define DEFAULT_RECONNECT_MAX_MS 5000
#define MAX_TIMEOUT_MS (24ull * 3600 * 1000)
#define DEFAULT_READ_MAX_LAG_MS 5000
#define MAX_RESOLVED_ADDRS 8
#define MAX_CONNINFO_PARAMS 64

/* One uv_poll_t per socket. It is a separate allocation so that when libpq moves to a new
 * socket mid-connect the old handle can be closed (and freed in its close callback) while
 * a new one watches the new socket at once. */
typedef struct db_watch_s {
  uv_poll_t poll;
  rt_db_conn_t *conn;
  int fd;
  int events; /* UV_READABLE/UV_WRITABLE currently requested */
} db_watch_t;

/* A host name lookup for one connection attempt. Separate from the connection so an
 * attempt that times out or a pool that closes can walk away from it: the callback frees
 * it and ignores a detached (conn == NULL) result. */
typedef struct db_resolve_s {
  uv_getaddrinfo_t req;
  rt_db_conn_t *conn; /* NULL once detached */
  rt_db_pool_t *pool;
} db_resolve_t;

struct rt_db_conn_s {
  rt_db_pool_t *pool;
  int index;
  rt__db_state_t state;
  PGconn *pg;
  db_watch_t *watch;      /* NULL when no socket is watched */
  uv_timer_t timer;       /* by state: connect timeout, query deadline, reconnect backoff */
  db_resolve_t *resolve;  /* lookup in flight while RESOLVING, else NULL */
  unsigned failures;      /* consecutive failed connection attempts */
  unsigned long connects; /* successful connections so far */
  int flushing;           /* output still buffered in libpq: watch writable too */
  int rollback_sent;      /* RESETTING: ROLLBACK already sent once */
  PGresult *result;       /* the statement's result being collected */
  rt_db_result_cb cb;     /* the caller's in-flight query; NULL when none or abandoned */
  void *cb_data;
  uint64_t lease_statement_timeout_ms; /* this lease's own (rt_db_conn_statement_timeout), or 0 */
};

typedef struct db_waiter_s {
  rt_db_acquire_cb cb;
  void *data;
  uint64_t deadline; /* uv_now() time */
  int fallback;      /* a replica's waiter that the primary serves if the replica cannot */
} db_waiter_t;

typedef enum db_pool_phase {
  POOL_OPEN = 0,
  POOL_CLOSING,   /* rt_db_pool_close called; waiting for releases and handles */
  POOL_FINISHING, /* the pool's own handles are closing; freed in their callbacks */
} db_pool_phase_t;

struct rt_db_pool_s {
  uv_loop_t *loop;
  db_pool_phase_t phase;
  rt_db_options_t opts; /* with defaults applied; opts.conninfo not kept */

  /* Connection parameters for PQconnectStartParams, NULL-terminated, owned. */
  char **keywords;
  char **values;
  int nparams;
  char *resolve_host; /* host name to resolve off the loop before each attempt, or NULL */

  rt_db_conn_t *conns;
  int nconns;

  db_waiter_t *waiters; /* ring buffer, FIFO; deadlines are in order */
  int wcap, whead, wcount;
  uv_timer_t wait_timer;
  uv_idle_t dispatch; /* hands idle connections to waiters, one loop turn after a change */

  int open_watches; /* db_watch_t handles not yet closed */
  int pending_reqs; /* getaddrinfo requests not yet called back */
  int leased;       /* connections held by callers (ACQUIRED, BUSY, BROKEN) */
  int conns_closed; /* connections in CLOSED */
  int pool_handles; /* wait_timer and dispatch, until their close callbacks */
  uint64_t rng;
  void (*close_cb)(void *data);
  void *close_data;

  /* Read by rt_db_metrics_render from any thread. */
  atomic_long gauges[RT__DB_GAUGE_COUNT];
  atomic_long waiting;
  atomic_ulong queries, query_errors, reconnects, rejected_busy, rejected_unavailable,
      acquire_timeouts;

  /* A read replica (rt_db_options_t.read_conninfo): the primary owns its replica's pool and
   * the route that probes both; the replica's pool points back at its primary. */
  rt_db_pool_t *replica;
  rt_db_pool_t *primary;
  rt__db_route_t *route;
  atomic_long read_lag_ms; /* the route's last measure, -1 unknown; for the metrics */

  rt_db_pool_t *next; /* registry list, under registry_lock */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static rt_db_pool_t *registry;

static void on_poll(uv_poll_t *h, int status, int events);
static void on_conn_timer(uv_timer_t *t);
static void conn_fail(rt_db_conn_t *c, int status, const char *why);
static void conn_start(rt_db_conn_t *c);
static void conn_reset(rt_db_conn_t *c);
static void pool_kick(rt_db_pool_t *p);
static void pool_maybe_finish(rt_db_pool_t *p);
static int waiter_fall_back(rt_db_pool_t *p, const struct db_waiter_s *w, int status);

/* ---- small helpers ---------------------------------------------------------------- */

static void count(atomic_ulong *c) { atomic_fetch_add_explicit(c, 1, memory_order_relaxed); }

static long gauge(const rt_db_pool_t *p, rt__db_gauge_t g) {
  return atomic_load_explicit(&p->gauges[g], memory_order_relaxed);
}

/* At least one connection is established (idle or leased). */
static int pool_up(const rt_db_pool_t *p) {
  return gauge(p, RT__DB_GAUGE_IDLE) + gauge(p, RT__DB_GAUGE_BUSY) > 0;
}

static int pool_connecting(const rt_db_pool_t *p) { return gauge(p, RT__DB_GAUGE_CONNECTING) > 0; }

static double pool_random(rt_db_pool_t *p) {
  /* xorshift64*: jitter only, not security. */
  uint64_t x = p->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  p->rng = x;
  return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / (double)(1ull << 53);
}

static void set_state(rt_db_conn_t *c, rt__db_state_t to) {
  rt__db_state_t from = c->state;
  if (!rt__db_transition_ok(from, to)) {
    rt_log_error("db: illegal connection state change %s -> %s (connection %d)",
                 rt__db_state_name(from), rt__db_state_name(to), c->index);
    assert(!"illegal connection state change");
  }
  rt__db_gauge_t gf = rt__db_state_gauge(from), gt = rt__db_state_gauge(to);
  if (gf != gt) {
    atomic_fetch_sub_explicit(&c->pool->gauges[gf], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->pool->gauges[gt], 1, memory_order_relaxed);
  }
  c->state = to;
}

static uint64_t query_deadline_ms(const rt_db_conn_t *c) {
  /* The server cancels at statement_timeout; past this margin it is not answering at all
   * (host gone, network cut) and the connection is given up. */
  uint64_t st = c->lease_statement_timeout_ms ? c->lease_statement_timeout_ms
                                              : c->pool->opts.statement_timeout_ms;
  uint64_t margin = st / 4 > 2000 ? st / 4 : 2000;
  return st + margin;
}

/* Log lines say which pool a connection belongs to. */
static const char *conn_name(const rt_db_conn_t *c) {
  return c->pool->primary ? "db (read):" : "db:";
}

/* ---- socket watch ------------------------------------------------------------------ */

static void on_watch_closed(uv_handle_t *h) {
  db_watch_t *w = h->data;
  rt_db_pool_t *p = w->conn->pool;
  free(w);
  p->open_watches--;
  pool_maybe_finish(p);
}

static void watch_close(rt_db_conn_t *c) {
  db_watch_t *w = c->watch;
  if (!w)
    return;
  c->watch = NULL;
  /* uv_close stops the poll and takes the fd out of epoll now; the memory goes in the
   * close callback. Always before PQfinish closes the socket. */
  uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

/* Watches libpq's current socket for events. force re-arms even when nothing seems to
 * change: while connecting, libpq may close its socket and open another that gets the
 * same descriptor number, and only a fresh uv_poll_start re-registers it with epoll. */
static int conn_watch(rt_db_conn_t *c, int events, int force) {
  int fd = PQsocket(c->pg);
  if (fd < 0)
    return RT_EIO;
  if (c->watch && c->watch->fd != fd) {
    rt_log_debug("%s connection %d: libpq moved from socket %d to %d", conn_name(c), c->index,
                 c->watch->fd, fd);
    watch_close(c);
  }
  if (!c->watch) {
    db_watch_t *w = calloc(1, sizeof(*w));
    if (!w)
      return RT_ENOMEM;
    int rc = uv_poll_init_socket(c->pool->loop, &w->poll, fd);
    if (rc) {
      free(w);
      return rc;
    }
    w->poll.data = w;
    w->conn = c;
    w->fd = fd;
    c->pool->open_watches++;
    c->watch = w;
    force = 1;
  }
  if (force || c->watch->events != events) {
    int rc = uv_poll_start(&c->watch->poll, events, on_poll);
    if (rc)
      return rc;
    c->watch->events = events;
  }
  return 0;
}

/* Drops the server connection and everything tied to it; the conn struct stays. */
static void conn_teardown(rt_db_conn_t *c) {
  uv_timer_stop(&c->timer);
  if (c->resolve) {
    c->resolve->conn = NULL;
    uv_cancel((uv_req_t *)&c->resolve->req); /* the callback still comes and frees it */
    c->resolve = NULL;
  }
  watch_close(c);
  if (c->result) {
    PQclear(c->result);
    c->result = NULL;
  }
  if (c->pg) {
    PQfinish(c->pg);
    c->pg = NULL;
  }
  c->flushing = 0;
  c->rollback_sent = 0;
}

/* ---- notices ----------------------------------------------------------------------- */

static void on_notice(void *arg, const char *message) {
  rt_db_conn_t *c = arg;
  if (RT_LOG_DEBUG <= rt_log_threshold) {
    char line[512];
    rt__db_one_line(line, sizeof(line), message);
    rt_log_debug("%s connection %d: server notice: %s", conn_name(c), c->index, line);
  }
}

/* ---- connecting -------------------------------------------------------------------- */

static void conn_backoff(rt_db_conn_t *c) {
  rt_db_pool_t *p = c->pool;
  set_state(c, RT__DB_BACKOFF);
  uint64_t delay = rt__db_backoff_ms(p->opts.reconnect_min_ms, p->opts.reconnect_max_ms,
                                     c->failures, pool_random(p));
  uv_timer_start(&c->timer, on_conn_timer, delay, 0);
}

static void conn_connected(rt_db_conn_t *c) {
  rt_db_pool_t *p = c->pool;
  uv_timer_stop(&c->timer);
  if (PQsetnonblocking(c->pg, 1) != 0) {
    conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
    return;
  }
  if (c->connects > 0 || c->failures > 0) {
    count(&p->reconnects);
    if (c->failures > 0)
      rt_log_info("%s connection %d established after %u failed attempt(s)", conn_name(c), c->index,
                  c->failures);
    else
      rt_log_info("%s connection %d re-established", conn_name(c), c->index);
  } else {
    rt_log_debug("%s connection %d established", conn_name(c), c->index);
  }
  /* The server is back: the pool's other connections need not sit out their (possibly
   * long) backoff; bring them in shortly, jittered. */
  if (c->failures > 0) {
    for (int i = 0; i < p->nconns; i++) {
      rt_db_conn_t *o = &p->conns[i];
      if (o != c && o->state == RT__DB_BACKOFF && o->failures > 0)
        uv_timer_start(&o->timer, on_conn_timer,
                       rt__db_backoff_ms(p->opts.reconnect_min_ms, p->opts.reconnect_max_ms, 0,
                                         pool_random(p)),
                       0);
    }
  }
  c->connects++;
  c->failures = 0;
  set_state(c, RT__DB_IDLE);
  int rc = conn_watch(c, UV_READABLE, 0);
  if (rc) {
    conn_fail(c, RT_EDB_UNAVAILABLE, rt_strerror(rc));
    return;
  }
  pool_kick(p);
}

static void conn_connect_step(rt_db_conn_t *c) {
  int rc;
  switch (PQconnectPoll(c->pg)) {
  case PGRES_POLLING_READING:
    rc = conn_watch(c, UV_READABLE, 1);
    break;
  case PGRES_POLLING_WRITING:
    rc = conn_watch(c, UV_WRITABLE, 1);
    break;
  case PGRES_POLLING_OK:
    conn_connected(c);
    return;
  default:
    conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
    return;
  }
  if (rc)
    conn_fail(c, RT_EDB_UNAVAILABLE, rt_strerror(rc));
}

/* Starts libpq's non-blocking connect; hosts/addrs replace host/hostaddr when a name was
 * resolved here. State must already be CONNECTING. */
static void conn_connect(rt_db_conn_t *c, const char *hosts, const char *addrs) {
  rt_db_pool_t *p = c->pool;
  const char *kw[MAX_CONNINFO_PARAMS + 3];
  const char *val[MAX_CONNINFO_PARAMS + 3];
  int n = 0;
  for (int i = 0; i < p->nparams; i++) {
    if (hosts && (strcmp(p->keywords[i], "host") == 0 || strcmp(p->keywords[i], "hostaddr") == 0))
      continue;
    kw[n] = p->keywords[i];
    val[n++] = p->values[i];
  }
  if (hosts) {
    kw[n] = "host", val[n++] = hosts;
    kw[n] = "hostaddr", val[n++] = addrs;
  }
  kw[n] = NULL, val[n] = NULL;

  c->pg = PQconnectStartParams(kw, val, 0);
  if (!c->pg) {
    conn_fail(c, RT_EDB_UNAVAILABLE, "out of memory");
    return;
  }
  if (PQstatus(c->pg) == CONNECTION_BAD) {
    conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
    return;
  }
  PQsetNoticeProcessor(c->pg, on_notice, c);
  uv_timer_start(&c->timer, on_conn_timer, p->opts.connect_timeout_ms, 0);
  /* libpq: before the first PQconnectPoll, behave as if it had said POLLING_WRITING. */
  int rc = conn_watch(c, UV_WRITABLE, 1);
  if (rc)
    conn_fail(c, RT_EDB_UNAVAILABLE, rt_strerror(rc));
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  db_resolve_t *r = req->data;
  rt_db_conn_t *c = r->conn;
  rt_db_pool_t *p = r->pool;
  free(r);
  p->pending_reqs--;
  if (!c) { /* the attempt timed out or the pool closed meanwhile */
    uv_freeaddrinfo(res);
    pool_maybe_finish(p);
    return;
  }
  c->resolve = NULL;
  if (status < 0) {
    char why[300];
    (void)snprintf(why, sizeof(why), "could not resolve host \"%s\": %s", p->resolve_host,
                   uv_strerror(status));
    uv_freeaddrinfo(res);
    conn_fail(c, RT_EDB_UNAVAILABLE, why);
    return;
  }
  /* libpq takes parallel lists: host=name,name,... hostaddr=addr1,addr2,... and tries them
   * in order, so every address of the name is still tried, with no lookup on the loop. */
  char addrs[MAX_RESOLVED_ADDRS * (INET6_ADDRSTRLEN + 1) + 1];
  size_t hlen = strlen(p->resolve_host);
  char *hosts = malloc(MAX_RESOLVED_ADDRS * (hlen + 1) + 1);
  size_t ao = 0, ho = 0;
  int naddrs = 0;
  for (struct addrinfo *ai = res; hosts && ai && naddrs < MAX_RESOLVED_ADDRS; ai = ai->ai_next) {
    char a[INET6_ADDRSTRLEN];
    const void *src;
    if (ai->ai_family == AF_INET)
      src = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
    else if (ai->ai_family == AF_INET6)
      src = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
    else
      continue;
    if (!inet_ntop(ai->ai_family, src, a, sizeof(a)))
      continue;
    size_t alen = strlen(a);
    /* getaddrinfo repeats addresses per socket type; keep each once. */
    int dup = 0;
    for (size_t off = 0; off < ao;) {
      size_t e = off;
      while (e < ao && addrs[e] != ',')
        e++;
      if (e - off == alen && memcmp(addrs + off, a, alen) == 0)
        dup = 1;
      off = e + 1;
    }
    if (dup)
      continue;
    if (naddrs) {
      addrs[ao++] = ',';
      hosts[ho++] = ',';
    }
    memcpy(addrs + ao, a, alen);
    ao += alen;
    memcpy(hosts + ho, p->resolve_host, hlen);
    ho += hlen;
    naddrs++;
  }
  uv_freeaddrinfo(res);
  if (!hosts) {
    conn_fail(c, RT_EDB_UNAVAILABLE, "out of memory");
    return;
  }
  addrs[ao] = '\0';
  hosts[ho] = '\0';
  if (naddrs == 0) {
    free(hosts);
    conn_fail(c, RT_EDB_UNAVAILABLE, "host name resolved to no usable address");
    return;
  }
  set_state(c, RT__DB_CONNECTING);
  conn_connect(c, hosts, addrs);
  free(hosts);
}

/* From DISCONNECTED or BACKOFF: one connection attempt. */
static void conn_start(rt_db_conn_t *c) {
  rt_db_pool_t *p = c->pool;
  if (p->resolve_host) {
    set_state(c, RT__DB_RESOLVING);
    db_resolve_t *r = calloc(1, sizeof(*r));
    if (!r) {
      conn_fail(c, RT_EDB_UNAVAILABLE, "out of memory");
      return;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    r->req.data = r;
    r->conn = c;
    r->pool = p;
    int rc = uv_getaddrinfo(p->loop, &r->req, on_resolved, p->resolve_host, NULL, &hints);
    if (rc) {
      free(r);
      conn_fail(c, RT_EDB_UNAVAILABLE, uv_strerror(rc));
      return;
    }
    p->pending_reqs++;
    c->resolve = r;
    /* The connect timeout covers the lookup too. */
    uv_timer_start(&c->timer, on_conn_timer, p->opts.connect_timeout_ms, 0);
    return;
  }
  set_state(c, RT__DB_CONNECTING);
  conn_connect(c, NULL, NULL);
}

/* ---- failure ----------------------------------------------------------------------- */

/* The one place a connection is given up. Leased connections turn BROKEN (the caller
 * releases them) and an in-flight query's callback gets status; the others back off and
 * reconnect. */
static void conn_fail(rt_db_conn_t *c, int status, const char *why) {
  rt_db_pool_t *p = c->pool;
  char line[512];
  rt__db_one_line(line, sizeof(line), why && *why ? why : rt_strerror(status));

  switch (c->state) {
  case RT__DB_RESOLVING:
  case RT__DB_CONNECTING:
    c->failures++;
    /* The first failure of a run is news; the retries of an outage are not. */
    if (c->failures == 1)
      rt_log_warn("%s connection %d: connect failed: %s", conn_name(c), c->index, line);
    else
      rt_log_debug("%s connection %d: connect failed (attempt %u): %s", conn_name(c), c->index,
                   c->failures, line);
    conn_teardown(c);
    conn_backoff(c);
    pool_kick(p);
    return;
  case RT__DB_IDLE:
  case RT__DB_RESETTING:
    rt_log_warn("%s connection %d lost: %s", conn_name(c), c->index, line);
    conn_teardown(c);
    conn_backoff(c);
    pool_kick(p);
    return;
  case RT__DB_ACQUIRED:
    rt_log_warn("%s connection %d lost: %s", conn_name(c), c->index, line);
    conn_teardown(c);
    set_state(c, RT__DB_BROKEN);
    pool_kick(p);
    return;
  case RT__DB_BUSY: {
    rt_log_warn("%s connection %d lost with a query in flight: %s", conn_name(c), c->index, line);
    rt_db_result_cb cb = c->cb;
    void *data = c->cb_data;
    c->cb = NULL;
    conn_teardown(c);
    set_state(c, RT__DB_BROKEN);
    pool_kick(p);
    if (cb) {
      count(&p->queries);
      count(&p->query_errors);
      rt_db_result_t res = {.pg = NULL, .message = line, .sqlstate = ""};
      cb(status, &res, data);
    }
    return;
  }
  default:
    return;
  }
}

/* ---- queries ----------------------------------------------------------------------- */

static int conn_send(rt_db_conn_t *c, const char *sql, int nparams, const char *const *values) {
  if (!PQsendQueryParams(c->pg, sql, nparams, NULL, values, NULL, NULL, 0))
    return RT_EDB_UNAVAILABLE;
  int r = PQflush(c->pg);
  if (r < 0)
    return RT_EDB_UNAVAILABLE;
  c->flushing = r == 1;
  int rc = conn_watch(c, UV_READABLE | (c->flushing ? UV_WRITABLE : 0), 0);
  if (rc)
    return rc;
  if (c->pool->opts.statement_timeout_ms)
    uv_timer_start(&c->timer, on_conn_timer, query_deadline_ms(c), 0);
  return 0;
}

static int result_status(const PGresult *r, char *msg, size_t msglen, const char **message) {
  *message = NULL;
  if (!r) {
    *message = "no result";
    return RT_EDB_QUERY;
  }
  switch (PQresultStatus(r)) {
  case PGRES_COMMAND_OK:
  case PGRES_TUPLES_OK:
    return 0;
  case PGRES_EMPTY_QUERY:
    *message = "empty query";
    return RT_EDB_QUERY;
  default:
    break;
  }
  if (!PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) {
    rt__db_one_line(msg, msglen, PQresultErrorMessage(r));
    *message = msg;
  }
  return rt__db_error_from_sqlstate(PQresultErrorField(r, PG_DIAG_SQLSTATE), 0);
}

/* Every result of the statement is in: hand it over (BUSY) or carry on resetting. */
static void conn_query_done(rt_db_conn_t *c) {
  rt_db_pool_t *p = c->pool;
  uv_timer_stop(&c->timer);
  PGresult *r = c->result;
  c->result = NULL;
  if (PQstatus(c->pg) == CONNECTION_BAD) {
    char msg[512];
    rt__db_one_line(msg, sizeof(msg), r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
    PQclear(r);
    conn_fail(c, RT_EDB_UNAVAILABLE, msg);
    return;
  }
  if (c->state == RT__DB_RESETTING) {
    PQclear(r);
    conn_reset(c);
    return;
  }
  char msgbuf[512];
  const char *message;
  int status = result_status(r, msgbuf, sizeof(msgbuf), &message);
  rt_db_result_cb cb = c->cb;
  void *data = c->cb_data;
  c->cb = NULL;
  set_state(c, RT__DB_ACQUIRED);
  count(&p->queries);
  if (status)
    count(&p->query_errors);
  int rc = conn_watch(c, UV_READABLE, 0);
  rt_db_result_t res = {.pg = r, .message = message, .sqlstate = NULL};
  if (cb)
    cb(status, &res, data);
  PQclear(r);
  /* A watch that cannot be set means the connection is unusable; the callback above may
   * have released it or queried again, so only fail it if it is still as we left it. */
  if (rc && c->state == RT__DB_ACQUIRED)
    conn_fail(c, RT_EDB_UNAVAILABLE, rt_strerror(rc));
}

static void conn_collect(rt_db_conn_t *c) {
  while (!PQisBusy(c->pg)) {
    PGresult *r = PQgetResult(c->pg);
    if (!r) {
      conn_query_done(c);
      return;
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      PQclear(r);
      conn_fail(c, RT_EDB_QUERY, "COPY is not supported on pooled connections");
      return;
    }
    /* One statement gives one result; should more come, the first error wins. */
    int keep_old = c->result && (PQresultStatus(c->result) == PGRES_FATAL_ERROR ||
                                 PQresultStatus(c->result) == PGRES_BAD_RESPONSE);
    if (keep_old) {
      PQclear(r);
    } else {
      PQclear(c->result);
      c->result = r;
    }
  }
  if (PQstatus(c->pg) == CONNECTION_BAD)
    conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
}

static void conn_io(rt_db_conn_t *c, int events) {
  /* Over TLS, OpenSSL may keep part of a record already read from the socket: the socket
   * then stays quiet while the rest of the reply sits in OpenSSL's buffer. One record is
   * at most 16 KiB and each PQconsumeInput takes at least 8 KiB, so a few more calls while
   * libpq still wants input drain it. */
  for (int i = 0; (events & UV_READABLE) && i < 4; i++) {
    if (!PQconsumeInput(c->pg)) {
      conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
      return;
    }
    if (!PQsslInUse(c->pg) || !PQisBusy(c->pg))
      break;
  }
  if (c->flushing) {
    int r = PQflush(c->pg);
    if (r < 0) {
      conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
      return;
    }
    if (r == 0) {
      c->flushing = 0;
      int rc = conn_watch(c, UV_READABLE, 0);
      if (rc) {
        conn_fail(c, RT_EDB_UNAVAILABLE, rt_strerror(rc));
        return;
      }
    }
  }
  if (events & UV_READABLE)
    conn_collect(c);
}

/* IDLE or ACQUIRED with no query: input here is the server going away (or a notice). */
static void conn_idle_input(rt_db_conn_t *c) {
  if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
    conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
    return;
  }
  PGnotify *n;
  while ((n = PQnotifies(c->pg)) != NULL)
    PQfreemem(n);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  db_watch_t *w = h->data;
  rt_db_conn_t *c = w->conn;
  if (status < 0) {
    /* libuv reports POLLERR (a refused connect, a reset) as UV_EBADF and stops the
     * handle. libpq reads the real error from the socket: let it, and re-arm below if
     * the connection survives (a refused address during connect just moves libpq on to
     * the next one). */
    w->events = 0;
    events = UV_READABLE | UV_WRITABLE;
  }
  switch (c->state) {
  case RT__DB_CONNECTING:
    conn_connect_step(c);
    break;
  case RT__DB_IDLE:
  case RT__DB_ACQUIRED:
    conn_idle_input(c);
    break;
  case RT__DB_BUSY:
  case RT__DB_RESETTING:
    conn_io(c, events);
    break;
  default:
    break;
  }
  if (status < 0 && c->watch == w && w->events == 0) {
    int want = 0;
    if (c->state == RT__DB_IDLE || c->state == RT__DB_ACQUIRED)
      want = UV_READABLE;
    else if (c->state == RT__DB_BUSY || c->state == RT__DB_RESETTING)
      want = UV_READABLE | (c->flushing ? UV_WRITABLE : 0);
    int rc = want ? conn_watch(c, want, 1) : 0;
    if (rc)
      conn_fail(c, RT_EDB_UNAVAILABLE, rt_strerror(rc));
  }
}

static void on_conn_timer(uv_timer_t *t) {
  rt_db_conn_t *c = t->data;
  char why[128];
  switch (c->state) {
  case RT__DB_RESOLVING:
  case RT__DB_CONNECTING:
    (void)snprintf(why, sizeof(why), "no connection within %llu ms",
                   (unsigned long long)c->pool->opts.connect_timeout_ms);
    conn_fail(c, RT_EDB_UNAVAILABLE, why);
    break;
  case RT__DB_BACKOFF:
    conn_start(c);
    break;
  case RT__DB_BUSY:
  case RT__DB_RESETTING:
    (void)snprintf(why, sizeof(why), "no answer from the server within %llu ms",
                   (unsigned long long)query_deadline_ms(c));
    conn_fail(c, RT_ETIMEDOUT, why);
    break;
  default:
    break;
  }
}

/* A released connection: back to IDLE once no transaction is open, else ROLLBACK first. */
static void conn_reset(rt_db_conn_t *c) {
  switch (PQtransactionStatus(c->pg)) {
  case PQTRANS_IDLE:
    set_state(c, RT__DB_IDLE);
    c->rollback_sent = 0;
    pool_kick(c->pool);
    return;
  case PQTRANS_INTRANS:
  case PQTRANS_INERROR: {
    if (c->rollback_sent)
      break;
    if (c->state != RT__DB_RESETTING)
      set_state(c, RT__DB_RESETTING);
    c->rollback_sent = 1;
    int rc = conn_send(c, "ROLLBACK", 0, NULL);
    if (rc)
      conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
    return;
  }
  default:
    break;
  }
  if (c->state != RT__DB_RESETTING)
    set_state(c, RT__DB_RESETTING);
  conn_fail(c, RT_EDB_UNAVAILABLE, "could not return the connection to a clean state");
}

/* ---- pool: waiters and dispatch ------------------------------------------------------ */

static void waiting_gauge(rt_db_pool_t *p) {
  atomic_store_explicit(&p->waiting, p->wcount, memory_order_relaxed);
}

static db_waiter_t waiter_pop(rt_db_pool_t *p) {
  db_waiter_t w = p->waiters[p->whead];
  p->whead = (p->whead + 1) % p->wcap;
  p->wcount--;
  waiting_gauge(p);
  return w;
}

static void on_wait_timer(uv_timer_t *t);

static void wait_timer_arm(rt_db_pool_t *p) {
  if (p->phase != POOL_OPEN || p->wcount == 0 || uv_is_active((uv_handle_t *)&p->wait_timer))
    return;
  uint64_t now = uv_now(p->loop), dl = p->waiters[p->whead].deadline;
  uv_timer_start(&p->wait_timer, on_wait_timer, dl > now ? dl - now : 0, 0);
}

static void on_wait_timer(uv_timer_t *t) {
  rt_db_pool_t *p = t->data;
  uint64_t now = uv_now(p->loop);
  while (p->phase == POOL_OPEN && p->wcount > 0 && p->waiters[p->whead].deadline <= now) {
    db_waiter_t w = waiter_pop(p);
    count(&p->acquire_timeouts);
    int rc = waiter_fall_back(p, &w, RT_ETIMEDOUT);
    if (rc)
      w.cb(rc, NULL, w.data);
  }
  wait_timer_arm(p);
}

static rt_db_conn_t *find_idle(rt_db_pool_t *p) {
  for (int i = 0; i < p->nconns; i++)
    if (p->conns[i].state == RT__DB_IDLE)
      return &p->conns[i];
  return NULL;
}

static void on_dispatch(uv_idle_t *h) {
  rt_db_pool_t *p = h->data;
  uv_idle_stop(h);
  while (p->phase == POOL_OPEN && p->wcount > 0) {
    rt_db_conn_t *c = find_idle(p);
    if (c) {
      db_waiter_t w = waiter_pop(p);
      set_state(c, RT__DB_ACQUIRED);
      p->leased++;
      w.cb(0, c, w.data);
      continue;
    }
    if (!pool_up(p) && !pool_connecting(p)) {
      /* Every connection is down or backing off: no point in waiting. */
      db_waiter_t w = waiter_pop(p);
      count(&p->rejected_unavailable);
      int rc = waiter_fall_back(p, &w, RT_EDB_UNAVAILABLE);
      if (rc)
        w.cb(rc, NULL, w.data);
      continue;
    }
    break;
  }
  wait_timer_arm(p);
}

static void pool_kick(rt_db_pool_t *p) {
  if (p->phase == POOL_OPEN && p->wcount > 0 && !uv_is_active((uv_handle_t *)&p->dispatch))
    uv_idle_start(&p->dispatch, on_dispatch);
}

/* ---- pool: closing ----------------------------------------------------------------- */

static void on_pool_handle_closed(uv_handle_t *h) {
  rt_db_pool_t *p = h->data;
  if (--p->pool_handles > 0)
    return;
  pthread_mutex_lock(&registry_lock);
  for (rt_db_pool_t **pp = &registry; *pp; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  }
  pthread_mutex_unlock(&registry_lock);
  void (*cb)(void *) = p->close_cb;
  void *data = p->close_data;
  for (int i = 0; i < p->nparams; i++) {
    free(p->keywords[i]);
    free(p->values[i]);
  }
  free(p->keywords);
  free(p->values);
  free(p->resolve_host);
  free(p->conns);
  free(p->waiters);
  free(p);
  if (cb)
    cb(data);
}

static void pool_maybe_finish(rt_db_pool_t *p) {
  if (p->phase != POOL_CLOSING || p->open_watches > 0 || p->pending_reqs > 0 || p->leased > 0 ||
      p->conns_closed < p->nconns || p->route || p->replica)
    return;
  p->phase = POOL_FINISHING;
  uv_close((uv_handle_t *)&p->wait_timer, on_pool_handle_closed);
  uv_close((uv_handle_t *)&p->dispatch, on_pool_handle_closed);
}

static void on_conn_timer_closed(uv_handle_t *h) {
  rt_db_conn_t *c = h->data;
  set_state(c, RT__DB_CLOSED);
  c->pool->conns_closed++;
  pool_maybe_finish(c->pool);
}

static void conn_begin_close(rt_db_conn_t *c) {
  conn_teardown(c);
  set_state(c, RT__DB_CLOSING);
  uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
}

static void conn_shutdown(rt_db_conn_t *c) {
  switch (c->state) {
  case RT__DB_BUSY: {
    rt_db_result_cb cb = c->cb;
    void *data = c->cb_data;
    c->cb = NULL;
    conn_teardown(c);
    set_state(c, RT__DB_BROKEN);
    if (cb) {
      count(&c->pool->queries);
      count(&c->pool->query_errors);
      rt_db_result_t res = {.pg = NULL, .message = "the pool is closing", .sqlstate = ""};
      cb(RT_ESHUTDOWN, &res, data);
    }
    return;
  }
  case RT__DB_ACQUIRED:
    conn_teardown(c);
    set_state(c, RT__DB_BROKEN);
    return;
  case RT__DB_BROKEN: /* leased: closes when released */
  case RT__DB_CLOSING:
  case RT__DB_CLOSED:
    return;
  default:
    conn_begin_close(c);
    return;
  }
}

static void on_route_closed(void *data) {
  rt_db_pool_t *p = data;
  p->route = NULL;
  pool_maybe_finish(p);
}

static void on_replica_closed(void *data) {
  rt_db_pool_t *p = data;
  p->replica = NULL;
  pool_maybe_finish(p);
}

void rt_db_pool_close(rt_db_pool_t *p, void (*cb)(void *data), void *data) {
  if (!p)
    return;
  if (p->phase != POOL_OPEN) {
    rt_log_warn("db: pool closed twice; the second close is ignored");
    return;
  }
  p->phase = POOL_CLOSING;
  p->close_cb = cb;
  p->close_data = data;
  /* The route first: its probe in flight then ends with the pools' RT_ESHUTDOWN. */
  if (p->route)
    rt__db_route_close(p->route, on_route_closed, p);
  if (p->replica)
    rt_db_pool_close(p->replica, on_replica_closed, p);
  uv_idle_stop(&p->dispatch);
  uv_timer_stop(&p->wait_timer);
  while (p->wcount > 0) {
    db_waiter_t w = waiter_pop(p);
    w.cb(RT_ESHUTDOWN, NULL, w.data);
  }
  for (int i = 0; i < p->nconns; i++)
    conn_shutdown(&p->conns[i]);
  pool_maybe_finish(p);
}

/* ---- pool: creation ---------------------------------------------------------------- */

static uint64_t opt_ms(uint64_t v, uint64_t def) {
  if (v == 0)
    return def;
  return v > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : v;
}

static int is_numeric_host(const char *h) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static int add_param(rt_db_pool_t *p, const char *k, const char *v) {
  if (p->nparams >= MAX_CONNINFO_PARAMS)
    return RT_E2BIG;
  char *kk = strdup(k), *vv = strdup(v);
  if (!kk || !vv) {
    free(kk);
    free(vv);
    return RT_ENOMEM;
  }
  p->keywords[p->nparams] = kk;
  p->values[p->nparams] = vv;
  p->nparams++;
  return 0;
}

/* Parses conninfo once (a key=value string or a URI), adds application_name and a
 * statement_timeout, and decides whether the host name is resolved here before each
 * attempt (libpq would resolve it with a blocking getaddrinfo on the loop). */
static int pool_params(rt_db_pool_t *p, const char *conninfo) {
  char *err = NULL;
  PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
  if (!opts) {
    if (err) {
      char line[256];
      rt__db_one_line(line, sizeof(line), err);
      rt_log_error("db: invalid connection string: %s", line);
      PQfreemem(err);
      return RT_EINVAL;
    }
    return RT_ENOMEM;
  }
  p->keywords = calloc(MAX_CONNINFO_PARAMS, sizeof(char *));
  p->values = calloc(MAX_CONNINFO_PARAMS, sizeof(char *));
  int rc = p->keywords && p->values ? 0 : RT_ENOMEM;
  const char *user_options = NULL, *host = NULL, *hostaddr = NULL;
  int have_appname = 0;
  for (PQconninfoOption *o = opts; !rc && o->keyword; o++) {
    if (!o->val || !*o->val)
      continue;
    if (strcmp(o->keyword, "options") == 0) {
      user_options = o->val;
      continue;
    }
    if (strcmp(o->keyword, "application_name") == 0)
      have_appname = 1;
    if (strcmp(o->keyword, "host") == 0)
      host = o->val;
    if (strcmp(o->keyword, "hostaddr") == 0)
      hostaddr = o->val;
    rc = add_param(p, o->keyword, o->val);
  }
  if (!rc && !have_appname)
    rc = add_param(p, "application_name", "roundtable");
  if (!rc) {
    char options[1024];
    /* A replica's sessions refuse writes: a write routed there by mistake fails (and is
     * retried on the primary) instead of failing later in recovery. */
    int n = snprintf(options, sizeof(options), "%s%s-c statement_timeout=%llu%s",
                     user_options ? user_options : "", user_options ? " " : "",
                     (unsigned long long)p->opts.statement_timeout_ms,
                     p->primary ? " -c default_transaction_read_only=on" : "");
    rc = n < 0 || (size_t)n >= sizeof(options) ? RT_E2BIG : add_param(p, "options", options);
  }
  if (!rc) {
    if (!host)
      host = getenv("PGHOST");
    if (!hostaddr)
      hostaddr = getenv("PGHOSTADDR");
    /* A single name that is neither an address nor a socket directory needs a lookup. */
    if (host && *host && (!hostaddr || !*hostaddr) && !strchr(host, ',') && host[0] != '/' &&
        host[0] != '@' && !is_numeric_host(host)) {
      p->resolve_host = strdup(host);
      if (!p->resolve_host)
        rc = RT_ENOMEM;
    }
  }
  PQconninfoFree(opts);
  return rc;
}

/* One pool on conninfo; primary is NULL, or the pool this one is the read replica of. */
static int pool_new(uv_loop_t *loop, const rt_db_options_t *opts, const char *conninfo,
                    rt_db_pool_t *primary, rt_db_pool_t **out) {
  int rc = RT_ENOMEM;
  rt_db_pool_t *p = calloc(1, sizeof(*p));
  if (!p)
    return RT_ENOMEM;
  p->loop = loop;
  p->primary = primary;
  atomic_store(&p->read_lag_ms, -1);
  p->opts = *opts;
  p->opts.conninfo = NULL;
  p->opts.read_conninfo = NULL;
  int size = opts->pool_size > 0 ? opts->pool_size : DEFAULT_POOL_SIZE;
  p->opts.pool_size = size > MAX_POOL_SIZE ? MAX_POOL_SIZE : size;
  int mw = opts->max_waiters > 0 ? opts->max_waiters : DEFAULT_MAX_WAITERS;
  p->opts.max_waiters = mw > MAX_MAX_WAITERS ? MAX_MAX_WAITERS : mw;
  p->opts.connect_timeout_ms = opt_ms(opts->connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
  p->opts.statement_timeout_ms = opt_ms(opts->statement_timeout_ms, DEFAULT_STATEMENT_TIMEOUT_MS);
  p->opts.acquire_timeout_ms = opt_ms(opts->acquire_timeout_ms, DEFAULT_ACQUIRE_TIMEOUT_MS);
  p->opts.reconnect_min_ms = opt_ms(opts->reconnect_min_ms, DEFAULT_RECONNECT_MIN_MS);
  p->opts.reconnect_max_ms = opt_ms(opts->reconnect_max_ms, DEFAULT_RECONNECT_MAX_MS);
  if (p->opts.reconnect_max_ms < p->opts.reconnect_min_ms)
    p->opts.reconnect_max_ms = p->opts.reconnect_min_ms;
  p->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)p ^ 0x9E3779B97F4A7C15ull;
  if (p->rng == 0)
    p->rng = 1;

  rc = pool_params(p, conninfo);
  if (rc)
    goto fail;
  rc = RT_ENOMEM;
  p->nconns = p->opts.pool_size;
  p->conns = calloc((size_t)p->nconns, sizeof(*p->conns));
  p->wcap = p->opts.max_waiters;
  p->waiters = calloc((size_t)p->wcap, sizeof(*p->waiters));
  if (!p->conns || !p->waiters)
    goto fail;

  /* Nothing below can fail: once a handle exists, the pool is only freed by closing. */
  uv_timer_init(loop, &p->wait_timer);
  p->wait_timer.data = p;
  uv_idle_init(loop, &p->dispatch);
  p->dispatch.data = p;
  p->pool_handles = 2;
  atomic_store(&p->gauges[RT__DB_GAUGE_DOWN], p->nconns);
  for (int i = 0; i < p->nconns; i++) {
    rt_db_conn_t *c = &p->conns[i];
    c->pool = p;
    c->index = i;
    c->state = RT__DB_DISCONNECTED;
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
  }
  pthread_mutex_lock(&registry_lock);
  p->next = registry;
  registry = p;
  pthread_mutex_unlock(&registry_lock);
  for (int i = 0; i < p->nconns; i++)
    conn_start(&p->conns[i]);
  *out = p;
  return 0;

fail:
  if (p->keywords)
    for (int i = 0; i < p->nparams; i++) {
      free(p->keywords[i]);
      free(p->values[i]);
    }
  free(p->keywords);
  free(p->values);
  free(p->resolve_host);
  free(p->conns);
  free(p->waiters);
  free(p);
  return rc;
}

int rt_db_pool_create(uv_loop_t *loop, const rt_db_options_t *opts, rt_db_pool_t **out) {
  if (!loop || !opts || !opts->conninfo || !out)
    return RT_EINVAL;
  *out = NULL;
  rt_db_pool_t *p = NULL;
  int rc = pool_new(loop, opts, opts->conninfo, NULL, &p);
  if (rc || !opts->read_conninfo || !*opts->read_conninfo) {
    *out = p;
    return rc;
  }
  rc = pool_new(loop, opts, opts->read_conninfo, p, &p->replica);
  if (!rc) {
    uint64_t lag = opt_ms(opts->read_max_lag_ms, DEFAULT_READ_MAX_LAG_MS);
    rc = rt__db_route_create(loop, p, p->replica, lag, &p->route);
  }
  if (rc) { /* the pools have handles now: only closing frees them */
    rt_db_pool_close(p, NULL, NULL);
    return rc;
  }
  *out = p;
  return 0;
}

rt_db_pool_t *rt_db_read_pool(rt_db_pool_t *p, uint64_t reader) {
  if (!p || !p->route || p->phase != POOL_OPEN)
    return p;
  return rt__db_route_pick(p->route, reader);
}

uint64_t rt_db_read_as_of(const rt_db_pool_t *p) {
  if (!p || !p->primary)
    return UINT64_MAX;
  return p->primary->route ? rt__db_route_caught_up(p->primary->route) : 0;
}

const char *rt_db_read_state(const rt_db_pool_t *p) {
  return p && p->route ? rt__db_route_state(p->route) : NULL;
}

void rt__db_pool_write_committed(rt_db_pool_t *p) {
  if (p->route && p->phase == POOL_OPEN)
    rt__db_route_kick(p->route);
}

void rt__db_pool_read_lag_set(rt_db_pool_t *p, long lag_ms) {
  atomic_store_explicit(&p->read_lag_ms, lag_ms, memory_order_relaxed);
}

int rt_db_pool_connected(const rt_db_pool_t *p) { return p && pool_up(p); }

/* ---- public: acquire, query, release ------------------------------------------------- */

/* A replica's waiter that the replica cannot serve (status) goes to the primary instead;
 * 0 when it did, else the status for its callback. */
static int waiter_fall_back(rt_db_pool_t *p, const db_waiter_t *w, int status) {
  if (!w->fallback || !p->primary || status == RT_ESHUTDOWN)
    return status;
  int rc = rt_db_acquire(p->primary, w->cb, w->data);
  if (rc == 0)
    rt__db_route_count_fallback();
  return rc;
}

static int pool_acquire(rt_db_pool_t *p, rt_db_acquire_cb cb, void *data, int fallback) {
  if (!p || !cb)
    return RT_EINVAL;
  if (p->phase != POOL_OPEN)
    return RT_ESHUTDOWN;
  db_waiter_t w = {.cb = cb, .data = data, .fallback = fallback && p->primary};
  if (!pool_up(p) && !pool_connecting(p)) {
    count(&p->rejected_unavailable);
    return waiter_fall_back(p, &w, RT_EDB_UNAVAILABLE);
  }
  if (p->wcount >= p->wcap) {
    count(&p->rejected_busy);
    return waiter_fall_back(p, &w, RT_EBUSY);
  }
  int tail = (p->whead + p->wcount) % p->wcap;
  w.deadline = uv_now(p->loop) + p->opts.acquire_timeout_ms;
  p->waiters[tail] = w;
  p->wcount++;
  waiting_gauge(p);
  wait_timer_arm(p);
  pool_kick(p);
  return 0;
}

int rt_db_acquire(rt_db_pool_t *p, rt_db_acquire_cb cb, void *data) {
  return pool_acquire(p, cb, data, 1);
}

int rt_db_query(rt_db_conn_t *c, const char *sql, int nparams, const char *const *values,
                rt_db_result_cb cb, void *data) {
  if (!c || !sql || !cb || nparams < 0 || nparams > 65535 || (nparams > 0 && !values))
    return RT_EINVAL;
  switch (c->state) {
  case RT__DB_ACQUIRED:
    break;
  case RT__DB_BUSY:
    return RT_EBUSY;
  case RT__DB_BROKEN:
    return c->pool->phase == POOL_OPEN ? RT_EDB_UNAVAILABLE : RT_ESHUTDOWN;
  default:
    return RT_EINVAL; /* not leased */
  }
  set_state(c, RT__DB_BUSY);
  int rc = conn_send(c, sql, nparams, values);
  if (rc) {
    c->cb = NULL; /* a failed start never calls back */
    conn_fail(c, RT_EDB_UNAVAILABLE, PQerrorMessage(c->pg));
    return RT_EDB_UNAVAILABLE;
  }
  c->cb = cb;
  c->cb_data = data;
  return 0;
}

void rt_db_conn_statement_timeout(rt_db_conn_t *c, uint64_t ms) {
  c->lease_statement_timeout_ms = ms;
}

void rt_db_release(rt_db_conn_t *c) {
  if (!c)
    return;
  rt_db_pool_t *p = c->pool;
  c->lease_statement_timeout_ms = 0;
  switch (c->state) {
  case RT__DB_ACQUIRED:
    p->leased--;
    conn_reset(c);
    break;
  case RT__DB_BUSY:
    /* The query is abandoned: its result is drained, then the transaction checked. */
    p->leased--;
    c->cb = NULL;
    set_state(c, RT__DB_RESETTING);
    break;
  case RT__DB_BROKEN:
    p->leased--;
    if (p->phase == POOL_OPEN) {
      conn_backoff(c);
      pool_kick(p);
    } else {
      conn_begin_close(c);
    }
    break;
  default:
    rt_log_error("db: release of connection %d that is not leased (state %s)", c->index,
                 rt__db_state_name(c->state));
    assert(!"release of a connection that is not leased");
    return;
  }
  pool_maybe_finish(p);
}

/* ---- rt_db_exec ---------------------------------------------------------------------- */

typedef struct db_exec_s {
  rt_db_result_cb cb;
  void *data;
  rt_db_conn_t *conn;
  int pinned; /* no fallback from a replica to its primary */
  char *sql;
  int nparams;
  const char **values; /* into the same allocation */
} db_exec_t;

static void exec_on_acquire(int status, rt_db_conn_t *conn, void *arg);

/* Whether a statement that failed with status on from's connection goes to the primary: a
 * read the replica failed (lost, conflicting with recovery, refusing it) is safe to run
 * again. Not after a statement timeout, which the primary would most likely hit as well, nor
 * while closing, nor for the route's own probes (pinned). */
static int exec_can_fall_back(const db_exec_t *x, const rt_db_pool_t *from, int status) {
  return status && !x->pinned && from->primary && status != RT_ETIMEDOUT && status != RT_ESHUTDOWN;
}

/* Sends x to the primary of from instead (the connection, if any, already released); 0, or
 * the failure for x's callback. */
static int exec_fall_back(db_exec_t *x, rt_db_pool_t *from) {
  int rc = pool_acquire(from->primary, exec_on_acquire, x, 0);
  if (rc == 0)
    rt__db_route_count_fallback();
  return rc;
}

static void exec_fail(db_exec_t *x, int status) {
  rt_db_result_t res = {.pg = NULL, .message = rt_strerror(status), .sqlstate = ""};
  x->cb(status, &res, x->data);
  free(x);
}

static void exec_on_result(int status, const rt_db_result_t *res, void *arg) {
  db_exec_t *x = arg;
  rt_db_conn_t *c = x->conn;
  rt_db_pool_t *p = c->pool;
  if (exec_can_fall_back(x, p, status)) {
    rt_db_release(c);
    x->conn = NULL;
    int rc = exec_fall_back(x, p);
    if (rc)
      exec_fail(x, rc);
    return;
  }
  x->cb(status, res, x->data);
  rt_db_release(c);
  free(x);
}

static void exec_on_acquire(int status, rt_db_conn_t *conn, void *arg) {
  db_exec_t *x = arg;
  if (status == 0) {
    x->conn = conn;
    status = rt_db_query(conn, x->sql, x->nparams, x->values, exec_on_result, x);
    if (status == 0)
      return;
    rt_db_pool_t *p = conn->pool;
    rt_db_release(conn);
    x->conn = NULL;
    if (exec_can_fall_back(x, p, status)) {
      status = exec_fall_back(x, p);
      if (status == 0)
        return;
    }
  }
  exec_fail(x, status);
}

static int exec_start(rt_db_pool_t *p, int pinned, const char *sql, int nparams,
                      const char *const *values, rt_db_result_cb cb, void *data) {
  if (!p || !sql || !cb || nparams < 0 || nparams > 65535 || (nparams > 0 && !values))
    return RT_EINVAL;
  /* One allocation: header, value pointers, then the strings. */
  size_t size = sizeof(db_exec_t) + (size_t)nparams * sizeof(char *) + strlen(sql) + 1;
  for (int i = 0; i < nparams; i++)
    if (values[i])
      size += strlen(values[i]) + 1;
  db_exec_t *x = malloc(size);
  if (!x)
    return RT_ENOMEM;
  x->cb = cb;
  x->data = data;
  x->conn = NULL;
  x->pinned = pinned;
  x->nparams = nparams;
  x->values = (const char **)(void *)(x + 1);
  char *s = (char *)(x->values + nparams);
  size_t n = strlen(sql) + 1;
  memcpy(s, sql, n);
  x->sql = s;
  s += n;
  for (int i = 0; i < nparams; i++) {
    if (!values[i]) {
      x->values[i] = NULL;
      continue;
    }
    n = strlen(values[i]) + 1;
    memcpy(s, values[i], n);
    x->values[i] = s;
    s += n;
  }
  /* A replica that cannot lease a connection hands the waiter to its primary. */
  int rc = pool_acquire(p, exec_on_acquire, x, !pinned);
  if (rc)
    free(x);
  return rc;
}

int rt_db_exec(rt_db_pool_t *p, const char *sql, int nparams, const char *const *values,
               rt_db_result_cb cb, void *data) {
  return exec_start(p, 0, sql, nparams, values, cb, data);
}

int rt__db_exec_pinned(rt_db_pool_t *p, const char *sql, int nparams, const char *const *values,
                       rt_db_result_cb cb, void *data) {
  return exec_start(p, 1, sql, nparams, values, cb, data);
}

/* ---- metrics --------------------------------------------------------------------------- */

int rt_db_metrics_render(struct rt_buf_s *out) {
  long g[RT__DB_GAUGE_COUNT] = {0};
  long waiting = 0;
  unsigned long queries = 0, errors = 0, reconnects = 0, busy = 0, unavailable = 0, timeouts = 0;
  long rg[RT__DB_GAUGE_COUNT] = {0}, lag = -1;
  int replicas = 0;
  pthread_mutex_lock(&registry_lock);
  for (rt_db_pool_t *p = registry; p; p = p->next) {
    if (p->primary) { /* a read replica's pool: its own gauges */
      replicas++;
      for (int i = 0; i < RT__DB_GAUGE_COUNT; i++)
        rg[i] += atomic_load_explicit(&p->gauges[i], memory_order_relaxed);
      continue;
    }
    long l = atomic_load_explicit(&p->read_lag_ms, memory_order_relaxed);
    if (l > lag)
      lag = l;
    for (int i = 0; i < RT__DB_GAUGE_COUNT; i++)
      g[i] += atomic_load_explicit(&p->gauges[i], memory_order_relaxed);
    waiting += atomic_load_explicit(&p->waiting, memory_order_relaxed);
    queries += atomic_load_explicit(&p->queries, memory_order_relaxed);
    errors += atomic_load_explicit(&p->query_errors, memory_order_relaxed);
    reconnects += atomic_load_explicit(&p->reconnects, memory_order_relaxed);
    busy += atomic_load_explicit(&p->rejected_busy, memory_order_relaxed);
    unavailable += atomic_load_explicit(&p->rejected_unavailable, memory_order_relaxed);
    timeouts += atomic_load_explicit(&p->acquire_timeouts, memory_order_relaxed);
  }
  pthread_mutex_unlock(&registry_lock);
  int rc = rt__db_tx_metrics_render(out);
  if (!rc && replicas)
    rc = rt_buf_printf(out,
                       "# HELP roundtable_db_read_connections Read replica connections by state.\n"
                       "# TYPE roundtable_db_read_connections gauge\n"
                       "roundtable_db_read_connections{state=\"idle\"} %ld\n"
                       "roundtable_db_read_connections{state=\"busy\"} %ld\n"
                       "roundtable_db_read_connections{state=\"connecting\"} %ld\n"
                       "roundtable_db_read_connections{state=\"down\"} %ld\n",
                       rg[RT__DB_GAUGE_IDLE], rg[RT__DB_GAUGE_BUSY], rg[RT__DB_GAUGE_CONNECTING],
                       rg[RT__DB_GAUGE_DOWN]);
  if (!rc && replicas)
    rc = rt__db_route_metrics_render(out, lag);
  if (rc)
    return rc;
  return rt_buf_printf(
      out,
      "# HELP roundtable_db_connections Database connections by state.\n"
      "# TYPE roundtable_db_connections gauge\n"
      "roundtable_db_connections{state=\"idle\"} %ld\n"
      "roundtable_db_connections{state=\"busy\"} %ld\n"
      "roundtable_db_connections{state=\"connecting\"} %ld\n"
      "roundtable_db_connections{state=\"down\"} %ld\n"
      "# HELP roundtable_db_waiters Callers waiting for a database connection.\n"
      "# TYPE roundtable_db_waiters gauge\n"
      "roundtable_db_waiters %ld\n"
      "# HELP roundtable_db_queries_total Statements completed, failed ones included.\n"
      "# TYPE roundtable_db_queries_total counter\n"
      "roundtable_db_queries_total %lu\n"
      "# HELP roundtable_db_query_errors_total Statements that failed.\n"
      "# TYPE roundtable_db_query_errors_total counter\n"
      "roundtable_db_query_errors_total %lu\n"
      "# HELP roundtable_db_reconnects_total Connections re-established after a loss or "
      "failure.\n"
      "# TYPE roundtable_db_reconnects_total counter\n"
      "roundtable_db_reconnects_total %lu\n"
      "# HELP roundtable_db_acquire_rejected_total Requests for a connection refused at once.\n"
      "# TYPE roundtable_db_acquire_rejected_total counter\n"
      "roundtable_db_acquire_rejected_total{reason=\"busy\"} %lu\n"
      "roundtable_db_acquire_rejected_total{reason=\"unavailable\"} %lu\n"
      "# HELP roundtable_db_acquire_timeouts_total Requests for a connection that timed out.\n"
      "# TYPE roundtable_db_acquire_timeouts_total counter\n"
      "roundtable_db_acquire_timeouts_total %lu\n",
      g[RT__DB_GAUGE_IDLE], g[RT__DB_GAUGE_BUSY], g[RT__DB_GAUGE_CONNECTING], g[RT__DB_GAUGE_DOWN],
      waiting, queries, errors, reconnects, busy, unavailable, timeouts);
}
