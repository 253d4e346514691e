/* One LISTENing connection per process, on a thread of its own (docs/scaling.md). It is not
 * on an event loop, so blocking libpq (PQconnectdb, PQexec) is fine here; a pipe wakes its
 * poll(2) when the process stops. Whoever caches what a notification invalidates hears
 * three things: up (listening: everything cached before may have missed notices), notify,
 * and down (the connection is lost: nothing cached can be trusted until up again). */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "roundtable/db.h"
#include "roundtable/log.h"

#define NAMEDATALEN_MAX 64 /* PostgreSQL's identifier limit (63 bytes) and its NUL */

struct rt_db_listener_s {
  char *conninfo;
  char *channel; /* comma-separated channels */
  rt_db_listen_cb cb;
  void *arg;
  uv_thread_t thread;
  int wake[2];            /* rt_db_listener_stop writes "x", rt_db_listener_sync "s" */
  atomic_int sync_wanted; /* a sync was asked for since the last one started */
  atomic_ullong started;  /* the number of the last sync sent */
  atomic_ullong done;     /* the number of the last sync answered */
};

/* Waits up to ms for the stop pipe; non-zero when the listener is stopping. */
static int stop_requested(rt_db_listener_t *l, int ms) {
  struct pollfd p = {.fd = l->wake[0], .events = POLLIN};
  char buf[64];
  while (poll(&p, 1, ms) > 0) {
    ssize_t n = read(l->wake[0], buf, sizeof(buf));
    if (n <= 0 || memchr(buf, 'x', (size_t)n))
      return 1;
  }
  return 0;
}

/* Reads the wake pipe: 1 when it says stop. */
static int drain_wake(rt_db_listener_t *l) {
  char buf[64];
  ssize_t n = read(l->wake[0], buf, sizeof(buf));
  return n <= 0 || memchr(buf, 'x', (size_t)n) != NULL;
}

/* Listens until the connection is lost (returns 0) or the listener stops (returns 1).
 *
 * A sync is a SELECT 1 on this connection: the server sends every notice signalled before
 * the query arrived ahead of the query's answer (it delivers pending notices before it
 * says ReadyForQuery), so once sync n is answered, anything committed before sync n was
 * sent has been heard. */
static int listen_once(rt_db_listener_t *l, PGconn *conn) {
  const char *c = l->channel;
  while (*c) {
    size_t len = strcspn(c, ",");
    char *quoted = PQescapeIdentifier(conn, c, len);
    if (!quoted)
      return 0;
    char sql[256];
    snprintf(sql, sizeof(sql), "LISTEN %s", quoted);
    PQfreemem(quoted);
    PGresult *r = PQexec(conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
      rt_log_warn("db: LISTEN %.*s failed: %s", (int)len, c, PQerrorMessage(conn));
      return 0;
    }
    c += len + (c[len] == ',');
  }
  l->cb(RT_DB_LISTEN_UP, NULL, l->arg);
  int in_flight = 0;
  for (;;) {
    if (!in_flight && atomic_exchange(&l->sync_wanted, 0)) {
      atomic_fetch_add(&l->started, 1);
      if (!PQsendQuery(conn, "SELECT 1"))
        return 0;
      in_flight = 1;
    }
    struct pollfd p[2] = {{.fd = PQsocket(conn), .events = POLLIN},
                          {.fd = l->wake[0], .events = POLLIN}};
    /* An unanswered sync gets 5 s; a quiet minute asks the server something, so that a
     * dead peer is noticed. */
    int n = poll(p, 2, in_flight ? 5000 : 60000);
    if (n < 0 && errno != EINTR)
      return 0;
    if (n == 0) {
      if (in_flight)
        return 0;
      atomic_store(&l->sync_wanted, 1);
      continue;
    }
    if (p[1].revents && drain_wake(l))
      return 1;
    if (!p[0].revents)
      continue;
    if (!PQconsumeInput(conn))
      return 0;
    int synced = 0;
    while (in_flight && !PQisBusy(conn)) {
      PGresult *r = PQgetResult(conn);
      if (!r) {
        in_flight = 0;
        synced = 1;
        break;
      }
      PQclear(r);
    }
    /* One callback per channel and batch: a write's notices (one per table group) empty a
     * cache once, not once each. */
    PGnotify *note;
    char last[NAMEDATALEN_MAX] = "";
    while ((note = PQnotifies(conn)) != NULL) {
      if (strcmp(last, note->relname) != 0) {
        snprintf(last, sizeof(last), "%s", note->relname);
        l->cb(RT_DB_LISTEN_NOTIFY, last, l->arg);
      }
      PQfreemem(note);
    }
    if (synced) {
      atomic_store(&l->done, atomic_load(&l->started));
      l->cb(RT_DB_LISTEN_SYNCED, NULL, l->arg);
    }
    if (PQstatus(conn) != CONNECTION_OK)
      return 0;
  }
}

