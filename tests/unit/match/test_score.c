/* Scores: known values of every criterion, weights and their validation, monotonicity,
 * determinism (also under shuffled input), and the breakdown adding up to the score. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen.h"
#include "roundtable/match.h"

#define Q RT_MATCH_VALUE_ONE

typedef struct pair_fx_s {
  rt_match_need_t need;
  rt_match_offer_t offer;
  uint8_t nth[3], oth[3], lang[1];
} pair_fx_t;

static void pf_init(pair_fx_t *p) {
  memset(p, 0, sizeof(*p));
  p->need = (rt_match_need_t){.id = 1,
                              .participant_id = 1,
                              .country = "KEN",
                              .title = "a b",
                              .themes = p->nth,
                              .n_themes = 1,
                              .languages = p->lang,
                              .n_languages = 1,
                              .modality = RT_MATCH_ANY,
                              .budget_cents = -1,
                              .priority = RT_MATCH_PRIORITY_HIGH,
                              .max_partners = 1,
                              .open = true};
  p->offer = (rt_match_offer_t){.id = 2,
                                .participant_id = 2,
                                .title = "a b",
                                .themes = p->oth,
                                .n_themes = 1,
                                .languages = p->lang,
                                .n_languages = 1,
                                .modality = RT_MATCH_HYBRID,
                                .funding_cents = -1,
                                .capacity = 1,
                                .open = true};
}

static rt_match_breakdown_t pf_score(pair_fx_t *p, const rt_match_weights_t *w) {
  rt_match_input_t in = {.needs = &p->need,
                         .n_needs = 1,
                         .offers = &p->offer,
                         .n_offers = 1,
                         .theme_parent = tg_parent,
                         .n_themes = TG_THEMES};
  rt_match_instance_t *inst;
  assert_int_equal(rt_match_instance_build(&in, &inst, NULL, 0), 0);
  rt_match_breakdown_t b;
  assert_int_equal(rt_match_score(inst, 0, 0, w, &b), 0);
  rt_match_instance_free(inst);
  return b;
}

static uint32_t value_of(pair_fx_t *p, int criterion) {
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  return pf_score(p, &w).terms[criterion].value_q;
}

static void test_default_weights(void **state) {
  (void)state;
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  static const uint32_t want[RT_MATCH_CRITERIA] = {9830, 4915, 3277, 3277, 3277, 3277, 4915};
  uint32_t sum = 0;
  for (int c = 0; c < RT_MATCH_CRITERIA; c++) {
    assert_int_equal(w.q[c], want[c]);
    sum += w.q[c];
  }
  assert_int_equal(sum, RT_MATCH_WEIGHT_ONE);
  assert_string_equal(rt_match_criterion_name(RT_MATCH_C_THEME), "theme");
  assert_string_equal(rt_match_criterion_name(RT_MATCH_C_FAIRNESS), "fairness");
  assert_null(rt_match_criterion_name(RT_MATCH_CRITERIA));
  assert_true(fabs(rt_match_weight(&w, RT_MATCH_C_THEME) - 0.3) < 1e-4);
}

static void test_weight_overrides(void **state) {
  (void)state;
  rt_match_weights_t w;
  char err[128];
  /* a subset: the rest keep their defaults, then everything is scaled to sum 1 */
  const char *names[] = {"theme"};
  double one[] = {1.0};
  assert_int_equal(rt_match_weights_make(&w, names, one, 1, err, sizeof(err)), 0);
  uint32_t sum = 0;
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    sum += w.q[c];
  assert_int_equal(sum, RT_MATCH_WEIGHT_ONE);
  assert_true(fabs(rt_match_weight(&w, RT_MATCH_C_THEME) - 1.0 / 1.7) < 1e-4);
  assert_true(fabs(rt_match_weight(&w, RT_MATCH_C_TEXT) - 0.15 / 1.7) < 1e-4);
  /* all on one criterion */
  const char *all[RT_MATCH_CRITERIA];
  double vals[RT_MATCH_CRITERIA];
  for (int c = 0; c < RT_MATCH_CRITERIA; c++) {
    all[c] = rt_match_criterion_name(c);
    vals[c] = c == RT_MATCH_C_TEXT ? 2.0 : 0.0;
  }
  assert_int_equal(rt_match_weights_make(&w, all, vals, RT_MATCH_CRITERIA, err, sizeof(err)), 0);
  assert_int_equal(w.q[RT_MATCH_C_TEXT], RT_MATCH_WEIGHT_ONE);
  /* the errors, each named */
  static const struct {
    const char *name[2];
    double v[2];
    size_t n;
    const char *msg;
  } bad[] = {
      {{"colour"}, {0.5}, 1, "unknown criterion 'colour'"},
      {{"theme", "theme"}, {0.5, 0.2}, 2, "criterion 'theme' given twice"},
      {{"window"}, {-0.1}, 1, "weight of 'window' must be a non-negative number"},
      {{"text"}, {NAN}, 1, "weight of 'text' must be a non-negative number"},
      {{"text"}, {INFINITY}, 1, "weight of 'text' must be a non-negative number"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(rt_match_weights_make(&w, bad[i].name, bad[i].v, bad[i].n, err, sizeof(err)),
                     RT_EINVAL);
    assert_string_equal(err, bad[i].msg);
  }
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    vals[c] = 0;
  assert_int_equal(rt_match_weights_make(&w, all, vals, RT_MATCH_CRITERIA, err, sizeof(err)),
                   RT_EINVAL);
  assert_string_equal(err, "all weights are zero");
  /* weights that do not sum to one are refused by every scorer */
  rt_match_weights_default(&w);
  w.q[0] += 1;
  pair_fx_t p;
  pf_init(&p);
  rt_match_input_t in = {.needs = &p.need,
                         .n_needs = 1,
                         .offers = &p.offer,
                         .n_offers = 1,
                         .theme_parent = tg_parent,
                         .n_themes = TG_THEMES};
  rt_match_instance_t *inst;
  assert_int_equal(rt_match_instance_build(&in, &inst, NULL, 0), 0);
  rt_match_breakdown_t b;
  assert_int_equal(rt_match_score(inst, 0, 0, &w, &b), RT_EINVAL);
  rt_match_scan_t sc;
  assert_int_equal(rt_match_scan(inst, &w, &sc), RT_EINVAL);
  rt_match_instance_free(inst);
}

