/* The request parser (scanner + llhttp) driven with bytes: requests come out whole and in
 * order however the bytes are split, bodies are decoded, and refusals carry the status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parser.h"

static const rt__http_limits_t limits = {
    .max_header_bytes = 16384,
    .max_header_fields = 100,
    .max_uri_bytes = 8192,
    .max_body_bytes = 1024 * 1024,
    .max_chunk_ext_bytes = 4096,
};

#define MAX_REQS 16

typedef struct parsed {
  rt__http_req_t *reqs[MAX_REQS];
  int n;
  int heads; /* RT__SCAN_HEAD without END: a body followed */
  int status;
  const char *reason;
} parsed_t;

static void parsed_free(parsed_t *p) {
  for (int i = 0; i < p->n; i++)
    rt__http_req_free(p->reqs[i]);
  p->n = 0;
}

static parsed_t parse_with(const rt__http_limits_t *lim, const char *data, size_t len,
                           size_t step) {
  parsed_t out;
  memset(&out, 0, sizeof(out));
  rt__http_parser_t p;
  assert_int_equal(rt__http_parser_init(&p, lim), 0);
  size_t off = 0;
  while (off < len) {
    size_t piece = step ? step : len - off;
    if (piece > len - off)
      piece = len - off;
    size_t done = 0;
    while (done < piece) {
      size_t n = 0;
      int ev = rt__http_parser_feed(&p, data + off + done, piece - done, &n);
      done += n;
      if (ev & RT__SCAN_ERROR) {
        out.status = p.status;
        out.reason = p.reason;
        goto end;
      }
      if ((ev & RT__SCAN_HEAD) && !(ev & RT__SCAN_END))
        out.heads++;
      if (ev & RT__SCAN_END) {
        assert_true(out.n < MAX_REQS);
        out.reqs[out.n++] = rt__http_parser_take(&p);
      }
    }
    off += piece;
  }
end:
  rt__http_parser_free(&p);
  return out;
}

static parsed_t parse(const char *data) { return parse_with(&limits, data, strlen(data), 0); }

static void test_get_fields(void **state) {
  (void)state;
  parsed_t p = parse("GET /api/v1/needs?limit=5&q=x HTTP/1.1\r\nHost: example\r\n"
                     "Accept:   application/json  \r\nX-Empty:\r\n\r\n");
  assert_int_equal(p.status, 0);
  assert_int_equal(p.n, 1);
  rt_http_request_t *r = &p.reqs[0]->pub;
  assert_int_equal(r->method, RT_HTTP_GET);
  assert_string_equal(r->method_name, "GET");
  assert_string_equal(r->target, "/api/v1/needs?limit=5&q=x");
  assert_string_equal(r->path, "/api/v1/needs");
  assert_int_equal(r->path_len, 13);
  assert_string_equal(r->query, "limit=5&q=x");
  assert_int_equal(r->nheaders, 3);
  assert_string_equal(r->headers[0].name, "Host");
  assert_string_equal(r->headers[1].value, "application/json");
  assert_int_equal(r->headers[1].value_len, 16);
  assert_string_equal(rt_http_header(r, "accept"), "application/json");
  assert_string_equal(rt_http_header(r, "X-EMPTY"), "");
  assert_null(rt_http_header(r, "Missing"));
  assert_null(r->body);
  assert_int_equal(r->body_len, 0);
  assert_true(p.reqs[0]->keep_alive);
  assert_int_equal(strlen(r->id), 32);
  assert_true(r->start_ns > 0);
  parsed_free(&p);
}

static void test_methods(void **state) {
  (void)state;
  static const struct {
    const char *text;
    rt_http_method_t m;
  } cases[] = {{"GET", RT_HTTP_GET},         {"HEAD", RT_HTTP_HEAD},   {"POST", RT_HTTP_POST},
               {"PUT", RT_HTTP_PUT},         {"PATCH", RT_HTTP_PATCH}, {"DELETE", RT_HTTP_DELETE},
               {"OPTIONS", RT_HTTP_OPTIONS}, {"TRACE", RT_HTTP_OTHER}};
  char buf[128];
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    snprintf(buf, sizeof(buf), "%s / HTTP/1.1\r\nHost: x\r\n\r\n", cases[i].text);
    parsed_t p = parse(buf);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.reqs[0]->pub.method, cases[i].m);
    assert_string_equal(p.reqs[0]->pub.method_name, cases[i].text);
    parsed_free(&p);
  }
  /* a method llhttp does not know */
  parsed_t p = parse("FROB / HTTP/1.1\r\nHost: x\r\n\r\n");
  assert_int_equal(p.status, 400);
  assert_int_equal(p.n, 0);
}

