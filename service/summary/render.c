/* The summary as JSON (the API's shape), Markdown and CSV. Every format walks the same model in
 * the same order, so they carry the same figures. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "summary_internal.h"

void rt__total_rows(const rt_summary_t *s, rt_total_row_t rows[RT_TOTAL_ROWS]) {
  const rt_summary_totals_t *t = &s->totals;
  const rt_total_row_t all[RT_TOTAL_ROWS] = {
      {"states", L_STATES, 0, t->states, 0},
      {"providers", L_PROVIDERS, 0, t->providers, 0},
      {"needs", L_NEEDS, 0, t->needs, 0},
      {"offers", L_OFFERS, 0, t->offers, 0},
      {"matches_proposed", L_MATCHES_PROPOSED, 0, t->matches_proposed, 0},
      {"matches_agreed", L_MATCHES_AGREED, 0, t->matches_agreed, 0},
      {"matches_completed", L_MATCHES_COMPLETED, 0, t->matches_completed, 0},
      {"matches_declined", L_MATCHES_DECLINED, 0, t->matches_declined, 0},
      {"needs_matched", L_NEEDS_MATCHED, 0, t->needs_matched, 0},
      {"needs_agreed", L_NEEDS_AGREED, 0, t->needs_agreed, 0},
      {"coverage", L_COVERAGE, 1, 0, rt__ratio(t->needs_matched, t->needs)},
      {"agreed_coverage", L_AGREED_COVERAGE, 1, 0, rt__ratio(t->needs_agreed, t->needs)},
      {"capacity", L_CAPACITY, 0, t->capacity, 0},
      {"capacity_used", L_CAPACITY_USED, 0, t->capacity_used, 0},
  };
  memcpy(rows, all, sizeof(all));
}

void rt__status_rows(const rt_summary_t *s, rt_status_row_t rows[RT_STATUS_ROWS]) {
  const rt_summary_totals_t *t = &s->totals;
  rows[0] = (rt_status_row_t){"proposed", t->matches_proposed};
  rows[1] = (rt_status_row_t){"agreed", t->matches_agreed - t->matches_completed};
  rows[2] = (rt_status_row_t){"completed", t->matches_completed};
  rows[3] = (rt_status_row_t){"declined", t->matches_declined};
}

void rt__delivery_rows(const rt_summary_t *s, rt_status_row_t rows[RT_DELIVERY_ROWS]) {
  const rt_summary_delivery_t *d = &s->delivery;
  rows[0] = (rt_status_row_t){"delivered", d->delivered};
  rows[1] = (rt_status_row_t){"partly_delivered", d->partly_delivered};
  rows[2] = (rt_status_row_t){"abandoned", d->abandoned};
  rows[3] = (rt_status_row_t){"awaiting_follow_up", d->awaiting};
}

/* ---- JSON ---- */

static int jkey(rt_buf_t *b, int *first, const char *key) {
  TRY(rt_buf_puts(b, *first ? "\"" : ",\""));
  *first = 0;
  TRY(rt_buf_puts(b, key));
  return rt_buf_puts(b, "\":");
}

static int jstr(rt_buf_t *b, int *first, const char *key, const char *v) {
  TRY(jkey(b, first, key));
  return v ? rt__esc_json(b, v) : rt_buf_puts(b, "null");
}

static int jint(rt_buf_t *b, int *first, const char *key, int64_t v) {
  TRY(jkey(b, first, key));
  return rt_buf_printf(b, "%" PRId64, v);
}

static int jnum(rt_buf_t *b, int *first, const char *key, double v) {
  TRY(jkey(b, first, key));
  return rt__number(b, v);
}

/* Status rows as one object {"<status>": count, …}. */
static int json_counts(rt_buf_t *b, const rt_status_row_t *rows, int n) {
  int f = 1;
  TRY(rt_buf_puts(b, "{"));
  for (int i = 0; i < n; i++)
    TRY(jint(b, &f, rows[i].status, rows[i].count));
  return rt_buf_puts(b, "}");
}

