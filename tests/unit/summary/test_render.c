/* The summary's pure parts: escaping for each format, numbers, labels, the explanation of a
 * match, and whole documents from a small model (same figures everywhere, data escaped, every
 * buffer cap failing cleanly). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "roundtable/summary.h"
#include "summary_internal.h"

typedef int (*esc_fn)(rt_buf_t *, const char *);

static char *escaped(esc_fn f, const char *s) {
  static char out[512];
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(f(&b, s), 0);
  snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
  rt_buf_free(&b);
  return out;
}

static void test_escapers(void **state) {
  (void)state;
  assert_string_equal(escaped(rt__esc_json, "a\"b\\c\n\t\x01 中文"),
                      "\"a\\\"b\\\\c\\n\\t\\u0001 中文\"");
  assert_string_equal(escaped(rt__esc_json, NULL), "\"\"");
  assert_string_equal(escaped(rt__esc_html, "<script>alert(\"x&y\")</script>'"),
                      "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;");
  assert_string_equal(escaped(rt__esc_html, "bell\x07"), "bell ");
  assert_string_equal(escaped(rt__esc_md, "a|b\\c *d* <e>\nf [g](h)"),
                      "a\\|b\\\\c \\*d\\* \\<e\\> f \\[g\\](h)");
  assert_string_equal(escaped(rt__esc_csv, "plain"), "plain");
  assert_string_equal(escaped(rt__esc_csv, "a,b"), "\"a,b\"");
  assert_string_equal(escaped(rt__esc_csv, "say \"hi\""), "\"say \"\"hi\"\"\"");
  assert_string_equal(escaped(rt__esc_csv, "two\nlines"), "\"two\nlines\"");
  assert_string_equal(escaped(rt__esc_csv, " padded"), "\" padded\"");
  assert_string_equal(escaped(rt__esc_csv, ""), "");
}

static char *number(double v) {
  static char out[64];
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt__number(&b, v), 0);
  snprintf(out, sizeof(out), "%s", b.data);
  rt_buf_free(&b);
  return out;
}

static void test_numbers(void **state) {
  (void)state;
  assert_string_equal(number(0), "0");
  assert_string_equal(number(1), "1");
  assert_string_equal(number(0.875), "0.875");
  assert_string_equal(number(0.1), "0.1");
  assert_true(strtod(number(1.0 / 3), NULL) == 1.0 / 3);
  assert_true(strtod(number(0.9473684210526315), NULL) == 18.0 / 19);
  assert_string_equal(number(1.0 / 0.0), "null");
  assert_true(rt__ratio(1, 0) == 0);
  assert_true(rt__ratio(3, 4) == 0.75);
  char pc[16];
  rt__percent(pc, sizeof(pc), 0.9473684210526315);
  assert_string_equal(pc, "94.7%");
}

static void test_names_and_labels(void **state) {
  (void)state;
  rt_summary_format_t f;
  rt_summary_lang_t l;
  assert_int_equal(rt_summary_format_parse("csv", &f), 0);
  assert_int_equal(f, RT_SUMMARY_CSV);
  assert_int_equal(rt_summary_format_parse("CSV", &f), RT_EINVAL);
  assert_int_equal(rt_summary_format_parse(NULL, &f), RT_EINVAL);
  assert_int_equal(rt_summary_lang_parse("zh", &l), 0);
  assert_int_equal(l, RT_SUMMARY_ZH);
  assert_int_equal(rt_summary_lang_parse("fr", &l), RT_EINVAL);
  assert_string_equal(rt_summary_content_type(RT_SUMMARY_HTML), "text/html; charset=utf-8");
  assert_string_equal(rt_summary_extension(RT_SUMMARY_MARKDOWN), "md");
  assert_string_equal(rt_summary_reason_label("no_theme", RT_SUMMARY_EN),
                      "no offer covers these themes");
  assert_string_equal(rt_summary_reason_label("no_theme", RT_SUMMARY_ZH), "没有供给涵盖这些主题");
  assert_string_equal(rt_summary_reason_label("something_new", RT_SUMMARY_ZH), "something_new");
  for (int i = 0; i < L_LABELS; i++) { /* every label exists in both languages */
    assert_true(rt__label((rt_summary_label_t)i, RT_SUMMARY_EN)[0] != '\0');
    assert_true(rt__label((rt_summary_label_t)i, RT_SUMMARY_ZH)[0] != '\0');
  }
  assert_string_equal(rt__status_label("agreed", RT_SUMMARY_ZH), "已达成");
  assert_string_equal(rt__criterion_label("fairness", RT_SUMMARY_ZH), "公平性");
}

