/* The engine's private layout: the encoded instance and the one pair formula that every path
 * (the vectorised row kernel, single scores, breakdowns, suggestions) inlines, so that they
 * can never disagree on a score. */
#ifndef RT_MATCH_INTERNAL_H
#define RT_MATCH_INTERNAL_H

#include <float.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "roundtable/arena.h"
#include "roundtable/match.h"
#include "text.h"

/* Scores use single-precision steps for a few ratios; they are exactly reproducible only when
 * float expressions are evaluated in float (SSE), never in wider registers. */
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "the matching engine needs FLT_EVAL_METHOD == 0 (SSE floating point)"
#endif

#define RT__Q RT_MATCH_VALUE_ONE
#define RT__W RT_MATCH_WEIGHT_ONE
_Static_assert((uint64_t)RT__Q *RT__W == RT_MATCH_SCORE_ONE, "score scale");
_Static_assert(RT__Q % RT__MH_K == 0, "text values must be exact");

/* Offers and needs are padded to this many so that vector loops need no tails; padding
 * entries are never feasible. */
#define RT__PAD 64
#define RT__LANG_WORDS 4        /* 128 languages in 32-bit words */
#define RT__CTRY_WORDS 8        /* 256 country slots in 32-bit words */
#define RT__NO_COUNTRY 255      /* never set in an offer's country set */
#define RT__DAY_LIMIT (1 << 22) /* day numbers are clamped to +-4M days (+-11,000 years) */
#define RT__DAY_OPEN (1 << 23)  /* a missing window stands for [-2^23, 2^23] */

/* The pair formula must be inlined into the vector loops (and their AVX2 clones) to vectorise. */
#define RT__INLINE static inline __attribute__((always_inline))

/* Modality bits of an offer. */
#define RT__MOD_BIT(m) (1u << (m))

typedef struct rt__need_soa_s {
  int64_t *id;
  uint32_t *part; /* participant, densely renumbered */
  uint32_t *th;   /* theme bitset */
  uint32_t *par;  /* parent bitset */
  uint32_t *lang[RT__LANG_WORDS];
  uint8_t *region;
  uint8_t *ctry; /* dense country index, RT__NO_COUNTRY when unknown */
  uint8_t *mod;
  uint8_t *prio;
  uint8_t *open;
  uint8_t *has_win;
  int32_t *ws, *we;
  float *budget;  /* US dollars; negative when none */
  uint32_t *left; /* partners left */
  uint32_t *fair_q;
  uint8_t *served; /* the state already holds a partnership (the fairness floor) */
  uint8_t
      *mh; /* RT__MH_K rows of n_pad slots: slot-major, so a slot of many postings is one load */
} rt__need_soa_t;

typedef struct rt__offer_soa_s {
  int64_t *id;
  uint32_t *part;
  uint32_t *th;
  uint32_t *par;
  uint32_t
      *sib; /* every child theme of the offer's parents: a need theme in here shares a parent */
  uint32_t *lang[RT__LANG_WORDS];
  uint32_t *reg;     /* allowed regions, 0 when the offer is not available (closed or full) */
  uint32_t *reg_raw; /* allowed regions as given (all bits when unrestricted) */
  uint32_t *ctry[RT__CTRY_WORDS]; /* allowed need countries (all bits when unrestricted) */
  uint8_t *ctry_restricted;
  uint32_t *mod; /* RT__MOD_BIT(modality) */
  int32_t *ws, *we;
  float *fund;    /* negative when none */
  uint32_t *left; /* capacity left */
  uint8_t *open;
  uint8_t *mh;
} rt__offer_soa_t;

/* Exclusions of one side: a sorted list of (other side's internal index << 1 | agreed). */
typedef struct rt__excl_s {
  uint32_t *start; /* n + 1 offsets */
  uint32_t *items;
} rt__excl_t;

