/* The summary as one self-contained, printable HTML page: inline style (A4 print rules), SVG
 * charts drawn here, no script, no external fonts or images. Every piece of data is escaped; the
 * SVG is well-formed XML on its own. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "summary_internal.h"

static const char style[] =
    "@page{size:A4;margin:16mm 14mm}"
    "body{font:10.5pt/1.45 system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC',"
    "'PingFang SC','Microsoft YaHei',sans-serif;color:#1b1b1b;max-width:190mm;margin:0 auto;"
    "padding:12px}"
    "h1{font-size:19pt;margin:0 0 4px}"
    "h2{font-size:13.5pt;border-bottom:2px solid #1f5fa8;padding-bottom:2px;margin:22px 0 8px;"
    "break-after:avoid}"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}"
    "dl.meta dt{color:#555}dl.meta dd{margin:0}"
    ".tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:6px;margin:0;padding:0}"
    ".tile{border:1px solid #c9d3e0;border-radius:4px;padding:6px 8px;list-style:none;"
    "break-inside:avoid}"
    ".tile b{display:block;font-size:15pt;font-variant-numeric:tabular-nums}"
    ".tile span{color:#444;font-size:9pt}"
    "table{border-collapse:collapse;width:100%;font-size:9pt;margin:6px 0}"
    "th,td{border-bottom:1px solid #dde3ea;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#eef2f7}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}"
    "tr.parent td{background:#f5f8fb;font-weight:600}tr.child td:first-child{padding-left:18px}"
    "thead{display:table-header-group}tr{break-inside:avoid}"
    "figure{margin:8px 0 12px;break-inside:avoid}figcaption{font-weight:600;margin-bottom:4px}"
    "svg{max-width:100%;height:auto}"
    ".muted{color:#555}ul.notes{padding-left:18px;color:#333}"
    "@media print{body{padding:0;max-width:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/* Opens a tag with an optional class, writes text escaped, closes it. */
static int el(rt_buf_t *b, const char *tag, const char *cls, const char *text) {
  TRY(rt_buf_printf(b, "<%s%s%s%s>", tag, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : ""));
  TRY(rt__esc_html(b, text));
  return rt_buf_printf(b, "</%s>", tag);
}

static int heading(rt_buf_t *b, const char *id, rt_summary_label_t l, rt_summary_lang_t lang) {
  TRY(rt_buf_printf(b, "<section id=\"%s\"><h2>", id));
  TRY(rt__esc_html(b, rt__label(l, lang)));
  return rt_buf_puts(b, "</h2>");
}

/* A header row: labels with "n" in numeric columns ('r' in align). */
static int thead(rt_buf_t *b, rt_summary_lang_t lang, int n, const rt_summary_label_t *labels,
                 const char *align) {
  TRY(rt_buf_puts(b, "<table><thead><tr>"));
  for (int i = 0; i < n; i++)
    TRY(el(b, "th", align[i] == 'r' ? "n" : NULL, rt__label(labels[i], lang)));
  return rt_buf_puts(b, "</tr></thead><tbody>");
}

