/* The audit log (docs/reliability.md): who wrote what, recorded by database triggers in the
 * same transaction as every write (sql/006_audit.sql). The API layer's part is to hand the
 * caller's identity to that transaction, and to let admins read the log. */
#ifndef ROUNDTABLE_API_AUDIT_H
#define ROUNDTABLE_API_AUDIT_H

#include "api_internal.h"

/* The caller as the audit triggers record it: a JSON object text in the request arena
 * (role, token_id, account_id, session_id, participant_id, request_id, method, route);
 * NULL when out of memory. */
const char *rt__audit_actor(rt_api_call_t *call);

/* A write: one statement (sql and params borrowed, copied) in its own transaction with the
 * caller set as the actor, retried on a serialization failure or deadlock; cb as for
 * rt_db_exec, after COMMIT. Fails at once like rt_db_exec (cb then not called). */
int rt__api_write(rt_api_call_t *call, const char *sql, int nparams, const char *const *params,
                  rt_db_result_cb cb, void *data) RT_WUR;

/* A write of several statements: rt_db_tx_begin with the caller set as the actor. */
int rt__api_tx(rt_api_call_t *call, const char *begin_sql, rt_db_tx_body_cb body,
               rt_db_tx_done_cb done, void *data) RT_WUR;

/* GET /api/v1/audit (admin). */
void rt__audit_list(rt_api_call_t *call);

#endif
