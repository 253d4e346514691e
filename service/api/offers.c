/* Offers: what a donor or implementer brings. The table below is the whole definition;
 * postings.c does the work. */
#include "offers.h"

#include "postings.h"
#include "resource.h"

static const char *const kinds[] = {"training",  "technical_assistance", "funding", "equipment",
                                    "mentoring", "policy_advice",        NULL};
static const char *const modalities[] = {"in_person", "online", "hybrid", NULL};
static const char *const statuses[] = {"open", "closed", "withdrawn", NULL};
static const char *const extra_filters[] = {"kind", "modality", NULL};

static const rt_posting_field_t fields[] = {
    {"title", "title", RT_PF_TEXT, 1, 1, 300, NULL, 0, "", NULL, 0},
    {"description", "description", RT_PF_TEXT, 0, 0, 20000, NULL, 0, "", "''", 1},
    {"kind", "kind", RT_PF_ENUM, 1, 0, 0, kinds, 0, "", NULL, 0},
    {"themes", "themes", RT_PF_CODES, 1, 1, 25, NULL, RT_REF_THEME, "::text[]", NULL, 0},
    {"languages", "languages", RT_PF_CODES, 1, 1, 20, NULL, RT_REF_LANGUAGE, "::text[]", NULL, 0},
    {"modality", "modality", RT_PF_ENUM, 0, 0, 0, modalities, 0, "", "'hybrid'", 1},
    {"window.start", "window_start", RT_PF_DATE, 0, 0, 0, NULL, 0, "::date", NULL, 1},
    {"window.end", "window_end", RT_PF_DATE, 0, 0, 0, NULL, 0, "::date", NULL, 1},
    {"funding_usd", "funding_usd", RT_PF_MONEY, 0, 0, 0, NULL, 0, "::numeric", NULL, 1},
    {"capacity", "capacity", RT_PF_INT, 0, 1, 1000, NULL, 0, "::integer", "1", 1},
    {"regions", "regions", RT_PF_CODES, 0, 0, 5, NULL, RT_REF_REGION, "::text[]", "'{}'", 1},
    {"countries", "countries", RT_PF_CODES, 0, 0, 250, NULL, RT_REF_COUNTRY, "::text[]", "'{}'", 1},
};

static const rt_posting_move_t moves[] = {
    {"open", "closed", 1},
    {"closed", "open", 1},
    {"open", "withdrawn", 1},
    {"closed", "withdrawn", 1},
};

const rt_posting_kind_t rt__offer_kind = {
    .table = "offers",
    .singular = "offer",
    .json_sql = "json_build_object('id', x.id::text, 'roundtable_id', x.roundtable_id::text,"
                " 'participant_id', x.participant_id::text, 'title', x.title,"
                " 'description', x.description, 'kind', x.kind, 'themes', to_json(x.themes),"
                " 'languages', to_json(x.languages), 'modality', x.modality,"
                " 'window', json_build_object('start', x.window_start, 'end', x.window_end),"
                " 'funding_usd', x.funding_usd, 'capacity', x.capacity,"
                " 'regions', to_json(x.regions), 'countries', to_json(x.countries),"
                " 'status', x.status, 'created_at', rt_ts(x.created_at),"
                " 'updated_at', rt_ts(x.updated_at))::text",
    .owner_role = RT_ROLE_PROVIDER,
    .poster_kinds_sql = "'donor', 'implementer'",
    .poster_name = "a donor or an implementer",
    .fields = fields,
    .nfields = sizeof(fields) / sizeof(fields[0]),
    .statuses = statuses,
    .moves = moves,
    .nmoves = sizeof(moves) / sizeof(moves[0]),
    .withdrawn = "withdrawn",
    /* offers open to the region: no restriction, or the region named */
    .region_filter = {"(x.regions = '{}' OR x.regions @> ARRAY[$", "::text])"},
    .extra_enum_filters = extra_filters,
    /* how many offers and agreed partnerships it overlaps (sql/012_offer_overlaps.sql) */
    .created_header = "Roundtable-Overlaps",
    .created_header_sql = "rt_offer_overlaps(x.roundtable_id, x.id, x.themes, x.regions,"
                          " x.countries, 0) ->> 'total'",
};

/* GET /offers/{id}/overlaps: the same, at any time, up to 50. */
void rt__offers_overlaps(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  /* items leave out partnerships on needs the caller may not see (sql/014_need_visibility.sql) */
  static const char sql[] =
      "SELECT (rt_offer_overlaps(roundtable_id, id, themes, regions, countries, 50, $2, $3::bigint)"
      " || jsonb_build_object('next_cursor', null))::text FROM offers WHERE id = $1";
  const char *params[] = {rt__id_text(call, id), rt__role_name(call->who.role),
                          call->who.participant_id ? rt__id_text(call, call->who.participant_id)
                                                   : NULL};
  rt__exec_row(call, 200, sql, 3, params);
}

void rt__offers_create(rt_api_call_t *call) { rt__postings_create(call, &rt__offer_kind); }
void rt__offers_list(rt_api_call_t *call) { rt__postings_list(call, &rt__offer_kind); }
void rt__offers_get(rt_api_call_t *call) { rt__postings_get(call, &rt__offer_kind); }
void rt__offers_patch(rt_api_call_t *call) { rt__postings_patch(call, &rt__offer_kind); }
void rt__offers_withdraw(rt_api_call_t *call) { rt__postings_withdraw(call, &rt__offer_kind); }