static void test_keep_alive_rules(void **state) {
  (void)state;
  static const struct {
    const char *req;
    int keep;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", 1},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0},
      {"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", 0},
      {"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", 0},
      {"GET / HTTP/1.0\r\n\r\n", 0},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    parsed_t p = parse(cases[i].req);
    assert_int_equal(p.n, 1);
    if (p.reqs[0]->keep_alive != cases[i].keep)
      fail_msg("keep-alive %d for %s", p.reqs[0]->keep_alive, cases[i].req);
    parsed_free(&p);
  }
}

static void test_bodies(void **state) {
  (void)state;
  parsed_t p = parse("POST /a HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world"
                     "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5;x=y\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: t\r\n\r\n"
                     "GET /c HTTP/1.1\r\n\r\n");
  assert_int_equal(p.status, 0);
  assert_int_equal(p.n, 3);
  assert_int_equal(p.heads, 2);
  assert_string_equal(p.reqs[0]->pub.path, "/a");
  assert_int_equal(p.reqs[0]->pub.body_len, 11);
  assert_string_equal(p.reqs[0]->pub.body, "hello world");
  assert_string_equal(p.reqs[1]->pub.path, "/b");
  assert_int_equal(p.reqs[1]->pub.body_len, 11);
  assert_string_equal(p.reqs[1]->pub.body, "hello world");
  /* trailer fields are not merged into the header fields */
  assert_int_equal(p.reqs[1]->pub.nheaders, 1);
  assert_null(rt_http_header(&p.reqs[1]->pub, "Trailer"));
  assert_string_equal(p.reqs[2]->pub.path, "/c");
  assert_null(p.reqs[2]->pub.body);
  parsed_free(&p);
}

/* Every split of the byte stream gives the same requests. */
static void test_any_split(void **state) {
  (void)state;
  const char *stream = "POST /x?y HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
                       "PATCH /z HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabc\r\n0\r\n\r\n"
                       "\r\nDELETE /w HTTP/1.1\r\nX-Request-Id: abc-123\r\n\r\n";
  size_t len = strlen(stream);
  for (size_t step = 1; step <= len; step++) {
    parsed_t p = parse_with(&limits, stream, len, step);
    assert_int_equal(p.status, 0);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.reqs[0]->pub.target, "/x?y");
    assert_string_equal(p.reqs[0]->pub.body, "body");
    assert_string_equal(rt_http_header(&p.reqs[0]->pub, "host"), "h");
    assert_int_equal(p.reqs[1]->pub.method, RT_HTTP_PATCH);
    assert_string_equal(p.reqs[1]->pub.body, "abc");
    assert_int_equal(p.reqs[2]->pub.method, RT_HTTP_DELETE);
    assert_string_equal(p.reqs[2]->pub.id, "abc-123");
    parsed_free(&p);
  }
}

static void test_request_ids(void **state) {
  (void)state;
  parsed_t p = parse("GET / HTTP/1.1\r\nX-Request-Id: ok.ID_1-2\r\n\r\n"
                     "GET / HTTP/1.1\r\nX-Request-Id: bad id!\r\n\r\n"
                     "GET / HTTP/1.1\r\nX-Request-Id: 0123456789012345678901234567890123456\r\n\r\n"
                     "GET / HTTP/1.1\r\n\r\n");
  assert_int_equal(p.n, 4);
  assert_string_equal(p.reqs[0]->pub.id, "ok.ID_1-2");
  for (int i = 1; i < 4; i++) {
    assert_int_equal(strlen(p.reqs[i]->pub.id), 32);
    assert_true(strspn(p.reqs[i]->pub.id, "0123456789abcdef") == 32);
  }
  assert_string_not_equal(p.reqs[1]->pub.id, p.reqs[2]->pub.id);
  assert_string_not_equal(p.reqs[2]->pub.id, p.reqs[3]->pub.id);
  assert_true(rt__http_request_id_ok("a", 1));
  assert_true(rt__http_request_id_ok("012345678901234567890123456789012345", 36));
  assert_false(rt__http_request_id_ok("0123456789012345678901234567890123456", 37));
  assert_false(rt__http_request_id_ok("", 0));
  assert_false(rt__http_request_id_ok("a/b", 3));
  parsed_free(&p);
}

