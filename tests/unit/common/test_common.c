/* Arena, bounded buffers, log escaping, error strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "roundtable/arena.h"
#include "roundtable/buf.h"
#include "roundtable/error.h"
#include "roundtable/log.h"

static void test_arena_alignment_and_growth(void **state) {
  (void)state;
  rt_arena_t a;
  rt_arena_init(&a, 128);
  for (int i = 0; i < 100; i++) {
    char *p = rt_arena_alloc(&a, (size_t)(i % 7) + 1);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    memset(p, 'x', (size_t)(i % 7) + 1);
  }
  /* a request bigger than a block gets its own block, and the current one stays in use */
  char *small = rt_arena_alloc(&a, 8);
  char *big = rt_arena_alloc(&a, 10000);
  char *small2 = rt_arena_alloc(&a, 8);
  assert_non_null(big);
  memset(big, 0, 10000);
  assert_ptr_equal(small2, small + 16);
  assert_true(a.total >= 10000);
  char *s = rt_arena_printf(&a, "%s-%d", "need", 42);
  assert_string_equal(s, "need-42");
  assert_string_equal(rt_arena_strndup(&a, "abcdef", 3), "abc");
  assert_null(rt_arena_alloc(&a, SIZE_MAX - 4));
  rt_arena_reset(&a);
  assert_int_equal(a.total, 0);
  assert_null(a.head);
}

static void test_buf_cap_and_consume(void **state) {
  (void)state;
  rt_buf_t b;
  rt_buf_init(&b, 10);
  assert_int_equal(rt_buf_puts(&b, "hello"), 0);
  assert_int_equal(rt_buf_printf(&b, "%d", 12345), 0);
  assert_int_equal(b.len, 10);
  assert_string_equal(b.data, "hello12345");
  assert_int_equal(rt_buf_puts(&b, "!"), RT_E2BIG);
  assert_int_equal(b.len, 10); /* a refused append changes nothing */
  rt_buf_consume(&b, 5);
  assert_string_equal(b.data, "12345");
  rt_buf_consume(&b, 99);
  assert_int_equal(b.len, 0);
  rt_buf_free(&b);

  rt_buf_t big;
  rt_buf_init(&big, 0);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(rt_buf_append(&big, "0123456789", 10), 0);
  assert_int_equal(big.len, 10000);
  assert_int_equal(big.data[big.len], '\0');
  rt_buf_free(&big);
}

static void test_log_escape(void **state) {
  (void)state;
  char out[64];
  const char in[] = "GET /x\r\nInjected: 1\x01\"\\";
  rt_log_escape(out, sizeof(out), in, sizeof(in) - 1);
  assert_string_equal(out, "GET /x\\r\\nInjected: 1\\x01\\\"\\\\");
  /* truncation never splits an escape and always terminates */
  char tiny[5];
  rt_log_escape(tiny, sizeof(tiny), "ab\ncd", 5);
  assert_string_equal(tiny, "ab\\n");
  rt_log_level_t level;
  assert_int_equal(rt_log_parse_level("warn", &level), 0);
  assert_int_equal(level, RT_LOG_WARN);
  assert_int_equal(rt_log_parse_level("WARN", &level), RT_EINVAL);
}

static void test_strerror(void **state) {
  (void)state;
  assert_string_equal(rt_strerror(RT_EDB_UNAVAILABLE), "database unavailable");
  assert_string_equal(rt_strerror(0), "success");
  assert_non_null(strstr(rt_strerror(RT_ENOMEM), "memory"));
  assert_string_equal(rt_strerror(-99999), "unknown error");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arena_alignment_and_growth),
      cmocka_unit_test(test_buf_cap_and_consume),
      cmocka_unit_test(test_log_escape),
      cmocka_unit_test(test_strerror),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
