/* Feasibility, rule by rule (a table of cases: one change to a feasible pair -> the reason),
 * input validation, unmet reasons, and agreement between every path that decides feasibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen.h"
#include "roundtable/match.h"

/* A fixture: one need, up to three offers, pairs. Starts as a feasible pair (need 0, offer 0). */
typedef struct fx_s {
  rt_match_need_t need;
  rt_match_offer_t offer[3];
  size_t n_offers;
  uint8_t nth[3], oth[3], nl[3], ol[3], oreg[2];
  const char *octry[2];
  rt_match_pair_t declined[2], agreed[2];
  size_t n_declined, n_agreed;
} fx_t;

static void fx_init(fx_t *f) {
  memset(f, 0, sizeof(*f));
  f->nth[0] = 0;
  f->oth[0] = 0;
  f->nl[0] = 0;
  f->ol[0] = 0;
  f->need = (rt_match_need_t){.id = 1,
                              .participant_id = 100,
                              .region = 0,
                              .country = "KEN",
                              .title = "national CSIRT",
                              .themes = f->nth,
                              .n_themes = 1,
                              .languages = f->nl,
                              .n_languages = 1,
                              .modality = RT_MATCH_ANY,
                              .budget_cents = -1,
                              .priority = RT_MATCH_PRIORITY_MEDIUM,
                              .max_partners = 1,
                              .open = true};
  for (int i = 0; i < 3; i++)
    f->offer[i] = (rt_match_offer_t){.id = 10 + i,
                                     .participant_id = 200,
                                     .title = "CSIRT",
                                     .themes = f->oth,
                                     .n_themes = 1,
                                     .languages = f->ol,
                                     .n_languages = 1,
                                     .modality = RT_MATCH_HYBRID,
                                     .funding_cents = -1,
                                     .capacity = 1,
                                     .regions = f->oreg,
                                     .countries = f->octry,
                                     .open = true};
  f->n_offers = 1;
}

static int fx_build(fx_t *f, rt_match_instance_t **inst, char *err, size_t errlen) {
  rt_match_input_t in = {.needs = &f->need,
                         .n_needs = 1,
                         .offers = f->offer,
                         .n_offers = f->n_offers,
                         .theme_parent = tg_parent,
                         .n_themes = TG_THEMES,
                         .declined = f->declined,
                         .n_declined = f->n_declined,
                         .agreed = f->agreed,
                         .n_agreed = f->n_agreed};
  return rt_match_instance_build(&in, inst, err, errlen);
}

