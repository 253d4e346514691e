/* Summaries: GET /roundtables/{id}/summary?format=json|markdown|html|csv&lang=en|zh (any token)
 * and `roundtable summary`. Both read one REPEATABLE READ snapshot (the rows below, each table
 * once, and the snapshot's agreed and declined pairs), then, off the event loop, count them,
 * pick the engine's rows out of them, ask the engine why each unmet need has no partner, fill
 * the summary document and render it (service/summary). docs/summaries.md says what each figure
 * means and how it is made fast. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "resource.h"
#include "roundtable/log.h"
#include "roundtable/summary.h"
#include "snapshot.h"
#include "summary.h"

/* The roundtable, the moment of the snapshot, and the latest succeeded run (min_score and
 * weights as "name=value,..."). */
static const char head_sql[] =
    "SELECT r.id::text, r.title, r.starts_on::text, r.ends_on::text, r.location, r.status,"
    " rt_ts(now()), lr.id::text, rt_ts(lr.finished_at), lr.params->>'min_score',"
    " (SELECT string_agg(w.key || '=' || w.value, ',') FROM jsonb_each_text(lr.params->'weights') "
    "w)"
    " FROM roundtables r LEFT JOIN LATERAL (SELECT id, finished_at, params FROM match_runs"
    " WHERE roundtable_id = r.id AND status = 'succeeded' ORDER BY id DESC LIMIT 1) lr ON true"
    " WHERE r.id = $1";
enum { H_ID, H_TITLE, H_STARTS, H_ENDS, H_LOCATION, H_STATUS, H_NOW, H_RUN, H_RUN_END, H_MIN, H_W };

/* Every need of the roundtable and every counted offer (not withdrawn), each read once: their
 * first columns are the engine's rows in the layouts of the snapshot's own statements
 * (snapshot.c's needs_sql and offers_sql, whose reading the summary replaces: caller_rows), the
 * rest what the summary lists. The engine's rows are picked in C (engine_rows), and so is
 * everything counted: over the matches below, which needs a match holds, the capacity the
 * matches use, the states' agreed partnerships and the partnerships by status (one pass beats
 * three groupings of the matches table in SQL); over the needs and offers, the themes and
 * regions (several times faster than grouping the unnested themes in SQL). */
static const char need_rows_sql[] =
    "SELECT n.id, n.participant_id, p.region, p.country::text, n.title, n.description,"
    " array_to_string(n.themes, ','), array_to_string(n.languages, ','), n.modality,"
    " n.window_start - DATE '1970-01-01', n.window_end - DATE '1970-01-01',"
    " (n.budget_usd * 100)::bigint, n.priority, n.max_partners, 0, p.name, n.status,"
    " rt_need_visible(n.visibility, n.participant_id, n.id, $2, $3::bigint)"
    " FROM needs n JOIN participants p ON p.id = n.participant_id"
    " WHERE n.roundtable_id = $1";
enum {
  NR_ID,
  NR_STATE_ID,
  NR_REGION,
  NR_COUNTRY,
  NR_TITLE,
  NR_DESCRIPTION,
  NR_THEMES,
  NR_LANGUAGES,
  NR_MODALITY,
  NR_WSTART,
  NR_WEND,
  NR_BUDGET,
  NR_PRIORITY,
  NR_MAX_PARTNERS,
  NR_AGREED, /* the state's agreed partnerships: counted in C */
  NR_STATE,
  NR_STATUS,
  NR_VISIBLE /* whether the caller may see it: only such needs are listed */
};
_Static_assert(NR_AGREED + 1 == RT_SNAP_NEED_COLS, "the engine's columns come first");

static const char offer_rows_sql[] =
    "SELECT o.id, o.participant_id, o.title, o.description, array_to_string(o.themes, ','),"
    " array_to_string(o.languages, ','), o.modality, o.window_start - DATE '1970-01-01',"
    " o.window_end - DATE '1970-01-01', (o.funding_usd * 100)::bigint, o.capacity,"
    " array_to_string(o.regions, ','), array_to_string(o.countries, ','), p.name, o.status"
    " FROM offers o JOIN participants p ON p.id = o.participant_id"
    " WHERE o.roundtable_id = $1 AND o.status <> 'withdrawn'";
enum {
  OR_ID,
  OR_PROV_ID,
  OR_TITLE,
  OR_DESCRIPTION,
  OR_THEMES,
  OR_LANGUAGES,
  OR_MODALITY,
  OR_WSTART,
  OR_WEND,
  OR_FUNDING,
  OR_CAPACITY,
  OR_REGIONS,
  OR_COUNTRIES,
  OR_PROV,
  OR_STATUS
};
_Static_assert(OR_COUNTRIES + 1 == RT_SNAP_OFFER_COLS, "the engine's columns come first");

static const char match_rows_sql[] =
    "SELECT need_id, offer_id, status, follow_up_outcome FROM matches WHERE roundtable_id = $1";
enum { MR_NEED, MR_OFFER, MR_STATUS, MR_OUTCOME };

/* The states' partnerships delivered or partly delivered in other roundtables: fairness counts
 * them too (snapshot.c's needs_sql). Few rows: matches_follow_up is partial. */
static const char delivered_sql[] =
    "SELECT n.participant_id, count(*) FROM matches m JOIN needs n ON n.id = m.need_id"
    " WHERE m.follow_up_outcome IN ('delivered', 'partly_delivered') AND m.roundtable_id <> $1"
    " GROUP BY n.participant_id ORDER BY n.participant_id";
enum { DR_STATE, DR_COUNT };

/* The strongest partnerships, with their breakdown as "criterion=value=weight,...", among those
 * whose need the caller ($2 its role, $3 its participant) may see. */
static const char top_sql[] =
    "SELECT m.id::text, m.status, m.need_id::text, n.title, n.participant_id::text, ps.name,"
    " m.offer_id::text, o.title, o.participant_id::text, pp.name, m.score,"
    " (SELECT string_agg(e.key || '=' || coalesce(e.value->>'value', '') || '='"
    " || coalesce(e.value->>'weight', ''), ',' ORDER BY e.ord)"
    " FROM json_each(m.breakdown) WITH ORDINALITY e(key, value, ord))"
    " FROM matches m JOIN needs n ON n.id = m.need_id JOIN offers o ON o.id = m.offer_id"
    " JOIN participants ps ON ps.id = n.participant_id"
    " JOIN participants pp ON pp.id = o.participant_id"
    " WHERE m.roundtable_id = $1 AND m.status IN ('proposed', 'agreed', 'completed')"
    " AND rt_need_visible(n.visibility, n.participant_id, n.id, $2, $3::bigint)"
    " ORDER BY m.score DESC, m.id LIMIT 10";
