/* The server: one worker thread per loop, each with its own SO_REUSEPORT listening
 * socket; the main thread waits for SIGTERM/SIGINT and then has every worker stop
 * accepting, finish what is in flight within the deadline, and close its application
 * state. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "ratelimit.h"
#include "roundtable/log.h"

#define LISTEN_BACKLOG 1024

const char *rt__http_worker_date(rt__http_worker_t *w) {
  time_t now = time(NULL);
  if (now != w->date_sec) {
    rt__http_format_date(now, w->date);
    w->date_sec = now;
  }
  return w->date;
}

static void apply_defaults(rt_http_options_t *o) {
  if (o->threads <= 0)
    o->threads = 1;
  if (o->max_connections <= 0)
    o->max_connections = 10000;
  if (o->max_header_bytes == 0)
    o->max_header_bytes = 16384;
  if (o->max_header_fields <= 0)
    o->max_header_fields = 100;
  if (o->max_uri_bytes == 0)
    o->max_uri_bytes = 8192;
  if (o->max_body_bytes == 0)
    o->max_body_bytes = 1024 * 1024;
  if (o->max_pipelined <= 0)
    o->max_pipelined = 16;
  if (o->header_timeout_ms == 0)
    o->header_timeout_ms = 10000;
  if (o->body_timeout_ms == 0)
    o->body_timeout_ms = 30000;
  if (o->idle_timeout_ms == 0)
    o->idle_timeout_ms = 60000;
  /* shutdown_timeout_ms 0 is meaningful: no grace period. */
}

/* A bound (not yet listening) non-blocking socket that shares the port with the other
 * workers' sockets. Returns 0 or a negative errno. */
static int bind_socket(const rt_http_options_t *o, uv_os_sock_t *out) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  socklen_t len;
  if (uv_ip4_addr(o->host, o->port, (struct sockaddr_in *)&ss) == 0)
    len = sizeof(struct sockaddr_in);
  else if (uv_ip6_addr(o->host, o->port, (struct sockaddr_in6 *)&ss) == 0)
    len = sizeof(struct sockaddr_in6);
  else
    return RT_EINVAL;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
      bind(fd, (struct sockaddr *)&ss, len) != 0) {
    int rc = -errno;
    close(fd);
    return rc;
  }
  *out = fd;
  return 0;
}

/* --- worker --- */

static void on_handle_closed_noop(uv_handle_t *h) { (void)h; }

static void on_app_closed(void *arg) {
  rt__http_worker_t *w = arg;
  w->state = RT__WORKER_DONE;
  uv_close((uv_handle_t *)&w->stop_async, on_handle_closed_noop);
  uv_close((uv_handle_t *)&w->deadline, on_handle_closed_noop);
}

static void worker_check_done(rt__http_worker_t *w) {
  if (w->state != RT__WORKER_STOPPING || w->nconns > 0)
    return;
  w->state = RT__WORKER_APP_CLOSING;
  uv_timer_stop(&w->deadline);
  const rt_http_hooks_t *h = &w->server->hooks;
  if (w->app_inited && h->worker_close)
    h->worker_close(w->worker_data, on_app_closed, w);
  else
    on_app_closed(w);
}

void rt__http_worker_conn_gone(rt__http_worker_t *w) { worker_check_done(w); }

static void on_deadline(uv_timer_t *t) {
  rt__http_worker_t *w = t->data;
  if (w->nconns)
    rt_log_warn("http: worker %d: shutdown deadline passed, closing %zu connection(s)", w->index,
                w->nconns);
  for (rt__http_conn_t *c = w->conns; c; c = c->next)
    rt__http_conn_close(c);
}

static void worker_begin_stop(rt__http_worker_t *w) {
  if (w->state != RT__WORKER_RUNNING)
    return;
  w->state = RT__WORKER_STOPPING;
  if (!uv_is_closing((uv_handle_t *)&w->listener))
    uv_close((uv_handle_t *)&w->listener, on_handle_closed_noop);
  /* Connections leave the list only in their close callbacks, so walking it is safe. */
  for (rt__http_conn_t *c = w->conns; c; c = c->next)
    rt__http_conn_shutdown(c);
  uv_timer_start(&w->deadline, on_deadline, w->server->opts.shutdown_timeout_ms, 0);
  worker_check_done(w);
}