/* One row of cells: 'r' numeric, 'l' text. */
static int trow(rt_buf_t *b, const char *cls, int n, const char *const *cells, const char *align) {
  TRY(rt_buf_printf(b, "<tr%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : ""));
  for (int i = 0; i < n; i++)
    TRY(el(b, "td", align[i] == 'r' ? "n" : NULL, cells[i]));
  return rt_buf_puts(b, "</tr>");
}

/* ---- SVG: horizontal bars, one or two series per row, a label above each row ---- */

#define SVG_W 680
#define BAR_MAX 520 /* the longest bar; the rest of the width holds its figure */
#define BAR_H 12

typedef struct bar_row {
  const char *label;
  double v[2];
  const char *note[2]; /* shown after the bar; NULL: the value */
} bar_row_t;

static int svg_bars(rt_buf_t *b, const char *id, const char *title, const bar_row_t *rows, size_t n,
                    int series, const char *const *names, const char *const *colors, double max,
                    int track) {
  int legend = series > 1 ? 22 : 0;
  int row_h = 16 + series * (BAR_H + 3) + 8;
  int h = legend + (int)n * row_h + 4;
  TRY(rt_buf_printf(b,
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                    "height=\"%d\" role=\"img\" aria-labelledby=\"%s\" font-family=\"sans-serif\" "
                    "font-size=\"12\"><title id=\"%s\">",
                    SVG_W, h, SVG_W, h, id, id));
  TRY(rt__esc_html(b, title));
  TRY(rt_buf_puts(b, "</title>"));
  for (int k = 0; k < series && legend; k++) {
    int x = k * 160;
    TRY(rt_buf_printf(b,
                      "<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                      "<text x=\"%d\" y=\"14\">",
                      x, colors[k], x + 18));
    TRY(rt__esc_html(b, names[k]));
    TRY(rt_buf_puts(b, "</text>"));
  }
  for (size_t i = 0; i < n; i++) {
    int y = legend + (int)i * row_h;
    TRY(rt_buf_printf(b, "<text x=\"0\" y=\"%d\" fill=\"#222\">", y + 12));
    TRY(rt__esc_html(b, rows[i].label));
    TRY(rt_buf_puts(b, "</text>"));
    for (int k = 0; k < series; k++) {
      int by = y + 16 + k * (BAR_H + 3);
      double v = rows[i].v[k];
      int w = max > 0 ? (int)(v / max * BAR_MAX + 0.5) : 0;
      if (v > 0 && w < 1)
        w = 1;
      if (track)
        TRY(rt_buf_printf(b, "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#e6ebf1\"/>",
                          by, BAR_MAX, BAR_H));
      TRY(rt_buf_printf(b,
                        "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"%d\" fill=\"#333\">",
                        by, w, BAR_H, colors[k], (track ? BAR_MAX : w) + 6, by + 10));
      if (rows[i].note[k])
        TRY(rt__esc_html(b, rows[i].note[k]));
      else
        TRY(rt_buf_printf(b, "%.0f", v));
      TRY(rt_buf_puts(b, "</text>"));
    }
  }
  return rt_buf_puts(b, "</svg>");
}

static int figure(rt_buf_t *b, const char *title) {
  TRY(rt_buf_puts(b, "<figure>"));
  return el(b, "figcaption", NULL, title);
}

static int chart_themes(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  bar_row_t rows[64];
  size_t n = 0;
  double max = 0;
  for (size_t i = 0; i < s->n_themes && n < 64; i++) {
    const rt_summary_theme_t *t = &s->themes[i];
    if (t->parent)
      continue;
    rows[n] = (bar_row_t){t->name, {(double)t->needs, (double)t->offers}, {NULL, NULL}};
    max = t->needs > max ? (double)t->needs : max;
    max = t->offers > max ? (double)t->offers : max;
    n++;
  }
  const char *names[] = {rt__label(L_NEEDS, lang), rt__label(L_OFFERS, lang)};
  const char *colors[] = {"#1f5fa8", "#d9822b"};
  const char *title = rt__label(L_CHART_THEMES, lang);
  TRY(figure(b, title));
  TRY(svg_bars(b, "chart-themes", title, rows, n, 2, names, colors, max, 0));
  return rt_buf_puts(b, "</figure>");
}

static int chart_regions(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  bar_row_t rows[16];
  char notes[16][64];
  size_t n = 0;
  for (size_t i = 0; i < s->n_regions && n < 16; i++, n++) {
    const rt_summary_region_t *r = &s->regions[i];
    double c = rt__ratio(r->needs_matched, r->needs);
    char pc[32];
    rt__percent(pc, sizeof(pc), c);
    snprintf(notes[n], sizeof(notes[n]), "%s (%" PRId64 "/%" PRId64 ")", pc, r->needs_matched,
             r->needs);
    rows[n] = (bar_row_t){r->name, {c, 0}, {notes[n], NULL}};
  }
  const char *names[] = {rt__label(L_COVERAGE, lang)};
  const char *colors[] = {"#2e8b57"};
  const char *title = rt__label(L_CHART_REGIONS, lang);
  TRY(figure(b, title));
  TRY(svg_bars(b, "chart-regions", title, rows, n, 1, names, colors, 1.0, 1));
  return rt_buf_puts(b, "</figure>");
}

static int chart_partnerships(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  rt_status_row_t st[RT_STATUS_ROWS];
  rt__status_rows(s, st);
  bar_row_t rows[RT_STATUS_ROWS];
  double max = 0;
  for (int i = 0; i < RT_STATUS_ROWS; i++) {
    rows[i] = (bar_row_t){rt__status_label(st[i].status, lang), {(double)st[i].count, 0}, {0}};
    max = st[i].count > max ? (double)st[i].count : max;
  }
  const char *names[] = {rt__label(L_COUNT, lang)};
  const char *colors[] = {"#6a4c93"};
  const char *title = rt__label(L_CHART_PARTNERSHIPS, lang);
  TRY(figure(b, title));
  TRY(svg_bars(b, "chart-partnerships", title, rows, RT_STATUS_ROWS, 1, names, colors, max, 0));
  return rt_buf_puts(b, "</figure>");
}

#define NUM(buf, v) snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)(v))

static int head(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(rt_buf_printf(b,
                    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"/>"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
                    "<title>",
                    lang == RT_SUMMARY_ZH ? "zh-Hans" : "en"));
  TRY(rt__esc_html(b, rt__label(L_TITLE, lang)));
  TRY(rt_buf_puts(b, lang == RT_SUMMARY_ZH ? "：" : ": "));
  TRY(rt__esc_html(b, s->roundtable.title));
  TRY(rt_buf_printf(b, "</title><style>%s</style></head><body><header><h1>", style));
  TRY(rt__esc_html(b, s->roundtable.title));
  TRY(rt_buf_puts(b, "</h1><p class=\"muted\">"));
  TRY(rt__esc_html(b, rt__label(L_TITLE, lang)));
  TRY(rt_buf_puts(b, "</p><dl class=\"meta\">"));
  char dates[64], run[160];
  snprintf(dates, sizeof(dates), "%s – %s", s->roundtable.starts_on ? s->roundtable.starts_on : "",
           s->roundtable.ends_on ? s->roundtable.ends_on : "");
  if (s->last_run.id)
    snprintf(run, sizeof(run), "#%s, %s (%s %.2f)", s->last_run.id,
             s->last_run.finished_at ? s->last_run.finished_at : "", rt__label(L_MIN_SCORE, lang),
             s->last_run.min_score);
  else
    snprintf(run, sizeof(run), "%s", rt__label(L_NO_RUN, lang));
  const struct {
    rt_summary_label_t l;
    const char *v;
  } meta[] = {{L_DATES, dates},
              {L_LOCATION, s->roundtable.location},
              {L_STATUS, rt__status_label(s->roundtable.status, lang)},
              {L_LAST_RUN, run},
              {L_GENERATED, s->generated_at}};
  for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
    TRY(el(b, "dt", NULL, rt__label(meta[i].l, lang)));
    TRY(el(b, "dd", NULL, meta[i].v));
  }
  return rt_buf_puts(b, "</dl></header>");
}

static int totals(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(heading(b, "totals", L_SEC_TOTALS, lang));
  TRY(rt_buf_puts(b, "<ul class=\"tiles\">"));
  rt_total_row_t tr[RT_TOTAL_ROWS];
  rt__total_rows(s, tr);
  for (int i = 0; i < RT_TOTAL_ROWS; i++) {
    char v[32];
    if (tr[i].is_ratio)
      rt__percent(v, sizeof(v), tr[i].ratio);
    else
      NUM(v, tr[i].count);
    TRY(rt_buf_printf(b, "<li class=\"tile\" data-key=\"%s\">", tr[i].key));
    TRY(el(b, "b", NULL, v));
    TRY(el(b, "span", NULL, rt__label(tr[i].label, lang)));
    TRY(rt_buf_puts(b, "</li>"));
  }
  TRY(rt_buf_puts(b, "</ul>"));
  TRY(chart_partnerships(b, s));
  return rt_buf_puts(b, "</section>");
}

static int delivery(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(heading(b, "delivery", L_SEC_DELIVERY, lang));
  TRY(thead(b, lang, 2, (rt_summary_label_t[]){L_STATUS, L_COUNT}, "lr"));
  rt_status_row_t dr[RT_DELIVERY_ROWS];
  rt__delivery_rows(s, dr);
  for (int i = 0; i < RT_DELIVERY_ROWS; i++) {
    char n[32];
    NUM(n, dr[i].count);
    TRY(trow(b, dr[i].status, 2, (const char *[]){rt__status_label(dr[i].status, lang), n}, "lr"));
  }
  return rt_buf_puts(b, "</tbody></table></section>");
}

static int themes(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(heading(b, "themes", L_SEC_THEMES, lang));
  TRY(chart_themes(b, s));
  TRY(thead(b, lang, 5,
            (rt_summary_label_t[]){L_THEME, L_NEEDS, L_OFFERS, L_NEEDS_MATCHED, L_COVERAGE},
            "lrrrr"));
  for (size_t i = 0; i < s->n_themes; i++) {
    const rt_summary_theme_t *t = &s->themes[i];
    char n1[32], n2[32], n3[32], pc[32];
    NUM(n1, t->needs);
    NUM(n2, t->offers);
    NUM(n3, t->needs_matched);
    rt__percent(pc, sizeof(pc), rt__ratio(t->needs_matched, t->needs));
    TRY(trow(b, t->parent ? "child" : "parent", 5, (const char *[]){t->name, n1, n2, n3, pc},
             "lrrrr"));
  }
  return rt_buf_puts(b, "</tbody></table></section>");
}

static int regions(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(heading(b, "regions", L_SEC_REGIONS, lang));
  TRY(chart_regions(b, s));
  TRY(thead(
      b, lang, 6,
      (rt_summary_label_t[]){L_REGION, L_STATES, L_NEEDS, L_OFFERS, L_NEEDS_MATCHED, L_COVERAGE},
      "lrrrrr"));
  for (size_t i = 0; i < s->n_regions; i++) {
    const rt_summary_region_t *r = &s->regions[i];
    char n1[32], n2[32], n3[32], n4[32], pc[32];
    NUM(n1, r->states);
    NUM(n2, r->needs);
    NUM(n3, r->offers);
    NUM(n4, r->needs_matched);
    rt__percent(pc, sizeof(pc), rt__ratio(r->needs_matched, r->needs));
    TRY(trow(b, NULL, 6, (const char *[]){r->name, n1, n2, n3, n4, pc}, "lrrrrr"));
  }
  return rt_buf_puts(b, "</tbody></table></section>");
}

static int top(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(heading(b, "top-matches", L_SEC_TOP, lang));
  if (!s->n_top) {
    TRY(el(b, "p", "muted", rt__label(L_NONE_TOP, lang)));
    return rt_buf_puts(b, "</section>");
  }
  TRY(thead(b, lang, 8,
            (rt_summary_label_t[]){L_RANK, L_NEED, L_STATE, L_OFFER, L_PROVIDER, L_STATUS, L_SCORE,
                                   L_WHY},
            "rlllllrl"));
  for (size_t i = 0; i < s->n_top; i++) {
    const rt_summary_match_t *m = &s->top[i];
    char rank[32], score[32], need[400], offer[400];
    NUM(rank, (int64_t)i + 1);
    snprintf(score, sizeof(score), "%.3f", m->score);
    snprintf(need, sizeof(need), "%s (#%s)", m->need_title ? m->need_title : "",
             m->need_id ? m->need_id : "");
    snprintf(offer, sizeof(offer), "%s (#%s)", m->offer_title ? m->offer_title : "",
             m->offer_id ? m->offer_id : "");
    rt_buf_t why;
    rt_buf_init(&why, 0);
    int rc = rt__explain(&why, m, lang, NULL);
    if (!rc)
      rc = trow(b, NULL, 8,
                (const char *[]){rank, need, m->state, offer, m->provider,
                                 rt__status_label(m->status, lang), score, why.data},
                "rlllllrl");
    rt_buf_free(&why);
    TRY(rc);
  }
  return rt_buf_puts(b, "</tbody></table></section>");
}

static int unmet(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(heading(b, "unmet", L_SEC_UNMET, lang));
  if (!s->n_unmet) {
    TRY(el(b, "p", "muted", rt__label(L_NONE_UNMET, lang)));
    return rt_buf_puts(b, "</section>");
  }
  TRY(thead(b, lang, 4, (rt_summary_label_t[]){L_ID, L_NEED, L_STATE, L_REASON}, "rlll"));
  for (size_t i = 0; i < s->n_unmet; i++) {
    const rt_summary_unmet_t *u = &s->unmet[i];
    TRY(trow(
        b, NULL, 4,
        (const char *[]){u->need_id, u->title, u->state, rt_summary_reason_label(u->reason, lang)},
        "rlll"));
  }
  return rt_buf_puts(b, "</tbody></table></section>");
}

static int unused(rt_buf_t *b, const rt_summary_t *s) {
  rt_summary_lang_t lang = s->lang;
  TRY(heading(b, "unused-offers", L_SEC_UNUSED, lang));
  if (!s->n_unused) {
    TRY(el(b, "p", "muted", rt__label(L_NONE_UNUSED, lang)));
    return rt_buf_puts(b, "</section>");
  }
  TRY(thead(b, lang, 6,
            (rt_summary_label_t[]){L_ID, L_OFFER, L_PROVIDER, L_CAPACITY, L_USED, L_LEFT},
            "rllrrr"));
  for (size_t i = 0; i < s->n_unused; i++) {
    const rt_summary_offer_t *o = &s->unused[i];
    char n1[32], n2[32], n3[32];
    NUM(n1, o->capacity);
    NUM(n2, o->used);
    NUM(n3, o->capacity - o->used);
    TRY(trow(b, NULL, 6, (const char *[]){o->offer_id, o->title, o->provider, n1, n2, n3},
             "rllrrr"));
  }
  return rt_buf_puts(b, "</tbody></table></section>");
}

int rt__render_html(const rt_summary_t *s, rt_buf_t *b) {
  TRY(head(b, s));
  TRY(rt_buf_puts(b, "<main>"));
  TRY(totals(b, s));
  TRY(delivery(b, s));
  TRY(themes(b, s));
  TRY(regions(b, s));
  TRY(top(b, s));
  TRY(unmet(b, s));
  TRY(unused(b, s));
  TRY(heading(b, "notes", L_SEC_NOTES, s->lang));
  TRY(rt_buf_puts(b, "<ul class=\"notes\">"));
  for (int l = L_NOTE_COUNTED; l <= L_NOTE_SCORE; l++)
    TRY(el(b, "li", NULL, rt__label((rt_summary_label_t)l, s->lang)));
  return rt_buf_puts(b, "</ul></section></main></body></html>\n");
}
