/* The meeting schedule (docs/schedule.md). Slots and tables are replaced as a whole by PUT (an
 * item that carries the id of an existing one keeps it, with the unavailability marked on it);
 * POST /schedule reads the grid, the unavailability and the proposed and agreed matches, places
 * them off the loop (service/schedule) and writes the schedule in one statement. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "resource.h"
#include "roundtable/log.h"
#include "roundtable/schedule.h"
#include "schedule.h"

#define GRID_MAX_ITEMS 500
#define UNAVAILABLE_MAX 1000

/* ---- slots and tables ---- */

#define SLOT_JSON                                                                                  \
  "json_build_object('id', x.id::text, 'session', x.session, 'starts_at', rt_ts(x.starts_at),"     \
  " 'ends_at', rt_ts(x.ends_at))"
#define TABLE_JSON "json_build_object('id', x.id::text, 'name', x.name, 'location', x.location)"
#define SLOT_ORDER "x.starts_at, x.id"
#define TABLE_ORDER "x.id"

/* One statement: the roundtable locked, unknown ids refused (nothing written), the others
 * deleted, the given updated or inserted; answers (roundtable found, first bad position,
 * list). */
#define GRID_PUT_SQL(tbl, cols, colsx, set, item, order)                                           \
  "WITH r AS (SELECT id FROM roundtables WHERE id = $1 FOR UPDATE),"                               \
  " input AS (SELECT * FROM json_to_recordset($2::json) AS i(ord int, id bigint, " cols ")),"      \
  " bad AS (SELECT min(i.ord) AS ord FROM input i WHERE i.id IS NOT NULL AND NOT EXISTS"           \
  " (SELECT 1 FROM " tbl " t WHERE t.id = i.id AND t.roundtable_id = $1)),"                        \
  " ok AS (SELECT 1 FROM r, bad WHERE bad.ord IS NULL),"                                           \
  " del AS (DELETE FROM " tbl " t WHERE t.roundtable_id = $1 AND EXISTS (SELECT 1 FROM ok)"        \
  " AND t.id NOT IN (SELECT id FROM input WHERE id IS NOT NULL)),"                                 \
  " upd AS (UPDATE " tbl " t SET " set " FROM input i WHERE t.id = i.id AND t.roundtable_id = $1"  \
  " AND EXISTS (SELECT 1 FROM ok) RETURNING t.*),"                                                 \
  " ins AS (INSERT INTO " tbl " (roundtable_id, " colsx ") SELECT $1, " colsx                      \
  " FROM input i, ok WHERE i.id IS NULL ORDER BY i.ord RETURNING *),"                              \
  " x AS (SELECT * FROM upd UNION ALL SELECT * FROM ins)"                                          \
  " SELECT (SELECT count(*) FROM r), (SELECT ord FROM bad), (SELECT json_build_object('items',"    \
  " coalesce(json_agg(" item " ORDER BY " order "), '[]'), 'next_cursor', null)::text FROM x)"

#define GRID_GET_SQL(tbl, item, order)                                                             \
  "SELECT json_build_object('items', coalesce((SELECT json_agg(" item " ORDER BY " order           \
  ") FROM " tbl                                                                                    \
  " x WHERE x.roundtable_id = r.id), '[]'), 'next_cursor', null)::text FROM roundtables r"         \
  " WHERE r.id = $1"

/* What tells slots from tables: their fields, checks and statements. */
typedef struct grid_kind {
  const char *what; /* "slot", "table" */
  const char *get_sql;
  const char *put_sql;
  int slots; /* 1: session, starts_at, ends_at; 0: name, location */
} grid_kind_t;

static const grid_kind_t slot_kind = {
    "slot", GRID_GET_SQL("schedule_slots", SLOT_JSON, SLOT_ORDER),
    GRID_PUT_SQL("schedule_slots", "session text, starts_at timestamptz, ends_at timestamptz",
                 "session, starts_at, ends_at",
                 "session = i.session, starts_at = i.starts_at, ends_at = i.ends_at", SLOT_JSON,
                 SLOT_ORDER),
    1};
static const grid_kind_t table_kind = {
    "table", GRID_GET_SQL("schedule_tables", TABLE_JSON, TABLE_ORDER),
    GRID_PUT_SQL("schedule_tables", "name text, location text", "name, location",
                 "name = i.name, location = i.location", TABLE_JSON, TABLE_ORDER),
    0};

/* A UTC timestamp "YYYY-MM-DDTHH:MM:SSZ" (a fraction of zeros allowed), normalised into out. */
static int v_utc(json_t *obj, const char *key, const char *field, rt_field_errors_t *errs,
                 char out[21]) {
  json_t *v = json_object_get(obj, key);
  if (!v) {
    rt__field_error(errs, field, "is required");
    return -1;
  }
  const char *s = json_is_string(v) ? json_string_value(v) : "";
  char date[11];
  int ok = strlen(s) >= 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':';
  if (ok) {
    memcpy(date, s, 10);
    date[10] = '\0';
    ok = rt__is_date(date);
  }
  for (int i = 11; ok && i < 19; i++)
    ok = i == 13 || i == 16 || (s[i] >= '0' && s[i] <= '9');
  const char *rest = s + 19;
  if (ok && *rest == '.')
    for (rest++; *rest == '0'; rest++)
      ;
  ok = ok && strcmp(rest, "Z") == 0 && memcmp(s + 11, "24", 2) < 0 && memcmp(s + 14, "60", 2) < 0 &&
       memcmp(s + 17, "60", 2) < 0;
  if (!ok) {
    rt__field_error(errs, field, "must be a UTC date-time YYYY-MM-DDTHH:MM:SSZ (whole seconds)");
    return -1;
  }
  memcpy(out, s, 19);
  out[19] = 'Z';
  out[20] = '\0';
  return 1;
}

