/* The HTTP/1.1 core: libuv loops + llhttp, one worker thread per loop sharing the
 * listening port. It parses, bounds and times requests, hands each one to a single
 * handler, and writes the response. It knows nothing of needs or offers. */
#ifndef ROUNDTABLE_HTTP_H
#define ROUNDTABLE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "roundtable/arena.h"
#include "roundtable/buf.h"
#include "roundtable/error.h"

typedef struct rt_http_options_s {
  char host[256];               /* listen address (numeric IPv4 or IPv6) */
  int port;                     /* listen port */
  int threads;                  /* event-loop threads sharing the port */
  int max_connections;          /* per process; beyond it new connections are closed at once */
  size_t max_header_bytes;      /* request line + headers; beyond: 431 */
  int max_header_fields;        /* beyond: 431 */
  size_t max_uri_bytes;         /* beyond: 414 */
  size_t max_body_bytes;        /* beyond: 413 as soon as the length is known */
  size_t max_upload_bytes;      /* the most hooks.body_limit may allow (bulk uploads) */
  int max_pipelined;            /* requests parsed ahead of their responses per connection */
  uint64_t header_timeout_ms;   /* from first byte of a request to the end of its headers */
  uint64_t body_timeout_ms;     /* from the end of headers to the end of the body */
  uint64_t idle_timeout_ms;     /* keep-alive connection with no request in progress */
  uint64_t shutdown_timeout_ms; /* on SIGTERM/SIGINT, time left for in-flight requests (0: none) */
  const char *web_root;         /* folder served for non-API paths; NULL disables (borrowed) */
  const char *cors_origins;     /* comma-separated allowed origins, "*" any, NULL none (borrowed) */
  /* Abuse limits per process (docs/reliability.md); 0 disables each. Requests per second
   * and burst per credential (Authorization, else Cookie) and per client address; beyond:
   * 429 with Retry-After. /healthz, /readyz and /metrics are exempt. */
  int rate_limit_rps;
  int rate_limit_burst;
  int rate_limit_address_rps;
  int rate_limit_address_burst;
  int max_connections_per_address; /* beyond: 429 and the connection is closed at once */
} rt_http_options_t;

typedef enum rt_http_method {
  RT_HTTP_OTHER = 0,
  RT_HTTP_GET,
  RT_HTTP_HEAD,
  RT_HTTP_POST,
  RT_HTTP_PUT,
  RT_HTTP_PATCH,
  RT_HTTP_DELETE,
  RT_HTTP_OPTIONS,
} rt_http_method_t;

typedef struct rt_http_header_s {
  const char *name; /* as sent; compare case-insensitively */
  const char *value;
  size_t name_len;
  size_t value_len;
} rt_http_header_t;

typedef struct rt_http_conn_s rt_http_conn_t;

/* One request. Everything it points to lives in its arena and stays valid until the
 * handler responds, even if the client goes away meanwhile. */
typedef struct rt_http_request_s {
  rt_arena_t arena;        /* per-request allocations, freed after the response */
  rt_http_method_t method; /* HEAD is answered like GET without the body */
  const char *method_name; /* "GET", ... */
  const char *target;      /* raw request target, NUL-terminated */
  const char *path;        /* target up to '?', not percent-decoded */
  size_t path_len;
  const char *query;         /* after '?', or NULL */
  rt_http_header_t *headers; /* in arrival order */
  size_t nheaders;
  const char *body; /* NUL-terminated; NULL when there is none */
  size_t body_len;
  char id[40];          /* X-Request-Id: the client's when well-formed, else generated */
  const char *route;    /* route label for metrics and logs; the handler sets it */
  void *worker_data;    /* what hooks.worker_init returned for this thread */
  uint64_t start_ns;    /* uv_hrtime() when the request line began */
  rt_http_conn_t *conn; /* private to the HTTP core */
} rt_http_request_t;

typedef struct rt_http_hooks_s {
  /* Runs on each worker thread once its loop exists, before it accepts. *worker_data
   * becomes req->worker_data. Return 0 or a negative code (aborts start-up). */
  int (*worker_init)(uv_loop_t *loop, void *app, void **worker_data);
  /* Runs on the worker thread during shutdown after in-flight requests have finished
   * (or the deadline passed). It must close its handles and call done(done_arg) once
   * they are closed, possibly later from a close callback. */
  void (*worker_close)(void *worker_data, void (*done)(void *arg), void *done_arg);
  /* May be NULL. Called once a request's head is read (method, target and headers are
   * set; no body yet): the body limit for this request, 0 for max_body_bytes. Values
   * above max_upload_bytes are capped to it. Runs on the worker thread; must not block. */
  size_t (*body_limit)(const rt_http_request_t *req);
  /* Every request. The handler must eventually call exactly one rt_http_respond*. */
  void (*handle)(rt_http_request_t *req);
  void *app;
} rt_http_hooks_t;

