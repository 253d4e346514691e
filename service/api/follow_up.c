/* POST /matches/{id}/follow-up: an agreed partnership delivered, partly delivered or abandoned.
 *
 * Who: an admin or an organizer, or the match's own state or provider (others' matches are 404,
 * as for decisions). What: {"outcome", "on", "reason"}, the reason required unless delivered;
 * recording it again corrects it. The match becomes completed.
 *
 * One transaction, like a decision (matches.c): the roundtable's advisory lock shared, the
 * match, its need and its offer locked, then the need's and the offer's other partnerships
 * counted, then one statement writes the match and moves the need's and the offer's statuses:
 *  - the need: fulfilled once all of its max_partners partnerships are delivered; open again
 *    when an abandoned one leaves room in a need that was full (matched); a correction that
 *    takes back the "delivered" a fulfilled need rested on makes it matched or open again;
 *  - the offer: open again when an abandoned partnership leaves room in an offer that was full
 *    (closed); closed when a correction of "abandoned" fills it again.
 * A correction of "abandoned" that would take room another partnership has taken since is 409.
 * docs/matching.md ("Follow-up") has the rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoders.h"
#include "matching.h"
#include "resource.h"

const char *const rt__follow_up_outcomes[] = {"delivered", "partly_delivered", "abandoned", NULL};

#define REASON_MAX 1000

/* Steps (rt__match_tx_t): the lock; the match, its need and its offer, locked, with the date
 * against the agreement; the other partnerships holding the need's and the offer's room; the
 * write. */
typedef struct fu_ctx {
  rt__match_tx_t mt; /* first: the shared transaction's callbacks cast back to it */
  rt_follow_up_input_t in;
  /* from the row */
  const char *need_id, *offer_id, *need_status, *offer_status, *old_outcome;
  long max_partners, capacity;
  /* what the write sets */
  const char *need_to, *offer_to;
} fu_ctx_t;

/* The earliest and the latest day anywhere on Earth: UTC-12 and UTC+14. */
#define EARLIEST_ZONE "'Etc/GMT+12'"
#define LATEST_ZONE "'Etc/GMT-14'"

static const char *fu_statement(rt__match_tx_t *t, rt__match_tx_step_t step, const char **params,
                                int *n) {
  fu_ctx_t *ctx = (fu_ctx_t *)t;
  const char *sql = NULL;
  switch (step) {
  case RT__MATCH_TX_LOCK:
    break;
  case RT__MATCH_TX_ROW:
    sql = "SELECT m.status, n.participant_id, o.participant_id, m.need_id, m.offer_id, n.status,"
          " o.status, n.max_partners, o.capacity, m.follow_up_outcome,"
          " (m.decided_at AT TIME ZONE " EARLIEST_ZONE ")::date::text,"
          " $2::date < (m.decided_at AT TIME ZONE " EARLIEST_ZONE ")::date,"
          " $2::date > (now() AT TIME ZONE " LATEST_ZONE ")::date"
          " FROM matches m JOIN needs n ON n.id = m.need_id JOIN offers o ON o.id = m.offer_id"
          " WHERE m.id = $1 FOR NO KEY UPDATE";
    params[1] = ctx->in.on;
    *n = 2;
    break;
  case RT__MATCH_TX_COUNTS:
    /* after the locks: every follow-up and decision committed before them is seen */
    sql = "SELECT count(*) FILTER (WHERE need_id = $2),"
          " count(*) FILTER (WHERE need_id = $2 AND follow_up_outcome = 'delivered'),"
          " count(*) FILTER (WHERE offer_id = $3)"
          " FROM matches WHERE (need_id = $2 OR offer_id = $3) AND id <> $1"
          " AND " RT__MATCH_HOLDS_ROOM;
    params[1] = ctx->need_id;
    params[2] = ctx->offer_id;
    *n = 3;
    break;
  case RT__MATCH_TX_WRITE:
    sql = "WITH upd AS (UPDATE matches m SET status = 'completed', follow_up_outcome = $2,"
          " follow_up_on = $3::date, follow_up_reason = $4, follow_up_at = now()"
          " WHERE m.id = $1 RETURNING m.*),"
          " ns AS (UPDATE needs n SET status = $5 FROM upd"
          " WHERE n.id = upd.need_id AND $5::text IS NOT NULL AND n.status <> $5),"
          " os AS (UPDATE offers o SET status = $6 FROM upd"
          " WHERE o.id = upd.offer_id AND $6::text IS NOT NULL AND o.status <> $6)"
          " SELECT " RT__MATCH_JSON " FROM upd m";
    params[1] = ctx->in.outcome;
    params[2] = ctx->in.on;
    params[3] = ctx->in.reason;
    params[4] = ctx->need_to;
    params[5] = ctx->offer_to;
    *n = 6;
    break;
  }
  return sql;
}