static void test_expect_continue(void **state) {
  (void)state;
  parsed_t p = parse("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx"
                     "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
  assert_int_equal(p.n, 2);
  assert_true(p.reqs[0]->expect_continue);
  assert_false(p.reqs[1]->expect_continue); /* no body to wait for */
  parsed_free(&p);
}

static void test_refusals_carry_status(void **state) {
  (void)state;
  static const struct {
    const char *req;
    int status;
  } cases[] = {
      {"GET / HTTP/1.1\nHost: x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413},
      {"GET /\x7f HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 3\r\n\r\nabc", 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    parsed_t p = parse(cases[i].req);
    if (p.status != cases[i].status)
      fail_msg("status %d (%s) for %s", p.status, p.reason ? p.reason : "-", cases[i].req);
    parsed_free(&p);
  }
  /* Requests before a refused one come out; nothing after it does. */
  parsed_t p = parse("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nBad Name: x\r\n\r\n"
                     "GET /3 HTTP/1.1\r\n\r\n");
  assert_int_equal(p.n, 1);
  assert_int_equal(p.status, 400);
  assert_string_equal(p.reason, "Whitespace between header field name and colon.");
  parsed_free(&p);
}

static void test_upgrade_is_plain_http(void **state) {
  (void)state;
  parsed_t p = parse("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                     "GET /next HTTP/1.1\r\n\r\n");
  assert_int_equal(p.status, 0);
  assert_int_equal(p.n, 2);
  assert_string_equal(p.reqs[1]->pub.path, "/next");
  parsed_free(&p);
}

static void test_big_body(void **state) {
  (void)state;
  size_t body = 1024 * 1024;
  char *buf = malloc(body + 128);
  assert_non_null(buf);
  int n = snprintf(buf, 128, "POST / HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", body);
  memset(buf + n, 'z', body);
  parsed_t p = parse_with(&limits, buf, (size_t)n + body, 65536);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.reqs[0]->pub.body_len, body);
  assert_int_equal(p.reqs[0]->pub.body[body - 1], 'z');
  assert_int_equal(p.reqs[0]->pub.body[body], '\0');
  parsed_free(&p);
  /* chunked, in 64 KiB chunks, to the limit exactly */
  size_t cap = body + 64 * 32 + 256;
  char *c = malloc(cap);
  assert_non_null(c);
  size_t o = (size_t)snprintf(c, cap, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 16; i++) {
    o += (size_t)snprintf(c + o, cap - o, "10000\r\n");
    memset(c + o, 'a' + i, 65536);
    o += 65536;
    o += (size_t)snprintf(c + o, cap - o, "\r\n");
  }
  o += (size_t)snprintf(c + o, cap - o, "0\r\n\r\n");
  p = parse_with(&limits, c, o, 1000);
  assert_int_equal(p.status, 0);
  assert_int_equal(p.n, 1);
  assert_int_equal(p.reqs[0]->pub.body_len, body);
  assert_int_equal(p.reqs[0]->pub.body[65536], 'b');
  parsed_free(&p);
  free(c);
  free(buf);
}

/* A partly read request is freed with the parser (ASan checks). */
static void test_partial_freed(void **state) {
  (void)state;
  rt__http_parser_t p;
  assert_int_equal(rt__http_parser_init(&p, &limits), 0);
  const char *part = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
  size_t n = 0;
  int ev = rt__http_parser_feed(&p, part, strlen(part), &n);
  assert_int_equal(ev, RT__SCAN_HEAD);
  assert_non_null(rt__http_parser_current(&p));
  assert_int_equal(rt__http_parser_framing(&p), RT__FRAMING_LENGTH);
  ev = rt__http_parser_feed(&p, part + n, strlen(part) - n, &n);
  assert_int_equal(ev, RT__SCAN_MORE);
  rt__http_parser_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_fields),
      cmocka_unit_test(test_methods),
      cmocka_unit_test(test_keep_alive_rules),
      cmocka_unit_test(test_bodies),
      cmocka_unit_test(test_any_split),
      cmocka_unit_test(test_request_ids),
      cmocka_unit_test(test_expect_continue),
      cmocka_unit_test(test_refusals_carry_status),
      cmocka_unit_test(test_upgrade_is_plain_http),
      cmocka_unit_test(test_big_body),
      cmocka_unit_test(test_partial_freed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