/* Starts opts->threads loops on the listening port and serves until SIGTERM or SIGINT;
 * then stops accepting, lets in-flight requests finish within the shutdown deadline,
 * runs worker_close and returns 0. A failed start returns a negative code at once.
 * opts and hooks are borrowed for the duration of the call. Ignores SIGPIPE process-wide. */
int rt_http_server_run(const rt_http_options_t *opts, const rt_http_hooks_t *hooks) RT_WUR;

/* Case-insensitive lookup of a request header; NULL when absent. */
const char *rt_http_header(const rt_http_request_t *req, const char *name);

/* Adds a response header (name and value borrowed, copied now). */
int rt_http_add_header(rt_http_request_t *req, const char *name, const char *value) RT_WUR;

/* Completes the request: status, Content-Type, body (borrowed, copied). After it the
 * request and everything in its arena are gone; exactly one rt_http_respond* per request.
 * For HEAD, 204 and 304 no body is sent (HEAD keeps the Content-Length of len). */
void rt_http_respond(rt_http_request_t *req, int status, const char *content_type, const char *body,
                     size_t len);
/* As rt_http_respond, but takes over body's memory (stolen). */
void rt_http_respond_buf(rt_http_request_t *req, int status, const char *content_type,
                         rt_buf_t *body);
/* Sees the response of req as it is given: cb(req, status, content_type, body, len, arg)
 * runs inside the rt_http_respond* call, before anything is sent, with the request still
 * valid (body borrowed for the call). It must not respond, block or keep pointers. One
 * observer per request; a second call replaces the first. Used to store responses for
 * Idempotency-Key replays. */
typedef void (*rt_http_response_observer)(rt_http_request_t *req, int status,
                                          const char *content_type, const char *body, size_t len,
                                          void *arg);
void rt_http_observe_response(rt_http_request_t *req, rt_http_response_observer cb, void *arg);
/* An RFC 9457 application/problem+json response with type, title, status and detail. */
void rt_http_respond_problem(rt_http_request_t *req, int status, const char *title,
                             const char *detail);
/* 405 with an Allow header listing the allowed methods (e.g. "GET, HEAD, POST"). */
void rt_http_respond_method_not_allowed(rt_http_request_t *req, const char *allow);
/* Serves a file below options.web_root for GET and HEAD: content types, ETag and
 * If-None-Match (304), index.html for directories, no path traversal; 404 otherwise. */
void rt_http_serve_static(rt_http_request_t *req);

/* Runs work(arg) on the libuv thread pool, then done(req, arg) back on the request's
 * loop, so CPU-heavy work for one request never stalls other clients. The request stays
 * valid meanwhile (even if the client goes away); done then responds. On a negative
 * return nothing was queued and done is never called. */
int rt_http_offload(rt_http_request_t *req, void (*work)(void *arg),
                    void (*done)(rt_http_request_t *req, void *arg), void *arg) RT_WUR;

/* The address of the connection's peer ("192.0.2.7", "2001:db8::1") into out; "" and a
 * negative code when the connection is gone. Behind a proxy it is the proxy's. */
int rt_http_request_peer(const rt_http_request_t *req, char *out, size_t outlen) RT_WUR;

/* The loop of the worker thread that owns the request. */
uv_loop_t *rt_http_request_loop(const rt_http_request_t *req);

/* Appends Prometheus text for requests by route and status, latency histogram,
 * connections; thread-safe. */
int rt_http_metrics_render(rt_buf_t *out) RT_WUR;

/* Reason phrase for a status code ("Not Found"). */
const char *rt_http_status_text(int status);

/* Feeds data (borrowed) through the request parser, without sockets and with the default
 * limits, as if it arrived in pieces of step bytes (0: all at once). Returns the number of
 * whole requests parsed, or minus the status (-400, -413, -414, -431) of the refusal that
 * stopped it, or RT_EINVAL if a parsed request broke an invariant. The result must not
 * depend on step: the fuzzer checks exactly that. */
int rt_http_parse_stream(const char *data, size_t len, size_t step);

#endif