static int json_match(rt_buf_t *b, const rt_summary_match_t *m, rt_summary_lang_t lang) {
  int f = 1;
  TRY(rt_buf_puts(b, "{"));
  TRY(jstr(b, &f, "match_id", m->id));
  TRY(jstr(b, &f, "status", m->status));
  TRY(jstr(b, &f, "need_id", m->need_id));
  TRY(jstr(b, &f, "need_title", m->need_title));
  TRY(jstr(b, &f, "state_id", m->state_id));
  TRY(jstr(b, &f, "state", m->state));
  TRY(jstr(b, &f, "offer_id", m->offer_id));
  TRY(jstr(b, &f, "offer_title", m->offer_title));
  TRY(jstr(b, &f, "provider_id", m->provider_id));
  TRY(jstr(b, &f, "provider", m->provider));
  TRY(jnum(b, &f, "score", m->score));
  TRY(jkey(b, &f, "breakdown"));
  TRY(rt_buf_puts(b, "{"));
  for (size_t i = 0; i < m->n_terms; i++) {
    int g = 1;
    TRY(rt_buf_puts(b, i ? "," : ""));
    TRY(rt__esc_json(b, m->terms[i].criterion));
    TRY(rt_buf_puts(b, ":{"));
    TRY(jnum(b, &g, "value", m->terms[i].value));
    TRY(jnum(b, &g, "weight", m->terms[i].weight));
    TRY(rt_buf_puts(b, "}"));
  }
  TRY(rt_buf_puts(b, "}"));
  TRY(jkey(b, &f, "explanation"));
  rt_buf_t text;
  rt_buf_init(&text, 0);
  int rc = rt__explain(&text, m, lang, NULL);
  if (!rc)
    rc = rt__esc_json(b, text.data ? text.data : "");
  rt_buf_free(&text);
  return rc ? rc : rt_buf_puts(b, "}");
}

int rt__render_json(const rt_summary_t *s, rt_buf_t *b) {
  rt_summary_lang_t lang = s->lang;
  int f = 1;
  TRY(rt_buf_puts(b, "{\"roundtable\":{"));
  TRY(jstr(b, &f, "id", s->roundtable.id));
  TRY(jstr(b, &f, "title", s->roundtable.title));
  TRY(jstr(b, &f, "starts_on", s->roundtable.starts_on));
  TRY(jstr(b, &f, "ends_on", s->roundtable.ends_on));
  TRY(jstr(b, &f, "location", s->roundtable.location));
  TRY(jstr(b, &f, "status", s->roundtable.status));
  TRY(rt_buf_printf(b, "},\"lang\":\"%s\",\"totals\":{", rt_summary_lang_name(lang)));
  rt_total_row_t tr[RT_TOTAL_ROWS];
  rt__total_rows(s, tr);
  f = 1;
  for (int i = 0; i < RT_TOTAL_ROWS; i++)
    TRY(tr[i].is_ratio ? jnum(b, &f, tr[i].key, tr[i].ratio) : jint(b, &f, tr[i].key, tr[i].count));
  TRY(rt_buf_puts(b, "},\"by_theme\":["));
  for (size_t i = 0; i < s->n_themes; i++) {
    const rt_summary_theme_t *t = &s->themes[i];
    f = 1;
    TRY(rt_buf_puts(b, i ? ",{" : "{"));
    TRY(jstr(b, &f, "theme", t->code));
    TRY(jstr(b, &f, "parent", t->parent));
    TRY(jstr(b, &f, "name", t->name));
    TRY(jint(b, &f, "needs", t->needs));
    TRY(jint(b, &f, "offers", t->offers));
    TRY(jint(b, &f, "needs_matched", t->needs_matched));
    TRY(jnum(b, &f, "coverage", rt__ratio(t->needs_matched, t->needs)));
    TRY(rt_buf_puts(b, "}"));
  }
  TRY(rt_buf_puts(b, "],\"by_region\":["));
  for (size_t i = 0; i < s->n_regions; i++) {
    const rt_summary_region_t *r = &s->regions[i];
    f = 1;
    TRY(rt_buf_puts(b, i ? ",{" : "{"));
    TRY(jstr(b, &f, "region", r->code));
    TRY(jstr(b, &f, "name", r->name));
    TRY(jint(b, &f, "states", r->states));
    TRY(jint(b, &f, "needs", r->needs));
    TRY(jint(b, &f, "offers", r->offers));
    TRY(jint(b, &f, "needs_matched", r->needs_matched));
    TRY(jnum(b, &f, "coverage", rt__ratio(r->needs_matched, r->needs)));
    TRY(rt_buf_puts(b, "}"));
  }
  rt_status_row_t st[RT_STATUS_ROWS], dr[RT_DELIVERY_ROWS];
  rt__status_rows(s, st);
  rt__delivery_rows(s, dr);
  TRY(rt_buf_puts(b, "],\"partnerships\":"));
  TRY(json_counts(b, st, RT_STATUS_ROWS));
  TRY(rt_buf_puts(b, ",\"delivery\":"));
  TRY(json_counts(b, dr, RT_DELIVERY_ROWS));
  TRY(rt_buf_puts(b, ",\"unmet_needs\":["));
  for (size_t i = 0; i < s->n_unmet; i++) {
    const rt_summary_unmet_t *u = &s->unmet[i];
    f = 1;
    TRY(rt_buf_puts(b, i ? ",{" : "{"));
    TRY(jstr(b, &f, "need_id", u->need_id));
    TRY(jstr(b, &f, "title", u->title));
    TRY(jstr(b, &f, "state_id", u->state_id));
    TRY(jstr(b, &f, "state", u->state));
    TRY(jstr(b, &f, "reason", u->reason));
    TRY(jstr(b, &f, "reason_label", rt_summary_reason_label(u->reason, lang)));
    TRY(rt_buf_puts(b, "}"));
  }
  TRY(rt_buf_puts(b, "],\"top_matches\":["));
  for (size_t i = 0; i < s->n_top; i++) {
    TRY(rt_buf_puts(b, i ? "," : ""));
    TRY(json_match(b, &s->top[i], lang));
  }
  TRY(rt_buf_puts(b, "],\"unused_offers\":["));
  for (size_t i = 0; i < s->n_unused; i++) {
    const rt_summary_offer_t *o = &s->unused[i];
    f = 1;
    TRY(rt_buf_puts(b, i ? ",{" : "{"));
    TRY(jstr(b, &f, "offer_id", o->offer_id));
    TRY(jstr(b, &f, "title", o->title));
    TRY(jstr(b, &f, "provider_id", o->provider_id));
    TRY(jstr(b, &f, "provider", o->provider));
    TRY(jint(b, &f, "capacity", o->capacity));
    TRY(jint(b, &f, "used", o->used));
    TRY(jint(b, &f, "left", o->capacity - o->used));
    TRY(rt_buf_puts(b, "}"));
  }
  TRY(rt_buf_puts(b, "],\"last_run\":"));
  if (s->last_run.id) {
    f = 1;
    TRY(rt_buf_puts(b, "{"));
    TRY(jstr(b, &f, "id", s->last_run.id));
    TRY(jstr(b, &f, "finished_at", s->last_run.finished_at));
    TRY(jnum(b, &f, "min_score", s->last_run.min_score));
    TRY(rt_buf_puts(b, "}"));
  } else {
    TRY(rt_buf_puts(b, "null"));
  }
  f = 0;
  TRY(jstr(b, &f, "generated_at", s->generated_at));
  return rt_buf_puts(b, "}\n");
}

