/* The CSV reader: quoting, line ends, errors with line numbers, Unicode kept as sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

static int read_all(const char *text, char out[][8][64], int *nfields, char *err) {
  rt_arena_t arena;
  rt_arena_init(&arena, 0);
  rt_csv_t csv;
  rt__csv_init(&csv, text, strlen(text));
  int records = 0, n;
  char *fields[8];
  while ((n = rt__csv_next(&csv, &arena, fields, 8, err, 128)) > 0) {
    nfields[records] = n;
    for (int i = 0; i < n; i++)
      snprintf(out[records][i], 64, "%s", fields[i]);
    records++;
  }
  rt_arena_reset(&arena);
  return n < 0 ? -1 : records;
}

static void test_plain_and_quoted(void **state) {
  (void)state;
  char out[4][8][64];
  int nf[4];
  char err[128];
  const char *text = "title,themes,budget\r\n"
                     "\"CSIRT, national\",incident.csirt_establishment;cbm.poc_directory,1000\r\n"
                     "\"He said \"\"yes\"\"\",,\n"
                     "\xe5\x9b\xbd\xe5\xae\xb6,\"multi\nline\",3";
  assert_int_equal(read_all(text, out, nf, err), 4);
  assert_int_equal(nf[0], 3);
  assert_string_equal(out[1][0], "CSIRT, national");
  assert_string_equal(out[1][1], "incident.csirt_establishment;cbm.poc_directory");
  assert_string_equal(out[2][0], "He said \"yes\"");
  assert_string_equal(out[2][1], "");
  assert_string_equal(out[2][2], "");
  assert_int_equal(nf[2], 3);
  assert_string_equal(out[3][0], "\xe5\x9b\xbd\xe5\xae\xb6");
  assert_string_equal(out[3][1], "multi\nline");
}

static void test_bom_and_trailing_newline(void **state) {
  (void)state;
  char out[4][8][64];
  int nf[4];
  char err[128];
  assert_int_equal(read_all("\xEF\xBB\xBF"
                            "a,b\n1,2\n",
                            out, nf, err),
                   2);
  assert_string_equal(out[0][0], "a");
}

static void test_errors(void **state) {
  (void)state;
  char out[4][8][64];
  int nf[4];
  char err[128];
  assert_int_equal(read_all("a,b\n\"open,2\n", out, nf, err), -1);
  assert_non_null(strstr(err, "line 2"));
  assert_non_null(strstr(err, "not closed"));
  assert_int_equal(read_all("a,b\nx\"y,2\n", out, nf, err), -1);
  assert_non_null(strstr(err, "quote inside"));
  assert_int_equal(read_all("a,b\n\"x\"y,2\n", out, nf, err), -1);
  assert_non_null(strstr(err, "after a closing quote"));
  assert_int_equal(read_all("a,b\r2,3\n", out, nf, err), -1);
  assert_int_equal(read_all("1,2,3,4,5,6,7,8,9\n", out, nf, err), -1);
  assert_non_null(strstr(err, "more than 8"));
  const char nul[] = {'a', ',', '\0', 'b', '\n', 0};
  rt_arena_t arena;
  rt_arena_init(&arena, 0);
  rt_csv_t csv;
  rt__csv_init(&csv, nul, 5);
  char *fields[8];
  assert_int_equal(rt__csv_next(&csv, &arena, fields, 8, err, sizeof(err)), -1);
  rt_arena_reset(&arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_and_quoted),
      cmocka_unit_test(test_bom_and_trailing_newline),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
