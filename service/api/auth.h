/* Who is calling: bearer tokens, their hashes, roles, and the check applied to every
 * route from the route table's roles column. */
#ifndef ROUNDTABLE_API_AUTH_H
#define ROUNDTABLE_API_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "router.h"

/* "rt_" + 43 characters of URL-safe base64 (32 random bytes). Session secrets have the
 * same shape with the prefix "rs_", so neither can pass for the other. */
#define RT_TOKEN_LEN 46
#define RT_TOKEN_HASH_HEX_LEN 64
#define RT_TOKEN_PREFIX "rt_"
#define RT_SESSION_PREFIX "rs_"
/* A session's CSRF token: 43 characters of URL-safe base64 (an HMAC-SHA256). */
#define RT_CSRF_LEN 43

/* Who is calling: a bearer token, or a session of an account (browser sign-in). */
typedef struct rt_principal_s {
  int64_t token_id;   /* 0 when a session authorised the request */
  int64_t session_id; /* 0 when a token did */
  int64_t account_id; /* the session's account; 0 for a token */
  rt_role_t role;
  int64_t participant_id; /* 0 when the caller is not bound to a participant */
} rt_principal_t;

/* Writes a new random secret, prefix (3 chars) + 43 (RT_TOKEN_LEN chars + NUL), into out. */
int rt__secret_generate(const char *prefix, char *out, size_t outlen) RT_WUR;
/* Non-zero when s[0..len) has the shape of a secret with that prefix. */
int rt__secret_well_formed(const char *prefix, const char *s, size_t len);
/* rt__secret_generate and rt__secret_well_formed for API tokens. */
int rt__token_generate(char *out, size_t outlen) RT_WUR;
int rt__token_well_formed(const char *s, size_t len);
/* Hex SHA-256 of token[0..len) into out (RT_TOKEN_HASH_HEX_LEN + 1 bytes): tokens and
 * session secrets are stored only as this. */
void rt__token_hash_hex(const char *token, size_t len, char *out);
/* The CSRF token of a session (RT_CSRF_LEN chars + NUL into out): an HMAC of a fixed label
 * keyed with the session's secret, so that it is stored nowhere and only the holder of the
 * cookie's value (the server, the signed-in page) can know it. */
void rt__session_csrf(const char *secret, size_t len, char out[RT_CSRF_LEN + 1]);

typedef enum rt_bearer {
  RT_BEARER_OK,
  RT_BEARER_MISSING,
  RT_BEARER_MALFORMED,
} rt_bearer_t;
/* Extracts the token of an "Authorization: Bearer <token>" header (borrowed). */
rt_bearer_t rt__bearer(const char *authorization, const char **token, size_t *len);

const char *rt__role_name(rt_role_t role);
/* Parses "admin", "organizer", "state", "provider"; 0 or RT_EINVAL. */
int rt__role_parse(const char *s, rt_role_t *out) RT_WUR;
/* The command line's --role and --participant for a new credential (what: "token",
 * "account"): 0, or RT_EINVAL with a one-line reason in err. */
int rt__cli_role_check(const char *role, const char *participant, const char *what, char *err,
                       size_t errlen) RT_WUR;

#endif