/* The mutations, one rule each. */
static void m_none(fx_t *f) { (void)f; }
static void m_need_closed(fx_t *f) { f->need.open = false; }
static void m_offer_closed(fx_t *f) { f->offer[0].open = false; }
static void m_same_participant(fx_t *f) { f->offer[0].participant_id = 100; }
static void m_agreed(fx_t *f) {
  f->offer[0].capacity = 2;
  f->agreed[f->n_agreed++] = (rt_match_pair_t){1, 10};
}
static void m_declined(fx_t *f) { f->declined[f->n_declined++] = (rt_match_pair_t){1, 10}; }
static void m_full(fx_t *f) { f->agreed[f->n_agreed++] = (rt_match_pair_t){99, 10}; }
static void m_lang(fx_t *f) { f->ol[0] = 1; }
static void m_lang_shared_second(fx_t *f) {
  f->nl[1] = 5;
  f->need.n_languages = 2;
  f->ol[0] = 7;
  f->ol[1] = 5;
  f->offer[0].n_languages = 2;
}
static void m_lang_high_same(fx_t *f) {
  f->nl[0] = 100;
  f->ol[0] = 100;
}
static void m_lang_high_other(fx_t *f) {
  f->nl[0] = 100;
  f->ol[0] = 101;
}
static void m_region(fx_t *f) {
  f->oreg[0] = 1;
  f->offer[0].n_regions = 1;
}
static void m_region_listed(fx_t *f) {
  f->oreg[0] = 1;
  f->oreg[1] = 0;
  f->offer[0].n_regions = 2;
}
static void m_country(fx_t *f) {
  f->octry[0] = "FRA";
  f->offer[0].n_countries = 1;
}
static void m_country_listed(fx_t *f) {
  f->octry[0] = "FRA";
  f->octry[1] = "KEN";
  f->offer[0].n_countries = 2;
}
static void m_country_unknown_need(fx_t *f) {
  f->need.country = NULL;
  m_country(f);
}
static void m_country_nobody(fx_t *f) {
  f->octry[0] = "ZZZ";
  f->offer[0].n_countries = 1;
}
static void m_mod_ip_on(fx_t *f) {
  f->need.modality = RT_MATCH_IN_PERSON;
  f->offer[0].modality = RT_MATCH_ONLINE;
}
static void m_mod_on_ip(fx_t *f) {
  f->need.modality = RT_MATCH_ONLINE;
  f->offer[0].modality = RT_MATCH_IN_PERSON;
}
static void m_mod_ip_hy(fx_t *f) { f->need.modality = RT_MATCH_IN_PERSON; }
static void m_mod_on_hy(fx_t *f) { f->need.modality = RT_MATCH_ONLINE; }
static void m_mod_hy_on(fx_t *f) {
  f->need.modality = RT_MATCH_HYBRID;
  f->offer[0].modality = RT_MATCH_ONLINE;
}
static void m_mod_any_ip(fx_t *f) { f->offer[0].modality = RT_MATCH_IN_PERSON; }
static void m_win_apart(fx_t *f) {
  f->need.has_window = true;
  f->need.window_start = 10;
  f->need.window_end = 20;
  f->offer[0].has_window = true;
  f->offer[0].window_start = 21;
  f->offer[0].window_end = 30;
}
static void m_win_touch(fx_t *f) {
  m_win_apart(f);
  f->offer[0].window_start = 20;
}
static void m_win_need_none(fx_t *f) {
  m_win_apart(f);
  f->need.has_window = false;
}
static void m_win_offer_none(fx_t *f) {
  m_win_apart(f);
  f->offer[0].has_window = false;
}
static void m_theme_sibling(fx_t *f) { f->oth[0] = 1; }
static void m_theme_other_parent(fx_t *f) { f->oth[0] = 3; }
static void m_theme_one_of_many(fx_t *f) {
  f->nth[1] = 5;
  f->need.n_themes = 2;
  f->oth[0] = 6; /* parent 2, like need theme 5 */
}
static void m_two_rules(fx_t *f) {
  m_lang(f);
  m_theme_other_parent(f);
}

static const struct {
  const char *name;
  void (*mutate)(fx_t *);
  rt_match_reason_t want;
} cases[] = {
    {"a feasible pair", m_none, RT_MATCH_FEASIBLE},
    {"need not open", m_need_closed, RT_MATCH_NEED_NOT_OPEN},
    {"offer not open", m_offer_closed, RT_MATCH_OFFER_NOT_OPEN},
    {"same participant", m_same_participant, RT_MATCH_SAME_PARTICIPANT},
    {"already agreed", m_agreed, RT_MATCH_ALREADY_AGREED},
    {"declined", m_declined, RT_MATCH_DECLINED},
    {"capacity used up by an agreed pair", m_full, RT_MATCH_NO_CAPACITY},
    {"no shared language", m_lang, RT_MATCH_NO_LANGUAGE},
    {"a second language shared", m_lang_shared_second, RT_MATCH_FEASIBLE},
    {"language index 100 shared", m_lang_high_same, RT_MATCH_FEASIBLE},
    {"language index 100 against 101", m_lang_high_other, RT_MATCH_NO_LANGUAGE},
    {"region excluded", m_region, RT_MATCH_REGION_EXCLUDED},
    {"region listed", m_region_listed, RT_MATCH_FEASIBLE},
    {"country excluded", m_country, RT_MATCH_COUNTRY_EXCLUDED},
    {"country listed", m_country_listed, RT_MATCH_FEASIBLE},
    {"need without country against a country list", m_country_unknown_need,
     RT_MATCH_COUNTRY_EXCLUDED},
    {"country list of no need's country", m_country_nobody, RT_MATCH_COUNTRY_EXCLUDED},
    {"in person against online", m_mod_ip_on, RT_MATCH_MODALITY},
    {"online against in person", m_mod_on_ip, RT_MATCH_MODALITY},
    {"in person against hybrid", m_mod_ip_hy, RT_MATCH_FEASIBLE},
    {"online against hybrid", m_mod_on_hy, RT_MATCH_FEASIBLE},
    {"hybrid against online", m_mod_hy_on, RT_MATCH_FEASIBLE},
    {"any against in person", m_mod_any_ip, RT_MATCH_FEASIBLE},
    {"windows apart", m_win_apart, RT_MATCH_WINDOW},
    {"windows touching (inclusive)", m_win_touch, RT_MATCH_FEASIBLE},
    {"need without window", m_win_need_none, RT_MATCH_FEASIBLE},
    {"offer without window", m_win_offer_none, RT_MATCH_FEASIBLE},
    {"sibling theme under the same parent", m_theme_sibling, RT_MATCH_FEASIBLE},
    {"theme under another parent", m_theme_other_parent, RT_MATCH_NO_THEME},
    {"one of several themes shares a parent", m_theme_one_of_many, RT_MATCH_FEASIBLE},
    {"two rules broken: the first in order", m_two_rules, RT_MATCH_NO_LANGUAGE},
};

