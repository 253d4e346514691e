/* libFuzzer entry for the engine: arbitrary bytes as posting texts (the tokenizer must never
 * overrun or stall on any UTF-8, valid or not) and as the fields of a small instance, which is
 * built, scored, suggested and assigned; every result is checked against the rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roundtable/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t parents[8] = {0, 0, 1, 1, 2, 2, 3, 3};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 16)
    return 0;
  /* the first 16 bytes shape the instance, the rest is text */
  size_t nn = 1 + data[0] % 4, no = 1 + data[1] % 4, split = (size - 16) / 2;
  char *a = malloc(split + 1), *b = malloc(size - 16 - split + 1);
  if (!a || !b)
    abort();
  memcpy(a, data + 16, split);
  a[split] = '\0';
  memcpy(b, data + 16 + split, size - 16 - split);
  b[size - 16 - split] = '\0';
  rt_match_need_t needs[4];
  rt_match_offer_t offers[4];
  uint8_t th[4], lang[4];
  for (int i = 0; i < 4; i++) {
    th[i] = (uint8_t)(data[2 + i] % 8);
    lang[i] = (uint8_t)(data[6 + i] % 3);
  }
  for (size_t i = 0; i < nn; i++)
    needs[i] = (rt_match_need_t){.id = (int64_t)i,
                                 .participant_id = 100 + (int64_t)(i % (1 + data[0] / 64 % 2)),
                                 .title = a,
                                 .description = b,
                                 .themes = &th[i],
                                 .n_themes = 1,
                                 .languages = &lang[i],
                                 .n_languages = 1,
                                 .modality = (rt_match_modality_t)(data[10] % 4),
                                 .has_window = data[11] & 1,
                                 .window_start = data[12],
                                 .window_end = data[12] + data[13],
                                 .budget_cents = data[14] - 100,
                                 .max_partners = 1 + data[15] % 3,
                                 .open = true};
  for (size_t i = 0; i < no; i++)
    offers[i] = (rt_match_offer_t){.id = (int64_t)i,
                                   .participant_id = 2 + (int64_t)i,
                                   .title = b,
                                   .description = a,
                                   .themes = &th[3 - i],
                                   .n_themes = 1,
                                   .languages = &lang[3 - i],
                                   .n_languages = 1,
                                   .modality = (rt_match_modality_t)(data[11] % 3),
                                   .funding_cents = data[13] * 1000 - 5,
                                   .capacity = 1 + i % 2,
                                   .open = true};
  rt_match_input_t in = {.needs = needs,
                         .n_needs = nn,
                         .offers = offers,
                         .n_offers = no,
                         .theme_parent = parents,
                         .n_themes = 8};
  rt_match_instance_t *inst;
  if (rt_match_instance_build(&in, &inst, NULL, 0) != 0)
    abort(); /* every input above is valid */
  rt_match_weights_t w;
  rt_match_weights_default(&w);
  rt_match_hit_t hits[4];
  size_t n;
  if (rt_match_suggest_offers(inst, 0, 4, &w, hits, &n) != 0)
    abort();
  /* the plain optimum, then with the fairness floor (one or two states, from data[0]) */
  for (int floor = 0; floor < 2; floor++) {
    rt_match_assign_opts_t opts = {.fairness_floor = floor};
    rt_match_result_t res;
    if (rt_match_assign(inst, &w, &opts, &res) != 0)
      abort();
    for (size_t i = 0; i < res.n_proposals; i++) {
      rt_match_reason_t why;
      if (rt_match_feasible(inst, res.proposals[i].need, res.proposals[i].offer, &why) != 0 ||
          why != RT_MATCH_FEASIBLE || res.proposals[i].score < 0 || res.proposals[i].score > 1)
        abort();
    }
    rt_match_result_free(&res);
  }
  rt_match_instance_free(inst);
  free(a);
  free(b);
  return 0;
}
