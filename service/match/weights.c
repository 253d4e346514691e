/* Criteria, their default weights, and per-run overrides. Weights are quantised once, here, so
 * that every score is an exact integer and the weights of a breakdown sum to exactly 1. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "match_internal.h"

/* One table: name and default weight of each criterion (docs/matching.md explains them). */
static const struct {
  const char *name;
  double weight;
} criteria[RT_MATCH_CRITERIA] = {
    [RT_MATCH_C_THEME] = {"theme", 0.30},       [RT_MATCH_C_TEXT] = {"text", 0.15},
    [RT_MATCH_C_WINDOW] = {"window", 0.10},     [RT_MATCH_C_MODALITY] = {"modality", 0.10},
    [RT_MATCH_C_FUNDING] = {"funding", 0.10},   [RT_MATCH_C_PRIORITY] = {"priority", 0.10},
    [RT_MATCH_C_FAIRNESS] = {"fairness", 0.15},
};

const char *rt_match_criterion_name(int criterion) {
  return criterion >= 0 && criterion < RT_MATCH_CRITERIA ? criteria[criterion].name : NULL;
}

static int werr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int werr(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return RT_EINVAL;
}

/* Scales raw (non-negative, not all zero) weights to sum 1 and rounds them to multiples of
 * 1/RT__W by largest remainder, ties to the earlier criterion, so the sum is exact. */
static void quantise(const double raw[RT_MATCH_CRITERIA], rt_match_weights_t *w) {
  double sum = 0;
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    sum += raw[c];
  double frac[RT_MATCH_CRITERIA];
  uint32_t total = 0;
  for (int c = 0; c < RT_MATCH_CRITERIA; c++) {
    double x = raw[c] / sum * RT__W;
    double f = floor(x);
    w->q[c] = (uint32_t)f;
    frac[c] = x - f;
    total += w->q[c];
  }
  while (total < RT__W) {
    int best = 0;
    for (int c = 1; c < RT_MATCH_CRITERIA; c++)
      if (frac[c] > frac[best])
        best = c;
    w->q[best]++;
    frac[best] = -1;
    total++;
  }
}

void rt_match_weights_default(rt_match_weights_t *w) {
  double raw[RT_MATCH_CRITERIA];
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    raw[c] = criteria[c].weight;
  quantise(raw, w);
}

int rt_match_weights_make(rt_match_weights_t *w, const char *const *names, const double *values,
                          size_t n, char *err, size_t errlen) {
  double raw[RT_MATCH_CRITERIA];
  bool given[RT_MATCH_CRITERIA] = {false};
  if (err && errlen)
    err[0] = '\0';
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    raw[c] = criteria[c].weight;
  for (size_t i = 0; i < n; i++) {
    int c = 0;
    while (c < RT_MATCH_CRITERIA && (!names[i] || strcmp(names[i], criteria[c].name) != 0))
      c++;
    if (c == RT_MATCH_CRITERIA)
      return werr(err, errlen, "unknown criterion '%.64s'", names[i] ? names[i] : "(null)");
    if (given[c])
      return werr(err, errlen, "criterion '%s' given twice", criteria[c].name);
    if (!isfinite(values[i]) || values[i] < 0)
      return werr(err, errlen, "weight of '%s' must be a non-negative number", criteria[c].name);
    given[c] = true;
    raw[c] = values[i];
  }
  double sum = 0;
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    sum += raw[c];
  if (!(sum > 0) || !isfinite(sum))
    return werr(err, errlen, "%s", sum > 0 ? "weights too large" : "all weights are zero");
  quantise(raw, w);
  return 0;
}

double rt_match_weight(const rt_match_weights_t *w, int criterion) {
  return criterion >= 0 && criterion < RT_MATCH_CRITERIA ? (double)w->q[criterion] / RT__W : 0;
}
