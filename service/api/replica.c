/* Which reads the read replica may serve (--db-read, docs/scaling.md). */
#include <string.h>

#include "api_internal.h"

/* GET routes whose reads may come from the replica: the roundtable's published data. Not
 * here, so on the primary: who the caller is and what it may do (/me, tokens, accounts,
 * sessions: a revocation counts at once), match runs (their state moves under the
 * caller's eyes and runs are written on the primary), the audit log and /readyz. */
static const char *const replica_routes[] = {
    "/api/v1/themes",
    "/api/v1/participants",
    "/api/v1/participants/{id}",
    "/api/v1/participants/{id}/schedule",
    "/api/v1/roundtables",
    "/api/v1/roundtables/{id}",
    "/api/v1/roundtables/{id}/summary",
    "/api/v1/roundtables/{id}/slots",
    "/api/v1/roundtables/{id}/tables",
    "/api/v1/roundtables/{id}/unavailability",
    "/api/v1/roundtables/{id}/schedule",
    "/api/v1/needs",
    "/api/v1/needs/{id}",
    "/api/v1/needs/{id}/suggestions",
    "/api/v1/offers",
    "/api/v1/offers/{id}",
    "/api/v1/offers/{id}/suggestions",
    "/api/v1/offers/{id}/overlaps",
    "/api/v1/pair-rules",
    "/api/v1/matches",
    "/api/v1/matches/{id}",
};

rt_db_pool_t *rt__api_read_pool(rt_api_call_t *call) {
  rt_db_pool_t *pool = rt__api_pool(call);
  const rt_http_request_t *req = call->req;
  if (!call->route || (req->method != RT_HTTP_GET && req->method != RT_HTTP_HEAD) ||
      !rt_db_read_state(pool)) /* no replica configured: nothing to decide */
    return pool;
  for (size_t i = 0; i < sizeof(replica_routes) / sizeof(replica_routes[0]); i++) {
    if (strcmp(call->route->pattern, replica_routes[i]) != 0)
      continue;
    rt_db_pool_t *read = rt_db_read_pool(
        pool, rt_db_reader_key(call->who.participant_id, call->who.account_id, call->who.token_id));
    /* The response cache keeps the answer only if the replica had replayed every write whose
     * notice began the generation it would be kept under (cache.c). A read that falls back
     * to the primary later only gets fresher. */
    uint64_t as_of = rt_db_read_as_of(read);
    if (as_of != UINT64_MAX && (!call->read_as_of || as_of < call->read_as_of))
      call->read_as_of = as_of ? as_of : 1;
    return read;
  }
  return pool;
}
