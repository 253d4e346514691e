/* Bearer-token lookups and rendered GET responses cached in process, emptied by notices
 * (cache.h, docs/scaling.md). Tokens: direct-mapped on the token hash, bounded memory, a
 * collision only evicts. Responses: a hash table with a least-recently-used list, bounded in
 * bytes. Emptying bumps a generation instead of walking a table: an entry counts only while
 * its generation is the current one, and a lookup that started before a notice cannot store
 * its answer. Generations are odd while the listener listens, even while it does not; tokens
 * (channel rt_auth) and responses (rt_data) have one each, on one listening connection whose
 * syncs serve both.
 *
 * With a read replica (--db-read) a miss's answer is kept under generation g only if every
 * read it made saw every write whose notice began g: those writes committed before the
 * notice came, so a read on the primary, or on a replica caught up (rt_db_read_as_of) past
 * the moment g began, has them. Any other answer is served but not kept. */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "roundtable/api.h"
#include "roundtable/log.h"

#define SLOTS 1024 /* power of two */
#define MAX_LOOPS 256
#define BUCKETS 4096 /* power of two */

typedef struct slot {
  uint64_t generation; /* 0: empty */
  rt__cached_token_t token;
  char hash[RT_TOKEN_HASH_HEX_LEN];
} slot_t;

struct response_wait;

/* A worker loop's waiting requests, woken from the listener's thread through async. */
typedef struct loop_entry {
  uv_loop_t *loop;
  uv_async_t async;
  int open;                       /* async may be sent to (under lock) */
  rt__cache_wait_t *head, **tail; /* loop's thread only */
  struct response_wait *flights;  /* misses being answered on this loop (its thread only) */
} loop_entry_t;

/* A cached response: key, body and content type in the same allocation. */
typedef struct entry {
  struct entry *chain;       /* the bucket's next */
  struct entry *prev, *next; /* least recently used last */
  uint64_t hash;
  uint64_t generation;
  int refs;   /* requests answering from it right now; freed at 0 once unlinked */
  int linked; /* in the table and the list */
  size_t key_len, body_len, bytes;
  const char *content_type;
  const char *body;
  char key[];
} entry_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot_t *slots;       /* allocated when the cache starts; NULL: tokens not cached */
static uint64_t generation; /* under lock */
static rt_db_listener_t *listener;
static loop_entry_t loops[MAX_LOOPS];
static int nloops;

/* Responses, under rlock. */
static pthread_mutex_t rlock = PTHREAD_MUTEX_INITIALIZER;
static entry_t **buckets; /* NULL: responses not cached */
static entry_t *lru_head, *lru_tail;
static size_t rcap, rbytes, rentries;
static uint64_t rgeneration;
static uint64_t rbegan_ns; /* uv_hrtime() when rgeneration began: after its notice came */
static uint64_t hits, misses, stores, evictions, invalidations, unreplayed;

static size_t slot_of(const char *hash) {
  size_t h = 0;
  for (int i = 0; i < 8; i++)
    h = h * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
  return h & (SLOTS - 1);
}

/* Under lock: the current generation if listening, else 0. */
static uint64_t live_generation(void) { return slots && (generation & 1) ? generation : 0; }

/* Under lock: 1 and *out when hash is cached in the current generation. */
static int find(const char *hash, rt__cached_token_t *out) {
  if (!live_generation())
    return 0;
  const slot_t *s = &slots[slot_of(hash)];
  if (s->generation != generation || memcmp(s->hash, hash, RT_TOKEN_HASH_HEX_LEN) != 0)
    return 0;
  *out = s->token;
  return 1;
}

void rt__token_cache_put(const char *hash, const rt__cached_token_t *t, uint64_t gen) {
  if (!gen)
    return;
  pthread_mutex_lock(&lock);
  if (slots && gen == generation) {
    slot_t *s = &slots[slot_of(hash)];
    s->generation = gen;
    s->token = *t;
    memcpy(s->hash, hash, RT_TOKEN_HASH_HEX_LEN);
  }
  pthread_mutex_unlock(&lock);
}

static loop_entry_t *entry_of(uv_loop_t *loop) {
  for (int i = 0; i < nloops; i++)
    if (loops[i].loop == loop && loops[i].open)
      return &loops[i];
  return NULL;
}

/* Queues w on loop's wait list for a sync that starts now; 0, or -1 when the loop has no
 * list (w is then not queued). */
