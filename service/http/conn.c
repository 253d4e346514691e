/* One client connection: reading and parsing (with parse-ahead for pipelining), handing
 * requests to the handler one at a time, writing responses strictly in order, timeouts,
 * and a lingering close. libuv handles are freed only in their close callbacks; the
 * connection itself lives on until the last request that refers to it is freed. */
#include "conn.h"

#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "response.h"
#include "roundtable/log.h"

#define LINGER_MS 2000
#define LINGER_STOPPING_MS 300
#define STASH_MAX (2 * RT__HTTP_READ_BUF)

static const char *const conn_state_names[] = {"idle",     "head",   "body",    "stalled",
                                               "draining", "linger", "closing", "closed"};

static void conn_arm_timer(rt__http_conn_t *c, int entering);
static void on_timer(uv_timer_t *t);
static void conn_dispatch(rt__http_conn_t *c);
static void conn_finish(rt__http_conn_t *c);
static void conn_maybe_free(rt__http_conn_t *c);

static int conn_transition_ok(rt__http_conn_state_t from, rt__http_conn_state_t to) {
  switch (from) {
  case RT__CONN_IDLE:
    return to == RT__CONN_HEAD || to == RT__CONN_DRAINING || to == RT__CONN_CLOSING;
  case RT__CONN_HEAD:
    return to == RT__CONN_BODY || to == RT__CONN_IDLE || to == RT__CONN_STALLED ||
           to == RT__CONN_DRAINING || to == RT__CONN_CLOSING;
  case RT__CONN_BODY:
    return to == RT__CONN_IDLE || to == RT__CONN_STALLED || to == RT__CONN_DRAINING ||
           to == RT__CONN_CLOSING;
  case RT__CONN_STALLED:
    return to == RT__CONN_IDLE || to == RT__CONN_DRAINING || to == RT__CONN_CLOSING;
  case RT__CONN_DRAINING:
    return to == RT__CONN_LINGER || to == RT__CONN_CLOSING;
  case RT__CONN_LINGER:
    return to == RT__CONN_CLOSING;
  case RT__CONN_CLOSING:
    return to == RT__CONN_CLOSED;
  case RT__CONN_CLOSED:
    return 0;
  }
  return 0;
}

/* The one place the state changes. Returns 0, or RT_EINVAL for an illegal transition
 * (a bug: logged, and the state is left alone). */
static int conn_set_state(rt__http_conn_t *c, rt__http_conn_state_t to) {
  if (!conn_transition_ok(c->state, to)) {
    rt_log_error("http: illegal connection transition %s -> %s", conn_state_names[c->state],
                 conn_state_names[to]);
    return RT_EINVAL;
  }
  c->state = to;
  if (to != RT__CONN_CLOSING && to != RT__CONN_CLOSED)
    conn_arm_timer(c, 1);
  return 0;
}

static const rt_http_options_t *opts_of(const rt__http_conn_t *c) {
  return &c->worker->server->opts;
}

/* The timer means something different in each state: header and body deadlines run
 * from entering their state (entering != 0) and are never extended; idle covers both
 * keep-alive waits and a client that does not read its responses, restarting on every
 * step; while a handler works, the client is not on the clock. */
static void conn_arm_timer(rt__http_conn_t *c, int entering) {
  const rt_http_options_t *o = opts_of(c);
  uint64_t ms = 0;
  if (!entering && (c->state == RT__CONN_HEAD || c->state == RT__CONN_BODY ||
                    c->state == RT__CONN_LINGER || c->state >= RT__CONN_CLOSING))
    return;
  switch (c->state) {
  case RT__CONN_HEAD:
    ms = o->header_timeout_ms;
    break;
  case RT__CONN_BODY:
    ms = o->body_timeout_ms;
    break;
  case RT__CONN_IDLE:
  case RT__CONN_STALLED:
  case RT__CONN_DRAINING:
    ms = c->active ? 0 : o->idle_timeout_ms;
    break;
  case RT__CONN_LINGER:
    ms = c->worker->state == RT__WORKER_RUNNING ? LINGER_MS : LINGER_STOPPING_MS;
    break;
  default:
    break;
  }
  if (ms)
    uv_timer_start(&c->timer, on_timer, ms, 0);
  else
    uv_timer_stop(&c->timer);
}

