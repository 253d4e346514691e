/* Suggestions: the top K feasible counterparts of one posting. The bitset index narrows the
 * candidates to postings that share a theme parent, a language and (for offers) an allowed
 * region before any pair is scored; the rest of the rules and the score come from the same pair
 * formula as everywhere else. */
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

typedef struct hit_s {
  int32_t score;
  uint32_t idx; /* internal index of the counterpart */
  int64_t id;
} hit_t;

/* a ranks before b: higher score, then lower id. */
static int before(const hit_t *a, const hit_t *b) {
  return a->score > b->score || (a->score == b->score && a->id < b->id);
}

/* A heap whose root is the worst of the best k so far. */
static void heap_push(hit_t *h, size_t *n, size_t k, hit_t x) {
  if (*n < k) {
    size_t i = (*n)++;
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (!before(&h[p], &x))
        break;
      h[i] = h[p];
      i = p;
    }
    h[i] = x;
    return;
  }
  if (!before(&x, &h[0]))
    return;
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const hit_t *cur = m == i ? &x : &h[m];
    if (l < *n && before(cur, &h[l]))
      m = l, cur = &h[l];
    if (r < *n && before(cur, &h[r]))
      m = r;
    if (m == i)
      break;
    h[i] = h[m];
    i = m;
  }
  h[i] = x;
}

static int cmp_hit(const void *a, const void *b) {
  const hit_t *x = a, *y = b;
  return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

/* dst = OR of the rows of src (each `words` long) selected by the bits of mask. */
static void or_rows(uint64_t *dst, const uint64_t *src, size_t words, const uint32_t *mask,
                    uint32_t nbits) {
  memset(dst, 0, words * sizeof(uint64_t));
  for (uint32_t b = 0; b < nbits; b++)
    if (mask[b / 32] & (1u << (b % 32))) {
      const uint64_t *row = src + (size_t)b * words;
      for (size_t i = 0; i < words; i++)
        dst[i] |= row[i];
    }
}

static void and_into(uint64_t *dst, const uint64_t *src, size_t words) {
  for (size_t i = 0; i < words; i++)
    dst[i] &= src[i];
}

static int finish(const rt_match_instance_t *inst, const rt_match_weights_t *w, hit_t *heap,
                  size_t nh, bool offers, uint32_t self, rt_match_hit_t *out, size_t *n_out) {
  qsort(heap, nh, sizeof(hit_t), cmp_hit);
  rt__need_ctx_t c;
  if (offers)
    rt__need_ctx(inst, self, w, &c);
  for (size_t i = 0; i < nh; i++) {
    uint32_t n = offers ? self : heap[i].idx, o = offers ? heap[i].idx : self;
    if (!offers)
      rt__need_ctx(inst, n, w, &c);
    out[i].index = offers ? inst->offer_ext[o] : inst->need_ext[n];
    out[i].id = heap[i].id;
    rt__breakdown(inst, &c, w, n, o, &out[i].breakdown);
  }
  *n_out = nh;
  return 0;
}

int rt_match_suggest_offers(const rt_match_instance_t *inst, size_t need, size_t k,
                            const rt_match_weights_t *w, rt_match_hit_t *out, size_t *n_out) {
  if (!inst || need >= inst->n_needs || !rt__weights_ok(w) || !n_out || (k && !out))
    return RT_EINVAL;
  *n_out = 0;
  uint32_t n = inst->need_int[need];
  if (k > inst->n_offers)
    k = inst->n_offers;
  if (!k || !inst->n.open[n])
    return 0;
  size_t mw = inst->m_words;
  uint64_t *cand = malloc(mw * sizeof(uint64_t)), *tmp = malloc(mw * sizeof(uint64_t));
  hit_t *heap = malloc(k * sizeof(hit_t));
  int rc = RT_ENOMEM;
  if (!cand || !tmp || !heap)
    goto out;
  rt__need_ctx_t c;
  rt__need_ctx(inst, n, w, &c);
  or_rows(cand, inst->oi_parent, mw, &inst->n.par[n], RT_MATCH_MAX_PARENTS);
  or_rows(tmp, inst->oi_lang, mw, c.lang, inst->n_langs);
  and_into(cand, tmp, mw);
  and_into(cand, inst->oi_region + (size_t)inst->n.region[n] * mw, mw);
  size_t nh = 0;
  for (size_t wi = 0; wi < mw; wi++)
    for (uint64_t bits = cand[wi]; bits; bits &= bits - 1) {
      uint32_t o = (uint32_t)(wi * 64 + (size_t)__builtin_ctzll(bits));
      rt__offer_view_t v;
      rt__offer_view(inst, &c, o, &v);
      int32_t s = rt__pair_eval(&c, &v);
      if (s < 0 || rt__excluded(&inst->nx, n, o))
        continue;
      heap_push(heap, &nh, k, (hit_t){s, o, inst->o.id[o]});
    }
  rc = finish(inst, w, heap, nh, true, n, out, n_out);
out:
  free(cand);
  free(tmp);
  free(heap);
  return rc;
}

int rt_match_suggest_needs(const rt_match_instance_t *inst, size_t offer, size_t k,
                           const rt_match_weights_t *w, rt_match_hit_t *out, size_t *n_out) {
  if (!inst || offer >= inst->n_offers || !rt__weights_ok(w) || !n_out || (k && !out))
    return RT_EINVAL;
  *n_out = 0;
  uint32_t o = inst->offer_int[offer];
  if (k > inst->n_needs)
    k = inst->n_needs;
  if (!k || !inst->o.reg[o]) /* closed or full: feasible with no need */
    return 0;
  size_t nw = inst->n_words;
  uint64_t *cand = malloc(nw * sizeof(uint64_t)), *tmp = malloc(nw * sizeof(uint64_t));
  hit_t *heap = malloc(k * sizeof(hit_t));
  int rc = RT_ENOMEM;
  if (!cand || !tmp || !heap)
    goto out;
  uint32_t lang[RT__LANG_WORDS];
  for (int i = 0; i < RT__LANG_WORDS; i++)
    lang[i] = inst->o.lang[i][o];
  or_rows(cand, inst->ni_parent, nw, &inst->o.par[o], RT_MATCH_MAX_PARENTS);
  or_rows(tmp, inst->ni_lang, nw, lang, inst->n_langs);
  and_into(cand, tmp, nw);
  or_rows(tmp, inst->ni_region, nw, &inst->o.reg_raw[o], RT_MATCH_MAX_REGIONS);
  and_into(cand, tmp, nw);
  size_t nh = 0;
  for (size_t wi = 0; wi < nw; wi++)
    for (uint64_t bits = cand[wi]; bits; bits &= bits - 1) {
      uint32_t n = (uint32_t)(wi * 64 + (size_t)__builtin_ctzll(bits));
      rt__need_ctx_t c;
      rt__need_ctx(inst, n, w, &c);
      rt__offer_view_t v;
      rt__offer_view(inst, &c, o, &v);
      int32_t s = rt__pair_eval(&c, &v);
      if (s < 0 || rt__excluded(&inst->ox, o, n))
        continue;
      heap_push(heap, &nh, k, (hit_t){s, n, inst->n.id[n]});
    }
  rc = finish(inst, w, heap, nh, false, o, out, n_out);
out:
  free(cand);
  free(tmp);
  free(heap);
  return rc;
}