enum {
  T_ID,
  T_STATUS,
  T_NEED,
  T_NTITLE,
  T_STATE_ID,
  T_STATE,
  T_OFFER,
  T_OTITLE,
  T_PROV_ID,
  T_PROV,
  T_SCORE,
  T_TERMS
};

enum { E_HEAD, E_NEEDS, E_OFFERS, E_MATCHES, E_TOP, E_DELIVERED, E_COUNT };
static const char *const extra_sql[E_COUNT] = {head_sql,       need_rows_sql, offer_rows_sql,
                                               match_rows_sql, top_sql,       delivered_sql};

/* One summary being made: the same for a request and for the command line. */
typedef struct summary_job {
  int64_t id;
  rt_summary_format_t format;
  rt_summary_lang_t lang;
  /* who asks: the lists name only the needs it may see (the figures count every need) */
  const char *role;
  int64_t participant;
  rt_snapshot_t *snap; /* owned between the load and the work */
  int rc;
  int not_found;
  char err[256];
  rt_buf_t body;                       /* the document */
  uint64_t t_start, t_loaded, t_built; /* uv_hrtime(), for the log */
} summary_job_t;

static void job_init(summary_job_t *job, int64_t id, rt_summary_format_t f, rt_summary_lang_t l) {
  memset(job, 0, sizeof(*job));
  job->id = id;
  job->format = f;
  job->lang = l;
  job->role = "admin"; /* the command line */
  rt_buf_init(&job->body, 0);
  job->t_start = uv_hrtime();
}

static rt_snapshot_request_t job_request(const summary_job_t *job) {
  rt_snapshot_request_t rq = {.focus = RT_SNAP_ROUNDTABLE,
                              .id = job->id,
                              .caller_rows = 1,
                              .extra_sql = extra_sql,
                              .n_extra = E_COUNT,
                              .extra_caller = 1u << E_NEEDS | 1u << E_TOP,
                              .caller_role = job->role,
                              .caller_participant = job->participant};
  return rq;
}

/* ---- the work: off the loop ---- */

static const char *cell(const rt_snapshot_table_t *t, int r, int c) {
  return t->cells[(size_t)r * (size_t)t->cols + (size_t)c];
}

static int64_t cell_int(const rt_snapshot_table_t *t, int r, int c) {
  const char *s = cell(t, r, c);
  return s ? strtoll(s, NULL, 10) : 0;
}

static int64_t id_of(const char *s) { return s ? strtoll(s, NULL, 10) : 0; }

static const char *ref_name(const rt_ref_entry_t *e, rt_summary_lang_t lang) {
  return lang == RT_SUMMARY_ZH ? e->name_zh : e->name_en;
}

/* The weights of the latest run ("theme=0.35,text=0.15,..."), or the defaults. */
static int run_weights(char *spec, rt_match_weights_t *w, char *err, size_t errlen) {
  const char *names[RT_MATCH_CRITERIA * 2];
  double values[RT_MATCH_CRITERIA * 2];
  size_t n = 0;
  char *save = NULL;
  for (char *tok = spec ? strtok_r(spec, ",", &save) : NULL; tok && n < RT_MATCH_CRITERIA * 2;
       tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq)
      continue;
    *eq = '\0';
    names[n] = tok;
    values[n++] = strtod(eq + 1, NULL);
  }
  if (!n) {
    rt_match_weights_default(w);
    return 0;
  }
  return rt_match_weights_make(w, names, values, n, err, errlen);
}

/* The rows of t that keep marks (all when keep is NULL), with their own copies of the cells:
 * building an instance splits list cells in place, and the snapshot may be built once more. */
static int table_dup(rt_arena_t *a, const rt_snapshot_table_t *t, const unsigned char *keep,
                     rt_snapshot_table_t *out) {
  out->cols = t->cols;
  out->rows = 0;
  out->cells = rt_arena_alloc(a, ((size_t)t->rows * (size_t)t->cols + 1) * sizeof(char *));
  if (!out->cells)
    return RT_ENOMEM;
  for (int r = 0; r < t->rows; r++) {
    if (keep && !keep[r])
      continue;
    char **to = out->cells + (size_t)out->rows++ * (size_t)t->cols;
    for (int c = 0; c < t->cols; c++) {
      const char *v = cell(t, r, c);
      to[c] = v ? rt_arena_strdup(a, v) : NULL;
      if (v && !to[c])
        return RT_ENOMEM;
    }
  }
  return 0;
}

/* Rows of t that keep marks (all when NULL), as a table of their first cols cells (shared). */
static int pick_rows(rt_arena_t *a, const rt_snapshot_table_t *t, int cols,
                     const unsigned char *keep, rt_snapshot_table_t *out) {
  out->cols = cols;
  out->rows = 0;
  out->cells = rt_arena_alloc(a, ((size_t)t->rows * (size_t)cols + 1) * sizeof(char *));
  if (!out->cells)
    return RT_ENOMEM;
  for (int r = 0; r < t->rows; r++)
    if (!keep || keep[r])
      memcpy(out->cells + (size_t)out->rows++ * (size_t)cols,
             t->cells + (size_t)r * (size_t)t->cols, (size_t)cols * sizeof(char *));
  return 0;
}

/* An instance of the snapshot's needs and of its offers that keep marks (all when NULL), built
 * on a view of the rows (same pairs): with copies of the cells when the snapshot is to be built
 * again (a build splits list cells in place); without the texts when only feasibility matters
 * (text similarity changes scores, never feasibility, and the texts' signatures are most of a
 * build). */
static int build_view(summary_job_t *job, const unsigned char *keep, int again, int no_text,
                      rt_match_instance_t **out) {
  const rt_snapshot_t *snap = job->snap;
  rt_snapshot_t view;
  memset(&view, 0, sizeof(view));
  view.request = snap->request;
  view.roundtable_id = snap->roundtable_id;
  view.pairs = snap->pairs;
  rt_arena_init(&view.arena, 64 * 1024);
  int rc = again ? table_dup(&view.arena, &snap->needs, NULL, &view.needs)
                 : pick_rows(&view.arena, &snap->needs, snap->needs.cols, NULL, &view.needs);
  if (!rc)
    rc = again ? table_dup(&view.arena, &snap->offers, keep, &view.offers)
               : pick_rows(&view.arena, &snap->offers, snap->offers.cols, keep, &view.offers);
  for (int r = 0; !rc && no_text && r < view.needs.rows; r++)
    view.needs.cells[(size_t)r * (size_t)view.needs.cols + NR_TITLE] =
        view.needs.cells[(size_t)r * (size_t)view.needs.cols + NR_DESCRIPTION] = NULL;
  for (int r = 0; !rc && no_text && r < view.offers.rows; r++)
    view.offers.cells[(size_t)r * (size_t)view.offers.cols + OR_TITLE] =
        view.offers.cells[(size_t)r * (size_t)view.offers.cols + OR_DESCRIPTION] = NULL;
  if (!rc)
    rc = rt__snapshot_build(&view, out, job->err, sizeof(job->err));
  rt_arena_reset(&view.arena); /* the instance keeps nothing of it */
  return rc;
}