static void test_known_values(void **state) {
  (void)state;
  pair_fx_t p;
  /* theme: need {0, 3}; offer {0, 4}: 0 exact (1), 3 has sibling 4 (1/2): mean 3/4 */
  pf_init(&p);
  p.nth[0] = 0, p.nth[1] = 3, p.need.n_themes = 2;
  p.oth[0] = 0, p.oth[1] = 4, p.offer.n_themes = 2;
  assert_int_equal(value_of(&p, RT_MATCH_C_THEME), Q * 3 / 4);
  p.oth[0] = 1, p.offer.n_themes = 1; /* only a sibling of theme 0: (1/2 + 0) / 2 */
  assert_int_equal(value_of(&p, RT_MATCH_C_THEME), Q / 4);
  p.nth[1] = 0, p.need.n_themes = 1, p.oth[0] = 0; /* exact on the only theme */
  assert_int_equal(value_of(&p, RT_MATCH_C_THEME), Q);
  /* three themes: 1/3 is rounded to the nearest 1/32768 */
  p.nth[0] = 0, p.nth[1] = 3, p.nth[2] = 5, p.need.n_themes = 3;
  assert_int_equal(value_of(&p, RT_MATCH_C_THEME), 10923);

  /* text: the same words -> 1; nothing in common -> 0 (an empty text is like nothing) */
  pf_init(&p);
  p.need.title = "Établissement d'une CSIRT nationale";
  p.offer.title = "etablissement csirt NATIONALE";
  assert_int_equal(value_of(&p, RT_MATCH_C_TEXT), Q);
  p.offer.title = "";
  assert_int_equal(value_of(&p, RT_MATCH_C_TEXT), 0);

  /* window: need 10..19 (10 days), offer 15..30 covers 5 of them */
  pf_init(&p);
  p.need.has_window = true, p.need.window_start = 10, p.need.window_end = 19;
  p.offer.has_window = true, p.offer.window_start = 15, p.offer.window_end = 30;
  assert_int_equal(value_of(&p, RT_MATCH_C_WINDOW), Q / 2);
  p.offer.window_start = 0; /* covers all */
  assert_int_equal(value_of(&p, RT_MATCH_C_WINDOW), Q);
  p.offer.window_start = 19, p.offer.window_end = 19; /* one day of ten */
  assert_int_equal(value_of(&p, RT_MATCH_C_WINDOW), 3277);
  p.offer.has_window = false; /* available throughout */
  assert_int_equal(value_of(&p, RT_MATCH_C_WINDOW), Q);
  p.offer.has_window = true, p.need.has_window = false; /* the need can take any time */
  assert_int_equal(value_of(&p, RT_MATCH_C_WINDOW), Q);

  /* modality: exact 1, compatible 1/2, a need for any modality 1 */
  static const struct {
    rt_match_modality_t n, o;
    uint32_t v;
  } mods[] = {
      {RT_MATCH_IN_PERSON, RT_MATCH_IN_PERSON, Q}, {RT_MATCH_IN_PERSON, RT_MATCH_HYBRID, Q / 2},
      {RT_MATCH_ONLINE, RT_MATCH_ONLINE, Q},       {RT_MATCH_ONLINE, RT_MATCH_HYBRID, Q / 2},
      {RT_MATCH_HYBRID, RT_MATCH_HYBRID, Q},       {RT_MATCH_HYBRID, RT_MATCH_IN_PERSON, Q / 2},
      {RT_MATCH_HYBRID, RT_MATCH_ONLINE, Q / 2},   {RT_MATCH_ANY, RT_MATCH_ONLINE, Q},
      {RT_MATCH_ANY, RT_MATCH_IN_PERSON, Q},       {RT_MATCH_ANY, RT_MATCH_HYBRID, Q},
      {RT_MATCH_IN_PERSON, RT_MATCH_ONLINE, 0}, /* infeasible, still explained */
  };
  for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
    pf_init(&p);
    p.need.modality = mods[i].n;
    p.offer.modality = mods[i].o;
    assert_int_equal(value_of(&p, RT_MATCH_C_MODALITY), mods[i].v);
  }

  /* funding against budget: covered 1, else the share; either missing 1/2 */
  pf_init(&p);
  p.need.budget_cents = 100000;
  p.offer.funding_cents = 25000;
  assert_int_equal(value_of(&p, RT_MATCH_C_FUNDING), Q / 4);
  p.offer.funding_cents = 100000;
  assert_int_equal(value_of(&p, RT_MATCH_C_FUNDING), Q);
  p.offer.funding_cents = 999999999999LL;
  assert_int_equal(value_of(&p, RT_MATCH_C_FUNDING), Q);
  p.offer.funding_cents = 0;
  assert_int_equal(value_of(&p, RT_MATCH_C_FUNDING), 0);
  p.offer.funding_cents = -1;
  assert_int_equal(value_of(&p, RT_MATCH_C_FUNDING), Q / 2);
  p.offer.funding_cents = 5, p.need.budget_cents = -1;
  assert_int_equal(value_of(&p, RT_MATCH_C_FUNDING), Q / 2);
  p.need.budget_cents = 0; /* nothing needed: anything covers it */
  assert_int_equal(value_of(&p, RT_MATCH_C_FUNDING), Q);

  /* priority and fairness: properties of the need */
  pf_init(&p);
  static const uint32_t prio[3] = {Q, 19661, 9830};
  for (int i = 0; i < 3; i++) {
    p.need.priority = (rt_match_priority_t)i;
    assert_int_equal(value_of(&p, RT_MATCH_C_PRIORITY), prio[i]);
  }
  static const uint32_t fair[5] = {Q, Q / 2, 10923, Q / 4, 6554};
  for (uint32_t k = 0; k < 5; k++) {
    p.need.state_partnerships = k;
    assert_int_equal(value_of(&p, RT_MATCH_C_FAIRNESS), fair[k]);
  }
}