/* ---- Markdown ---- */

static int md_row(rt_buf_t *b, int n, const char *const *cells, const char *align) {
  for (int i = 0; i < n; i++) {
    TRY(rt_buf_puts(b, "| "));
    if (align && align[i] == 'x') /* already escaped (a figure, or markup we made) */
      TRY(rt_buf_puts(b, cells[i] ? cells[i] : ""));
    else
      TRY(rt__esc_md(b, cells[i]));
    TRY(rt_buf_puts(b, " "));
  }
  return rt_buf_puts(b, "|\n");
}

/* A header row of labels and its delimiter row; align: 'l' or 'r' per column. */
static int md_head(rt_buf_t *b, rt_summary_lang_t lang, int n, const rt_summary_label_t *labels,
                   const char *align) {
  const char *cells[16];
  for (int i = 0; i < n; i++)
    cells[i] = rt__label(labels[i], lang);
  TRY(md_row(b, n, cells, NULL));
  for (int i = 0; i < n; i++)
    TRY(rt_buf_puts(b, align[i] == 'r' ? "|---:" : "|---"));
  return rt_buf_puts(b, "|\n");
}

static int md_heading(rt_buf_t *b, rt_summary_label_t l, rt_summary_lang_t lang) {
  TRY(rt_buf_puts(b, "\n## "));
  TRY(rt__esc_md(b, rt__label(l, lang)));
  return rt_buf_puts(b, "\n\n");
}

