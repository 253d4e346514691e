/* CORS origin lists, and the Prometheus text of the request metrics (also under
 * concurrent updates from several threads). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http_internal.h"

static void test_cors_list(void **state) {
  (void)state;
  rt__http_cors_t c;
  assert_int_equal(rt__http_cors_parse(&c, " https://a.example , https://b.example/,,"), 0);
  assert_int_equal(c.count, 2);
  assert_false(c.any);
  assert_true(rt__http_cors_allowed(&c, "https://a.example"));
  assert_true(rt__http_cors_allowed(&c, "https://b.example"));
  assert_false(rt__http_cors_allowed(&c, "https://a.example.evil"));
  assert_false(rt__http_cors_allowed(&c, "http://a.example"));
  assert_false(rt__http_cors_allowed(&c, "https://A.example.com"));
  assert_false(rt__http_cors_allowed(&c, ""));
  assert_false(rt__http_cors_allowed(&c, NULL));
  rt__http_cors_free(&c);

  assert_int_equal(rt__http_cors_parse(&c, "*"), 0);
  assert_true(c.any);
  assert_true(rt__http_cors_allowed(&c, "https://anything.example"));
  assert_false(rt__http_cors_allowed(&c, "null"));
  rt__http_cors_free(&c);

  assert_int_equal(rt__http_cors_parse(&c, NULL), 0);
  assert_false(rt__http_cors_allowed(&c, "https://a.example"));
  rt__http_cors_free(&c);
  assert_int_equal(rt__http_cors_parse(&c, ""), 0);
  assert_false(rt__http_cors_allowed(&c, "https://a.example"));
  rt__http_cors_free(&c);
}

static void test_metrics_text(void **state) {
  (void)state;
  rt__http_metrics_request("/healthz", 200, 0.0004);
  rt__http_metrics_request("/healthz", 200, 0.02);
  rt__http_metrics_request("/healthz", 503, 20.0);
  rt__http_metrics_request("we\"ird\\route\n", 404, 0.3);
  rt__http_metrics_conn_rejected();
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_http_metrics_render(&b), 0);
  const char *t = b.data;
  assert_non_null(strstr(t, "# TYPE roundtable_http_requests_total counter\n"));
  assert_non_null(
      strstr(t, "roundtable_http_requests_total{route=\"/healthz\",status=\"200\"} 2\n"));
  assert_non_null(
      strstr(t, "roundtable_http_requests_total{route=\"/healthz\",status=\"503\"} 1\n"));
  assert_non_null(strstr(
      t, "roundtable_http_requests_total{route=\"we\\\"ird\\\\route\\n\",status=\"404\"} 1\n"));
  assert_non_null(strstr(t, "# TYPE roundtable_http_request_duration_seconds histogram\n"));
  assert_non_null(strstr(
      t, "roundtable_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.001\"} 1\n"));
  assert_non_null(strstr(
      t, "roundtable_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.025\"} 2\n"));
  assert_non_null(strstr(
      t, "roundtable_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"10\"} 2\n"));
  assert_non_null(strstr(
      t, "roundtable_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 3\n"));
  assert_non_null(
      strstr(t, "roundtable_http_request_duration_seconds_count{route=\"/healthz\"} 3\n"));
  assert_non_null(
      strstr(t, "roundtable_http_request_duration_seconds_sum{route=\"/healthz\"} 20.02"));
  assert_non_null(strstr(t, "# TYPE roundtable_http_open_connections gauge\n"));
  assert_non_null(strstr(t, "roundtable_http_rejected_connections_total 1\n"));
  rt_buf_free(&b);
}

static void *hammer(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++)
    rt__http_metrics_request("threads", 200, 0.001);
  return NULL;
}

static void test_metrics_threads_and_bounds(void **state) {
  (void)state;
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  /* many distinct routes fold into "other" instead of growing without bound */
  char name[32];
  for (int i = 0; i < 200; i++) {
    snprintf(name, sizeof(name), "r%d", i);
    rt__http_metrics_request(name, 200, 0.001);
  }
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_http_metrics_render(&b), 0);
  assert_non_null(
      strstr(b.data, "roundtable_http_requests_total{route=\"threads\",status=\"200\"} 80000\n"));
  assert_non_null(strstr(b.data, "route=\"other\""));
  assert_null(strstr(b.data, "route=\"r199\""));
  rt_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cors_list),
      cmocka_unit_test(test_metrics_text),
      cmocka_unit_test(test_metrics_threads_and_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
