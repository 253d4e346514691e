/* The pool's pure policy: state table, backoff, SQLSTATE mapping, one-line messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define S(x) RT__DB_##x

static void test_transitions_allowed(void **state) {
  (void)state;
  /* The life of a connection as the pool drives it. */
  static const rt__db_state_t path[][2] = {
      {S(DISCONNECTED), S(CONNECTING)},
      {S(DISCONNECTED), S(RESOLVING)},
      {S(RESOLVING), S(CONNECTING)},
      {S(CONNECTING), S(IDLE)},
      {S(IDLE), S(ACQUIRED)},
      {S(ACQUIRED), S(BUSY)},
      {S(BUSY), S(ACQUIRED)},
      {S(ACQUIRED), S(IDLE)},
      {S(ACQUIRED), S(RESETTING)},
      {S(BUSY), S(RESETTING)},
      {S(RESETTING), S(IDLE)},
      {S(BUSY), S(BROKEN)},
      {S(ACQUIRED), S(BROKEN)},
      {S(BROKEN), S(BACKOFF)},
      {S(IDLE), S(BACKOFF)},
      {S(RESETTING), S(BACKOFF)},
      {S(CONNECTING), S(BACKOFF)},
      {S(RESOLVING), S(BACKOFF)},
      {S(BACKOFF), S(CONNECTING)},
      {S(BACKOFF), S(RESOLVING)},
      {S(IDLE), S(CLOSING)},
      {S(BACKOFF), S(CLOSING)},
      {S(CONNECTING), S(CLOSING)},
      {S(RESOLVING), S(CLOSING)},
      {S(RESETTING), S(CLOSING)},
      {S(BROKEN), S(CLOSING)},
      {S(DISCONNECTED), S(CLOSING)},
      {S(CLOSING), S(CLOSED)},
  };
  for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
    if (!rt__db_transition_ok(path[i][0], path[i][1]))
      fail_msg("%s -> %s should be allowed", rt__db_state_name(path[i][0]),
               rt__db_state_name(path[i][1]));
  }
}

static void test_transitions_refused(void **state) {
  (void)state;
  static const rt__db_state_t bad[][2] = {
      /* A leased connection never goes back to the pool behind the caller's back... */
      {S(ACQUIRED), S(BACKOFF)},
      {S(BUSY), S(BACKOFF)},
      {S(BUSY), S(IDLE)},
      {S(BROKEN), S(IDLE)},
      {S(BROKEN), S(ACQUIRED)},
      /* ...nor is closed under it. */
      {S(ACQUIRED), S(CLOSING)},
      {S(BUSY), S(CLOSING)},
      /* Only an established, idle connection is handed out. */
      {S(CONNECTING), S(ACQUIRED)},
      {S(BACKOFF), S(IDLE)},
      {S(RESETTING), S(ACQUIRED)},
      {S(DISCONNECTED), S(IDLE)},
      /* Closed is final; closing only ends closed. */
      {S(CLOSED), S(CONNECTING)},
      {S(CLOSED), S(IDLE)},
      {S(CLOSING), S(BACKOFF)},
      {S(CLOSING), S(IDLE)},
      /* No self-loops: a state change is a change. */
      {S(IDLE), S(IDLE)},
      {S(BUSY), S(BUSY)},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (rt__db_transition_ok(bad[i][0], bad[i][1]))
      fail_msg("%s -> %s should be refused", rt__db_state_name(bad[i][0]),
               rt__db_state_name(bad[i][1]));
  }
  assert_false(rt__db_transition_ok((rt__db_state_t)-1, S(IDLE)));
  assert_false(rt__db_transition_ok(S(IDLE), RT__DB_STATE_COUNT));
}

static void test_every_state_named_and_gauged(void **state) {
  (void)state;
  for (int s = 0; s < RT__DB_STATE_COUNT; s++) {
    const char *name = rt__db_state_name((rt__db_state_t)s);
    assert_non_null(name);
    assert_string_not_equal(name, "invalid");
    /* Every state but CLOSED can be left. */
    int out = 0;
    for (int t = 0; t < RT__DB_STATE_COUNT; t++)
      out += rt__db_transition_ok((rt__db_state_t)s, (rt__db_state_t)t);
    if (s == S(CLOSED))
      assert_int_equal(out, 0);
    else
      assert_true(out > 0);
  }
  assert_string_equal(rt__db_state_name(RT__DB_STATE_COUNT), "invalid");
  assert_int_equal(rt__db_state_gauge(S(IDLE)), RT__DB_GAUGE_IDLE);
  assert_int_equal(rt__db_state_gauge(S(ACQUIRED)), RT__DB_GAUGE_BUSY);
  assert_int_equal(rt__db_state_gauge(S(BUSY)), RT__DB_GAUGE_BUSY);
  assert_int_equal(rt__db_state_gauge(S(RESETTING)), RT__DB_GAUGE_BUSY);
  assert_int_equal(rt__db_state_gauge(S(CONNECTING)), RT__DB_GAUGE_CONNECTING);
  assert_int_equal(rt__db_state_gauge(S(RESOLVING)), RT__DB_GAUGE_CONNECTING);
  assert_int_equal(rt__db_state_gauge(S(BROKEN)), RT__DB_GAUGE_DOWN);
  assert_int_equal(rt__db_state_gauge(S(BACKOFF)), RT__DB_GAUGE_DOWN);
  assert_int_equal(rt__db_state_gauge(S(DISCONNECTED)), RT__DB_GAUGE_DOWN);
  assert_int_equal(rt__db_state_gauge(S(CLOSING)), RT__DB_GAUGE_NONE);
  assert_int_equal(rt__db_state_gauge(S(CLOSED)), RT__DB_GAUGE_NONE);
}

