/* The meeting scheduler: hand-made cases for each rule and reason, and many small random
 * instances against brute force (every assignment of meetings to slots or none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "roundtable/schedule.h"

typedef struct rng {
  uint64_t s;
} rng_t;

static uint64_t next(rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static int below(rng_t *r, int n) { return (int)(next(r) % (uint64_t)n); }

#define MAXM 8
#define MAXP 6
#define MAXS 4

typedef struct inst {
  rt_schedule_problem_t p;
  rt_schedule_meeting_t m[MAXM];
  uint32_t parts[MAXM][MAXP];
  uint8_t unavail[MAXP * MAXS];
} inst_t;

static void random_instance(rng_t *r, inst_t *in) {
  memset(in, 0, sizeof(*in));
  in->p.n_slots = (uint32_t)below(r, MAXS + 1);
  in->p.n_tables = (uint32_t)below(r, 3) + (below(r, 8) == 0 ? 0 : 1);
  in->p.n_participants = 2 + (uint32_t)below(r, MAXP - 1);
  size_t nm = (size_t)below(r, 7) + 1;
  int unavail_pct = below(r, 3) * 15;
  for (size_t c = 0; c < (size_t)in->p.n_participants * in->p.n_slots; c++)
    in->unavail[c] = below(r, 100) < unavail_pct;
  for (size_t k = 0; k < nm; k++) {
    rt_schedule_meeting_t *mt = &in->m[k];
    uint32_t want = 2 + (uint32_t)below(r, 2);
    if (want > in->p.n_participants)
      want = in->p.n_participants;
    while (mt->n_participants < want) {
      uint32_t q = (uint32_t)below(r, (int)in->p.n_participants);
      int dup = 0;
      for (uint32_t j = 0; j < mt->n_participants; j++)
        dup |= in->parts[k][j] == q;
      if (!dup)
        in->parts[k][mt->n_participants++] = q;
    }
    mt->participants = in->parts[k];
    mt->id = (int64_t)(100 + below(r, 5)); /* repeated ids: ties fall back to position */
    mt->value = below(r, 4) == 0 ? 5 : (int64_t)below(r, 10); /* equal values often */
  }
  in->p.meetings = in->m;
  in->p.n_meetings = nm;
  in->p.unavailable = in->unavail;
}

/* The best total over every assignment of meetings to a slot or none (tables by count). */
static int64_t brute(const rt_schedule_problem_t *p, size_t i, int32_t *slot, uint8_t *busy,
                     uint32_t *used) {
  if (i == p->n_meetings)
    return 0;
  int64_t best = brute(p, i + 1, slot, busy, used);
  const rt_schedule_meeting_t *mt = &p->meetings[i];
  for (uint32_t s = 0; s < p->n_slots; s++) {
    if (used[s] >= p->n_tables)
      continue;
    int ok = 1;
    for (uint32_t k = 0; k < mt->n_participants; k++) {
      size_t c = (size_t)mt->participants[k] * p->n_slots + s;
      ok &= !busy[c] && !p->unavailable[c];
    }
    if (!ok)
      continue;
    for (uint32_t k = 0; k < mt->n_participants; k++)
      busy[(size_t)mt->participants[k] * p->n_slots + s] = 1;
    used[s]++;
    int64_t v = mt->value + brute(p, i + 1, slot, busy, used);
    used[s]--;
    for (uint32_t k = 0; k < mt->n_participants; k++)
      busy[(size_t)mt->participants[k] * p->n_slots + s] = 0;
    if (v > best)
      best = v;
  }
  return best;
}