/* A section of counts by status: heading, then one row per status. */
static int md_counts(rt_buf_t *b, rt_summary_label_t heading, rt_summary_lang_t lang,
                     const rt_status_row_t *rows, int n) {
  TRY(md_heading(b, heading, lang));
  TRY(md_head(b, lang, 2, (rt_summary_label_t[]){L_STATUS, L_COUNT}, "lr"));
  for (int i = 0; i < n; i++) {
    char v[32];
    snprintf(v, sizeof(v), "%" PRId64, rows[i].count);
    TRY(md_row(b, 2, (const char *[]){rt__status_label(rows[i].status, lang), v}, "lx"));
  }
  return 0;
}

static int md_text(rt_buf_t *b, rt_summary_label_t l, rt_summary_lang_t lang) {
  TRY(rt__esc_md(b, rt__label(l, lang)));
  return rt_buf_puts(b, "\n");
}

#define NUM(buf, v) snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)(v))

int rt__render_markdown(const rt_summary_t *s, rt_buf_t *b) {
  rt_summary_lang_t lang = s->lang;
  char n1[32], n2[32], n3[32], n4[32], pc[32];
  TRY(rt_buf_puts(b, "# "));
  TRY(rt__esc_md(b, rt__label(L_TITLE, lang)));
  TRY(rt_buf_puts(b, lang == RT_SUMMARY_ZH ? "：" : ": "));
  TRY(rt__esc_md(b, s->roundtable.title));
  TRY(rt_buf_puts(b, "\n\n"));
  struct {
    rt_summary_label_t l;
    const char *v;
  } meta[] = {{L_DATES, NULL},
              {L_LOCATION, s->roundtable.location},
              {L_STATUS, rt__status_label(s->roundtable.status, lang)},
              {L_GENERATED, s->generated_at}};
  char dates[64];
  snprintf(dates, sizeof(dates), "%s – %s", s->roundtable.starts_on ? s->roundtable.starts_on : "",
           s->roundtable.ends_on ? s->roundtable.ends_on : "");
  meta[0].v = dates;
  for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
    TRY(rt_buf_puts(b, "- "));
    TRY(rt__esc_md(b, rt__label(meta[i].l, lang)));
    TRY(rt_buf_puts(b, lang == RT_SUMMARY_ZH ? "：" : ": "));
    TRY(rt__esc_md(b, meta[i].v));
    TRY(rt_buf_puts(b, "\n"));
  }
  TRY(rt_buf_puts(b, "- "));
  TRY(rt__esc_md(b, rt__label(L_LAST_RUN, lang)));
  TRY(rt_buf_puts(b, lang == RT_SUMMARY_ZH ? "：" : ": "));
  if (s->last_run.id)
    TRY(rt_buf_printf(b, "%s (%s, %s %.2f)\n", s->last_run.id,
                      s->last_run.finished_at ? s->last_run.finished_at : "",
                      rt__label(L_MIN_SCORE, lang), s->last_run.min_score));
  else
    TRY(md_text(b, L_NO_RUN, lang));

  TRY(md_heading(b, L_SEC_TOTALS, lang));
  TRY(md_head(b, lang, 2, (rt_summary_label_t[]){L_FIGURE, L_VALUE}, "lr"));
  rt_total_row_t tr[RT_TOTAL_ROWS];
  rt__total_rows(s, tr);
  for (int i = 0; i < RT_TOTAL_ROWS; i++) {
    if (tr[i].is_ratio)
      rt__percent(n1, sizeof(n1), tr[i].ratio);
    else
      NUM(n1, tr[i].count);
    TRY(md_row(b, 2, (const char *[]){rt__label(tr[i].label, lang), n1}, "lx"));
  }

  TRY(md_heading(b, L_SEC_THEMES, lang));
  TRY(md_head(
      b, lang, 6,
      (rt_summary_label_t[]){L_THEME, L_PARENT, L_NEEDS, L_OFFERS, L_NEEDS_MATCHED, L_COVERAGE},
      "llrrrr"));
  const char *parent_name = NULL;
  for (size_t i = 0; i < s->n_themes; i++) {
    const rt_summary_theme_t *t = &s->themes[i];
    if (!t->parent)
      parent_name = t->name;
    NUM(n1, t->needs);
    NUM(n2, t->offers);
    NUM(n3, t->needs_matched);
    rt__percent(pc, sizeof(pc), rt__ratio(t->needs_matched, t->needs));
    /* parents in bold: the markup is ours, the name escaped first */
    rt_buf_t name;
    rt_buf_init(&name, 0);
    int rc = rt_buf_puts(&name, t->parent ? "" : "**");
    if (!rc)
      rc = rt__esc_md(&name, t->name);
    if (!rc)
      rc = rt_buf_puts(&name, t->parent ? "" : "**");
    if (!rc)
      rc = md_row(b, 6, (const char *[]){name.data, t->parent ? parent_name : "", n1, n2, n3, pc},
                  "xlxxxx");
    rt_buf_free(&name);
    TRY(rc);
  }

  TRY(md_heading(b, L_SEC_REGIONS, lang));
  TRY(md_head(
      b, lang, 6,
      (rt_summary_label_t[]){L_REGION, L_STATES, L_NEEDS, L_OFFERS, L_NEEDS_MATCHED, L_COVERAGE},
      "lrrrrr"));
  for (size_t i = 0; i < s->n_regions; i++) {
    const rt_summary_region_t *r = &s->regions[i];
    NUM(n1, r->states);
    NUM(n2, r->needs);
    NUM(n3, r->offers);
    NUM(n4, r->needs_matched);
    rt__percent(pc, sizeof(pc), rt__ratio(r->needs_matched, r->needs));
    TRY(md_row(b, 6, (const char *[]){r->name, n1, n2, n3, n4, pc}, "lxxxxx"));
  }

  rt_status_row_t st[RT_STATUS_ROWS], dr[RT_DELIVERY_ROWS];
  rt__status_rows(s, st);
  rt__delivery_rows(s, dr);
  TRY(md_counts(b, L_SEC_PARTNERSHIPS, lang, st, RT_STATUS_ROWS));
  TRY(md_counts(b, L_SEC_DELIVERY, lang, dr, RT_DELIVERY_ROWS));

  TRY(md_heading(b, L_SEC_TOP, lang));
  if (!s->n_top)
    TRY(md_text(b, L_NONE_TOP, lang));
  else
    TRY(md_head(b, lang, 8,
                (rt_summary_label_t[]){L_RANK, L_NEED, L_STATE, L_OFFER, L_PROVIDER, L_STATUS,
                                       L_SCORE, L_WHY},
                "rlllllrl"));
  for (size_t i = 0; i < s->n_top; i++) {
    const rt_summary_match_t *m = &s->top[i];
    char need[400], offer[400];
    snprintf(need, sizeof(need), "%s (#%s)", m->need_title ? m->need_title : "",
             m->need_id ? m->need_id : "");
    snprintf(offer, sizeof(offer), "%s (#%s)", m->offer_title ? m->offer_title : "",
             m->offer_id ? m->offer_id : "");
    NUM(n1, (int64_t)i + 1);
    snprintf(n2, sizeof(n2), "%.3f", m->score);
    rt_buf_t why;
    rt_buf_init(&why, 0);
    int rc = rt__explain(&why, m, lang, NULL);
    if (!rc)
      rc = md_row(b, 8,
                  (const char *[]){n1, need, m->state, offer, m->provider,
                                   rt__status_label(m->status, lang), n2, why.data},
                  "xllllllxl");
    rt_buf_free(&why);
    TRY(rc);
  }

  TRY(md_heading(b, L_SEC_UNMET, lang));
  if (!s->n_unmet)
    TRY(md_text(b, L_NONE_UNMET, lang));
  else
    TRY(md_head(b, lang, 4, (rt_summary_label_t[]){L_ID, L_NEED, L_STATE, L_REASON}, "rlll"));
  for (size_t i = 0; i < s->n_unmet; i++) {
    const rt_summary_unmet_t *u = &s->unmet[i];
    TRY(md_row(
        b, 4,
        (const char *[]){u->need_id, u->title, u->state, rt_summary_reason_label(u->reason, lang)},
        NULL));
  }

  TRY(md_heading(b, L_SEC_UNUSED, lang));
  if (!s->n_unused)
    TRY(md_text(b, L_NONE_UNUSED, lang));
  else
    TRY(md_head(b, lang, 6,
                (rt_summary_label_t[]){L_ID, L_OFFER, L_PROVIDER, L_CAPACITY, L_USED, L_LEFT},
                "rllrrr"));
  for (size_t i = 0; i < s->n_unused; i++) {
    const rt_summary_offer_t *o = &s->unused[i];
    NUM(n1, o->capacity);
    NUM(n2, o->used);
    NUM(n3, o->capacity - o->used);
    TRY(md_row(b, 6, (const char *[]){o->offer_id, o->title, o->provider, n1, n2, n3}, "lllxxx"));
  }

  TRY(md_heading(b, L_SEC_NOTES, lang));
  for (int l = L_NOTE_COUNTED; l <= L_NOTE_SCORE; l++) {
    TRY(rt_buf_puts(b, "- "));
    TRY(md_text(b, (rt_summary_label_t)l, lang));
  }
  return 0;
}

