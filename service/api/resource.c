#include "resource.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "roundtable/log.h"

void rt__respond_row(rt_api_call_t *call, int status, const rt_db_result_t *res) {
  if (rt_db_result_rows(res) < 1) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such resource.");
    return;
  }
  rt_http_respond(call->req, status, "application/json", rt_db_result_value(res, 0, 0),
                  rt_db_result_length(res, 0, 0));
}

void rt__respond_items(rt_api_call_t *call, const rt_db_result_t *res, int shown,
                       const char *cursor) {
  rt_buf_t out;
  rt_buf_init(&out, 0);
  size_t need = 64;
  for (int r = 0; r < shown; r++)
    need += rt_db_result_length(res, r, 0) + 1;
  int rc = rt_buf_reserve(&out, need);
  if (!rc)
    rc = rt_buf_puts(&out, "{\"items\":[");
  for (int r = 0; r < shown && !rc; r++) {
    if (r)
      rc = rt_buf_append(&out, ",", 1);
    if (!rc)
      rc = rt_buf_append(&out, rt_db_result_value(res, r, 0), rt_db_result_length(res, r, 0));
  }
  if (!rc)
    rc = cursor ? rt_buf_printf(&out, "],\"next_cursor\":\"%s\"}", cursor)
                : rt_buf_puts(&out, "],\"next_cursor\":null}");
  if (rc) {
    rt_buf_free(&out);
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond_buf(call->req, 200, "application/json", &out);
}

void rt__respond_list(rt_api_call_t *call, const rt_db_result_t *res, const rt_page_t *page) {
  int rows = rt_db_result_rows(res);
  int shown = rows > page->limit ? page->limit : rows;
  char cursor[32];
  if (rows > page->limit)
    rt__cursor_encode(strtoll(rt_db_result_value(res, shown - 1, 1), NULL, 10), cursor,
                      sizeof(cursor));
  rt__respond_items(call, res, shown, rows > page->limit ? cursor : NULL);
}

int64_t rt__path_id(rt_api_call_t *call, int index) {
  int64_t id = index < call->params.count ? rt__parse_id(call->params.values[index]) : 0;
  if (!id)
    rt_http_respond_problem(call->req, 404, "Not Found", "No such resource.");
  return id;
}

const char *rt__id_text(rt_api_call_t *call, int64_t id) {
  return rt_arena_printf(&call->req->arena, "%" PRId64, id);
}

/* Constraint names end in the field they guard: needs_window_ordered -> window. */
static const struct {
  const char *suffix;
  const char *field;
  const char *message;
} constraint_fields[] = {
    {"_window_ordered", "window.end", "must not be before window.start"},
    {"_dates_ordered", "ends_on", "must not be before starts_on"},
    {"_themes_known", "themes", "holds an unknown theme"},
    {"_languages_known", "languages", "holds an unknown language"},
    {"_regions_known", "regions", "holds an unknown region"},
    {"_countries_known", "countries", "holds an unknown country"},
    {"_posted_by_state", "participant_id", "must be a state"},
    {"_posted_by_provider", "participant_id", "must be a donor or an implementer"},
    {"_role_matches_participant", "participant_id", "does not fit the role"},
    {"_party_roles_bound", "participant_id", "is required for this role"},
    {"_kind_in_use", "kind",
     "cannot change between state and provider once it has tokens or postings"},
    {"_state_has_country", "country", "is required for a state"},
    {"_region_matches_country", "region", "does not match the country's regional group"},
    {"_contact_email_check", "contact.email", "must be an email address"},
};

void rt__respond_write_failed(rt_api_call_t *call, int status, const rt_db_result_t *res) {
  const char *state = res ? rt_db_result_sqlstate(res) : "";
  if (status == RT_EDB_QUERY &&
      (strcmp(state, "23514") == 0 || strcmp(state, "23503") == 0 || strcmp(state, "23502") == 0 ||
       strcmp(state, "22001") == 0 || strcmp(state, "22003") == 0 || strcmp(state, "22007") == 0 ||
       strcmp(state, "22008") == 0)) {
    const char *msg = rt_db_result_message(res);
    const char *constraint = rt_db_result_constraint(res);
    size_t clen = strlen(constraint);
    rt_field_errors_t errs = {0};
    const char *field = NULL, *text = NULL;
    for (size_t i = 0; i < sizeof(constraint_fields) / sizeof(constraint_fields[0]); i++) {
      size_t slen = strlen(constraint_fields[i].suffix);
      if (clen >= slen && strcmp(constraint + clen - slen, constraint_fields[i].suffix) == 0) {
        field = constraint_fields[i].field;
        text = constraint_fields[i].message;
        break;
      }
    }
    /* foreign keys are named table_column_fkey: the column is the field */
    const char *table_end = strchr(constraint, '_');
    if (!field && clen > 5 && strcmp(constraint + clen - 5, "_fkey") == 0 && table_end) {
      field = rt_arena_strndup(&call->req->arena, table_end + 1,
                               (size_t)(constraint + clen - 5 - (table_end + 1)));
      text = "refers to something that does not exist";
    }
    if (field)
      rt__field_error(&errs, field, "%s", text);
    else
      rt__field_error(&errs, "", "%s", msg);
    RT_LOG(RT_LOG_INFO, call->req->id, "write refused by the database: %s", msg);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content",
                            "The request breaks a rule of the data model.", &errs);
    return;
  }
  rt__api_db_failed(call->req, status, res);
}