/* A few offers that may settle a need without scoring every offer: those that settled the
 * needs before it (newest first), then the first offers of the instance. */
#define PROBE_RECENT 16
#define PROBE_FIRST 48
typedef struct probe {
  size_t recent[PROBE_RECENT];
  size_t n_recent;
} probe_t;

/* Whether one of the probed offers is feasible for need j and scores thr or more (*hit). */
static int probe_offers(probe_t *p, const rt_match_instance_t *all, size_t n_offers, size_t j,
                        const rt_match_weights_t *w, int64_t thr, int *hit) {
  *hit = 0;
  size_t n_first = n_offers < PROBE_FIRST ? n_offers : PROBE_FIRST;
  for (size_t i = 0; i < p->n_recent + n_first && !*hit; i++) {
    size_t o = i < p->n_recent ? p->recent[i] : i - p->n_recent;
    rt_match_reason_t fr;
    rt_match_breakdown_t b;
    b.score_q = 0;
    int rc = rt_match_feasible(all, j, o, &fr);
    if (!rc && fr == RT_MATCH_FEASIBLE && thr > 0)
      rc = rt_match_score(all, j, o, w, &b);
    if (rc)
      return rc;
    if (fr != RT_MATCH_FEASIBLE || (thr > 0 && b.score_q < thr))
      continue;
    *hit = 1;
    if (i < p->n_recent) /* to the front */
      memmove(p->recent + 1, p->recent, i * sizeof(p->recent[0]));
    else {
      memmove(p->recent + 1, p->recent,
              (p->n_recent < PROBE_RECENT ? p->n_recent : PROBE_RECENT - 1) * sizeof(p->recent[0]));
      p->n_recent += p->n_recent < PROBE_RECENT;
    }
    p->recent[0] = o;
  }
  return 0;
}

/* Why each unmet need goes without a partner. A need that is not open: need_not_open. Otherwise
 * the engine decides on the snapshot (agreed pairs use up capacity, declined pairs are
 * excluded): feasible when an offer with room (nothing proposed takes it: the next run can
 * propose it) is feasible and reaches the latest run's min_score; else, over every offer,
 * without a feasible one rt_match_unmet_reason names the rule the closest offers break,
 * below_min_score when the best feasible one does not reach min_score, else outcompeted (the
 * run gave those offers to other needs).
 *
 * Fast on large roundtables: the offers with room (few after a run) are scored on an instance
 * of their own; the instance of every offer is built only when none of those will do, and then
 * a few offers are tried first (probe_offers: one feasible and reaching min_score settles it,
 * outcompeted), the need being scored against all of them only when those do not. (Asking that
 * instance for the need's best offer, rt_match_suggest_offers, measured ~8x slower than the
 * vectorised rt_match_score_row.) */
static int unmet_reasons(summary_job_t *job, rt_summary_unmet_t *out, const char *const *status,
                         size_t n_out, const rt_summary_offer_t *unused, size_t n_unused,
                         const rt_match_weights_t *w, double min_score) {
  rt_snapshot_t *snap = job->snap;
  rt_match_instance_t *inst = NULL, *all = NULL;
  size_t n_offers = (size_t)snap->offers.rows, n_room = 0;
  unsigned char *room = calloc(n_offers ? n_offers : 1, 1);
  int32_t *row = NULL, *all_row = NULL;
  int rc = room ? 0 : RT_ENOMEM;
  /* Offers with room: both lists are ordered by id. */
  for (size_t o = 0, x = 0; !rc && o < n_offers && x < n_unused; o++) {
    int64_t oid = id_of(cell(&snap->offers, (int)o, 0));
    while (x < n_unused && id_of(unused[x].offer_id) < oid)
      x++;
    room[o] = x < n_unused && id_of(unused[x].offer_id) == oid;
    n_room += room[o];
  }
  int64_t thr = (int64_t)ceil(min_score * RT_MATCH_SCORE_ONE);
  if (!rc)
    rc = build_view(job, room, 1, thr <= 0, &inst);
  if (!rc && !(row = malloc((n_room ? n_room : 1) * sizeof(*row))))
    rc = RT_ENOMEM;
  probe_t probe = {.n_recent = 0};
  int j = 0; /* the need's row in the snapshot (also ordered by id) */
  for (size_t i = 0; i < n_out && !rc; i++) {
    int64_t nid = id_of(out[i].need_id);
    while (j < snap->needs.rows && id_of(cell(&snap->needs, j, 0)) < nid)
      j++;
    if (strcmp(status[i], "open") != 0 || j >= snap->needs.rows ||
        id_of(cell(&snap->needs, j, 0)) != nid) {
      out[i].reason = rt_match_reason_name(RT_MATCH_NEED_NOT_OPEN);
      continue;
    }
    rc = rt_match_score_row(inst, (size_t)j, w, row);
    int with_room = 0;
    for (size_t o = 0; o < n_room && !rc && !with_room; o++)
      with_room = row[o] >= 0 && row[o] >= thr;
    rt_match_reason_t r = RT_MATCH_FEASIBLE;
    if (!rc && !with_room && !all) {
      rc = build_view(job, NULL, 0, thr <= 0, &all);
      if (!rc && !(all_row = malloc((n_offers ? n_offers : 1) * sizeof(*all_row))))
        rc = RT_ENOMEM;
    }
    int hit = 0;
    if (!rc && !with_room)
      rc = probe_offers(&probe, all, n_offers, (size_t)j, w, thr, &hit);
    if (!rc && !with_room && hit)
      r = RT_MATCH_OUTCOMPETED;
    else if (!rc && !with_room)
      rc = rt_match_score_row(all, (size_t)j, w, all_row);
    if (!rc && !with_room && !hit) {
      int feasible = 0, above = 0;
      for (size_t o = 0; o < n_offers && !above; o++) {
        feasible |= all_row[o] >= 0;
        above = all_row[o] >= 0 && all_row[o] >= thr;
      }
      if (!feasible)
        rc = rt_match_unmet_reason(all, (size_t)j, NULL, 0, &r);
      else
        r = above ? RT_MATCH_OUTCOMPETED : RT_MATCH_BELOW_MIN_SCORE;
    }
    out[i].reason = rt_match_reason_name(r);
  }
  if (rc && !job->err[0])
    snprintf(job->err, sizeof(job->err), "unmet reasons: %s", rt_strerror(rc));
  free(room);
  free(row);
  free(all_row);
  rt_match_instance_free(inst);
  rt_match_instance_free(all);
  return rc;
}