/* Decodes {"items": [...]} into the statement's JSON input ([{"ord", "id", fields...}]). */
static json_t *grid_decode(const grid_kind_t *k, json_t *body, rt_field_errors_t *errs) {
  static const char *const slot_fields[] = {"id", "session", "starts_at", "ends_at", NULL};
  static const char *const table_fields[] = {"id", "name", "location", NULL};
  json_t *items = json_object_get(body, "items");
  if (!json_is_array(items)) {
    rt__field_error(errs, "items", "is required: an array");
    return NULL;
  }
  if (json_array_size(items) > GRID_MAX_ITEMS) {
    rt__field_error(errs, "items", "at most %d", GRID_MAX_ITEMS);
    return NULL;
  }
  json_t *out = json_array();
  char(*starts)[21] = calloc(json_array_size(items) + 1, sizeof(*starts));
  char(*ends)[21] = calloc(json_array_size(items) + 1, sizeof(*ends));
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    char f[64];
    if (!json_is_object(it)) {
      snprintf(f, sizeof(f), "items[%zu]", i);
      rt__field_error(errs, f, "must be an object");
      continue;
    }
    json_t *row = json_object();
    json_object_set_new(row, "ord", json_integer((json_int_t)i));
    /* Unknown keys, named with their position. */
    const char *key;
    json_t *val;
    json_object_foreach(it, key, val) {
      int known = 0;
      for (const char *const *kf = k->slots ? slot_fields : table_fields; *kf; kf++)
        known |= strcmp(*kf, key) == 0;
      if (!known) {
        snprintf(f, sizeof(f), "items[%zu].%.30s", i, key);
        rt__field_error(errs, f, "is not a field of a %s", k->what);
      }
    }
    int64_t id = 0;
    snprintf(f, sizeof(f), "items[%zu].id", i);
    if (rt__v_id(it, "id", f, 0, errs, &id) > 0) {
      for (size_t j = 0; j < i; j++) {
        json_t *prev = json_object_get(json_array_get(out, j), "id");
        if (prev && json_integer_value(prev) == id)
          rt__field_error(errs, f, "repeats items[%zu].id", j);
      }
      json_object_set_new(row, "id", json_integer(id));
    }
    const char *s = NULL;
    if (k->slots) {
      snprintf(f, sizeof(f), "items[%zu].session", i);
      if (rt__v_string(it, "session", f, 0, 0, 200, errs, &s) > 0)
        json_object_set_new(row, "session", json_string(s));
      else
        json_object_set_new(row, "session", json_string(""));
      snprintf(f, sizeof(f), "items[%zu].starts_at", i);
      int a = starts && v_utc(it, "starts_at", f, errs, starts[i]) > 0;
      snprintf(f, sizeof(f), "items[%zu].ends_at", i);
      int b = ends && v_utc(it, "ends_at", f, errs, ends[i]) > 0;
      if (a && b && strcmp(ends[i], starts[i]) <= 0)
        rt__field_error(errs, f, "must be after starts_at");
      else if (a && b)
        for (size_t j = 0; j < i; j++)
          if (starts[j][0] && ends[j][0] && strcmp(starts[i], ends[j]) < 0 &&
              strcmp(starts[j], ends[i]) < 0) {
            snprintf(f, sizeof(f), "items[%zu].starts_at", i);
            rt__field_error(errs, f, "overlaps items[%zu]: slots may not overlap", j);
            break;
          }
      json_object_set_new(row, "starts_at", json_string(starts ? starts[i] : ""));
      json_object_set_new(row, "ends_at", json_string(ends ? ends[i] : ""));
    } else {
      snprintf(f, sizeof(f), "items[%zu].name", i);
      if (rt__v_string(it, "name", f, 1, 1, 200, errs, &s) > 0)
        json_object_set_new(row, "name", json_string(s));
      snprintf(f, sizeof(f), "items[%zu].location", i);
      s = "";
      rt__v_string(it, "location", f, 0, 0, 500, errs, &s);
      json_object_set_new(row, "location", json_string(s ? s : ""));
    }
    json_array_append_new(out, row);
  }
  free(starts);
  free(ends);
  if (rt__field_errors_any(errs)) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* A body refused for a roundtable that may not exist: 404 wins over 422, as for the other
 * resources, so the roundtable is looked up before the field errors (stolen) are answered. */
typedef struct refusal {
  rt_api_call_t *call;
  json_t *errors;
  const char *detail;
} refusal_t;

static void on_refusal_checked(int status, const rt_db_result_t *res, void *data) {
  refusal_t *r = data;
  rt_field_errors_t errs = {.list = r->errors};
  if (status) {
    json_decref(errs.list);
    rt__api_db_failed(r->call->req, status, res);
  } else if (rt_db_result_rows(res) < 1) {
    json_decref(errs.list);
    rt_http_respond_problem(r->call->req, 404, "Not Found", "No such roundtable.");
  } else {
    rt__problem_with_errors(r->call->req, 422, "Unprocessable Content", r->detail, &errs);
  }
}

static void refuse(rt_api_call_t *call, int64_t roundtable, rt_field_errors_t *errs,
                   const char *detail) {
  refusal_t *r = rt_arena_alloc(&call->req->arena, sizeof(*r));
  const char *params[] = {rt__id_text(call, roundtable)};
  int rc = r ? 0 : RT_ENOMEM;
  if (r) {
    r->call = call;
    r->errors = errs->list;
    r->detail = detail;
    rc = rt_db_exec(rt__api_pool(call), "SELECT 1 FROM roundtables WHERE id = $1", 1, params,
                    on_refusal_checked, r);
  }
  if (rc) {
    json_decref(errs->list);
    rt__api_db_failed(call->req, rc, NULL);
  }
  errs->list = NULL;
}

/* Unknown fields are refused at once (422, whether or not the roundtable exists); the other
 * errors go through refuse(). Drops body and returns 1 when it answered. */