static void test_against_brute_force(void **state) {
  (void)state;
  rng_t r = {42};
  int optimal = 0, heuristic_short = 0;
  for (int iter = 0; iter < 3000; iter++) {
    inst_t in;
    random_instance(&r, &in);
    int32_t slot[MAXM];
    uint8_t busy[MAXP * MAXS] = {0};
    uint32_t used[MAXS] = {0};
    int64_t want = brute(&in.p, 0, slot, busy, used);
    rt_schedule_result_t res;
    assert_int_equal(rt_schedule_solve(&in.p, &res), 0);
    int64_t got = -1;
    assert_int_equal(rt_schedule_check(&in.p, res.slot, res.table, &got), 0);
    assert_int_equal(got, res.total_value);
    assert_true(res.optimal);
    assert_int_equal(got, want);
    optimal++;
    heuristic_short += res.improved_value < want;
    assert_true(res.greedy_value <= res.improved_value);
    /* Every unplaced meeting says why; the reason holds. */
    for (size_t m = 0; m < in.p.n_meetings; m++) {
      if (res.slot[m] >= 0) {
        assert_int_equal(res.reason[m], RT_SCHEDULE_PLACED);
        continue;
      }
      assert_int_not_equal(res.reason[m], RT_SCHEDULE_PLACED);
      if (in.p.n_slots == 0 || in.p.n_tables == 0)
        assert_int_equal(res.reason[m], RT_SCHEDULE_NO_GRID);
    }
    /* Deterministic: the same answer again. */
    rt_schedule_result_t again;
    assert_int_equal(rt_schedule_solve(&in.p, &again), 0);
    assert_memory_equal(res.slot, again.slot, sizeof(int32_t) * in.p.n_meetings);
    assert_memory_equal(res.table, again.table, sizeof(int32_t) * in.p.n_meetings);
    rt_schedule_result_free(&again);
    /* With no search at all (budget 1), the heuristic alone is still valid. */
    rt_schedule_problem_t h = in.p;
    h.node_budget = 1;
    assert_int_equal(rt_schedule_solve(&h, &again), 0);
    assert_int_equal(rt_schedule_check(&h, again.slot, again.table, &got), 0);
    assert_true(got <= want);
    rt_schedule_result_free(&again);
    rt_schedule_result_free(&res);
  }
  print_message("3000 instances optimal (%d), heuristic alone short on %d\n", optimal,
                heuristic_short);
}

/* Two meetings share a state; one slot; the larger goes in, the other is busy. */
static void test_reasons(void **state) {
  (void)state;
  uint32_t a[] = {0, 1}, b[] = {0, 2}, c[] = {3, 4}, d[] = {5, 6};
  rt_schedule_meeting_t ms[] = {
      {.id = 1, .participants = a, .n_participants = 2, .value = 5},
      {.id = 2, .participants = b, .n_participants = 2, .value = 9},
      {.id = 3, .participants = c, .n_participants = 2, .value = 1},
      {.id = 4, .participants = d, .n_participants = 2, .value = 2},
  };
  uint8_t un[7 * 1] = {0, 0, 0, 0, 0, 1, 0}; /* participant 5 cannot make slot 0 */
  rt_schedule_problem_t p = {.n_slots = 1,
                             .n_tables = 1,
                             .n_participants = 7,
                             .unavailable = un,
                             .meetings = ms,
                             .n_meetings = 4};
  rt_schedule_result_t res;
  assert_int_equal(rt_schedule_solve(&p, &res), 0);
  assert_int_equal(res.slot[1], 0);
  assert_int_equal(res.table[1], 0);
  assert_int_equal(res.reason[0], RT_SCHEDULE_BUSY);
  assert_int_equal(res.blocker[0], 0);
  assert_int_equal(res.reason[2], RT_SCHEDULE_NO_TABLE);
  assert_int_equal(res.reason[3], RT_SCHEDULE_UNAVAILABLE);
  assert_int_equal(res.blocker[3], 5);
  assert_int_equal(res.total_value, 9);
  assert_true(res.optimal);
  assert_string_equal(rt_schedule_reason_name(res.reason[0]), "participant_busy");
  rt_schedule_result_free(&res);
  p.n_tables = 0;
  assert_int_equal(rt_schedule_solve(&p, &res), 0);
  assert_int_equal(res.reason[1], RT_SCHEDULE_NO_GRID);
  rt_schedule_result_free(&res);
}

static void test_invalid(void **state) {
  (void)state;
  uint32_t a[] = {0, 0}, b[] = {0, 9};
  rt_schedule_meeting_t ms[] = {{.id = 1, .participants = a, .n_participants = 2, .value = 1}};
  rt_schedule_problem_t p = {
      .n_slots = 1, .n_tables = 1, .n_participants = 3, .meetings = ms, .n_meetings = 1};
  rt_schedule_result_t res;
  assert_int_equal(rt_schedule_solve(&p, &res), RT_EINVAL); /* repeated participant */
  ms[0].participants = b;
  assert_int_equal(rt_schedule_solve(&p, &res), RT_EINVAL); /* out of range */
  ms[0].participants = a;
  ms[0].n_participants = 1;
  ms[0].value = -1;
  assert_int_equal(rt_schedule_solve(&p, &res), RT_EINVAL);
  p.n_slots = RT_SCHEDULE_MAX_SLOTS + 1;
  assert_int_equal(rt_schedule_solve(&p, &res), RT_E2BIG);
}

