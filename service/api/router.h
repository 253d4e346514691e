/* The route table: (method, pattern, handler) rows; tells 404 from 405. */
#ifndef ROUNDTABLE_API_ROUTER_H
#define ROUNDTABLE_API_ROUTER_H

#include <stddef.h>

#include "roundtable/http.h"

#define RT_ROUTE_MAX_PARAMS 4

/* Path parameters ({id}) of the matched route, percent-decoded, in the request arena. */
typedef struct rt_route_params_s {
  const char *values[RT_ROUTE_MAX_PARAMS];
  int count;
} rt_route_params_t;

/* Roles, as bits so that a route can name who may call it. */
typedef enum rt_role {
  RT_ROLE_ADMIN = 1u << 0,
  RT_ROLE_ORGANIZER = 1u << 1,
  RT_ROLE_STATE = 1u << 2,
  RT_ROLE_PROVIDER = 1u << 3,
} rt_role_t;
#define RT_ROLES_PUBLIC 0u /* no credentials needed */
#define RT_ROLES_ANY (RT_ROLE_ADMIN | RT_ROLE_ORGANIZER | RT_ROLE_STATE | RT_ROLE_PROVIDER)
#define RT_ROLES_STAFF (RT_ROLE_ADMIN | RT_ROLE_ORGANIZER)

struct rt_api_call_s; /* what a handler receives; see api_internal.h */
typedef void (*rt_route_handler_fn)(struct rt_api_call_s *call);

/* What a route allows beside its handler (the route table says it for each route). */
enum {
  RT_ROUTE_UPLOAD = 1u << 0,  /* takes bodies up to --max-upload-bytes, not --max-body-bytes */
  RT_ROUTE_REPLICA = 1u << 1, /* a GET whose reads may come from --db-read (replica.c) */
  RT_ROUTE_CACHED = 1u << 2,  /* a GET whose 200 answers the response cache may keep (cache.c) */
};

typedef struct rt_route_s {
  rt_http_method_t method; /* GET also answers HEAD */
  const char *pattern;     /* "/api/v1/needs/{id}": literal segments and {name} */
  unsigned roles;          /* RT_ROLE_* bits allowed to call it; RT_ROLES_PUBLIC for anyone */
  rt_route_handler_fn handler;
  unsigned flags; /* RT_ROUTE_* bits */
} rt_route_t;

typedef enum rt_route_result {
  RT_ROUTE_FOUND,
  RT_ROUTE_NO_PATH,   /* 404 */
  RT_ROUTE_NO_METHOD, /* 405: allow lists the methods that the path accepts */
  RT_ROUTE_BAD_PATH,  /* 400: undecodable percent-encoding */
} rt_route_result_t;

/* Finds the route for method and path (not decoded; length path_len) in table[n].
 * On FOUND, *route and params are set (params values allocated in arena); on
 * NO_METHOD, allow (size allowlen) receives e.g. "GET, HEAD, POST". */
rt_route_result_t rt__route_match(const rt_route_t *table, size_t n, rt_http_method_t method,
                                  const char *path, size_t path_len, rt_arena_t *arena,
                                  const rt_route_t **route, rt_route_params_t *params, char *allow,
                                  size_t allowlen);

/* Decodes %XX escapes of src[0..len) (and '+' as space in query strings) into a new
 * arena string; NULL when an escape is malformed or decodes to NUL. */
char *rt__percent_decode(rt_arena_t *arena, const char *src, size_t len, int plus_is_space);

#endif