static int unknown_fields(rt_api_call_t *call, json_t *body, const char *const *known,
                          rt_field_errors_t *errs) {
  rt__v_unknown(body, known, errs);
  if (!rt__field_errors_any(errs))
    return 0;
  json_decref(body);
  rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The body has unknown fields.",
                          errs);
  return 1;
}

static void grid_get(rt_api_call_t *call, const grid_kind_t *k) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  const char *params[] = {rt__id_text(call, id)};
  rt__exec_row(call, 200, k->get_sql, 1, params);
}

static void on_grid_put(int status, const rt_db_result_t *res, void *data) {
  rt_api_call_t *call = data;
  if (status) {
    rt__respond_write_failed(call, status, res);
    return;
  }
  const char *found = rt_db_result_value(res, 0, 0);
  if (!found || strcmp(found, "0") == 0) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such roundtable.");
    return;
  }
  const char *bad = rt_db_result_value(res, 0, 1);
  if (bad) {
    rt_field_errors_t errs = {0};
    rt__field_error(&errs, rt_arena_printf(&call->req->arena, "items[%s].id", bad),
                    "is not an item of this roundtable");
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The list is not valid.",
                            &errs);
    return;
  }
  rt_http_respond(call->req, 200, "application/json", rt_db_result_value(res, 0, 2),
                  rt_db_result_length(res, 0, 2));
}

static void grid_put(rt_api_call_t *call, const grid_kind_t *k) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  static const char *const top[] = {"items", NULL};
  if (unknown_fields(call, body, top, &errs))
    return;
  json_t *input = grid_decode(k, body, &errs);
  json_decref(body);
  if (!input) {
    refuse(call, id, &errs, "The list is not valid.");
    return;
  }
  char *text = json_dumps(input, JSON_COMPACT);
  json_decref(input);
  const char *params[] = {rt__id_text(call, id),
                          text ? rt_arena_strdup(&call->req->arena, text) : NULL};
  free(text);
  if (!params[1]) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  int rc = rt__api_write(call, k->put_sql, 2, params, on_grid_put, call);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

void rt__schedule_slots_get(rt_api_call_t *call) { grid_get(call, &slot_kind); }
void rt__schedule_slots_put(rt_api_call_t *call) { grid_put(call, &slot_kind); }
void rt__schedule_tables_get(rt_api_call_t *call) { grid_get(call, &table_kind); }
void rt__schedule_tables_put(rt_api_call_t *call) { grid_put(call, &table_kind); }

/* ---- unavailability ---- */

static int is_staff(const rt_api_call_t *call) { return (call->who.role & RT_ROLES_STAFF) != 0; }

void rt__schedule_unavailability_get(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char *const allowed[] = {"participant_id", NULL};
  rt_query_t q;
  const char *pid = NULL;
  if (rt__input_query(call, allowed, &q) || rt__input_id_filter(call, &q, "participant_id", &pid))
    return;
  if (!is_staff(call)) { /* a state or provider sees its own marks only */
    if (pid && rt__parse_id(pid) != call->who.participant_id) {
      rt_http_respond_problem(call->req, 403, "Forbidden",
                              "A participant sees only its own unavailability.");
      return;
    }
    pid = rt__id_text(call, call->who.participant_id);
  }
  static const char sql[] =
      "SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object("
      "'participant_id', g.participant_id::text, 'slot_ids', g.ids) ORDER BY g.participant_id)"
      " FROM (SELECT participant_id, json_agg(slot_id::text ORDER BY slot_id) AS ids"
      " FROM schedule_unavailability WHERE roundtable_id = r.id"
      " AND ($2::bigint IS NULL OR participant_id = $2) GROUP BY participant_id) g), '[]'),"
      " 'next_cursor', null)::text FROM roundtables r WHERE r.id = $1";
  const char *params[] = {rt__id_text(call, id), pid};
  rt__exec_row(call, 200, sql, 2, params);
}

typedef struct unavail_put {
  rt_api_call_t *call;
  int64_t participant;
  json_t *ids; /* the slot ids as given */
} unavail_put_t;

static void on_unavail_put(int status, const rt_db_result_t *res, void *data) {
  unavail_put_t *u = data;
  rt_api_call_t *call = u->call;
  json_t *ids = u->ids;
  u->ids = NULL;
  if (status) {
    json_decref(ids);
    rt__respond_write_failed(call, status, res);
    return;
  }
  const char *rt_found = rt_db_result_value(res, 0, 0), *p_found = rt_db_result_value(res, 0, 1);
  const char *bad = rt_db_result_value(res, 0, 2);
  if (!rt_found || strcmp(rt_found, "0") == 0) {
    json_decref(ids);
    rt_http_respond_problem(call->req, 404, "Not Found", "No such roundtable.");
    return;
  }
  if (!p_found || strcmp(p_found, "0") == 0 || bad) {
    json_decref(ids);
    rt_field_errors_t errs = {0};
    if (!p_found || strcmp(p_found, "0") == 0)
      rt__field_error(&errs, "participant_id", "no such participant");
    if (bad)
      rt__field_error(&errs, rt_arena_printf(&call->req->arena, "slot_ids[%ld]", atol(bad) - 1),
                      "is not a slot of this roundtable");
    rt__problem_with_errors(call->req, 422, "Unprocessable Content",
                            "The unavailability is not valid.", &errs);
    return;
  }
  json_t *out =
      json_pack("{s:s,s:o}", "participant_id", rt__id_text(call, u->participant), "slot_ids", ids);
  rt__json_respond(call->req, 200, out);
  json_decref(out);
}

