/* Private types of the HTTP core, shared by its files and its unit tests. */
#ifndef RT_HTTP_INTERNAL_H
#define RT_HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

#include "roundtable/http.h"
#include "scan.h"

/* A request's life; changed only through rt__http_req_set_state, which checks the
 * transition. */
typedef enum rt__http_req_state {
  RT__REQ_PARSING = 0, /* bytes still arriving */
  RT__REQ_QUEUED,      /* complete, waiting for its turn */
  RT__REQ_HANDLING,    /* given to the handler (or to the core's own answer) */
  RT__REQ_WRITING,     /* response handed to uv_write */
  RT__REQ_DONE,        /* about to be freed */
} rt__http_req_state_t;

typedef struct rt__http_resp_header_s rt__http_resp_header_t;
struct rt__http_resp_header_s {
  rt__http_resp_header_t *next;
  const char *name; /* in the request arena */
  const char *value;
};

typedef struct rt__http_req_s rt__http_req_t;
struct rt__http_req_s {
  rt_http_request_t pub; /* first member: a rt_http_request_t * converts back */
  rt__http_req_state_t state;
  rt__http_req_t *next; /* connection queue, in arrival order */
  int http_minor;
  int keep_alive;         /* the client allows another request after this one */
  int expect_continue;    /* Expect: 100-continue with a body to come */
  int error_status;       /* non-zero: the core answers this itself and closes */
  const char *error_text; /* detail for error_status */
  char *body_fixed;       /* Content-Length body, in the arena */
  rt_buf_t body_chunked;  /* chunked body (heap, capped) */
  /* response */
  rt__http_resp_header_t *resp_headers;
  rt__http_resp_header_t **resp_tail;
  int status;
  size_t resp_body_len;
  rt_buf_t resp_body_owned; /* a stolen body (rt_http_respond_buf) */
  uv_buf_t iov[2];
  uv_write_t write_req;
  uv_work_t work; /* rt_http_offload */
  void (*work_fn)(void *arg);
  void (*work_done)(rt_http_request_t *req, void *arg);
  void *work_arg;
  int closes_conn;                   /* the response says Connection: close */
  rt_http_response_observer observe; /* rt_http_observe_response, or NULL */
  void *observe_arg;
};

static inline rt__http_req_t *rt__req(rt_http_request_t *pub) { return (rt__http_req_t *)pub; }

/* Allocates a request whose arena also holds the request itself; NULL when out of
 * memory. */
rt__http_req_t *rt__http_req_new(void);
/* Frees everything the request holds, the request included. */
void rt__http_req_free(rt__http_req_t *r);
/* Checks the transition and changes the state; an illegal one is a bug, logged and
 * refused (returns RT_EINVAL). */
int rt__http_req_set_state(rt__http_req_t *r, rt__http_req_state_t to);
/* Sets pub.id from a well-formed X-Request-Id ([A-Za-z0-9._-]{1,36}) or a new one. */
void rt__http_req_assign_id(rt__http_req_t *r);
/* Non-zero if s (n bytes) is a well-formed client request id. */
int rt__http_request_id_ok(const char *s, size_t n);
/* Writes a new unique 32-hex-digit id and a NUL into out. */
void rt__http_new_request_id(char out[40]);

/* --- response pieces (response.c), pure --- */

/* RFC 9110 IMF-fixdate of t into out (30 bytes including the NUL). */
void rt__http_format_date(time_t t, char out[30]);
/* Appends s (n bytes) to out as JSON string content (no quotes): ", \, controls escaped,
 * invalid UTF-8 replaced by U+FFFD. */
int rt__http_json_escape(rt_buf_t *out, const char *s, size_t n) RT_WUR;
/* The problem+json document for status, title and detail (borrowed; detail may be NULL). */
int rt__http_problem_json(rt_buf_t *out, int status, const char *title, const char *detail) RT_WUR;

/* --- CORS (cors.c), pure --- */
typedef struct rt__http_cors_s {
  int any;        /* "*" */
  char **origins; /* exact matches */
  size_t count;
} rt__http_cors_t;
int rt__http_cors_parse(rt__http_cors_t *c, const char *list) RT_WUR;
void rt__http_cors_free(rt__http_cors_t *c);
int rt__http_cors_allowed(const rt__http_cors_t *c, const char *origin);

/* --- static files (static.c), pure part --- */
/* Percent-decodes path (n bytes, the part before '?') into out (size outlen) as a path
 * relative to the web root without a leading '/'. Refuses (returns RT_ENOENT) NUL,
 * backslash, encoded '/', "." and ".." segments, and malformed escapes. *dir is set when
 * the path ends in '/' (or is empty). */
int rt__http_static_path(const char *path, size_t n, char *out, size_t outlen, int *dir) RT_WUR;
/* Content-Type for a file name by its extension. */
const char *rt__http_content_type(const char *name);

/* --- metrics (metrics.c) --- */
void rt__http_metrics_request(const char *route, int status, double seconds);
void rt__http_metrics_conn_rejected(void);
/* Open connections in the process: the connection cap and the gauge. */
extern atomic_int rt__http_open_connections;

#endif
