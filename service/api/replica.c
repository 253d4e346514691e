/* Which reads the read replica may serve (--db-read, docs/scaling.md): the GET routes marked
 * RT_ROUTE_REPLICA in the route table (api.c), the roundtable's published data. Not marked, so
 * on the primary: who the caller is and what it may do (/me, tokens, accounts, sessions: a
 * revocation counts at once), match runs (their state moves under the caller's eyes and runs
 * are written on the primary), the audit log and /readyz. */
#include "api_internal.h"

rt_db_pool_t *rt__api_read_pool(rt_api_call_t *call) {
  rt_db_pool_t *pool = rt__api_pool(call);
  const rt_http_request_t *req = call->req;
  if (!call->route || !(call->route->flags & RT_ROUTE_REPLICA) ||
      (req->method != RT_HTTP_GET && req->method != RT_HTTP_HEAD) ||
      !rt_db_read_state(pool)) /* no replica configured: nothing to decide */
    return pool;
  rt_db_pool_t *read = rt_db_read_pool(
      pool, rt_db_reader_key(call->who.participant_id, call->who.account_id, call->who.token_id));
  /* The response cache keeps the answer only if the replica had replayed every write whose
   * notice began the generation it would be kept under (cache.c). A read that falls back to
   * the primary later only gets fresher. */
  uint64_t as_of = rt_db_read_as_of(read);
  if (as_of != UINT64_MAX && (!call->read_as_of || as_of < call->read_as_of))
    call->read_as_of = as_of ? as_of : 1;
  return read;
}
