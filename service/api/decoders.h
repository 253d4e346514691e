/* Every JSON body decoder of the API, exported so that the fuzzers (fuzz/fuzz_decoders.c)
 * drive the very code the handlers run. Each reads body (borrowed; NULL only where said), adds
 * field errors to errs and returns 0 when the body is valid, -1 when it is not (errs then holds
 * at least one error). They have no side effects beyond errs and the request arena. Those that
 * check codes need the reference data loaded (rt__reference_ready, or rt__reference_adopt_rows
 * without a database). */
#ifndef ROUNDTABLE_API_DECODERS_H
#define ROUNDTABLE_API_DECODERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api_internal.h"
#include "json.h"
#include "postings.h"
#include "roundtable/match.h"

/* POST/PATCH /roundtables: the arena receives the values. */
int rt__roundtable_decode_check(rt_arena_t *arena, json_t *body, int creating,
                                rt_field_errors_t *errs);
/* POST/PATCH /participants (reference data: countries, regions, languages). */
int rt__participant_decode_check(rt_api_call_t *call, json_t *body, int creating,
                                 rt_field_errors_t *errs);
/* POST/PATCH /needs and /offers (kind: rt__need_kind or rt__offer_kind); call->who decides
 * whose posting it is (reference data: themes, languages). */
int rt__posting_decode_check(rt_api_call_t *call, const rt_posting_kind_t *kind, json_t *body,
                             int creating, rt_field_errors_t *errs);

/* POST /tokens. Strings borrow from body. */
typedef struct rt_token_input_s {
  const char *role;
  const char *label; /* NULL when absent */
  int64_t participant_id;
} rt_token_input_t;
int rt__token_decode(json_t *body, rt_field_errors_t *errs, rt_token_input_t *in);

/* POST /accounts. Strings borrow from body; the password is checked for length only. */
typedef struct rt_account_input_s {
  const char *email;
  const char *role;
  const char *password;
  size_t password_len; /* bytes */
  int64_t participant_id;
} rt_account_input_t;
int rt__account_decode(json_t *body, rt_field_errors_t *errs, rt_account_input_t *in);

/* POST /session (sign-in). Strings borrow from body. */
typedef struct rt_signin_input_s {
  const char *email;
  const char *password;
  size_t password_len; /* bytes */
} rt_signin_input_t;
int rt__signin_decode(json_t *body, rt_field_errors_t *errs, rt_signin_input_t *in);

/* POST /matches/{id}/decision. The values point into static tables, not into body. */
typedef struct rt_decision_input_s {
  const char *decision; /* accept | decline; NULL when absent */
  const char *side;     /* state | provider; NULL when absent */
} rt_decision_input_t;
int rt__decision_decode(json_t *body, rt_field_errors_t *errs, rt_decision_input_t *in);

/* POST /matches/{id}/follow-up. outcome points into a static table, on and reason into body.
 * Missing fields are not errors here: the handler names them once the match is found. */
typedef struct rt_follow_up_input_s {
  const char *outcome; /* delivered | partly_delivered | abandoned; NULL when absent */
  const char *on;      /* YYYY-MM-DD; NULL when absent */
  const char *reason;  /* NULL when absent (or null) */
} rt_follow_up_input_t;
int rt__follow_up_decode(json_t *body, rt_field_errors_t *errs, rt_follow_up_input_t *in);

/* POST /roundtables/{id}/match-runs; body may be NULL (no body: the defaults). */
typedef struct rt_match_run_input_s {
  rt_match_weights_t weights;
  double min_score;
  bool fairness_floor;
} rt_match_run_input_t;
int rt__match_run_decode(json_t *body, rt_field_errors_t *errs, rt_match_run_input_t *in);

#endif