typedef struct exec_ctx {
  rt_api_call_t *call;
  int http_status;
  rt_page_t page;
} exec_ctx_t;

static exec_ctx_t *exec_ctx(rt_api_call_t *call) {
  exec_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx)
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
  else
    ctx->call = call;
  return ctx;
}

static void on_row(int status, const rt_db_result_t *res, void *data) {
  exec_ctx_t *ctx = data;
  if (status)
    rt__respond_write_failed(ctx->call, status, res);
  else
    rt__respond_row(ctx->call, ctx->http_status, res);
}

void rt__exec_row(rt_api_call_t *call, int http_status, const char *sql, int nparams,
                  const char *const *params) {
  exec_ctx_t *ctx = exec_ctx(call);
  if (!ctx)
    return;
  ctx->http_status = http_status;
  /* Writes run in a transaction that names the caller for the audit log. */
  int read = call->req->method == RT_HTTP_GET || call->req->method == RT_HTTP_HEAD;
  int rc = !sql   ? RT_ENOMEM
           : read ? rt_db_exec(rt__api_read_pool(call), sql, nparams, params, on_row, ctx)
                  : rt__api_write(call, sql, nparams, params, on_row, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

static void on_list(int status, const rt_db_result_t *res, void *data) {
  exec_ctx_t *ctx = data;
  if (status)
    rt__api_db_failed(ctx->call->req, status, res);
  else
    rt__respond_list(ctx->call, res, &ctx->page);
}

static void on_sublist(int status, const rt_db_result_t *res, void *data) {
  exec_ctx_t *ctx = data;
  if (status)
    rt__api_db_failed(ctx->call->req, status, res);
  else if (rt_db_result_rows(res) == 0)
    rt_http_respond_problem(ctx->call->req, 404, "Not Found", "No such resource.");
  else if (!rt_db_result_value(res, 0, 0))
    rt__respond_items(ctx->call, res, 0, NULL);
  else
    rt__respond_list(ctx->call, res, &ctx->page);
}

static void exec_page(rt_api_call_t *call, const rt_page_t *page, const char *sql, int nparams,
                      const char *const *params, rt_db_result_cb cb) {
  exec_ctx_t *ctx = exec_ctx(call);
  if (!ctx)
    return;
  ctx->page = *page;
  int rc = sql ? rt_db_exec(rt__api_read_pool(call), sql, nparams, params, cb, ctx) : RT_ENOMEM;
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

void rt__exec_list(rt_api_call_t *call, const rt_page_t *page, const char *sql, int nparams,
                   const char *const *params) {
  exec_page(call, page, sql, nparams, params, on_list);
}

void rt__exec_credentials_list(rt_api_call_t *call, const char *sql) {
  static const char *const allowed[] = {"limit", "cursor", "participant_id", NULL};
  rt_query_t q;
  rt_page_t page;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  const char *participant;
  if (rt__input_id_filter(call, &q, "participant_id", &participant))
    return;
  const char *params[] = {rt__id_text(call, page.after), rt__role_name(call->who.role), participant,
                          rt__id_text(call, page.limit + 1)};
  rt__exec_list(call, &page, sql, 4, params);
}

void rt__exec_sublist(rt_api_call_t *call, const rt_page_t *page, const char *sql, int nparams,
                      const char *const *params) {
  exec_page(call, page, sql, nparams, params, on_sublist);
}

typedef struct no_content_ctx {
  rt_api_call_t *call;
  const char *missing;
} no_content_ctx_t;

static void on_no_content(int status, const rt_db_result_t *res, void *data) {
  no_content_ctx_t *ctx = data;
  if (status)
    rt__api_db_failed(ctx->call->req, status, res);
  else if (rt_db_result_rows(res) < 1)
    rt_http_respond_problem(ctx->call->req, 404, "Not Found", ctx->missing);
  else
    rt_http_respond(ctx->call->req, 204, NULL, NULL, 0);
}

void rt__exec_no_content(rt_api_call_t *call, const char *sql, int nparams,
                         const char *const *params, const char *missing) {
  no_content_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  ctx->call = call;
  ctx->missing = missing;
  int rc = rt__api_write(call, sql, nparams, params, on_no_content, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

int rt__input_id_filter(rt_api_call_t *call, const rt_query_t *q, const char *key,
                        const char **out) {
  *out = rt__query_get(q, key);
  if (*out && !rt__parse_id(*out)) {
    const char *detail = rt_arena_printf(&call->req->arena, "%s must be an id.", key);
    rt_http_respond_problem(call->req, 400, "Bad Request", detail ? detail : "Not an id.");
    return -1;
  }
  return 0;
}
