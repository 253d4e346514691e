/* Bulk import: POST /roundtables/{id}/import?entity=needs|offers with text/csv (a header
 * row; list fields separated by ';') or a JSON array of objects. All or nothing: every
 * row is checked by the same decoder as POST /needs and /offers, off the event loop;
 * any bad row gets a 422 that lists each bad row's number and field, and nothing is
 * written; otherwise one statement inserts them all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "csv.h"
#include "import.h"
#include "postings.h"

#define IMPORT_MAX_ROWS 200000
#define RT_STRINGIFY_(x) #x
#define RT_STRINGIFY(x) RT_STRINGIFY_(x)
#define IMPORT_MAX_ERRORS 1000
#define CSV_MAX_COLUMNS 32

typedef struct import_job {
  rt_api_call_t *call;
  rt_db_tx_t *tx; /* while the transaction's body runs */
  const rt_posting_kind_t *kind;
  int64_t roundtable_id;
  int csv; /* else JSON */
  /* results of the work on the thread pool */
  int status;       /* 0, or an HTTP status to answer with (400, 422) */
  char detail[256]; /* for 400 and 422 */
  json_t *errors;   /* [{"row","field","message"}] */
  char *rows_json;  /* the rows to insert, a JSON array (malloc'd) */
  size_t row_count;
  /* the insert's transaction */
  rt_db_conn_t *conn;
  const char *rt_status; /* the roundtable's status, NULL when there is none */
  const char *inserted;  /* rows inserted, NULL when the roundtable is closed */
} import_job_t;

/* A large import runs longer than the service's statement_timeout allows an ordinary
 * request; its own transaction gets this one (milliseconds). */
#define IMPORT_STATEMENT_TIMEOUT_MS 600000

static void add_row_errors(import_job_t *job, size_t row, rt_field_errors_t *errs) {
  size_t i;
  json_t *e;
  json_array_foreach(errs->list, i, e) {
    if (json_array_size(job->errors) >= IMPORT_MAX_ERRORS)
      break;
    json_object_set_new(e, "row", json_integer((json_int_t)row));
    json_array_append(job->errors, e);
  }
  json_decref(errs->list);
  errs->list = NULL;
}

/* A CSV cell as the JSON value the decoder expects for that field. */
static json_t *cell_value(const rt_posting_field_t *f, const char *cell) {
  char *end;
  switch (f ? f->type : RT_PF_TEXT) {
  case RT_PF_CODES: {
    json_t *arr = json_array();
    const char *p = cell;
    while (arr && *p) {
      size_t n = strcspn(p, ";");
      const char *s = p, *e = p + n;
      while (s < e && (*s == ' ' || *s == '\t'))
        s++;
      while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
      json_array_append_new(arr, json_stringn(s, (size_t)(e - s)));
      p += n + (p[n] == ';');
    }
    return arr;
  }
  case RT_PF_INT: {
    long long v = strtoll(cell, &end, 10);
    return *end ? json_string(cell) : json_integer(v);
  }
  case RT_PF_MONEY: {
    /* Only a decimal amount is a number: strtod also reads "nan", "inf" and hex, and a
     * value jansson cannot hold (not finite) would silently leave the field out. */
    double v = strtod(cell, &end);
    return *end || !isfinite(v) || strpbrk(cell, "xX") ? json_string(cell) : json_real(v);
  }
  default:
    return json_string(cell);
  }
}

/* Maps a CSV header name to a field ("window_start" also names "window.start"); NULL for
 * participant_id / roundtable_id, which are not in the field table. */
static const rt_posting_field_t *column_field(const rt_posting_kind_t *kind, const char *name) {
  for (size_t i = 0; i < kind->nfields; i++)
    if (strcmp(kind->fields[i].key, name) == 0 || strcmp(kind->fields[i].column, name) == 0)
      return &kind->fields[i];
  return NULL;
}

static void check_row(import_job_t *job, json_t *row, size_t number, json_t *rows) {
  rt_field_errors_t errs = {0};
  if (rt__postings_import_row(job->call, job->kind, row, job->roundtable_id, &errs, rows))
    add_row_errors(job, number, &errs);
}