/* The breakdown adds up to the score exactly, the score lies in [0, 1], weights sum to 1. */
static void test_breakdown_adds_up(void **state) {
  (void)state;
  tg_rng_t r = {3};
  for (uint64_t seed = 1; seed <= 20; seed++) {
    tg_t g;
    tg_make(&g, seed, 20, 20, NULL);
    rt_match_instance_t *inst = tg_build(&g);
    rt_match_weights_t w;
    const char *names[2] = {rt_match_criterion_name(tg_below(&r, RT_MATCH_CRITERIA)), "fairness"};
    double vals[2] = {tg_below(&r, 10) / 3.0, 0.05};
    if (strcmp(names[0], "fairness") == 0)
      names[0] = "theme";
    assert_int_equal(rt_match_weights_make(&w, names, vals, 2, NULL, 0), 0);
    for (size_t n = 0; n < g.nn; n++)
      for (size_t o = 0; o < g.no; o++) {
        rt_match_breakdown_t b;
        assert_int_equal(rt_match_score(inst, n, o, &w, &b), 0);
        int64_t s = 0;
        double ws = 0, ds = 0;
        for (int c = 0; c < RT_MATCH_CRITERIA; c++) {
          assert_true(b.terms[c].value >= 0 && b.terms[c].value <= 1);
          s += (int64_t)b.terms[c].value_q * b.terms[c].weight_q;
          ws += b.terms[c].weight;
          ds += b.terms[c].value * b.terms[c].weight;
        }
        assert_int_equal(s, b.score_q);
        assert_true(fabs(ws - 1.0) < 1e-12);
        assert_true(fabs(ds - b.score) < 1e-12);
        assert_true(b.score >= 0 && b.score <= 1);
        assert_true(b.score == (double)b.score_q / RT_MATCH_SCORE_ONE);
      }
    rt_match_instance_free(inst);
    tg_free(&g);
  }
}

