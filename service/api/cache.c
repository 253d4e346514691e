/* Bearer-token lookups cached in process, emptied by notices (cache.h, docs/scaling.md).
 * Direct-mapped on the token hash: bounded memory, a collision only evicts. Emptying bumps
 * a generation instead of walking the table: an entry counts only while its generation is
 * the current one, and a lookup that started before a notice cannot store its answer.
 * Generations are odd while the listener listens, even while it does not. */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "roundtable/api.h"
#include "roundtable/log.h"

#define SLOTS 1024 /* power of two */
#define MAX_LOOPS 256

typedef struct slot {
  uint64_t generation; /* 0: empty */
  rt__cached_token_t token;
  char hash[RT_TOKEN_HASH_HEX_LEN];
} slot_t;

/* A worker loop's waiting requests, woken from the listener's thread through async. */
typedef struct loop_entry {
  uv_loop_t *loop;
  uv_async_t async;
  int open;                       /* async may be sent to (under lock) */
  rt__token_wait_t *head, **tail; /* loop's thread only */
} loop_entry_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static slot_t *slots;       /* allocated when the cache starts */
static uint64_t generation; /* under lock */
static rt_db_listener_t *listener;
static loop_entry_t loops[MAX_LOOPS];
static int nloops;

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

/* Answers w: found if the cache still vouches for its token, else a miss. */
static void answer(rt__token_wait_t *w) {
  rt__cached_token_t t;
  pthread_mutex_lock(&lock);
  int found = find(w->hash, &t);
  uint64_t gen = live_generation();
  pthread_mutex_unlock(&lock);
  w->cb(w->arg, found, &t, gen);
}

void rt__token_cache_lookup(uv_loop_t *loop, rt__token_wait_t *w, const char *hash,
                            rt__token_cache_cb cb, void *arg) {
  *w = (rt__token_wait_t){.hash = hash, .cb = cb, .arg = arg};
  rt__cached_token_t t;
  pthread_mutex_lock(&lock);
  int found = find(hash, &t);
  uint64_t gen = live_generation();
  loop_entry_t *e = found ? entry_of(loop) : NULL;
  pthread_mutex_unlock(&lock);
  if (!e) {
    cb(arg, 0, NULL, gen); /* not cached (or no wait list): look it up */
    return;
  }
  w->sync = rt_db_listener_sync(listener);
  *e->tail = w;
  e->tail = &w->next;
}

/* On the loop's thread: answers every waiting request whose sync is done. */
static void on_async(uv_async_t *a) {
  loop_entry_t *e = a->data;
  pthread_mutex_lock(&lock);
  int down = !live_generation();
  pthread_mutex_unlock(&lock);
  /* While the listener is down every waiting request is a miss: none waits for it. */
  uint64_t done = down ? UINT64_MAX : rt_db_listener_synced(listener);
  rt__token_wait_t *ready = NULL, **ready_tail = &ready;
  rt__token_wait_t **pp = &e->head;
  while (*pp) {
    rt__token_wait_t *w = *pp;
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
    rt__token_wait_t *w = ready;
    ready = w->next;
    answer(w);
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

void rt__token_cache_worker_close(uv_loop_t *loop) {
  pthread_mutex_lock(&lock);
  loop_entry_t *e = entry_of(loop);
  if (e)
    e->open = 0;
  pthread_mutex_unlock(&lock);
  if (!e)
    return;
  rt__token_wait_t *w = e->head;
  e->head = NULL;
  e->tail = &e->head;
  while (w) {
    rt__token_wait_t *next = w->next;
    w->cb(w->arg, 0, NULL, 0);
    w = next;
  }
  uv_close((uv_handle_t *)&e->async, on_async_closed);
}

/* Moves to the next generation with the given parity (1: listening). */
static void next_generation(int listening) {
  pthread_mutex_lock(&lock);
  generation += ((generation & 1) == (uint64_t)listening) ? 2 : 1;
  pthread_mutex_unlock(&lock);
}

static void on_listen(rt_db_listen_event_t event, void *arg) {
  (void)arg;
  switch (event) {
  case RT_DB_LISTEN_UP:
    rt_log_info("auth cache: listening for changes to tokens, accounts and sessions");
    next_generation(1);
    break;
  case RT_DB_LISTEN_NOTIFY:
    next_generation(1);
    break;
  case RT_DB_LISTEN_SYNCED:
    wake_loops();
    break;
  case RT_DB_LISTEN_DOWN:
    next_generation(0);
    break;
  }
}

int rt_api_cache_start(const rt_db_options_t *db) {
  if (slots)
    return 0;
  slot_t *s = calloc(SLOTS, sizeof(*s));
  if (!s)
    return RT_ENOMEM;
  pthread_mutex_lock(&lock);
  slots = s;
  pthread_mutex_unlock(&lock);
  int rc = rt_db_listener_start(db->conninfo, "rt_auth", on_listen, NULL, &listener);
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
}
