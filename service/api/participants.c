/* Participants: states, donors, implementers and organizers. POST by organizer or
 * admin; any token reads; PATCH by organizer or admin, or by a state or provider for
 * its own participant (not its kind or country). */
#include <string.h>

#include "decoders.h"
#include "participants.h"
#include "reference.h"
#include "resource.h"

static const char *const kinds[] = {"state", "donor", "implementer", "organizer", NULL};
static const char *const known_fields[] = {"id",         "name",      "kind",    "country",
                                           "region",     "languages", "contact", "created_at",
                                           "updated_at", NULL};
static const char *const read_only[] = {"id", "created_at", "updated_at", NULL};
static const char *const contact_fields[] = {"name", "email", NULL};

enum { F_NAME, F_KIND, F_COUNTRY, F_REGION, F_LANGUAGES, F_CONTACT_NAME, F_CONTACT_EMAIL, F_COUNT };
static const char *const columns[F_COUNT] = {"name",      "kind",         "country",      "region",
                                             "languages", "contact_name", "contact_email"};
static const char *const casts[F_COUNT] = {"", "", "", "", "::text[]", "", ""};

typedef struct participant_input {
  const char *values[F_COUNT];
  int given[F_COUNT];
} participant_input_t;

static int decode(rt_api_call_t *call, json_t *body, int creating, rt_field_errors_t *errs,
                  participant_input_t *in) {
  rt_arena_t *arena = &call->req->arena;
  memset(in, 0, sizeof(*in));
  rt__v_unknown(body, known_fields, errs);
  rt__v_forbidden(body, read_only, errs);
  in->given[F_NAME] =
      rt__v_string(body, "name", "name", creating, 1, 200, errs, &in->values[F_NAME]) > 0;
  in->given[F_KIND] =
      rt__v_enum(body, "kind", "kind", creating, kinds, errs, &in->values[F_KIND]) > 0;
  in->given[F_COUNTRY] =
      rt__v_code(body, "country", "country", 0, RT_REF_COUNTRY, errs, &in->values[F_COUNTRY]) > 0;
  in->given[F_REGION] =
      rt__v_code(body, "region", "region", 0, RT_REF_REGION, errs, &in->values[F_REGION]) > 0;
  in->given[F_LANGUAGES] = rt__v_codes(body, "languages", "languages", 0, 0, 20, RT_REF_LANGUAGE,
                                       errs, &in->values[F_LANGUAGES], arena) > 0;
  json_t *contact = json_object_get(body, "contact");
  if (contact && !json_is_null(contact)) {
    if (!json_is_object(contact)) {
      rt__field_error(errs, "contact", "must be an object with name and email");
    } else {
      const char *const *f;
      const char *key;
      json_t *v;
      json_object_foreach(contact, key, v) {
        for (f = contact_fields; *f && strcmp(*f, key) != 0; f++)
          ;
        if (!*f)
          rt__field_error(errs, rt_arena_printf(arena, "contact.%s", key),
                          "is not a field of contact");
      }
      /* merge semantics: a key left out stays as it is, null clears it */
      in->given[F_CONTACT_NAME] = rt__v_string(contact, "name", "contact.name", 0, 0, 200, errs,
                                               &in->values[F_CONTACT_NAME]) > 0 ||
                                  json_is_null(json_object_get(contact, "name"));
      in->given[F_CONTACT_EMAIL] = rt__v_string(contact, "email", "contact.email", 0, 0, 254, errs,
                                                &in->values[F_CONTACT_EMAIL]) > 0 ||
                                   json_is_null(json_object_get(contact, "email"));
      if (in->values[F_CONTACT_EMAIL] && !rt__email_ok(in->values[F_CONTACT_EMAIL]))
        rt__field_error(errs, "contact.email", "must be an email address");
    }
  } else if (contact) {
    in->given[F_CONTACT_NAME] = in->given[F_CONTACT_EMAIL] = 1; /* null clears both */
  }
  /* null clears; the database keeps a state's country (participants_state_has_country) */
  static const int clearable[] = {F_COUNTRY, F_REGION, F_LANGUAGES};
  for (size_t i = 0; i < sizeof(clearable) / sizeof(clearable[0]); i++)
    if (json_is_null(json_object_get(body, columns[clearable[i]])))
      in->given[clearable[i]] = 1, in->values[clearable[i]] = NULL;
  /* (a country given but unknown has its own error already) */
  json_t *country = json_object_get(body, "country");
  if (creating && in->values[F_KIND] && strcmp(in->values[F_KIND], "state") == 0 &&
      (!country || json_is_null(country)))
    rt__field_error(errs, "country", "is required for a state");
  if (in->values[F_COUNTRY] && in->values[F_REGION]) {
    const rt_ref_entry_t *c = rt__ref_find(RT_REF_COUNTRY, in->values[F_COUNTRY]);
    if (c && strcmp(c->extra, in->values[F_REGION]) != 0)
      rt__field_error(errs, "region", "does not match country %s, which is in %s",
                      in->values[F_COUNTRY], c->extra);
  }
  /* Values borrow from body; the caller drops it before the statement runs. */
  rt__own_strings(arena, in->values, F_COUNT, errs);
  return rt__field_errors_any(errs) ? -1 : 0;
}

int rt__participant_decode_check(rt_api_call_t *call, json_t *body, int creating,
                                 rt_field_errors_t *errs) {
  participant_input_t in;
  return decode(call, body, creating, errs, &in);
}

