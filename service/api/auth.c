#include "auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "cache.h"
#include "input.h"
#include "sessions.h"

#define SECRET_RANDOM_BYTES 32
#define CSRF_LABEL "roundtable csrf v1"

int rt__secret_generate(const char *prefix, char *out, size_t outlen) {
  if (outlen < RT_TOKEN_LEN + 1 || strlen(prefix) != 3)
    return RT_EINVAL;
  unsigned char raw[SECRET_RANDOM_BYTES];
  randombytes_buf(raw, sizeof(raw));
  memcpy(out, prefix, 3);
  sodium_bin2base64(out + 3, outlen - 3, raw, sizeof(raw),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof(raw));
  return strlen(out) == RT_TOKEN_LEN ? 0 : RT_EINVAL;
}

int rt__token_generate(char *out, size_t outlen) {
  return rt__secret_generate(RT_TOKEN_PREFIX, out, outlen);
}

void rt__token_hash_hex(const char *token, size_t len, char *out) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, (const unsigned char *)token, len);
  sodium_bin2hex(out, RT_TOKEN_HASH_HEX_LEN + 1, hash, sizeof(hash));
}

void rt__session_csrf(const char *secret, size_t len, char out[RT_CSRF_LEN + 1]) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, len);
  crypto_auth_hmacsha256_update(&st, (const unsigned char *)CSRF_LABEL, sizeof(CSRF_LABEL) - 1);
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2base64(out, RT_CSRF_LEN + 1, mac, sizeof(mac),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(&st, sizeof(st));
  sodium_memzero(mac, sizeof(mac));
}

int rt__secret_well_formed(const char *prefix, const char *s, size_t len) {
  if (len != RT_TOKEN_LEN || memcmp(s, prefix, 3) != 0)
    return 0;
  for (size_t i = 3; i < len; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return 0;
  }
  return 1;
}