static void test_rules_table(void **state) {
  (void)state;
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    fx_t f;
    fx_init(&f);
    cases[i].mutate(&f);
    rt_match_instance_t *inst;
    char err[200];
    assert_int_equal(fx_build(&f, &inst, err, sizeof(err)), 0);
    rt_match_reason_t got;
    assert_int_equal(rt_match_feasible(inst, 0, 0, &got), 0);
    if (got != cases[i].want)
      fprintf(stderr, "case '%s': got %s, want %s\n", cases[i].name, rt_match_reason_name(got),
              rt_match_reason_name(cases[i].want));
    assert_int_equal(got, cases[i].want);
    /* every other path agrees: the vector row, both suggestion indexes, the breakdown */
    int32_t row[1];
    assert_int_equal(rt_match_score_row(inst, 0, &w, row), 0);
    assert_int_equal(row[0] >= 0, got == RT_MATCH_FEASIBLE);
    rt_match_hit_t hit;
    size_t nh;
    assert_int_equal(rt_match_suggest_offers(inst, 0, 5, &w, &hit, &nh), 0);
    assert_int_equal(nh, got == RT_MATCH_FEASIBLE);
    assert_int_equal(rt_match_suggest_needs(inst, 0, 5, &w, &hit, &nh), 0);
    assert_int_equal(nh, got == RT_MATCH_FEASIBLE);
    rt_match_breakdown_t b;
    assert_int_equal(rt_match_score(inst, 0, 0, &w, &b), 0);
    assert_int_equal(b.feasibility, got);
    if (got == RT_MATCH_FEASIBLE)
      assert_int_equal(b.score_q, row[0]);
    rt_match_instance_free(inst);
  }
}

/* Bad input: refused with a reason that names the record. */
static void b_dup(fx_t *f) {
  f->n_offers = 2;
  f->offer[1].id = 10;
}
static void b_need_mod(fx_t *f) { f->need.modality = (rt_match_modality_t)7; }
static void b_offer_any(fx_t *f) { f->offer[0].modality = RT_MATCH_ANY; }
static void b_theme(fx_t *f) { f->oth[0] = TG_THEMES; }
static void b_no_theme(fx_t *f) { f->need.n_themes = 0; }
static void b_lang(fx_t *f) { f->nl[0] = 200; }
static void b_region(fx_t *f) { f->need.region = 8; }
static void b_offer_region(fx_t *f) {
  f->oreg[0] = 9;
  f->offer[0].n_regions = 1;
}
static void b_country(fx_t *f) { f->need.country = "ke"; }
static void b_offer_country(fx_t *f) {
  f->octry[0] = "KENY";
  f->offer[0].n_countries = 1;
}
static void b_window(fx_t *f) {
  f->offer[0].has_window = true;
  f->offer[0].window_start = 5;
  f->offer[0].window_end = 4;
}
static void b_priority(fx_t *f) { f->need.priority = (rt_match_priority_t)3; }