/* ---- CSV ---- */

/* One header for every section; a row fills the columns that apply to it. The header names are
 * stable keys (not translated); label carries the translated text. */
enum {
  C_SECTION,
  C_KEY,
  C_LABEL,
  C_VALUE,
  C_NEEDS,
  C_OFFERS,
  C_NEEDS_MATCHED,
  C_COVERAGE,
  C_PARENT,
  C_STATES,
  C_NEED_ID,
  C_NEED_TITLE,
  C_STATE,
  C_OFFER_ID,
  C_OFFER_TITLE,
  C_PROVIDER,
  C_STATUS,
  C_SCORE,
  C_REASON,
  C_CAPACITY,
  C_USED,
  C_COLS
};
static const char *const csv_header[C_COLS] = {
    "section",     "key",      "label",  "value",   "needs",      "offers",   "needs_matched",
    "coverage",    "parent",   "states", "need_id", "need_title", "state",    "offer_id",
    "offer_title", "provider", "status", "score",   "reason",     "capacity", "used"};

typedef struct csv_row {
  const char *cell[C_COLS];
  char num[C_COLS][32]; /* figures formatted here */
} csv_row_t;

static void csv_int(csv_row_t *r, int col, int64_t v) {
  snprintf(r->num[col], sizeof(r->num[col]), "%" PRId64, v);
  r->cell[col] = r->num[col];
}

