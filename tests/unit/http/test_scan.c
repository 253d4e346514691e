/* The strict framing scanner: every refusal RFC 9112 asks for that llhttp 8.1.0 does not
 * make, the limits with their status codes, and message boundaries, fed whole and one
 * byte at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan.h"

static const rt__http_limits_t limits = {
    .max_header_bytes = 16384,
    .max_header_fields = 100,
    .max_uri_bytes = 8192,
    .max_body_bytes = 1024 * 1024,
    .max_chunk_ext_bytes = 4096,
};

typedef struct result {
  int messages; /* RT__SCAN_END events */
  int heads;    /* RT__SCAN_HEAD events */
  int status;   /* 0, or the error status */
  const char *reason;
  size_t error_at; /* total bytes consumed when the error was reported */
} result_t;

/* Feeds data in pieces of step bytes (0: all at once). */
static result_t scan_with(const rt__http_limits_t *lim, const char *data, size_t len, size_t step) {
  rt__http_scan_t s;
  rt__http_scan_init(&s, lim);
  result_t r = {0};
  size_t off = 0;
  while (off < len) {
    size_t piece = step ? step : len - off;
    if (piece > len - off)
      piece = len - off;
    size_t done = 0;
    while (done < piece) {
      size_t n = 0;
      int ev = rt__http_scan(&s, data + off + done, piece - done, &n);
      done += n;
      if (ev & RT__SCAN_HEAD)
        r.heads++;
      if (ev & RT__SCAN_END)
        r.messages++;
      if (ev & RT__SCAN_ERROR) {
        r.status = s.status;
        r.reason = s.reason;
        r.error_at = off + done;
        return r;
      }
    }
    off += piece;
  }
  return r;
}

/* Same outcome whole, byte by byte and in 7-byte pieces. */
static result_t scan_all(const char *data) {
  size_t len = strlen(data);
  result_t whole = scan_with(&limits, data, len, 0);
  result_t bytes = scan_with(&limits, data, len, 1);
  result_t sevens = scan_with(&limits, data, len, 7);
  assert_int_equal(whole.messages, bytes.messages);
  assert_int_equal(whole.status, bytes.status);
  assert_int_equal(whole.messages, sevens.messages);
  assert_int_equal(whole.status, sevens.status);
  return whole;
}

static void expect_ok(const char *data, int messages) {
  result_t r = scan_all(data);
  if (r.status)
    fail_msg("refused (%d %s): %s", r.status, r.reason, data);
  assert_int_equal(r.messages, messages);
}

static void expect_status(const char *data, int status) {
  result_t r = scan_all(data);
  if (r.status != status)
    fail_msg("expected %d, got %d (%s) for: %s", status, r.status, r.reason ? r.reason : "-", data);
}

