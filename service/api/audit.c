/* The audit log: the actor of every write, and GET /api/v1/audit for admins. */
#include "audit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

static json_t *id_or_null(int64_t id) {
  char text[24];
  if (!id)
    return json_null();
  snprintf(text, sizeof(text), "%lld", (long long)id);
  return json_string(text);
}

const char *rt__audit_actor(rt_api_call_t *call) {
  const rt_principal_t *who = &call->who;
  rt_http_request_t *req = call->req;
  json_t *a = json_object();
  if (!a)
    return NULL;
  int rc = json_object_set_new(a, "role",
                               who->role ? json_string(rt__role_name(who->role)) : json_null());
  rc |= json_object_set_new(a, "token_id", id_or_null(who->token_id));
  rc |= json_object_set_new(a, "account_id", id_or_null(who->account_id));
  rc |= json_object_set_new(a, "session_id", id_or_null(who->session_id));
  rc |= json_object_set_new(a, "participant_id", id_or_null(who->participant_id));
  rc |= json_object_set_new(a, "request_id", json_string(req->id));
  rc |= json_object_set_new(a, "method", json_string(req->method_name));
  rc |= json_object_set_new(a, "route", json_string(req->route ? req->route : ""));
  char *text = rc ? NULL : json_dumps(a, JSON_COMPACT);
  json_decref(a);
  const char *out = text ? rt_arena_strdup(&req->arena, text) : NULL;
  free(text);
  return out;
}

int rt__api_write(rt_api_call_t *call, const char *sql, int nparams, const char *const *params,
                  rt_db_result_cb cb, void *data) {
  const char *actor = rt__audit_actor(call);
  if (!actor)
    return RT_ENOMEM;
  return rt_db_tx_exec(rt__api_pool(call), actor, sql, nparams, params, cb, data);
}

int rt__api_tx(rt_api_call_t *call, const char *begin_sql, rt_db_tx_body_cb body,
               rt_db_tx_done_cb done, void *data) {
  const char *actor = rt__audit_actor(call);
  if (!actor)
    return RT_ENOMEM;
  return rt_db_tx_begin(rt__api_pool(call), begin_sql, actor, body, done, data);
}

/* ---- GET /api/v1/audit ---- */

static const char *const entities[] = {"participants", "tokens",  "roundtables", "needs",
                                       "offers",       "matches", "match_runs",  "accounts",
                                       "sessions",     NULL};

static int digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

/* RFC 3339: a date, or a date-time with seconds, optional fraction and a zone (Z or
 * +hh:mm); what PostgreSQL then parses without surprise. */
static int is_timestamp(const char *s) {
  size_t n = strlen(s);
  if (n == 10)
    return rt__is_date(s);
  if (n < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
      !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2))
    return 0;
  char date[11];
  memcpy(date, s, 10);
  date[10] = '\0';
  if (!rt__is_date(date) || atoi(s + 11) > 23 || atoi(s + 14) > 59 || atoi(s + 17) > 60)
    return 0;
  size_t i = 19;
  if (s[i] == '.') {
    size_t f = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++;
    if (i == f || i - f > 9)
      return 0;
  }
  if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
    return 1;
  return i + 6 == n && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
         digits(s + i + 4, 2) && atoi(s + i + 1) <= 23 && atoi(s + i + 4) <= 59;
}

static int bad_query(rt_api_call_t *call, const char *detail) {
  rt_http_respond_problem(call->req, 400, "Bad Request", detail);
  return -1;
}

void rt__audit_list(rt_api_call_t *call) {
  static const char *const allowed[] = {"limit",          "cursor", "entity", "entity_id", "actor",
                                        "participant_id", "since",  "until",  NULL};
  rt_query_t q;
  rt_page_t page;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  const char *entity = rt__query_get(&q, "entity");
  const char *entity_id = rt__query_get(&q, "entity_id");
  const char *actor = rt__query_get(&q, "actor");
  const char *participant = rt__query_get(&q, "participant_id");
  const char *since = rt__query_get(&q, "since");
  const char *until = rt__query_get(&q, "until");
  if (entity) {
    int ok = 0;
    for (const char *const *e = entities; *e; e++)
      ok |= strcmp(*e, entity) == 0;
    if (!ok) {
      bad_query(call, "entity must be one of participants, tokens, roundtables, needs, offers,"
                      " matches, match_runs, accounts, sessions.");
      return;
    }
  }
  if ((entity_id && !rt__parse_id(entity_id)) || (participant && !rt__parse_id(participant))) {
    bad_query(call, "entity_id and participant_id must be ids.");
    return;
  }
  /* actor=token:ID or account:ID: who made the change. */
  const char *actor_token = NULL, *actor_account = NULL;
  if (actor) {
    if (strncmp(actor, "token:", 6) == 0 && rt__parse_id(actor + 6))
      actor_token = actor + 6;
    else if (strncmp(actor, "account:", 8) == 0 && rt__parse_id(actor + 8))
      actor_account = actor + 8;
    else {
      bad_query(call, "actor must be token:ID or account:ID.");
      return;
    }
  }
  if ((since && !is_timestamp(since)) || (until && !is_timestamp(until))) {
    bad_query(call, "since and until must be RFC 3339 timestamps (2024-05-10T09:00:00Z) or"
                    " dates.");
    return;
  }
  static const char sql[] =
      "SELECT json_build_object('id', a.id::text, 'at', rt_ts(a.at), 'actor', a.actor,"
      " 'entity', a.entity, 'entity_id', a.entity_id::text, 'action', a.action,"
      " 'participant_id', a.participant_id::text, 'before', a.before, 'after', a.after)::text,"
      " a.id FROM audit_log a WHERE a.id > $1"
      " AND ($2::text IS NULL OR a.entity = $2)"
      " AND ($3::bigint IS NULL OR a.entity_id = $3)"
      " AND ($4::bigint IS NULL OR a.actor_token_id = $4)"
      " AND ($5::bigint IS NULL OR a.actor_account_id = $5)"
      " AND ($6::bigint IS NULL OR a.participant_id = $6)"
      " AND ($7::timestamptz IS NULL OR a.at >= $7::timestamptz)"
      " AND ($8::timestamptz IS NULL OR a.at < $8::timestamptz)"
      " ORDER BY a.id LIMIT $9";
  const char *params[] = {rt__id_text(call, page.after),
                          entity,
                          entity_id,
                          actor_token,
                          actor_account,
                          participant,
                          since,
                          until,
                          rt__id_text(call, page.limit + 1)};
  rt__exec_list(call, &page, sql, 9, params);
}
