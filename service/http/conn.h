/* Connections, workers and the server: the libuv side of the HTTP core. */
#ifndef RT_HTTP_CONN_H
#define RT_HTTP_CONN_H

#include <uv.h>

#include "http_internal.h"
#include "parser.h"

#define RT__HTTP_READ_BUF 65536

typedef struct rt__http_server_s rt__http_server_t;
typedef struct rt__http_worker_s rt__http_worker_t;
/* The public header's opaque rt_http_conn_t is this struct. */
typedef struct rt_http_conn_s rt__http_conn_t;

/* The read side of a connection; changed only through conn_set_state (conn.c), which
 * checks the transition and re-arms the connection's timer for the new state. */
typedef enum rt__http_conn_state {
  RT__CONN_IDLE = 0, /* between requests: waiting for the first byte of the next one */
  RT__CONN_HEAD,     /* reading a request head (header timeout) */
  RT__CONN_BODY,     /* reading a request body (body timeout) */
  RT__CONN_STALLED,  /* between requests, reading paused: the pipeline is full */
  RT__CONN_DRAINING, /* no more requests: answer the queued ones, then end */
  RT__CONN_LINGER,   /* all answered, our side shut down: discard input until EOF */
  RT__CONN_CLOSING,  /* uv_close issued on the handles */
  RT__CONN_CLOSED,   /* handles closed; freed once no request refers to it */
} rt__http_conn_state_t;

struct rt_http_conn_s {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_shutdown_t shutdown_req;
  uv_write_t continue_req;
  rt__http_worker_t *worker;
  rt__http_conn_t *prev, *next; /* the worker's open connections */
  rt__http_conn_state_t state;
  rt__http_parser_t parser;
  rt_buf_t stash;         /* bytes read but not yet parsed while paused (capped) */
  rt__http_req_t *queue;  /* complete requests not yet freed, in arrival order */
  size_t nreqs;           /* length of queue */
  rt__http_req_t *active; /* the one request a handler is working on */
  int handles_open;       /* tcp and timer, until their close callbacks */
  int reading;            /* uv_read_start in effect */
  int peer_eof;           /* the client shut down its side */
  int stop_after_current; /* server stopping: finish the request being read */
  int dispatching;        /* guards conn_dispatch against re-entry */
  int shutdown_pending;   /* uv_shutdown callback outstanding */
  int continue_pending;   /* 100 Continue write outstanding */
  char peer_key[56];      /* "c:" + peer address while counted per address, else "" */
};

struct rt__http_server_s {
  rt_http_options_t opts; /* copied; web_root and cors_origins point into this struct */
  rt_http_hooks_t hooks;
  rt__http_limits_t limits;
  rt__http_cors_t cors;
  char *web_root_real; /* realpath of opts.web_root, or NULL: static files disabled */
  size_t web_root_len;
  rt__http_worker_t *workers;
  int nworkers;
  struct rt__ratelimit_s *limiter; /* abuse limits shared by the workers (ratelimit.h) */
};

typedef enum rt__http_worker_state {
  RT__WORKER_RUNNING = 0,
  RT__WORKER_STOPPING, /* listener closed, connections finishing */
  RT__WORKER_APP_CLOSING,
  RT__WORKER_DONE,
} rt__http_worker_state_t;

struct rt__http_worker_s {
  rt__http_server_t *server;
  int index;
  uv_loop_t loop;
  uv_thread_t thread;
  int thread_started;
  uv_tcp_t listener;
  uv_async_t stop_async;
  uv_timer_t deadline;
  uv_prepare_t log_flush; /* writes the turn's batched log lines before the loop waits */
  uv_sem_t ready;
  uv_os_sock_t fd; /* bound socket handed over to the listener */
  int init_rc;     /* start-up result reported to the main thread */
  int app_inited;  /* worker_init succeeded: worker_close is owed */
  void *worker_data;
  rt__http_worker_state_t state;
  rt__http_conn_t *conns;
  size_t nconns;
  time_t date_sec;
  char date[30];
  char read_buf[RT__HTTP_READ_BUF];
};

/* Called by the respond functions: answers r (status, content type and body borrowed
 * until the write completes: body must live in r's arena or r->resp_body_owned). */
void rt__http_conn_send(rt__http_req_t *r, int status, const char *content_type, const char *body,
                        size_t len);
/* Starts a connection on an accepted-to-be client of w's listener. */
void rt__http_conn_accept(rt__http_worker_t *w, uv_stream_t *listener);
/* Server stopping: finish what is in flight on c, then close. */
void rt__http_conn_shutdown(rt__http_conn_t *c);
/* Closes c at once (handlers still running keep their requests). */
void rt__http_conn_close(rt__http_conn_t *c);
/* The worker's cached Date value, refreshed once a second. */
const char *rt__http_worker_date(rt__http_worker_t *w);
/* A connection left the worker's list (server.c decides whether shutdown is done). */
void rt__http_worker_conn_gone(rt__http_worker_t *w);

static inline rt__http_conn_t *rt__conn_of(const rt_http_request_t *req) { return req->conn; }

/* The peer's address of c ("192.0.2.7", "2001:db8::1"; IPv4-mapped shown as IPv4) into
 * out; 0, or a negative code with out "". */
int rt__http_conn_peer(rt__http_conn_t *c, char *out, size_t outlen) RT_WUR;

#endif
