/* The meeting scheduler on the figure: 500 partnerships (grouped by need into meetings of
 * a state and its providers) into 20 slots x 30 tables, 10% of participant-slots unavailable.
 * Prints the time of each phase's result and how far the greedy start is from the final total.
 * Usage: schedule_bench [pairs] [slots] [tables] [repeats] [node_budget] [states] [providers]
 * (defaults 500 20 30 20 0 60 25: 25 providers in 20 slots is tight, so not everything fits). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "roundtable/schedule.h"

static uint64_t rng_state = 20240510;
static uint32_t below(uint32_t n) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (uint32_t)((z ^ (z >> 31)) % n);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  size_t pairs = argc > 1 ? (size_t)atol(argv[1]) : 500;
  uint32_t S = argc > 2 ? (uint32_t)atoi(argv[2]) : 20, T = argc > 3 ? (uint32_t)atoi(argv[3]) : 30;
  int repeats = argc > 4 ? atoi(argv[4]) : 20;
  uint64_t budget = argc > 5 ? (uint64_t)atoll(argv[5]) : 0;
  /* A need has 1-3 partnerships. */
  uint32_t states = argc > 6 ? (uint32_t)atoi(argv[6]) : 60;
  uint32_t providers = argc > 7 ? (uint32_t)atoi(argv[7]) : 25, P = states + providers;
  uint32_t *parts = malloc(sizeof(uint32_t) * pairs * 2);
  rt_schedule_meeting_t *ms = calloc(pairs, sizeof(*ms));
  uint8_t *un = calloc((size_t)P * S, 1);
  if (!parts || !ms || !un)
    return 1;
  for (size_t c = 0; c < (size_t)P * S; c++)
    un[c] = below(10) == 0;
  size_t n = 0, used = 0, done = 0;
  while (done < pairs) {
    uint32_t k = 1 + below(3);
    if (k > pairs - done)
      k = (uint32_t)(pairs - done);
    rt_schedule_meeting_t *m = &ms[n];
    m->id = (int64_t)n + 1;
    m->participants = parts + used;
    parts[used + m->n_participants++] = below(states);
    for (uint32_t j = 0; j < k; j++) {
      uint32_t q = states + below(providers);
      int dup = 0;
      for (uint32_t x = 1; x < m->n_participants; x++)
        dup |= parts[used + x] == q;
      if (!dup)
        parts[used + m->n_participants++] = q;
      m->value += 1 + below(1u << 30);
      if (below(4) == 0)
        m->value += (int64_t)1 << 40; /* agreed */
    }
    used += m->n_participants;
    done += k;
    n++;
  }
  rt_schedule_problem_t p = {.n_slots = S,
                             .n_tables = T,
                             .n_participants = P,
                             .unavailable = un,
                             .meetings = ms,
                             .n_meetings = n,
                             .node_budget = budget};
  double best = 1e18, sum = 0;
  rt_schedule_result_t r = {0};
  for (int i = 0; i < repeats; i++) {
    rt_schedule_result_free(&r);
    double t0 = now_ms();
    if (rt_schedule_solve(&p, &r)) {
      fprintf(stderr, "solve failed\n");
      return 1;
    }
    double t = now_ms() - t0;
    sum += t;
    best = t < best ? t : best;
  }
  int64_t v = 0;
  if (rt_schedule_check(&p, r.slot, r.table, &v) || v != r.total_value) {
    fprintf(stderr, "invalid schedule\n");
    return 1;
  }
  printf(
      "schedule_bench: %zu partnerships in %zu meetings, %u slots x %u tables, %u participants\n",
      pairs, n, S, T, P);
  printf("  placed %zu/%zu meetings; total %lld; greedy %lld (%.4f%% below), improved %lld;"
         " optimal proven: %s (%llu search nodes)\n",
         r.placed, n, (long long)r.total_value, (long long)r.greedy_value,
         r.total_value ? 100.0 * (double)(r.total_value - r.greedy_value) / (double)r.total_value
                       : 0.0,
         (long long)r.improved_value, r.optimal ? "yes" : "no", (unsigned long long)r.nodes);
  printf("  time per solve: best %.2f ms, mean %.2f ms over %d runs\n", best, sum / repeats,
         repeats);
  rt_schedule_result_free(&r);
  free(parts);
  free(ms);
  free(un);
  return 0;
}
