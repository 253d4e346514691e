#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http_internal.h"
#include "roundtable/log.h"

#define REQUEST_ARENA_BLOCK 4096

rt__http_req_t *rt__http_req_new(void) {
  rt_arena_t arena;
  rt_arena_init(&arena, REQUEST_ARENA_BLOCK);
  /* The request lives in its own arena's first block: one malloc for a typical request. */
  rt__http_req_t *r = rt_arena_alloc(&arena, sizeof(*r));
  if (!r) {
    rt_arena_reset(&arena);
    return NULL;
  }
  memset(r, 0, sizeof(*r));
  r->pub.arena = arena;
  r->state = RT__REQ_PARSING;
  r->resp_tail = &r->resp_headers;
  rt_buf_init(&r->body_chunked, 0);
  rt_buf_init(&r->resp_body_owned, 0);
  return r;
}

/* Requests that held more than this trim the heap when they are freed. */
#define LARGE_REQUEST_BYTES (8u * 1024 * 1024)

void rt__http_req_free(rt__http_req_t *r) {
  if (!r)
    return;
  rt_buf_free(&r->body_chunked);
  rt_buf_free(&r->resp_body_owned);
  /* The arena holds r itself: copy its handle out before freeing the blocks. */
  rt_arena_t arena = r->pub.arena;
  size_t held = arena.total + r->pub.body_len;
  rt_arena_reset(&arena);
  /* A bulk upload may have held hundreds of megabytes (some of it allocated on the thread
   * pool's malloc arenas); give them back to the system rather than keep them resident. */
  if (held > LARGE_REQUEST_BYTES)
    malloc_trim(0);
}

static const char *const req_state_names[] = {"parsing", "queued", "handling", "writing", "done"};

int rt__http_req_set_state(rt__http_req_t *r, rt__http_req_state_t to) {
  int ok = 0;
  switch (r->state) {
  case RT__REQ_PARSING:
    ok = to == RT__REQ_QUEUED || to == RT__REQ_DONE;
    break;
  case RT__REQ_QUEUED:
    ok = to == RT__REQ_HANDLING || to == RT__REQ_DONE;
    break;
  case RT__REQ_HANDLING:
    ok = to == RT__REQ_WRITING || to == RT__REQ_DONE;
    break;
  case RT__REQ_WRITING:
    ok = to == RT__REQ_DONE;
    break;
  case RT__REQ_DONE:
    ok = 0;
    break;
  }
  if (!ok) {
    rt_log_error("http: illegal request transition %s -> %s", req_state_names[r->state],
                 req_state_names[to]);
    return RT_EINVAL;
  }
  r->state = to;
  return 0;
}

int rt__http_request_id_ok(const char *s, size_t n) {
  if (n == 0 || n > 36)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static uint64_t id_base;
static atomic_uint_fast64_t id_seq;

static void id_init(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
  }
  id_base = v;
}

void rt__http_new_request_id(char out[40]) {
  pthread_once(&id_once, id_init);
  uint64_t seq = atomic_fetch_add_explicit(&id_seq, 1, memory_order_relaxed);
  snprintf(out, 40, "%016" PRIx64 "%016" PRIx64, id_base, seq);
}

void rt__http_req_assign_id(rt__http_req_t *r) {
  for (size_t i = 0; i < r->pub.nheaders; i++) {
    const rt_http_header_t *h = &r->pub.headers[i];
    if (h->name_len == 12 && strncasecmp(h->name, "X-Request-Id", 12) == 0) {
      if (rt__http_request_id_ok(h->value, h->value_len)) {
        memcpy(r->pub.id, h->value, h->value_len);
        r->pub.id[h->value_len] = '\0';
        return;
      }
      break;
    }
  }
  rt__http_new_request_id(r->pub.id);
}

const char *rt_http_header(const rt_http_request_t *req, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < req->nheaders; i++) {
    const rt_http_header_t *h = &req->headers[i];
    if (h->name_len == n && strncasecmp(h->name, name, n) == 0)
      return h->value;
  }
  return NULL;
}