static int csv_dbl(csv_row_t *r, int col, double v) {
  rt_buf_t t;
  rt_buf_init(&t, sizeof(r->num[col]) - 1);
  int rc = rt__number(&t, v);
  if (!rc)
    snprintf(r->num[col], sizeof(r->num[col]), "%s", t.data);
  rt_buf_free(&t);
  r->cell[col] = r->num[col];
  return rc;
}

static int csv_emit(rt_buf_t *b, const csv_row_t *r) {
  for (int c = 0; c < C_COLS; c++) {
    if (c)
      TRY(rt_buf_puts(b, ","));
    TRY(rt__esc_csv(b, r->cell[c]));
  }
  return rt_buf_puts(b, "\r\n");
}

static void csv_start(csv_row_t *r, const char *section, const char *key, const char *label) {
  memset(r->cell, 0, sizeof(r->cell));
  r->cell[C_SECTION] = section;
  r->cell[C_KEY] = key;
  r->cell[C_LABEL] = label;
}

/* Status rows of one section, a row each: key the status, value its count. */
static int csv_counts(rt_buf_t *b, const char *section, const rt_status_row_t *rows, int n,
                      rt_summary_lang_t lang) {
  csv_row_t r;
  for (int i = 0; i < n; i++) {
    csv_start(&r, section, rows[i].status, rt__status_label(rows[i].status, lang));
    csv_int(&r, C_VALUE, rows[i].count);
    TRY(csv_emit(b, &r));
  }
  return 0;
}