static void work_csv(import_job_t *job, json_t *rows) {
  rt_http_request_t *req = job->call->req;
  if (req->body && !rt__utf8_valid(req->body, req->body_len)) {
    job->status = 400;
    snprintf(job->detail, sizeof(job->detail), "The CSV is not valid UTF-8.");
    return;
  }
  rt_csv_t csv;
  rt__csv_init(&csv, req->body ? req->body : "", req->body_len);
  char *header[CSV_MAX_COLUMNS];
  const rt_posting_field_t *fields[CSV_MAX_COLUMNS];
  int ncols =
      rt__csv_next(&csv, &req->arena, header, CSV_MAX_COLUMNS, job->detail, sizeof(job->detail));
  if (ncols <= 0) {
    job->status = 400;
    if (ncols == 0)
      snprintf(job->detail, sizeof(job->detail), "The CSV has no header row.");
    return;
  }
  for (int c = 0; c < ncols; c++) {
    fields[c] = column_field(job->kind, header[c]);
    int known = fields[c] || strcmp(header[c], "participant_id") == 0 ||
                strcmp(header[c], "roundtable_id") == 0;
    int repeated = 0; /* also window_start after window.start: one field, two names */
    for (int d = 0; d < c && known && !repeated; d++)
      repeated = strcmp(header[d], header[c]) == 0 || (fields[c] && fields[d] == fields[c]);
    if (!known || repeated) {
      /* the first such column names the problem; each is listed in errors */
      if (!job->status)
        snprintf(job->detail, sizeof(job->detail),
                 "CSV column \"%.*s\" is unknown or repeated; columns are the %s fields.",
                 rt__utf8_prefix(header[c], 60), header[c], job->kind->singular);
      job->status = 422;
      json_array_append_new(job->errors, json_pack("{s:s, s:o}", "field", header[c], "message",
                                                   repeated ? json_string("is a repeated column")
                                                            : json_sprintf("is not a field of a %s",
                                                                           job->kind->singular)));
    }
  }
  if (job->status)
    return;
  char *cells[CSV_MAX_COLUMNS];
  size_t number = 0;
  int n;
  /* Cells live in an arena reset every row; the decoder copies what it keeps. */
  rt_arena_t scratch;
  rt_arena_init(&scratch, 16384);
  while ((n = rt__csv_next(&csv, &scratch, cells, CSV_MAX_COLUMNS, job->detail,
                           sizeof(job->detail))) > 0) {
    number++;
    if (number > IMPORT_MAX_ROWS)
      break;
    if (n != ncols) {
      json_array_append_new(
          job->errors, json_pack("{s:I, s:s, s:s}", "row", (json_int_t)number, "field", "",
                                 "message", "has a different number of fields than the header"));
      rt_arena_reset(&scratch);
      continue;
    }
    json_t *row = json_object();
    for (int c = 0; c < ncols && row; c++) {
      if (!cells[c][0])
        continue; /* an empty cell is an absent field */
      json_t *v = cell_value(fields[c], cells[c]);
      const char *dot = fields[c] ? strchr(fields[c]->key, '.') : NULL;
      if (dot) { /* window.start: a key of the nested window object */
        json_t *window = json_object_get(row, "window");
        if (!window)
          json_object_set_new(row, "window", window = json_object());
        json_object_set_new(window, dot + 1, v);
      } else {
        json_object_set_new(row, fields[c] ? fields[c]->key : header[c], v);
      }
    }
    if (row)
      check_row(job, row, number, rows);
    json_decref(row);
    rt_arena_reset(&scratch);
  }
  rt_arena_reset(&scratch);
  if (n < 0) {
    job->status = 400;
    return;
  }
  if (number > IMPORT_MAX_ROWS) {
    job->status = 422;
    snprintf(job->detail, sizeof(job->detail), "An import holds at most %d rows.", IMPORT_MAX_ROWS);
  }
}

