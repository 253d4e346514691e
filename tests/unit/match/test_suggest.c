/* Suggestions equal a brute-force scan and sort (score descending, id ascending) on random
 * instances, in both directions and for every k; ties are broken by id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen.h"
#include "roundtable/match.h"

typedef struct ranked_s {
  size_t index;
  int64_t id;
  int32_t score;
} ranked_t;

static int cmp_ranked(const void *a, const void *b) {
  const ranked_t *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void check_hits(const ranked_t *want, size_t nwant, const rt_match_hit_t *got, size_t ngot,
                       size_t k) {
  assert_int_equal(ngot, nwant < k ? nwant : k);
  for (size_t i = 0; i < ngot; i++) {
    assert_int_equal(got[i].index, want[i].index);
    assert_int_equal(got[i].id, want[i].id);
    assert_int_equal(got[i].breakdown.score_q, want[i].score);
    assert_int_equal(got[i].breakdown.feasibility, RT_MATCH_FEASIBLE);
  }
}

static void test_against_brute_force(void **state) {
  (void)state;
  static const size_t ks[] = {1, 2, 5, 17, 1000};
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  size_t nonempty = 0;
  for (uint64_t seed = 1; seed <= 25; seed++) {
    tg_t g;
    tg_opts_t o = {.langs = seed % 5 == 0 ? 70 : 3, .pairs = 10};
    tg_make(&g, 300 + seed, 40 + seed * 3, 90 + seed * 5, &o);
    rt_match_instance_t *inst = tg_build(&g);
    size_t nn = g.nn, no = g.no;
    int32_t *m = malloc(nn * no * sizeof(int32_t));
    for (size_t n = 0; n < nn; n++)
      assert_int_equal(rt_match_score_row(inst, n, &w, m + n * no), 0);
    ranked_t *want = malloc((nn > no ? nn : no) * sizeof(ranked_t));
    rt_match_hit_t *got = malloc(1000 * sizeof(rt_match_hit_t));
    for (size_t n = 0; n < nn; n++) {
      size_t nw = 0;
      for (size_t o2 = 0; o2 < no; o2++)
        if (m[n * no + o2] >= 0)
          want[nw++] = (ranked_t){o2, g.offers[o2].id, m[n * no + o2]};
      qsort(want, nw, sizeof(ranked_t), cmp_ranked);
      nonempty += nw > 0;
      for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        size_t ng;
        assert_int_equal(rt_match_suggest_offers(inst, n, ks[i], &w, got, &ng), 0);
        check_hits(want, nw, got, ng, ks[i]);
      }
    }
    for (size_t o2 = 0; o2 < no; o2++) {
      size_t nw = 0;
      for (size_t n = 0; n < nn; n++)
        if (m[n * no + o2] >= 0)
          want[nw++] = (ranked_t){n, g.needs[n].id, m[n * no + o2]};
      qsort(want, nw, sizeof(ranked_t), cmp_ranked);
      for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        size_t ng;
        assert_int_equal(rt_match_suggest_needs(inst, o2, ks[i], &w, got, &ng), 0);
        check_hits(want, nw, got, ng, ks[i]);
      }
    }
    free(m);
    free(want);
    free(got);
    rt_match_instance_free(inst);
    tg_free(&g);
  }
  assert_true(nonempty > 100);
}

/* Identical offers score the same: they come in id order, whatever the input order. */
static void test_ties_by_id(void **state) {
  (void)state;
  static const uint8_t th[] = {0}, lang[] = {0};
  rt_match_need_t need = tg_need(1, 1, th, 1, lang, 1);
  rt_match_offer_t offers[6];
  static const int64_t ids[6] = {50, 7, 31, 8, 1000, 2};
  for (int i = 0; i < 6; i++) {
    offers[i] = tg_offer(ids[i], th, lang);
    offers[i].participant_id = 9;
    offers[i].title = "same";
  }
  rt_match_input_t in = {.needs = &need,
                         .n_needs = 1,
                         .offers = offers,
                         .n_offers = 6,
                         .theme_parent = tg_parent,
                         .n_themes = TG_THEMES};
  rt_match_instance_t *inst;
  assert_int_equal(rt_match_instance_build(&in, &inst, NULL, 0), 0);
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  rt_match_hit_t hits[6];
  size_t n;
  assert_int_equal(rt_match_suggest_offers(inst, 0, 4, &w, hits, &n), 0);
  assert_int_equal(n, 4);
  static const int64_t want[4] = {2, 7, 8, 31};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(hits[i].id, want[i]);
    assert_int_equal(offers[hits[i].index].id, want[i]);
    assert_int_equal(hits[i].breakdown.score_q, hits[0].breakdown.score_q);
  }
  assert_int_equal(rt_match_suggest_offers(inst, 0, 0, &w, hits, &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(rt_match_suggest_offers(inst, 1, 3, &w, hits, &n), RT_EINVAL);
  rt_match_instance_free(inst);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_brute_force),
      cmocka_unit_test(test_ties_by_id),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