int rt__render_csv(const rt_summary_t *s, rt_buf_t *b) {
  rt_summary_lang_t lang = s->lang;
  csv_row_t r;
  for (int c = 0; c < C_COLS; c++) {
    TRY(rt_buf_puts(b, c ? "," : ""));
    TRY(rt_buf_puts(b, csv_header[c]));
  }
  TRY(rt_buf_puts(b, "\r\n"));
  const struct {
    const char *key, *value;
    rt_summary_label_t label;
  } meta[] = {{"id", s->roundtable.id, L_ID},
              {"title", s->roundtable.title, L_TITLE},
              {"starts_on", s->roundtable.starts_on, L_DATES},
              {"ends_on", s->roundtable.ends_on, L_DATES},
              {"location", s->roundtable.location, L_LOCATION},
              {"status", s->roundtable.status, L_STATUS},
              {"lang", rt_summary_lang_name(lang), L_LABELS},
              {"generated_at", s->generated_at, L_GENERATED},
              {"last_run", s->last_run.id, L_LAST_RUN}};
  for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
    csv_start(&r, "roundtable", meta[i].key, rt__label(meta[i].label, lang));
    r.cell[C_VALUE] = meta[i].value;
    TRY(csv_emit(b, &r));
  }
  rt_total_row_t tr[RT_TOTAL_ROWS];
  rt__total_rows(s, tr);
  for (int i = 0; i < RT_TOTAL_ROWS; i++) {
    csv_start(&r, "totals", tr[i].key, rt__label(tr[i].label, lang));
    if (tr[i].is_ratio)
      TRY(csv_dbl(&r, C_VALUE, tr[i].ratio));
    else
      csv_int(&r, C_VALUE, tr[i].count);
    TRY(csv_emit(b, &r));
  }
  for (size_t i = 0; i < s->n_themes; i++) {
    const rt_summary_theme_t *t = &s->themes[i];
    csv_start(&r, "theme", t->code, t->name);
    r.cell[C_PARENT] = t->parent;
    csv_int(&r, C_NEEDS, t->needs);
    csv_int(&r, C_OFFERS, t->offers);
    csv_int(&r, C_NEEDS_MATCHED, t->needs_matched);
    TRY(csv_dbl(&r, C_COVERAGE, rt__ratio(t->needs_matched, t->needs)));
    TRY(csv_emit(b, &r));
  }
  for (size_t i = 0; i < s->n_regions; i++) {
    const rt_summary_region_t *g = &s->regions[i];
    csv_start(&r, "region", g->code, g->name);
    csv_int(&r, C_STATES, g->states);
    csv_int(&r, C_NEEDS, g->needs);
    csv_int(&r, C_OFFERS, g->offers);
    csv_int(&r, C_NEEDS_MATCHED, g->needs_matched);
    TRY(csv_dbl(&r, C_COVERAGE, rt__ratio(g->needs_matched, g->needs)));
    TRY(csv_emit(b, &r));
  }
  rt_status_row_t st[RT_STATUS_ROWS], dr[RT_DELIVERY_ROWS];
  rt__status_rows(s, st);
  rt__delivery_rows(s, dr);
  TRY(csv_counts(b, "partnerships", st, RT_STATUS_ROWS, lang));
  TRY(csv_counts(b, "delivery", dr, RT_DELIVERY_ROWS, lang));
  for (size_t i = 0; i < s->n_top; i++) {
    const rt_summary_match_t *m = &s->top[i];
    rt_buf_t why;
    rt_buf_init(&why, 0);
    int rc = rt__explain(&why, m, lang, NULL);
    csv_start(&r, "top_match", m->id, why.data);
    r.cell[C_NEED_ID] = m->need_id;
    r.cell[C_NEED_TITLE] = m->need_title;
    r.cell[C_STATE] = m->state;
    r.cell[C_OFFER_ID] = m->offer_id;
    r.cell[C_OFFER_TITLE] = m->offer_title;
    r.cell[C_PROVIDER] = m->provider;
    r.cell[C_STATUS] = m->status;
    if (!rc)
      rc = csv_dbl(&r, C_SCORE, m->score);
    if (!rc)
      rc = csv_emit(b, &r);
    rt_buf_free(&why);
    TRY(rc);
  }
  for (size_t i = 0; i < s->n_unmet; i++) {
    const rt_summary_unmet_t *u = &s->unmet[i];
    csv_start(&r, "unmet_need", u->need_id, rt_summary_reason_label(u->reason, lang));
    r.cell[C_NEED_ID] = u->need_id;
    r.cell[C_NEED_TITLE] = u->title;
    r.cell[C_STATE] = u->state;
    r.cell[C_REASON] = u->reason;
    TRY(csv_emit(b, &r));
  }
  for (size_t i = 0; i < s->n_unused; i++) {
    const rt_summary_offer_t *o = &s->unused[i];
    csv_start(&r, "unused_offer", o->offer_id, NULL);
    r.cell[C_OFFER_ID] = o->offer_id;
    r.cell[C_OFFER_TITLE] = o->title;
    r.cell[C_PROVIDER] = o->provider;
    csv_int(&r, C_VALUE, o->capacity - o->used);
    csv_int(&r, C_CAPACITY, o->capacity);
    csv_int(&r, C_USED, o->used);
    TRY(csv_emit(b, &r));
  }
  return 0;
}
