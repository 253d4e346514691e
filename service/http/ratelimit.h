/* Abuse limits of the HTTP core (docs/reliability.md): token buckets per caller key (an
 * address, a credential) and open connections per address.
 *
 * One table per process, shared by every worker thread under one mutex: the limits hold
 * per process whatever the number of threads and however SO_REUSEPORT spreads
 * connections. The critical section is a hash lookup and a few arithmetic operations.
 * Memory is bounded: at most RT__RATELIMIT_MAX_ENTRIES keys; an entry whose bucket has
 * refilled and that holds no connection carries no information and is swept. */
#ifndef ROUNDTABLE_HTTP_RATELIMIT_H
#define ROUNDTABLE_HTTP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "roundtable/error.h"

#define RT__RATELIMIT_MAX_ENTRIES 100000
#define RT__RATELIMIT_KEY_MAX 63

typedef struct rt__ratelimit_s rt__ratelimit_t;

/* NULL when out of memory. */
rt__ratelimit_t *rt__ratelimit_new(void);
void rt__ratelimit_free(rt__ratelimit_t *rl);

/* Takes one token from key's bucket (rate per second, burst capacity; a new key starts
 * full) at time now_ns. Returns 0 when allowed, else the whole seconds (>= 1) until a token
 * is there. A key longer than RT__RATELIMIT_KEY_MAX is cut; a full table allows. */
int rt__ratelimit_take(rt__ratelimit_t *rl, const char *key, double rate, double burst,
                       uint64_t now_ns);

/* Counts a connection of key: 1 counted, 0 refused (max already open), -1 not counted
 * (table full: allowed; do not call rt__ratelimit_conn_close). */
int rt__ratelimit_conn_open(rt__ratelimit_t *rl, const char *key, int max, uint64_t now_ns);
void rt__ratelimit_conn_close(rt__ratelimit_t *rl, const char *key);

/* Keys held now (for tests and metrics). */
size_t rt__ratelimit_size(rt__ratelimit_t *rl);

#endif