void rt__schedule_unavailability_put(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  static const char *const known[] = {"participant_id", "slot_ids", NULL};
  rt_field_errors_t errs = {0};
  if (unknown_fields(call, body, known, &errs))
    return;
  int64_t pid = 0;
  int given = rt__v_id(body, "participant_id", "participant_id", is_staff(call), &errs, &pid);
  if (!is_staff(call)) {
    if (given > 0 && pid != call->who.participant_id) {
      json_decref(body);
      rt_http_respond_problem(call->req, 403, "Forbidden",
                              "A participant sets only its own unavailability.");
      return;
    }
    pid = call->who.participant_id;
  }
  json_t *slots = json_object_get(body, "slot_ids");
  json_t *ids = json_array();
  if (!json_is_array(slots)) {
    rt__field_error(&errs, "slot_ids", "is required: an array of slot ids");
  } else if (json_array_size(slots) > UNAVAILABLE_MAX) {
    rt__field_error(&errs, "slot_ids", "at most %d", UNAVAILABLE_MAX);
  } else {
    size_t i;
    json_t *v;
    json_array_foreach(slots, i, v) {
      int64_t sid = json_is_string(v) ? rt__parse_id(json_string_value(v)) : 0;
      char f[32];
      snprintf(f, sizeof(f), "slot_ids[%zu]", i);
      if (!sid)
        rt__field_error(&errs, f, "must be an id (a string of digits)");
      for (size_t j = 0; sid && j < i; j++)
        if (rt__parse_id(json_string_value(json_array_get(ids, j))) == sid)
          rt__field_error(&errs, f, "repeats slot_ids[%zu]", j);
      json_array_append_new(ids, json_string(sid ? rt__id_text(call, sid) : "0"));
    }
  }
  json_decref(body);
  if (rt__field_errors_any(&errs)) {
    json_decref(ids);
    refuse(call, id, &errs, "The unavailability is not valid.");
    return;
  }
  static const char sql[] =
      "WITH r AS (SELECT id FROM roundtables WHERE id = $1),"
      " p AS (SELECT id FROM participants WHERE id = $2),"
      " input AS (SELECT t.x::bigint AS slot_id, t.o AS ord"
      " FROM json_array_elements_text($3::json) WITH ORDINALITY t(x, o)),"
      " bad AS (SELECT min(i.ord) AS ord FROM input i WHERE NOT EXISTS (SELECT 1 FROM"
      " schedule_slots s WHERE s.id = i.slot_id AND s.roundtable_id = $1)),"
      " ok AS (SELECT 1 FROM r, p, bad WHERE bad.ord IS NULL),"
      " del AS (DELETE FROM schedule_unavailability u WHERE u.roundtable_id = $1"
      " AND u.participant_id = $2 AND EXISTS (SELECT 1 FROM ok)"
      " AND u.slot_id NOT IN (SELECT slot_id FROM input)),"
      " ins AS (INSERT INTO schedule_unavailability (roundtable_id, participant_id, slot_id)"
      " SELECT $1, $2, i.slot_id FROM input i, ok ON CONFLICT DO NOTHING)"
      " SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM p), (SELECT ord FROM bad)";
  char *text = json_dumps(ids, JSON_COMPACT);
  unavail_put_t *u = rt_arena_alloc(&call->req->arena, sizeof(*u));
  const char *params[] = {rt__id_text(call, id), rt__id_text(call, pid),
                          text ? rt_arena_strdup(&call->req->arena, text) : NULL};
  free(text);
  if (!u || !params[2]) {
    json_decref(ids);
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  u->call = call;
  u->participant = pid;
  u->ids = ids;
  int rc = rt__api_write(call, sql, 3, params, on_unavail_put, u);
  if (rc) {
    json_decref(ids);
    rt__api_db_failed(call->req, rc, NULL);
  }
}

/* ---- the schedule ---- */

/* A meeting as every view shows it (mt: schedule_meetings, sl: its slot, tb: its table, n: the
 * need, s: the schedule, rt: the roundtable). Only partnerships still proposed or agreed are
 * listed. */
#define MEETING_JSON                                                                               \
  "json_build_object('id', mt.id::text, 'roundtable_id', mt.roundtable_id::text,"                  \
  " 'roundtable_title', rt.title, 'slot_id', mt.slot_id::text, 'table_id', mt.table_id::text,"     \
  " 'session', sl.session, 'starts_at', rt_ts(sl.starts_at), 'ends_at', rt_ts(sl.ends_at),"        \
  " 'table', tb.name, 'location', tb.location, 'need_id', mt.need_id::text,"                       \
  " 'need_title', n.title, 'score', mt.score, 'scheduled_at', rt_ts(sc.created_at),"               \
  " 'match_ids', (SELECT coalesce(json_agg(m.id::text ORDER BY m.id), '[]') FROM matches m"        \
  " WHERE m.id = ANY (mt.match_ids) AND m.status IN ('proposed', 'agreed')),"                      \
  " 'participants', (SELECT json_agg(json_build_object('id', p.id::text, 'name', p.name,"          \
  " 'kind', p.kind) ORDER BY u.ord) FROM unnest(mt.participant_ids) WITH ORDINALITY u(pid, ord)"   \
  " JOIN participants p ON p.id = u.pid))"
#define MEETING_FROM                                                                               \
  " FROM schedule_meetings mt JOIN schedules sc ON sc.id = mt.schedule_id"                         \
  " JOIN schedule_slots sl ON sl.id = mt.slot_id JOIN schedule_tables tb ON tb.id = mt.table_id"   \
  " JOIN needs n ON n.id = mt.need_id JOIN roundtables rt ON rt.id = mt.roundtable_id"

/* The roundtable's schedule; before the first POST an empty one (created_at and stats null).
 * No row when the roundtable does not exist. Meetings and unplaced meetings of needs the caller
 * ($2 its role, $3 its participant) may not see are left out (sql/014_need_visibility.sql). */
static const char schedule_sql[] =
    "SELECT json_build_object('roundtable_id', r.id::text, 'created_at', rt_ts(s.created_at),"
    " 'params', s.params, 'stats', s.stats,"
    " 'slots', coalesce((SELECT json_agg(" SLOT_JSON " ORDER BY " SLOT_ORDER ")"
    " FROM schedule_slots x WHERE x.roundtable_id = r.id), '[]'),"
    " 'tables', coalesce((SELECT json_agg(" TABLE_JSON " ORDER BY " TABLE_ORDER ")"
    " FROM schedule_tables x WHERE x.roundtable_id = r.id), '[]'),"
    " 'meetings', coalesce((SELECT json_agg(" MEETING_JSON
    " ORDER BY sl.starts_at, tb.id)" MEETING_FROM " WHERE mt.schedule_id = s.id"
    " AND rt_need_visible(n.visibility, n.participant_id, n.id, $2, $3::bigint)), '[]'),"
    " 'unplaced', coalesce((SELECT jsonb_agg(u.v ORDER BY u.k) FROM "
    "jsonb_array_elements(s.unplaced)"
    " WITH ORDINALITY u(v, k) JOIN needs un ON un.id = (u.v->>'need_id')::bigint"
    " WHERE rt_need_visible(un.visibility, un.participant_id, un.id, $2, $3::bigint)), '[]'))::text"
    " FROM roundtables r LEFT JOIN LATERAL"
    " (SELECT * FROM schedules WHERE roundtable_id = r.id ORDER BY id DESC LIMIT 1) s ON true"
    " WHERE r.id = $1";

typedef struct schedule_job {
  rt_api_call_t *call;
  int64_t roundtable;
  int by_pair;      /* one meeting per partnership instead of per need */
  int agreed_first; /* an agreed partnership outweighs any number of proposed ones */
  int created;      /* answering a POST: 201 */
  json_t *input;    /* the loaded document (owned) */
  char *write_params[4];
  int failed; /* RT_E* from the work */
  uint64_t t0;
} schedule_job_t;

/* The roundtable's row answered a read: 1; else the failure or 404 is answered: 0. */
static int roundtable_row(rt_api_call_t *call, int status, const rt_db_result_t *res) {
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return 0;
  }
  if (rt_db_result_rows(res) < 1) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such roundtable.");
    return 0;
  }
  return 1;
}

