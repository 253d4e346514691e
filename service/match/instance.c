/* Building an instance: validate once, then encode every posting into the struct-of-arrays
 * layout the kernels read (bitsets, day numbers, text signatures), ordered by id. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

long rt__match_fail_countdown = -1;

void *rt__match_alloc(rt_arena_t *a, size_t n) {
  if (rt__match_fail_countdown >= 0 && rt__match_fail_countdown-- == 0)
    return NULL;
  return rt_arena_alloc(a, n ? n : 1);
}

/* Zeroed, so that padding entries read as "nothing" (no theme, no language: never feasible). */
static void *zalloc(rt_arena_t *a, size_t count, size_t size) {
  if (size && count > SIZE_MAX / size)
    return NULL;
  void *p = rt__match_alloc(a, count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int code, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

typedef struct id_idx_s {
  int64_t id;
  uint32_t idx;
} id_idx_t;

static int cmp_id_idx(const void *a, const void *b) {
  const id_idx_t *x = a, *y = b;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Index of id in the sorted ids, or -1. */
static long find_i64(const int64_t *ids, size_t n, int64_t id) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ids[mid] == id)
      return (long)mid;
    if (ids[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* "KEN" -> 15 bits; -1 unless exactly three letters A-Z. */
static int country_code(const char *s) {
  if (!s)
    return -1;
  int v = 0;
  for (int i = 0; i < 3; i++) {
    if (s[i] < 'A' || s[i] > 'Z')
      return -1;
    v = v * 32 + (s[i] - 'A');
  }
  return s[3] == '\0' ? v : -1;
}

static int32_t clamp_day(int32_t d) {
  return d < -RT__DAY_LIMIT ? -RT__DAY_LIMIT : d > RT__DAY_LIMIT ? RT__DAY_LIMIT : d;
}

static float cents_to_usd(int64_t cents) {
  return cents < 0 ? -1.0f : (float)((double)cents / 100.0);
}

typedef struct build_s {
  const rt_match_input_t *in;
  rt_match_instance_t *inst;
  char *err;
  size_t errlen;
  int64_t *parts; /* sorted distinct participant ids */
  size_t n_parts;
  int16_t lang_map[RT_MATCH_MAX_LANGUAGES]; /* caller language index -> dense, -1 unused */
  int16_t *ctry_map;                        /* 15-bit code -> dense, -1 unused */
  rt__text_ctx_t text;
} build_t;

static int check_posting(build_t *b, const char *what, int64_t id, const uint8_t *themes,
                         uint32_t n_themes, const uint8_t *langs, uint32_t n_langs, bool has_window,
                         int32_t ws, int32_t we) {
  if (n_themes == 0 || !themes)
    return fail(b->err, b->errlen, RT_EINVAL, "%s %lld: no theme", what, (long long)id);
  for (uint32_t i = 0; i < n_themes; i++)
    if (themes[i] >= b->in->n_themes)
      return fail(b->err, b->errlen, RT_EINVAL, "%s %lld: theme index %u out of range", what,
                  (long long)id, themes[i]);
  if (n_langs && !langs)
    return fail(b->err, b->errlen, RT_EINVAL, "%s %lld: languages missing", what, (long long)id);
  for (uint32_t i = 0; i < n_langs; i++)
    if (langs[i] >= RT_MATCH_MAX_LANGUAGES)
      return fail(b->err, b->errlen, RT_EINVAL, "%s %lld: language index %u out of range", what,
                  (long long)id, langs[i]);
  if (has_window && we < ws)
    return fail(b->err, b->errlen, RT_EINVAL, "%s %lld: window ends before it starts", what,
                (long long)id);
  return 0;
}

static int validate(build_t *b) {
  const rt_match_input_t *in = b->in;
  if (in->n_themes > RT_MATCH_MAX_THEMES)
    return fail(b->err, b->errlen, RT_E2BIG, "taxonomy: %u themes, at most %d", in->n_themes,
                RT_MATCH_MAX_THEMES);
  if (in->n_themes && !in->theme_parent)
    return fail(b->err, b->errlen, RT_EINVAL, "taxonomy: theme_parent missing");
  for (uint32_t t = 0; t < in->n_themes; t++)
    if (in->theme_parent[t] >= RT_MATCH_MAX_PARENTS)
      return fail(b->err, b->errlen, RT_E2BIG, "taxonomy: parent of theme %u out of range", t);
  if (in->n_needs > INT32_MAX - RT__PAD || in->n_offers > INT32_MAX - RT__PAD)
    return fail(b->err, b->errlen, RT_E2BIG, "too many needs or offers");
  if ((in->n_needs && !in->needs) || (in->n_offers && !in->offers) ||
      (in->n_declined && !in->declined) || (in->n_agreed && !in->agreed))
    return fail(b->err, b->errlen, RT_EINVAL, "input: array missing");
  for (size_t i = 0; i < in->n_needs; i++) {
    const rt_match_need_t *n = &in->needs[i];
    int rc = check_posting(b, "need", n->id, n->themes, n->n_themes, n->languages, n->n_languages,
                           n->has_window, n->window_start, n->window_end);
    if (rc < 0)
      return rc;
    if ((unsigned)n->modality > RT_MATCH_ANY)
      return fail(b->err, b->errlen, RT_EINVAL, "need %lld: bad modality", (long long)n->id);
    if ((unsigned)n->priority > RT_MATCH_PRIORITY_LOW)
      return fail(b->err, b->errlen, RT_EINVAL, "need %lld: bad priority", (long long)n->id);
    if (n->region >= RT_MATCH_MAX_REGIONS)
      return fail(b->err, b->errlen, RT_EINVAL, "need %lld: region index %u out of range",
                  (long long)n->id, n->region);
    if (n->country && country_code(n->country) < 0)
      return fail(b->err, b->errlen, RT_EINVAL, "need %lld: country is not an alpha-3 code",
                  (long long)n->id);
  }
  for (size_t i = 0; i < in->n_offers; i++) {
    const rt_match_offer_t *o = &in->offers[i];
    int rc = check_posting(b, "offer", o->id, o->themes, o->n_themes, o->languages, o->n_languages,
                           o->has_window, o->window_start, o->window_end);
    if (rc < 0)
      return rc;
    if ((unsigned)o->modality > RT_MATCH_HYBRID)
      return fail(b->err, b->errlen, RT_EINVAL, "offer %lld: bad modality", (long long)o->id);
    if (o->n_regions && !o->regions)
      return fail(b->err, b->errlen, RT_EINVAL, "offer %lld: regions missing", (long long)o->id);
    for (uint32_t r = 0; r < o->n_regions; r++)
      if (o->regions[r] >= RT_MATCH_MAX_REGIONS)
        return fail(b->err, b->errlen, RT_EINVAL, "offer %lld: region index %u out of range",
                    (long long)o->id, o->regions[r]);
    if (o->n_countries && !o->countries)
      return fail(b->err, b->errlen, RT_EINVAL, "offer %lld: countries missing", (long long)o->id);
    for (uint32_t c = 0; c < o->n_countries; c++)
      if (country_code(o->countries[c]) < 0)
        return fail(b->err, b->errlen, RT_EINVAL, "offer %lld: country %u is not an alpha-3 code",
                    (long long)o->id, c);
  }
  return 0;
}

/* Orders one side by id; refuses duplicates. */
static int order_by_id(build_t *b, const char *what, size_t n, const void *base, size_t stride,
                       uint32_t **ext, uint32_t **intl, int64_t **ids_sorted) {
  rt_arena_t *a = &b->inst->arena;
  id_idx_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
  if (!tmp)
    return RT_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    tmp[i].id = *(const int64_t *)((const char *)base + i * stride); /* id is the first field */
    tmp[i].idx = (uint32_t)i;
  }
  qsort(tmp, n, sizeof(*tmp), cmp_id_idx);
  int rc = 0;
  for (size_t i = 1; i < n; i++)
    if (tmp[i].id == tmp[i - 1].id) {
      rc = fail(b->err, b->errlen, RT_EINVAL, "%s %lld: duplicate id", what, (long long)tmp[i].id);
      goto out;
    }
  *ext = zalloc(a, n, sizeof(uint32_t));
  *intl = zalloc(a, n, sizeof(uint32_t));
  if (!*ext || !*intl) {
    rc = RT_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    (*ext)[i] = tmp[i].idx;
    (*intl)[tmp[i].idx] = (uint32_t)i;
    (*ids_sorted)[i] = tmp[i].id;
  }
out:
  free(tmp);
  return rc;
}

static uint32_t part_index(const build_t *b, int64_t id) {
  return (uint32_t)find_i64(b->parts, b->n_parts, id);
}

static int collect_participants(build_t *b) {
  const rt_match_input_t *in = b->in;
  size_t n = in->n_needs + in->n_offers;
  b->parts = malloc((n ? n : 1) * sizeof(int64_t));
  if (!b->parts)
    return RT_ENOMEM;
  for (size_t i = 0; i < in->n_needs; i++)
    b->parts[i] = in->needs[i].participant_id;
  for (size_t i = 0; i < in->n_offers; i++)
    b->parts[in->n_needs + i] = in->offers[i].participant_id;
  qsort(b->parts, n, sizeof(int64_t), cmp_i64);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || b->parts[k - 1] != b->parts[i])
      b->parts[k++] = b->parts[i];
  b->n_parts = k;
  return 0;
}

/* Languages and countries are renumbered densely, so that the usual handful of languages fits
 * one 32-bit word per posting and the countries of the needs fit 256 bits per offer. */
static int map_codes(build_t *b) {
  const rt_match_input_t *in = b->in;
  bool used[RT_MATCH_MAX_LANGUAGES] = {false};
  for (size_t i = 0; i < in->n_needs; i++)
    for (uint32_t k = 0; k < in->needs[i].n_languages; k++)
      used[in->needs[i].languages[k]] = true;
  for (size_t i = 0; i < in->n_offers; i++)
    for (uint32_t k = 0; k < in->offers[i].n_languages; k++)
      used[in->offers[i].languages[k]] = true;
  uint32_t nl = 0;
  for (int l = 0; l < RT_MATCH_MAX_LANGUAGES; l++)
    b->lang_map[l] = used[l] ? (int16_t)nl++ : -1;
  b->inst->n_langs = nl;
  b->inst->lang_words = nl <= 32 ? 1 : (nl + 31) / 32;

  b->ctry_map = malloc(32768 * sizeof(int16_t));
  if (!b->ctry_map)
    return RT_ENOMEM;
  for (int c = 0; c < 32768; c++)
    b->ctry_map[c] = -1;
  /* Dense numbers in code order, so they do not depend on the input order. */
  for (size_t i = 0; i < in->n_needs; i++)
    if (in->needs[i].country)
      b->ctry_map[country_code(in->needs[i].country)] = 0;
  int nc = 0;
  for (int c = 0; c < 32768; c++)
    if (b->ctry_map[c] == 0) {
      if (nc >= RT_MATCH_MAX_COUNTRIES)
        return fail(b->err, b->errlen, RT_E2BIG, "more than %d distinct countries among the needs",
                    RT_MATCH_MAX_COUNTRIES);
      b->ctry_map[c] = (int16_t)nc++;
    }
  return 0;
}

static void lang_bits(const build_t *b, const uint8_t *langs, uint32_t n, uint32_t **words,
                      uint32_t at) {
  for (uint32_t k = 0; k < n; k++) {
    int d = b->lang_map[langs[k]];
    words[d / 32][at] |= 1u << (d % 32);
  }
}

static uint32_t theme_bits(const uint8_t *themes, uint32_t n) {
  uint32_t m = 0;
  for (uint32_t k = 0; k < n; k++)
    m |= 1u << themes[k];
  return m;
}

static uint32_t parent_bits(const rt_match_input_t *in, uint32_t th) {
  uint32_t m = 0;
  for (uint32_t t = 0; t < in->n_themes; t++)
    if (th & (1u << t))
      m |= 1u << in->theme_parent[t];
  return m;
}

static int alloc_needs(rt_match_instance_t *inst) {
  rt_arena_t *a = &inst->arena;
  rt__need_soa_t *s = &inst->n;
  size_t n = inst->n_pad;
#define ALLOC(f, T)                                                                                \
  if (!(s->f = zalloc(a, n, sizeof(T))))                                                           \
    return RT_ENOMEM;
  ALLOC(id, int64_t)
  ALLOC(part, uint32_t)
  ALLOC(th, uint32_t)
  ALLOC(par, uint32_t)
  for (int k = 0; k < RT__LANG_WORDS; k++)
    ALLOC(lang[k], uint32_t)
  ALLOC(region, uint8_t)
  ALLOC(ctry, uint8_t)
  ALLOC(mod, uint8_t)
  ALLOC(prio, uint8_t)
  ALLOC(open, uint8_t)
  ALLOC(has_win, uint8_t)
  ALLOC(ws, int32_t)
  ALLOC(we, int32_t)
  ALLOC(budget, float)
  ALLOC(left, uint32_t)
  ALLOC(fair_q, uint32_t)
  ALLOC(served, uint8_t)
  if (!(s->mh = zalloc(a, n, RT__MH_K)))
    return RT_ENOMEM;
  return 0;
}

static int alloc_offers(rt_match_instance_t *inst) {
  rt_arena_t *a = &inst->arena;
  rt__offer_soa_t *s = &inst->o;
  size_t n = inst->m_pad;
  ALLOC(id, int64_t)
  ALLOC(part, uint32_t)
  ALLOC(th, uint32_t)
  ALLOC(par, uint32_t)
  ALLOC(sib, uint32_t)
  for (int k = 0; k < RT__LANG_WORDS; k++)
    ALLOC(lang[k], uint32_t)
  ALLOC(reg, uint32_t)
  ALLOC(reg_raw, uint32_t)
  for (int k = 0; k < RT__CTRY_WORDS; k++)
    ALLOC(ctry[k], uint32_t)
  ALLOC(ctry_restricted, uint8_t)
  ALLOC(mod, uint32_t)
  ALLOC(ws, int32_t)
  ALLOC(we, int32_t)
  ALLOC(fund, float)
  ALLOC(left, uint32_t)
  ALLOC(open, uint8_t)
#undef ALLOC
  if (!(s->mh = zalloc(a, n, RT__MH_K)))
    return RT_ENOMEM;
  return 0;
}

/* Agreed pairs use up partners and capacity; declined and agreed pairs are excluded. Both are
 * kept as sorted lists per need and per offer. */
static int encode_pairs(build_t *b, uint32_t *n_agreed, uint32_t *o_agreed) {
  const rt_match_input_t *in = b->in;
  rt_match_instance_t *inst = b->inst;
  size_t total = in->n_declined + in->n_agreed;
  uint64_t *nk = malloc((total ? total : 1) * sizeof(uint64_t));
  uint64_t *ok = malloc((total ? total : 1) * sizeof(uint64_t));
  int rc = RT_ENOMEM;
  if (!nk || !ok)
    goto out;
  size_t k = 0;
  for (size_t i = 0; i < total; i++) {
    bool agreed = i >= in->n_declined;
    const rt_match_pair_t *p = agreed ? &in->agreed[i - in->n_declined] : &in->declined[i];
    long n = find_i64(inst->n.id, inst->n_needs, p->need_id);
    long o = find_i64(inst->o.id, inst->n_offers, p->offer_id);
    if (agreed) {
      if (n >= 0)
        n_agreed[n]++;
      if (o >= 0)
        o_agreed[o]++;
    }
    if (n < 0 || o < 0)
      continue;
    nk[k] = (uint64_t)n << 32 | ((uint64_t)o << 1) | agreed;
    ok[k] = (uint64_t)o << 32 | ((uint64_t)n << 1) | agreed;
    k++;
  }
  qsort(nk, k, sizeof(uint64_t), cmp_i64); /* keys stay below 2^63 */
  qsort(ok, k, sizeof(uint64_t), cmp_i64);
  rt__excl_t *xs[2] = {&inst->nx, &inst->ox};
  uint64_t *keys[2] = {nk, ok};
  uint32_t sides[2] = {inst->n_needs, inst->n_offers};
  for (int s = 0; s < 2; s++) {
    rt__excl_t *x = xs[s];
    x->start = zalloc(&inst->arena, (size_t)sides[s] + 1, sizeof(uint32_t));
    x->items = zalloc(&inst->arena, k, sizeof(uint32_t));
    if (!x->start || !x->items)
      goto out;
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
      uint32_t owner = (uint32_t)(keys[s][i] >> 32), item = (uint32_t)keys[s][i];
      /* a pair both declined and agreed appears once, as agreed (the larger key) */
      if (i + 1 < k && (keys[s][i + 1] | 1) == (keys[s][i] | 1))
        continue;
      x->items[m++] = item;
      x->start[owner + 1]++;
    }
    for (uint32_t i = 0; i < sides[s]; i++)
      x->start[i + 1] += x->start[i];
  }
  rc = 0;
out:
  free(nk);
  free(ok);
  return rc;
}

static void set_bit(uint64_t *words, uint32_t i) { words[i / 64] |= UINT64_C(1) << (i % 64); }

static int build_index(rt_match_instance_t *inst) {
  rt_arena_t *a = &inst->arena;
  size_t mw = inst->m_words, nw = inst->n_words, nl = inst->n_langs ? inst->n_langs : 1;
  inst->oi_parent = zalloc(a, RT_MATCH_MAX_PARENTS * mw, sizeof(uint64_t));
  inst->oi_lang = zalloc(a, nl * mw, sizeof(uint64_t));
  inst->oi_region = zalloc(a, RT_MATCH_MAX_REGIONS * mw, sizeof(uint64_t));
  inst->ni_parent = zalloc(a, RT_MATCH_MAX_PARENTS * nw, sizeof(uint64_t));
  inst->ni_lang = zalloc(a, nl * nw, sizeof(uint64_t));
  inst->ni_region = zalloc(a, RT_MATCH_MAX_REGIONS * nw, sizeof(uint64_t));
  if (!inst->oi_parent || !inst->oi_lang || !inst->oi_region || !inst->ni_parent ||
      !inst->ni_lang || !inst->ni_region)
    return RT_ENOMEM;
  for (uint32_t o = 0; o < inst->n_offers; o++) {
    for (uint32_t p = 0; p < RT_MATCH_MAX_PARENTS; p++)
      if (inst->o.par[o] & (1u << p))
        set_bit(inst->oi_parent + p * mw, o);
    for (uint32_t l = 0; l < inst->n_langs; l++)
      if (inst->o.lang[l / 32][o] & (1u << (l % 32)))
        set_bit(inst->oi_lang + l * mw, o);
    for (uint32_t r = 0; r < RT_MATCH_MAX_REGIONS; r++)
      if (inst->o.reg[o] & (1u << r))
        set_bit(inst->oi_region + r * mw, o);
  }
  for (uint32_t n = 0; n < inst->n_needs; n++) {
    for (uint32_t p = 0; p < RT_MATCH_MAX_PARENTS; p++)
      if (inst->n.par[n] & (1u << p))
        set_bit(inst->ni_parent + p * nw, n);
    for (uint32_t l = 0; l < inst->n_langs; l++)
      if (inst->n.lang[l / 32][n] & (1u << (l % 32)))
        set_bit(inst->ni_lang + l * nw, n);
    if (inst->n.open[n])
      set_bit(inst->ni_region + inst->n.region[n] * nw, n);
  }
  return 0;
}

static uint32_t fairness_q(uint32_t partnerships) {
  uint64_t d = (uint64_t)partnerships + 1;
  return (uint32_t)((RT__Q + d / 2) / d);
}

static int encode(build_t *b) {
  const rt_match_input_t *in = b->in;
  rt_match_instance_t *inst = b->inst;
  int rc;
  uint32_t *n_agreed = NULL, *o_agreed = NULL;
  for (uint32_t t = 0; t < in->n_themes; t++)
    inst->children[in->theme_parent[t]] |= 1u << t;
  inst->n_themes = in->n_themes;

  n_agreed = calloc(inst->n_needs + 1, sizeof(uint32_t));
  o_agreed = calloc(inst->n_offers + 1, sizeof(uint32_t));
  if (!n_agreed || !o_agreed) {
    rc = RT_ENOMEM;
    goto out;
  }
  /* ids first: pairs are resolved against them */
  for (uint32_t i = 0; i < inst->n_needs; i++)
    inst->n.id[i] = in->needs[inst->need_ext[i]].id;
  for (uint32_t i = 0; i < inst->n_offers; i++)
    inst->o.id[i] = in->offers[inst->offer_ext[i]].id;
  if ((rc = encode_pairs(b, n_agreed, o_agreed)) < 0)
    goto out;

  rt__need_soa_t *ns = &inst->n;
  for (uint32_t i = 0; i < inst->n_needs; i++) {
    const rt_match_need_t *src = &in->needs[inst->need_ext[i]];
    ns->part[i] = part_index(b, src->participant_id);
    ns->th[i] = theme_bits(src->themes, src->n_themes);
    ns->par[i] = parent_bits(in, ns->th[i]);
    lang_bits(b, src->languages, src->n_languages, ns->lang, i);
    ns->region[i] = src->region;
    ns->ctry[i] = src->country ? (uint8_t)b->ctry_map[country_code(src->country)] : RT__NO_COUNTRY;
    ns->mod[i] = (uint8_t)src->modality;
    ns->prio[i] = (uint8_t)src->priority;
    ns->open[i] = src->open;
    ns->has_win[i] = src->has_window;
    ns->ws[i] = src->has_window ? clamp_day(src->window_start) : -RT__DAY_OPEN;
    ns->we[i] = src->has_window ? clamp_day(src->window_end) : RT__DAY_OPEN;
    ns->budget[i] = cents_to_usd(src->budget_cents);
    ns->left[i] = src->max_partners > n_agreed[i] ? src->max_partners - n_agreed[i] : 0;
    ns->fair_q[i] = fairness_q(src->state_partnerships);
    ns->served[i] = src->state_served;
    const char *texts[2] = {src->title, src->description};
    uint8_t sig[RT__MH_K];
    rt__text_signature(&b->text, texts, 2, false, sig);
    for (int k = 0; k < RT__MH_K; k++)
      ns->mh[(size_t)k * inst->n_pad + i] = sig[k];
  }
  for (uint32_t i = inst->n_needs; i < inst->n_pad; i++)
    for (int k = 0; k < RT__MH_K; k++)
      ns->mh[(size_t)k * inst->n_pad + i] = RT__MH_EMPTY_NEED;

  rt__offer_soa_t *os = &inst->o;
  for (uint32_t i = 0; i < inst->n_offers; i++) {
    const rt_match_offer_t *src = &in->offers[inst->offer_ext[i]];
    os->part[i] = part_index(b, src->participant_id);
    os->th[i] = theme_bits(src->themes, src->n_themes);
    os->par[i] = parent_bits(in, os->th[i]);
    for (uint32_t p = 0; p < RT_MATCH_MAX_PARENTS; p++)
      if (os->par[i] & (1u << p))
        os->sib[i] |= inst->children[p];
    lang_bits(b, src->languages, src->n_languages, os->lang, i);
    uint32_t regs = 0;
    for (uint32_t r = 0; r < src->n_regions; r++)
      regs |= 1u << src->regions[r];
    os->reg_raw[i] = src->n_regions ? regs : 0xFFu;
    os->left[i] = src->capacity > o_agreed[i] ? src->capacity - o_agreed[i] : 0;
    os->open[i] = src->open;
    os->reg[i] = (src->open && os->left[i] > 0) ? os->reg_raw[i] : 0;
    os->ctry_restricted[i] = src->n_countries > 0;
    for (int w = 0; w < RT__CTRY_WORDS; w++)
      os->ctry[w][i] = src->n_countries ? 0 : 0xFFFFFFFFu;
    for (uint32_t c = 0; c < src->n_countries; c++) {
      int d = b->ctry_map[country_code(src->countries[c])];
      if (d >= 0) /* a country no need is in cannot admit anyone */
        os->ctry[d / 32][i] |= 1u << (d % 32);
    }
    os->mod[i] = RT__MOD_BIT(src->modality);
    os->ws[i] = src->has_window ? clamp_day(src->window_start) : -RT__DAY_OPEN;
    os->we[i] = src->has_window ? clamp_day(src->window_end) : RT__DAY_OPEN;
    os->fund[i] = cents_to_usd(src->funding_cents);
    const char *texts[2] = {src->title, src->description};
    uint8_t sig[RT__MH_K];
    rt__text_signature(&b->text, texts, 2, true, sig);
    for (int k = 0; k < RT__MH_K; k++)
      os->mh[(size_t)k * inst->m_pad + i] = sig[k];
  }
  for (uint32_t i = inst->n_offers; i < inst->m_pad; i++) {
    os->ws[i] = 1;
    os->we[i] = 0; /* an empty window: padding is never feasible, even by accident */
    for (int k = 0; k < RT__MH_K; k++)
      os->mh[(size_t)k * inst->m_pad + i] = RT__MH_EMPTY_OFFER;
  }
  rc = build_index(inst);
out:
  free(n_agreed);
  free(o_agreed);
  return rc;
}

static uint32_t pad_to(size_t n) { return (uint32_t)((n + RT__PAD - 1) / RT__PAD * RT__PAD); }

int rt_match_instance_build(const rt_match_input_t *in, rt_match_instance_t **out, char *err,
                            size_t errlen) {
  build_t b;
  memset(&b, 0, sizeof(b));
  b.in = in;
  b.err = err;
  b.errlen = errlen;
  if (err && errlen)
    err[0] = '\0';
  *out = NULL;
  if (!in)
    return fail(err, errlen, RT_EINVAL, "input missing");
  int rc = validate(&b);
  if (rc < 0)
    return rc;
  rt_match_instance_t *inst = calloc(1, sizeof(*inst));
  if (rt__match_fail_countdown >= 0 && rt__match_fail_countdown-- == 0) {
    free(inst);
    inst = NULL;
  }
  if (!inst)
    return fail(err, errlen, RT_ENOMEM, "out of memory");
  b.inst = inst;
  rt_arena_init(&inst->arena, 1 << 20);
  inst->n_needs = (uint32_t)in->n_needs;
  inst->n_offers = (uint32_t)in->n_offers;
  inst->n_pad = pad_to(in->n_needs);
  inst->m_pad = pad_to(in->n_offers);
  inst->n_words = (inst->n_pad + 63) / 64;
  inst->m_words = (inst->m_pad + 63) / 64;
  rt__text_init(&b.text);
  if ((rc = alloc_needs(inst)) < 0 || (rc = alloc_offers(inst)) < 0)
    goto fail;
  if ((rc = order_by_id(&b, "need", in->n_needs, in->needs, sizeof(rt_match_need_t),
                        &inst->need_ext, &inst->need_int, &inst->n.id)) < 0)
    goto fail;
  if ((rc = order_by_id(&b, "offer", in->n_offers, in->offers, sizeof(rt_match_offer_t),
                        &inst->offer_ext, &inst->offer_int, &inst->o.id)) < 0)
    goto fail;
  if ((rc = collect_participants(&b)) < 0 || (rc = map_codes(&b)) < 0 || (rc = encode(&b)) < 0)
    goto fail;
  free(b.parts);
  free(b.ctry_map);
  *out = inst;
  return 0;
fail:
  if (rc == RT_ENOMEM && err && errlen && !err[0])
    fail(err, errlen, rc, "out of memory");
  free(b.parts);
  free(b.ctry_map);
  rt_match_instance_free(inst);
  return rc;
}

void rt_match_instance_free(rt_match_instance_t *inst) {
  if (!inst)
    return;
  rt_arena_reset(&inst->arena);
  free(inst);
}

size_t rt_match_instance_needs(const rt_match_instance_t *inst) { return inst->n_needs; }
size_t rt_match_instance_offers(const rt_match_instance_t *inst) { return inst->n_offers; }

uint32_t rt_match_need_partners_left(const rt_match_instance_t *inst, size_t need) {
  return need < inst->n_needs ? inst->n.left[inst->need_int[need]] : 0;
}

uint32_t rt_match_offer_capacity_left(const rt_match_instance_t *inst, size_t offer) {
  return offer < inst->n_offers ? inst->o.left[inst->offer_int[offer]] : 0;
}

long rt__need_index(const rt_match_instance_t *inst, int64_t id) {
  return find_i64(inst->n.id, inst->n_needs, id);
}

long rt__offer_index(const rt_match_instance_t *inst, int64_t id) {
  return find_i64(inst->o.id, inst->n_offers, id);
}
