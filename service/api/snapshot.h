/* The snapshot of one roundtable that the matching engine works on: its open needs (with their
 * states' region, country and agreed partnerships, and whether the state holds a standing
 * partnership here: the fairness floor), its open offers, and its agreed and declined pairs, read
 * in one REPEATABLE READ transaction so that they are consistent with each other.
 *
 * Loading happens on the event loop (asynchronous queries; the rows are only copied); turning
 * the rows into the engine's input and building the instance (rt__snapshot_build) is CPU work
 * for the thread pool. A snapshot does not refer to any request, so a match run that outlives
 * its request can own one. */
#ifndef ROUNDTABLE_API_SNAPSHOT_H
#define ROUNDTABLE_API_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "api_internal.h"
#include "roundtable/match.h"

typedef enum rt_snapshot_focus {
  RT_SNAP_ROUNDTABLE = 0, /* every open need and offer of a roundtable (a match run) */
  RT_SNAP_NEED,           /* one need and every open offer of its roundtable (suggestions) */
  RT_SNAP_OFFER,          /* one offer and every open need of its roundtable */
} rt_snapshot_focus_t;

#define RT_SNAP_MAX_EXTRA 8
#define RT_SNAP_NEED_COLS 15
#define RT_SNAP_OFFER_COLS 13

typedef struct rt_snapshot_request_s {
  rt_snapshot_focus_t focus;
  int64_t id;     /* the roundtable, the need or the offer */
  int64_t run_id; /* RT_SNAP_ROUNDTABLE: the queued run that the load sets running (0: none) */
  /* The caller reads the needs and offers in its extra statements and fills snap->needs and
   * snap->offers itself before rt__snapshot_build, in the layouts of the statements it replaces
   * (RT_SNAP_NEED_COLS, RT_SNAP_OFFER_COLS columns; snapshot.c lists them): the summary, which
   * reads every need and offer anyway. RT_SNAP_ROUNDTABLE without a run only. */
  int caller_rows;
  /* Further statements (borrowed, static) run in the same transaction after the pairs, each
   * with $1 = the roundtable's id; their rows land in snap->extra[i]. */
  const char *const *extra_sql;
  int n_extra; /* at most RT_SNAP_MAX_EXTRA */
  /* The extra statements whose bit is set (1u << i) also get $2 = caller_role (static) and
   * $3 = caller_participant (NULL when 0): what the caller may see (need visibility). */
  unsigned extra_caller;
  const char *caller_role;
  int64_t caller_participant;
} rt_snapshot_request_t;

typedef enum rt_snapshot_outcome {
  RT_SNAP_LOADED = 0,
  RT_SNAP_NOT_FOUND, /* the need or offer in focus does not exist */
  RT_SNAP_NOT_OPEN,  /* it exists but is not open: it has no counterparts */
  RT_SNAP_NOT_QUEUED /* the run is no longer queued (failed meanwhile): nothing to do */
} rt_snapshot_outcome_t;

/* Rows copied out of one result: cells[r * cols + c], NULL for SQL NULL. */
typedef struct rt_snapshot_table_s {
  int rows, cols;
  char **cells;
} rt_snapshot_table_t;

typedef struct rt_snapshot_s {
  rt_arena_t arena; /* everything below */
  rt_snapshot_request_t request;
  int64_t roundtable_id;
  rt_snapshot_table_t needs, offers, pairs;
  rt_snapshot_table_t extra[RT_SNAP_MAX_EXTRA]; /* request.extra_sql's rows */
  /* set by rt__snapshot_build: the organizers' locks (a run's rt_match_assign_opts_t.locked) */
  rt_match_pair_t *locked;
  size_t n_locked;
} rt_snapshot_t;

/* status 0 or a negative code from the database (res, borrowed, may say more; NULL when the
 * failure was not a statement's). On status 0 with RT_SNAP_LOADED, snap is new and owned by
 * the callee (rt__snapshot_free); otherwise it is NULL. */
typedef void (*rt_snapshot_cb)(int status, rt_snapshot_outcome_t outcome, rt_snapshot_t *snap,
                               const rt_db_result_t *res, void *data);

/* Starts loading on pool's loop; rq is borrowed (copied). Fails at once like rt_db_acquire
 * (cb never called); otherwise cb runs exactly once, later. */
int rt__snapshot_load(rt_db_pool_t *pool, const rt_snapshot_request_t *rq, rt_snapshot_cb cb,
                      void *data) RT_WUR;

/* Any thread, after the reference data is loaded: encodes the rows of snap (borrowed; its list
 * cells are split in place, so build once) for the engine and builds a new instance (*out,
 * released with rt_match_instance_free), which keeps nothing of snap. RT_EINVAL, RT_E2BIG or
 * RT_ENOMEM with a one-line reason in err. Needs are in the instance at the positions of
 * snap->needs' rows, offers likewise. */
int rt__snapshot_build(rt_snapshot_t *snap, rt_match_instance_t **out, char *err,
                       size_t errlen) RT_WUR;

void rt__snapshot_free(rt_snapshot_t *snap);

/* qsort/bsearch order of int64_t ids (participants, needs, offers). */
int rt__cmp_i64(const void *a, const void *b);

/* The title and the participant id (text) of a posting of snap: row of its needs when need is
 * true, else of its offers; NULL for a row out of range. For responses that name
 * counterparts. */
const char *rt__snapshot_title(const rt_snapshot_t *snap, bool need, int row);
const char *rt__snapshot_participant(const rt_snapshot_t *snap, bool need, int row);

/* A breakdown (borrowed) as JSON ({"theme":{"value":v,"weight":w},...}) appended to out; and a
 * number in the shortest form that reads back as the same double. */
int rt__breakdown_json(rt_buf_t *out, const rt_match_breakdown_t *b) RT_WUR;
int rt__number_json(rt_buf_t *out, double v) RT_WUR;

#endif