static void create_ready(rt_api_call_t *call) {
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  participant_input_t in;
  if (decode(call, body, 1, &errs, &in)) {
    json_decref(body);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content",
                            "The participant is not valid.", &errs);
    return;
  }
  json_decref(body);
  static const char sql[] =
      "INSERT INTO participants AS p (name, kind, country, region, languages, contact_name,"
      " contact_email) VALUES ($1, $2, $3, $4, coalesce($5::text[], '{}'), $6, $7)"
      " RETURNING " PARTICIPANT_JSON;
  rt__exec_row(call, 201, sql, F_COUNT, in.values);
}

void rt__participants_create(rt_api_call_t *call) { rt__reference_ready(call, create_ready); }

void rt__participants_get(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char sql[] =
      "SELECT " PARTICIPANT_JSON_SEEN_BY("$2") " FROM participants p WHERE p.id = $1";
  const char *params[] = {rt__id_text(call, id), rt__participant_viewer(call)};
  rt__exec_row(call, 200, sql, 2, params);
}

/* Contact emails are personal data: staff see all, a party its own (docs/security.md). */
const char *rt__participant_viewer(rt_api_call_t *call) {
  if (call->who.role & RT_ROLES_STAFF)
    return "*";
  return rt__id_text(call, call->who.participant_id);
}

static void list_ready(rt_api_call_t *call) {
  static const char *const allowed[] = {"limit", "cursor", "kind", "region", "country", "q", NULL};
  rt_query_t q;
  rt_page_t page;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  const char *kind = rt__query_get(&q, "kind");
  const char *region = rt__query_get(&q, "region");
  const char *country = rt__query_get(&q, "country");
  const char *bad = NULL;
  if (kind) {
    int ok = 0;
    for (const char *const *k = kinds; *k; k++)
      ok |= strcmp(*k, kind) == 0;
    if (!ok)
      bad = "kind must be state, donor, implementer or organizer.";
  }
  if (region && !rt__ref_find(RT_REF_REGION, region))
    bad = "region is not a known region code.";
  if (country && !rt__ref_find(RT_REF_COUNTRY, country))
    bad = "country is not a known country code.";
  if (bad) {
    rt_http_respond_problem(call->req, 400, "Bad Request", bad);
    return;
  }
  static const char sql[] = "SELECT " PARTICIPANT_JSON_SEEN_BY(
      "$7") ", p.id FROM participants p WHERE p.id > $1"
            " AND ($2::text IS NULL OR p.kind = $2) AND ($3::text IS NULL OR p.region = $3)"
            " AND ($4::text IS NULL OR p.country = $4)"
            " AND ($5::text IS NULL OR strpos(lower(p.name), lower($5)) > 0)"
            " ORDER BY p.id LIMIT $6";
  const char *params[] = {rt__id_text(call, page.after),
                          kind,
                          region,
                          country,
                          rt__query_get(&q, "q"),
                          rt__id_text(call, page.limit + 1),
                          rt__participant_viewer(call)};
  rt__exec_list(call, &page, sql, 7, params);
}

void rt__participants_list(rt_api_call_t *call) { rt__reference_ready(call, list_ready); }

static void patch_ready(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  int staff = (call->who.role & RT_ROLES_STAFF) != 0;
  if (!staff && call->who.participant_id != id) {
    rt_http_respond_problem(call->req, 403, "Forbidden",
                            "Only the participant itself or an organizer can change it.");
    return;
  }
  json_t *body = rt__input_body(call);
  if (!body)
    return;
  rt_field_errors_t errs = {0};
  participant_input_t in;
  decode(call, body, 0, &errs, &in);
  if (!staff) {
    static const char *const staff_only[] = {"kind", "country", "region", NULL};
    for (const char *const *k = staff_only; *k; k++)
      if (json_object_get(body, *k))
        rt__field_error(&errs, *k, "can only be changed by an organizer");
  }
  if (json_is_null(json_object_get(body, "name")) || json_is_null(json_object_get(body, "kind")))
    rt__field_error(&errs, json_is_null(json_object_get(body, "name")) ? "name" : "kind",
                    "cannot be cleared");
  if (rt__field_errors_any(&errs)) {
    json_decref(body);
    rt__problem_with_errors(call->req, 422, "Unprocessable Content", "The change is not valid.",
                            &errs);
    return;
  }
  rt_arena_t *arena = &call->req->arena;
  const char *params[1 + F_COUNT];
  int n = 0;
  params[n++] = rt__id_text(call, id);
  rt_buf_t set;
  rt_buf_init(&set, 4096);
  int rc = rt_buf_puts(&set, "updated_at = now()");
  for (int f = 0; f < F_COUNT && !rc; f++) {
    if (!in.given[f])
      continue;
    params[n++] = in.values[f];
    if (f == F_LANGUAGES)
      rc = rt_buf_printf(&set, ", languages = coalesce($%d::text[], '{}')", n);
    else
      rc = rt_buf_printf(&set, ", %s = $%d%s", columns[f], n, casts[f]);
  }
  /* A new country without a region: the trigger derives it again. */
  if (!rc && in.given[F_COUNTRY] && !in.given[F_REGION])
    rc = rt_buf_puts(&set, ", region = NULL");
  json_decref(body);
  char *sql =
      rc ? NULL
         : rt_arena_printf(
               arena, "UPDATE participants p SET %s WHERE p.id = $1 RETURNING " PARTICIPANT_JSON,
               set.data);
  rt_buf_free(&set);
  rt__exec_row(call, 200, sql, n, params);
}

void rt__participants_patch(rt_api_call_t *call) { rt__reference_ready(call, patch_ready); }