static int wait_sync(uv_loop_t *loop, rt__cache_wait_t *w) {
  pthread_mutex_lock(&lock);
  loop_entry_t *e = entry_of(loop);
  pthread_mutex_unlock(&lock);
  if (!e)
    return -1;
  w->next = NULL;
  w->sync = rt_db_listener_sync(listener);
  *e->tail = w;
  e->tail = &w->next;
  return 0;
}

/* Answers a token's wait: found if the cache still vouches for its token, else a miss. */
static void token_ready(rt__cache_wait_t *base, int usable) {
  rt__token_wait_t *w = (rt__token_wait_t *)base;
  rt__cached_token_t t;
  pthread_mutex_lock(&lock);
  int found = usable && find(w->hash, &t);
  uint64_t gen = usable ? live_generation() : 0;
  pthread_mutex_unlock(&lock);
  w->cb(w->arg, found, &t, gen, found ? base->sync : 0);
}

void rt__token_cache_lookup(uv_loop_t *loop, rt__token_wait_t *w, const char *hash,
                            rt__token_cache_cb cb, void *arg) {
  *w = (rt__token_wait_t){.base.ready = token_ready, .hash = hash, .cb = cb, .arg = arg};
  rt__cached_token_t t;
  pthread_mutex_lock(&lock);
  int found = find(hash, &t);
  uint64_t gen = live_generation();
  pthread_mutex_unlock(&lock);
  if (!found || wait_sync(loop, &w->base))
    cb(arg, 0, NULL, gen, 0); /* not cached (or no wait list): look it up */
}

/* On the loop's thread: answers every waiting request whose sync is done. */
static void on_async(uv_async_t *a) {
  loop_entry_t *e = a->data;
  pthread_mutex_lock(&lock);
  int down = !(generation & 1);
  pthread_mutex_unlock(&lock);
  /* While the listener is down every waiting request is a miss: none waits for it. */
  uint64_t done = down ? UINT64_MAX : rt_db_listener_synced(listener);
  rt__cache_wait_t *ready = NULL, **ready_tail = &ready;
  rt__cache_wait_t **pp = &e->head;
  while (*pp) {
    rt__cache_wait_t *w = *pp;
    if (w->sync <= done) {
      *pp = w->next;
      w->next = NULL;
      *ready_tail = w;
      ready_tail = &w->next;
    } else {
      pp = &w->next;
    }
  }
  e->tail = pp;
  /* Answered after the list is consistent again: a callback may wait anew. */
  while (ready) {
    rt__cache_wait_t *w = ready;
    ready = w->next;
    w->ready(w, !down);
  }
}

static void wake_loops(void) {
  pthread_mutex_lock(&lock);
  for (int i = 0; i < nloops; i++)
    if (loops[i].open)
      uv_async_send(&loops[i].async);
  pthread_mutex_unlock(&lock);
}