static int is_true(const rt_db_result_t *res, int col) {
  const char *v = rt_db_result_value(res, 0, col);
  return v && v[0] == 't';
}

/* The locked row: visibility, the match's status, the date. */
static void fu_checked_row(rt__match_tx_t *t, const rt_db_result_t *res) {
  fu_ctx_t *ctx = (fu_ctx_t *)t;
  char detail[200];
  if (!rt__match_tx_yours(&ctx->mt, res, 1, 2))
    return;
  /* what is missing, now that the match is known to be the caller's (as for decisions) */
  rt_field_errors_t errs = {0};
  if (!ctx->in.outcome)
    rt__field_error(&errs, "outcome", "is required: delivered, partly_delivered or abandoned");
  if (!ctx->in.on)
    rt__field_error(&errs, "on", "is required: the day, as YYYY-MM-DD");
  if (ctx->in.outcome && strcmp(ctx->in.outcome, "delivered") != 0 && !ctx->in.reason)
    rt__field_error(&errs, "reason", "is required unless delivered: say why");
  if (rt__field_errors_any(&errs)) {
    rt__match_tx_invalid(&ctx->mt, &errs);
    return;
  }
  const char *status = rt_db_result_value(res, 0, 0);
  if (strcmp(status, "agreed") != 0 && strcmp(status, "completed") != 0) {
    snprintf(detail, sizeof(detail),
             "The match is %s; only an agreed or completed partnership takes a follow-up.", status);
    rt__match_tx_respond(&ctx->mt, 409, detail);
    return;
  }
  if (is_true(res, 11)) {
    snprintf(detail, sizeof(detail), "must not be before the partnership was agreed (%s)",
             rt_db_result_value(res, 0, 10));
    rt__match_tx_refuse(&ctx->mt, "on", detail);
    return;
  }
  if (is_true(res, 12)) {
    rt__match_tx_refuse(&ctx->mt, "on", "must not be in the future");
    return;
  }
  ctx->need_id = rt__match_tx_text(&ctx->mt, res, 3);
  ctx->offer_id = rt__match_tx_text(&ctx->mt, res, 4);
  ctx->need_status = rt__match_tx_text(&ctx->mt, res, 5);
  ctx->offer_status = rt__match_tx_text(&ctx->mt, res, 6);
  ctx->max_partners = strtol(rt_db_result_value(res, 0, 7), NULL, 10);
  ctx->capacity = strtol(rt_db_result_value(res, 0, 8), NULL, 10);
  ctx->old_outcome = rt__match_tx_text(&ctx->mt, res, 9); /* NULL: none yet */
  if (!ctx->need_id || !ctx->offer_id || !ctx->need_status || !ctx->offer_status) {
    rt__match_tx_failed(&ctx->mt, RT_ENOMEM, NULL);
    return;
  }
  rt__match_tx_send(&ctx->mt, RT__MATCH_TX_COUNTS);
}

static int is(const char *s, const char *word) { return s && strcmp(s, word) == 0; }

/* The need's and the offer's statuses after the write (NULL: unchanged), from the other
 * partnerships that hold room (holding) and, of the need's, those delivered. */