static void on_schedule_read(int status, const rt_db_result_t *res, void *data) {
  schedule_job_t *job = data;
  rt_api_call_t *call = job->call;
  if (!roundtable_row(call, status, res))
    return;
  rt_http_respond(call->req, job->created ? 201 : 200, "application/json",
                  rt_db_result_value(res, 0, 0), rt_db_result_length(res, 0, 0));
}

static void read_schedule(schedule_job_t *job) {
  rt_api_call_t *call = job->call;
  const char *params[] = {rt__id_text(call, job->roundtable), rt__role_name(call->who.role),
                          call->who.participant_id ? rt__id_text(call, call->who.participant_id)
                                                   : NULL};
  int rc = rt_db_exec(rt__api_read_pool(call), schedule_sql, 3, params, on_schedule_read, job);
  if (rc)
    rt__api_db_failed(job->call->req, rc, NULL);
}

/* A job for the roundtable of the path, in the request arena; NULL after answering. */
static schedule_job_t *job_new(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return NULL;
  schedule_job_t *job = rt_arena_alloc(&call->req->arena, sizeof(*job));
  if (!job) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return NULL;
  }
  memset(job, 0, sizeof(*job));
  job->call = call;
  job->roundtable = id;
  return job;
}

void rt__schedule_get(rt_api_call_t *call) {
  schedule_job_t *job = job_new(call);
  if (job)
    read_schedule(job);
}

/* What the solver reads: slots in time order, tables by id, the marks, and the proposed and
 * agreed partnerships with their two participants, by need then id. */
static const char load_sql[] =
    "SELECT json_build_object("
    "'slots', coalesce((SELECT json_agg(x.id ORDER BY " SLOT_ORDER ") FROM schedule_slots x"
    " WHERE x.roundtable_id = r.id), '[]'),"
    " 'tables', coalesce((SELECT json_agg(x.id ORDER BY x.id) FROM schedule_tables x"
    " WHERE x.roundtable_id = r.id), '[]'),"
    " 'unavailable', coalesce((SELECT json_agg(json_build_array(u.participant_id, u.slot_id))"
    " FROM schedule_unavailability u WHERE u.roundtable_id = r.id), '[]'),"
    " 'matches', coalesce((SELECT json_agg(json_build_array(m.id, m.need_id, n.participant_id,"
    " o.participant_id, m.score, m.status = 'agreed') ORDER BY m.need_id, m.id) FROM matches m"
    " JOIN needs n ON n.id = m.need_id JOIN offers o ON o.id = m.offer_id"
    " WHERE m.roundtable_id = r.id AND m.status IN ('proposed', 'agreed')), '[]'))::text"
    " FROM roundtables r WHERE r.id = $1";

static const char write_sql[] =
    "WITH old AS (DELETE FROM schedules WHERE roundtable_id = $1),"
    " s AS (INSERT INTO schedules (roundtable_id, params, stats, unplaced, created_by)"
    " VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb, $6::bigint) RETURNING id),"
    " m AS (INSERT INTO schedule_meetings (schedule_id, roundtable_id, slot_id, table_id, need_id,"
    " match_ids, participant_ids, score) SELECT s.id, $1, x.slot_id, x.table_id, x.need_id,"
    " ARRAY(SELECT json_array_elements_text(x.match_ids)::bigint),"
    " ARRAY(SELECT json_array_elements_text(x.participant_ids)::bigint), x.score"
    " FROM s, json_to_recordset($5::json) AS x(slot_id bigint, table_id bigint, need_id bigint,"
    " match_ids json, participant_ids json, score double precision))"
    " SELECT id FROM s";

