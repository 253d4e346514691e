/* Request body decoding against JSONTestSuite (../shared/testdata), byte-exact:
 * every n_* file is refused; every y_* file decodes, except where our stricter rules
 * (duplicate keys, NUL in strings) refuse it on purpose; top-level non-objects are
 * told apart from malformed input. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

#ifndef RT_JSONTESTSUITE_DIR
#error "RT_JSONTESTSUITE_DIR must name ../shared/testdata/jsontestsuite/test_parsing"
#endif

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* y_* files that our stricter rules refuse on purpose. */
static int refused_on_purpose(const char *name) {
  static const char *const list[] = {
      "y_object_duplicated_key.json",
      "y_object_duplicated_key_and_value.json",
      "y_object_escaped_null_in_key.json",
      "y_string_null_escape.json",
  };
  for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
    if (strcmp(name, list[i]) == 0)
      return 1;
  return 0;
}

static void test_jsontestsuite(void **state) {
  (void)state;
  DIR *d = opendir(RT_JSONTESTSUITE_DIR);
  if (!d)
    fail_msg("JSONTestSuite not found at %s: ../shared must sit beside the checkout",
             RT_JSONTESTSUITE_DIR);
  int counted_y = 0, counted_n = 0, counted_i = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || !strstr(e->d_name, ".json"))
      continue;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", RT_JSONTESTSUITE_DIR, e->d_name);
    size_t len;
    char *body = slurp(path, &len);
    json_t *v = NULL;
    char detail[256];
    rt_json_status_t st = rt__json_decode(body, len, &v, detail, sizeof(detail));
    if (e->d_name[0] == 'n') {
      counted_n++;
      if (st == RT_JSON_OK || st == RT_JSON_NOT_OBJECT)
        fail_msg("%s was accepted", e->d_name);
    } else if (e->d_name[0] == 'y') {
      counted_y++;
      if (refused_on_purpose(e->d_name)) {
        if (st != RT_JSON_MALFORMED)
          fail_msg("%s should be refused by our stricter rules", e->d_name);
      } else if (st != RT_JSON_OK && st != RT_JSON_NOT_OBJECT) {
        fail_msg("%s was refused: %s", e->d_name, detail);
      }
    } else {
      counted_i++; /* either way, but never a crash */
    }
    if (st == RT_JSON_OK)
      assert_true(json_is_object(v));
    else
      assert_null(v);
    json_decref(v);
    free(body);
  }
  closedir(d);
  assert_int_equal(counted_y, 95);
  assert_int_equal(counted_n, 188);
  assert_int_equal(counted_i, 35);
}

static void test_depth_limit(void **state) {
  (void)state;
  char deep[512];
  size_t n = 0;
  deep[n++] = '{';
  deep[n++] = '"', deep[n++] = 'a', deep[n++] = '"', deep[n++] = ':';
  for (int i = 0; i < RT_JSON_MAX_DEPTH - 1; i++)
    deep[n++] = '[';
  for (int i = 0; i < RT_JSON_MAX_DEPTH - 1; i++)
    deep[n++] = ']';
  deep[n++] = '}';
  json_t *v = NULL;
  char detail[256];
  assert_int_equal(rt__json_decode(deep, n, &v, detail, sizeof(detail)), RT_JSON_OK);
  json_decref(v);
  /* one more level is refused */
  memmove(deep + 6, deep + 5, n - 5);
  deep[5] = '[';
  n++;
  memmove(deep + n - 1, deep + n - 2, 2);
  deep[n - 2] = ']';
  n++;
  assert_int_equal(rt__json_decode(deep, n, &v, detail, sizeof(detail)), RT_JSON_TOO_DEEP);
  assert_null(v);
}

static void test_messages(void **state) {
  (void)state;
  json_t *v = NULL;
  char detail[256];
  assert_int_equal(rt__json_decode("{\"a\":1,\"a\":2}", 13, &v, detail, sizeof(detail)),
                   RT_JSON_MALFORMED);
  assert_non_null(strstr(detail, "duplicate"));
  assert_int_equal(rt__json_decode("[1]", 3, &v, detail, sizeof(detail)), RT_JSON_NOT_OBJECT);
  assert_int_equal(rt__json_decode("", 0, &v, detail, sizeof(detail)), RT_JSON_MALFORMED);
  assert_int_equal(rt__json_decode(NULL, 0, &v, detail, sizeof(detail)), RT_JSON_MALFORMED);
  const char zh[] = "{\"title\":\"\xe5\x9b\xbd\xe5\xae\xb6\"}";
  assert_int_equal(rt__json_decode(zh, sizeof(zh) - 1, &v, detail, sizeof(detail)), RT_JSON_OK);
  assert_string_equal(json_string_value(json_object_get(v, "title")), "\xe5\x9b\xbd\xe5\xae\xb6");
  json_decref(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jsontestsuite),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