static void test_simple_requests(void **state) {
  (void)state;
  expect_ok("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  expect_ok("GET /a?b=c HTTP/1.0\r\n\r\n", 1);
  expect_ok("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  expect_ok("GET http://x/y HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  /* RFC 9112 2.2: empty lines before a request line are ignored */
  expect_ok("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 1);
  /* field values: obs-text, tabs, empty */
  expect_ok("GET / HTTP/1.1\r\nX-A: caf\xc3\xa9\r\nX-B:\tx\t\r\nX-C:\r\n\r\n", 1);
}

static void test_pipelined_and_bodies(void **state) {
  (void)state;
  expect_ok("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
            "HEAD /3 HTTP/1.1\r\nHost: x\r\n\r\n",
            3);
  /* a body that looks like a request is body, not a request */
  expect_ok("POST / HTTP/1.1\r\nContent-Length: 27\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"
            "GET / HTTP/1.1\r\n\r\n",
            2);
  expect_ok("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\n\r\n", 2);
  expect_ok("POST / HTTP/1.1\r\nContent-Length:  5 \r\n\r\nhelloGET / HTTP/1.1\r\n\r\n", 2);
  expect_ok("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6;name=value;x=\"q\"\r\n world\r\n0\r\n\r\n"
            "GET / HTTP/1.1\r\n\r\n",
            2);
  expect_ok("POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n"
            "A\r\n0123456789\r\n0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n",
            1);
  expect_ok("POST / HTTP/1.1\r\nTransfer-Encoding:chunked\r\n\r\n000\r\n\r\n", 1);
}

static void test_head_event_before_body(void **state) {
  (void)state;
  const char *req = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  rt__http_scan_t s;
  rt__http_scan_init(&s, &limits);
  size_t n = 0;
  int ev = rt__http_scan(&s, req, strlen(req), &n);
  assert_int_equal(ev, RT__SCAN_HEAD);
  assert_int_equal(n, strlen(req) - 3);
  assert_int_equal(s.framing, RT__FRAMING_LENGTH);
  assert_int_equal(s.content_length, 3);
  size_t m = 0;
  ev = rt__http_scan(&s, req + n, 3, &m);
  assert_int_equal(ev, RT__SCAN_END);
  assert_int_equal(m, 3);
  assert_true(rt__http_scan_idle(&s));
}

static void test_bare_lf(void **state) {
  (void)state;
  expect_status("GET / HTTP/1.1\nHost: x\r\n\r\n", 400);     /* request line */
  expect_status("GET / HTTP/1.1\r\nHost: x\n\r\n", 400);     /* field line */
  expect_status("GET / HTTP/1.1\r\nHost: x\r\n\n", 400);     /* end of head */
  expect_status("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400); /* leading empty line */
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
                400); /* chunk size line */
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
                400); /* chunk data terminator */
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n", 400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\nhello\r\n0\r\n\r\n",
                400); /* chunk extension */
}

static void test_lone_cr(void **state) {
  (void)state;
  expect_status("GET / HTTP/1.1\rHost: x\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nHost: x\r\n\rX", 400);
  expect_status("\rGET / HTTP/1.1\r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n", 400);
}

static void test_obs_fold_and_field_syntax(void **state) {
  (void)state;
  expect_status("GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello", 400);
  expect_status("GET / HTTP/1.1\r\nX(A): x\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\n: x\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400);
}

static void test_control_bytes_in_values(void **state) {
  (void)state;
  static const char nul[] = "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n";
  result_t r = scan_with(&limits, nul, sizeof(nul) - 1, 0);
  assert_int_equal(r.status, 400);
  expect_status("GET / HTTP/1.1\r\nX-A: a\x01"
                "b\r\n\r\n",
                400);
  expect_status("GET / HTTP/1.1\r\nX-A: a\x1b[31m\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n", 400);
  /* control bytes in the target too */
  expect_status("GET /a\x01 HTTP/1.1\r\n\r\n", 400);
  expect_status("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", 400);
}

static void test_versions(void **state) {
  (void)state;
  expect_status("GET / HTTP/1.2\r\n\r\n", 400);
  expect_status("GET / HTTP/2.0\r\n\r\n", 400);
  expect_status("GET / HTTP/0.9\r\n\r\n", 400);
  expect_status("GET / HTTP/1.10\r\n\r\n", 400);
  expect_status("GET / http/1.1\r\n\r\n", 400);
  expect_status("GET /\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1 \r\n\r\n", 400);
  expect_status("GET  / HTTP/1.1\r\n\r\n", 400);
  expect_status(" GET / HTTP/1.1\r\n\r\n", 400);
  expect_status("GET / HTTP/1.1\r\n\r\n", 0);
}

static void test_content_length_rules(void **state) {
  (void)state;
  expect_status("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello!", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\nhello", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                "0\r\n\r\n",
                400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                "0\r\n\r\n",
                400);
}

static void test_transfer_encoding_rules(void **state) {
  (void)state;
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
                "\r\n\r\n0\r\n\r\n",
                400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 400);
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400);
  expect_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  expect_status("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
}

static void test_chunk_sizes(void **state) {
  (void)state;
  const char *pre = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const char *bad[] = {
      "zz\r\n",
      "\r\n",
      " 5\r\nhello\r\n0\r\n\r\n",
      "5 \r\nhello\r\n0\r\n\r\n",
      "-5\r\nhello\r\n0\r\n\r\n",
      "0x5\r\nhello\r\n0\r\n\r\n",
      "11111111111111111\r\n",           /* 17 hex digits */
      "5\r\nhelloX\r\n0\r\n\r\n",        /* more data than the size */
      "5\r\nhell\r\n0\r\n\r\n",          /* less */
      "5;a\x01=b\r\nhello\r\n0\r\n\r\n", /* control byte in an extension */
  };
  char buf[512];
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(buf, sizeof(buf), "%s%s", pre, bad[i]);
    expect_status(buf, 400);
  }
}