static int64_t jint(json_t *a, size_t i) {
  return (int64_t)json_integer_value(json_array_get(a, i));
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static uint32_t part_index(const int64_t *ids, size_t n, int64_t id) {
  const int64_t *p = bsearch(&id, ids, n, sizeof(int64_t), cmp_i64);
  return p ? (uint32_t)(p - ids) : UINT32_MAX;
}

/* Off the loop: the instance from the loaded document, the solve, the write's parameters. */
static void schedule_work(void *arg) {
  schedule_job_t *job = arg;
  json_t *in = job->input;
  json_t *slots = json_object_get(in, "slots"), *tables = json_object_get(in, "tables");
  json_t *marks = json_object_get(in, "unavailable"), *matches = json_object_get(in, "matches");
  size_t nm = json_array_size(matches), S = json_array_size(slots), T = json_array_size(tables);
  int64_t *pids = malloc(sizeof(int64_t) * (2 * nm + 1));
  uint32_t *mparts = malloc(sizeof(uint32_t) * (2 * nm + 1)); /* per meeting, contiguous */
  rt_schedule_meeting_t *ms = calloc(nm + 1, sizeof(*ms));
  size_t *first = malloc(sizeof(size_t) * (nm + 1)); /* first match of each meeting */
  uint8_t *un = NULL;
  rt_schedule_result_t res = {0};
  json_t *placed = json_array(), *unplaced = json_array();
  int rc = pids && mparts && ms && first ? 0 : RT_ENOMEM;
  size_t np = 0, nmeet = 0;
  if (rc)
    goto done;
  for (size_t i = 0; i < nm; i++) {
    json_t *m = json_array_get(matches, i);
    pids[np++] = jint(m, 2);
    pids[np++] = jint(m, 3);
  }
  qsort(pids, np, sizeof(int64_t), cmp_i64);
  size_t w = 0;
  for (size_t i = 0; i < np; i++)
    if (!w || pids[w - 1] != pids[i])
      pids[w++] = pids[i];
  np = w;
  un = calloc(np * S + 1, 1);
  if (!un) {
    rc = RT_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < json_array_size(marks); i++) {
    json_t *mk = json_array_get(marks, i);
    uint32_t q = part_index(pids, np, jint(mk, 0));
    for (size_t s = 0; q != UINT32_MAX && s < S; s++)
      if (jint(slots, s) == jint(mk, 1))
        un[(size_t)q * S + s] = 1;
  }
  /* Meetings: a need's partnerships together (state first, then each provider once), or one
   * per partnership. Value: score in 2^-30 units, plus 2^40 per agreed one when agreed first. */
  size_t used = 0;
  for (size_t i = 0; i < nm;) {
    json_t *m = json_array_get(matches, i);
    int64_t need = jint(m, 1);
    rt_schedule_meeting_t *mt = &ms[nmeet];
    first[nmeet] = i;
    uint32_t *pp = mparts + used;
    pp[mt->n_participants++] = part_index(pids, np, jint(m, 2));
    mt->id = job->by_pair ? jint(m, 0) : need;
    size_t j = i;
    do {
      json_t *mj = json_array_get(matches, j);
      uint32_t prov = part_index(pids, np, jint(mj, 3));
      int seen = 0;
      for (uint32_t k = 0; k < mt->n_participants; k++)
        seen |= pp[k] == prov;
      if (!seen)
        pp[mt->n_participants++] = prov;
      mt->value += (int64_t)(json_number_value(json_array_get(mj, 4)) * 1073741824.0 + 0.5);
      if (job->agreed_first && json_is_true(json_array_get(mj, 5)))
        mt->value += (int64_t)1 << 40;
      j++;
    } while (!job->by_pair && j < nm && jint(json_array_get(matches, j), 1) == need);
    mt->participants = pp;
    used += mt->n_participants;
    nmeet++;
    i = j;
  }
  first[nmeet] = nm;
  rt_schedule_problem_t p = {.n_slots = (uint32_t)S,
                             .n_tables = (uint32_t)T,
                             .n_participants = (uint32_t)np,
                             .unavailable = un,
                             .meetings = ms,
                             .n_meetings = nmeet};
  rc = rt_schedule_solve(&p, &res);
  if (!rc)
    rc = rt_schedule_check(&p, res.slot, res.table, NULL); /* never write a broken schedule */
  if (rc)
    goto done;
  double total = 0;
  size_t matches_placed = 0;
  for (size_t k = 0; k < nmeet; k++) {
    json_t *mids = json_array(), *parts = json_array();
    double score = 0;
    for (size_t i = first[k]; i < first[k + 1]; i++) {
      json_t *m = json_array_get(matches, i);
      json_array_append_new(mids, json_integer(jint(m, 0)));
      score += json_number_value(json_array_get(m, 4));
    }
    for (uint32_t q = 0; q < ms[k].n_participants; q++)
      json_array_append_new(parts, json_integer(pids[ms[k].participants[q]]));
    int64_t need = jint(json_array_get(matches, first[k]), 1);
    if (res.slot[k] >= 0) {
      total += score;
      matches_placed += first[k + 1] - first[k];
      json_array_append_new(placed,
                            json_pack("{s:I,s:I,s:I,s:o,s:o,s:f}", "slot_id",
                                      (json_int_t)jint(slots, (size_t)res.slot[k]), "table_id",
                                      (json_int_t)jint(tables, (size_t)res.table[k]), "need_id",
                                      (json_int_t)need, "match_ids", mids, "participant_ids", parts,
                                      "score", score));
    } else {
      json_t *ids_text = json_array(), *parts_text = json_array();
      size_t x;
      json_t *v;
      char buf[24];
      json_array_foreach(mids, x, v) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        json_array_append_new(ids_text, json_string(buf));
      }
      json_array_foreach(parts, x, v) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        json_array_append_new(parts_text, json_string(buf));
      }
      json_decref(mids);
      json_decref(parts);
      snprintf(buf, sizeof(buf), "%lld", (long long)need);
      json_t *blk = json_null();
      if (res.blocker[k] >= 0) {
        char b2[24];
        snprintf(b2, sizeof(b2), "%lld", (long long)pids[res.blocker[k]]);
        json_decref(blk);
        blk = json_string(b2);
      }
      json_array_append_new(
          unplaced, json_pack("{s:s,s:o,s:o,s:f,s:s,s:o}", "need_id", buf, "match_ids", ids_text,
                              "participant_ids", parts_text, "score", score, "reason",
                              rt_schedule_reason_name(res.reason[k]), "participant_id", blk));
    }
  }
  json_t *params = json_pack("{s:s,s:b}", "group", job->by_pair ? "pair" : "need", "agreed_first",
                             job->agreed_first);
  json_t *stats = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:b,s:I,s:I}", "slots", (json_int_t)S,
                            "tables", (json_int_t)T, "meetings", (json_int_t)nmeet, "placed",
                            (json_int_t)res.placed, "unplaced", (json_int_t)(nmeet - res.placed),
                            "matches_placed", (json_int_t)matches_placed, "total_score", total,
                            "optimal", res.optimal, "search_nodes", (json_int_t)res.nodes,
                            "elapsed_ms", (json_int_t)((uv_hrtime() - job->t0) / 1000000));
  job->write_params[0] = json_dumps(params, JSON_COMPACT);
  job->write_params[1] = json_dumps(stats, JSON_COMPACT);
  job->write_params[2] = json_dumps(unplaced, JSON_COMPACT);
  job->write_params[3] = json_dumps(placed, JSON_COMPACT);
  json_decref(params);
  json_decref(stats);
  for (int i = 0; i < 4; i++)
    if (!job->write_params[i])
      rc = RT_ENOMEM;
