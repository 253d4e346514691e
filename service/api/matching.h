/* Matching in the API: suggestions (suggestions.c), match runs (match_runs.c) and matches with
 * the parties' decisions (matches.c). The model and the workflow are in docs/matching.md. */
#ifndef ROUNDTABLE_API_MATCHING_H
#define ROUNDTABLE_API_MATCHING_H

#include "api_internal.h"
#include "json.h"

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

/* POST /matches/{id}/follow-up (follow_up.c): delivered, partly delivered or abandoned. */
void rt__matches_follow_up(rt_api_call_t *call);

/* One transaction on a match that ends in the changed match (decisions in matches.c,
 * follow-ups in follow_up.c), run by rt_db_tx with the caller as the audit actor; a conflict
 * starts it over. Every attempt takes the same steps: the roundtable's advisory lock shared
 * (no row: 404), the match with its need and offer locked (no row: 404; else `checked`), the
 * counts `checked` asks for, and the write, whose first column is the changed match (200). A
 * handler's context begins with it. */
typedef enum rt__match_tx_step {
  RT__MATCH_TX_LOCK,
  RT__MATCH_TX_ROW,
  RT__MATCH_TX_COUNTS,
  RT__MATCH_TX_WRITE,
} rt__match_tx_step_t;
#define RT__MATCH_TX_MAX_PARAMS 8

typedef struct rt__match_tx_s rt__match_tx_t;
struct rt__match_tx_s {
  rt_api_call_t *call;
  const char *id_text; /* the match: $1 of every statement */
  const char *invalid; /* the 422's detail: "The decision is not valid." */
  /* The statement of a step after the lock, with params[1..] set and *n their count (params[0]
   * and *n = 1 preset); NULL when out of memory. */
  const char *(*statement)(rt__match_tx_t *t, rt__match_tx_step_t step, const char **params,
                           int *n);
  /* The locked row, then the counts: each sends the next step or answers. */
  void (*row)(rt__match_tx_t *t, const rt_db_result_t *res);
  void (*counts)(rt__match_tx_t *t, const rt_db_result_t *res);
  rt__match_tx_step_t step;
  rt_db_tx_t *tx;     /* NULL once ended */
  rt_db_conn_t *conn; /* borrowed from tx */
  const char *json;   /* the changed match, for the 200 */
};
/* A handler's first steps: the match's id from the path and the JSON body (*body, new), and a
 * zeroed context of size bytes (which begins with an rt__match_tx_t) with call and id_text
 * set and the rest of *t copied from like. NULL when the request has been answered. */
void *rt__match_tx_new(rt_api_call_t *call, size_t size, const rt__match_tx_t *like, json_t **body);
/* Answers 422 with errs (the body's own faults), or starts the transaction (answering the
 * request itself when it cannot). */
void rt__match_tx_begin(rt__match_tx_t *t, rt_field_errors_t *errs);
/* Sends a step's statement. */
void rt__match_tx_send(rt__match_tx_t *t, rt__match_tx_step_t step);
/* Rolls back and answers: 404, or status with detail (409). */
void rt__match_tx_respond(rt__match_tx_t *t, int status, const char *detail);
/* Rolls back and answers 422 with errs, or with one field error. */
void rt__match_tx_invalid(rt__match_tx_t *t, rt_field_errors_t *errs);
void rt__match_tx_refuse(rt__match_tx_t *t, const char *field, const char *message);
/* Hands a failure to the transaction: a conflict starts it over, anything else answers. */
void rt__match_tx_failed(rt__match_tx_t *t, int status, const rt_db_result_t *res);
/* Row 0's column col, copied to the request's arena (NULL when null or out of memory). */
const char *rt__match_tx_text(rt__match_tx_t *t, const rt_db_result_t *res, int col);
/* Whether the caller may act on the match whose need's state and offer's provider are the
 * participants in columns state_col and provider_col of the locked row: staff, or that state,
 * or that provider. Otherwise answers 404 (another party's match is invisible) and returns 0. */
int rt__match_tx_yours(rt__match_tx_t *t, const rt_db_result_t *res, int state_col,
                       int provider_col);

/* The first statement of both: the roundtable's advisory lock, shared ($1: the match; no row:
 * no such match). */
#define RT__MATCH_LOCK_SHARED_SQL                                                                  \
  "SELECT pg_advisory_xact_lock_shared(" RT_MATCH_LOCK_CLASS                                       \
  ", rt_match_lock_key(m.roundtable_id)) FROM matches m WHERE m.id = $1"

/* delivered, partly_delivered, abandoned (NULL-terminated). */
extern const char *const rt__follow_up_outcomes[];

/* The condition on a row of matches that it uses its need's and its offer's room: agreed or
 * completed, and not abandoned (docs/matching.md, "Follow-up"). */
#define RT__MATCH_HOLDS_ROOM                                                                       \
  "status IN ('agreed', 'completed') AND follow_up_outcome IS DISTINCT FROM 'abandoned'"

/* A match as the API shows it, from the row `m` of matches: one text column. */
#define RT__MATCH_JSON                                                                             \
  "json_build_object('id', m.id::text, 'roundtable_id', m.roundtable_id::text,"                    \
  " 'run_id', m.run_id::text, 'need_id', m.need_id::text, 'offer_id', m.offer_id::text,"           \
  " 'score', m.score, 'breakdown', m.breakdown, 'locked', m.locked, 'status', m.status,"           \
  " 'state_decision', m.state_decision, 'provider_decision', m.provider_decision,"                 \
  " 'created_at', rt_ts(m.created_at), 'updated_at', rt_ts(m.updated_at),"                         \
  " 'decided_at', rt_ts(m.decided_at),"                                                            \
  " 'follow_up', CASE WHEN m.follow_up_outcome IS NOT NULL THEN json_build_object("                \
  "'outcome', m.follow_up_outcome, 'on', m.follow_up_on::text, 'reason', m.follow_up_reason,"      \
  " 'recorded_at', rt_ts(m.follow_up_at)) END,"                                                    \
  " 'need', (SELECT json_build_object('title', n.title, 'participant_id', n.participant_id::text," \
  " 'participant_name', p.name, 'country', p.country, 'region', p.region) FROM needs n"            \
  " JOIN participants p ON p.id = n.participant_id WHERE n.id = m.need_id),"                       \
  " 'offer', (SELECT json_build_object('title', o.title, 'participant_id', "                       \
  "o.participant_id::text,"                                                                        \
  " 'participant_name', p.name, 'kind', o.kind) FROM offers o"                                     \
  " JOIN participants p ON p.id = o.participant_id WHERE o.id = m.offer_id))::text"

/* Runs outlive their requests: at shutdown a worker cancels its runs, waits until each has
 * recorded how it ended, then calls done(arg) (at once when none is running). */
void rt__match_runs_shutdown(rt_api_worker_t *worker, void (*done)(void *arg), void *arg);

/* The class (first key) of the transaction-level advisory lock that orders a run's write
 * (exclusive) against decisions (shared) on one roundtable; the second key is
 * rt_match_lock_key(roundtable id) from sql/004_matching.sql. */
#define RT_MATCH_LOCK_CLASS "1381256530" /* 'RTMR' */

#endif