struct rt_match_instance_s {
  rt_arena_t arena;
  uint32_t n_needs, n_offers;
  uint32_t n_pad, m_pad; /* padded counts */
  uint32_t lang_words;   /* 32-bit words in use for languages, 1..4 */
  uint32_t n_langs;      /* distinct languages */
  uint32_t n_themes;
  uint32_t children[RT_MATCH_MAX_PARENTS]; /* parent -> child theme bitset */
  uint32_t *need_ext, *need_int;           /* internal <-> caller indices */
  uint32_t *offer_ext, *offer_int;
  rt__need_soa_t n;
  rt__offer_soa_t o;
  rt__excl_t nx, ox;
  /* Bitset index (one bit per internal offer / need, words of 64). */
  uint32_t m_words, n_words;
  uint64_t *oi_parent; /* [RT_MATCH_MAX_PARENTS][m_words] */
  uint64_t *oi_lang;   /* [n_langs][m_words] */
  uint64_t *oi_region; /* [RT_MATCH_MAX_REGIONS][m_words]: available and allowing region r */
  uint64_t *ni_parent; /* [RT_MATCH_MAX_PARENTS][n_words] */
  uint64_t *ni_lang;   /* [n_langs][n_words] */
  uint64_t *ni_region; /* [RT_MATCH_MAX_REGIONS][n_words]: open needs in region r */
};

/* Everything about one need that the pair formula needs, weights folded in. */
typedef struct rt__need_ctx_s {
  uint32_t th, lang[RT__LANG_WORDS], rbit, cword, cbit, part;
  uint32_t mod_bad;   /* offer modalities that are incompatible */
  uint32_t mod_exact; /* offer modalities worth 1 */
  uint32_t mod_half;  /* offer modalities worth 1/2 */
  int32_t ws, we;
  uint32_t has_win, has_budget;
  float th_scale;  /* Q / (2 * number of need themes) */
  float win_scale; /* Q / window length in days */
  float budget, fund_scale;
  uint32_t prio_q, fair_q;
  /* weights */
  uint32_t w_theme, w_text, w_window, w_mod, w_fund;
  uint32_t base; /* priority and fairness: the same for every offer */
  uint8_t mh[RT__MH_K];
} rt__need_ctx_t;

/* The features of one offer, as the row kernel loads them. */
typedef struct rt__offer_view_s {
  uint32_t th, sib, lang[RT__LANG_WORDS], reg, ctry, mod, part;
  int32_t ws, we;
  float fund;
  uint32_t common; /* equal MinHash slots */
} rt__offer_view_t;

/* Counting in 32-bit lanes, because the vectoriser turns a builtin popcount into a call. */
RT__INLINE uint32_t rt__popcount2(uint32_t a, uint32_t b) {
  a = a - ((a >> 1) & 0x55555555u);
  b = b - ((b >> 1) & 0x55555555u);
  a = (a & 0x33333333u) + ((a >> 2) & 0x33333333u);
  b = (b & 0x33333333u) + ((b >> 2) & 0x33333333u);
  uint32_t x = a + b; /* at most 8 per nibble */
  x = (x & 0x0F0F0F0Fu) + ((x >> 4) & 0x0F0F0F0Fu);
  x = x + (x >> 8);
  x = x + (x >> 16);
  return x & 0xFFu;
}

RT__INLINE uint32_t rt__min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Rounds x >= 0 to the nearest integer (halves up), capped at Q. x may be far above Q (a huge
 * funding against a tiny budget): it is capped before the conversion, which would be undefined. */
RT__INLINE uint32_t rt__round_q(float x) {
  x = x < (float)RT__Q ? x : (float)RT__Q;
  return (uint32_t)(int32_t)(x + 0.5f);
}

/* theme: the mean over the need's themes of 1 (the offer has it), 1/2 (the offer has a sibling
 * under the same parent) or 0. exact + shared counts an exact theme twice, a sibling once. */
RT__INLINE uint32_t rt__v_theme(const rt__need_ctx_t *c, uint32_t o_th, uint32_t o_sib) {
  uint32_t a = rt__popcount2(c->th & o_th, c->th & o_sib);
  return rt__round_q((float)a * c->th_scale);
}

RT__INLINE uint32_t rt__v_text(uint32_t common) { return common * (RT__Q / RT__MH_K); }

/* window: the share of the need's days that the offer's window covers; 1 when the need gives no
 * window or the offer gives none (it is then available throughout). */
RT__INLINE uint32_t rt__v_window(const rt__need_ctx_t *c, int32_t o_ws, int32_t o_we) {
  int32_t lo = c->ws > o_ws ? c->ws : o_ws;
  int32_t hi = c->we < o_we ? c->we : o_we;
  int32_t days = hi - lo + 1;
  days = days < 0 ? 0 : days;
  uint32_t v = rt__round_q((float)days * c->win_scale);
  return c->has_win ? v : RT__Q;
}