done:
  rt_schedule_result_free(&res);
  json_decref(placed);
  json_decref(unplaced);
  free(un);
  free(first);
  free(ms);
  free(mparts);
  free(pids);
  job->failed = rc;
}

static void job_release(schedule_job_t *job) {
  json_decref(job->input);
  job->input = NULL;
  for (int i = 0; i < 4; i++) {
    free(job->write_params[i]);
    job->write_params[i] = NULL;
  }
}

static void on_schedule_written(int status, const rt_db_result_t *res, void *data) {
  schedule_job_t *job = data;
  job_release(job);
  if (status) {
    rt__respond_write_failed(job->call, status, res);
    return;
  }
  read_schedule(job);
}

static void schedule_done(rt_http_request_t *req, void *arg) {
  schedule_job_t *job = arg;
  rt_api_call_t *call = job->call;
  if (job->failed) {
    job_release(job);
    rt_log_error("schedule of roundtable %lld: %s", (long long)job->roundtable,
                 rt_strerror(job->failed));
    rt_http_respond_problem(req, 500, "Internal Server Error", "The schedule could not be made.");
    return;
  }
  const char *params[] = {rt__id_text(call, job->roundtable),
                          job->write_params[0],
                          job->write_params[1],
                          job->write_params[2],
                          job->write_params[3],
                          call->who.token_id ? rt__id_text(call, call->who.token_id) : NULL};
  int rc = rt__api_write(call, write_sql, 6, params, on_schedule_written, job);
  if (rc) {
    job_release(job);
    rt__api_db_failed(req, rc, NULL);
  }
}

static void on_loaded(int status, const rt_db_result_t *res, void *data) {
  schedule_job_t *job = data;
  rt_api_call_t *call = job->call;
  if (!roundtable_row(call, status, res))
    return;
  json_error_t jerr;
  job->input = json_loadb(rt_db_result_value(res, 0, 0), rt_db_result_length(res, 0, 0), 0, &jerr);
  int rc = job->input ? rt_http_offload(call->req, schedule_work, schedule_done, job) : RT_ENOMEM;
  if (rc) {
    job_release(job);
    rt_http_respond_problem(call->req, 500, "Internal Server Error",
                            "The schedule could not be started.");
  }
}