static void fu_checked_counts(rt__match_tx_t *t, const rt_db_result_t *res) {
  fu_ctx_t *ctx = (fu_ctx_t *)t;
  char detail[200];
  long need_holding = strtol(rt_db_result_value(res, 0, 0), NULL, 10);
  long need_delivered = strtol(rt_db_result_value(res, 0, 1), NULL, 10);
  long offer_holding = strtol(rt_db_result_value(res, 0, 2), NULL, 10);
  int held = !is(ctx->old_outcome, "abandoned"), holds = !is(ctx->in.outcome, "abandoned");
  if (!held && holds) { /* taking its room back */
    if (need_holding >= ctx->max_partners) {
      snprintf(detail, sizeof(detail),
               "The need's room (%ld partner(s)) has been taken since the partnership was"
               " abandoned.",
               ctx->max_partners);
      rt__match_tx_respond(&ctx->mt, 409, detail);
      return;
    }
    if (offer_holding >= ctx->capacity) {
      snprintf(detail, sizeof(detail),
               "The offer's capacity (%ld) has been taken since the partnership was abandoned.",
               ctx->capacity);
      rt__match_tx_respond(&ctx->mt, 409, detail);
      return;
    }
  }
  long need_was = need_holding + held, need_now = need_holding + holds;
  long offer_was = offer_holding + held, offer_now = offer_holding + holds;
  int need_full = need_now >= ctx->max_partners;
  int all_delivered = need_delivered + is(ctx->in.outcome, "delivered") == need_now;
  const char *ns = ctx->need_status, *to = NULL;
  if (is(ns, "open") || is(ns, "matched")) {
    if (need_full && all_delivered)
      to = "fulfilled";
    else if (need_full)
      to = "matched";
    else if (is(ns, "matched") && need_was >= ctx->max_partners)
      to = "open";
  } else if (is(ns, "fulfilled") && is(ctx->old_outcome, "delivered") &&
             !is(ctx->in.outcome, "delivered")) {
    to = need_full ? "matched" : "open";
  }
  ctx->need_to = to;
  ctx->offer_to = NULL;
  if (is(ctx->offer_status, "closed") && offer_was >= ctx->capacity && offer_now < ctx->capacity)
    ctx->offer_to = "open";
  else if (is(ctx->offer_status, "open") && offer_now >= ctx->capacity)
    ctx->offer_to = "closed";
  rt__match_tx_send(&ctx->mt, RT__MATCH_TX_WRITE);
}

int rt__follow_up_decode(json_t *body, rt_field_errors_t *errs, rt_follow_up_input_t *in) {
  static const char *const known[] = {"outcome", "on", "reason", NULL};
  in->outcome = in->on = in->reason = NULL;
  rt__v_unknown(body, known, errs);
  rt__v_enum(body, "outcome", "outcome", 0, rt__follow_up_outcomes, errs, &in->outcome);
  rt__v_date(body, "on", "on", 0, errs, &in->on);
  /* a partnership not (wholly) delivered says why (not blank); a delivered one may. What is
   * missing is said once the match is found, as for decisions. */
  int why = in->outcome && strcmp(in->outcome, "delivered") != 0;
  rt__v_string(body, "reason", "reason", 0, why, REASON_MAX, errs, &in->reason);
  return rt__field_errors_any(errs) ? -1 : 0;
}

void rt__matches_follow_up(rt_api_call_t *call) {
  json_t *body;
  static const rt__match_tx_t like = {.invalid = "The follow-up is not valid.",
                                      .statement = fu_statement,
                                      .row = fu_checked_row,
                                      .counts = fu_checked_counts};
  fu_ctx_t *ctx = rt__match_tx_new(call, sizeof(*ctx), &like, &body);
  if (!ctx)
    return;
  /* What the body says on its own is checked first; what depends on the match (is it yours,
   * is it agreed, is the day after the agreement) once it is found. */
  rt_field_errors_t errs = {0};
  rt__follow_up_decode(body, &errs, &ctx->in);
  const char *strings[] = {ctx->in.on, ctx->in.reason};
  rt__own_strings(&call->req->arena, strings, 2, &errs);
  ctx->in.on = strings[0];
  ctx->in.reason = strings[1];
  json_decref(body);
  rt__match_tx_begin(&ctx->mt, &errs);
}
