/* Escaping for each format, numbers, and the names of formats and languages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summary_internal.h"

static const char *const format_names[RT_SUMMARY_FORMATS] = {"json", "markdown", "html", "csv"};
static const char *const content_types[RT_SUMMARY_FORMATS] = {
    "application/json", "text/markdown; charset=utf-8", "text/html; charset=utf-8",
    "text/csv; charset=utf-8"};
static const char *const extensions[RT_SUMMARY_FORMATS] = {"json", "md", "html", "csv"};
static const char *const lang_names[RT_SUMMARY_LANGS] = {"en", "zh"};

int rt_summary_format_parse(const char *s, rt_summary_format_t *out) {
  for (int f = 0; s && f < RT_SUMMARY_FORMATS; f++)
    if (strcmp(s, format_names[f]) == 0) {
      *out = (rt_summary_format_t)f;
      return 0;
    }
  return RT_EINVAL;
}

int rt_summary_lang_parse(const char *s, rt_summary_lang_t *out) {
  for (int l = 0; s && l < RT_SUMMARY_LANGS; l++)
    if (strcmp(s, lang_names[l]) == 0) {
      *out = (rt_summary_lang_t)l;
      return 0;
    }
  return RT_EINVAL;
}

const char *rt_summary_format_name(rt_summary_format_t f) {
  return (unsigned)f < RT_SUMMARY_FORMATS ? format_names[f] : "";
}
const char *rt_summary_lang_name(rt_summary_lang_t l) {
  return (unsigned)l < RT_SUMMARY_LANGS ? lang_names[l] : "";
}
const char *rt_summary_content_type(rt_summary_format_t f) {
  return (unsigned)f < RT_SUMMARY_FORMATS ? content_types[f] : "application/octet-stream";
}
const char *rt_summary_extension(rt_summary_format_t f) {
  return (unsigned)f < RT_SUMMARY_FORMATS ? extensions[f] : "bin";
}

/* Runs of bytes that need no escaping are appended in one piece. */
typedef const char *(*replacement_fn)(unsigned char c, char tmp[8]);

static int escape(rt_buf_t *out, const char *s, replacement_fn rep) {
  if (!s)
    return 0;
  const char *run = s;
  char tmp[8];
  int rc = 0;
  for (const char *p = s; *p && !rc; p++) {
    const char *r = rep((unsigned char)*p, tmp);
    if (!r)
      continue;
    rc = rt_buf_append(out, run, (size_t)(p - run));
    if (!rc)
      rc = rt_buf_puts(out, r);
    run = p + 1;
  }
  return rc ? rc : rt_buf_puts(out, run);
}

static const char *json_rep(unsigned char c, char tmp[8]) {
  switch (c) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\n':
    return "\\n";
  case '\r':
    return "\\r";
  case '\t':
    return "\\t";
  default:
    break;
  }
  if (c < 0x20) {
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
  }
  return NULL;
}

int rt__esc_json(rt_buf_t *out, const char *s) {
  int rc = rt_buf_puts(out, "\"");
  if (!rc)
    rc = escape(out, s, json_rep);
  return rc ? rc : rt_buf_puts(out, "\"");
}

static const char *html_rep(unsigned char c, char tmp[8]) {
  (void)tmp;
  switch (c) {
  case '&':
    return "&amp;";
  case '<':
    return "&lt;";
  case '>':
    return "&gt;";
  case '"':
    return "&quot;";
  case '\'':
    return "&#39;";
  default:
    /* control characters are not allowed in XML 1.0 (the SVG), nor useful in HTML */
    return c < 0x20 && c != '\n' && c != '\t' ? " " : NULL;
  }
}

int rt__esc_html(rt_buf_t *out, const char *s) { return escape(out, s, html_rep); }

/* Backslash escapes the ASCII punctuation that could make markup anywhere in a line (CommonMark
 * allows escaping any); what matters only at the start of a line never comes first here (values
 * follow "| " or a label). Line breaks become spaces so that a value stays in its table cell. */
