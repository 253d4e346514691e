/* Shared by the summary's renderers: labels in both languages, escaping for each format, and
 * number formatting. The escapers are pure and unit-tested (tests/unit/summary). */
#ifndef ROUNDTABLE_SUMMARY_INTERNAL_H
#define ROUNDTABLE_SUMMARY_INTERNAL_H

#include "roundtable/summary.h"

/* Every fixed text of the documents; rt__label gives it in a language. */
typedef enum rt_summary_label_e {
  L_TITLE,
  L_GENERATED,
  L_DATES,
  L_LOCATION,
  L_STATUS,
  L_LAST_RUN,
  L_NO_RUN,
  L_MIN_SCORE,
  /* sections */
  L_SEC_TOTALS,
  L_SEC_THEMES,
  L_SEC_REGIONS,
  L_SEC_PARTNERSHIPS,
  L_SEC_DELIVERY,
  L_SEC_TOP,
  L_SEC_UNMET,
  L_SEC_UNUSED,
  L_SEC_NOTES,
  /* totals */
  L_STATES,
  L_PROVIDERS,
  L_NEEDS,
  L_OFFERS,
  L_MATCHES_PROPOSED,
  L_MATCHES_AGREED,
  L_MATCHES_COMPLETED,
  L_MATCHES_DECLINED,
  L_NEEDS_MATCHED,
  L_NEEDS_AGREED,
  L_COVERAGE,
  L_AGREED_COVERAGE,
  L_CAPACITY,
  L_CAPACITY_USED,
  /* columns */
  L_FIGURE,
  L_VALUE,
  L_THEME,
  L_PARENT,
  L_REGION,
  L_COUNT,
  L_RANK,
  L_NEED,
  L_OFFER,
  L_STATE,
  L_PROVIDER,
  L_SCORE,
  L_WHY,
  L_REASON,
  L_USED,
  L_LEFT,
  L_ID,
  /* charts */
  L_CHART_THEMES,
  L_CHART_REGIONS,
  L_CHART_PARTNERSHIPS,
  L_NONE_UNMET,
  L_NONE_UNUSED,
  L_NONE_TOP,
  /* notes */
  L_NOTE_COUNTED,
  L_NOTE_MATCHED,
  L_NOTE_THEMES,
  L_NOTE_REGIONS,
  L_NOTE_UNMET,
  L_NOTE_SCORE,
  L_LABELS /* the count */
} rt_summary_label_t;

const char *rt__label(rt_summary_label_t l, rt_summary_lang_t lang);
/* A status word (planned, open, proposed, ...) in lang; the word itself when unknown. */
const char *rt__status_label(const char *status, rt_summary_lang_t lang);
/* A criterion name (theme, text, ...) in lang; the name itself when unknown. */
const char *rt__criterion_label(const char *criterion, rt_summary_lang_t lang);

/* Escapers: append s (NULL as empty) to out. */
int rt__esc_json(rt_buf_t *out, const char *s) RT_WUR; /* with the quotes */
int rt__esc_html(rt_buf_t *out, const char *s) RT_WUR; /* HTML text and attributes, and XML */
int rt__esc_md(rt_buf_t *out, const char *s) RT_WUR;   /* Markdown inline text, table cells */
int rt__esc_csv(rt_buf_t *out, const char *s) RT_WUR;  /* one RFC 4180 field */

/* The shortest decimal form that reads back as the same double (JSON and CSV); non-finite as
 * null / empty by the caller. */
int rt__number(rt_buf_t *out, double v) RT_WUR;
/* part / whole, 0 when whole is 0. */
double rt__ratio(int64_t part, int64_t whole);
/* "45.3%" (one decimal) into s. */
void rt__percent(char *s, size_t n, double ratio);

/* The explanation of a match: its strongest criteria by contribution (value x weight), e.g.
 * "theme 100% × 0.35; text 81% × 0.15; fairness 100% × 0.10", in lang. Appended to out;
 * escaped by esc (may be NULL: raw). */
int rt__explain(rt_buf_t *out, const rt_summary_match_t *m, rt_summary_lang_t lang,
                int (*esc)(rt_buf_t *, const char *)) RT_WUR;

/* Appends stop at the first failure: every renderer is a sequence of TRY(append). */
#define TRY(x)                                                                                     \
  do {                                                                                             \
    int try_rc_ = (x);                                                                             \
    if (try_rc_)                                                                                   \
      return try_rc_;                                                                              \
  } while (0)

/* The totals as rows, in the order every format lists them; key is the JSON name. */
typedef struct rt_total_row_s {
  const char *key;
  rt_summary_label_t label;
  int is_ratio;
  int64_t count;
  double ratio;
} rt_total_row_t;
#define RT_TOTAL_ROWS 14
void rt__total_rows(const rt_summary_t *s, rt_total_row_t rows[RT_TOTAL_ROWS]);

/* The partnerships by status, each match counted once: proposed, agreed (not completed),
 * completed, declined. */
typedef struct rt_status_row_s {
  const char *status;
  int64_t count;
} rt_status_row_t;
#define RT_STATUS_ROWS 4
void rt__status_rows(const rt_summary_t *s, rt_status_row_t rows[RT_STATUS_ROWS]);

/* The follow-up of agreed partnerships (rt_summary_delivery_t), as status rows: delivered,
 * partly_delivered, abandoned, awaiting_follow_up. */
#define RT_DELIVERY_ROWS 4
void rt__delivery_rows(const rt_summary_t *s, rt_status_row_t rows[RT_DELIVERY_ROWS]);

/* The renderers, one per format. */
int rt__render_json(const rt_summary_t *s, rt_buf_t *out) RT_WUR;
int rt__render_markdown(const rt_summary_t *s, rt_buf_t *out) RT_WUR;
int rt__render_csv(const rt_summary_t *s, rt_buf_t *out) RT_WUR;
int rt__render_html(const rt_summary_t *s, rt_buf_t *out) RT_WUR;

#endif