static void work_json(import_job_t *job, json_t *rows) {
  rt_http_request_t *req = job->call->req;
  if (req->body && memchr(req->body, '\0', req->body_len)) {
    job->status = 400;
    snprintf(job->detail, sizeof(job->detail), "Malformed JSON: NUL byte.");
    return;
  }
  json_error_t err;
  json_t *arr = json_loadb(req->body ? req->body : "", req->body_len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
  if (!arr) {
    job->status = 400;
    snprintf(job->detail, sizeof(job->detail), "Malformed JSON at line %d, column %d: %s", err.line,
             err.column, err.text);
    return;
  }
  if (!json_is_array(arr)) {
    job->status = 400;
    snprintf(job->detail, sizeof(job->detail), "The body must be a JSON array of %ss.",
             job->kind->singular);
  } else if (json_array_size(arr) > IMPORT_MAX_ROWS) {
    job->status = 422;
    snprintf(job->detail, sizeof(job->detail), "An import holds at most %d rows.", IMPORT_MAX_ROWS);
  } else {
    size_t i;
    json_t *row;
    json_array_foreach(arr, i, row) {
      if (!json_is_object(row)) {
        json_array_append_new(job->errors, json_pack("{s:I, s:s, s:s}", "row", (json_int_t)(i + 1),
                                                     "field", "", "message", "must be an object"));
        continue;
      }
      check_row(job, row, i + 1, rows);
    }
  }
  json_decref(arr);
}

/* On the thread pool: parse, check every row, and render the rows to insert. */
static void import_work(void *arg) {
  import_job_t *job = arg;
  json_t *rows = json_array();
  job->errors = json_array();
  if (!rows || !job->errors) {
    json_decref(rows);
    job->status = 500;
    return;
  }
  if (job->csv)
    work_csv(job, rows);
  else
    work_json(job, rows);
  if (!job->status && json_array_size(job->errors) > 0) {
    job->status = 422;
    snprintf(job->detail, sizeof(job->detail), "%zu error(s) in the rows; nothing was imported.",
             json_array_size(job->errors));
  }
  if (!job->status && json_array_size(rows) == 0) {
    job->status = 422;
    snprintf(job->detail, sizeof(job->detail), "There are no rows to import.");
  }
  if (!job->status) {
    job->row_count = json_array_size(rows);
    job->rows_json = json_dumps(rows, JSON_COMPACT);
    if (!job->rows_json)
      job->status = 500;
  }
  json_decref(rows);
}

static void job_free(import_job_t *job) {
  json_decref(job->errors);
  job->errors = NULL;
  free(job->rows_json);
  job->rows_json = NULL;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The rows that named a participant the database refused, by number. */
static void on_blamed(int status, const rt_db_result_t *res, void *data) {
  import_job_t *job = data;
  rt_api_call_t *call = job->call;
  job_free(job);
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  rt_field_errors_t errs = {0};
  for (int r = 0; r < rt_db_result_rows(res); r++) {
    const char *kind = rt_db_result_value(res, r, 1);
    if (kind)
      rt__field_error(&errs, "participant_id", "is a %s participant, not %s", kind,
                      job->kind->poster_name);
    else
      rt__field_error(&errs, "participant_id", "is not a participant");
    json_object_set_new(json_array_get(errs.list, (size_t)r), "row",
                        json_integer(strtoll(rt_db_result_value(res, r, 0), NULL, 10)));
  }
  if (!rt__field_errors_any(&errs))
    rt__field_error(&errs, "participant_id", "refers to a participant that cannot post this");
  rt__problem_with_errors(call->req, 422, "Unprocessable Content",
                          "Rows name participants that cannot post them; nothing was imported.",
                          &errs);
}

static void respond_inserted(import_job_t *job) {
  rt_api_call_t *call = job->call;
  if (!job->rt_status) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such roundtable.");
    return;
  }
  if (!job->inserted) {
    rt_http_respond_problem(call->req, 409, "Conflict",
                            "The roundtable is closed; it takes no new postings.");
    return;
  }
  char body[64];
  int n = snprintf(body, sizeof(body), "{\"inserted\":%s}", job->inserted);
  rt_http_respond(call->req, 200, "application/json", body, (size_t)n);
}

/* The transaction's outcome (import_body ran it, retried on a conflict). */
static void on_tx_done(int status, const rt_db_result_t *res, void *data) {
  import_job_t *job = data;
  job->tx = NULL;
  job->conn = NULL;
  job_free(job);
  if (status)
    rt__api_db_failed(job->call->req, status, res);
  else
    respond_inserted(job);
}

/* Ends the transaction with a failure (a conflict retries it). Returns non-zero on one. */
static int tx_step(import_job_t *job, int status, const rt_db_result_t *res) {
  if (!status)
    return 0;
  rt_db_tx_t *tx = job->tx;
  job->tx = NULL;
  job->conn = NULL;
  rt_db_tx_end(tx, status, res);
  return -1;
}

/* The INSERT's outcome, inside the transaction (BEGIN; set_config; INSERT; COMMIT). */
static void on_inserted(int status, const rt_db_result_t *res, void *data) {
  import_job_t *job = data;
  rt_api_call_t *call = job->call;
  if (!status) {
    rt_arena_t *arena = &call->req->arena;
    const char *st = rt_db_result_value(res, 0, 0), *n = rt_db_result_value(res, 0, 1);
    job->rt_status = st ? rt_arena_strdup(arena, st) : NULL;
    job->inserted = n ? rt_arena_strdup(arena, n) : NULL;
    rt_db_tx_t *tx = job->tx;
    job->tx = NULL;
    job->conn = NULL;
    rt_db_tx_end(tx, 0, NULL); /* commits; on_tx_done answers */
    return;
  }
  if (status == RT_EDB_CONFLICT) {
    tx_step(job, status, res);
    return;
  }
  /* Abandoning rolls the failed transaction back; res stays valid until this returns. */
  rt_db_tx_abandon(job->tx);
  job->tx = NULL;
  job->conn = NULL;
  const char *constraint = rt_db_result_constraint(res);
  if (status == RT_EDB_QUERY &&
      (ends_with(constraint, "_posted_by_state") || ends_with(constraint, "_posted_by_provider") ||
       ends_with(constraint, "_participant_id_fkey"))) {
    /* Which rows? Asked only now, so that good imports pay nothing for it. */
    char *sql = rt__postings_import_blame_sql(&call->req->arena, job->kind, IMPORT_MAX_ERRORS);
    const char *params[] = {job->rows_json};
    int rc = sql ? rt_db_exec(rt__api_pool(call), sql, 1, params, on_blamed, job) : RT_ENOMEM;
    if (rc) {
      job_free(job);
      rt__api_db_failed(call->req, rc, NULL);
    }
    return;
  }
  job_free(job);
  rt__respond_write_failed(call, status, res);
}

static void on_timeout_set(int status, const rt_db_result_t *res, void *data) {
  import_job_t *job = data;
  if (tx_step(job, status, res))
    return;
  rt_http_request_t *req = job->call->req;
  char *sql = rt__postings_import_sql(&req->arena, job->kind);
  const char *params[] = {rt__id_text(job->call, job->roundtable_id), job->rows_json};
  int rc = sql ? rt_db_query(job->conn, sql, 2, params, on_inserted, job) : RT_ENOMEM;
  tx_step(job, rc, NULL);
}

/* Every attempt of the transaction starts here, after BEGIN. One audit row per imported
 * posting comes from the triggers, with this caller as the actor. */
static void import_body(rt_db_tx_t *tx, rt_db_conn_t *conn, void *data) {
  import_job_t *job = data;
  job->tx = tx;
  job->conn = conn;
  const char *params[] = {RT_STRINGIFY(IMPORT_STATEMENT_TIMEOUT_MS)};
  rt_db_conn_statement_timeout(conn, IMPORT_STATEMENT_TIMEOUT_MS);
  tx_step(job,
          rt_db_query(conn, "SELECT set_config('statement_timeout', $1, true)", 1, params,
                      on_timeout_set, job),
          NULL);
}

static void import_done(rt_http_request_t *req, void *arg) {
  import_job_t *job = arg;
  rt_api_call_t *call = job->call;
  if (job->status == 400) {
    job_free(job);
    rt_http_respond_problem(req, 400, "Bad Request", job->detail);
    return;
  }
  if (job->status == 422) {
    rt_field_errors_t errs = {.list = job->errors};
    job->errors = NULL;
    if (json_array_size(errs.list) == 0) {
      json_decref(errs.list);
      errs.list = NULL;
    }
    job_free(job);
    rt__problem_with_errors(req, 422, "Unprocessable Content", job->detail, &errs);
    return;
  }
  if (job->status) {
    job_free(job);
    rt_http_respond_problem(req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  int rc = rt__api_tx(call, NULL, import_body, on_tx_done, job);
  if (rc) {
    job_free(job);
    rt__api_db_failed(req, rc, NULL);
  }
}

static void import_ready(rt_api_call_t *call) {
  import_job_t *job = call->state;
  int rc = rt_http_offload(call->req, import_work, import_done, job);
  if (rc)
    rt__api_unavailable(call->req, RT_EBUSY);
}

void rt__roundtables_import(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char *const allowed[] = {"entity", NULL};
  rt_query_t q;
  if (rt__input_query(call, allowed, &q))
    return;
  const char *entity = rt__query_get(&q, "entity");
  const rt_posting_kind_t *kind = NULL;
  if (entity && strcmp(entity, "needs") == 0)
    kind = &rt__need_kind;
  else if (entity && strcmp(entity, "offers") == 0)
    kind = &rt__offer_kind;
  if (!kind) {
    rt_http_respond_problem(call->req, 400, "Bad Request",
                            "entity must be needs or offers (?entity=needs).");
    return;
  }
  const char *ct = rt_http_header(call->req, "Content-Type");
  size_t n = ct ? strcspn(ct, "; \t") : 0;
  int csv = ct && n == 8 && strncasecmp(ct, "text/csv", 8) == 0;
  int json = ct && n == 16 && strncasecmp(ct, "application/json", 16) == 0;
  if (!csv && !json) {
    rt_http_respond_problem(call->req, 415, "Unsupported Media Type",
                            "Send text/csv or application/json.");
    return;
  }
  import_job_t *job = rt_arena_alloc(&call->req->arena, sizeof(*job));
  if (!job) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  memset(job, 0, sizeof(*job));
  job->call = call;
  job->kind = kind;
  job->roundtable_id = id;
  job->csv = csv;
  call->state = job;
  rt__reference_ready(call, import_ready);
}