static const char *md_rep(unsigned char c, char tmp[8]) {
  if (c == '\n' || c == '\r' || c == '\t')
    return " ";
  if (c < 0x20)
    return " ";
  if (strchr("\\`*_{}[]<>|~&", c) && c) {
    tmp[0] = '\\';
    tmp[1] = (char)c;
    tmp[2] = '\0';
    return tmp;
  }
  return NULL;
}

int rt__esc_md(rt_buf_t *out, const char *s) { return escape(out, s, md_rep); }

static const char *csv_rep(unsigned char c, char tmp[8]) {
  (void)tmp;
  return c == '"' ? "\"\"" : NULL;
}

/* Quoted only when it must be: a comma, a quote, a line break, or space at either end. */
int rt__esc_csv(rt_buf_t *out, const char *s) {
  if (!s || !*s)
    return 0;
  size_t n = strlen(s);
  int quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[n - 1] == ' ';
  if (!quote)
    return rt_buf_append(out, s, n);
  int rc = rt_buf_puts(out, "\"");
  if (!rc)
    rc = escape(out, s, csv_rep);
  return rc ? rc : rt_buf_puts(out, "\"");
}

int rt__number(rt_buf_t *out, double v) {
  char s[40];
  if (!isfinite(v))
    return rt_buf_puts(out, "null");
  if (v == floor(v) && fabs(v) < 1e15)
    snprintf(s, sizeof(s), "%.0f", v);
  else
    for (int digits = 15; digits <= 17; digits++) {
      snprintf(s, sizeof(s), "%.*g", digits, v);
      if (strtod(s, NULL) == v)
        break;
    }
  return rt_buf_puts(out, s);
}

double rt__ratio(int64_t part, int64_t whole) {
  return whole > 0 ? (double)part / (double)whole : 0.0;
}

void rt__percent(char *s, size_t n, double ratio) { snprintf(s, n, "%.1f%%", ratio * 100.0); }

/* Criteria by contribution, largest first; the three that matter most. */
int rt__explain(rt_buf_t *out, const rt_summary_match_t *m, rt_summary_lang_t lang,
                int (*esc)(rt_buf_t *, const char *)) {
  size_t order[RT_SUMMARY_MAX_TERMS];
  size_t n = m->n_terms < RT_SUMMARY_MAX_TERMS ? m->n_terms : RT_SUMMARY_MAX_TERMS;
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  for (size_t i = 1; i < n; i++) /* insertion sort: stable, at most 16 terms */
    for (size_t j = i; j > 0; j--) {
      const rt_summary_term_t *a = &m->terms[order[j - 1]], *b = &m->terms[order[j]];
      if (b->value * b->weight <= a->value * a->weight)
        break;
      size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  int rc = 0;
  for (size_t k = 0; k < n && k < 3 && !rc; k++) {
    const rt_summary_term_t *t = &m->terms[order[k]];
    char figures[64];
    snprintf(figures, sizeof(figures), " %.0f%% × %.2f", t->value * 100.0, t->weight);
    if (k)
      rc = rt_buf_puts(out, lang == RT_SUMMARY_ZH ? "；" : "; ");
    const char *name = rt__criterion_label(t->criterion, lang);
    if (!rc)
      rc = esc ? esc(out, name) : rt_buf_puts(out, name);
    if (!rc)
      rc = rt_buf_puts(out, figures);
  }
  return rc;
}

int rt_summary_render(const rt_summary_t *s, rt_summary_format_t f, rt_buf_t *out) {
  if (!s || (unsigned)s->lang >= RT_SUMMARY_LANGS)
    return RT_EINVAL;
  switch (f) {
  case RT_SUMMARY_JSON:
    return rt__render_json(s, out);
  case RT_SUMMARY_MARKDOWN:
    return rt__render_markdown(s, out);
  case RT_SUMMARY_HTML:
    return rt__render_html(s, out);
  case RT_SUMMARY_CSV:
    return rt__render_csv(s, out);
  default:
    return RT_EINVAL;
  }
}