/* --- request queue --- */

static void queue_push(rt__http_conn_t *c, rt__http_req_t *r) {
  r->next = NULL;
  rt__http_req_t **pp = &c->queue;
  while (*pp)
    pp = &(*pp)->next;
  *pp = r;
  c->nreqs++;
}

static void queue_remove(rt__http_conn_t *c, rt__http_req_t *r) {
  for (rt__http_req_t **pp = &c->queue; *pp; pp = &(*pp)->next) {
    if (*pp == r) {
      *pp = r->next;
      c->nreqs--;
      return;
    }
  }
}

static void req_release(rt__http_conn_t *c, rt__http_req_t *r) {
  if (c)
    queue_remove(c, r);
  (void)rt__http_req_set_state(r, RT__REQ_DONE);
  rt__http_req_free(r);
}

/* --- reading --- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  rt__http_conn_t *c = h->data;
  /* One buffer per loop: read_cb parses or stashes every byte before returning. */
  buf->base = c->worker->read_buf;
  buf->len = sizeof(c->worker->read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void read_start(rt__http_conn_t *c) {
  if (c->reading || c->state >= RT__CONN_CLOSING || c->peer_eof)
    return;
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
    c->reading = 1;
}

static void read_stop(rt__http_conn_t *c) {
  if (!c->reading)
    return;
  uv_read_stop((uv_stream_t *)&c->tcp);
  c->reading = 0;
}

static void on_continue_written(uv_write_t *w, int status) {
  rt__http_conn_t *c = w->data;
  c->continue_pending = 0;
  if (status < 0 && c->state < RT__CONN_CLOSING)
    rt__http_conn_close(c);
  conn_maybe_free(c);
}

static void send_continue(rt__http_conn_t *c) {
  static const char text[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if (c->continue_pending)
    return;
  uv_buf_t b = uv_buf_init((char *)text, sizeof(text) - 1);
  c->continue_req.data = c;
  if (uv_write(&c->continue_req, (uv_stream_t *)&c->tcp, &b, 1, on_continue_written) == 0)
    c->continue_pending = 1;
}

/* Parses data (borrowed) as far as the connection may go; returns the bytes used. The
 * rest, if any, must be kept by the caller until reading resumes. */
static size_t conn_process(rt__http_conn_t *c, const char *data, size_t len) {
  const rt_http_options_t *o = opts_of(c);
  size_t off = 0;
  while (off < len) {
    if (c->state != RT__CONN_IDLE && c->state != RT__CONN_HEAD && c->state != RT__CONN_BODY)
      break;
    if (c->state == RT__CONN_IDLE)
      (void)conn_set_state(c, RT__CONN_HEAD);
    size_t n = 0;
    int ev = rt__http_parser_feed(&c->parser, data + off, len - off, &n);
    off += n;
    if (ev & RT__SCAN_ERROR) {
      rt__http_req_t *r = rt__http_parser_take(&c->parser);
      if (!r)
        r = rt__http_req_new();
      if (!r) {
        rt__http_conn_close(c);
        return len;
      }
      r->pub.conn = c;
      r->error_status = c->parser.status;
      r->error_text = c->parser.reason;
      if (!r->pub.id[0])
        rt__http_new_request_id(r->pub.id);
      (void)rt__http_req_set_state(r, RT__REQ_QUEUED);
      queue_push(c, r);
      read_stop(c);
      (void)conn_set_state(c, RT__CONN_DRAINING);
      conn_dispatch(c);
      return len; /* nothing after a refused request is read */
    }
    if ((ev & RT__SCAN_HEAD) && !(ev & RT__SCAN_END)) {
      rt__http_req_t *r = rt__http_parser_current(&c->parser);
      (void)conn_set_state(c, RT__CONN_BODY);
      /* An interim 100 must not overtake earlier responses: only when none is due. */
      if (r->expect_continue && c->nreqs == 0)
        send_continue(c);
    }
    if (ev & RT__SCAN_END) {
      rt__http_req_t *r = rt__http_parser_take(&c->parser);
      r->pub.conn = c;
      (void)rt__http_req_set_state(r, RT__REQ_QUEUED);
      queue_push(c, r);
      if (!r->keep_alive || c->stop_after_current) {
        read_stop(c);
        (void)conn_set_state(c, RT__CONN_DRAINING);
        conn_dispatch(c);
        return len; /* the client said this was the last one */
      }
      if (c->nreqs >= (size_t)o->max_pipelined) {
        read_stop(c);
        (void)conn_set_state(c, RT__CONN_STALLED);
      } else {
        (void)conn_set_state(c, RT__CONN_IDLE);
      }
      conn_dispatch(c);
    }
  }
  return off;
}

static void conn_peer_eof(rt__http_conn_t *c) {
  c->peer_eof = 1;
  read_stop(c);
  switch (c->state) {
  case RT__CONN_IDLE:
  case RT__CONN_HEAD:
  case RT__CONN_BODY:
  case RT__CONN_STALLED:
    /* A half-read request is abandoned; the ones before it are still answered. */
    if (c->nreqs == 0)
      rt__http_conn_close(c);
    else
      (void)conn_set_state(c, RT__CONN_DRAINING);
    break;
  case RT__CONN_LINGER:
    rt__http_conn_close(c);
    break;
  default:
    break;
  }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  rt__http_conn_t *c = s->data;
  if (nread == 0)
    return;
  if (nread < 0) {
    if (nread == UV_EOF)
      conn_peer_eof(c);
    else
      rt__http_conn_close(c);
    return;
  }
  if (c->state == RT__CONN_LINGER)
    return; /* discarded: we are only waiting for the client to finish */
  size_t used = conn_process(c, buf->base, (size_t)nread);
  if (used < (size_t)nread && c->state == RT__CONN_STALLED) {
    if (rt_buf_append(&c->stash, buf->base + used, (size_t)nread - used) != 0)
      rt__http_conn_close(c);
  }
}

/* The pipeline has room again: parse what was stashed, then read on. */
static void conn_resume(rt__http_conn_t *c) {
  (void)conn_set_state(c, RT__CONN_IDLE);
  if (c->stash.len) {
    size_t used = conn_process(c, c->stash.data, c->stash.len);
    if (c->state >= RT__CONN_CLOSING)
      return;
    if (c->state == RT__CONN_DRAINING)
      rt_buf_clear(&c->stash);
    else
      rt_buf_consume(&c->stash, used);
  }
  if (c->state == RT__CONN_IDLE || c->state == RT__CONN_HEAD || c->state == RT__CONN_BODY)
    read_start(c);
}

/* --- timers --- */

static void on_timer(uv_timer_t *t) {
  rt__http_conn_t *c = t->data;
  switch (c->state) {
  case RT__CONN_HEAD:
  case RT__CONN_BODY: {
    /* Too slow: answer 408 after what is already queued, then close. */
    rt__http_req_t *r = rt__http_parser_take(&c->parser);
    if (!r)
      r = rt__http_req_new();
    if (!r) {
      rt__http_conn_close(c);
      return;
    }
    r->pub.conn = c;
    r->error_status = 408;
    r->error_text = c->state == RT__CONN_HEAD ? "The request head took too long to arrive."
                                              : "The request body took too long to arrive.";
    if (!r->pub.id[0])
      rt__http_new_request_id(r->pub.id);
    if (r->state == RT__REQ_PARSING)
      (void)rt__http_req_set_state(r, RT__REQ_QUEUED);
    queue_push(c, r);
    read_stop(c);
    c->stash.len = 0;
    (void)conn_set_state(c, RT__CONN_DRAINING);
    conn_dispatch(c);
    break;
  }
  default:
    /* Idle keep-alive, a client not reading its responses, or the end of lingering. */
    rt__http_conn_close(c);
    break;
  }
}

/* --- writing --- */

static void on_shutdown(uv_shutdown_t *req, int status) {
  rt__http_conn_t *c = req->data;
  c->shutdown_pending = 0;
  if (status < 0 && c->state < RT__CONN_CLOSING)
    rt__http_conn_close(c);
  conn_maybe_free(c);
}

/* Every response is out and no more will come: shut our side down, then discard what
 * the client still sends for a while so that closing does not reset the connection
 * before it has read the last response. */
static void conn_finish(rt__http_conn_t *c) {
  if (c->state >= RT__CONN_LINGER)
    return;
  if (c->state != RT__CONN_DRAINING)
    (void)conn_set_state(c, RT__CONN_DRAINING);
  if (c->peer_eof) {
    rt__http_conn_close(c);
    return;
  }
  c->shutdown_req.data = c;
  if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    rt__http_conn_close(c);
    return;
  }
  c->shutdown_pending = 1;
  (void)conn_set_state(c, RT__CONN_LINGER);
  read_start(c);
}

static void on_written(uv_write_t *w, int status) {
  rt__http_req_t *r = w->data;
  rt__http_conn_t *c = r->pub.conn;
  int closes = r->closes_conn;
  req_release(c, r);
  if (c->state >= RT__CONN_CLOSING) {
    conn_maybe_free(c);
    return;
  }
  if (status < 0) {
    rt__http_conn_close(c);
    return;
  }
  if (closes || (c->state == RT__CONN_DRAINING && c->nreqs == 0)) {
    conn_finish(c);
    return;
  }
  if (c->state == RT__CONN_STALLED && c->nreqs < (size_t)opts_of(c)->max_pipelined) {
    conn_resume(c);
    return;
  }
  conn_arm_timer(c, 0);
}

static void log_request(rt__http_req_t *r, int status, size_t bytes) {
  if (RT_LOG_INFO > rt_log_threshold)
    return;
  /* Formatted without printf, into the loop's log batch: printf and one write(2) per line
   * were a visible share of a /healthz request's time (docs/benchmarks.md). */
  rt_log_access(r->pub.id, r->pub.method_name ? r->pub.method_name : "-",
                r->pub.target ? r->pub.target : "-", status, (unsigned long)bytes,
                (uv_hrtime() - r->pub.start_ns) / 1000);
}

void rt__http_conn_send(rt__http_req_t *r, int status, const char *content_type, const char *body,
                        size_t len) {
  rt__http_conn_t *c = r->pub.conn;
  if (r->state != RT__REQ_HANDLING) {
    RT_LOG(RT_LOG_ERROR, r->pub.id, "http: a response for a request that is not being handled");
    return;
  }
  if (status < 100 || status > 599)
    status = 500;
  if (r->observe) {
    rt_http_response_observer observe = r->observe;
    r->observe = NULL;
    observe(&r->pub, status, content_type, body, len, r->observe_arg);
  }
  int bodiless = rt__http_status_bodiless(status);
  size_t send_len = (bodiless || r->pub.method == RT_HTTP_HEAD) ? 0 : len;
  double seconds = (double)(uv_hrtime() - r->pub.start_ns) / 1e9;
  rt__http_metrics_request(r->pub.route ? r->pub.route : "unmatched", status, seconds);
  log_request(r, status, send_len);

  if (!c) { /* a request made without a connection (tests) */
    req_release(NULL, r);
    return;
  }
  if (c->active == r)
    c->active = NULL;
  if (c->state >= RT__CONN_CLOSING) {
    /* The client is gone; the request lived until now, and goes now. */
    req_release(c, r);
    conn_maybe_free(c);
    return;
  }

  const rt__http_server_t *srv = c->worker->server;
  rt__http_head_info_t info = {0};
  info.status = status;
  info.date = rt__http_worker_date(c->worker);
  info.content_type = content_type;
  info.content_length = bodiless ? 0 : len;
  const char *origin = rt_http_header(&r->pub, "Origin");
  if (origin && rt__http_cors_allowed(&srv->cors, origin))
    info.cors_origin = origin;
  /* The last answer before closing says so; a server that is stopping gets there by
   * draining (rt__http_conn_shutdown). */
  int closing =
      r->error_status || !r->keep_alive || (c->state == RT__CONN_DRAINING && r->next == NULL);
  info.close = closing;
  info.keep_alive_http10 = !closing && r->http_minor == 0;
  r->closes_conn = closing;

  size_t head_len = 0;
  char *head = rt__http_serialize_head(r, &info, &head_len);
  if (!head) {
    req_release(c, r);
    rt__http_conn_close(c);
    return;
  }
  r->iov[0] = uv_buf_init(head, (unsigned)head_len);
  unsigned nbufs = 1;
  if (send_len) {
    r->iov[1] = uv_buf_init((char *)body, (unsigned)send_len);
    nbufs = 2;
  }
  (void)rt__http_req_set_state(r, RT__REQ_WRITING);
  if (closing && c->state != RT__CONN_DRAINING) {
    read_stop(c);
    (void)conn_set_state(c, RT__CONN_DRAINING);
  }
  r->write_req.data = r;
  if (uv_write(&r->write_req, (uv_stream_t *)&c->tcp, r->iov, nbufs, on_written) != 0) {
    req_release(c, r);
    rt__http_conn_close(c);
    return;
  }
  conn_arm_timer(c, 0);
  conn_dispatch(c);
}

/* --- dispatch --- */

static int is_preflight(const rt__http_conn_t *c, const rt__http_req_t *r) {
  if (r->pub.method != RT_HTTP_OPTIONS)
    return 0;
  const char *origin = rt_http_header(&r->pub, "Origin");
  return origin && rt_http_header(&r->pub, "Access-Control-Request-Method") &&
         rt__http_cors_allowed(&c->worker->server->cors, origin);
}

static void answer_preflight(rt__http_req_t *r) {
  rt_http_request_t *req = &r->pub;
  req->route = "cors_preflight";
  if (rt_http_add_header(req, "Access-Control-Allow-Methods", "GET, HEAD, POST, PATCH, DELETE") ||
      rt_http_add_header(req, "Access-Control-Allow-Headers",
                         "Authorization, Content-Type, Idempotency-Key, X-Request-Id, "
                         "X-CSRF-Token") ||
      rt_http_add_header(req, "Access-Control-Max-Age", "600")) {
    rt_http_respond(req, 503, NULL, NULL, 0);
    return;
  }
  rt_http_respond(req, 204, NULL, NULL, 0);
}

/* Probes and metrics are never limited: an orchestrator must always see the truth. */
static int rate_exempt(const rt__http_req_t *r) {
  static const char *const paths[] = {"/healthz", "/readyz", "/metrics"};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
    if (r->pub.path_len == strlen(paths[i]) && memcmp(r->pub.path, paths[i], r->pub.path_len) == 0)
      return 1;
  return 0;
}

/* A credential's bucket key: a hash of the Authorization header, else of the Cookie header
 * (a browser session); "" when the request carries neither. */
static void credential_key(const rt__http_req_t *r, char *out, size_t outlen) {
  const char *v = rt_http_header(&r->pub, "Authorization");
  if (!v)
    v = rt_http_header(&r->pub, "Cookie");
  out[0] = '\0';
  if (!v || !*v)
    return;
  uint64_t h = 1469598103934665603ull; /* FNV-1a: spreads keys; not a secret */
  for (const char *s = v; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  snprintf(out, outlen, "t:%016llx", (unsigned long long)h);
}

/* Takes a token from the address's and the credential's buckets; answers 429 with
 * Retry-After and returns non-zero when either is empty. */
static int rate_limited(rt__http_conn_t *c, rt__http_req_t *r) {
  const rt_http_options_t *o = &c->worker->server->opts;
  if ((o->rate_limit_rps <= 0 && o->rate_limit_address_rps <= 0) || rate_exempt(r))
    return 0;
  rt__ratelimit_t *rl = c->worker->server->limiter;
  uint64_t now = uv_hrtime();
  char key[64];
  int wait = 0;
  if (o->rate_limit_address_rps > 0) {
    char addr[48];
    if (rt__http_conn_peer(c, addr, sizeof(addr)) == 0) {
      snprintf(key, sizeof(key), "a:%s", addr);
      wait =
          rt__ratelimit_take(rl, key, o->rate_limit_address_rps, o->rate_limit_address_burst, now);
    }
  }
  if (!wait && o->rate_limit_rps > 0) {
    credential_key(r, key, sizeof(key));
    if (key[0])
      wait = rt__ratelimit_take(rl, key, o->rate_limit_rps, o->rate_limit_burst, now);
  }
  if (!wait)
    return 0;
  char secs[16];
  snprintf(secs, sizeof(secs), "%d", wait);
  r->pub.route = "rate_limited";
  if (rt_http_add_header(&r->pub, "Retry-After", secs) == 0)
    rt_http_respond_problem(&r->pub, 429, "Too Many Requests",
                            "Too many requests; retry after the time in Retry-After.");
  else
    rt_http_respond(&r->pub, 503, NULL, NULL, 0);
  return 1;
}

/* Hands the next queued request to its handler, one at a time per connection, so that
 * responses come out in request order. Iterative: a handler that answers at once does
 * not recurse into the next one. */
static void conn_dispatch(rt__http_conn_t *c) {
  if (c->dispatching)
    return;
  c->dispatching = 1;
  while (!c->active && c->state < RT__CONN_CLOSING) {
    rt__http_req_t *r = c->queue;
    while (r && r->state != RT__REQ_QUEUED)
      r = r->next;
    if (!r)
      break;
    (void)rt__http_req_set_state(r, RT__REQ_HANDLING);
    c->active = r;
    r->pub.worker_data = c->worker->worker_data;
    conn_arm_timer(c, 0);
    if (r->error_status)
      rt_http_respond_problem(&r->pub, r->error_status, rt_http_status_text(r->error_status),
                              r->error_text);
    else if (is_preflight(c, r))
      answer_preflight(r);
    else if (!rate_limited(c, r))
      c->worker->server->hooks.handle(&r->pub);
  }
  c->dispatching = 0;
}

/* --- life cycle --- */

static void conn_maybe_free(rt__http_conn_t *c) {
  if (c->state != RT__CONN_CLOSED || c->nreqs || c->shutdown_pending || c->continue_pending)
    return;
  rt_buf_free(&c->stash);
  free(c);
}

static void on_handle_closed(uv_handle_t *h) {
  rt__http_conn_t *c = h->data;
  if (--c->handles_open > 0)
    return;
  (void)conn_set_state(c, RT__CONN_CLOSED);
  rt__http_worker_t *w = c->worker;
  if (c->prev)
    c->prev->next = c->next;
  else
    w->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  w->nconns--;
  atomic_fetch_sub(&rt__http_open_connections, 1);
  if (c->peer_key[0])
    rt__ratelimit_conn_close(w->server->limiter, c->peer_key);
  conn_maybe_free(c);
  rt__http_worker_conn_gone(w);
}

void rt__http_conn_close(rt__http_conn_t *c) {
  if (c->state >= RT__CONN_CLOSING)
    return;
  read_stop(c);
  uv_timer_stop(&c->timer);
  (void)conn_set_state(c, RT__CONN_CLOSING);
  /* Requests nobody is working on go now; a handler's request waits for its answer,
   * a written one for its write callback (which libuv cancels). */
  rt__http_req_t *r = c->queue;
  while (r) {
    rt__http_req_t *next = r->next;
    if (r->state == RT__REQ_QUEUED)
      req_release(c, r);
    r = next;
  }
  rt__http_parser_free(&c->parser);
  rt_buf_free(&c->stash);
  uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

void rt__http_conn_shutdown(rt__http_conn_t *c) {
  switch (c->state) {
  case RT__CONN_IDLE:
    if (c->nreqs == 0)
      rt__http_conn_close(c);
    else {
      read_stop(c);
      (void)conn_set_state(c, RT__CONN_DRAINING);
    }
    break;
  case RT__CONN_STALLED:
    rt_buf_clear(&c->stash);
    (void)conn_set_state(c, RT__CONN_DRAINING);
    break;
  case RT__CONN_HEAD:
  case RT__CONN_BODY:
    c->stop_after_current = 1;
    break;
  case RT__CONN_LINGER:
    conn_arm_timer(c, 1); /* shorter now */
    break;
  default:
    break;
  }
}

static void on_reject_closed(uv_handle_t *h) { free(h); }

/* Counts the connection against its address; non-zero when the address already has
 * --max-connections-per-address open (the caller refuses it). */
static int conn_over_address_cap(rt__http_conn_t *c) {
  const rt_http_options_t *o = &c->worker->server->opts;
  char addr[48];
  if (o->max_connections_per_address <= 0 || rt__http_conn_peer(c, addr, sizeof(addr)))
    return 0;
  char key[sizeof(c->peer_key)];
  snprintf(key, sizeof(key), "c:%s", addr);
  int rc = rt__ratelimit_conn_open(c->worker->server->limiter, key, o->max_connections_per_address,
                                   uv_hrtime());
  if (rc == 1)
    memcpy(c->peer_key, key, sizeof(key));
  return rc == 0;
}

#define TOO_MANY_BODY                                                                              \
  "{\"type\":\"about:blank\",\"title\":\"Too Many Requests\",\"status\":429,"                      \
  "\"detail\":\"Too many connections from your address.\"}"
_Static_assert(sizeof(TOO_MANY_BODY) - 1 == 114, "Content-Length of too_many");
static const char too_many[] = "HTTP/1.1 429 Too Many Requests\r\n"
                               "Content-Type: application/problem+json\r\n"
                               "Content-Length: 114\r\n"
                               "Retry-After: 1\r\n"
                               "Connection: close\r\n\r\n" TOO_MANY_BODY;

void rt__http_conn_accept(rt__http_worker_t *w, uv_stream_t *listener) {
  static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                             "Content-Type: application/problem+json\r\n"
                             "Content-Length: 98\r\n"
                             "Retry-After: 1\r\n"
                             "Connection: close\r\n\r\n"
                             "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\","
                             "\"status\":503,\"detail\":\"Too many connections.\"}";
  const rt_http_options_t *o = &w->server->opts;
  /* One process-wide count across workers decides the cap. */
  int n = atomic_fetch_add(&rt__http_open_connections, 1);
  if (n >= o->max_connections || w->state != RT__WORKER_RUNNING) {
    atomic_fetch_sub(&rt__http_open_connections, 1);
    uv_tcp_t *t = malloc(sizeof(*t));
    if (!t)
      return;
    uv_tcp_init(&w->loop, t);
    if (uv_accept(listener, (uv_stream_t *)t) == 0) {
      rt__http_metrics_conn_rejected();
      uv_buf_t b = uv_buf_init((char *)busy, sizeof(busy) - 1);
      (void)uv_try_write((uv_stream_t *)t, &b, 1);
    }
    uv_close((uv_handle_t *)t, on_reject_closed);
    return;
  }
  rt__http_conn_t *c = calloc(1, sizeof(*c));
  if (!c) {
    atomic_fetch_sub(&rt__http_open_connections, 1);
    return;
  }
  c->worker = w;
  c->tcp.data = c;
  c->timer.data = c;
  rt_buf_init(&c->stash, STASH_MAX);
  uv_tcp_init(&w->loop, &c->tcp);
  uv_timer_init(&w->loop, &c->timer);
  c->handles_open = 2;
  c->state = RT__CONN_IDLE;
  c->next = w->conns;
  if (w->conns)
    w->conns->prev = c;
  w->conns = c;
  w->nconns++;
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 ||
      rt__http_parser_init(&c->parser, &w->server->limits) != 0) {
    rt__http_conn_close(c);
    return;
  }
  if (conn_over_address_cap(c)) {
    rt__http_metrics_conn_rejected();
    uv_buf_t b = uv_buf_init((char *)too_many, sizeof(too_many) - 1);
    (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    rt__http_conn_close(c);
    return;
  }
  c->parser.body_default = w->server->opts.max_body_bytes;
  c->parser.body_limit = w->server->hooks.body_limit;
  uv_tcp_nodelay(&c->tcp, 1);
  read_start(c);
  conn_arm_timer(c, 1);
}

uv_loop_t *rt_http_request_loop(const rt_http_request_t *req) {
  rt__http_conn_t *c = rt__conn_of(req);
  return c ? &c->worker->loop : NULL;
}
