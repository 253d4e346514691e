/* Who is calling: bearer tokens, their hashes, roles, and the check applied to every
 * route from the route table's roles column. */
#ifndef ROUNDTABLE_API_AUTH_H
#define ROUNDTABLE_API_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "router.h"

/* "rt_" + 43 characters of URL-safe base64 (32 random bytes). */
#define RT_TOKEN_LEN 46
#define RT_TOKEN_HASH_HEX_LEN 64

typedef struct rt_principal_s {
  int64_t token_id;
  rt_role_t role;
  int64_t participant_id; /* 0 when the token is not bound to a participant */
} rt_principal_t;

/* Writes a new random token (RT_TOKEN_LEN chars + NUL) into out. */
int rt__token_generate(char *out, size_t outlen) RT_WUR;
/* Hex SHA-256 of token[0..len) into out (RT_TOKEN_HASH_HEX_LEN + 1 bytes). */
void rt__token_hash_hex(const char *token, size_t len, char *out);
/* Non-zero when s[0..len) has the shape of a token (prefix, length, alphabet). */
int rt__token_well_formed(const char *s, size_t len);

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

#endif
