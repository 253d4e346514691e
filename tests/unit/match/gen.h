/* Random instances for the engine's tests: small vocabularies so that every rule and every tie
 * is hit often. Deterministic from a seed. */
#ifndef RT_TEST_MATCH_GEN_H
#define RT_TEST_MATCH_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roundtable/match.h"

/* A taxonomy of 7 themes under 3 parents (plus the real one's shape is tested elsewhere). */
#define TG_THEMES 7
static const uint8_t tg_parent[TG_THEMES] = {0, 0, 0, 1, 1, 2, 2};
static const char *const tg_countries[] = {"KEN", "FRA", "CHN", "BRA", "RUS"};
static const char *const tg_words[] = {"csirt",    "incident", "response", "forensics", "law",
                                       "training", "sécurité", "securite", "网络安全",  "能力建设",
                                       "Кибер",    "кибер",    "norms",    "crisis",    "strategy"};

typedef struct tg_rng_s {
  uint64_t s;
} tg_rng_t;

static inline uint64_t tg_next(tg_rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline int tg_below(tg_rng_t *r, int n) { return (int)(tg_next(r) % (uint64_t)n); }

typedef struct tg_s {
  rt_match_need_t *needs;
  rt_match_offer_t *offers;
  size_t nn, no;
  uint8_t (*themes)[4];
  uint8_t (*langs)[3];
  uint8_t (*regions)[2];
  const char *(*countries)[3];
  char (*text)[160];
  rt_match_pair_t declined[16], agreed[16];
  size_t n_declined, n_agreed;
} tg_t;

typedef struct tg_opts_s {
  int langs;        /* distinct languages (1..128) */
  int open_pct;     /* chance a posting is open */
  int pairs;        /* declined and agreed pairs to draw (each at most 16) */
  int max_partners; /* 1..this */
  int capacity;     /* 1..this */
} tg_opts_t;

static inline void tg_text(tg_rng_t *r, char *buf, size_t cap) {
  size_t len = 0;
  int words = 1 + tg_below(r, 5);
  buf[0] = '\0';
  for (int i = 0; i < words; i++) {
    const char *w = tg_words[tg_below(r, (int)(sizeof(tg_words) / sizeof(tg_words[0])))];
    int n = snprintf(buf + len, cap - len, "%s%s", i ? " " : "", w);
    if (n < 0 || (size_t)n >= cap - len)
      break;
    len += (size_t)n;
  }
}

static inline int tg_fill_set(tg_rng_t *r, uint8_t *out, int max, int range) {
  int n = 1 + tg_below(r, max), k = 0;
  for (int tries = 0; k < n && tries < 50; tries++) {
    uint8_t v = (uint8_t)tg_below(r, range);
    int dup = 0;
    for (int i = 0; i < k; i++)
      dup |= out[i] == v;
    if (!dup)
      out[k++] = v;
  }
  return k;
}

static inline void tg_free(tg_t *g) {
  free(g->needs);
  free(g->offers);
  free(g->themes);
  free(g->langs);
  free(g->regions);
  free(g->countries);
  free(g->text);
  memset(g, 0, sizeof(*g));
}

static inline void tg_make(tg_t *g, uint64_t seed, size_t nn, size_t no, const tg_opts_t *o) {
  tg_rng_t r = {seed * 7919 + 1};
  memset(g, 0, sizeof(*g));
  g->nn = nn;
  g->no = no;
  size_t np = nn + no;
  g->needs = calloc(nn + 1, sizeof(*g->needs));
  g->offers = calloc(no + 1, sizeof(*g->offers));
  g->themes = calloc(np + 1, sizeof(*g->themes));
  g->langs = calloc(np + 1, sizeof(*g->langs));
  g->regions = calloc(no + 1, sizeof(*g->regions));
  g->countries = calloc(no + 1, sizeof(*g->countries));
  g->text = calloc(2 * np + 1, sizeof(*g->text));
  if (!g->needs || !g->offers || !g->themes || !g->langs || !g->regions || !g->countries ||
      !g->text)
    abort();
  int langs = o && o->langs ? o->langs : 4;
  int open_pct = o && o->open_pct ? o->open_pct : 90;
  int maxp = o && o->max_partners ? o->max_partners : 3;
  int capa = o && o->capacity ? o->capacity : 3;
  for (size_t i = 0; i < nn; i++) {
    rt_match_need_t *n = &g->needs[i];
    n->id = (int64_t)(i * 3 + 10); /* ids not in index order after shuffles */
    n->participant_id = 1 + tg_below(&r, 3);
    n->region = (uint8_t)tg_below(&r, 3);
    n->country = tg_below(&r, 8) ? tg_countries[tg_below(&r, 5)] : NULL;
    tg_text(&r, g->text[2 * i], 160);
    tg_text(&r, g->text[2 * i + 1], 160);
    n->title = g->text[2 * i];
    n->description = tg_below(&r, 4) ? g->text[2 * i + 1] : NULL;
    n->themes = g->themes[i];
    n->n_themes = (uint32_t)tg_fill_set(&r, g->themes[i], 3, TG_THEMES);
    n->languages = g->langs[i];
    n->n_languages = (uint32_t)tg_fill_set(&r, g->langs[i], 2, langs);
    n->modality = (rt_match_modality_t)tg_below(&r, 4);
    n->has_window = tg_below(&r, 2);
    n->window_start = tg_below(&r, 30);
    n->window_end = n->window_start + tg_below(&r, 20);
    n->budget_cents = tg_below(&r, 3) ? tg_below(&r, 100000) : -1;
    n->priority = (rt_match_priority_t)tg_below(&r, 3);
    n->max_partners = 1 + (uint32_t)tg_below(&r, maxp);
    n->state_partnerships = (uint32_t)tg_below(&r, 4);
    n->open = tg_below(&r, 100) < open_pct;
  }
  for (size_t i = 0; i < no; i++) {
    rt_match_offer_t *f = &g->offers[i];
    size_t p = nn + i;
    f->id = (int64_t)(i * 5 + 7);
    f->participant_id = 2 + tg_below(&r, 4);
    tg_text(&r, g->text[2 * p], 160);
    tg_text(&r, g->text[2 * p + 1], 160);
    f->title = g->text[2 * p];
    f->description = g->text[2 * p + 1];
    f->themes = g->themes[p];
    f->n_themes = (uint32_t)tg_fill_set(&r, g->themes[p], 3, TG_THEMES);
    f->languages = g->langs[p];
    f->n_languages = (uint32_t)tg_fill_set(&r, g->langs[p], 2, langs);
    f->modality = (rt_match_modality_t)tg_below(&r, 3);
    f->has_window = tg_below(&r, 2);
    f->window_start = tg_below(&r, 30);
    f->window_end = f->window_start + tg_below(&r, 20);
    f->funding_cents = tg_below(&r, 3) ? tg_below(&r, 150000) : -1;
    f->capacity = 1 + (uint32_t)tg_below(&r, capa);
    f->regions = g->regions[i];
    f->n_regions = tg_below(&r, 3) == 0 ? (uint32_t)tg_fill_set(&r, g->regions[i], 2, 3) : 0;
    f->countries = g->countries[i];
    f->n_countries = 0;
    if (tg_below(&r, 4) == 0) {
      f->n_countries = 1 + (uint32_t)tg_below(&r, 3);
      for (uint32_t c = 0; c < f->n_countries; c++)
        g->countries[i][c] = tg_countries[tg_below(&r, 5)];
    }
    f->open = tg_below(&r, 100) < open_pct;
  }
  int pairs = o ? o->pairs : 3;
  for (int k = 0; k < pairs && k < 16 && nn && no; k++) {
    g->declined[g->n_declined++] =
        (rt_match_pair_t){g->needs[tg_below(&r, (int)nn)].id, g->offers[tg_below(&r, (int)no)].id};
    g->agreed[g->n_agreed++] =
        (rt_match_pair_t){g->needs[tg_below(&r, (int)nn)].id, g->offers[tg_below(&r, (int)no)].id};
  }
}

static inline rt_match_input_t tg_input(const tg_t *g) {
  rt_match_input_t in = {.needs = g->needs,
                         .n_needs = g->nn,
                         .offers = g->offers,
                         .n_offers = g->no,
                         .theme_parent = tg_parent,
                         .n_themes = TG_THEMES,
                         .declined = g->declined,
                         .n_declined = g->n_declined,
                         .agreed = g->agreed,
                         .n_agreed = g->n_agreed};
  return in;
}

static inline rt_match_instance_t *tg_build(const tg_t *g) {
  rt_match_input_t in = tg_input(g);
  rt_match_instance_t *inst = NULL;
  char err[200];
  int rc = rt_match_instance_build(&in, &inst, err, sizeof(err));
  if (rc != 0) {
    fprintf(stderr, "build failed: %s\n", err);
    abort();
  }
  return inst;
}

/* A need and an offer for hand-made instances: open, one language, any modality, no window or
 * amounts; the offer from provider 200 with capacity 1. */
static inline rt_match_need_t tg_need(int64_t id, int64_t state, const uint8_t *themes,
                                      uint32_t n_themes, const uint8_t *lang,
                                      uint32_t max_partners) {
  return (rt_match_need_t){.id = id,
                           .participant_id = state,
                           .themes = themes,
                           .n_themes = n_themes,
                           .languages = lang,
                           .n_languages = 1,
                           .modality = RT_MATCH_ANY,
                           .budget_cents = -1,
                           .max_partners = max_partners,
                           .open = true};
}

static inline rt_match_offer_t tg_offer(int64_t id, const uint8_t *themes, const uint8_t *lang) {
  return (rt_match_offer_t){.id = id,
                            .participant_id = 200,
                            .themes = themes,
                            .n_themes = 1,
                            .languages = lang,
                            .n_languages = 1,
                            .modality = RT_MATCH_HYBRID,
                            .funding_cents = -1,
                            .capacity = 1,
                            .open = true};
}

/* Fisher-Yates shuffles of the postings, keeping every id with its posting. */
static inline void tg_shuffle(tg_t *g, uint64_t seed) {
  tg_rng_t r = {seed};
  for (size_t i = g->nn; i > 1; i--) {
    size_t j = (size_t)tg_below(&r, (int)i);
    rt_match_need_t t = g->needs[i - 1];
    g->needs[i - 1] = g->needs[j];
    g->needs[j] = t;
  }
  for (size_t i = g->no; i > 1; i--) {
    size_t j = (size_t)tg_below(&r, (int)i);
    rt_match_offer_t t = g->offers[i - 1];
    g->offers[i - 1] = g->offers[j];
    g->offers[j] = t;
  }
}

#endif
