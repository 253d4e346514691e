/* Response pieces: reason phrases, the Date format, the JSON escaper behind problem+json,
 * header validation and the serialised head. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_internal.h"
#include "response.h"

static void test_status_text(void **state) {
  (void)state;
  assert_string_equal(rt_http_status_text(200), "OK");
  assert_string_equal(rt_http_status_text(204), "No Content");
  assert_string_equal(rt_http_status_text(304), "Not Modified");
  assert_string_equal(rt_http_status_text(400), "Bad Request");
  assert_string_equal(rt_http_status_text(404), "Not Found");
  assert_string_equal(rt_http_status_text(405), "Method Not Allowed");
  assert_string_equal(rt_http_status_text(408), "Request Timeout");
  assert_string_equal(rt_http_status_text(413), "Content Too Large");
  assert_string_equal(rt_http_status_text(414), "URI Too Long");
  assert_string_equal(rt_http_status_text(422), "Unprocessable Content");
  assert_string_equal(rt_http_status_text(429), "Too Many Requests");
  assert_string_equal(rt_http_status_text(431), "Request Header Fields Too Large");
  assert_string_equal(rt_http_status_text(503), "Service Unavailable");
  assert_string_equal(rt_http_status_text(299), "Success");
  assert_string_equal(rt_http_status_text(499), "Client Error");
  assert_true(rt__http_status_bodiless(204));
  assert_true(rt__http_status_bodiless(304));
  assert_true(rt__http_status_bodiless(100));
  assert_false(rt__http_status_bodiless(200));
  assert_false(rt__http_status_bodiless(404));
}

static void test_date(void **state) {
  (void)state;
  char d[30];
  rt__http_format_date(784111777, d); /* RFC 9110's example */
  assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
  rt__http_format_date(0, d);
  assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
  rt__http_format_date(1709251199, d);
  assert_string_equal(d, "Thu, 29 Feb 2024 23:59:59 GMT");
  rt__http_format_date(4102444800, d);
  assert_string_equal(d, "Fri, 01 Jan 2100 00:00:00 GMT");
  assert_int_equal(strlen(d), 29);
}

static void expect_escape(const char *in, size_t n, const char *want) {
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt__http_json_escape(&b, in, n), 0);
  assert_string_equal(b.data ? b.data : "", want);
  rt_buf_free(&b);
}

static void test_json_escape(void **state) {
  (void)state;
  expect_escape("plain", 5, "plain");
  expect_escape("", 0, "");
  expect_escape("say \"hi\"", 8, "say \\\"hi\\\"");
  expect_escape("a\\b", 3, "a\\\\b");
  expect_escape("l1\nl2\r\t", 7, "l1\\nl2\\r\\t");
  expect_escape("\x01\x1f\b\f", 4, "\\u0001\\u001f\\b\\f");
  expect_escape("a\0b", 3, "a\\u0000b");
  expect_escape("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 14,
                "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
  /* invalid UTF-8: lone continuation, truncated, overlong, surrogate, > U+10FFFF */
  expect_escape("\x80", 1, "\\ufffd");
  expect_escape("a\xc3", 2, "a\\ufffd");
  expect_escape("\xc0\xaf", 2, "\\ufffd\\ufffd");
  expect_escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");
  expect_escape("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd");
  expect_escape("\x7f", 1, "\x7f");
}

static void test_problem_json(void **state) {
  (void)state;
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt__http_problem_json(&b, 404, "Not Found", "No \"x\" at /a\nb"), 0);
  assert_string_equal(b.data, "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
                              "\"detail\":\"No \\\"x\\\" at /a\\nb\"}");
  rt_buf_clear(&b);
  assert_int_equal(rt__http_problem_json(&b, 405, NULL, NULL), 0);
  assert_string_equal(b.data, "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\","
                              "\"status\":405,\"detail\":\"Method Not Allowed\"}");
  rt_buf_free(&b);
}

static rt__http_req_t *handling_request(void) {
  rt__http_req_t *r = rt__http_req_new();
  assert_non_null(r);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_QUEUED), 0);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_HANDLING), 0);
  strcpy(r->pub.id, "rid-1");
  r->pub.method = RT_HTTP_GET;
  r->pub.method_name = "GET";
  r->keep_alive = 1;
  r->http_minor = 1;
  return r;
}

