/* Idempotency-Key on POST (docs/reliability.md): the first response to a key is stored in
 * PostgreSQL (so it holds across processes) and replayed for a repeat; the key is scoped
 * to the caller (token or account) and the request target, and expires after 24 hours. */
#ifndef ROUNDTABLE_API_IDEMPOTENCY_H
#define ROUNDTABLE_API_IDEMPOTENCY_H

#include "api_internal.h"

/* Called by the router for an authenticated POST route: when the request carries an
 * Idempotency-Key, wraps call->route so that the key is claimed (or its stored response
 * replayed) before the route's handler runs. Without the header it does nothing. Returns 0,
 * or -1 after answering (out of memory). */
int rt__idempotency_wrap(rt_api_call_t *call);

#endif
