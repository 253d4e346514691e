#include "auth.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"

#define TOKEN_PREFIX "rt_"
#define TOKEN_RANDOM_BYTES 32

int rt__token_generate(char *out, size_t outlen) {
  if (outlen < RT_TOKEN_LEN + 1)
    return RT_EINVAL;
  unsigned char raw[TOKEN_RANDOM_BYTES];
  randombytes_buf(raw, sizeof(raw));
  memcpy(out, TOKEN_PREFIX, 3);
  sodium_bin2base64(out + 3, outlen - 3, raw, sizeof(raw),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof(raw));
  return strlen(out) == RT_TOKEN_LEN ? 0 : RT_EINVAL;
}

void rt__token_hash_hex(const char *token, size_t len, char *out) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, (const unsigned char *)token, len);
  sodium_bin2hex(out, RT_TOKEN_HASH_HEX_LEN + 1, hash, sizeof(hash));
}

int rt__token_well_formed(const char *s, size_t len) {
  if (len != RT_TOKEN_LEN || memcmp(s, TOKEN_PREFIX, 3) != 0)
    return 0;
  for (size_t i = 3; i < len; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return 0;
  }
  return 1;
}

rt_bearer_t rt__bearer(const char *authorization, const char **token, size_t *len) {
  if (!authorization)
    return RT_BEARER_MISSING;
  const char *p = authorization;
  if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
    return RT_BEARER_MALFORMED;
  p += 6;
  while (*p == ' ' || *p == '\t')
    p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  if (!rt__token_well_formed(p, n))
    return RT_BEARER_MALFORMED;
  *token = p;
  *len = n;
  return RT_BEARER_OK;
}

static const struct {
  rt_role_t role;
  const char *name;
} role_names[] = {
    {RT_ROLE_ADMIN, "admin"},
    {RT_ROLE_ORGANIZER, "organizer"},
    {RT_ROLE_STATE, "state"},
    {RT_ROLE_PROVIDER, "provider"},
};

const char *rt__role_name(rt_role_t role) {
  for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
    if (role_names[i].role == role)
      return role_names[i].name;
  return "unknown";
}

int rt__role_parse(const char *s, rt_role_t *out) {
  for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
    if (strcmp(role_names[i].name, s) == 0) {
      *out = role_names[i].role;
      return 0;
    }
  }
  return RT_EINVAL;
}

static const char token_lookup_sql[] = "SELECT id, role, coalesce(participant_id, 0) FROM tokens"
                                       " WHERE hash = decode($1, 'hex') AND revoked_at IS NULL";

static void unauthorized(rt_http_request_t *req, const char *detail) {
  if (rt_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"roundtable\"")) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond_problem(req, 401, "Unauthorized", detail);
}

static void on_token(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (rt_db_result_rows(res) != 1) {
    unauthorized(call->req, "The token is unknown or revoked.");
    return;
  }
  call->who.token_id = strtoll(rt_db_result_value(res, 0, 0), NULL, 10);
  if (rt__role_parse(rt_db_result_value(res, 0, 1), &call->who.role)) {
    unauthorized(call->req, "The token has no valid role.");
    return;
  }
  call->who.participant_id = strtoll(rt_db_result_value(res, 0, 2), NULL, 10);
  if (!(call->route->roles & call->who.role)) {
    rt_http_respond_problem(call->req, 403, "Forbidden", "Your role may not use this operation.");
    return;
  }
  call->route->handler(call);
}

void rt__api_authenticate(rt_api_call_t *call) {
  rt_http_request_t *req = call->req;
  const char *token;
  size_t len;
  switch (rt__bearer(rt_http_header(req, "Authorization"), &token, &len)) {
  case RT_BEARER_MISSING:
    unauthorized(req, "This operation needs an Authorization: Bearer token.");
    return;
  case RT_BEARER_MALFORMED:
    unauthorized(req, "The Authorization header does not hold a well-formed bearer token.");
    return;
  case RT_BEARER_OK:
    break;
  }
  char *hash = rt_arena_alloc(&req->arena, RT_TOKEN_HASH_HEX_LEN + 1);
  if (!hash) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt__token_hash_hex(token, len, hash);
  const char *params[] = {hash};
  int rc = rt_db_exec(rt__api_pool(call), token_lookup_sql, 1, params, on_token, call);
  if (rc)
    rt__api_db_failed(req, rc, NULL);
}
