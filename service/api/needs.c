/* Needs: what a state asks for. The table below is the whole definition; postings.c
 * does the work. */
#include "needs.h"

#include "postings.h"

static const char *const modalities[] = {"in_person", "online", "hybrid", "any", NULL};
static const char *const priorities[] = {"high", "medium", "low", NULL};
static const char *const statuses[] = {"open", "matched", "fulfilled", "withdrawn", NULL};
static const char *const visibilities[] = {"everyone", "providers", "organizers", NULL};
static const char *const extra_filters[] = {"priority", "modality", "visibility", NULL};

static const rt_posting_field_t fields[] = {
    {"title", "title", RT_PF_TEXT, 1, 1, 300, NULL, 0, "", NULL, 0},
    {"description", "description", RT_PF_TEXT, 0, 0, 20000, NULL, 0, "", "''", 1},
    {"themes", "themes", RT_PF_CODES, 1, 1, 25, NULL, RT_REF_THEME, "::text[]", NULL, 0},
    {"languages", "languages", RT_PF_CODES, 1, 1, 20, NULL, RT_REF_LANGUAGE, "::text[]", NULL, 0},
    {"modality", "modality", RT_PF_ENUM, 0, 0, 0, modalities, 0, "", "'any'", 1},
    {"window.start", "window_start", RT_PF_DATE, 0, 0, 0, NULL, 0, "::date", NULL, 1},
    {"window.end", "window_end", RT_PF_DATE, 0, 0, 0, NULL, 0, "::date", NULL, 1},
    {"budget_usd", "budget_usd", RT_PF_MONEY, 0, 0, 0, NULL, 0, "::numeric", NULL, 1},
    {"priority", "priority", RT_PF_ENUM, 0, 0, 0, priorities, 0, "", "'medium'", 1},
    {"max_partners", "max_partners", RT_PF_INT, 0, 1, 100, NULL, 0, "::integer", "1", 1},
    {"visibility", "visibility", RT_PF_ENUM, 0, 0, 0, visibilities, 0, "", "'everyone'", 0},
};

/* matched is the engine's to set and unset; an owner may declare fulfilment or withdraw. */
static const rt_posting_move_t moves[] = {
    {"open", "matched", 0},      {"matched", "open", 0},   {"open", "fulfilled", 1},
    {"matched", "fulfilled", 1}, {"open", "withdrawn", 1}, {"matched", "withdrawn", 1},
    {"fulfilled", "open", 0},
};

const rt_posting_kind_t rt__need_kind = {
    .table = "needs",
    .singular = "need",
    .json_sql = "json_build_object('id', x.id::text, 'roundtable_id', x.roundtable_id::text,"
                " 'participant_id', x.participant_id::text, 'title', x.title,"
                " 'description', x.description, 'themes', to_json(x.themes),"
                " 'languages', to_json(x.languages), 'modality', x.modality,"
                " 'window', json_build_object('start', x.window_start, 'end', x.window_end),"
                " 'budget_usd', x.budget_usd, 'priority', x.priority,"
                " 'max_partners', x.max_partners, 'visibility', x.visibility, 'status', x.status,"
                " 'created_at', rt_ts(x.created_at), 'updated_at', rt_ts(x.updated_at))::text",
    .owner_role = RT_ROLE_STATE,
    .poster_kinds_sql = "'state'",
    .poster_name = "a state",
    .fields = fields,
    .nfields = sizeof(fields) / sizeof(fields[0]),
    .statuses = statuses,
    .moves = moves,
    .nmoves = sizeof(moves) / sizeof(moves[0]),
    .withdrawn = "withdrawn",
    /* the region of the state that posted the need */
    .region_filter = {"x.participant_id IN (SELECT id FROM participants WHERE region = $", ")"},
    .extra_enum_filters = extra_filters,
    .visible_sql = rt__need_visible_sql,
    /* another state may not learn that a need it may not see exists */
    .private_sql = "visibility <> 'everyone'",
};

const char *rt__need_visible_sql(rt_api_call_t *call, const char *a, const char **params, int *n) {
  if (call->who.role & RT_ROLES_STAFF)
    return "true";
  params[(*n)++] = rt__role_name(call->who.role);
  params[(*n)++] = call->who.participant_id ? rt__id_text(call, call->who.participant_id) : NULL;
  return rt_arena_printf(
      &call->req->arena,
      "rt_need_visible(%s.visibility, %s.participant_id, %s.id, $%d, $%d::bigint)", a, a, a, *n - 1,
      *n);
}

void rt__needs_create(rt_api_call_t *call) { rt__postings_create(call, &rt__need_kind); }
void rt__needs_list(rt_api_call_t *call) { rt__postings_list(call, &rt__need_kind); }
void rt__needs_get(rt_api_call_t *call) { rt__postings_get(call, &rt__need_kind); }
void rt__needs_patch(rt_api_call_t *call) { rt__postings_patch(call, &rt__need_kind); }
void rt__needs_withdraw(rt_api_call_t *call) { rt__postings_withdraw(call, &rt__need_kind); }