void rt__schedule_create(rt_api_call_t *call) {
  schedule_job_t *job = job_new(call);
  if (!job)
    return;
  int64_t id = job->roundtable;
  job->created = 1;
  job->agreed_first = 1;
  job->t0 = uv_hrtime();
  if (call->req->body_len > 0 || rt_http_header(call->req, "Content-Type")) {
    json_t *body = rt__input_body(call);
    if (!body)
      return;
    static const char *const known[] = {"group", "agreed_first", NULL};
    static const char *const groups[] = {"need", "pair", NULL};
    rt_field_errors_t errs = {0};
    if (unknown_fields(call, body, known, &errs))
      return;
    const char *group = NULL;
    rt__v_enum(body, "group", "group", 0, groups, &errs, &group);
    job->by_pair = group && strcmp(group, "pair") == 0;
    json_t *af = json_object_get(body, "agreed_first");
    if (af && !json_is_boolean(af))
      rt__field_error(&errs, "agreed_first", "must be true or false");
    else if (af)
      job->agreed_first = json_is_true(af);
    json_decref(body);
    if (rt__field_errors_any(&errs)) {
      refuse(call, id, &errs, "The schedule request is not valid.");
      return;
    }
  }
  const char *params[] = {rt__id_text(call, id)};
  int rc = rt_db_exec(rt__api_pool(call), load_sql, 1, params, on_loaded, job);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

/* ---- one participant's timetable ---- */

/* Meetings of needs the caller ($3 its role, $4 its participant) may not see are left out, as
 * in the roundtable's schedule: a provider whose match of the need went since the schedule was
 * made is no longer a party (sql/014_need_visibility.sql). */
static const char participant_sql[] =
    "SELECT json_build_object('participant_id', p.id::text, 'name', p.name,"
    " 'items', coalesce((SELECT json_agg(" MEETING_JSON
    " ORDER BY sl.starts_at, mt.id)" MEETING_FROM " WHERE mt.participant_ids @> ARRAY[p.id]"
    " AND ($2::bigint IS NULL OR mt.roundtable_id = $2)"
    " AND rt_need_visible(n.visibility, n.participant_id, n.id, $3, $4::bigint)), '[]'),"
    " 'next_cursor', null)::text FROM participants p WHERE p.id = $1";

typedef struct participant_job {
  rt_api_call_t *call;
  int64_t participant;
  int ics;
} participant_job_t;

static const char *jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* The timetable as an iCalendar document: one VEVENT per meeting. */
static int render_ics(json_t *doc, int64_t participant, rt_buf_t *out) {
  int rc = rt_ical_line(out, "BEGIN:VCALENDAR");
  if (!rc)
    rc = rt_ical_line(out, "VERSION:2.0");
  if (!rc)
    rc = rt_ical_line(out, "PRODID:-//Roundtable//Meeting schedule//EN");
  if (!rc)
    rc = rt_ical_line(out, "CALSCALE:GREGORIAN");
  if (!rc)
    rc = rt_ical_line(out, "METHOD:PUBLISH");
  if (!rc)
    rc = rt_ical_text(out, "X-WR-CALNAME", jstr(doc, "name"));
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(doc, "items"), i, m) {
    char start[17], end[17], stamp[17], line[128];
    if (rc || rt_ical_utc(jstr(m, "starts_at"), start) || rt_ical_utc(jstr(m, "ends_at"), end) ||
        rt_ical_utc(jstr(m, "scheduled_at"), stamp)) {
      rc = rc ? rc : RT_EINVAL;
      break;
    }
    rt_buf_t text;
    rt_buf_init(&text, 0);
    /* The counterparts: everyone at the table but the participant. */
    rc = rt_buf_printf(&text, "%s\nNeed: %s\nWith: ", jstr(m, "roundtable_title"),
                       jstr(m, "need_title"));
    size_t k, n = 0;
    json_t *p;
    json_array_foreach(json_object_get(m, "participants"), k, p) {
      if (rc || rt__parse_id(jstr(p, "id")) == participant)
        continue;
      rc = rt_buf_printf(&text, "%s%s", n++ ? "; " : "", jstr(p, "name"));
    }
    snprintf(line, sizeof(line), "UID:meeting-%s-p%lld@roundtable", jstr(m, "id"),
             (long long)participant);
    if (!rc)
      rc = rt_ical_line(out, "BEGIN:VEVENT");
    if (!rc)
      rc = rt_ical_line(out, line);
    snprintf(line, sizeof(line), "DTSTAMP:%s", stamp);
    if (!rc)
      rc = rt_ical_line(out, line);
    snprintf(line, sizeof(line), "DTSTART:%s", start);
    if (!rc)
      rc = rt_ical_line(out, line);
    snprintf(line, sizeof(line), "DTEND:%s", end);
    if (!rc)
      rc = rt_ical_line(out, line);
    rt_buf_t summary, location;
    rt_buf_init(&summary, 0);
    rt_buf_init(&location, 0);
    if (!rc)
      rc = rt_buf_printf(&summary, "Roundtable meeting: %s", jstr(m, "need_title"));
    if (!rc)
      rc = rt_buf_printf(&location, "%s%s%s", jstr(m, "table"), *jstr(m, "location") ? " - " : "",
                         jstr(m, "location"));
    if (!rc)
      rc = rt_ical_text(out, "SUMMARY", summary.data);
    if (!rc)
      rc = rt_ical_text(out, "LOCATION", location.data);
    if (!rc)
      rc = rt_ical_text(out, "DESCRIPTION", text.data);
    if (!rc)
      rc = rt_ical_line(out, "END:VEVENT");
    rt_buf_free(&summary);
    rt_buf_free(&location);
    rt_buf_free(&text);
  }
  if (!rc)
    rc = rt_ical_line(out, "END:VCALENDAR");
  return rc;
}

static void on_participant_read(int status, const rt_db_result_t *res, void *data) {
  participant_job_t *job = data;
  rt_api_call_t *call = job->call;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (rt_db_result_rows(res) < 1) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such participant.");
    return;
  }
  if (!job->ics) {
    rt__respond_row(call, 200, res);
    return;
  }
  json_error_t jerr;
  json_t *doc = json_loadb(rt_db_result_value(res, 0, 0), rt_db_result_length(res, 0, 0), 0, &jerr);
  rt_buf_t out;
  rt_buf_init(&out, 0);
  int rc = doc ? render_ics(doc, job->participant, &out) : RT_ENOMEM;
  json_decref(doc);
  if (rc) {
    rt_buf_free(&out);
    rt_http_respond_problem(call->req, 500, "Internal Server Error",
                            "The calendar could not be made.");
    return;
  }
  char disposition[96];
  snprintf(disposition, sizeof(disposition),
           "attachment; filename=\"roundtable-schedule-%lld.ics\"", (long long)job->participant);
  if (rt_http_add_header(call->req, "Content-Disposition", disposition)) {
    rt_buf_free(&out);
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  rt_http_respond_buf(call->req, 200, "text/calendar; charset=utf-8", &out);
}

void rt__schedule_participant(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char *const allowed[] = {"format", "roundtable_id", NULL};
  rt_query_t q;
  const char *rtid = NULL;
  if (rt__input_query(call, allowed, &q) || rt__input_id_filter(call, &q, "roundtable_id", &rtid))
    return;
  const char *format = rt__query_get(&q, "format");
  if (format && strcmp(format, "json") != 0 && strcmp(format, "ics") != 0) {
    rt_http_respond_problem(call->req, 400, "Bad Request", "format must be json or ics.");
    return;
  }
  if (!is_staff(call) && call->who.participant_id != id) {
    rt_http_respond_problem(call->req, 403, "Forbidden",
                            "A participant sees only its own schedule.");
    return;
  }
  participant_job_t *job = rt_arena_alloc(&call->req->arena, sizeof(*job));
  if (!job) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  job->call = call;
  job->participant = id;
  job->ics = format && strcmp(format, "ics") == 0;
  const char *params[] = {rt__id_text(call, id), rtid, rt__role_name(call->who.role),
                          call->who.participant_id ? rt__id_text(call, call->who.participant_id)
                                                   : NULL};
  int rc =
      rt_db_exec(rt__api_read_pool(call), participant_sql, 4, params, on_participant_read, job);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}
