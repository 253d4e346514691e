/* Feasibility and scores: the vectorised row kernel, single pairs with their breakdown, and the
 * full scan. All of them go through rt__pair_eval (match_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

/* The row kernel is compiled twice, for AVX2 and for the x86-64 baseline, and picked at load
 * time; the float steps are IEEE single operations without contraction (-ffp-contract=off in
 * CMakeLists.txt), so both give bit-identical scores. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(RT_MATCH_NO_CLONES)
#define RT__CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RT__CLONES
#endif

static const uint32_t prio_q[3] = {RT__Q, 19661 /* 0.6 */, 9830 /* 0.3 */};

int rt__weights_ok(const rt_match_weights_t *w) {
  uint32_t s = 0;
  if (!w)
    return 0;
  for (int c = 0; c < RT_MATCH_CRITERIA; c++) {
    if (w->q[c] > RT__W)
      return 0;
    s += w->q[c];
  }
  return s == RT__W;
}

void rt__need_ctx(const rt_match_instance_t *inst, uint32_t n, const rt_match_weights_t *w,
                  rt__need_ctx_t *c) {
  const rt__need_soa_t *s = &inst->n;
  memset(c, 0, sizeof(*c));
  c->th = s->th[n];
  for (int k = 0; k < RT__LANG_WORDS; k++)
    c->lang[k] = s->lang[k][n];
  c->rbit = 1u << s->region[n];
  c->cword = s->ctry[n] / 32;
  c->cbit = 1u << (s->ctry[n] % 32);
  c->part = s->part[n];
  switch (s->mod[n]) {
  case RT_MATCH_IN_PERSON:
    c->mod_bad = RT__MOD_BIT(RT_MATCH_ONLINE);
    c->mod_exact = RT__MOD_BIT(RT_MATCH_IN_PERSON);
    c->mod_half = RT__MOD_BIT(RT_MATCH_HYBRID);
    break;
  case RT_MATCH_ONLINE:
    c->mod_bad = RT__MOD_BIT(RT_MATCH_IN_PERSON);
    c->mod_exact = RT__MOD_BIT(RT_MATCH_ONLINE);
    c->mod_half = RT__MOD_BIT(RT_MATCH_HYBRID);
    break;
  case RT_MATCH_HYBRID:
    c->mod_exact = RT__MOD_BIT(RT_MATCH_HYBRID);
    c->mod_half = RT__MOD_BIT(RT_MATCH_IN_PERSON) | RT__MOD_BIT(RT_MATCH_ONLINE);
    break;
  default: /* any: every offer modality is what the need asks for */
    c->mod_exact = RT__MOD_BIT(RT_MATCH_IN_PERSON) | RT__MOD_BIT(RT_MATCH_ONLINE) |
                   RT__MOD_BIT(RT_MATCH_HYBRID);
    break;
  }
  c->ws = s->ws[n];
  c->we = s->we[n];
  c->has_win = s->has_win[n];
  c->win_scale = c->has_win ? (float)RT__Q / (float)(c->we - c->ws + 1) : 0.0f;
  uint32_t tn = rt__popcount2(c->th, 0);
  c->th_scale = tn ? (float)RT__Q / (float)(2 * tn) : 0.0f;
  c->budget = s->budget[n];
  c->has_budget = c->budget >= 0.0f;
  c->fund_scale = c->budget > 0.0f ? (float)RT__Q / c->budget : 0.0f;
  c->prio_q = prio_q[s->prio[n] < 3 ? s->prio[n] : 2];
  c->fair_q = s->fair_q[n];
  c->w_theme = w->q[RT_MATCH_C_THEME];
  c->w_text = w->q[RT_MATCH_C_TEXT];
  c->w_window = w->q[RT_MATCH_C_WINDOW];
  c->w_mod = w->q[RT_MATCH_C_MODALITY];
  c->w_fund = w->q[RT_MATCH_C_FUNDING];
  c->base = w->q[RT_MATCH_C_PRIORITY] * c->prio_q + w->q[RT_MATCH_C_FAIRNESS] * c->fair_q;
  for (int k = 0; k < RT__MH_K; k++)
    c->mh[k] = s->mh[(size_t)k * inst->n_pad + n];
}

