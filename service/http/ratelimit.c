/* Token buckets and connection counts in one mutex-guarded hash table (see ratelimit.h). */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 8192 /* power of two */
/* Idle entries are swept at most this often, and whenever the table is full. */
#define SWEEP_NS (10ull * 1000000000ull)

typedef struct rl_entry {
  struct rl_entry *next;
  uint64_t hash;
  double tokens;
  double rate, burst; /* of its last take: tells when it has refilled */
  uint64_t last_ns;
  int conns;
  char key[RT__RATELIMIT_KEY_MAX + 1];
} rl_entry_t;

struct rt__ratelimit_s {
  pthread_mutex_t lock;
  rl_entry_t *buckets[NBUCKETS];
  size_t count;
  uint64_t last_sweep_ns;
};

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

/* key cut to RT__RATELIMIT_KEY_MAX into k; returns its hash. */
static uint64_t key_copy(const char *key, char k[RT__RATELIMIT_KEY_MAX + 1]) {
  size_t n = strlen(key);
  if (n > RT__RATELIMIT_KEY_MAX)
    n = RT__RATELIMIT_KEY_MAX;
  memcpy(k, key, n);
  k[n] = '\0';
  return fnv1a(k);
}

rt__ratelimit_t *rt__ratelimit_new(void) {
  rt__ratelimit_t *rl = calloc(1, sizeof(*rl));
  if (!rl)
    return NULL;
  if (pthread_mutex_init(&rl->lock, NULL)) {
    free(rl);
    return NULL;
  }
  return rl;
}

void rt__ratelimit_free(rt__ratelimit_t *rl) {
  if (!rl)
    return;
  for (size_t i = 0; i < NBUCKETS; i++) {
    rl_entry_t *e = rl->buckets[i];
    while (e) {
      rl_entry_t *next = e->next;
      free(e);
      e = next;
    }
  }
  pthread_mutex_destroy(&rl->lock);
  free(rl);
}

static void refill(rl_entry_t *e, uint64_t now_ns) {
  if (now_ns > e->last_ns) {
    e->tokens += (double)(now_ns - e->last_ns) / 1e9 * e->rate;
    if (e->tokens > e->burst)
      e->tokens = e->burst;
  }
  e->last_ns = now_ns;
}

/* An entry that says nothing a fresh one would not: bucket full, no connection. */
static int idle(rl_entry_t *e, uint64_t now_ns) {
  if (e->conns > 0)
    return 0;
  refill(e, now_ns);
  return e->tokens >= e->burst;
}

static void sweep(rt__ratelimit_t *rl, uint64_t now_ns) {
  rl->last_sweep_ns = now_ns;
  for (size_t i = 0; i < NBUCKETS; i++) {
    rl_entry_t **p = &rl->buckets[i];
    while (*p) {
      rl_entry_t *e = *p;
      if (idle(e, now_ns)) {
        *p = e->next;
        free(e);
        rl->count--;
      } else {
        p = &e->next;
      }
    }
  }
}

/* The entry of key, created (bucket full) when absent; NULL when the table is full. Under
 * the lock. */
static rl_entry_t *lookup(rt__ratelimit_t *rl, const char *key, double rate, double burst,
                          uint64_t now_ns) {
  char k[RT__RATELIMIT_KEY_MAX + 1];
  uint64_t h = key_copy(key, k);
  rl_entry_t **head = &rl->buckets[h & (NBUCKETS - 1)];
  for (rl_entry_t *e = *head; e; e = e->next)
    if (e->hash == h && strcmp(e->key, k) == 0)
      return e;
  if (now_ns - rl->last_sweep_ns > SWEEP_NS || rl->count >= RT__RATELIMIT_MAX_ENTRIES)
    sweep(rl, now_ns);
  if (rl->count >= RT__RATELIMIT_MAX_ENTRIES)
    return NULL;
  rl_entry_t *e = calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->hash = h;
  memcpy(e->key, k, strlen(k) + 1);
  e->rate = rate;
  e->burst = burst;
  e->tokens = burst;
  e->last_ns = now_ns;
  e->next = *head;
  *head = e;
  rl->count++;
  return e;
}

int rt__ratelimit_take(rt__ratelimit_t *rl, const char *key, double rate, double burst,
                       uint64_t now_ns) {
  if (!rl || rate <= 0)
    return 0;
  if (burst < 1)
    burst = 1;
  pthread_mutex_lock(&rl->lock);
  int wait = 0;
  rl_entry_t *e = lookup(rl, key, rate, burst, now_ns);
  if (e) {
    e->rate = rate;
    e->burst = burst;
    refill(e, now_ns);
    if (e->tokens >= 1) {
      e->tokens -= 1;
    } else {
      double secs = (1 - e->tokens) / rate;
      wait = secs >= 3600 ? 3600 : (int)secs + ((double)(int)secs < secs);
      if (wait < 1)
        wait = 1;
    }
  }
  pthread_mutex_unlock(&rl->lock);
  return wait;
}

int rt__ratelimit_conn_open(rt__ratelimit_t *rl, const char *key, int max, uint64_t now_ns) {
  if (!rl || max <= 0)
    return -1;
  pthread_mutex_lock(&rl->lock);
  int rc = -1;
  /* A new entry gets a nominal bucket that refills at once: it is idle when unused. */
  rl_entry_t *e = lookup(rl, key, 1e9, 1, now_ns);
  if (e) {
    if (e->conns >= max) {
      rc = 0;
    } else {
      e->conns++;
      rc = 1;
    }
  }
  pthread_mutex_unlock(&rl->lock);
  return rc;
}

void rt__ratelimit_conn_close(rt__ratelimit_t *rl, const char *key) {
  if (!rl)
    return;
  char k[RT__RATELIMIT_KEY_MAX + 1];
  uint64_t h = key_copy(key, k);
  pthread_mutex_lock(&rl->lock);
  for (rl_entry_t *e = rl->buckets[h & (NBUCKETS - 1)]; e; e = e->next)
    if (e->hash == h && strcmp(e->key, k) == 0) {
      if (e->conns > 0)
        e->conns--;
      break;
    }
  pthread_mutex_unlock(&rl->lock);
}

size_t rt__ratelimit_size(rt__ratelimit_t *rl) {
  pthread_mutex_lock(&rl->lock);
  size_t n = rl->count;
  pthread_mutex_unlock(&rl->lock);
  return n;
}