int rt__token_well_formed(const char *s, size_t len) {
  return rt__secret_well_formed(RT_TOKEN_PREFIX, s, len);
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

int rt__cli_role_check(const char *role, const char *participant, const char *what, char *err,
                       size_t errlen) {
  rt_role_t r;
  if (!role || rt__role_parse(role, &r)) {
    snprintf(err, errlen, "--role must be admin, organizer, state or provider");
    return RT_EINVAL;
  }
  if (participant && !rt__parse_id(participant)) {
    snprintf(err, errlen, "--participant must be a participant id");
    return RT_EINVAL;
  }
  if ((r == RT_ROLE_STATE || r == RT_ROLE_PROVIDER) && !participant) {
    snprintf(err, errlen, "a %s %s needs --participant", role, what);
    return RT_EINVAL;
  }
  return 0;
}

static const char token_lookup_sql[] = "SELECT id, role, coalesce(participant_id, 0) FROM tokens"
                                       " WHERE hash = decode($1, 'hex') AND revoked_at IS NULL";

/* A live session of an enabled account. last_seen_at moves only when it is older than $3 ms,
 * so that a busy page does not rewrite its session row on every request. */
static const char session_lookup_sql[] =
    "WITH s AS (SELECT s.id, a.role, coalesce(a.participant_id, 0) AS participant, a.id AS account,"
    " s.last_seen_at FROM sessions s JOIN accounts a ON a.id = s.account_id"
    " WHERE s.hash = decode($1, 'hex') AND s.revoked_at IS NULL AND a.disabled_at IS NULL"
    " AND s.expires_at > now() AND s.last_seen_at > now() - $2::bigint * interval '1 ms'),"
    " touch AS (UPDATE sessions t SET last_seen_at = now() FROM s WHERE t.id = s.id"
    " AND s.last_seen_at < now() - $3::bigint * interval '1 ms')"
    " SELECT id, role, participant, account FROM s";

static void unauthorized(rt_api_call_t *call, const char *detail) {
  rt_http_request_t *req = call->req;
  int rc = rt_http_add_header(req, "WWW-Authenticate", "Bearer realm=\"roundtable\"");
  /* A cookie that no longer signs anyone in: the browser may forget it. */
  size_t len;
  if (!rc && !rt_http_header(req, "Authorization") && rt__session_cookie_value(req, &len))
    rc = rt__session_set_cookie(call, NULL);
  if (rc) {
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond_problem(req, 401, "Unauthorized", detail);
}

static int state_changing(rt_http_method_t m) {
  return m == RT_HTTP_POST || m == RT_HTTP_PUT || m == RT_HTTP_PATCH || m == RT_HTTP_DELETE;
}

/* A request that a cookie authorises changes nothing without the session's CSRF token: a
 * page of another site can make the browser send the cookie, but cannot read the token. */
static int csrf_ok(rt_api_call_t *call) {
  rt_http_request_t *req = call->req;
  if (!state_changing(req->method))
    return 1;
  size_t len;
  const char *secret = rt__session_cookie_value(req, &len);
  const char *given = rt_http_header(req, "X-CSRF-Token");
  if (!secret || !given || strlen(given) != RT_CSRF_LEN)
    return 0;
  char want[RT_CSRF_LEN + 1];
  rt__session_csrf(secret, len, want);
  int ok = sodium_memcmp(want, given, RT_CSRF_LEN) == 0;
  sodium_memzero(want, sizeof(want));
  return ok;
}

static void authorised_as(rt_api_call_t *call, rt_role_t role) {
  call->who.role = role;
  if (call->who.session_id && !csrf_ok(call)) {
    rt_http_respond_problem(call->req, 403, "Forbidden",
                            "A change made with a session cookie needs the session's CSRF token "
                            "in the X-CSRF-Token header.");
    return;
  }
  if (!(call->route->roles & call->who.role)) {
    rt_http_respond_problem(call->req, 403, "Forbidden", "Your role may not use this operation.");
    return;
  }
  rt__response_cache_run(call, call->synced);
}

static void authorised(rt_api_call_t *call, const char *role) {
  rt_role_t r;
  if (rt__role_parse(role, &r)) {
    unauthorized(call, "The credentials have no valid role.");
    return;
  }
  authorised_as(call, r);
}

/* A bearer token's lookup: what it found is cached under the generation it started in. */
typedef struct token_lookup {
  rt_api_call_t *call;
  const char *hash;
  uint64_t generation;
  rt__token_wait_t wait;
} token_lookup_t;

static void on_token(int status, const rt_db_result_t *res, void *data) {
  token_lookup_t *tl = data;
  rt_api_call_t *call = tl->call;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (rt_db_result_rows(res) != 1) {
    unauthorized(call, "The token is unknown or revoked.");
    return;
  }
  call->who.token_id = strtoll(rt_db_result_value(res, 0, 0), NULL, 10);
  call->who.participant_id = strtoll(rt_db_result_value(res, 0, 2), NULL, 10);
  rt__cached_token_t t = {call->who.token_id, call->who.participant_id, 0};
  if (rt__role_parse(rt_db_result_value(res, 0, 1), &t.role) == 0)
    rt__token_cache_put(tl->hash, &t, tl->generation);
  authorised(call, rt_db_result_value(res, 0, 1));
}

static void on_session(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (rt_db_result_rows(res) != 1) {
    unauthorized(call, "The session has ended (signed out, expired or revoked): sign in again.");
    return;
  }
  call->who.session_id = strtoll(rt_db_result_value(res, 0, 0), NULL, 10);
  call->who.participant_id = strtoll(rt_db_result_value(res, 0, 2), NULL, 10);
  call->who.account_id = strtoll(rt_db_result_value(res, 0, 3), NULL, 10);
  authorised(call, rt_db_result_value(res, 0, 1));
}

/* The hex SHA-256 of a secret, in the request's arena; NULL (answered 500) without memory. */
static char *secret_hash(rt_api_call_t *call, const char *secret, size_t len) {
  char *hash = rt_arena_alloc(&call->req->arena, RT_TOKEN_HASH_HEX_LEN + 1);
  if (!hash) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return NULL;
  }
  rt__token_hash_hex(secret, len, hash);
  return hash;
}

/* Looks a secret's hash up with sql ($1 the hash, then extra[0..nextra)); cb gets data. */
static void lookup(rt_api_call_t *call, const char *hash, const char *sql, const char **extra,
                   int nextra, rt_db_result_cb cb, void *data) {
  const char *params[3] = {hash, nextra > 0 ? extra[0] : NULL, nextra > 1 ? extra[1] : NULL};
  int rc = rt_db_exec(rt__api_pool(call), sql, 1 + nextra, params, cb, data);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

static void on_cached(void *arg, int found, const rt__cached_token_t *t, uint64_t generation,
                      uint64_t sync) {
  token_lookup_t *tl = arg;
  rt_api_call_t *call = tl->call;
  call->synced = sync;
  if (found) {
    call->who.token_id = t->token_id;
    call->who.participant_id = t->participant_id;
    authorised_as(call, t->role);
    return;
  }
  tl->generation = generation;
  lookup(call, tl->hash, token_lookup_sql, NULL, 0, on_token, tl);
}

static void token_lookup(rt_api_call_t *call, const char *secret, size_t len) {
  char *hash = secret_hash(call, secret, len);
  if (!hash)
    return;
  token_lookup_t *tl = rt_arena_alloc(&call->req->arena, sizeof(*tl));
  if (!tl) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  tl->call = call;
  tl->hash = hash;
  rt__token_cache_lookup(rt__api_worker(call->req)->loop, &tl->wait, hash, on_cached, tl);
}

void rt__api_authenticate(rt_api_call_t *call) {
  rt_http_request_t *req = call->req;
  const char *authorization = rt_http_header(req, "Authorization");
  const char *secret;
  size_t len;
  /* A bearer token wins over a cookie: a page of another site can make the browser send the
   * cookie, never an Authorization header. */
  if (!authorization && (secret = rt__session_cookie_value(req, &len)) != NULL) {
    if (!rt__secret_well_formed(RT_SESSION_PREFIX, secret, len)) {
      unauthorized(call, "The session cookie is malformed: sign in again.");
      return;
    }
    uint64_t idle = rt__session_idle_ms(call);
    uint64_t touch = idle / 10 < 60000 ? idle / 10 : 60000;
    const char *extra[] = {rt_arena_printf(&req->arena, "%llu", (unsigned long long)idle),
                           rt_arena_printf(&req->arena, "%llu", (unsigned long long)touch)};
    if (!extra[0] || !extra[1]) {
      rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
      return;
    }
    const char *hash = secret_hash(call, secret, len);
    if (hash)
      lookup(call, hash, session_lookup_sql, extra, 2, on_session, call);
    return;
  }
  switch (rt__bearer(authorization, &secret, &len)) {
  case RT_BEARER_MISSING:
    unauthorized(call, "This operation needs an Authorization: Bearer token or a session.");
    return;
  case RT_BEARER_MALFORMED:
    unauthorized(call, "The Authorization header does not hold a well-formed bearer token.");
    return;
  case RT_BEARER_OK:
    break;
  }
  token_lookup(call, secret, len);
}