static void test_bad_input(void **state) {
  (void)state;
  static const struct {
    void (*mutate)(fx_t *);
    int rc;
    const char *msg;
  } bad[] = {
      {b_dup, RT_EINVAL, "offer 10: duplicate id"},
      {b_need_mod, RT_EINVAL, "need 1: bad modality"},
      {b_offer_any, RT_EINVAL, "offer 10: bad modality"},
      {b_theme, RT_EINVAL, "offer 10: theme index 7 out of range"},
      {b_no_theme, RT_EINVAL, "need 1: no theme"},
      {b_lang, RT_EINVAL, "need 1: language index 200 out of range"},
      {b_region, RT_EINVAL, "need 1: region index 8 out of range"},
      {b_offer_region, RT_EINVAL, "offer 10: region index 9 out of range"},
      {b_country, RT_EINVAL, "need 1: country is not an alpha-3 code"},
      {b_offer_country, RT_EINVAL, "offer 10: country 0 is not an alpha-3 code"},
      {b_window, RT_EINVAL, "offer 10: window ends before it starts"},
      {b_priority, RT_EINVAL, "need 1: bad priority"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    fx_t f;
    fx_init(&f);
    bad[i].mutate(&f);
    rt_match_instance_t *inst = (rt_match_instance_t *)&f; /* must be reset to NULL */
    char err[200];
    assert_int_equal(fx_build(&f, &inst, err, sizeof(err)), bad[i].rc);
    assert_null(inst);
    assert_string_equal(err, bad[i].msg);
  }
  /* the taxonomy itself */
  uint8_t parents[33] = {0};
  rt_match_input_t in = {.theme_parent = parents, .n_themes = 33};
  rt_match_instance_t *inst;
  assert_int_equal(rt_match_instance_build(&in, &inst, NULL, 0), RT_E2BIG);
  parents[3] = 32;
  in.n_themes = 4;
  assert_int_equal(rt_match_instance_build(&in, &inst, NULL, 0), RT_E2BIG);
  /* indices out of range */
  fx_t f;
  fx_init(&f);
  assert_int_equal(fx_build(&f, &inst, NULL, 0), 0);
  rt_match_reason_t r;
  assert_int_equal(rt_match_feasible(inst, 1, 0, &r), RT_EINVAL);
  assert_int_equal(rt_match_feasible(inst, 0, 1, &r), RT_EINVAL);
  rt_match_instance_free(inst);
}

/* Random instances: the scalar rules and the vectorised kernel agree on every pair. */
static void test_kernel_agrees_with_rules(void **state) {
  (void)state;
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  size_t feasible = 0, total = 0;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    tg_t g;
    tg_opts_t o = {.langs = seed % 4 == 0 ? 100 : 4, .pairs = 8};
    tg_make(&g, seed, 30 + seed, 70 + seed, &o); /* not multiples of the vector width */
    rt_match_instance_t *inst = tg_build(&g);
    int32_t *row = malloc(g.no * sizeof(int32_t));
    for (size_t n = 0; n < g.nn; n++) {
      assert_int_equal(rt_match_score_row(inst, n, &w, row), 0);
      for (size_t of = 0; of < g.no; of++) {
        rt_match_reason_t why;
        assert_int_equal(rt_match_feasible(inst, n, of, &why), 0);
        assert_int_equal(row[of] >= 0, why == RT_MATCH_FEASIBLE);
        rt_match_breakdown_t b;
        assert_int_equal(rt_match_score(inst, n, of, &w, &b), 0);
        if (row[of] >= 0)
          assert_int_equal(row[of], b.score_q);
        feasible += why == RT_MATCH_FEASIBLE;
        total++;
      }
    }
    free(row);
    rt_match_instance_free(inst);
    tg_free(&g);
  }
  assert_true(feasible > total / 50 && feasible < total); /* both kinds are well represented */
}