static const rt_summary_theme_t themes[] = {
    {"incident", NULL, "Incident management", 3, 2, 2},
    {"incident.incident_response", "incident", "Incident response", 3, 2, 2},
};
static const rt_summary_region_t regions[] = {
    {"africa", "African Group", 2, 3, 4, 2},
    {"asia_pacific", "Asia-Pacific Group", 0, 0, 4, 0},
};
static const rt_summary_unmet_t unmet[] = {
    {"12", "<script>x</script> | \"a,b\"", "3", "Kenya", "no_shared_language"},
};
static const rt_summary_offer_t unused[] = {
    {"20", "Course, online", "7", "Donor | Agency", 3, 1},
};

static rt_summary_t model(rt_summary_lang_t lang, rt_summary_match_t *m) {
  memset(m, 0, sizeof(*m));
  *m = (rt_summary_match_t){.id = "40",
                            .status = "agreed",
                            .need_id = "11",
                            .need_title = "CSIRT",
                            .state_id = "3",
                            .state = "Kenya",
                            .offer_id = "20",
                            .offer_title = "Course",
                            .provider_id = "7",
                            .provider = "Donor",
                            .score = 0.5,
                            .n_terms = 3};
  m->terms[0] = (rt_summary_term_t){"theme", 1.0, 0.25};
  m->terms[1] = (rt_summary_term_t){"text", 0.25, 0.25};
  m->terms[2] = (rt_summary_term_t){"fairness", 0.5, 0.5};
  rt_summary_t s = {
      .lang = lang,
      .roundtable = {"5", "Roundtable <b>&", "2024-05-10", NULL, "New York", "open"},
      .totals = {.states = 2,
                 .providers = 1,
                 .needs = 3,
                 .offers = 2,
                 .matches_proposed = 1,
                 .matches_agreed = 1,
                 .needs_matched = 2,
                 .needs_agreed = 1,
                 .capacity = 4,
                 .capacity_used = 2},
      .delivery = {.delivered = 3, .partly_delivered = 1, .abandoned = 2, .awaiting = 4},
      .themes = themes,
      .n_themes = 2,
      .regions = regions,
      .n_regions = 2,
      .top = m,
      .n_top = 1,
      .unmet = unmet,
      .n_unmet = 1,
      .unused = unused,
      .n_unused = 1,
      .generated_at = "2024-05-10T09:30:00.000Z"};
  return s;
}

static char *render(const rt_summary_t *s, rt_summary_format_t f) {
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_summary_render(s, f, &b), 0);
  return b.data; /* the caller frees */
}

static void test_explanation(void **state) {
  (void)state;
  rt_summary_match_t m;
  (void)model(RT_SUMMARY_EN, &m);
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt__explain(&b, &m, RT_SUMMARY_EN, NULL), 0);
  /* by contribution: fairness 0.25, theme 0.25 (stable: theme first), text 0.0625 */
  assert_string_equal(b.data, "theme 100% × 0.25; fairness 50% × 0.50; text 25% × 0.25");
  rt_buf_free(&b);
}

