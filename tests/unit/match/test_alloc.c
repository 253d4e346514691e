/* Allocation failure anywhere in building an instance or running an assignment is reported as
 * RT_ENOMEM, leaks nothing (under ASan) and leaves no half-made result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen.h"
#include "match_internal.h"

static void test_build_and_assign_fail_cleanly(void **state) {
  (void)state;
  tg_t g;
  tg_make(&g, 5, 60, 80, NULL);
  rt_match_input_t in = tg_input(&g);
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  long failures = 0;
  for (long k = 0;; k++) {
    rt__match_fail_countdown = k;
    rt_match_instance_t *inst;
    char err[100];
    int rc = rt_match_instance_build(&in, &inst, err, sizeof(err));
    if (rc == RT_ENOMEM) {
      assert_null(inst);
      assert_string_equal(err, "out of memory");
      failures++;
      continue;
    }
    assert_int_equal(rc, 0);
    rt__match_fail_countdown = -1;
    rt_match_instance_free(inst);
    break;
  }
  assert_true(failures > 40);
  rt_match_instance_t *inst = tg_build(&g);
  for (int floor_on = 0; floor_on < 2; floor_on++) { /* without and with the fairness floor */
    rt_match_result_t ok;
    rt_match_assign_opts_t opts = {.candidates = 1, .fairness_floor = floor_on};
    assert_int_equal(rt_match_assign(inst, &w, &opts, &ok), 0);
    failures = 0;
    for (long k = 0;; k++) {
      rt__match_fail_countdown = k;
      rt_match_result_t res;
      int rc = rt_match_assign(inst, &w, &opts, &res);
      rt__match_fail_countdown = -1;
      if (rc == RT_ENOMEM) {
        assert_null(res.proposals);
        rt_match_result_free(&res);
        failures++;
        continue;
      }
      assert_int_equal(rc, 0);
      assert_int_equal(res.stats.total_score_q, ok.stats.total_score_q);
      rt_match_result_free(&res);
      break;
    }
    assert_true(failures > 10);
    rt_match_result_free(&ok);
  }
  rt_match_instance_free(inst);
  tg_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_and_assign_fail_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
