/* Roundtables: POST (organizer, admin), GET list and one (any token), PATCH
 * (organizer, admin). Status moves forward only: planned -> open -> closed. */
#include <string.h>

#include "audit.h"
#include "decoders.h"
#include "resource.h"
#include "roundtables.h"

#define ROUNDTABLE_JSON                                                                            \
  "json_build_object('id', r.id::text, 'title', r.title, 'starts_on', r.starts_on,"                \
  " 'ends_on', r.ends_on, 'location', r.location, 'description', r.description,"                   \
  " 'status', r.status, 'created_at', rt_ts(r.created_at),"                                        \
  " 'updated_at', rt_ts(r.updated_at))::text"

static const char *const statuses[] = {"planned", "open", "closed", NULL};
static const char *const known_fields[] = {"id",         "title",       "starts_on", "ends_on",
                                           "location",   "description", "status",    "created_at",
                                           "updated_at", NULL};
static const char *const read_only[] = {"id", "created_at", "updated_at", NULL};

/* Writable columns, in the order of roundtable_input_t's values. */
enum { F_TITLE, F_STARTS, F_ENDS, F_LOCATION, F_DESCRIPTION, F_STATUS, F_COUNT };
static const char *const columns[F_COUNT] = {"title",    "starts_on",   "ends_on",
                                             "location", "description", "status"};
static const char *const casts[F_COUNT] = {"", "::date", "::date", "", "", ""};

typedef struct roundtable_input {
  const char *values[F_COUNT];
  int given[F_COUNT]; /* present in the body (a value may be NULL: cleared) */
} roundtable_input_t;

/* The one decoder of a roundtable body; creating requires a title. */
static int decode(rt_arena_t *arena, json_t *body, int creating, rt_field_errors_t *errs,
                  roundtable_input_t *in) {
  memset(in, 0, sizeof(*in));
  rt__v_unknown(body, known_fields, errs);
  rt__v_forbidden(body, read_only, errs);
  in->given[F_TITLE] =
      rt__v_string(body, "title", "title", creating, 1, 300, errs, &in->values[F_TITLE]) > 0;
  in->given[F_STARTS] =
      rt__v_date(body, "starts_on", "starts_on", 0, errs, &in->values[F_STARTS]) > 0;
  in->given[F_ENDS] = rt__v_date(body, "ends_on", "ends_on", 0, errs, &in->values[F_ENDS]) > 0;
  in->given[F_LOCATION] =
      rt__v_string(body, "location", "location", 0, 0, 300, errs, &in->values[F_LOCATION]) > 0;
  in->given[F_DESCRIPTION] = rt__v_string(body, "description", "description", 0, 0, 20000, errs,
                                          &in->values[F_DESCRIPTION]) > 0;
  in->given[F_STATUS] =
      rt__v_enum(body, "status", "status", 0, statuses, errs, &in->values[F_STATUS]) > 0;
  if (!creating && json_object_get(body, "title") && json_is_null(json_object_get(body, "title")))
    rt__field_error(errs, "title", "cannot be cleared");
  /* null clears a date, and empties a text */
  for (int f = F_STARTS; f <= F_DESCRIPTION; f++)
    if (json_is_null(json_object_get(body, columns[f])))
      in->given[f] = 1, in->values[f] = f >= F_LOCATION ? "" : NULL;
  if (in->values[F_STARTS] && in->values[F_ENDS] &&
      strcmp(in->values[F_ENDS], in->values[F_STARTS]) < 0)
    rt__field_error(errs, "ends_on", "must not be before starts_on");
  /* Values borrow from body; the caller drops it before the statement runs. */
  rt__own_strings(arena, in->values, F_COUNT, errs);
  return rt__field_errors_any(errs) ? -1 : 0;
}

int rt__roundtable_decode_check(rt_arena_t *arena, json_t *body, int creating,
                                rt_field_errors_t *errs) {
  roundtable_input_t in;
  return decode(arena, body, creating, errs, &in);
}

