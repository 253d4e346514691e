/* The read-your-writes keys of read routing (route.c) and the rt_db_tx actor they are read
 * from. Pools with an absent or unreachable replica: test_pool_offline.c; a real primary
 * and standby: tests/api/test_scale_read_replica.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "roundtable/db.h"
#include "route.h"

static void test_reader_keys(void **state) {
  (void)state;
  assert_int_equal(rt_db_reader_key(0, 0, 0), 0);
  /* The participant wins over the account and the token: all its credentials share a key. */
  assert_true(rt_db_reader_key(5, 0, 0) == rt_db_reader_key(5, 7, 0));
  assert_true(rt_db_reader_key(5, 0, 0) == rt_db_reader_key(5, 0, 9));
  /* The same number as a participant, an account or a token: three different keys. */
  assert_true(rt_db_reader_key(5, 0, 0) != rt_db_reader_key(0, 5, 0));
  assert_true(rt_db_reader_key(0, 5, 0) != rt_db_reader_key(0, 0, 5));
  assert_true(rt_db_reader_key(0, 0, 5) != 0);
}

static void test_actor_keys(void **state) {
  (void)state;
  assert_int_equal(rt__db_actor_reader_key(NULL), 0);
  assert_int_equal(rt__db_actor_reader_key("{}"), 0);
  /* audit.c's shape: ids as strings, null when absent. */
  assert_true(rt__db_actor_reader_key("{\"role\":\"state\",\"token_id\":\"12\",\"account_id\":null,"
                                      "\"session_id\":null,\"participant_id\":\"3\","
                                      "\"request_id\":\"abc\"}") == rt_db_reader_key(3, 0, 12));
  assert_true(rt__db_actor_reader_key("{\"token_id\":\"12\",\"account_id\":null,"
                                      "\"participant_id\":null}") == rt_db_reader_key(0, 0, 12));
  assert_true(rt__db_actor_reader_key("{\"token_id\":null,\"account_id\":\"4\","
                                      "\"session_id\":\"8\",\"participant_id\":null}") ==
              rt_db_reader_key(0, 4, 0));
  /* Numbers work too. */
  assert_true(rt__db_actor_reader_key("{\"participant_id\": 3}") == rt_db_reader_key(3, 0, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reader_keys),
      cmocka_unit_test(test_actor_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