int rt__token_cache_worker_init(uv_loop_t *loop) {
  pthread_mutex_lock(&lock);
  int rc = 0;
  loop_entry_t *e = NULL;
  for (int i = 0; i < nloops && !e; i++)
    if (!loops[i].open && loops[i].loop == NULL)
      e = &loops[i];
  if (!e && nloops < MAX_LOOPS)
    e = &loops[nloops++];
  if (!e) {
    rc = RT_ENOMEM;
  } else {
    memset(e, 0, sizeof(*e));
    rc = uv_async_init(loop, &e->async, on_async);
    if (!rc) {
      e->loop = loop;
      e->async.data = e;
      e->tail = &e->head;
      e->open = 1;
      uv_unref((uv_handle_t *)&e->async);
    }
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

static void on_async_closed(uv_handle_t *h) {
  loop_entry_t *e = h->data;
  pthread_mutex_lock(&lock);
  e->loop = NULL; /* the slot may be taken again */
  pthread_mutex_unlock(&lock);
}

static void response_flights_close(loop_entry_t *e);

void rt__token_cache_worker_close(uv_loop_t *loop) {
  pthread_mutex_lock(&lock);
  loop_entry_t *e = entry_of(loop);
  if (e)
    e->open = 0;
  pthread_mutex_unlock(&lock);
  if (!e)
    return;
  response_flights_close(e);
  rt__cache_wait_t *w = e->head;
  e->head = NULL;
  e->tail = &e->head;
  while (w) {
    rt__cache_wait_t *next = w->next;
    w->ready(w, 0);
    w = next;
  }
  uv_close((uv_handle_t *)&e->async, on_async_closed);
}

/* ---- Responses ---- */

/* Whether the response cache may keep call's answer: a GET (or HEAD) whose route says so in
 * the route table (RT_ROUTE_CACHED: it depends on the database, the query string and the
 * caller's role and participant only, and reads only tables that notify rt_data). */
static int route_cached(const rt_api_call_t *call) {
  return (call->req->method == RT_HTTP_GET || call->req->method == RT_HTTP_HEAD) &&
         (call->route->flags & RT_ROUTE_CACHED);
}

static uint64_t hash_of(const char *key, size_t len) {
  uint64_t h = 14695981039346656037ull; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
  return h;
}

static int part_cmp(const void *a, const void *b) {
  const char *const *x = a, *const *y = b;
  size_t xl = strcspn(*x, "&"), yl = strcspn(*y, "&");
  int c = memcmp(*x, *y, xl < yl ? xl : yl);
  return c ? c : (xl > yl) - (xl < yl);
}

/* The key of call: path, the query's parameters in sorted order (a parameter may be given
 * once only, so their order changes no answer), role and participant. NULL without memory. */
static char *response_key(rt_api_call_t *call, size_t *len) {
  rt_http_request_t *req = call->req;
  rt_arena_t *arena = &req->arena;
  const char *q = req->query ? req->query : "";
  size_t nparts = 1;
  for (const char *c = q; *c; c++)
    nparts += *c == '&';
  const char **parts = rt_arena_alloc(arena, nparts * sizeof(*parts));
  if (!parts)
    return NULL;
  size_t n = 0;
  for (const char *c = q;; c++) {
    parts[n++] = c;
    c += strcspn(c, "&");
    if (!*c)
      break;
  }
  qsort(parts, n, sizeof(*parts), part_cmp);
  char head[64];
  int hl = snprintf(head, sizeof(head), "%s %lld\n", rt__role_name(call->who.role),
                    (long long)call->who.participant_id);
  size_t qlen = strlen(q);
  char *key = rt_arena_alloc(arena, (size_t)hl + req->path_len + 1 + qlen + 1);
  if (!key)
    return NULL;
  char *o = key;
  memcpy(o, head, (size_t)hl), o += hl;
  memcpy(o, req->path, req->path_len), o += req->path_len;
  *o++ = '?';
  for (size_t i = 0; i < n; i++) {
    size_t l = strcspn(parts[i], "&");
    if (i)
      *o++ = '&';
    memcpy(o, parts[i], l), o += l;
  }
  *len = (size_t)(o - key);
  return key;
}

/* Under rlock: takes e out of the table and the list; freed unless a request holds it. */
static void unlink_entry(entry_t *e) {
  entry_t **pp = &buckets[e->hash & (BUCKETS - 1)];
  while (*pp != e)
    pp = &(*pp)->chain;
  *pp = e->chain;
  if (e->prev)
    e->prev->next = e->next;
  else
    lru_head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    lru_tail = e->prev;
  e->linked = 0;
  rbytes -= e->bytes;
  rentries--;
  if (!e->refs)
    free(e);
}

/* Under rlock: the current generation if listening and caching, else 0. */
static uint64_t live_rgeneration(void) { return buckets && (rgeneration & 1) ? rgeneration : 0; }

/* Under rlock: the entry of key in the current generation, else NULL; a stale one found on
 * the way is dropped. */
static entry_t *rfind(const char *key, size_t len, uint64_t hash) {
  if (!live_rgeneration())
    return NULL;
  for (entry_t *e = buckets[hash & (BUCKETS - 1)]; e; e = e->chain) {
    if (e->hash != hash || e->key_len != len || memcmp(e->key, key, len) != 0)
      continue;
    if (e->generation != rgeneration) {
      unlink_entry(e);
      return NULL;
    }
    return e;
  }
  return NULL;
}

/* Under rlock: e becomes the most recently used. */
static void touch(entry_t *e) {
  if (lru_head == e)
    return;
  e->prev->next = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    lru_tail = e->prev;
  e->prev = NULL;
  e->next = lru_head;
  lru_head->prev = e;
  lru_head = e;
}

/* Keeps an answer made in generation gen from reads as fresh as read_as_of (the call's
 * read_as_of: 0 when all were on the primary). */
static void rput(const char *key, size_t key_len, uint64_t gen, uint64_t read_as_of,
                 const char *content_type, const char *body, size_t body_len) {
  size_t ct_len = strlen(content_type);
  size_t bytes = sizeof(entry_t) + key_len + body_len + ct_len + 2;
  pthread_mutex_lock(&rlock);
  /* One answer may take an eighth of the cache at most: a huge page does not empty it. */
  if (!gen || gen != rgeneration || bytes > rcap / 8) {
    pthread_mutex_unlock(&rlock);
    return;
  }
  if (read_as_of && read_as_of <= rbegan_ns) { /* a replica that may lack g's first write */
    unreplayed++;
    pthread_mutex_unlock(&rlock);
    return;
  }
  uint64_t hash = hash_of(key, key_len);
  entry_t *old = rfind(key, key_len, hash);
  if (old)
    unlink_entry(old);
  entry_t *e = malloc(bytes);
  if (!e) {
    pthread_mutex_unlock(&rlock);
    return;
  }
  *e = (entry_t){.hash = hash,
                 .generation = gen,
                 .linked = 1,
                 .key_len = key_len,
                 .body_len = body_len,
                 .bytes = bytes};
  memcpy(e->key, key, key_len);
  char *b = e->key + key_len;
  memcpy(b, body, body_len);
  b[body_len] = '\0';
  e->body = b;
  memcpy(b + body_len + 1, content_type, ct_len + 1);
  e->content_type = b + body_len + 1;
  entry_t **bucket = &buckets[hash & (BUCKETS - 1)];
  e->chain = *bucket;
  *bucket = e;
  e->next = lru_head;
  if (lru_head)
    lru_head->prev = e;
  lru_head = e;
  if (!lru_tail)
    lru_tail = e;
  rbytes += bytes;
  rentries++;
  stores++;
  while (rbytes > rcap && lru_tail != e) {
    unlink_entry(lru_tail);
    evictions++;
  }
  pthread_mutex_unlock(&rlock);
}

static void release(entry_t *e) {
  pthread_mutex_lock(&rlock);
  if (--e->refs == 0 && !e->linked)
    free(e);
  pthread_mutex_unlock(&rlock);
}

/* Under rlock: the entry of key held for an answer (release it after), or NULL (a miss, with
 * the generation its answer may be stored under in *gen). */
static entry_t *rhold(const char *key, size_t len, uint64_t *gen) {
  entry_t *e = rfind(key, len, hash_of(key, len));
  if (e) {
    e->refs++;
    touch(e);
    hits++;
  } else {
    misses++;
  }
  *gen = live_rgeneration();
  return e;
}

/* A cacheable request: waiting for a sync, answering a miss (a flight: requests for the same
 * key on the same loop meanwhile follow it instead of asking the database too), or following. */
typedef struct response_wait {
  rt__cache_wait_t base; /* first */
  rt_api_call_t *call;
  const char *key;
  size_t key_len;
  uint64_t generation;          /* what a miss may store its answer under */
  loop_entry_t *entry;          /* a flight's loop, while it leads one */
  struct response_wait *flight; /* the next flight of the loop, while leading */
  rt__cache_wait_t *followers;  /* while leading */
  int alone;                    /* a follower woken: answers its miss itself */
} response_wait_t;

/* On the loop's thread: w no longer leads; its followers join the loop's wait list, and once
 * their syncs are answered find the answer w kept or answer alone. */
static void flight_land(response_wait_t *w) {
  loop_entry_t *e = w->entry;
  if (!e)
    return;
  response_wait_t **pp = &e->flights;
  while (*pp != w)
    pp = &(*pp)->flight;
  *pp = w->flight;
  w->entry = NULL;
  if (!w->followers)
    return;
  *e->tail = w->followers;
  while (*e->tail)
    e->tail = &(*e->tail)->next;
  w->followers = NULL;
  uv_async_send(&e->async); /* those whose sync is answered already go now */
}

static void response_flights_close(loop_entry_t *e) {
  while (e->flights) {
    response_wait_t *w = e->flights;
    flight_land(w); /* before the wait list is answered as misses */
  }
}

static void on_response(rt_http_request_t *req, int status, const char *content_type,
                        const char *body, size_t len, void *arg) {
  response_wait_t *w = arg;
  if (status == 200 && req->method == RT_HTTP_GET && body && content_type)
    rput(w->key, w->key_len, w->generation, w->call->read_as_of, content_type, body, len);
  flight_land(w);
}

static void serve(rt_api_call_t *call, entry_t *e) {
  rt_http_respond(call->req, 200, e->content_type, e->body, e->body_len);
  release(e);
}

/* A miss: the handler answers; a 200 is kept unless a notice came meanwhile. A miss of the
 * same key and generation already being answered on this loop is followed instead. */
static void run_miss(response_wait_t *w) {
  if (w->generation) {
    pthread_mutex_lock(&lock);
    loop_entry_t *e = w->alone ? NULL : entry_of(rt__api_worker(w->call->req)->loop);
    pthread_mutex_unlock(&lock);
    for (response_wait_t *l = e ? e->flights : NULL; l; l = l->flight) {
      if (l->generation == w->generation && l->key_len == w->key_len &&
          memcmp(l->key, w->key, w->key_len) == 0) {
        /* Served the leader's answer only after a sync begun now, like any cached answer:
         * the leader's query may predate a write committed before this request came. */
        w->alone = 1;
        w->base.sync = rt_db_listener_sync(listener);
        w->base.next = l->followers;
        l->followers = &w->base;
        return;
      }
    }
    if (e) {
      w->entry = e;
      w->flight = e->flights;
      e->flights = w;
    }
    rt_http_observe_response(w->call->req, on_response, w);
  }
  w->call->route->handler(w->call);
}

static void response_ready(rt__cache_wait_t *base, int usable) {
  response_wait_t *w = (response_wait_t *)base;
  entry_t *e = NULL;
  w->generation = 0;
  if (usable) {
    pthread_mutex_lock(&rlock);
    e = rhold(w->key, w->key_len, &w->generation);
    pthread_mutex_unlock(&rlock);
  }
  if (e)
    serve(w->call, e);
  else
    run_miss(w);
}

void rt__response_cache_run(rt_api_call_t *call, uint64_t sync) {
  pthread_mutex_lock(&rlock);
  int on = buckets != NULL;
  pthread_mutex_unlock(&rlock);
  if (!on || !route_cached(call)) {
    call->route->handler(call);
    return;
  }
  response_wait_t *w = rt_arena_alloc(&call->req->arena, sizeof(*w));
  if (w) {
    *w = (response_wait_t){.base.ready = response_ready, .call = call};
    w->key = response_key(call, &w->key_len);
  }
  if (!w || !w->key) {
    call->route->handler(call);
    return;
  }
  pthread_mutex_lock(&rlock);
  entry_t *e = rfind(w->key, w->key_len, hash_of(w->key, w->key_len));
  /* The token's sync, when it had one, started after the request arrived: enough. */
  int fresh = e && sync && rt_db_listener_synced(listener) >= sync;
  entry_t *held = !e || fresh ? rhold(w->key, w->key_len, &w->generation) : NULL;
  pthread_mutex_unlock(&rlock);
  if (held)
    serve(call, held);
  else if (!e || wait_sync(rt__api_worker(call->req)->loop, &w->base) != 0)
    run_miss(w); /* with the generation of rhold, or 0 (stores nothing) */
  /* else response_ready decides once a sync that started now is answered */
}

int rt__response_cache_metrics(rt_buf_t *out) {
  pthread_mutex_lock(&rlock);
  uint64_t h = hits, m = misses, s = stores, ev = evictions, inv = invalidations, un = unreplayed;
  size_t b = rbytes, n = rentries, cap = buckets ? rcap : 0;
  pthread_mutex_unlock(&rlock);
  return rt_buf_printf(
      out,
      "# HELP roundtable_response_cache_hits_total GET answers served from the response cache.\n"
      "# TYPE roundtable_response_cache_hits_total counter\n"
      "roundtable_response_cache_hits_total %llu\n"
      "# HELP roundtable_response_cache_misses_total Cacheable GETs the handler answered.\n"
      "# TYPE roundtable_response_cache_misses_total counter\n"
      "roundtable_response_cache_misses_total %llu\n"
      "# HELP roundtable_response_cache_stores_total Answers kept in the response cache.\n"
      "# TYPE roundtable_response_cache_stores_total counter\n"
      "roundtable_response_cache_stores_total %llu\n"
      "# HELP roundtable_response_cache_unreplayed_total Answers served but not kept: read on "
      "a replica not yet known to have replayed the write that began the cache's generation.\n"
      "# TYPE roundtable_response_cache_unreplayed_total counter\n"
      "roundtable_response_cache_unreplayed_total %llu\n"
      "# HELP roundtable_response_cache_evictions_total Answers dropped for room.\n"
      "# TYPE roundtable_response_cache_evictions_total counter\n"
      "roundtable_response_cache_evictions_total %llu\n"
      "# HELP roundtable_response_cache_invalidations_total Notices that emptied the cache.\n"
      "# TYPE roundtable_response_cache_invalidations_total counter\n"
      "roundtable_response_cache_invalidations_total %llu\n"
      "# HELP roundtable_response_cache_entries Answers in the response cache now.\n"
      "# TYPE roundtable_response_cache_entries gauge\n"
      "roundtable_response_cache_entries %zu\n"
      "# HELP roundtable_response_cache_bytes Bytes the response cache holds now.\n"
      "# TYPE roundtable_response_cache_bytes gauge\n"
      "roundtable_response_cache_bytes %zu\n"
      "# HELP roundtable_response_cache_capacity_bytes The response cache's bound (0: off).\n"
      "# TYPE roundtable_response_cache_capacity_bytes gauge\n"
      "roundtable_response_cache_capacity_bytes %zu\n",
      (unsigned long long)h, (unsigned long long)m, (unsigned long long)s, (unsigned long long)un,
      (unsigned long long)ev, (unsigned long long)inv, n, b, cap);
}

/* ---- The listener ---- */

/* Moves a generation to the next one with the given parity (1: listening); *began (if
 * given) becomes now, which is after the notice that began it came. */
static void next_generation(pthread_mutex_t *mu, uint64_t *gen, uint64_t *began, int listening) {
  pthread_mutex_lock(mu);
  *gen += ((*gen & 1) == (uint64_t)listening) ? 2 : 1;
  if (began)
    *began = uv_hrtime();
  pthread_mutex_unlock(mu);
}

static void on_listen(rt_db_listen_event_t event, const char *channel, void *arg) {
  (void)arg;
  switch (event) {
  case RT_DB_LISTEN_UP:
    rt_log_info("caches: listening for changes (rt_auth: credentials, rt_data: domain tables)");
    next_generation(&lock, &generation, NULL, 1);
    next_generation(&rlock, &rgeneration, &rbegan_ns, 1);
    break;
  case RT_DB_LISTEN_NOTIFY:
    if (strcmp(channel, "rt_data") == 0) {
      next_generation(&rlock, &rgeneration, &rbegan_ns, 1);
      pthread_mutex_lock(&rlock);
      invalidations++;
      pthread_mutex_unlock(&rlock);
    } else {
      next_generation(&lock, &generation, NULL, 1);
    }
    break;
  case RT_DB_LISTEN_SYNCED:
    wake_loops();
    break;
  case RT_DB_LISTEN_DOWN:
    next_generation(&lock, &generation, NULL, 0);
    next_generation(&rlock, &rgeneration, &rbegan_ns, 0);
    break;
  }
}

int rt_api_cache_start(const rt_db_options_t *db, int tokens, size_t response_bytes) {
  if (slots || buckets || (!tokens && !response_bytes))
    return 0;
  slot_t *s = tokens ? calloc(SLOTS, sizeof(*s)) : NULL;
  entry_t **b = response_bytes ? calloc(BUCKETS, sizeof(*b)) : NULL;
  if ((tokens && !s) || (response_bytes && !b)) {
    free(s);
    free(b);
    return RT_ENOMEM;
  }
  pthread_mutex_lock(&lock);
  slots = s;
  pthread_mutex_unlock(&lock);
  pthread_mutex_lock(&rlock);
  buckets = b;
  rcap = response_bytes;
  pthread_mutex_unlock(&rlock);
  /* listener is set before the listener's thread starts, and cleared after it stopped. */
  int rc = rt_db_listener_start(db->conninfo, "rt_auth,rt_data", on_listen, NULL, &listener);
  if (rc)
    rt_api_cache_stop();
  return rc;
}

void rt_api_cache_stop(void) {
  rt_db_listener_stop(listener);
  listener = NULL;
  pthread_mutex_lock(&lock);
  free(slots);
  slots = NULL;
  pthread_mutex_unlock(&lock);
  pthread_mutex_lock(&rlock);
  while (lru_head) {
    entry_t *e = lru_head;
    lru_head = e->next;
    free(e);
  }
  lru_tail = NULL;
  rbytes = rentries = 0;
  free(buckets);
  buckets = NULL;
  pthread_mutex_unlock(&rlock);
}