/* "theme=0.5=0.35,text=..." into terms (cells are split in place). */
static void parse_terms(char *spec, rt_summary_match_t *m) {
  char *save = NULL;
  m->n_terms = 0;
  for (char *tok = spec ? strtok_r(spec, ",", &save) : NULL;
       tok && m->n_terms < RT_SUMMARY_MAX_TERMS; tok = strtok_r(NULL, ",", &save)) {
    char *v = strchr(tok, '=');
    char *wt = v ? strchr(v + 1, '=') : NULL;
    if (!wt)
      continue;
    *v = *wt = '\0';
    m->terms[m->n_terms++] = (rt_summary_term_t){tok, strtod(v + 1, NULL), strtod(wt + 1, NULL)};
  }
}

/* Theme and region positions, and the counts made over the rows. */
#define MAX_THEMES 128 /* parents and children: a bitset of two words per row */
#define MAX_REGIONS 64

typedef struct counts {
  const rt_reference_t *ref;
  int child_pos[MAX_THEMES];  /* child index (ref->entries) -> position in ref->all_themes */
  int parent_pos[MAX_THEMES]; /* child index -> its parent's position */
  int64_t needs[MAX_THEMES], offers[MAX_THEMES], matched[MAX_THEMES]; /* by position */
  size_t n_regions;
  int64_t r_states[MAX_REGIONS], r_needs[MAX_REGIONS], r_offers[MAX_REGIONS],
      r_matched[MAX_REGIONS];
} counts_t;

static int counts_init(counts_t *k) {
  memset(k, 0, sizeof(*k));
  k->ref = rt__reference();
  k->n_regions = k->ref->count[RT_REF_REGION];
  if (k->ref->all_themes_count > MAX_THEMES || k->n_regions > MAX_REGIONS)
    return RT_E2BIG;
  for (size_t c = 0; c < k->ref->count[RT_REF_THEME]; c++)
    k->child_pos[c] = k->parent_pos[c] = -1;
  for (size_t i = 0; i < k->ref->all_themes_count; i++) {
    const rt_ref_entry_t *e = &k->ref->all_themes[i];
    const rt_ref_entry_t *child = e->extra ? rt__ref_find(RT_REF_THEME, e->code) : NULL;
    if (!child)
      continue;
    size_t c = (size_t)(child - k->ref->entries[RT_REF_THEME]);
    k->child_pos[c] = (int)i;
    for (size_t j = 0; j < k->ref->all_themes_count; j++)
      if (!k->ref->all_themes[j].extra && strcmp(k->ref->all_themes[j].code, e->extra) == 0)
        k->parent_pos[c] = (int)j;
  }
  return 0;
}

/* The next code of a comma-separated list into code (the list is left as it is: the engine's
 * build splits the same cells later); 0 at the end. Codes too long for code come out empty. */
static int next_code(const char **list, char *code, size_t size) {
  const char *p = *list;
  if (!p || !*p)
    return 0;
  const char *end = strchr(p, ',');
  size_t len = end ? (size_t)(end - p) : strlen(p);
  if (len >= size)
    len = 0;
  memcpy(code, p, len);
  code[len] = '\0';
  *list = end ? end + 1 : NULL;
  return 1;
}

/* The positions of a list of theme codes ("a.b,c.d") and of their parents, as a bitset. */
static void theme_bits(const counts_t *k, const char *list, uint64_t bits[2]) {
  bits[0] = bits[1] = 0;
  for (char code[96]; next_code(&list, code, sizeof(code));) {
    const rt_ref_entry_t *e = rt__ref_find(RT_REF_THEME, code);
    size_t c = e ? (size_t)(e - k->ref->entries[RT_REF_THEME]) : 0;
    int pos[2] = {e ? k->child_pos[c] : -1, e ? k->parent_pos[c] : -1};
    for (int i = 0; i < 2; i++)
      if (pos[i] >= 0)
        bits[pos[i] / 64] |= 1ull << (pos[i] % 64);
  }
}

static int region_of(const counts_t *k, const char *code) {
  const rt_ref_entry_t *e = code ? rt__ref_find(RT_REF_REGION, code) : NULL;
  return e ? (int)(e - k->ref->entries[RT_REF_REGION]) : -1;
}

/* The regions whose states may take an offer: no region limit or the region listed, and no
 * country limit or one of the region's countries listed. */
static uint64_t offer_regions(const counts_t *k, const char *regions, const char *countries) {
  uint64_t allowed = regions && *regions ? 0 : ~0ull, by_country = 0;
  char code[96];
  while (next_code(&regions, code, sizeof(code))) {
    int r = region_of(k, code);
    if (r >= 0)
      allowed |= 1ull << r;
  }
  if (!countries || !*countries)
    return allowed;
  while (next_code(&countries, code, sizeof(code))) {
    const rt_ref_entry_t *c = rt__ref_find(RT_REF_COUNTRY, code);
    int r = c ? region_of(k, c->extra) : -1;
    if (r >= 0)
      by_country |= 1ull << r;
  }
  return allowed & by_country;
}

/* An id with a tag: a participant with its region (-1: none), or a row with its id. */
typedef struct keyed {
  int64_t id;
  int tag;
} keyed_t;

static int cmp_keyed(const void *a, const void *b) {
  int64_t x = ((const keyed_t *)a)->id, y = ((const keyed_t *)b)->id;
  return (x > y) - (x < y);
}

/* Distinct participants, and per region for states. */
static int64_t distinct(keyed_t *p, size_t n, int64_t *per_region) {
  qsort(p, n, sizeof(*p), cmp_keyed);
  int64_t count = 0;
  for (size_t i = 0; i < n; i++) {
    if (i && p[i].id == p[i - 1].id)
      continue;
    count++;
    if (per_region && p[i].tag >= 0)
      per_region[p[i].tag]++;
  }
  return count;
}