void rt__roundtables_create(rt_api_call_t *call) {
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  roundtable_input_t in;
  if (decode(&call->req->arena, body, 1, &errs, &in)) {
    json_decref(body);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The roundtable is not valid.",
                            &errs);
    return;
  }
  json_decref(body);
  static const char sql[] =
      "INSERT INTO roundtables AS r (title, starts_on, ends_on, location, description, status)"
      " VALUES ($1, $2::date, $3::date, coalesce($4, ''), coalesce($5, ''),"
      " coalesce($6, 'planned')) RETURNING " ROUNDTABLE_JSON;
  rt__exec_row(call, 201, sql, F_COUNT, in.values);
}

void rt__roundtables_get(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char sql[] = "SELECT " ROUNDTABLE_JSON " FROM roundtables r WHERE r.id = $1";
  const char *params[] = {rt__id_text(call, id)};
  rt__exec_row(call, 200, sql, 1, params);
}

void rt__roundtables_list(rt_api_call_t *call) {
  static const char *const allowed[] = {"limit", "cursor", "status", NULL};
  rt_query_t q;
  rt_page_t page;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  const char *status = rt__query_get(&q, "status");
  if (status) {
    int ok = 0;
    for (const char *const *s = statuses; *s; s++)
      ok |= strcmp(*s, status) == 0;
    if (!ok) {
      rt_http_respond_problem(call->req, 400, "Bad Request",
                              "status must be planned, open or closed.");
      return;
    }
  }
  static const char sql[] = "SELECT " ROUNDTABLE_JSON ", r.id FROM roundtables r"
                            " WHERE r.id > $1 AND ($2::text IS NULL OR r.status = $2)"
                            " ORDER BY r.id LIMIT $3";
  const char *params[] = {rt__id_text(call, page.after), status, rt__id_text(call, page.limit + 1)};
  rt__exec_list(call, &page, sql, 3, params);
}

static void on_patched(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__respond_write_failed(call, status, res);
    return;
  }
  if (rt_db_result_rows(res) < 1 || !rt_db_result_value(res, 0, 0)) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such resource.");
    return;
  }
  if (!rt_db_result_value(res, 0, 1)) {
    char detail[160];
    snprintf(detail, sizeof(detail), "The roundtable is %s; it cannot become %s.",
             rt_db_result_value(res, 0, 0), rt_db_result_value(res, 0, 2));
    rt_http_respond_problem(call->req, 409, "Conflict", detail);
    return;
  }
  rt_http_respond(call->req, 200, "application/json", rt_db_result_value(res, 0, 1),
                  rt_db_result_length(res, 0, 1));
}

void rt__roundtables_patch(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  roundtable_input_t in;
  if (decode(&call->req->arena, body, 0, &errs, &in)) {
    json_decref(body);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The change is not valid.",
                            &errs);
    return;
  }
  /* SET only what was given; $1 is the id, $2 the requested status (may be NULL). */
  rt_arena_t *arena = &call->req->arena;
  const char *params[2 + F_COUNT];
  int n = 0;
  params[n++] = rt__id_text(call, id);
  params[n++] = in.given[F_STATUS] ? in.values[F_STATUS] : NULL;
  rt_buf_t set;
  rt_buf_init(&set, 4096);
  int rc = rt_buf_puts(&set, "updated_at = now()");
  for (int f = 0; f < F_COUNT && !rc; f++) {
    if (!in.given[f])
      continue;
    params[n++] = in.values[f];
    rc = rt_buf_printf(&set, ", %s = $%d%s", columns[f], n, casts[f]);
  }
  json_decref(body);
  char *sql =
      rc ? NULL
         : rt_arena_printf(arena,
                           "WITH cur AS (SELECT status FROM roundtables WHERE id = $1 FOR UPDATE),"
                           " upd AS (UPDATE roundtables r SET %s FROM cur WHERE r.id = $1 AND"
                           " ($2::text IS NULL OR $2 = cur.status OR (cur.status, $2) IN"
                           " (('planned', 'open'), ('planned', 'closed'), ('open', 'closed')))"
                           " RETURNING " ROUNDTABLE_JSON ")"
                           " SELECT (SELECT status FROM cur), (SELECT * FROM upd), $2::text",
                           set.data);
  rt_buf_free(&set);
  if (!sql) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rc = rt__api_write(call, sql, n, params, on_patched, call);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}