/* An offer at least as good on every criterion never scores lower, whatever the weights. */
static void test_monotone(void **state) {
  (void)state;
  tg_rng_t r = {11};
  size_t dominated = 0;
  for (uint64_t seed = 1; seed <= 30; seed++) {
    tg_t g;
    tg_make(&g, 100 + seed, 12, 60, NULL);
    rt_match_instance_t *inst = tg_build(&g);
    rt_match_weights_t w;
    const char *names[RT_MATCH_CRITERIA];
    double vals[RT_MATCH_CRITERIA];
    for (int c = 0; c < RT_MATCH_CRITERIA; c++) {
      names[c] = rt_match_criterion_name(c);
      vals[c] = (double)tg_below(&r, 100) + 1;
    }
    assert_int_equal(rt_match_weights_make(&w, names, vals, RT_MATCH_CRITERIA, NULL, 0), 0);
    rt_match_breakdown_t *b = malloc(g.no * sizeof(*b));
    for (size_t n = 0; n < g.nn; n++) {
      for (size_t o = 0; o < g.no; o++)
        assert_int_equal(rt_match_score(inst, n, o, &w, &b[o]), 0);
      for (size_t x = 0; x < g.no; x++)
        for (size_t y = 0; y < g.no; y++) {
          int dom = 1;
          for (int c = 0; c < RT_MATCH_CRITERIA && dom; c++)
            dom = b[x].terms[c].value_q >= b[y].terms[c].value_q;
          if (!dom || x == y)
            continue;
          dominated++;
          assert_true(b[x].score_q >= b[y].score_q);
        }
    }
    free(b);
    rt_match_instance_free(inst);
    tg_free(&g);
  }
  assert_true(dominated > 1000);
}

/* Each criterion grows with what it measures: more funding, more covered days, more themes. */
static void test_criteria_grow(void **state) {
  (void)state;
  pair_fx_t p;
  uint32_t last = 0;
  for (int64_t f = 0; f <= 300000; f += 997) {
    pf_init(&p);
    p.need.budget_cents = 123457;
    p.offer.funding_cents = f;
    uint32_t v = value_of(&p, RT_MATCH_C_FUNDING);
    assert_true(v >= last);
    last = v;
  }
  assert_int_equal(last, Q);
  last = 0;
  for (int32_t end = 100; end <= 500; end += 3) {
    pf_init(&p);
    p.need.has_window = true, p.need.window_start = 100, p.need.window_end = 436;
    p.offer.has_window = true, p.offer.window_start = 50, p.offer.window_end = end;
    uint32_t v = value_of(&p, RT_MATCH_C_WINDOW);
    assert_true(v >= last);
    last = v;
  }
  assert_int_equal(last, Q);
}