/* Orders a table's rows by id (its first column: sorting there costs the database more than
 * moving the row pointers here) and gives the ids in that order (*ids); the row of an id then
 * comes from row_of (-1: none). */
static int sort_by_id(rt_arena_t *a, rt_snapshot_table_t *t, int64_t **ids) {
  size_t rows = (size_t)t->rows, cols = (size_t)t->cols;
  keyed_t *keys = rt_arena_alloc(a, (rows + 1) * sizeof(*keys));
  *ids = rt_arena_alloc(a, (rows + 1) * sizeof(**ids));
  if (!keys || !*ids)
    return RT_ENOMEM;
  int sorted = 1;
  for (size_t r = 0; r < rows; r++) {
    keys[r] = (keyed_t){cell_int(t, (int)r, 0), (int)r};
    sorted &= !r || keys[r - 1].id < keys[r].id;
  }
  if (!sorted) {
    qsort(keys, rows, sizeof(*keys), cmp_keyed);
    char **cells = rt_arena_alloc(a, (rows * cols + 1) * sizeof(char *));
    if (!cells)
      return RT_ENOMEM;
    for (size_t r = 0; r < rows; r++)
      memcpy(cells + r * cols, t->cells + (size_t)keys[r].tag * cols, cols * sizeof(char *));
    t->cells = cells;
  }
  for (size_t r = 0; r < rows; r++)
    (*ids)[r] = keys[r].id;
  return 0;
}

