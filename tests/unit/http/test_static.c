/* Static path sanitising: percent-decoding, traversal and hidden files refused, and the
 * content types by extension. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http_internal.h"

static void expect_path(const char *in, const char *want, int want_dir) {
  char out[PATH_MAX];
  int dir = -1;
  int rc = rt__http_static_path(in, strlen(in), out, sizeof(out), &dir);
  if (rc != 0)
    fail_msg("refused %s", in);
  assert_string_equal(out, want);
  assert_int_equal(dir, want_dir);
}

static void expect_refused(const char *in, size_t n) {
  char out[PATH_MAX];
  int dir;
  if (rt__http_static_path(in, n, out, sizeof(out), &dir) != RT_ENOENT)
    fail_msg("accepted %.*s", (int)n, in);
}

#define REFUSED(s) expect_refused(s, sizeof(s) - 1)

static void test_accepted(void **state) {
  (void)state;
  expect_path("/", "", 1);
  expect_path("/index.html", "index.html", 0);
  expect_path("/css/app.css", "css/app.css", 0);
  expect_path("/docs/", "docs", 1);
  expect_path("//a///b", "a/b", 0);
  expect_path("/%41%62c", "Abc", 0);
  expect_path("/a%20b.txt", "a b.txt", 0);
  expect_path("/caf%C3%A9.html", "caf\xc3\xa9.html", 0);
  expect_path("/a..b/c...d", "a..b/c...d", 0);
}

static void test_refused(void **state) {
  (void)state;
  REFUSED("/../etc/passwd");
  REFUSED("/a/../../etc/passwd");
  REFUSED("/..");
  REFUSED("/./index.html");
  REFUSED("/%2e%2e/etc/passwd");
  REFUSED("/%2E%2E/etc/passwd");
  REFUSED("/.%2e/etc/passwd");
  REFUSED("/a%2f..%2f..%2fetc%2fpasswd");
  REFUSED("/a%2Fb");
  REFUSED("/a\\..\\b");
  REFUSED("/a%5c..%5cb");
  REFUSED("/a%00.html");
  REFUSED("/a\0b");
  REFUSED("/a%0d%0aSet-Cookie:x");
  REFUSED("/%zz");
  REFUSED("/%4");
  REFUSED("/%");
  REFUSED("/.git/config");
  REFUSED("/.env");
  REFUSED("/a/.hidden");
  REFUSED("index.html");
  REFUSED("");
  REFUSED("*");
  REFUSED("http://x/y");
}

static void test_too_long(void **state) {
  (void)state;
  char in[64];
  char out[8];
  int dir;
  strcpy(in, "/abcdefghij");
  assert_int_equal(rt__http_static_path(in, strlen(in), out, sizeof(out), &dir), RT_ENOENT);
  strcpy(in, "/abc/def");
  assert_int_equal(rt__http_static_path(in, strlen(in), out, sizeof(out), &dir), 0);
  assert_string_equal(out, "abc/def");
}

static void test_content_types(void **state) {
  (void)state;
  assert_string_equal(rt__http_content_type("index.html"), "text/html; charset=utf-8");
  assert_string_equal(rt__http_content_type("/w/app.css"), "text/css; charset=utf-8");
  assert_string_equal(rt__http_content_type("app.js"), "text/javascript; charset=utf-8");
  assert_string_equal(rt__http_content_type("mod.mjs"), "text/javascript; charset=utf-8");
  assert_string_equal(rt__http_content_type("d.json"), "application/json");
  assert_string_equal(rt__http_content_type("i.svg"), "image/svg+xml");
  assert_string_equal(rt__http_content_type("i.PNG"), "image/png");
  assert_string_equal(rt__http_content_type("favicon.ico"), "image/x-icon");
  assert_string_equal(rt__http_content_type("f.woff2"), "font/woff2");
  assert_string_equal(rt__http_content_type("robots.txt"), "text/plain; charset=utf-8");
  assert_string_equal(rt__http_content_type("site.webmanifest"), "application/manifest+json");
  assert_string_equal(rt__http_content_type("blob.bin"), "application/octet-stream");
  assert_string_equal(rt__http_content_type("Makefile"), "application/octet-stream");
  assert_string_equal(rt__http_content_type("/a.d/noext"), "application/octet-stream");
  assert_string_equal(rt__http_content_type(".html"), "application/octet-stream");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepted),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_too_long),
      cmocka_unit_test(test_content_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