/* Unmet reasons: the closest misses, the most specific first. */
static void u_win_and_lang(fx_t *f) {
  f->n_offers = 2;
  m_win_apart(f); /* offer 0 fails on the window only */
  f->offer[1].languages = f->ol + 2;
  f->ol[2] = 3; /* offer 1 fails on language only */
}
static void u_lang_vs_two(fx_t *f) {
  f->n_offers = 2;
  f->offer[0].languages = f->ol + 2;
  f->ol[2] = 3; /* offer 0: language only */
  f->offer[1].themes = f->oth + 2;
  f->oth[2] = 3;
  f->offer[1].has_window = true;
  f->offer[1].window_start = 5;
  f->offer[1].window_end = 6;
  f->need.has_window = true;
  f->need.window_start = 10;
  f->need.window_end = 20; /* offer 1: theme and window */
}
static void u_own_offer(fx_t *f) { f->offer[0].participant_id = 100; }
static void u_no_offers(fx_t *f) { f->n_offers = 0; }

static void test_unmet_reasons(void **state) {
  (void)state;
  static const struct {
    void (*mutate)(fx_t *);
    rt_match_reason_t want;
  } unmet[] = {
      {m_need_closed, RT_MATCH_NEED_NOT_OPEN},
      {m_offer_closed, RT_MATCH_NO_OPEN_OFFERS},
      {u_own_offer, RT_MATCH_NO_OPEN_OFFERS},
      {u_no_offers, RT_MATCH_NO_OPEN_OFFERS},
      {m_full, RT_MATCH_NO_CAPACITY},
      {m_declined, RT_MATCH_DECLINED},
      {m_lang, RT_MATCH_NO_LANGUAGE},
      {m_region, RT_MATCH_REGION_EXCLUDED},
      {m_country, RT_MATCH_COUNTRY_EXCLUDED},
      {m_mod_ip_on, RT_MATCH_MODALITY},
      {m_win_apart, RT_MATCH_WINDOW},
      {m_theme_other_parent, RT_MATCH_NO_THEME},
      {u_win_and_lang, RT_MATCH_WINDOW},
      {u_lang_vs_two, RT_MATCH_NO_LANGUAGE},
      {m_none, RT_MATCH_FEASIBLE},
  };
  for (size_t i = 0; i < sizeof(unmet) / sizeof(unmet[0]); i++) {
    fx_t f;
    fx_init(&f);
    unmet[i].mutate(&f);
    rt_match_instance_t *inst;
    assert_int_equal(fx_build(&f, &inst, NULL, 0), 0);
    rt_match_reason_t got;
    assert_int_equal(rt_match_unmet_reason(inst, 0, NULL, 0, &got), 0);
    if (got != unmet[i].want)
      fprintf(stderr, "unmet case %zu: got %s\n", i, rt_match_reason_name(got));
    assert_int_equal(got, unmet[i].want);
    rt_match_instance_free(inst);
  }
  /* with weights: below the minimum score, or outcompeted */
  fx_t f;
  fx_init(&f);
  rt_match_instance_t *inst;
  assert_int_equal(fx_build(&f, &inst, NULL, 0), 0);
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  rt_match_reason_t got;
  assert_int_equal(rt_match_unmet_reason(inst, 0, &w, 0.999, &got), 0);
  assert_int_equal(got, RT_MATCH_BELOW_MIN_SCORE);
  assert_int_equal(rt_match_unmet_reason(inst, 0, &w, 0.1, &got), 0);
  assert_int_equal(got, RT_MATCH_OUTCOMPETED);
  rt_match_instance_free(inst);
  assert_string_equal(rt_match_reason_name(RT_MATCH_NO_LANGUAGE), "no_shared_language");
  assert_string_equal(rt_match_reason_name(RT_MATCH_NO_CAPACITY), "capacity_used_up");
  assert_string_equal(rt_match_reason_name((rt_match_reason_t)99), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rules_table),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_kernel_agrees_with_rules),
      cmocka_unit_test(test_unmet_reasons),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