static void test_documents(void **state) {
  (void)state;
  rt_summary_match_t m;
  rt_summary_t s = model(RT_SUMMARY_EN, &m);
  char *json = render(&s, RT_SUMMARY_JSON);
  assert_non_null(strstr(json, "\"totals\":{\"states\":2,\"providers\":1,\"needs\":3,"));
  assert_non_null(strstr(json, "\"coverage\":0.6666666666666666"));
  assert_non_null(strstr(json, "\"ends_on\":null"));
  assert_non_null(strstr(json, "\"title\":\"<script>x</script> | \\\"a,b\\\"\""));
  assert_non_null(strstr(json, "\"breakdown\":{\"theme\":{\"value\":1,\"weight\":0.25}"));
  assert_non_null(strstr(json, "\"last_run\":null"));
  assert_non_null(strstr(json, "\"partnerships\":{\"proposed\":1,\"agreed\":1,"));
  assert_non_null(strstr(json, "\"delivery\":{\"delivered\":3,\"partly_delivered\":1,"
                               "\"abandoned\":2,\"awaiting_follow_up\":4}"));
  free(json);

  char *html = render(&s, RT_SUMMARY_HTML);
  assert_null(strstr(html, "<script>"));
  assert_null(strstr(html, "<b>&"));
  assert_non_null(strstr(html, "&lt;script&gt;x&lt;/script&gt; | &quot;a,b&quot;"));
  assert_non_null(strstr(html, "@page{size:A4"));
  int svgs = 0;
  for (const char *p = html; (p = strstr(p, "<svg ")); p++)
    svgs++;
  assert_int_equal(svgs, 3);
  assert_non_null(strstr(html, "<section id=\"delivery\">"));
  assert_non_null(strstr(html, "<tr class=\"abandoned\"><td>abandoned</td><td class=\"n\">2</td>"));
  free(html);

  char *md = render(&s, RT_SUMMARY_MARKDOWN);
  assert_non_null(strstr(md, "\\<script\\>x\\</script\\> \\| \"a,b\""));
  assert_non_null(strstr(md, "| Coverage | 66.7% |"));
  assert_non_null(strstr(md, "Donor \\| Agency"));
  assert_non_null(strstr(md, "## Follow-up of agreed partnerships"));
  assert_non_null(strstr(md, "| partly delivered | 1 |"));
  free(md);

  char *csv = render(&s, RT_SUMMARY_CSV);
  assert_non_null(strstr(csv, "\r\ntotals,coverage,Coverage,0.6666666666666666,"));
  assert_non_null(strstr(csv, "\"<script>x</script> | \"\"a,b\"\"\""));
  assert_non_null(strstr(csv, "\r\nunused_offer,20,,2,"));
  assert_non_null(strstr(csv, "\r\ndelivery,awaiting_follow_up,awaiting follow-up,4"));
  int lines = 0;
  for (const char *p = csv; *p; p++)
    lines += *p == '\n';
  /* header, 9 roundtable, 14 totals, 2 themes, 2 regions, 4 statuses, 4 follow-up outcomes,
   * 1 top, 1 unmet, 1 unused */
  assert_int_equal(lines, 1 + 9 + 14 + 2 + 2 + 4 + 4 + 1 + 1 + 1);
  free(csv);

  rt_summary_t zh = model(RT_SUMMARY_ZH, &m);
  md = render(&zh, RT_SUMMARY_MARKDOWN);
  assert_non_null(strstr(md, "| 覆盖率 | 66.7% |"));
  assert_non_null(strstr(md, "没有供给与之有共同的工作语言"));
  assert_null(strstr(md, "Coverage"));
  assert_non_null(strstr(md, "| 已放弃 | 2 |"));
  free(md);
}

/* Every cap on the buffer fails with RT_E2BIG, never a crash or a partial success. */
static void test_every_cap_fails_cleanly(void **state) {
  (void)state;
  rt_summary_match_t m;
  rt_summary_t s = model(RT_SUMMARY_ZH, &m);
  for (int f = 0; f < RT_SUMMARY_FORMATS; f++) {
    rt_buf_t full;
    rt_buf_init(&full, 0);
    assert_int_equal(rt_summary_render(&s, (rt_summary_format_t)f, &full), 0);
    for (size_t cap = 1; cap < full.len; cap += 1 + cap / 16) {
      rt_buf_t b;
      rt_buf_init(&b, cap);
      assert_int_equal(rt_summary_render(&s, (rt_summary_format_t)f, &b), RT_E2BIG);
      assert_true(b.len <= cap);
      rt_buf_free(&b);
    }
    rt_buf_free(&full);
  }
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_summary_render(&s, RT_SUMMARY_FORMATS, &b), RT_EINVAL);
  rt_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escapers),         cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_names_and_labels), cmocka_unit_test(test_explanation),
      cmocka_unit_test(test_documents),        cmocka_unit_test(test_every_cap_fails_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
