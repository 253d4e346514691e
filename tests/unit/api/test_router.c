/* The route table: matching, parameters, 404 against 405 and the Allow list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"

static void h_list(struct rt_api_call_s *c) { (void)c; }
static void h_create(struct rt_api_call_s *c) { (void)c; }
static void h_get(struct rt_api_call_s *c) { (void)c; }
static void h_patch(struct rt_api_call_s *c) { (void)c; }
static void h_decide(struct rt_api_call_s *c) { (void)c; }

static const rt_route_t table[] = {
    {RT_HTTP_POST, "/api/v1/needs", RT_ROLES_ANY, h_create, 0},
    {RT_HTTP_GET, "/api/v1/needs", RT_ROLES_ANY, h_list, 0},
    {RT_HTTP_PATCH, "/api/v1/needs/{id}", RT_ROLES_ANY, h_patch, 0},
    {RT_HTTP_GET, "/api/v1/needs/{id}", RT_ROLES_ANY, h_get, 0},
    {RT_HTTP_POST, "/api/v1/matches/{id}/decision", RT_ROLE_STATE, h_decide, 0},
};
#define N (sizeof(table) / sizeof(table[0]))

static rt_route_result_t match(rt_http_method_t m, const char *path, const rt_route_t **route,
                               rt_route_params_t *params, char *allow, rt_arena_t *arena) {
  return rt__route_match(table, N, m, path, strlen(path), arena, route, params, allow, 64);
}

static void test_found_with_params(void **state) {
  (void)state;
  rt_arena_t arena;
  rt_arena_init(&arena, 0);
  const rt_route_t *route = NULL;
  rt_route_params_t params;
  char allow[64];
  assert_int_equal(match(RT_HTTP_GET, "/api/v1/needs/42", &route, &params, allow, &arena),
                   RT_ROUTE_FOUND);
  assert_ptr_equal(route->handler, h_get);
  assert_int_equal(params.count, 1);
  assert_string_equal(params.values[0], "42");

  assert_int_equal(
      match(RT_HTTP_POST, "/api/v1/matches/a%20b/decision", &route, &params, allow, &arena),
      RT_ROUTE_FOUND);
  assert_ptr_equal(route->handler, h_decide);
  assert_string_equal(params.values[0], "a b");

  /* HEAD is answered by the GET route */
  assert_int_equal(match(RT_HTTP_HEAD, "/api/v1/needs", &route, &params, allow, &arena),
                   RT_ROUTE_FOUND);
  assert_ptr_equal(route->handler, h_list);
  rt_arena_reset(&arena);
}

static void test_not_found(void **state) {
  (void)state;
  rt_arena_t arena;
  rt_arena_init(&arena, 0);
  const rt_route_t *route = NULL;
  rt_route_params_t params;
  char allow[64];
  const char *paths[] = {"/api/v1/need",
                         "/api/v1/needs/",
                         "/api/v1/needs/1/x",
                         "/api/v1/needsx",
                         "/",
                         "/api/v1/matches//decision"};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
    assert_int_equal(match(RT_HTTP_GET, paths[i], &route, &params, allow, &arena),
                     RT_ROUTE_NO_PATH);
  rt_arena_reset(&arena);
}

static void test_method_not_allowed_lists_allow(void **state) {
  (void)state;
  rt_arena_t arena;
  rt_arena_init(&arena, 0);
  const rt_route_t *route = NULL;
  rt_route_params_t params;
  char allow[64];
  assert_int_equal(match(RT_HTTP_DELETE, "/api/v1/needs", &route, &params, allow, &arena),
                   RT_ROUTE_NO_METHOD);
  assert_string_equal(allow, "GET, HEAD, POST");
  assert_int_equal(match(RT_HTTP_POST, "/api/v1/needs/7", &route, &params, allow, &arena),
                   RT_ROUTE_NO_METHOD);
  assert_string_equal(allow, "GET, HEAD, PATCH");
  assert_int_equal(match(RT_HTTP_GET, "/api/v1/matches/7/decision", &route, &params, allow, &arena),
                   RT_ROUTE_NO_METHOD);
  assert_string_equal(allow, "POST");
  rt_arena_reset(&arena);
}

static void test_bad_escape(void **state) {
  (void)state;
  rt_arena_t arena;
  rt_arena_init(&arena, 0);
  const rt_route_t *route = NULL;
  rt_route_params_t params;
  char allow[64];
  assert_int_equal(match(RT_HTTP_GET, "/api/v1/needs/%zz", &route, &params, allow, &arena),
                   RT_ROUTE_BAD_PATH);
  assert_int_equal(match(RT_HTTP_GET, "/api/v1/needs/%00", &route, &params, allow, &arena),
                   RT_ROUTE_BAD_PATH);
  assert_int_equal(match(RT_HTTP_GET, "/api/v1/needs/%4", &route, &params, allow, &arena),
                   RT_ROUTE_BAD_PATH);
  rt_arena_reset(&arena);
}

static void test_percent_decode(void **state) {
  (void)state;
  rt_arena_t arena;
  rt_arena_init(&arena, 0);
  assert_string_equal(rt__percent_decode(&arena, "%E4%B8%AD%2f", 12, 0), "\xe4\xb8\xad/");
  assert_string_equal(rt__percent_decode(&arena, "plain", 5, 0), "plain");
  assert_null(rt__percent_decode(&arena, "%", 1, 0));
  assert_null(rt__percent_decode(&arena, "%a", 2, 0));
  assert_string_equal(rt__percent_decode(&arena, "a+b%2B", 6, 1), "a b+");
  assert_string_equal(rt__percent_decode(&arena, "a+b", 3, 0), "a+b");
  rt_arena_reset(&arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_found_with_params),
      cmocka_unit_test(test_not_found),
      cmocka_unit_test(test_method_not_allowed_lists_allow),
      cmocka_unit_test(test_bad_escape),
      cmocka_unit_test(test_percent_decode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
