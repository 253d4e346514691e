/* The meeting scheduler: places a roundtable's meetings (a need's state with the providers of
 * its partnerships) into time slots and tables so that nobody is in two meetings at once, no
 * table holds two meetings at once and nobody meets in a slot they marked unavailable, with the
 * largest total value placed.
 *
 * Pure: plain structs in, plain structs out; no I/O, no event loop, no JSON (like match.h).
 * docs/schedule.md describes the model, the algorithm and what is exact.
 *
 * Tables are interchangeable (any meeting fits any table), so the solver chooses a slot per
 * meeting and then numbers the tables of each slot: the meetings of a slot take tables 0, 1, ...
 * in order of value (larger first), then id.
 *
 * Exactness. A branch and bound search runs from the heuristic's solution with a node budget;
 * when it finishes within the budget the result is proven optimal (result.optimal), otherwise
 * the result is the best found, never worse than the heuristic. The result depends only on the
 * problem (not on timing): the budget counts nodes, not time.
 */
#ifndef ROUNDTABLE_SCHEDULE_H
#define ROUNDTABLE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "roundtable/buf.h"
#include "roundtable/error.h"

#define RT_SCHEDULE_MAX_SLOTS 1000
#define RT_SCHEDULE_MAX_TABLES 1000
#define RT_SCHEDULE_MAX_MEETINGS 100000
#define RT_SCHEDULE_MAX_PARTICIPANTS 100000
/* Default node budget of the exact search: a few tens of milliseconds. */
#define RT_SCHEDULE_DEFAULT_NODES 200000

/* One meeting to place. Borrowed for the duration of rt_schedule_solve() only. */
typedef struct rt_schedule_meeting_s {
  int64_t id; /* the caller's key (e.g. the need id); breaks ties, smaller first */
  const uint32_t *participants; /* distinct indices < n_participants, at least one */
  uint32_t n_participants;
  int64_t value; /* >= 0; the total placed is maximised */
} rt_schedule_meeting_t;

typedef struct rt_schedule_problem_s {
  uint32_t n_slots;  /* <= RT_SCHEDULE_MAX_SLOTS; slots never overlap in time */
  uint32_t n_tables; /* <= RT_SCHEDULE_MAX_TABLES */
  uint32_t n_participants;
  /* n_participants * n_slots flags, row per participant: non-zero = unavailable. NULL: none. */
  const uint8_t *unavailable;
  const rt_schedule_meeting_t *meetings;
  size_t n_meetings;
  uint64_t node_budget; /* exact search nodes; 0: RT_SCHEDULE_DEFAULT_NODES */
} rt_schedule_problem_t;

/* Why a meeting was not placed (RT_SCHEDULE_PLACED when it was). */
typedef enum rt_schedule_reason_e {
  RT_SCHEDULE_PLACED = 0,
  RT_SCHEDULE_NO_GRID,     /* the roundtable has no slot or no table */
  RT_SCHEDULE_UNAVAILABLE, /* in every slot some participant is unavailable */
  RT_SCHEDULE_BUSY,        /* in every slot they could all make, someone is in another meeting */
  RT_SCHEDULE_NO_TABLE,    /* some slot suits them all, but its tables are taken */
} rt_schedule_reason_t;

/* The result; arrays have n_meetings entries in the caller's order. */
typedef struct rt_schedule_result_s {
  int32_t *slot;  /* slot index, -1 when not placed */
  int32_t *table; /* table index, -1 when not placed */
  rt_schedule_reason_t *reason;
  /* For UNAVAILABLE and BUSY, the participant who blocks most slots (an index); else -1. */
  int32_t *blocker;
  int64_t total_value;
  size_t placed;
  int64_t greedy_value;   /* the value of the greedy start, before improvement and search */
  int64_t improved_value; /* after the improvement phase, before the exact search */
  bool optimal;           /* the exact search finished: no schedule has a larger total */
  uint64_t nodes;         /* exact search nodes used */
} rt_schedule_result_t;

/* Solves p into *out (arrays allocated; free with rt_schedule_result_free). RT_EINVAL for a
 * malformed problem (index out of range, repeated participant, negative value), RT_E2BIG past
 * the limits above, RT_ENOMEM. On failure *out holds nothing to free. */
int rt_schedule_solve(const rt_schedule_problem_t *p, rt_schedule_result_t *out) RT_WUR;
void rt_schedule_result_free(rt_schedule_result_t *r);

/* 0 when slot[]/table[] (n_meetings entries, -1 unplaced) is a valid schedule of p: slots and
 * tables in range, placed together, one meeting per (slot, table), nobody twice in a slot, nobody
 * in a slot they are unavailable in; RT_EINVAL otherwise. *value (may be NULL) receives the total.
 */
int rt_schedule_check(const rt_schedule_problem_t *p, const int32_t *slot, const int32_t *table,
                      int64_t *value) RT_WUR;

/* The reason's word in the API ("unavailable", "participant_busy", ...); "" for PLACED. */
const char *rt_schedule_reason_name(rt_schedule_reason_t r);

/* ---- iCalendar (RFC 5545) lines, for the per-participant export (ical.c) ---- */
/* Appends line (a whole content line, already escaped) folded at 75 octets, ending in CRLF. */
int rt_ical_line(rt_buf_t *out, const char *line) RT_WUR;
/* Appends "NAME:value" with value escaped as TEXT (backslash, ';', ',' and newlines), folded. */
int rt_ical_text(rt_buf_t *out, const char *name, const char *value) RT_WUR;
/* "2024-05-10T09:00:00.000Z" (RFC 3339 UTC) -> "20240510T090000Z" in out; RT_EINVAL otherwise. */
int rt_ical_utc(const char *rfc3339, char out[17]) RT_WUR;

#endif