RT__INLINE uint32_t rt__v_modality(const rt__need_ctx_t *c, uint32_t o_mod) {
  /* exact and half are disjoint: exact gives 2 halves, half gives 1 (written without branches
   * so that the loop vectorises) */
  uint32_t e = (o_mod & c->mod_exact) != 0, h = (o_mod & c->mod_half) != 0;
  return (RT__Q / 2) * (e + (e | h));
}

/* funding: 1 when the offer's funding covers the need's budget, else the share it covers;
 * 1/2 (neutral) when either side gives no amount. */
RT__INLINE uint32_t rt__v_funding(const rt__need_ctx_t *c, float o_fund) {
  float f = o_fund > 0.0f ? o_fund : 0.0f; /* a missing amount (-1) is neutral below anyway */
  uint32_t v = o_fund >= c->budget ? RT__Q : rt__round_q(f * c->fund_scale);
  return (c->has_budget & (o_fund >= 0.0f)) ? v : RT__Q / 2;
}

RT__INLINE bool rt__feasible_view(const rt__need_ctx_t *c, const rt__offer_view_t *v) {
  uint32_t lang = 0;
  for (int k = 0; k < RT__LANG_WORDS; k++)
    lang |= c->lang[k] & v->lang[k];
  int32_t lo = c->ws > v->ws ? c->ws : v->ws;
  int32_t hi = c->we < v->we ? c->we : v->we;
  return (lang != 0) & ((v->reg & c->rbit) != 0) & ((v->ctry & c->cbit) != 0) &
         ((v->mod & c->mod_bad) == 0) & (lo <= hi) & ((c->th & v->sib) != 0) & (v->part != c->part);
}

/* The pair formula: the score of a feasible pair, or -1. Exclusions (declined and agreed pairs)
 * and the need being open are checked by the callers. */
RT__INLINE int32_t rt__pair_eval(const rt__need_ctx_t *c, const rt__offer_view_t *v) {
  uint32_t s = c->base + c->w_theme * rt__v_theme(c, v->th, v->sib) +
               c->w_text * rt__v_text(v->common) + c->w_window * rt__v_window(c, v->ws, v->we) +
               c->w_mod * rt__v_modality(c, v->mod) + c->w_fund * rt__v_funding(c, v->fund);
  return rt__feasible_view(c, v) ? (int32_t)s : -1;
}

/* Fills c for internal need n. */
void rt__need_ctx(const rt_match_instance_t *inst, uint32_t n, const rt_match_weights_t *w,
                  rt__need_ctx_t *c);
/* Loads internal offer o for the scalar paths. */
void rt__offer_view(const rt_match_instance_t *inst, const rt__need_ctx_t *c, uint32_t o,
                    rt__offer_view_t *v);
/* Scores internal need n against offers [o0, o1) (multiples of RT__PAD) into out[o - o0],
 * vectorised; exclusions are not applied. scratch holds o1 - o0 bytes. */
void rt__score_range(const rt_match_instance_t *inst, const rt__need_ctx_t *c, uint32_t o0,
                     uint32_t o1, int32_t *out, uint8_t *scratch);
/* Sets out[o - o0] = -1 for the offers in [o0, o1) that need n excludes. */
void rt__apply_exclusions(const rt_match_instance_t *inst, uint32_t n, uint32_t o0, uint32_t o1,
                          int32_t *out);
/* The internal index of the need or offer with this id, or -1. */
long rt__need_index(const rt_match_instance_t *inst, int64_t id);
long rt__offer_index(const rt_match_instance_t *inst, int64_t id);

/* The exclusion of (n, o): 0 none, 1 declined, 2 agreed (binary search). */
int rt__excluded(const rt__excl_t *x, uint32_t a, uint32_t b);
/* First broken rule of internal (n, o), or RT_MATCH_FEASIBLE; and the set of broken rules as a
 * bitset of reasons (for unmet reasons). */
rt_match_reason_t rt__reason(const rt_match_instance_t *inst, uint32_t n, uint32_t o,
                             uint32_t *all);
/* Breakdown of internal (n, o). */
void rt__breakdown(const rt_match_instance_t *inst, const rt__need_ctx_t *c,
                   const rt_match_weights_t *w, uint32_t n, uint32_t o, rt_match_breakdown_t *out);

/* 1 when w's quantised weights are in range and sum to exactly RT__W. */
int rt__weights_ok(const rt_match_weights_t *w);

/* Allocation through one door, so tests can make the n-th allocation fail. */
extern long rt__match_fail_countdown; /* < 0: never fail */
void *rt__match_alloc(rt_arena_t *a, size_t n);

#endif
