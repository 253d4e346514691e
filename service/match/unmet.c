/* Why a need goes without a partner, in words the summary can print. */
#include "match_internal.h"

static const char *const reason_names[RT_MATCH_REASONS] = {
    [RT_MATCH_FEASIBLE] = "feasible",
    [RT_MATCH_NEED_NOT_OPEN] = "need_not_open",
    [RT_MATCH_OFFER_NOT_OPEN] = "offer_not_open",
    [RT_MATCH_SAME_PARTICIPANT] = "same_participant",
    [RT_MATCH_ALREADY_AGREED] = "already_agreed",
    [RT_MATCH_DECLINED] = "declined",
    [RT_MATCH_NO_CAPACITY] = "capacity_used_up",
    [RT_MATCH_NO_LANGUAGE] = "no_shared_language",
    [RT_MATCH_REGION_EXCLUDED] = "region_excluded",
    [RT_MATCH_COUNTRY_EXCLUDED] = "country_excluded",
    [RT_MATCH_MODALITY] = "modality",
    [RT_MATCH_WINDOW] = "window",
    [RT_MATCH_NO_THEME] = "no_theme",
    [RT_MATCH_NO_OPEN_OFFERS] = "no_open_offers",
    [RT_MATCH_BELOW_MIN_SCORE] = "below_min_score",
    [RT_MATCH_OUTCOMPETED] = "outcompeted",
    [RT_MATCH_NEED_FULL] = "need_full",
};

const char *rt_match_reason_name(rt_match_reason_t r) {
  return (unsigned)r < RT_MATCH_REASONS ? reason_names[r] : "unknown";
}

/* Among equally close misses, the reason that tells the need's state the most: an offer that
 * fits in every way but is full (or was declined, or is already agreed) says more than "nobody
 * offers this theme". */
static const rt_match_reason_t precedence[] = {
    RT_MATCH_NO_CAPACITY,     RT_MATCH_DECLINED,    RT_MATCH_ALREADY_AGREED,
    RT_MATCH_WINDOW,          RT_MATCH_MODALITY,    RT_MATCH_COUNTRY_EXCLUDED,
    RT_MATCH_REGION_EXCLUDED, RT_MATCH_NO_LANGUAGE, RT_MATCH_NO_THEME,
};

int rt_match_unmet_reason(const rt_match_instance_t *inst, size_t need, const rt_match_weights_t *w,
                          double min_score, rt_match_reason_t *reason) {
  if (!inst || need >= inst->n_needs || !reason || (w && !rt__weights_ok(w)))
    return RT_EINVAL;
  uint32_t n = inst->need_int[need];
  if (!inst->n.open[n]) {
    *reason = RT_MATCH_NEED_NOT_OPEN;
    return 0;
  }
  int best_count = 99;
  uint32_t best_union = 0;
  bool any_feasible = false, any_above = false;
  rt__need_ctx_t c;
  if (w)
    rt__need_ctx(inst, n, w, &c);
  double thr = min_score * RT_MATCH_SCORE_ONE;
  for (uint32_t o = 0; o < inst->n_offers; o++) {
    uint32_t bad;
    rt__reason(inst, n, o, &bad);
    /* closed offers and the state's own offers are no partners at all */
    if (bad & ((1u << RT_MATCH_OFFER_NOT_OPEN) | (1u << RT_MATCH_SAME_PARTICIPANT)))
      continue;
    if (!bad) {
      any_feasible = true;
      if (w && !any_above) {
        rt__offer_view_t v;
        rt__offer_view(inst, &c, o, &v);
        any_above = (double)rt__pair_eval(&c, &v) >= thr;
      }
      continue;
    }
    int count = __builtin_popcount(bad);
    if (count < best_count) {
      best_count = count;
      best_union = bad;
    } else if (count == best_count) {
      best_union |= bad;
    }
  }
  if (any_feasible)
    *reason = !w ? RT_MATCH_FEASIBLE : any_above ? RT_MATCH_OUTCOMPETED : RT_MATCH_BELOW_MIN_SCORE;
  else if (!best_union)
    *reason = RT_MATCH_NO_OPEN_OFFERS;
  else
    for (size_t i = 0; i < sizeof(precedence) / sizeof(precedence[0]); i++)
      if (best_union & (1u << precedence[i])) {
        *reason = precedence[i];
        break;
      }
  return 0;
}
