/* One statement from a command-line tool: a private loop and a pool of one connection,
 * so the CLI goes through exactly the code the service uses. Blocking; never call it
 * from an event-loop thread. */
#include <string.h>

#include "roundtable/db.h"

typedef struct once_ctx {
  rt_db_pool_t *pool;
  rt_db_result_cb cb;
  void *data;
  int done;
} once_ctx_t;

static void on_result(int status, const rt_db_result_t *res, void *data) {
  once_ctx_t *ctx = data;
  ctx->done = 1;
  ctx->cb(status, res, ctx->data);
  rt_db_pool_close(ctx->pool, NULL, NULL);
}

int rt_db_exec_once(const rt_db_options_t *opts, const char *sql, int nparams,
                    const char *const *values, rt_db_result_cb cb, void *data) {
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  if (rc)
    return rc;
  rt_db_options_t o = *opts;
  o.pool_size = 1;
  once_ctx_t ctx = {.cb = cb, .data = data};
  rc = rt_db_pool_create(&loop, &o, &ctx.pool);
  if (!rc) {
    rc = rt_db_exec(ctx.pool, sql, nparams, values, on_result, &ctx);
    if (rc)
      rt_db_pool_close(ctx.pool, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  if (uv_loop_close(&loop) == UV_EBUSY) {
    uv_run(&loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&loop);
  }
  return rc;
}
