/* The API layer: routes every request of the HTTP core to its handler. The only
 * module that knows the API contract (../shared/API.md). */
#ifndef ROUNDTABLE_API_H
#define ROUNDTABLE_API_H

#include <uv.h>

#include "roundtable/db.h"
#include "roundtable/http.h"

typedef struct rt_api_app_s {
  const rt_db_options_t *db; /* borrowed; outlives the server */
} rt_api_app_t;

/* The hooks to pass to rt_http_server_run; app (borrowed) goes in hooks.app. */
rt_http_hooks_t rt_api_hooks(rt_api_app_t *app);

#endif