static void listener_main(void *arg) {
  rt_db_listener_t *l = arg;
  int backoff = 100;
  for (;;) {
    PGconn *conn = PQconnectdb(l->conninfo);
    int stopping = 0;
    if (PQstatus(conn) == CONNECTION_OK) {
      backoff = 100;
      stopping = listen_once(l, conn);
    } else {
      rt_log_warn("db: the listening connection failed: %s", PQerrorMessage(conn));
    }
    PQfinish(conn);
    /* Syncs asked for meanwhile count as answered: whoever waits on them learns that the
     * listener is down (RT_DB_LISTEN_DOWN first) and trusts nothing cached. */
    l->cb(RT_DB_LISTEN_DOWN, NULL, l->arg);
    atomic_store(&l->done, atomic_load(&l->started));
    l->cb(RT_DB_LISTEN_SYNCED, NULL, l->arg);
    if (stopping || stop_requested(l, backoff))
      return;
    backoff = backoff < 5000 ? backoff * 2 : 5000;
  }
}

int rt_db_listener_start(const char *conninfo, const char *channels, rt_db_listen_cb cb, void *arg,
                         rt_db_listener_t **out) {
  rt_db_listener_t *l = calloc(1, sizeof(*l));
  if (!l)
    return RT_ENOMEM;
  l->wake[0] = l->wake[1] = -1;
  atomic_init(&l->sync_wanted, 0);
  atomic_init(&l->started, 0);
  atomic_init(&l->done, 0);
  l->conninfo = strdup(conninfo);
  l->channel = strdup(channels);
  l->cb = cb;
  l->arg = arg;
  int rc = RT_ENOMEM;
  if (!l->conninfo || !l->channel)
    goto fail;
  if (pipe(l->wake)) {
    rc = RT_EIO;
    goto fail;
  }
  (void)fcntl(l->wake[0], F_SETFD, FD_CLOEXEC);
  (void)fcntl(l->wake[1], F_SETFD, FD_CLOEXEC);
  *out = l; /* before the thread's first callback */
  if (uv_thread_create(&l->thread, listener_main, l)) {
    *out = NULL;
    rc = RT_EIO;
    goto fail;
  }
  return 0;
fail:
  if (l->wake[0] >= 0)
    close(l->wake[0]), close(l->wake[1]);
  free(l->channel);
  free(l->conninfo);
  free(l);
  return rc;
}

uint64_t rt_db_listener_sync(rt_db_listener_t *l) {
  /* started is read before the wish is posted: the sync that answers it starts later. */
  uint64_t want = atomic_load(&l->started) + 1;
  if (!atomic_exchange(&l->sync_wanted, 1)) {
    ssize_t w = write(l->wake[1], "s", 1);
    (void)w;
  }
  return want;
}

uint64_t rt_db_listener_synced(rt_db_listener_t *l) { return atomic_load(&l->done); }

void rt_db_listener_stop(rt_db_listener_t *l) {
  if (!l)
    return;
  ssize_t w = write(l->wake[1], "x", 1);
  (void)w;
  uv_thread_join(&l->thread);
  close(l->wake[0]);
  close(l->wake[1]);
  free(l->channel);
  free(l->conninfo);
  free(l);
}