static long row_of(const int64_t *ids, int rows, int64_t id) {
  long lo = 0, hi = rows;
  while (lo < hi) {
    long mid = lo + (hi - lo) / 2;
    if (ids[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < rows && ids[lo] == id ? lo : -1;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* What the matches say about the rows of the needs and offers. An abandoned partnership holds
 * nothing (docs/matching.md, "Follow-up"). */
typedef struct held {
  unsigned char *need;    /* per need row: bit 1 a proposed, agreed or completed match holds it,
                             bit 2 an agreed or completed one does */
  int64_t *used, *agreed; /* per offer row: its proposed, agreed and completed matches; and its
                             agreed and completed ones */
  int64_t *agreed_states; /* the state of each agreed or completed match's need, ascending */
  size_t n_agreed_states;
  const rt_snapshot_table_t *elsewhere; /* delivered_sql's rows: by state, ascending */
} held_t;

/* One pass over the matches: the partnerships by status and by follow-up, and h. */
static int count_matches(rt_arena_t *a, rt_snapshot_table_t *nt, rt_snapshot_table_t *ot,
                         const rt_snapshot_table_t *mt, rt_summary_t *s, held_t *h) {
  rt_summary_totals_t *t = &s->totals;
  rt_summary_delivery_t *d = &s->delivery;
  int64_t *need_ids = NULL, *offer_ids = NULL;
  int rc = sort_by_id(a, nt, &need_ids);
  if (!rc)
    rc = sort_by_id(a, ot, &offer_ids);
  if (rc)
    return rc;
  h->need = rt_arena_alloc(a, (size_t)nt->rows + 1);
  h->used = rt_arena_alloc(a, ((size_t)ot->rows + 1) * sizeof(*h->used));
  h->agreed = rt_arena_alloc(a, ((size_t)ot->rows + 1) * sizeof(*h->agreed));
  h->agreed_states = rt_arena_alloc(a, ((size_t)mt->rows + 1) * sizeof(*h->agreed_states));
  h->n_agreed_states = 0;
  if (!need_ids || !offer_ids || !h->need || !h->used || !h->agreed || !h->agreed_states)
    return RT_ENOMEM;
  memset(h->need, 0, (size_t)nt->rows + 1);
  memset(h->used, 0, ((size_t)ot->rows + 1) * sizeof(*h->used));
  memset(h->agreed, 0, ((size_t)ot->rows + 1) * sizeof(*h->agreed));
  for (int r = 0; r < mt->rows; r++) {
    const char *status = cell(mt, r, MR_STATUS);
    int agreed = 0;
    if (strcmp(status, "proposed") == 0)
      t->matches_proposed++;
    else if (strcmp(status, "agreed") == 0)
      t->matches_agreed++, agreed = 1;
    else if (strcmp(status, "completed") == 0)
      t->matches_completed++, t->matches_agreed++, agreed = 1;
    else {
      t->matches_declined += strcmp(status, "declined") == 0;
      continue;
    }
    const char *outcome = cell(mt, r, MR_OUTCOME);
    if (agreed) {
      if (!outcome)
        d->awaiting++;
      else if (strcmp(outcome, "delivered") == 0)
        d->delivered++;
      else if (strcmp(outcome, "partly_delivered") == 0)
        d->partly_delivered++;
      else if (strcmp(outcome, "abandoned") == 0) {
        d->abandoned++;
        continue; /* holds no room, counts for no one */
      }
    }
    long n = row_of(need_ids, nt->rows, cell_int(mt, r, MR_NEED));
    long o = row_of(offer_ids, ot->rows, cell_int(mt, r, MR_OFFER));
    if (n >= 0) {
      h->need[n] |= (unsigned char)(1 | agreed << 1);
      if (agreed)
        h->agreed_states[h->n_agreed_states++] = cell_int(nt, (int)n, NR_STATE_ID);
    }
    if (o >= 0) {
      h->used[o]++;
      h->agreed[o] += agreed;
    }
  }
  qsort(h->agreed_states, h->n_agreed_states, sizeof(int64_t), cmp_i64);
  return 0;
}

/* The partnerships of a state that fairness counts: those of this roundtable agreed or
 * completed and not abandoned (h->agreed_states holds one entry per partnership), and those
 * delivered or partly delivered elsewhere. */
static int64_t state_agreed(const held_t *h, int64_t state) {
  const rt_snapshot_table_t *e = h->elsewhere;
  int64_t elsewhere = 0;
  for (int lo = 0, hi = e->rows; lo < hi;) {
    int mid = lo + (hi - lo) / 2;
    int64_t id = cell_int(e, mid, DR_STATE);
    if (id == state) {
      elsewhere = cell_int(e, mid, DR_COUNT);
      break;
    }
    if (id < state)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t lo = 0, hi = h->n_agreed_states;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (h->agreed_states[mid] < state)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = lo;
  while (end < h->n_agreed_states && h->agreed_states[end] == state)
    end++;
  return (int64_t)(end - lo) + elsewhere;
}

/* The engine's rows, as the snapshot would have read them (snapshot.c: needs_sql with
 * unmatched needs, offers_sql with full offers): the open needs that no proposed, agreed or
 * completed match holds, with their states' agreed partnerships (for fairness); the open offers,
 * and the closed ones that agreed partnerships fill (so that the engine can tell "fully taken"
 * from "no offer at all"). */
static int engine_rows(rt_snapshot_t *snap, const rt_snapshot_table_t *nt,
                       const rt_snapshot_table_t *ot, const held_t *h) {
  rt_arena_t *a = &snap->arena;
  unsigned char *keep = rt_arena_alloc(a, (size_t)(nt->rows > ot->rows ? nt->rows : ot->rows) + 1);
  if (!keep)
    return RT_ENOMEM;
  for (int r = 0; r < nt->rows; r++)
    keep[r] = strcmp(cell(nt, r, NR_STATUS), "open") == 0 && !(h->need[r] & 1);
  int rc = pick_rows(a, nt, RT_SNAP_NEED_COLS, keep, &snap->needs);
  for (int r = 0; !rc && r < snap->needs.rows; r++) {
    char **row = snap->needs.cells + (size_t)r * RT_SNAP_NEED_COLS;
    row[NR_AGREED] = rt_arena_printf(a, "%" PRId64, state_agreed(h, id_of(row[NR_STATE_ID])));
    if (!row[NR_AGREED])
      rc = RT_ENOMEM;
  }
  for (int r = 0; !rc && r < ot->rows; r++) {
    const char *status = cell(ot, r, OR_STATUS);
    keep[r] = strcmp(status, "open") == 0 ||
              (strcmp(status, "closed") == 0 && cell_int(ot, r, OR_CAPACITY) <= h->agreed[r]);
  }
  return rc ? rc : pick_rows(a, ot, RT_SNAP_OFFER_COLS, keep, &snap->offers);
}

/* Totals, themes and regions from the rows of the needs, offers and matches; the unmet needs
 * (with their statuses) and the offers with capacity left are listed on the way. */
static int fill_counts(rt_arena_t *a, counts_t *k, const rt_snapshot_table_t *nt,
                       const rt_snapshot_table_t *ot, const held_t *h, rt_summary_t *s,
                       rt_summary_unmet_t *unmet, const char **unmet_status,
                       rt_summary_offer_t *unused) {
  rt_summary_totals_t *t = &s->totals;
  keyed_t *parties = rt_arena_alloc(a, ((size_t)(nt->rows > ot->rows ? nt->rows : ot->rows) + 1) *
                                           sizeof(*parties));
  if (!parties)
    return RT_ENOMEM;
  size_t n_parties = 0;
  for (int r = 0; r < nt->rows; r++) {
    if (strcmp(cell(nt, r, NR_STATUS), "withdrawn") == 0)
      continue; /* not counted */
    int matched = h->need[r] & 1, region = region_of(k, cell(nt, r, NR_REGION));
    uint64_t bits[2];
    theme_bits(k, cell(nt, r, NR_THEMES), bits);
    for (int pos = 0; pos < MAX_THEMES; pos++)
      if (bits[pos / 64] >> (pos % 64) & 1) {
        k->needs[pos]++;
        k->matched[pos] += matched;
      }
    if (region >= 0) {
      k->r_needs[region]++;
      k->r_matched[region] += matched;
    }
    t->needs++;
    t->needs_matched += matched;
    t->needs_agreed += h->need[r] >> 1 & 1;
    parties[n_parties++] = (keyed_t){cell_int(nt, r, NR_STATE_ID), region};
    if (!matched && strcmp(cell(nt, r, NR_VISIBLE), "t") == 0) {
      unmet_status[s->n_unmet] = cell(nt, r, NR_STATUS);
      unmet[s->n_unmet++] =
          (rt_summary_unmet_t){cell(nt, r, NR_ID), cell(nt, r, NR_TITLE), cell(nt, r, NR_STATE_ID),
                               cell(nt, r, NR_STATE), NULL};
    }
  }
  t->states = distinct(parties, n_parties, k->r_states);
  for (int r = 0; r < ot->rows; r++) {
    uint64_t bits[2];
    theme_bits(k, cell(ot, r, OR_THEMES), bits);
    for (int pos = 0; pos < MAX_THEMES; pos++)
      k->offers[pos] += bits[pos / 64] >> (pos % 64) & 1;
    uint64_t regions = offer_regions(k, cell(ot, r, OR_REGIONS), cell(ot, r, OR_COUNTRIES));
    for (size_t g = 0; g < k->n_regions; g++)
      k->r_offers[g] += regions >> g & 1;
    int64_t capacity = cell_int(ot, r, OR_CAPACITY), used = h->used[r];
    int open = strcmp(cell(ot, r, OR_STATUS), "open") == 0;
    if (open) {
      t->capacity += capacity;
      t->capacity_used += used;
    }
    parties[r] = (keyed_t){cell_int(ot, r, OR_PROV_ID), -1};
    if (open && capacity > used)
      unused[s->n_unused++] = (rt_summary_offer_t){cell(ot, r, OR_ID),
                                                   cell(ot, r, OR_TITLE),
                                                   cell(ot, r, OR_PROV_ID),
                                                   cell(ot, r, OR_PROV),
                                                   capacity,
                                                   used};
  }
  t->offers = ot->rows;
  t->providers = distinct(parties, (size_t)ot->rows, NULL);
  return 0;
}

/* Themes in taxonomy order: every parent, and the children that have a need or an offer. */
static rt_summary_theme_t *fill_themes(rt_arena_t *a, const counts_t *k, rt_summary_lang_t lang,
                                       size_t *n) {
  rt_summary_theme_t *out = rt_arena_alloc(a, (k->ref->all_themes_count + 1) * sizeof(*out));
  *n = 0;
  for (size_t i = 0; out && i < k->ref->all_themes_count; i++) {
    const rt_ref_entry_t *e = &k->ref->all_themes[i];
    if (e->extra && !k->needs[i] && !k->offers[i])
      continue;
    out[(*n)++] = (rt_summary_theme_t){e->code,     e->extra,     ref_name(e, lang),
                                       k->needs[i], k->offers[i], k->matched[i]};
  }
  return out;
}

static rt_summary_region_t *fill_regions(rt_arena_t *a, const counts_t *k, rt_summary_lang_t lang,
                                         size_t *n) {
  rt_summary_region_t *out = rt_arena_alloc(a, (k->n_regions + 1) * sizeof(*out));
  *n = 0;
  for (size_t i = 0; out && i < k->n_regions; i++) {
    const rt_ref_entry_t *e = &k->ref->entries[RT_REF_REGION][i];
    out[(*n)++] = (rt_summary_region_t){e->code,       ref_name(e, lang), k->r_states[i],
                                        k->r_needs[i], k->r_offers[i],    k->r_matched[i]};
  }
  return out;
}

static int build_document(summary_job_t *job) {
  rt_snapshot_t *snap = job->snap;
  rt_arena_t *a = &snap->arena;
  rt_snapshot_table_t *ht = &snap->extra[E_HEAD], *nt = &snap->extra[E_NEEDS],
                      *ot = &snap->extra[E_OFFERS], *mt = &snap->extra[E_MATCHES],
                      *tt = &snap->extra[E_TOP];
  if (ht->rows < 1) {
    job->not_found = 1;
    return 0;
  }
  rt_summary_t s;
  memset(&s, 0, sizeof(s));
  s.lang = job->lang;
  s.roundtable.id = cell(ht, 0, H_ID);
  s.roundtable.title = cell(ht, 0, H_TITLE);
  s.roundtable.starts_on = cell(ht, 0, H_STARTS);
  s.roundtable.ends_on = cell(ht, 0, H_ENDS);
  s.roundtable.location = cell(ht, 0, H_LOCATION);
  s.roundtable.status = cell(ht, 0, H_STATUS);
  s.generated_at = cell(ht, 0, H_NOW);
  s.last_run.id = cell(ht, 0, H_RUN);
  s.last_run.finished_at = cell(ht, 0, H_RUN_END);
  s.last_run.min_score = cell(ht, 0, H_MIN) ? strtod(cell(ht, 0, H_MIN), NULL) : 0;
  counts_t *k = rt_arena_alloc(a, sizeof(*k));
  rt_summary_match_t *top = rt_arena_alloc(a, ((size_t)tt->rows + 1) * sizeof(*top));
  rt_summary_unmet_t *unmet = rt_arena_alloc(a, ((size_t)nt->rows + 1) * sizeof(*unmet));
  const char **unmet_status = rt_arena_alloc(a, ((size_t)nt->rows + 1) * sizeof(*unmet_status));
  rt_summary_offer_t *unused = rt_arena_alloc(a, ((size_t)ot->rows + 1) * sizeof(*unused));
  if (!k || !top || !unmet || !unmet_status || !unused)
    return RT_ENOMEM;
  held_t h;
  h.elsewhere = &snap->extra[E_DELIVERED];
  int rc = counts_init(k);
  if (!rc)
    rc = count_matches(a, nt, ot, mt, &s, &h);
  if (!rc)
    rc = fill_counts(a, k, nt, ot, &h, &s, unmet, unmet_status, unused);
  if (!rc)
    rc = engine_rows(snap, nt, ot, &h);
  if (rc)
    return rc;
  rt_summary_theme_t *themes = fill_themes(a, k, job->lang, &s.n_themes);
  rt_summary_region_t *regions = fill_regions(a, k, job->lang, &s.n_regions);
  if (!themes || !regions)
    return RT_ENOMEM;
  s.themes = themes, s.regions = regions, s.unmet = unmet, s.unused = unused;
  for (int r = 0; r < tt->rows; r++) {
    rt_summary_match_t *m = &top[s.n_top++];
    memset(m, 0, sizeof(*m));
    m->id = cell(tt, r, T_ID);
    m->status = cell(tt, r, T_STATUS);
    m->need_id = cell(tt, r, T_NEED);
    m->need_title = cell(tt, r, T_NTITLE);
    m->state_id = cell(tt, r, T_STATE_ID);
    m->state = cell(tt, r, T_STATE);
    m->offer_id = cell(tt, r, T_OFFER);
    m->offer_title = cell(tt, r, T_OTITLE);
    m->provider_id = cell(tt, r, T_PROV_ID);
    m->provider = cell(tt, r, T_PROV);
    m->score = strtod(cell(tt, r, T_SCORE), NULL);
    parse_terms((char *)cell(tt, r, T_TERMS), m);
  }
  s.top = top;
  rt_match_weights_t w;
  rc = run_weights((char *)cell(ht, 0, H_W), &w, job->err, sizeof(job->err));
  if (!rc && s.n_unmet)
    rc = unmet_reasons(job, unmet, unmet_status, s.n_unmet, unused, s.n_unused, &w,
                       s.last_run.min_score);
  if (!rc)
    rc = rt_summary_render(&s, job->format, &job->body);
  return rc;
}

/* Any thread: the whole of the CPU work; the snapshot is released. */
static void job_work(summary_job_t *job) {
  job->t_loaded = uv_hrtime();
  job->rc = build_document(job);
  job->t_built = uv_hrtime();
  rt__snapshot_free(job->snap);
  job->snap = NULL;
}

/* ---- HTTP ---- */

typedef struct summary_ctx {
  rt_api_call_t *call;
  summary_job_t job;
} summary_ctx_t;

static void summary_work(void *arg) { job_work(&((summary_ctx_t *)arg)->job); }

static void summary_done(rt_http_request_t *req, void *arg) {
  summary_job_t *job = &((summary_ctx_t *)arg)->job;
  if (job->rc) {
    RT_LOG(RT_LOG_ERROR, req->id, "summary: %s: %s", rt_strerror(job->rc), job->err);
    rt_buf_free(&job->body);
    rt_http_respond_problem(req, 500, "Internal Server Error",
                            "The summary could not be made; this has been logged.");
    return;
  }
  if (job->not_found) {
    rt_buf_free(&job->body);
    rt_http_respond_problem(req, 404, "Not Found", "No such roundtable.");
    return;
  }
  RT_LOG(RT_LOG_DEBUG, req->id, "summary of roundtable %" PRId64 ": load %.1f ms, compute %.1f ms",
         job->id, (double)(job->t_loaded - job->t_start) / 1e6,
         (double)(job->t_built - job->t_loaded) / 1e6);
  if (job->format != RT_SUMMARY_JSON) {
    char disposition[128];
    snprintf(disposition, sizeof(disposition),
             "%s; filename=\"roundtable-%" PRId64 "-summary-%s.%s\"",
             job->format == RT_SUMMARY_HTML ? "inline" : "attachment", job->id,
             rt_summary_lang_name(job->lang), rt_summary_extension(job->format));
    if (rt_http_add_header(req, "Content-Disposition", disposition))
      RT_LOG(RT_LOG_WARN, req->id, "summary: Content-Disposition not added");
  }
  rt_http_respond_buf(req, 200, rt_summary_content_type(job->format), &job->body);
}

static void on_loaded(int status, rt_snapshot_outcome_t outcome, rt_snapshot_t *snap,
                      const rt_db_result_t *res, void *data) {
  summary_ctx_t *ctx = data;
  rt_http_request_t *req = ctx->call->req;
  (void)outcome; /* a roundtable focus without a run is always loaded */
  if (status) {
    rt__api_db_failed(req, status, res);
    return;
  }
  ctx->job.snap = snap;
  if (rt_http_offload(req, summary_work, summary_done, ctx)) {
    rt__snapshot_free(snap);
    ctx->job.snap = NULL;
    rt__api_unavailable(req, RT_EBUSY);
  }
}

static void summary_ready(rt_api_call_t *call) {
  summary_ctx_t *ctx = call->state;
  rt_snapshot_request_t rq = job_request(&ctx->job);
  int rc = rt__snapshot_load(rt__api_read_pool(call), &rq, on_loaded, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

void rt__roundtables_summary(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char *const allowed[] = {"format", "lang", NULL};
  rt_query_t q;
  if (rt__input_query(call, allowed, &q))
    return;
  const char *format = rt__query_get(&q, "format"), *lang = rt__query_get(&q, "lang");
  rt_summary_format_t f = RT_SUMMARY_JSON;
  rt_summary_lang_t l = RT_SUMMARY_EN;
  rt_field_errors_t errs = {0};
  if (format && rt_summary_format_parse(format, &f))
    rt__field_error(&errs, "format", "must be json, markdown, html or csv");
  if (lang && rt_summary_lang_parse(lang, &l))
    rt__field_error(&errs, "lang", "must be en or zh");
  if (rt__field_errors_any(&errs)) {
    rt__problem_with_errors(call->req, 400, "Bad Request",
                            "The summary's parameters are not valid.", &errs);
    return;
  }
  summary_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  ctx->call = call;
  job_init(&ctx->job, id, f, l);
  ctx->job.role = rt__role_name(call->who.role);
  ctx->job.participant = call->who.participant_id;
  call->state = ctx;
  rt__reference_ready(call, summary_ready);
}

/* ---- the command line: a private loop and a pool of one connection ---- */

typedef struct cli_ctx {
  rt_db_pool_t *pool;
  summary_job_t job;
  int rc;
  char err[512];
} cli_ctx_t;

static void cli_finish(cli_ctx_t *ctx, int rc, const rt_db_result_t *res) {
  if (rc && !ctx->err[0]) {
    const char *msg = res ? rt_db_result_message(res) : NULL;
    snprintf(ctx->err, sizeof(ctx->err), "database: %s%s%s", rt_strerror(rc),
             msg && *msg ? ": " : "", msg ? msg : "");
    /* one line */
    for (char *p = ctx->err; *p; p++)
      if (*p == '\n' || *p == '\r')
        *p = ' ';
  }
  ctx->rc = rc;
  rt_db_pool_close(ctx->pool, NULL, NULL);
}

static void cli_loaded(int status, rt_snapshot_outcome_t outcome, rt_snapshot_t *snap,
                       const rt_db_result_t *res, void *data) {
  cli_ctx_t *ctx = data;
  (void)outcome;
  if (status) {
    cli_finish(ctx, status, res);
    return;
  }
  ctx->job.snap = snap;
  job_work(&ctx->job);
  if (ctx->job.rc)
    snprintf(ctx->err, sizeof(ctx->err), "%s: %s", rt_strerror(ctx->job.rc), ctx->job.err);
  else if (ctx->job.not_found)
    snprintf(ctx->err, sizeof(ctx->err), "no roundtable %" PRId64, ctx->job.id);
  cli_finish(ctx, ctx->job.rc ? ctx->job.rc : ctx->job.not_found ? RT_ENOENT : 0, NULL);
}

static void cli_reference(int status, void *data) {
  cli_ctx_t *ctx = data;
  if (status) {
    if (status == RT_EINVAL)
      snprintf(ctx->err, sizeof(ctx->err), "reference data missing: run roundtable migrate");
    cli_finish(ctx, status, NULL);
    return;
  }
  rt_snapshot_request_t rq = job_request(&ctx->job);
  int rc = rt__snapshot_load(ctx->pool, &rq, cli_loaded, ctx);
  if (rc)
    cli_finish(ctx, rc, NULL);
}

int rt_api_summary(const rt_db_options_t *db, const char *roundtable, const char *format,
                   const char *lang, rt_buf_t *out, char *err, size_t errlen) {
  int64_t id = roundtable ? rt__parse_id(roundtable) : 0;
  rt_summary_format_t f = RT_SUMMARY_JSON;
  rt_summary_lang_t l = RT_SUMMARY_EN;
  if (!id) {
    snprintf(err, errlen, "--roundtable: expected a roundtable id, got \"%s\"",
             roundtable ? roundtable : "");
    return RT_EINVAL;
  }
  if (format && rt_summary_format_parse(format, &f)) {
    snprintf(err, errlen, "--format: expected json, markdown, html or csv, got \"%s\"", format);
    return RT_EINVAL;
  }
  if (lang && rt_summary_lang_parse(lang, &l)) {
    snprintf(err, errlen, "--lang: expected en or zh, got \"%s\"", lang);
    return RT_EINVAL;
  }
  cli_ctx_t *ctx = calloc(1, sizeof(*ctx));
  if (!ctx) {
    snprintf(err, errlen, "out of memory");
    return RT_ENOMEM;
  }
  job_init(&ctx->job, id, f, l);
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  if (!rc) {
    rt_db_options_t o = *db;
    o.pool_size = 1;
    rc = rt_db_pool_create(&loop, &o, &ctx->pool);
    if (!rc) {
      rc = rt__reference_load(ctx->pool, cli_reference, ctx);
      if (rc)
        rt_db_pool_close(ctx->pool, NULL, NULL);
      uv_run(&loop, UV_RUN_DEFAULT);
      if (!rc)
        rc = ctx->rc;
    }
    if (uv_loop_close(&loop) == UV_EBUSY) {
      uv_run(&loop, UV_RUN_DEFAULT);
      (void)uv_loop_close(&loop);
    }
  }
  if (rc)
    snprintf(err, errlen, "%s", ctx->err[0] ? ctx->err : rt_strerror(rc));
  else
    rc = rt_buf_append(out, ctx->job.body.data ? ctx->job.body.data : "", ctx->job.body.len);
  rt_buf_free(&ctx->job.body);
  rt__snapshot_free(ctx->job.snap);
  free(ctx);
  return rc;
}
