/* Matching in the API: suggestions (suggestions.c), match runs (match_runs.c) and matches with
 * the parties' decisions (matches.c). The model and the workflow are in docs/matching.md. */
#ifndef ROUNDTABLE_API_MATCHING_H
#define ROUNDTABLE_API_MATCHING_H

#include "api_internal.h"

/* GET /needs/{id}/suggestions, GET /offers/{id}/suggestions. */
void rt__needs_suggestions(rt_api_call_t *call);
void rt__offers_suggestions(rt_api_call_t *call);

/* POST /roundtables/{id}/match-runs, GET /match-runs/{id}. */
void rt__match_runs_create(rt_api_call_t *call);
void rt__match_runs_get(rt_api_call_t *call);
/* GET /roundtables/{id}/match-runs: the roundtable's runs, newest first. */
void rt__match_runs_list(rt_api_call_t *call);

/* POST /pair-rules, GET /pair-rules, DELETE /pair-rules/{id} (pair_rules.c): organizers' locks
 * and vetoes, the parties' "no thanks". */
void rt__pair_rules_create(rt_api_call_t *call);
void rt__pair_rules_list(rt_api_call_t *call);
void rt__pair_rules_delete(rt_api_call_t *call);

/* GET /matches, GET /matches/{id}, POST /matches/{id}/decision. */
void rt__matches_list(rt_api_call_t *call);
void rt__matches_get(rt_api_call_t *call);
void rt__matches_decide(rt_api_call_t *call);

/* Runs outlive their requests: at shutdown a worker cancels its runs, waits until each has
 * recorded how it ended, then calls done(arg) (at once when none is running). */
void rt__match_runs_shutdown(rt_api_worker_t *worker, void (*done)(void *arg), void *arg);

/* The class (first key) of the transaction-level advisory lock that orders a run's write
 * (exclusive) against decisions (shared) on one roundtable; the second key is
 * rt_match_lock_key(roundtable id) from sql/004_matching.sql. */
#define RT_MATCH_LOCK_CLASS "1381256530" /* 'RTMR' */

#endif
