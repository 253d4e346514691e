/* Pair rules: POST /pair-rules, GET /pair-rules, DELETE /pair-rules/{id}.
 *
 * Organizers (and admins) lock a pair — every later run proposes it when it is feasible and its
 * need and offer have room — or veto it; the need's state or the offer's provider says "no
 * thanks" for its own side. Vetoes and "no thanks" keep the pair out of suggestions and runs like
 * a decline (snapshot.c reads them with the declined pairs), and take a still-proposed match of
 * the pair away at once. One rule per pair and side; docs/matching.md, "Locks and vetoes". */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "json.h"
#include "matching.h"
#include "resource.h"

#define RULE_JSON                                                                                  \
  "json_build_object('id', r.id::text, 'roundtable_id', r.roundtable_id::text,"                    \
  " 'need_id', r.need_id::text, 'offer_id', r.offer_id::text, 'rule', r.rule, 'side', r.side,"     \
  " 'reason', r.reason, 'created_at', rt_ts(r.created_at))::text"

static const char *const rules[] = {"lock", "veto", "no_thanks", NULL};

static const char *side_of(const rt_api_call_t *call) {
  switch (call->who.role) {
  case RT_ROLE_STATE:
    return "state";
  case RT_ROLE_PROVIDER:
    return "provider";
  default:
    return "organizer";
  }
}

/* ---- POST /pair-rules ---- */

typedef struct create_ctx {
  rt_api_call_t *call;
  const char *need_id, *offer_id;
} create_ctx_t;

/* The rule is inserted only when the need and the offer exist in one roundtable, the caller
 * may speak for its side, and the side has no rule on the pair yet; the other columns say which
 * of these failed. A veto or "no thanks" removes the pair's still-proposed match. A need the
 * caller may not see (its visibility; the side names the role) reads as unknown. */
static const char create_sql[] =
    "WITH n AS (SELECT id, roundtable_id, participant_id FROM needs x WHERE id = $1"
    " AND rt_need_visible(x.visibility, x.participant_id, x.id, $4, $6::bigint)),"
    " o AS (SELECT id, roundtable_id, participant_id FROM offers WHERE id = $2),"
    " ok AS (SELECT n.roundtable_id FROM n JOIN o ON o.roundtable_id = n.roundtable_id"
    " WHERE ($4 <> 'state' OR n.participant_id = $6::bigint)"
    " AND ($4 <> 'provider' OR o.participant_id = $6::bigint)),"
    " r AS (INSERT INTO pair_rules (roundtable_id, need_id, offer_id, rule, side, reason)"
    " SELECT ok.roundtable_id, $1, $2, $3, $4, $5 FROM ok"
    " ON CONFLICT (need_id, offer_id, side) DO NOTHING RETURNING *),"
    " gone AS (DELETE FROM matches m USING r WHERE r.rule <> 'lock' AND m.need_id = r.need_id"
    " AND m.offer_id = r.offer_id AND m.status = 'proposed' RETURNING m.id)"
    " SELECT (SELECT " RULE_JSON " FROM r), (SELECT count(*) FROM n), (SELECT count(*) FROM o),"
    " (SELECT count(*) FROM n JOIN o ON o.roundtable_id = n.roundtable_id),"
    " (SELECT count(*) FROM ok),"
    " (SELECT p.id || ' (' || p.rule || ')' FROM pair_rules p WHERE p.need_id = $1"
    " AND p.offer_id = $2 AND p.side = $4), (SELECT count(*) FROM gone)";

static void refuse_field(rt_api_call_t *call, const char *field, const char *message) {
  rt_field_errors_t errs = {0};
  rt__field_error(&errs, field, "%s", message);
  rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The rule is not valid.", &errs);
}

static void on_created(int status, const rt_db_result_t *res, void *data) {
  create_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__respond_write_failed(call, status, res);
    return;
  }
  const char *json = rt_db_result_value(res, 0, 0);
  if (json) {
    rt__api_json(call->req, 201, json);
    return;
  }
  if (strcmp(rt_db_result_value(res, 0, 1), "0") == 0)
    refuse_field(call, "need_id", "is not a need");
  else if (strcmp(rt_db_result_value(res, 0, 2), "0") == 0)
    refuse_field(call, "offer_id", "is not an offer");
  else if (strcmp(rt_db_result_value(res, 0, 3), "0") == 0)
    refuse_field(call, "offer_id", "is not in the need's roundtable");
  else if (strcmp(rt_db_result_value(res, 0, 4), "0") == 0)
    rt_http_respond_problem(call->req, 403, "Forbidden",
                            call->who.role == RT_ROLE_STATE
                                ? "A state says no thanks only for its own needs."
                                : "A provider says no thanks only for its own offers.");
  else {
    const char *existing = rt_db_result_value(res, 0, 5);
    const char *detail = rt_arena_printf(
        &call->req->arena,
        "This side already has rule %s on the pair; delete it first to set another.",
        existing ? existing : "(just removed)");
    rt_http_respond_problem(call->req, 409, "Conflict", detail ? detail : "A rule exists.");
  }
}