void rt__offer_view(const rt_match_instance_t *inst, const rt__need_ctx_t *c, uint32_t o,
                    rt__offer_view_t *v) {
  const rt__offer_soa_t *s = &inst->o;
  v->th = s->th[o];
  v->sib = s->sib[o];
  for (int k = 0; k < RT__LANG_WORDS; k++)
    v->lang[k] = s->lang[k][o];
  v->reg = s->reg[o];
  v->ctry = s->ctry[c->cword][o];
  v->mod = s->mod[o];
  v->part = s->part[o];
  v->ws = s->ws[o];
  v->we = s->we[o];
  v->fund = s->fund[o];
  uint32_t common = 0;
  for (int k = 0; k < RT__MH_K; k++)
    common += s->mh[(size_t)k * inst->m_pad + o] == c->mh[k];
  v->common = common;
}

/* The row kernel. Loop fission keeps both loops simple enough to vectorise: first the MinHash
 * slot counts (32 byte lanes per AVX2 instruction), then every other criterion in 32-bit lanes
 * over the struct-of-arrays. The context is copied to the stack so the compiler can see that the
 * stores to out never change it. */
__attribute__((always_inline)) static inline void
score_range_impl(const rt_match_instance_t *inst, const rt__need_ctx_t *cp, uint32_t o0,
                 uint32_t o1, int32_t *restrict out, uint8_t *restrict cnt, const int lw) {
  const rt__need_ctx_t c = *cp;
  const rt__offer_soa_t *s = &inst->o;
  const uint32_t len = o1 - o0;
  /* Eight slots per pass, so the counts stay in registers for eight compares. */
  memset(cnt, 0, len);
  for (int k = 0; k < RT__MH_K; k += 8) {
    const uint8_t *restrict r0 = s->mh + (size_t)k * inst->m_pad + o0;
    const uint8_t *restrict r1 = r0 + inst->m_pad, *restrict r2 = r1 + inst->m_pad;
    const uint8_t *restrict r3 = r2 + inst->m_pad, *restrict r4 = r3 + inst->m_pad;
    const uint8_t *restrict r5 = r4 + inst->m_pad, *restrict r6 = r5 + inst->m_pad;
    const uint8_t *restrict r7 = r6 + inst->m_pad;
    const uint8_t *h = c.mh + k;
    for (uint32_t i = 0; i < len; i++)
      cnt[i] += (uint8_t)((r0[i] == h[0]) + (r1[i] == h[1]) + (r2[i] == h[2]) + (r3[i] == h[3]) +
                          (r4[i] == h[4]) + (r5[i] == h[5]) + (r6[i] == h[6]) + (r7[i] == h[7]));
  }
  const uint32_t *restrict th = s->th + o0, *restrict sib = s->sib + o0;
  const uint32_t *restrict l0 = s->lang[0] + o0, *restrict l1 = s->lang[1] + o0;
  const uint32_t *restrict l2 = s->lang[2] + o0, *restrict l3 = s->lang[3] + o0;
  const uint32_t *restrict reg = s->reg + o0, *restrict ctry = s->ctry[c.cword] + o0;
  const uint32_t *restrict mod = s->mod + o0, *restrict part = s->part + o0;
  const int32_t *restrict ws = s->ws + o0, *restrict we = s->we + o0;
  const float *restrict fund = s->fund + o0;
  for (uint32_t i = 0; i < len; i++) {
    rt__offer_view_t v;
    v.th = th[i];
    v.sib = sib[i];
    v.lang[0] = l0[i];
    v.lang[1] = lw > 1 ? l1[i] : 0;
    v.lang[2] = lw > 2 ? l2[i] : 0;
    v.lang[3] = lw > 3 ? l3[i] : 0;
    v.reg = reg[i];
    v.ctry = ctry[i];
    v.mod = mod[i];
    v.part = part[i];
    v.ws = ws[i];
    v.we = we[i];
    v.fund = fund[i];
    v.common = cnt[i];
    out[i] = rt__pair_eval(&c, &v);
  }
}

RT__CLONES static void score_range_1(const rt_match_instance_t *inst, const rt__need_ctx_t *c,
                                     uint32_t o0, uint32_t o1, int32_t *out, uint8_t *cnt) {
  score_range_impl(inst, c, o0, o1, out, cnt, 1);
}

RT__CLONES static void score_range_4(const rt_match_instance_t *inst, const rt__need_ctx_t *c,
                                     uint32_t o0, uint32_t o1, int32_t *out, uint8_t *cnt) {
  score_range_impl(inst, c, o0, o1, out, cnt, 4);
}

void rt__score_range(const rt_match_instance_t *inst, const rt__need_ctx_t *c, uint32_t o0,
                     uint32_t o1, int32_t *out, uint8_t *scratch) {
  if (inst->lang_words == 1)
    score_range_1(inst, c, o0, o1, out, scratch);
  else
    score_range_4(inst, c, o0, o1, out, scratch);
}