/* A larger instance than the search can finish: valid, deterministic, at least the greedy. */
static void test_large_heuristic(void **state) {
  (void)state;
  enum { M = 500, P = 160, S = 20, T = 30 };
  static uint32_t parts[M][3];
  static rt_schedule_meeting_t ms[M];
  static uint8_t un[P * S];
  rng_t r = {7};
  for (size_t c = 0; c < P * S; c++)
    un[c] = below(&r, 100) < 10;
  for (size_t m = 0; m < M; m++) {
    parts[m][0] = (uint32_t)below(&r, 60); /* states 0..59, providers 60..159 */
    parts[m][1] = 60 + (uint32_t)below(&r, 50);
    parts[m][2] = 110 + (uint32_t)below(&r, 50);
    ms[m] = (rt_schedule_meeting_t){.id = (int64_t)m,
                                    .participants = parts[m],
                                    .n_participants = 1 + (uint32_t)below(&r, 3),
                                    .value = 1 + below(&r, 1 << 20)};
  }
  rt_schedule_problem_t p = {.n_slots = S,
                             .n_tables = T,
                             .n_participants = P,
                             .unavailable = un,
                             .meetings = ms,
                             .n_meetings = M};
  rt_schedule_result_t a, b;
  assert_int_equal(rt_schedule_solve(&p, &a), 0);
  assert_int_equal(rt_schedule_solve(&p, &b), 0);
  int64_t v;
  assert_int_equal(rt_schedule_check(&p, a.slot, a.table, &v), 0);
  assert_int_equal(v, a.total_value);
  assert_true(a.total_value >= a.improved_value);
  assert_true(a.improved_value >= a.greedy_value);
  assert_memory_equal(a.slot, b.slot, sizeof(int32_t) * M);
  print_message("500 meetings: placed %zu, greedy %lld, improved %lld, final %lld, optimal %d\n",
                a.placed, (long long)a.greedy_value, (long long)a.improved_value,
                (long long)a.total_value, (int)a.optimal);
  rt_schedule_result_free(&a);
  rt_schedule_result_free(&b);
}

/* iCalendar lines: escaping, folding at 75 octets without splitting UTF-8, CRLF, UTC times. */
static void test_ical(void **state) {
  (void)state;
  rt_buf_t b;
  rt_buf_init(&b, 0);
  assert_int_equal(rt_ical_text(&b, "SUMMARY", "a,b;c\\d\ne"), 0);
  assert_string_equal(b.data, "SUMMARY:a\\,b\\;c\\\\d\\ne\r\n");
  rt_buf_clear(&b);
  char long_text[400] = "";
  for (int i = 0; i < 40; i++)
    strcat(long_text, "安全x");
  assert_int_equal(rt_ical_text(&b, "DESCRIPTION", long_text), 0);
  /* Every physical line at most 75 octets, continuations start with a space, and unfolding
   * gives the text back. */
  char unfolded[800] = "";
  const char *p = b.data;
  int first = 1;
  while (*p) {
    const char *eol = strstr(p, "\r\n");
    assert_non_null(eol);
    assert_true(eol - p <= 75);
    assert_true(first || *p == ' ');
    strncat(unfolded, p + (first ? 0 : 1), (size_t)(eol - p) - (first ? 0 : 1));
    /* never cut inside a UTF-8 sequence: the next line starts with a lead byte */
    assert_true(((unsigned char)eol[2] & 0xC0) != 0x80 || !eol[2]);
    first = 0;
    p = eol + 2;
  }
  assert_string_equal(unfolded + strlen("DESCRIPTION:"), long_text);
  rt_buf_free(&b);
  char out[17];
  assert_int_equal(rt_ical_utc("2024-05-10T09:05:00.000Z", out), 0);
  assert_string_equal(out, "20240510T090500Z");
  assert_int_equal(rt_ical_utc("2024-05-10T09:05:00Z", out), 0);
  assert_int_equal(rt_ical_utc("2024-05-10T09:05:00+02:00", out), RT_EINVAL);
  assert_int_equal(rt_ical_utc("2024-05-10", out), RT_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_against_brute_force),
      cmocka_unit_test(test_reasons),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_large_heuristic),
      cmocka_unit_test(test_ical),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