void rt__pair_rules_create(rt_api_call_t *call) {
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  static const char *const known[] = {"need_id", "offer_id", "rule", "reason", NULL};
  rt_field_errors_t errs = {0};
  rt__v_unknown(body, known, &errs);
  int64_t need = 0, offer = 0;
  const char *rule = NULL, *reason = "";
  rt__v_id(body, "need_id", "need_id", 1, &errs, &need);
  rt__v_id(body, "offer_id", "offer_id", 1, &errs, &offer);
  int party = call->who.role == RT_ROLE_STATE || call->who.role == RT_ROLE_PROVIDER;
  if (rt__v_enum(body, "rule", "rule", 1, rules, &errs, &rule) > 0 &&
      (strcmp(rule, "no_thanks") == 0) != party)
    rt__field_error(&errs, "rule",
                    party ? "a state or provider says no_thanks; organizers lock or veto"
                          : "organizers lock or veto; no_thanks is the need's state's or the "
                            "offer's provider's to say");
  rt__v_string(body, "reason", "reason", 0, 0, 500, &errs, &reason);
  const char *values[] = {rule, reason};
  rt__own_strings(&call->req->arena, values, 2, &errs);
  json_decref(body);
  if (errs.list) {
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The rule is not valid.",
                            &errs);
    return;
  }
  create_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  ctx->call = call;
  const char *params[] = {rt__id_text(call, need),
                          rt__id_text(call, offer),
                          values[0],
                          side_of(call),
                          values[1] ? values[1] : "",
                          party ? rt__id_text(call, call->who.participant_id) : NULL};
  int rc = rt__api_write(call, create_sql, 6, params, on_created, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

/* ---- GET /pair-rules ---- */

void rt__pair_rules_list(rt_api_call_t *call) {
  static const char *const allowed[] = {"limit", "cursor", "roundtable_id", "need_id", "offer_id",
                                        "rule",  NULL};
  rt_query_t q;
  rt_page_t page;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  const char *ids[3];
  static const char *const id_keys[] = {"roundtable_id", "need_id", "offer_id"};
  for (int i = 0; i < 3; i++)
    if (rt__input_id_filter(call, &q, id_keys[i], &ids[i]))
      return;
  const char *rule = rt__query_get(&q, "rule");
  int known = !rule;
  for (const char *const *r = rules; *r && !known; r++)
    known = strcmp(*r, rule) == 0;
  if (!known) {
    rt_http_respond_problem(call->req, 400, "Bad Request", "rule must be lock, veto or no_thanks.");
    return;
  }
  /* A state or provider sees its own side's rules on its own postings; staff see all. */
  static const char sql[] =
      "SELECT " RULE_JSON ", r.id FROM pair_rules r WHERE r.id > $1"
      " AND ($2::bigint IS NULL OR r.roundtable_id = $2) AND ($3::bigint IS NULL OR r.need_id = $3)"
      " AND ($4::bigint IS NULL OR r.offer_id = $4) AND ($5::text IS NULL OR r.rule = $5)"
      " AND ($6 = 'organizer' OR (r.side = $6 AND EXISTS (SELECT 1 FROM needs n, offers o"
      " WHERE n.id = r.need_id AND o.id = r.offer_id"
      " AND (CASE $6 WHEN 'state' THEN n.participant_id ELSE o.participant_id END) = $7::bigint)))"
      " ORDER BY r.id LIMIT $8";
  int party = call->who.role == RT_ROLE_STATE || call->who.role == RT_ROLE_PROVIDER;
  const char *params[] = {rt__id_text(call, page.after),
                          ids[0],
                          ids[1],
                          ids[2],
                          rule,
                          side_of(call),
                          party ? rt__id_text(call, call->who.participant_id) : NULL,
                          rt__id_text(call, page.limit + 1)};
  rt__exec_list(call, &page, sql, 8, params);
}

/* ---- DELETE /pair-rules/{id} ---- */

void rt__pair_rules_delete(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  /* Staff remove the organizers' rules (admins any); a party only its own side's. */
  static const char sql[] =
      "DELETE FROM pair_rules r USING needs n, offers o WHERE r.id = $1 AND n.id = r.need_id"
      " AND o.id = r.offer_id AND ($2 = 'admin' OR ($2 = 'organizer' AND r.side = 'organizer')"
      " OR (r.side = $2 AND (CASE $2 WHEN 'state' THEN n.participant_id"
      " ELSE o.participant_id END) = $3::bigint)) RETURNING r.id";
  const char *params[] = {rt__id_text(call, id), rt__role_name(call->who.role),
                          call->who.participant_id ? rt__id_text(call, call->who.participant_id)
                                                   : NULL};
  rt__exec_no_content(call, sql, 3, params, "No such rule of yours.");
}
