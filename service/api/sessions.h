/* Browser sessions: signing in with an account's email and password, the session cookie,
 * signing out, listing and revoking sessions; and the slow-down of password guessing. */
#ifndef ROUNDTABLE_API_SESSIONS_H
#define ROUNDTABLE_API_SESSIONS_H

#include "api_internal.h"

#define RT_SESSION_COOKIE "rt_session"

/* The value of the rt_session cookie of the request's Cookie header (borrowed; *len bytes,
 * not NUL-terminated), or NULL when there is none. */
const char *rt__session_cookie_value(const rt_http_request_t *req, size_t *len);

/* Adds the Set-Cookie header for the session cookie with value (RT_TOKEN_LEN chars,
 * borrowed), or one that makes the browser forget it when value is NULL. */
int rt__session_set_cookie(rt_api_call_t *call, const char *value) RT_WUR;

/* Idle time after which a session ends (the --session-idle-timeout option). */
uint64_t rt__session_idle_ms(const rt_api_call_t *call);

/* The client's address into out: the peer's, or, when the peer is a trusted proxy, the last
 * address of its X-Forwarded-For. "" when unknown. */
void rt__client_address(rt_api_call_t *call, char *out, size_t outlen);

void rt__session_create(rt_api_call_t *call); /* POST /session: sign in */
void rt__session_get(rt_api_call_t *call);    /* GET /session */
void rt__session_delete(rt_api_call_t *call); /* DELETE /session: sign out */
void rt__sessions_list(rt_api_call_t *call);
void rt__sessions_revoke(rt_api_call_t *call);
/* GET /me for a caller signed in with a session. */
void rt__sessions_me(rt_api_call_t *call);

#endif