static void test_chunk_extension_limit(void **state) {
  (void)state;
  /* Many small chunks whose extensions add up past 4 KiB. */
  size_t cap = 64 * 1024;
  char *buf = malloc(cap);
  assert_non_null(buf);
  size_t n = (size_t)snprintf(buf, cap, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 100; i++)
    n += (size_t)snprintf(buf + n, cap - n, "1;ext=%040d\r\nx\r\n", i);
  n += (size_t)snprintf(buf + n, cap - n, "0\r\n\r\n");
  expect_status(buf, 400);
  result_t r = scan_with(&limits, buf, n, 0);
  assert_string_equal(r.reason, "Chunk extensions are longer than the limit.");
  /* under the limit it passes */
  n = (size_t)snprintf(buf, cap, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 50; i++)
    n += (size_t)snprintf(buf + n, cap - n, "1;ext=%040d\r\nx\r\n", i);
  n += (size_t)snprintf(buf + n, cap - n, "0\r\n\r\n");
  expect_ok(buf, 1);
  free(buf);
}

static char *repeat_request(const char *pre, char fill, size_t count, const char *post) {
  size_t n = strlen(pre) + count + strlen(post) + 1;
  char *s = malloc(n);
  assert_non_null(s);
  strcpy(s, pre);
  memset(s + strlen(pre), fill, count);
  strcpy(s + strlen(pre) + count, post);
  return s;
}

static void test_limits(void **state) {
  (void)state;
  /* URI: 8192 is fine, 8193 is 414 */
  char *s = repeat_request("GET /", 'a', 8191, " HTTP/1.1\r\n\r\n");
  expect_status(s, 0);
  free(s);
  s = repeat_request("GET /", 'a', 8192, " HTTP/1.1\r\n\r\n");
  expect_status(s, 414);
  free(s);
  /* header bytes */
  s = repeat_request("GET / HTTP/1.1\r\nX-Big: ", 'b', 16384, "\r\n\r\n");
  expect_status(s, 431);
  free(s);
  s = repeat_request("GET / HTTP/1.1\r\nX-Big: ", 'b', 16000, "\r\n\r\n");
  expect_status(s, 0);
  free(s);
  /* field count: 100 fine, 101 is 431 */
  char buf[8192];
  size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
  for (int i = 0; i < 100; i++)
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: v\r\n", i);
  snprintf(buf + n, sizeof(buf) - n, "\r\n");
  expect_status(buf, 0);
  snprintf(buf + n, sizeof(buf) - n, "X-Last: v\r\n\r\n");
  expect_status(buf, 431);
  /* body: 413 as soon as Content-Length is read, before any body byte */
  const char *big = "POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n";
  result_t r = scan_with(&limits, big, strlen(big), 0);
  assert_int_equal(r.status, 413);
  assert_int_equal(r.error_at, strlen(big));
  expect_status("POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n", 0);
  /* chunked: 413 when the running total passes the limit */
  expect_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", 413);
  rt__http_limits_t small = limits;
  small.max_body_bytes = 10;
  const char *chunks = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\n5\r\nworld\r\n1\r\n!\r\n0\r\n\r\n";
  r = scan_with(&small, chunks, strlen(chunks), 0);
  assert_int_equal(r.status, 413);
  /* trailers have their own field count */
  n = (size_t)snprintf(buf, sizeof(buf),
                       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
  for (int i = 0; i < 101; i++)
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "T-%d: v\r\n", i);
  snprintf(buf + n, sizeof(buf) - n, "\r\n");
  expect_status(buf, 431);
}

static void test_error_is_sticky(void **state) {
  (void)state;
  rt__http_scan_t s;
  rt__http_scan_init(&s, &limits);
  size_t n;
  assert_int_equal(rt__http_scan(&s, "GET / HTTP/1.1\n", 15, &n), RT__SCAN_ERROR);
  assert_int_equal(rt__http_scan(&s, "GET / HTTP/1.1\r\n\r\n", 18, &n), RT__SCAN_ERROR);
  assert_int_equal(n, 0);
  assert_int_equal(s.status, 400);
  assert_string_equal(s.reason, "Bare LF line ending.");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_simple_requests),
      cmocka_unit_test(test_pipelined_and_bodies),
      cmocka_unit_test(test_head_event_before_body),
      cmocka_unit_test(test_bare_lf),
      cmocka_unit_test(test_lone_cr),
      cmocka_unit_test(test_obs_fold_and_field_syntax),
      cmocka_unit_test(test_control_bytes_in_values),
      cmocka_unit_test(test_versions),
      cmocka_unit_test(test_content_length_rules),
      cmocka_unit_test(test_transfer_encoding_rules),
      cmocka_unit_test(test_chunk_sizes),
      cmocka_unit_test(test_chunk_extension_limit),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_error_is_sticky),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