void rt__apply_exclusions(const rt_match_instance_t *inst, uint32_t n, uint32_t o0, uint32_t o1,
                          int32_t *out) {
  const rt__excl_t *x = &inst->nx;
  for (uint32_t i = x->start[n]; i < x->start[n + 1]; i++) {
    uint32_t o = x->items[i] >> 1;
    if (o >= o0 && o < o1)
      out[o - o0] = -1;
  }
}

int rt__excluded(const rt__excl_t *x, uint32_t a, uint32_t b) {
  uint32_t lo = x->start[a], hi = x->start[a + 1];
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    uint32_t other = x->items[mid] >> 1;
    if (other == b)
      return (x->items[mid] & 1) ? 2 : 1;
    if (other < b)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

rt_match_reason_t rt__reason(const rt_match_instance_t *inst, uint32_t n, uint32_t o,
                             uint32_t *all) {
  const rt__need_soa_t *ns = &inst->n;
  const rt__offer_soa_t *os = &inst->o;
  uint32_t bad = 0;
#define RULE(cond, r)                                                                              \
  if (cond)                                                                                        \
    bad |= 1u << (r);
  RULE(!ns->open[n], RT_MATCH_NEED_NOT_OPEN)
  RULE(!os->open[o], RT_MATCH_OFFER_NOT_OPEN)
  RULE(ns->part[n] == os->part[o], RT_MATCH_SAME_PARTICIPANT)
  int ex = rt__excluded(&inst->nx, n, o);
  RULE(ex == 2, RT_MATCH_ALREADY_AGREED)
  RULE(ex == 1, RT_MATCH_DECLINED)
  RULE(os->left[o] == 0, RT_MATCH_NO_CAPACITY)
  uint32_t lang = 0;
  for (int k = 0; k < RT__LANG_WORDS; k++)
    lang |= ns->lang[k][n] & os->lang[k][o];
  RULE(!lang, RT_MATCH_NO_LANGUAGE)
  RULE(!(os->reg_raw[o] & (1u << ns->region[n])), RT_MATCH_REGION_EXCLUDED)
  RULE(!(os->ctry[ns->ctry[n] / 32][o] & (1u << (ns->ctry[n] % 32))), RT_MATCH_COUNTRY_EXCLUDED)
  uint32_t om = os->mod[o];
  bool mod_bad = (ns->mod[n] == RT_MATCH_IN_PERSON && om == RT__MOD_BIT(RT_MATCH_ONLINE)) ||
                 (ns->mod[n] == RT_MATCH_ONLINE && om == RT__MOD_BIT(RT_MATCH_IN_PERSON));
  RULE(mod_bad, RT_MATCH_MODALITY)
  int32_t lo = ns->ws[n] > os->ws[o] ? ns->ws[n] : os->ws[o];
  int32_t hi = ns->we[n] < os->we[o] ? ns->we[n] : os->we[o];
  RULE(lo > hi, RT_MATCH_WINDOW)
  RULE(!(ns->th[n] & os->sib[o]), RT_MATCH_NO_THEME)
#undef RULE
  if (all)
    *all = bad;
  for (int r = 1; r <= RT_MATCH_NO_THEME; r++)
    if (bad & (1u << r))
      return (rt_match_reason_t)r;
  return RT_MATCH_FEASIBLE;
}

void rt__breakdown(const rt_match_instance_t *inst, const rt__need_ctx_t *c,
                   const rt_match_weights_t *w, uint32_t n, uint32_t o, rt_match_breakdown_t *out) {
  rt__offer_view_t v;
  rt__offer_view(inst, c, o, &v);
  uint32_t val[RT_MATCH_CRITERIA];
  val[RT_MATCH_C_THEME] = rt__v_theme(c, v.th, v.sib);
  val[RT_MATCH_C_TEXT] = rt__v_text(v.common);
  val[RT_MATCH_C_WINDOW] = rt__v_window(c, v.ws, v.we);
  val[RT_MATCH_C_MODALITY] = rt__v_modality(c, v.mod);
  val[RT_MATCH_C_FUNDING] = rt__v_funding(c, v.fund);
  val[RT_MATCH_C_PRIORITY] = c->prio_q;
  val[RT_MATCH_C_FAIRNESS] = c->fair_q;
  uint32_t s = 0;
  for (int k = 0; k < RT_MATCH_CRITERIA; k++) {
    out->terms[k].value_q = val[k];
    out->terms[k].weight_q = w->q[k];
    out->terms[k].value = (double)val[k] / RT__Q;
    out->terms[k].weight = (double)w->q[k] / RT__W;
    s += val[k] * w->q[k];
  }
  out->score_q = (int32_t)s;
  out->score = (double)s / RT_MATCH_SCORE_ONE;
  out->feasibility = rt__reason(inst, n, o, NULL);
}

int rt_match_feasible(const rt_match_instance_t *inst, size_t need, size_t offer,
                      rt_match_reason_t *reason) {
  if (!inst || need >= inst->n_needs || offer >= inst->n_offers)
    return RT_EINVAL;
  *reason = rt__reason(inst, inst->need_int[need], inst->offer_int[offer], NULL);
  return 0;
}

int rt_match_score(const rt_match_instance_t *inst, size_t need, size_t offer,
                   const rt_match_weights_t *w, rt_match_breakdown_t *out) {
  if (!inst || need >= inst->n_needs || offer >= inst->n_offers || !rt__weights_ok(w))
    return RT_EINVAL;
  rt__need_ctx_t c;
  uint32_t n = inst->need_int[need];
  rt__need_ctx(inst, n, w, &c);
  rt__breakdown(inst, &c, w, n, inst->offer_int[offer], out);
  return 0;
}

int rt_match_score_row(const rt_match_instance_t *inst, size_t need, const rt_match_weights_t *w,
                       int32_t *out) {
  if (!inst || need >= inst->n_needs || !rt__weights_ok(w))
    return RT_EINVAL;
  uint32_t n = inst->need_int[need];
  int32_t *row = malloc((size_t)inst->m_pad * sizeof(int32_t) + 1);
  uint8_t *cnt = malloc((size_t)inst->m_pad + 1);
  if (!row || !cnt) {
    free(row);
    free(cnt);
    return RT_ENOMEM;
  }
  rt__need_ctx_t c;
  rt__need_ctx(inst, n, w, &c);
  rt__score_range(inst, &c, 0, inst->m_pad, row, cnt);
  rt__apply_exclusions(inst, n, 0, inst->m_pad, row);
  for (uint32_t o = 0; o < inst->n_offers; o++)
    out[inst->offer_ext[o]] = inst->n.open[n] ? row[o] : -1;
  free(row);
  free(cnt);
  return 0;
}

/* Offers per tile of the scan: the tile's features (about 100 bytes an offer) stay in the
 * first-level cache while every need passes over them. */
#define SCAN_TILE 1024

int rt_match_scan(const rt_match_instance_t *inst, const rt_match_weights_t *w,
                  rt_match_scan_t *out) {
  if (!inst || !rt__weights_ok(w))
    return RT_EINVAL;
  memset(out, 0, sizeof(*out));
  uint32_t nn = 0;
  rt__need_ctx_t *ctx = malloc(((size_t)inst->n_needs + 1) * sizeof(*ctx));
  uint32_t *ids = malloc(((size_t)inst->n_needs + 1) * sizeof(uint32_t));
  int32_t *row = malloc(SCAN_TILE * sizeof(int32_t));
  uint8_t *cnt = malloc(SCAN_TILE);
  int rc = RT_ENOMEM;
  if (!ctx || !ids || !row || !cnt)
    goto out;
  for (uint32_t n = 0; n < inst->n_needs; n++)
    if (inst->n.open[n]) {
      rt__need_ctx(inst, n, w, &ctx[nn]);
      ids[nn++] = n;
    }
  uint64_t feasible = 0;
  int64_t sum = 0;
  for (uint32_t o0 = 0; o0 < inst->m_pad; o0 += SCAN_TILE) {
    uint32_t o1 = o0 + SCAN_TILE < inst->m_pad ? o0 + SCAN_TILE : inst->m_pad;
    for (uint32_t i = 0; i < nn; i++) {
      rt__score_range(inst, &ctx[i], o0, o1, row, cnt);
      rt__apply_exclusions(inst, ids[i], o0, o1, row);
      uint32_t f = 0;
      int64_t s = 0;
      for (uint32_t k = 0; k < o1 - o0; k++) {
        f += row[k] >= 0;
        s += row[k] >= 0 ? row[k] : 0;
      }
      feasible += f;
      sum += s;
    }
  }
  out->pairs_scored = (uint64_t)nn * inst->n_offers;
  out->feasible_pairs = feasible;
  out->score_sum_q = sum;
  rc = 0;
out:
  free(ctx);
  free(ids);
  free(row);
  free(cnt);
  return rc;
}
