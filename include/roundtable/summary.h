/* A roundtable's summary as a document: the figures, already loaded and counted, in, and the
 * same document out as JSON, Markdown, a printable HTML page (with SVG charts) or CSV, in English
 * or Chinese. One renderer serves GET /roundtables/{id}/summary and `roundtable summary`.
 *
 * Pure: no I/O, no event loop, no database, no JSON library. What each figure means is in
 * docs/summaries.md; the JSON shape is the API's (docs/openapi.json, schema Summary).
 */
#ifndef ROUNDTABLE_SUMMARY_H
#define ROUNDTABLE_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "roundtable/buf.h"
#include "roundtable/error.h"

typedef enum rt_summary_format_e {
  RT_SUMMARY_JSON = 0,
  RT_SUMMARY_MARKDOWN,
  RT_SUMMARY_HTML,
  RT_SUMMARY_CSV,
  RT_SUMMARY_FORMATS /* the count */
} rt_summary_format_t;

typedef enum rt_summary_lang_e {
  RT_SUMMARY_EN = 0,
  RT_SUMMARY_ZH,
  RT_SUMMARY_LANGS
} rt_summary_lang_t;

/* "json", "markdown", "html", "csv" / "en", "zh": 0, or RT_EINVAL for anything else. */
int rt_summary_format_parse(const char *s, rt_summary_format_t *out) RT_WUR;
int rt_summary_lang_parse(const char *s, rt_summary_lang_t *out) RT_WUR;
const char *rt_summary_format_name(rt_summary_format_t f);
const char *rt_summary_lang_name(rt_summary_lang_t l);
/* "application/json", "text/markdown; charset=utf-8", ... and "json", "md", "html", "csv". */
const char *rt_summary_content_type(rt_summary_format_t f);
const char *rt_summary_extension(rt_summary_format_t f);

/* The label of an unmet-need reason code (rt_match_reason_name's codes, plus "feasible"), in
 * lang; the code itself when unknown. */
const char *rt_summary_reason_label(const char *code, rt_summary_lang_t lang);

/* Every string below is borrowed UTF-8 (NULL is rendered as empty, or null in JSON where the
 * field is nullable); nothing is freed by this module. */

typedef struct rt_summary_totals_s {
  int64_t states;    /* state participants with at least one counted need */
  int64_t providers; /* participants with at least one counted offer */
  int64_t needs;     /* needs of the roundtable, withdrawn ones excepted */
  int64_t offers;    /* offers, withdrawn ones excepted */
  int64_t matches_proposed;
  int64_t matches_agreed;    /* agreed and completed */
  int64_t matches_completed; /* of those, completed (the need was fulfilled) */
  int64_t matches_declined;
  int64_t needs_matched; /* counted needs with at least one proposed, agreed or completed match */
  int64_t needs_agreed;  /* counted needs with at least one agreed or completed match */
  int64_t capacity;      /* the open offers' capacity in total */
  int64_t capacity_used; /* of it, taken by proposed, agreed and completed matches */
} rt_summary_totals_t;

/* The follow-up of the partnerships that were agreed (agreed and completed matches), each
 * counted once: delivered, partly delivered, abandoned, or no follow-up recorded yet. */
typedef struct rt_summary_delivery_s {
  int64_t delivered, partly_delivered, abandoned, awaiting;
} rt_summary_delivery_t;

typedef struct rt_summary_theme_s {
  const char *code;   /* "incident" or "incident.incident_response" */
  const char *parent; /* NULL for a parent theme */
  const char *name;   /* in the summary's language */
  int64_t needs, offers, needs_matched;
} rt_summary_theme_t;

typedef struct rt_summary_region_s {
  const char *code;
  const char *name;
  int64_t states;        /* states of the region with a counted need */
  int64_t needs;         /* counted needs of its states */
  int64_t offers;        /* open offers that states of the region may take (no region limit, or
                            the region listed) */
  int64_t needs_matched; /* as in the totals */
} rt_summary_region_t;

#define RT_SUMMARY_MAX_TERMS 16

typedef struct rt_summary_term_s {
  const char *criterion; /* "theme", "text", ... */
  double value, weight;
} rt_summary_term_t;

typedef struct rt_summary_match_s {
  const char *id, *status;
  const char *need_id, *need_title, *state_id, *state;
  const char *offer_id, *offer_title, *provider_id, *provider;
  double score;
  rt_summary_term_t terms[RT_SUMMARY_MAX_TERMS]; /* the breakdown, in the engine's order */
  size_t n_terms;
} rt_summary_match_t;

typedef struct rt_summary_unmet_s {
  const char *need_id, *title, *state_id, *state;
  const char *reason; /* a code: rt_match_reason_name's, or "feasible" */
} rt_summary_unmet_t;

typedef struct rt_summary_offer_s {
  const char *offer_id, *title, *provider_id, *provider;
  int64_t capacity, used; /* used: proposed, agreed and completed matches; used < capacity */
} rt_summary_offer_t;

typedef struct rt_summary_s {
  rt_summary_lang_t lang;
  struct {
    const char *id, *title, *starts_on, *ends_on, *location, *status;
  } roundtable;
  rt_summary_totals_t totals;
  rt_summary_delivery_t delivery;
  const rt_summary_theme_t *themes; /* taxonomy order: each parent, then its children */
  size_t n_themes;
  const rt_summary_region_t *regions;
  size_t n_regions;
  const rt_summary_match_t *top; /* best score first */
  size_t n_top;
  const rt_summary_unmet_t *unmet; /* by need id */
  size_t n_unmet;
  const rt_summary_offer_t *unused; /* by offer id */
  size_t n_unused;
  struct {
    const char *id; /* the latest succeeded match run; NULL when there is none */
    const char *finished_at;
    double min_score;
  } last_run;
  const char *generated_at; /* RFC 3339: the moment the figures were read */
} rt_summary_t;

/* Appends the document to out. 0, or RT_ENOMEM / RT_E2BIG from the buffer, or RT_EINVAL for a
 * bad format or language. */
int rt_summary_render(const rt_summary_t *s, rt_summary_format_t f, rt_buf_t *out) RT_WUR;

#endif