/* Same input, same scores; shuffled input, the same score for every (need id, offer id) and the
 * same rankings. */
static void test_deterministic_and_order_free(void **state) {
  (void)state;
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  for (uint64_t seed = 1; seed <= 10; seed++) {
    tg_t g;
    tg_make(&g, 40 + seed, 25, 35, NULL);
    rt_match_instance_t *a = tg_build(&g), *a2 = tg_build(&g);
    size_t nn = g.nn, no = g.no;
    int64_t *nid = malloc(nn * 8), *oid = malloc(no * 8);
    for (size_t i = 0; i < nn; i++)
      nid[i] = g.needs[i].id;
    for (size_t i = 0; i < no; i++)
      oid[i] = g.offers[i].id;
    int32_t *ra = malloc(nn * no * 4), *rb = malloc(nn * no * 4), *rc = malloc(nn * no * 4);
    for (size_t n = 0; n < nn; n++) {
      assert_int_equal(rt_match_score_row(a, n, &w, ra + n * no), 0);
      assert_int_equal(rt_match_score_row(a2, n, &w, rc + n * no), 0);
    }
    assert_memory_equal(ra, rc, nn * no * 4);
    tg_shuffle(&g, seed);
    rt_match_instance_t *b = tg_build(&g);
    for (size_t n = 0; n < nn; n++)
      assert_int_equal(rt_match_score_row(b, n, &w, rb + n * no), 0);
    for (size_t n = 0; n < nn; n++)
      for (size_t o = 0; o < no; o++) {
        /* find the same pair in the shuffled instance */
        size_t n2 = 0, o2 = 0;
        while (g.needs[n2].id != nid[n])
          n2++;
        while (g.offers[o2].id != oid[o])
          o2++;
        assert_int_equal(ra[n * no + o], rb[n2 * no + o2]);
      }
    /* rankings by id too */
    rt_match_hit_t ha[10], hb[10];
    size_t ka, kb;
    for (size_t n = 0; n < nn; n++) {
      size_t n2 = 0;
      while (g.needs[n2].id != nid[n])
        n2++;
      assert_int_equal(rt_match_suggest_offers(a, n, 10, &w, ha, &ka), 0);
      assert_int_equal(rt_match_suggest_offers(b, n2, 10, &w, hb, &kb), 0);
      assert_int_equal(ka, kb);
      for (size_t i = 0; i < ka; i++) {
        assert_int_equal(ha[i].id, hb[i].id);
        assert_int_equal(ha[i].breakdown.score_q, hb[i].breakdown.score_q);
      }
    }
    free(nid);
    free(oid);
    free(ra);
    free(rb);
    free(rc);
    rt_match_instance_free(a);
    rt_match_instance_free(a2);
    rt_match_instance_free(b);
    tg_free(&g);
  }
}

/* The scan's totals equal the sum over the rows. */
static void test_scan_totals(void **state) {
  (void)state;
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  tg_t g;
  tg_make(&g, 9, 333, 517, NULL);
  rt_match_instance_t *inst = tg_build(&g);
  int32_t *row = malloc(g.no * 4);
  uint64_t feasible = 0, open = 0;
  int64_t sum = 0;
  for (size_t n = 0; n < g.nn; n++) {
    open += g.needs[n].open;
    assert_int_equal(rt_match_score_row(inst, n, &w, row), 0);
    for (size_t o = 0; o < g.no; o++)
      if (row[o] >= 0)
        feasible++, sum += row[o];
  }
  rt_match_scan_t sc;
  assert_int_equal(rt_match_scan(inst, &w, &sc), 0);
  assert_int_equal(sc.pairs_scored, open * g.no);
  assert_int_equal(sc.feasible_pairs, feasible);
  assert_int_equal(sc.score_sum_q, sum);
  free(row);
  rt_match_instance_free(inst);
  tg_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_weights),
      cmocka_unit_test(test_weight_overrides),
      cmocka_unit_test(test_known_values),
      cmocka_unit_test(test_breakdown_adds_up),
      cmocka_unit_test(test_monotone),
      cmocka_unit_test(test_criteria_grow),
      cmocka_unit_test(test_deterministic_and_order_free),
      cmocka_unit_test(test_scan_totals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