static void test_backoff_doubles_to_cap(void **state) {
  (void)state;
  /* Without jitter (rnd = 0.5 gives factor 1.0): 100, 200, 400, ... capped at 5000. */
  assert_int_equal(rt__db_backoff_ms(100, 5000, 0, 0.5), 100);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 1, 0.5), 200);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 2, 0.5), 400);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 5, 0.5), 3200);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 6, 0.5), 5000);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 1000, 0.5), 5000);
  /* Huge failure counts and bounds do not overflow. */
  assert_int_equal(rt__db_backoff_ms(1, UINT64_MAX / 2, 4000000000u, 0.5), UINT64_MAX / 2);
}

static void test_backoff_jitter_bounds(void **state) {
  (void)state;
  for (unsigned f = 0; f < 12; f++) {
    for (int i = 0; i <= 10; i++) {
      double r = i / 10.0;
      uint64_t d = rt__db_backoff_ms(100, 5000, f, r);
      assert_true(d >= 100);
      assert_true(d <= 5000);
    }
  }
  /* Jitter is +-20% of the base, clamped to [min, max]. */
  assert_int_equal(rt__db_backoff_ms(100, 5000, 2, 0.0), 320);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 2, 1.0), 480);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 0, 0.0), 100);   /* 80 clamped up */
  assert_int_equal(rt__db_backoff_ms(100, 5000, 10, 1.0), 5000); /* 6000 clamped down */
  /* Bad inputs are tamed rather than trusted. */
  assert_int_equal(rt__db_backoff_ms(0, 0, 0, 0.5), 1);
  assert_int_equal(rt__db_backoff_ms(500, 100, 3, 0.5), 500); /* max below min */
  assert_int_equal(rt__db_backoff_ms(100, 5000, 0, -3.0), 100);
  assert_int_equal(rt__db_backoff_ms(100, 5000, 1, 7.0), 240);
}

static void test_sqlstate_mapping(void **state) {
  (void)state;
  assert_int_equal(rt__db_error_from_sqlstate("40001", 0), RT_EDB_CONFLICT);
  assert_int_equal(rt__db_error_from_sqlstate("40P01", 0), RT_EDB_CONFLICT);
  assert_int_equal(rt__db_error_from_sqlstate("57014", 0), RT_ETIMEDOUT);
  assert_int_equal(rt__db_error_from_sqlstate("08006", 0), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate("08001", 0), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate("57P01", 0), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate("57P02", 0), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate("57P03", 0), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate("53300", 0), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate("42601", 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate("23505", 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate("22012", 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate("40002", 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate("57000", 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate(NULL, 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate("", 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate("4000", 0), RT_EDB_QUERY);
  assert_int_equal(rt__db_error_from_sqlstate("400011", 0), RT_EDB_QUERY);
  /* A connection that is gone wins over whatever the last message said. */
  assert_int_equal(rt__db_error_from_sqlstate("42601", 1), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate(NULL, 1), RT_EDB_UNAVAILABLE);
  assert_int_equal(rt__db_error_from_sqlstate("40001", 1), RT_EDB_UNAVAILABLE);
}

static void test_one_line(void **state) {
  (void)state;
  char out[64];
  rt__db_one_line(out, sizeof(out),
                  "connection to server failed: Connection refused\n\tIs the server running?\n");
  assert_string_equal(out, "connection to server failed: Connection refused Is the server r");
  rt__db_one_line(out, sizeof(out), "a\r\n\r\nb  c \n");
  assert_string_equal(out, "a b c");
  rt__db_one_line(out, sizeof(out), "\n\n");
  assert_string_equal(out, "");
  rt__db_one_line(out, sizeof(out), NULL);
  assert_string_equal(out, "");
  char tiny[4];
  rt__db_one_line(tiny, sizeof(tiny), "abcdef");
  assert_string_equal(tiny, "abc");
  rt__db_one_line(tiny, sizeof(tiny), "ab\ncd");
  assert_string_equal(tiny, "ab");
  rt__db_one_line(tiny, 0, "x"); /* must not write */
  /* UTF-8 passes through untouched. */
  rt__db_one_line(out, sizeof(out), "关系 \"需求\" 不存在\n");
  assert_string_equal(out, "关系 \"需求\" 不存在");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_transitions_allowed),
      cmocka_unit_test(test_transitions_refused),
      cmocka_unit_test(test_every_state_named_and_gauged),
      cmocka_unit_test(test_backoff_doubles_to_cap),
      cmocka_unit_test(test_backoff_jitter_bounds),
      cmocka_unit_test(test_sqlstate_mapping),
      cmocka_unit_test(test_one_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
