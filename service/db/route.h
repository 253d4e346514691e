/* Private to service/db: read routing to a replica (route.c), apart from libpq so unit tests
 * include it alone. */
#ifndef ROUNDTABLE_DB_ROUTE_H
#define ROUNDTABLE_DB_ROUTE_H

#include <stdint.h>
#include <uv.h>

#include "roundtable/db.h"

/* ---- read replica (route.c): probes, routing, read-your-writes marks ---- */
typedef struct rt__db_route_s rt__db_route_t;
/* Probes primary and replica (both borrowed; they outlive the route) on loop every
 * max_lag_ms / 20 (10..250 ms). */
int rt__db_route_create(uv_loop_t *loop, rt_db_pool_t *primary, rt_db_pool_t *replica,
                        uint64_t max_lag_ms, rt__db_route_t **out) RT_WUR;
/* Stops probing; cb(data) runs once the route is freed (after its probe in flight, if any,
 * has called back: close the pools after this call so that it does). */
void rt__db_route_close(rt__db_route_t *r, void (*cb)(void *data), void *data);
/* The pool a read of reader (rt_db_reader_key; 0: none) should use; counts the choice. */
rt_db_pool_t *rt__db_route_pick(rt__db_route_t *r, uint64_t reader);
const char *rt__db_route_state(const rt__db_route_t *r);
/* caught_up: the newest probe start (uv_hrtime) whose primary insert LSN the replica had
 * replayed, so every commit before it is there; 0 while not measured. Only grows. */
uint64_t rt__db_route_caught_up(const rt__db_route_t *r);
/* A write committed on r's primary: probe soon (after the probe in flight, if any), so that the
 * writer's reads return to the replica once it has replayed the write. */
void rt__db_route_kick(rt__db_route_t *r);
/* Marks reader as having committed a write now. */
void rt__db_route_note_write(uint64_t reader);
/* The reader key named by an rt_db_tx actor's JSON (NULL: 0). */
uint64_t rt__db_actor_reader_key(const char *actor);
void rt__db_route_count_fallback(void);
int rt__db_route_metrics_render(rt_buf_t *out, long lag_ms);

#endif
