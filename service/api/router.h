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

typedef void (*rt_route_handler_fn)(rt_http_request_t *req, const rt_route_params_t *params);

typedef struct rt_route_s {
  rt_http_method_t method; /* GET also answers HEAD */
  const char *pattern;     /* "/api/v1/needs/{id}": literal segments and {name} */
  rt_route_handler_fn handler;
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

/* Decodes %XX escapes of src[0..len) into a new arena string; NULL when an escape is
 * malformed or decodes to NUL. */
char *rt__percent_decode(rt_arena_t *arena, const char *src, size_t len);

#endif
