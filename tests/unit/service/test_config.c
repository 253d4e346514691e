/* The configuration table: defaults, environment, flags, bounds and error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static int load(rt_config_t *cfg, unsigned cmd, char **argv, int argc, char *err) {
  return rt_config_load(cfg, cmd, argc, argv, err, 256);
}

static void test_defaults(void **state) {
  (void)state;
  unsetenv("ROUNDTABLE_LISTEN");
  unsetenv("ROUNDTABLE_DB");
  rt_config_t cfg;
  char err[256];
  assert_int_equal(load(&cfg, RT_CMD_SERVE, NULL, 0, err), 0);
  assert_string_equal(cfg.http.host, "127.0.0.1");
  assert_int_equal(cfg.http.port, 8080);
  assert_null(cfg.db.conninfo);
  assert_int_equal(cfg.http.max_header_bytes, 16 * 1024);
  assert_int_equal(cfg.http.max_uri_bytes, 8 * 1024);
  assert_int_equal(cfg.http.max_body_bytes, 1024 * 1024);
  assert_int_equal(cfg.http.max_header_fields, 100);
  assert_int_equal(cfg.http.header_timeout_ms, 10000);
  assert_int_equal(cfg.db.reconnect_min_ms, 100);
  assert_int_equal(cfg.log_level, RT_LOG_INFO);
}

static void test_flags_override_env(void **state) {
  (void)state;
  setenv("ROUNDTABLE_LISTEN", "0.0.0.0:9000", 1);
  setenv("ROUNDTABLE_DB", "dbname=env", 1);
  rt_config_t cfg;
  char err[256];
  assert_int_equal(load(&cfg, RT_CMD_SERVE, NULL, 0, err), 0);
  assert_string_equal(cfg.http.host, "0.0.0.0");
  assert_int_equal(cfg.http.port, 9000);
  assert_string_equal(cfg.db.conninfo, "dbname=env");

  char *argv[] = {"--listen",         "[::1]:8443",  "--db=dbname=flag",
                  "--max-body-bytes", "2M",          "--idle-timeout",
                  "1500ms",           "--log-level", "debug"};
  assert_int_equal(load(&cfg, RT_CMD_SERVE, argv, 9, err), 0);
  assert_string_equal(cfg.http.host, "::1");
  assert_int_equal(cfg.http.port, 8443);
  assert_string_equal(cfg.db.conninfo, "dbname=flag");
  assert_int_equal(cfg.http.max_body_bytes, 2 * 1024 * 1024);
  assert_int_equal(cfg.http.idle_timeout_ms, 1500);
  assert_int_equal(cfg.log_level, RT_LOG_DEBUG);
  unsetenv("ROUNDTABLE_LISTEN");
  unsetenv("ROUNDTABLE_DB");
}

static void test_durations_and_sizes(void **state) {
  (void)state;
  rt_config_t cfg;
  char err[256];
  char *argv[] = {"--header-timeout", "2s", "--body-timeout", "250", "--max-uri-bytes", "4K"};
  assert_int_equal(load(&cfg, RT_CMD_SERVE, argv, 6, err), 0);
  assert_int_equal(cfg.http.header_timeout_ms, 2000);
  assert_int_equal(cfg.http.body_timeout_ms, 250);
  assert_int_equal(cfg.http.max_uri_bytes, 4096);
}

static void expect_error(unsigned cmd, char **argv, int argc, const char *fragment) {
  rt_config_t cfg;
  char err[256] = "";
  assert_int_equal(load(&cfg, cmd, argv, argc, err), RT_ECONFIG);
  if (!strstr(err, fragment))
    fail_msg("error \"%s\" does not mention \"%s\"", err, fragment);
  assert_null(strchr(err, '\n'));
}

static void test_errors(void **state) {
  (void)state;
  char *a1[] = {"--listen", "localhost"};
  expect_error(RT_CMD_SERVE, a1, 2, "--listen: expected HOST:PORT");
  char *a2[] = {"--listen", "127.0.0.1:70000"};
  expect_error(RT_CMD_SERVE, a2, 2, "--listen");
  char *a3[] = {"--threads", "-1"};
  expect_error(RT_CMD_SERVE, a3, 2, "--threads: expected a whole number");
  char *a4[] = {"--threads", "1000"};
  expect_error(RT_CMD_SERVE, a4, 2, "--threads: out of range (0..256)");
  char *a5[] = {"--max-body-bytes", "12X"};
  expect_error(RT_CMD_SERVE, a5, 2, "--max-body-bytes: expected a size");
  char *a6[] = {"--nope", "1"};
  expect_error(RT_CMD_SERVE, a6, 2, "unknown option \"--nope\"");
  char *a7[] = {"--db"};
  expect_error(RT_CMD_SERVE, a7, 1, "option --db needs a value");
  char *a8[] = {"stray"};
  expect_error(RT_CMD_SERVE, a8, 1, "unexpected argument \"stray\"");
  /* serve-only options are unknown to migrate */
  char *a9[] = {"--threads", "2"};
  expect_error(RT_CMD_MIGRATE, a9, 2, "unknown option \"--threads\"");
  char *a10[] = {"--log-level", "loud"};
  expect_error(RT_CMD_SERVE, a10, 2, "--log-level: expected error, warn, info or debug");
  char *a11[] = {"--header-timeout", "99999999999999999999"};
  expect_error(RT_CMD_SERVE, a11, 2, "--header-timeout");
}

static void test_env_errors_name_the_variable(void **state) {
  (void)state;
  setenv("ROUNDTABLE_THREADS", "many", 1);
  expect_error(RT_CMD_SERVE, NULL, 0, "ROUNDTABLE_THREADS: expected a whole number");
  /* a command that does not take the option ignores its variable */
  rt_config_t cfg;
  char err[256];
  assert_int_equal(load(&cfg, RT_CMD_MIGRATE, NULL, 0, err), 0);
  unsetenv("ROUNDTABLE_THREADS");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_flags_override_env),
      cmocka_unit_test(test_durations_and_sizes),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_env_errors_name_the_variable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