static void test_add_header_validation(void **state) {
  (void)state;
  rt__http_req_t *r = handling_request();
  assert_int_equal(rt_http_add_header(&r->pub, "Location", "/x"), 0);
  assert_int_equal(rt_http_add_header(&r->pub, "X-Bad", "a\r\nSet-Cookie: x"), RT_EINVAL);
  assert_int_equal(rt_http_add_header(&r->pub, "X-Bad", "a\nb"), RT_EINVAL);
  assert_int_equal(rt_http_add_header(&r->pub, "Bad Name", "v"), RT_EINVAL);
  assert_int_equal(rt_http_add_header(&r->pub, "Bad:Name", "v"), RT_EINVAL);
  assert_int_equal(rt_http_add_header(&r->pub, "", "v"), RT_EINVAL);
  assert_int_equal(rt_http_add_header(&r->pub, "Retry-After", "1"), 0);
  rt__http_req_free(r);
}

#define SECURITY_HEADERS                                                                           \
  "Cache-Control: no-store\r\n"                                                                    \
  "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src "     \
  "'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"                  \
  "X-Content-Type-Options: nosniff\r\n"                                                            \
  "Referrer-Policy: no-referrer\r\n"                                                               \
  "X-Frame-Options: DENY\r\n"

static void test_serialize_head(void **state) {
  (void)state;
  rt__http_req_t *r = handling_request();
  assert_int_equal(rt_http_add_header(&r->pub, "Allow", "GET, HEAD"), 0);
  rt__http_head_info_t info = {0};
  info.status = 405;
  info.date = "Sun, 06 Nov 1994 08:49:37 GMT";
  info.content_type = "application/problem+json";
  info.content_length = 42;
  size_t len = 0;
  char *h = rt__http_serialize_head(r, &info, &len);
  assert_non_null(h);
  const char *want = "HTTP/1.1 405 Method Not Allowed\r\n"
                     "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                     "Content-Type: application/problem+json\r\n"
                     "Content-Length: 42\r\n"
                     "X-Request-Id: rid-1\r\n"
                     "Allow: GET, HEAD\r\n" SECURITY_HEADERS "\r\n";
  assert_int_equal(len, strlen(want));
  assert_memory_equal(h, want, len);

  /* CORS, close, and no length or type for 204/304 */
  info.status = 204;
  info.cors_origin = "https://ui.example";
  info.close = 1;
  h = rt__http_serialize_head(r, &info, &len);
  const char *want2 =
      "HTTP/1.1 204 No Content\r\n"
      "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
      "X-Request-Id: rid-1\r\n"
      "Allow: GET, HEAD\r\n" SECURITY_HEADERS "Access-Control-Allow-Origin: https://ui.example\r\n"
      "Vary: Origin\r\n"
      "Access-Control-Expose-Headers: X-Request-Id, Retry-After, Location\r\n"
      "Connection: close\r\n"
      "\r\n";
  assert_int_equal(len, strlen(want2));
  assert_memory_equal(h, want2, len);

  info.status = 200;
  info.cors_origin = NULL;
  info.close = 0;
  info.keep_alive_http10 = 1;
  info.content_length = 0;
  h = rt__http_serialize_head(r, &info, &len);
  assert_non_null(strstr(h, "Content-Length: 0\r\n"));
  assert_non_null(strstr(h, "Connection: keep-alive\r\n"));
  rt__http_req_free(r);
}

/* A request without a connection is freed by its response (ASan would report a leak). */
static void test_respond_frees(void **state) {
  (void)state;
  rt__http_req_t *r = handling_request();
  rt_http_respond(&r->pub, 200, "text/plain", "hi", 2);
  r = handling_request();
  rt_http_respond_problem(&r->pub, 404, "Not Found", "none");
  r = handling_request();
  rt_http_respond_method_not_allowed(&r->pub, "GET, HEAD");
  r = handling_request();
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_buf_puts(&b, "stolen"), 0);
  rt_http_respond_buf(&r->pub, 200, "text/plain", &b);
  assert_null(b.data);
}

static void test_request_transitions(void **state) {
  (void)state;
  rt__http_req_t *r = rt__http_req_new();
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_HANDLING), RT_EINVAL);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_WRITING), RT_EINVAL);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_QUEUED), 0);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_WRITING), RT_EINVAL);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_HANDLING), 0);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_QUEUED), RT_EINVAL);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_WRITING), 0);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_DONE), 0);
  assert_int_equal(rt__http_req_set_state(r, RT__REQ_PARSING), RT_EINVAL);
  rt__http_req_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_text),           cmocka_unit_test(test_date),
      cmocka_unit_test(test_json_escape),           cmocka_unit_test(test_problem_json),
      cmocka_unit_test(test_add_header_validation), cmocka_unit_test(test_serialize_head),
      cmocka_unit_test(test_respond_frees),         cmocka_unit_test(test_request_transitions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