static void on_stop_async(uv_async_t *a) { worker_begin_stop(a->data); }

static void on_connection(uv_stream_t *listener, int status) {
  rt__http_worker_t *w = listener->data;
  if (status < 0) {
    rt_log_warn("http: accept: %s", rt_strerror(status));
    return;
  }
  rt__http_conn_accept(w, listener);
}

static void close_leftover(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

static void on_log_flush(uv_prepare_t *p) {
  (void)p;
  rt_log_flush();
}

static void worker_main(void *arg) {
  rt__http_worker_t *w = arg;
  int rc = uv_loop_init(&w->loop);
  if (rc) {
    close(w->fd);
    w->init_rc = rc;
    uv_sem_post(&w->ready);
    return;
  }
  w->stop_async.data = w;
  w->deadline.data = w;
  w->listener.data = w;
  uv_async_init(&w->loop, &w->stop_async, on_stop_async);
  uv_timer_init(&w->loop, &w->deadline);
  /* Access log lines of one turn leave in one write(2), before the loop waits again; the
   * handle does not keep the loop alive and is closed with the leftovers below. */
  rt_log_batch(1);
  uv_prepare_init(&w->loop, &w->log_flush);
  uv_prepare_start(&w->log_flush, on_log_flush);
  uv_unref((uv_handle_t *)&w->log_flush);
  uv_tcp_init(&w->loop, &w->listener);
  rc = uv_tcp_open(&w->listener, w->fd);
  if (rc)
    close(w->fd);
  const rt_http_hooks_t *h = &w->server->hooks;
  if (!rc && h->worker_init) {
    rc = h->worker_init(&w->loop, h->app, &w->worker_data);
    if (!rc)
      w->app_inited = 1;
  }
  if (!rc)
    rc = uv_listen((uv_stream_t *)&w->listener, LISTEN_BACKLOG, on_connection);
  w->init_rc = rc;
  uv_sem_post(&w->ready); /* w->init_rc is read by the main thread from here on */
  if (rc)
    worker_begin_stop(w);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  /* Anything an application left open is closed so that the loop can be. */
  uv_walk(&w->loop, close_leftover, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  rt_log_batch(0);
  if (uv_loop_close(&w->loop) != 0)
    rt_log_warn("http: worker %d: loop still busy at exit", w->index);
}

/* --- main thread --- */

typedef struct main_ctx {
  rt__http_server_t *srv;
  uv_signal_t sigterm;
  uv_signal_t sigint;
} main_ctx_t;

static void on_signal(uv_signal_t *s, int signum) {
  main_ctx_t *m = s->data;
  rt_log_info("http: %s received, stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
  for (int i = 0; i < m->srv->nworkers; i++)
    uv_async_send(&m->srv->workers[i].stop_async);
  /* With the handlers gone, a second signal has its default effect. */
  uv_close((uv_handle_t *)&m->sigterm, NULL);
  uv_close((uv_handle_t *)&m->sigint, NULL);
}

static void server_free(rt__http_server_t *srv) {
  if (!srv)
    return;
  rt__http_cors_free(&srv->cors);
  free(srv->web_root_real);
  free(srv->workers);
  rt__ratelimit_free(srv->limiter);
  free(srv);
}

int rt_http_server_run(const rt_http_options_t *opts, const rt_http_hooks_t *hooks) {
  if (!opts || !hooks || !hooks->handle)
    return RT_EINVAL;
  /* A peer that has gone must not kill the process when we write to it. */
  signal(SIGPIPE, SIG_IGN);

  int rc = 0;
  uv_loop_t main_loop;
  int main_loop_ok = 0;
  int started = 0;
  main_ctx_t m;
  memset(&m, 0, sizeof(m));
  rt__http_server_t *srv = calloc(1, sizeof(*srv));
  if (!srv)
    return RT_ENOMEM;
  srv->opts = *opts;
  apply_defaults(&srv->opts);
  srv->hooks = *hooks;
  srv->limits.max_header_bytes = srv->opts.max_header_bytes;
  srv->limits.max_header_fields = (size_t)srv->opts.max_header_fields;
  srv->limits.max_uri_bytes = srv->opts.max_uri_bytes;
  /* The scanner refuses beyond the largest limit any request can have; the parser then
   * applies this request's own (hooks.body_limit) once its head is read. */
  srv->limits.max_body_bytes = srv->opts.max_body_bytes > srv->opts.max_upload_bytes
                                   ? srv->opts.max_body_bytes
                                   : srv->opts.max_upload_bytes;
  srv->limits.max_chunk_ext_bytes = 4096;
  rc = rt__http_cors_parse(&srv->cors, srv->opts.cors_origins);
  if (rc)
    goto fail;
  srv->limiter = rt__ratelimit_new();
  if (!srv->limiter) {
    rc = RT_ENOMEM;
    goto fail;
  }
  if (srv->opts.web_root && srv->opts.web_root[0]) {
    srv->web_root_real = realpath(srv->opts.web_root, NULL);
    if (!srv->web_root_real)
      rt_log_warn("http: web root %s: %s; static files disabled", srv->opts.web_root,
                  strerror(errno));
    else
      srv->web_root_len = strlen(srv->web_root_real);
  }
  srv->nworkers = srv->opts.threads;
  srv->workers = calloc((size_t)srv->nworkers, sizeof(*srv->workers));
  if (!srv->workers) {
    rc = RT_ENOMEM;
    goto fail;
  }

  /* Signals first: one arriving during start-up is handled once the loop runs. */
  rc = uv_loop_init(&main_loop);
  if (rc)
    goto fail;
  main_loop_ok = 1;
  m.srv = srv;
  m.sigterm.data = &m;
  m.sigint.data = &m;
  uv_signal_init(&main_loop, &m.sigterm);
  uv_signal_init(&main_loop, &m.sigint);
  rc = uv_signal_start(&m.sigterm, on_signal, SIGTERM);
  if (!rc)
    rc = uv_signal_start(&m.sigint, on_signal, SIGINT);
  if (rc)
    goto fail_signals;

  for (int i = 0; i < srv->nworkers; i++) {
    rt__http_worker_t *w = &srv->workers[i];
    w->server = srv;
    w->index = i;
    w->fd = -1;
    rc = bind_socket(&srv->opts, &w->fd);
    if (rc) {
      rt_log_error("http: cannot listen on %s:%d: %s", srv->opts.host, srv->opts.port,
                   rt_strerror(rc));
      for (int j = 0; j < i; j++)
        close(srv->workers[j].fd);
      goto fail_signals;
    }
  }
  for (int i = 0; i < srv->nworkers; i++) {
    rt__http_worker_t *w = &srv->workers[i];
    uv_sem_init(&w->ready, 0);
    if (uv_thread_create(&w->thread, worker_main, w) != 0) {
      rc = RT_ENOMEM;
      w->init_rc = rc;
      for (int j = i; j < srv->nworkers; j++)
        close(srv->workers[j].fd);
      uv_sem_destroy(&w->ready);
      break;
    }
    w->thread_started = 1;
    started++;
  }
  for (int i = 0; i < started; i++) {
    rt__http_worker_t *w = &srv->workers[i];
    uv_sem_wait(&w->ready);
    uv_sem_destroy(&w->ready);
    if (w->init_rc && !rc) {
      rc = w->init_rc;
      rt_log_error("http: worker %d failed to start: %s", i, rt_strerror(rc));
    }
  }
  if (rc) {
    for (int i = 0; i < started; i++)
      if (srv->workers[i].init_rc == 0)
        uv_async_send(&srv->workers[i].stop_async);
    for (int i = 0; i < started; i++)
      uv_thread_join(&srv->workers[i].thread);
    goto fail_signals;
  }

  rt_log_info("http: listening on %s:%d with %d thread(s)", srv->opts.host, srv->opts.port,
              srv->nworkers);
  uv_run(&main_loop, UV_RUN_DEFAULT);
  for (int i = 0; i < started; i++)
    uv_thread_join(&srv->workers[i].thread);
  rt_log_info("http: stopped");
  uv_loop_close(&main_loop);
  server_free(srv);
  return 0;

fail_signals:
  uv_close((uv_handle_t *)&m.sigterm, NULL);
  uv_close((uv_handle_t *)&m.sigint, NULL);
  uv_run(&main_loop, UV_RUN_DEFAULT);
fail:
  if (main_loop_ok)
    uv_loop_close(&main_loop);
  server_free(srv);
  return rc;
}
