/* The matching engine's benchmark: a deterministic, realistic roundtable of 10,000 needs and
 * 10,000 offers (25 themes under 8 parents, 8 languages, 5 regions, windows, budgets, texts in
 * six scripts), and the figures issue 4 asks for:
 *
 *   match_bench                       build, scoring throughput (all pairs, one core), full run
 *   match_bench --ties                 the same on a degenerate instance: every pair feasible and
 *                                      scoring the same
 *   match_bench --square N --matrix F  a capacity-1 square instance: writes the N x N score matrix
 *                                      (int32, -1 infeasible) for bench/match_peer.py (scipy) and
 *                                      prints the engine's exact optimum
 *   match_bench --csv DIR [--sample K] the instance as CSV for the SQL peer, and the engine's
 *                                      feasible count and score sum over the first K needs
 *   match_bench --export DIR --countries FILE
 *                                      the instance, fresh (no history, all open) and with real
 *                                      countries, as the service's import files, and the engine's
 *                                      figures on it (what a run through the service must find)
 *
 * Output: one "key value" figure a line, easy to read by people and by match_peer.py. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "roundtable/match.h"

#define N_THEMES 25
#define N_PARENTS 8
#define N_LANGS 8
#define N_REGIONS 5
#define N_COUNTRIES 190

static const uint8_t theme_parent[N_THEMES] = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3,
                                               3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 7, 7};

/* Words per language for each theme parent (and generic ones), so that postings on the same
 * subject share vocabulary in their own language. */
static const char *const words_en[] = {
    "strategy",       "governance", "policy",     "csirt",     "incident",      "response",
    "infrastructure", "sharing",    "cybercrime", "forensic",  "investigation", "cooperation",
    "awareness",      "workforce",  "education",  "training",  "standards",     "supply",
    "chain",          "secure",     "norms",      "reporting", "national",      "law",
    "positions",      "confidence", "contact",    "crisis",    "transparency",  "capacity",
    "building",       "support",    "programme",  "experts"};
static const char *const words_fr[] = {
    "stratégie",        "gouvernance",     "politique",         "équipe",
    "incident",         "réponse",         "infrastructures",   "partage",
    "cybercriminalité", "criminalistique", "enquête",           "coopération",
    "sensibilisation",  "compétences",     "éducation",         "formation",
    "normes",           "chaîne",          "approvisionnement", "sécurisé",
    "normes",           "rapports",        "nationale",         "droit",
    "positions",        "confiance",       "contact",           "crise",
    "transparence",     "renforcement",    "capacités",         "soutien",
    "programme",        "experts"};
static const char *const words_es[] = {
    "estrategia",    "gobernanza",      "política",       "equipo",        "incidentes",
    "respuesta",     "infraestructura", "intercambio",    "ciberdelito",   "forense",
    "investigación", "cooperación",     "concienciación", "personal",      "educación",
    "formación",     "normas",          "cadena",         "suministro",    "seguro",
    "normas",        "informes",        "nacional",       "derecho",       "posiciones",
    "confianza",     "contacto",        "crisis",         "transparencia", "fortalecimiento",
    "capacidades",   "apoyo",           "programa",       "expertos"};
static const char *const words_ru[] = {"Стратегия",       "управление",    "политика",
                                       "группа",          "инцидентов",    "реагирование",
                                       "инфраструктура",  "обмен",         "киберпреступность",
                                       "криминалистика",  "расследование", "сотрудничество",
                                       "осведомленность", "кадры",         "образование",
                                       "обучение",        "стандарты",     "цепочка",
                                       "поставок",        "безопасная",    "нормы",
                                       "отчетность",      "национальная",  "право",
                                       "позиции",         "доверие",       "контакты",
                                       "кризис",          "прозрачность",  "наращивание",
                                       "потенциала",      "поддержка",     "программа",
                                       "эксперты"};
static const char *const words_zh[] = {
    "国家战略", "治理",     "政策",     "应急响应", "事件",     "响应",     "关键基础设施",
    "信息共享", "网络犯罪", "数字取证", "调查",     "国际合作", "安全意识", "人才队伍",
    "教育",     "培训",     "技术标准", "供应链",   "安全",     "开发",     "规范",
    "国家报告", "国家",     "国际法",   "立场",     "建立信任", "联络点",   "危机",
    "透明度",   "能力建设", "能力",     "支持",     "项目",     "专家"};
static const char *const words_ar[] = {
    "استراتيجية", "الحوكمة", "السياسات", "فريق",    "الحوادث", "الاستجابة", "البنية",
    "تبادل",      "الجرائم", "الأدلة",   "التحقيق", "التعاون", "التوعية",   "القوى",
    "التعليم",    "التدريب", "المعايير", "سلسلة",   "الإمداد", "الآمنة",    "قواعد",
    "التقارير",   "الوطنية", "القانون",  "المواقف", "الثقة",   "الاتصال",   "الأزمات",
    "الشفافية",   "بناء",    "القدرات",  "دعم",     "برنامج",  "خبراء"};

static const char *const *const words[] = {words_en, words_fr, words_es, words_ru,
                                           words_zh, words_ar, words_en, words_fr};
#define N_WORDS 34

/* Words 0..29 belong to parents in bands of four (wrapping); 29..33 are generic. */
static int parent_word(int parent, int k) { return (parent * 4 + k) % 29; }

typedef struct rng_s {
  uint64_t s;
} rng_t;

static uint64_t next(rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int below(rng_t *r, int n) { return (int)(next(r) % (uint64_t)n); }

typedef struct world_s {
  rt_match_need_t *needs;
  rt_match_offer_t *offers;
  size_t n_needs, n_offers;
  uint8_t *themes, *langs, *regions;
  const char **countries;
  char (*codes)[4];
  char *text;
  rt_match_pair_t *declined, *agreed;
  size_t n_declined, n_agreed;
} world_t;

static char *make_text(rng_t *r, char **cursor, int lang, uint32_t parents, int n_words) {
  char *start = *cursor, *p = start;
  for (int i = 0; i < n_words; i++) {
    int w;
    if (below(r, 3) == 0) {
      w = 29 + below(r, N_WORDS - 29);
    } else {
      int ps[8], np = 0;
      for (int b = 0; b < N_PARENTS; b++)
        if (parents & (1u << b))
          ps[np++] = b;
      w = parent_word(ps[below(r, np)], below(r, 4));
    }
    const char *s = words[lang][w];
    size_t len = strlen(s);
    memcpy(p, s, len);
    p += len;
    if (lang != 4) {
      *p++ = ' ';
    } else if (below(r, 2)) { /* Chinese runs words together, with a full stop now and then */
      memcpy(p, "\xe3\x80\x82", 3);
      p += 3;
    }
  }
  *p++ = '\0';
  *cursor = p;
  return start;
}

static int pick_themes(rng_t *r, uint8_t *out, int max) {
  int n = 1 + below(r, max);
  int parent = below(r, N_PARENTS);
  int k = 0;
  while (k < n) {
    /* mostly under one parent, like real postings */
    int t = below(r, N_THEMES);
    if (below(r, 4) != 0 && theme_parent[t] != parent)
      continue;
    bool dup = false;
    for (int i = 0; i < k; i++)
      dup |= out[i] == t;
    if (!dup)
      out[k++] = (uint8_t)t;
  }
  return n;
}

static int pick_langs(rng_t *r, uint8_t *out) {
  int n = 1 + below(r, 3), k = 0;
  while (k < n) {
    /* English and French are the most common working languages */
    int l = below(r, 3) == 0 ? below(r, 2) : below(r, N_LANGS);
    bool dup = false;
    for (int i = 0; i < k; i++)
      dup |= out[i] == l;
    if (!dup)
      out[k++] = (uint8_t)l;
  }
  return n;
}

static uint32_t parents_of(const uint8_t *t, int n) {
  uint32_t m = 0;
  for (int i = 0; i < n; i++)
    m |= 1u << theme_parent[t[i]];
  return m;
}

/* square: capacity 1, max_partners 1, everything open, no declined or agreed pairs.
 * ties: every need a copy of the first and every offer a copy of the first, made to fit it (as
 * when one template is imported many times): every pair is feasible and they all score the
 * same, the degenerate case for pruning and for the certificate. */
typedef struct world_opts_s {
  bool square, ties;
  /* plain: no history (no declined or agreed pairs, no partnerships) and everything open, as a
   * roundtable freshly imported into the service is */
  bool plain;
  /* real ISO codes for the states (state k: region k % 5), instead of made-up ones */
  const char (*codes)[4];
} world_opts_t;

static int make_world(world_t *w, size_t nn, size_t no, uint64_t seed, const world_opts_t *wo) {
  const bool square = wo->square, ties = wo->ties, plain = wo->plain;
  rng_t r = {seed};
  memset(w, 0, sizeof(*w));
  w->n_needs = nn;
  w->n_offers = no;
  w->needs = calloc(nn, sizeof(*w->needs));
  w->offers = calloc(no, sizeof(*w->offers));
  w->themes = malloc((nn + no) * 4);
  w->langs = malloc((nn + no) * 3);
  w->regions = malloc(no * 2);
  w->countries = malloc(no * 10 * sizeof(char *));
  w->codes = malloc(N_COUNTRIES * sizeof(*w->codes));
  w->text = malloc((nn + no) * 48 * 40);
  w->declined = malloc(1000 * sizeof(rt_match_pair_t));
  w->agreed = malloc(500 * sizeof(rt_match_pair_t));
  if (!w->needs || !w->offers || !w->themes || !w->langs || !w->regions || !w->countries ||
      !w->codes || !w->text || !w->declined || !w->agreed)
    return -1;
  for (int c = 0; c < N_COUNTRIES; c++) {
    if (wo->codes)
      memcpy(w->codes[c], wo->codes[c], 4);
    else
      snprintf(w->codes[c], 4, "%c%c%c", 'A' + c / 26 % 26, 'A' + c % 26, 'A' + c * 7 % 26);
  }
  char *cursor = w->text;
  for (size_t i = 0; i < nn; i++) {
    rt_match_need_t *n = &w->needs[i];
    int state = below(&r, 150);
    n->id = (int64_t)(i + 1);
    n->participant_id = 1000 + state;
    n->region = (uint8_t)(state % N_REGIONS);
    n->country = w->codes[state];
    n->themes = w->themes + i * 4;
    n->n_themes = (uint32_t)pick_themes(&r, w->themes + i * 4, 3);
    n->languages = w->langs + i * 3;
    n->n_languages = (uint32_t)pick_langs(&r, w->langs + i * 3);
    uint32_t par = parents_of(n->themes, (int)n->n_themes);
    n->title = make_text(&r, &cursor, n->languages[0], par, 4 + below(&r, 4));
    n->description = make_text(&r, &cursor, n->languages[0], par, 12 + below(&r, 20));
    n->modality = (rt_match_modality_t)below(&r, 4);
    n->has_window = below(&r, 10) < 7;
    n->window_start = 20000 + below(&r, 365);
    n->window_end = n->window_start + 30 + below(&r, 335);
    n->budget_cents = below(&r, 10) < 6 ? (int64_t)(10000 + below(&r, 490000)) * 100 : -1;
    n->priority = (rt_match_priority_t)below(&r, 3);
    n->max_partners = square ? 1 : 1 + (uint32_t)below(&r, 3);
    n->state_partnerships = plain ? (below(&r, 6), 0) : (uint32_t)below(&r, 6);
    n->open = square || below(&r, 20) != 0 || plain;
  }
  for (size_t i = 0; i < no; i++) {
    rt_match_offer_t *o = &w->offers[i];
    o->id = (int64_t)(i + 1);
    o->participant_id = 5000 + below(&r, 300);
    o->themes = w->themes + (nn + i) * 4;
    o->n_themes = (uint32_t)pick_themes(&r, w->themes + (nn + i) * 4, 4);
    o->languages = w->langs + (nn + i) * 3;
    o->n_languages = (uint32_t)pick_langs(&r, w->langs + (nn + i) * 3);
    uint32_t par = parents_of(o->themes, (int)o->n_themes);
    o->title = make_text(&r, &cursor, o->languages[0], par, 4 + below(&r, 4));
    o->description = make_text(&r, &cursor, o->languages[0], par, 12 + below(&r, 20));
    o->modality = (rt_match_modality_t)below(&r, 3);
    o->has_window = below(&r, 10) < 6;
    o->window_start = 19900 + below(&r, 400);
    o->window_end = o->window_start + 60 + below(&r, 600);
    o->funding_cents = below(&r, 2) ? (int64_t)(5000 + below(&r, 800000)) * 100 : -1;
    o->capacity = square ? 1 : 1 + (uint32_t)below(&r, 5);
    o->regions = w->regions + i * 2;
    o->n_regions = below(&r, 10) < 3 ? 1 + (uint32_t)below(&r, 2) : 0;
    w->regions[i * 2] = (uint8_t)below(&r, N_REGIONS);
    w->regions[i * 2 + 1] = (uint8_t)below(&r, N_REGIONS);
    if (o->n_regions == 2 && w->regions[i * 2] == w->regions[i * 2 + 1])
      o->n_regions = 1;
    o->countries = w->countries + i * 10;
    o->n_countries = below(&r, 10) == 0 ? 3 + (uint32_t)below(&r, 8) : 0;
    uint32_t k = 0; /* real codes may repeat (a small group wraps around): each once */
    for (uint32_t c = 0; c < o->n_countries; c++) {
      const char *code = w->codes[(i * 7 + c * 13) % 150];
      bool dup = false;
      for (uint32_t d = 0; d < k; d++)
        dup |= strcmp(w->countries[i * 10 + d], code) == 0;
      if (!dup)
        w->countries[i * 10 + k++] = code;
    }
    o->n_countries = k;
    o->open = square || below(&r, 20) != 0 || plain;
  }
  for (size_t i = 1; ties && i < nn; i++) {
    rt_match_need_t *n = &w->needs[i], *t = &w->needs[0];
    int64_t id = n->id, participant = n->participant_id;
    uint32_t partners = n->max_partners;
    *n = *t;
    n->id = id;
    n->participant_id = participant;
    n->max_partners = partners;
    n->open = true;
  }
  for (size_t i = 0; ties && i < no; i++) {
    rt_match_offer_t *o = &w->offers[i], *t = &w->offers[0];
    uint32_t capacity = o->capacity;
    int64_t id = o->id, participant = o->participant_id;
    *o = *t;
    o->id = id;
    o->participant_id = participant;
    o->capacity = capacity;
    o->open = true;
    o->themes = w->needs[0].themes;
    o->n_themes = w->needs[0].n_themes;
    o->languages = w->needs[0].languages;
    o->n_languages = w->needs[0].n_languages;
    o->n_regions = o->n_countries = 0;
    o->modality = RT_MATCH_HYBRID;
    o->has_window = false;
  }
  if (!square && !plain) {
    for (int k = 0; k < 1000; k++)
      w->declined[w->n_declined++] =
          (rt_match_pair_t){1 + below(&r, (int)nn), 1 + below(&r, (int)no)};
    for (int k = 0; k < 500; k++)
      w->agreed[w->n_agreed++] = (rt_match_pair_t){1 + below(&r, (int)nn), 1 + below(&r, (int)no)};
  }
  return 0;
}

static void free_world(world_t *w) {
  free(w->needs);
  free(w->offers);
  free(w->themes);
  free(w->langs);
  free(w->regions);
  free(w->countries);
  free(w->codes);
  free(w->text);
  free(w->declined);
  free(w->agreed);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int build(const world_t *w, rt_match_instance_t **inst) {
  rt_match_input_t in = {.needs = w->needs,
                         .n_needs = w->n_needs,
                         .offers = w->offers,
                         .n_offers = w->n_offers,
                         .theme_parent = theme_parent,
                         .n_themes = N_THEMES,
                         .declined = w->declined,
                         .n_declined = w->n_declined,
                         .agreed = w->agreed,
                         .n_agreed = w->n_agreed};
  char err[256];
  int rc = rt_match_instance_build(&in, inst, err, sizeof(err));
  if (rc < 0)
    fprintf(stderr, "match_bench: build: %s (%s)\n", err, rt_strerror(rc));
  return rc;
}

static int run_main(size_t nn, size_t no, uint64_t seed, int repeat, bool ties, bool with_floor) {
  world_t w;
  if (make_world(&w, nn, no, seed, &(world_opts_t){.ties = ties}) < 0)
    return 1;
  rt_match_instance_t *inst;
  double t0 = now_s();
  if (build(&w, &inst) < 0)
    return 1;
  double t_build = now_s() - t0;
  rt_match_weights_t wt;
  rt_match_weights_default(&wt);
  printf("instance %zu_needs_x_%zu_offers seed %" PRIu64 "\n", nn, no, seed);
  printf("build_ms %.1f\n", t_build * 1e3);
  double best = 1e9;
  rt_match_scan_t sc;
  for (int i = 0; i < repeat; i++) {
    t0 = now_s();
    if (rt_match_scan(inst, &wt, &sc) < 0)
      return 1;
    double t = now_s() - t0;
    best = t < best ? t : best;
  }
  printf("scan_pairs %" PRIu64 "\n", sc.pairs_scored);
  printf("scan_feasible_pairs %" PRIu64 "\n", sc.feasible_pairs);
  printf("scan_score_sum_q %" PRId64 "\n", sc.score_sum_q);
  printf("scan_ms %.1f\n", best * 1e3);
  printf("scoring_pairs_per_s %.0f\n", (double)sc.pairs_scored / best);
  rt_match_result_t res;
  rt_match_assign_opts_t opts = {.min_score = 0.2};
  t0 = now_s();
  int rc = rt_match_assign(inst, &wt, &opts, &res);
  double t_assign = now_s() - t0;
  if (rc < 0) {
    fprintf(stderr, "match_bench: assign: %s\n", rt_strerror(rc));
    return 1;
  }
  printf("assign_ms %.1f\n", t_assign * 1e3);
  printf("assign_matches %zu\n", res.stats.matches);
  printf("assign_total_score %.6f\n", res.stats.total_score);
  printf("assign_feasible_pairs %" PRIu64 "\n", res.stats.feasible_pairs);
  printf("assign_candidate_edges %zu\n", res.stats.candidate_edges);
  printf("assign_rounds %zu\n", res.stats.rounds);
  printf("assign_added_edges %zu\n", res.stats.added_edges);
  printf("assign_rescanned_needs %zu\n", res.stats.rescanned_needs);
  printf("assign_augmentations %zu\n", res.stats.augmentations);
  printf("assign_scan_ms %.1f\nassign_solve_ms %.1f\nassign_certify_ms %.1f\n", res.stats.scan_ms,
         res.stats.solve_ms, res.stats.certify_ms);
  printf("build_plus_assign_ms %.1f\n", (t_build + t_assign) * 1e3);
  printf("assign_states %zu\nassign_states_servable %zu\nassign_states_served %zu\n",
         res.stats.states, res.stats.states_servable, res.stats.states_served);
  rt_match_result_free(&res);
  if (with_floor) { /* the same run with the fairness floor */
    opts.fairness_floor = true;
    t0 = now_s();
    rc = rt_match_assign(inst, &wt, &opts, &res);
    t_assign = now_s() - t0;
    if (rc < 0) {
      fprintf(stderr, "match_bench: assign with the floor: %s\n", rt_strerror(rc));
      return 1;
    }
    printf("floor_assign_ms %.1f\nfloor_matches %zu\nfloor_total_score %.6f\n", t_assign * 1e3,
           res.stats.matches, res.stats.total_score);
    printf("floor_states_served %zu\nfloor_rounds %zu\nfloor_added_edges %zu\n",
           res.stats.states_served, res.stats.rounds, res.stats.added_edges);
    printf("floor_augmentations %zu\nfloor_solve_ms %.1f\n", res.stats.augmentations,
           res.stats.solve_ms);
    rt_match_result_free(&res);
  }
  rt_match_instance_free(inst);
  free_world(&w);
  return 0;
}

static int run_square(size_t n, uint64_t seed, const char *matrix) {
  world_t w;
  if (make_world(&w, n, n, seed, &(world_opts_t){.square = true}) < 0)
    return 1;
  rt_match_instance_t *inst;
  if (build(&w, &inst) < 0)
    return 1;
  rt_match_weights_t wt;
  rt_match_weights_default(&wt);
  if (matrix) {
    FILE *f = fopen(matrix, "wb");
    int32_t *row = malloc(n * sizeof(int32_t));
    if (!f || !row) {
      perror(matrix);
      return 1;
    }
    for (size_t i = 0; i < n; i++) {
      if (rt_match_score_row(inst, i, &wt, row) < 0 || fwrite(row, sizeof(int32_t), n, f) != n) {
        fprintf(stderr, "match_bench: writing the matrix failed\n");
        return 1;
      }
    }
    fclose(f);
    free(row);
  }
  rt_match_result_t res;
  rt_match_assign_opts_t opts = {.min_score = 0};
  double t0 = now_s();
  if (rt_match_assign(inst, &wt, &opts, &res) < 0)
    return 1;
  double t = now_s() - t0;
  printf("square %zu\n", n);
  printf("square_assign_ms %.1f\n", t * 1e3);
  printf("square_matches %zu\n", res.stats.matches);
  printf("square_total_score_q %" PRId64 "\n", res.stats.total_score_q);
  printf("square_rounds %zu\n", res.stats.rounds);
  rt_match_result_free(&res);
  rt_match_instance_free(inst);
  free_world(&w);
  return 0;
}

/* CSV for the SQL peer: the postings as a user would load them (NULL where a field is not
 * given), plus the few derived columns the query needs: theme bitsets (and, for offers, the
 * children of their parents), language and region bitsets, capacity left, text signatures. */
static void csv_sig(FILE *f, const char *title, const char *desc, bool is_offer) {
  const char *texts[2] = {title, desc};
  uint8_t sig[RT_MATCH_TEXT_SLOTS];
  rt_match_text_signature(texts, 2, is_offer, sig);
  for (int k = 0; k < RT_MATCH_TEXT_SLOTS; k++)
    fprintf(f, ",%u", sig[k]);
  fputc('\n', f);
}

static void csv_opt_int(FILE *f, bool has, long long v) {
  if (has)
    fprintf(f, ",%lld", v);
  else
    fputs(",", f);
}

static uint32_t bits8(const uint8_t *v, uint32_t n) {
  uint32_t m = 0;
  for (uint32_t i = 0; i < n; i++)
    m |= 1u << v[i];
  return m;
}

static const char *const mod_names[] = {"in_person", "online", "hybrid", "any"};
static const char *const prio_names[] = {"high", "medium", "low"};

static int run_csv(size_t nn, size_t no, uint64_t seed, const char *dir, size_t sample) {
  world_t w;
  if (make_world(&w, nn, no, seed, &(world_opts_t){0}) < 0)
    return 1;
  char path[4096];
  snprintf(path, sizeof(path), "%s/needs.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    return 1;
  }
  for (size_t i = 0; i < nn; i++) {
    const rt_match_need_t *n = &w.needs[i];
    fprintf(f, "%lld,%lld,%u,%s,%u,%u,%u,%s", (long long)n->id, (long long)n->participant_id,
            n->region, n->country, bits8(n->themes, n->n_themes), n->n_themes,
            bits8(n->languages, n->n_languages), mod_names[n->modality]);
    csv_opt_int(f, n->has_window, n->window_start);
    csv_opt_int(f, n->has_window, n->window_end);
    csv_opt_int(f, n->budget_cents >= 0, n->budget_cents);
    fprintf(f, ",%s,%u,%s", prio_names[n->priority], n->state_partnerships, n->open ? "t" : "f");
    csv_sig(f, n->title, n->description, false);
  }
  fclose(f);
  snprintf(path, sizeof(path), "%s/offers.csv", dir);
  if (!(f = fopen(path, "w"))) {
    perror(path);
    return 1;
  }
  for (size_t i = 0; i < no; i++) {
    const rt_match_offer_t *o = &w.offers[i];
    uint32_t th = bits8(o->themes, o->n_themes), sib = 0, used = 0;
    for (int t = 0; t < N_THEMES; t++)
      for (uint32_t k = 0; k < o->n_themes; k++)
        if (theme_parent[t] == theme_parent[o->themes[k]])
          sib |= 1u << t;
    for (size_t a = 0; a < w.n_agreed; a++)
      used += w.agreed[a].offer_id == o->id;
    fprintf(f, "%lld,%lld,%u,%u,%u,%s", (long long)o->id, (long long)o->participant_id, th, sib,
            bits8(o->languages, o->n_languages), mod_names[o->modality]);
    csv_opt_int(f, o->has_window, o->window_start);
    csv_opt_int(f, o->has_window, o->window_end);
    csv_opt_int(f, o->funding_cents >= 0, o->funding_cents);
    fprintf(f, ",%u,%u,", o->capacity > used ? o->capacity - used : 0,
            bits8(o->regions, o->n_regions));
    if (o->n_countries) {
      fputs("\"{", f);
      for (uint32_t c = 0; c < o->n_countries; c++)
        fprintf(f, "%s%s", c ? "," : "", o->countries[c]);
      fputs("}\"", f);
    }
    fprintf(f, ",%s", o->open ? "t" : "f");
    csv_sig(f, o->title, o->description, true);
  }
  fclose(f);
  snprintf(path, sizeof(path), "%s/excluded.csv", dir);
  if (!(f = fopen(path, "w"))) {
    perror(path);
    return 1;
  }
  for (size_t a = 0; a < w.n_declined + w.n_agreed; a++) {
    const rt_match_pair_t *p = a < w.n_declined ? &w.declined[a] : &w.agreed[a - w.n_declined];
    fprintf(f, "%lld,%lld\n", (long long)p->need_id, (long long)p->offer_id);
  }
  fclose(f);
  /* the engine's figures over the same needs, for the peer to check its query against */
  rt_match_instance_t *inst;
  if (build(&w, &inst) < 0)
    return 1;
  rt_match_weights_t wt;
  rt_match_weights_default(&wt);
  int32_t *row = malloc(no * sizeof(int32_t));
  uint64_t feasible = 0;
  int64_t sum = 0;
  for (size_t i = 0; i < nn && i < sample; i++) {
    if (rt_match_score_row(inst, i, &wt, row) < 0)
      return 1;
    for (size_t o = 0; o < no; o++)
      if (row[o] >= 0)
        feasible++, sum += row[o];
  }
  printf("csv_sample_needs %zu\n", sample < nn ? sample : nn);
  printf("csv_sample_feasible_pairs %" PRIu64 "\n", feasible);
  printf("csv_sample_score_sum_q %" PRId64 "\n", sum);
  printf("weights_q");
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    printf(" %u", wt.q[c]);
  printf("\n");
  free(row);
  rt_match_instance_free(inst);
  free_world(&w);
  return 0;
}

/* ---- --export: the instance as a roundtable for the service ---- */

static const char *const theme_codes[N_THEMES] = {"strategy.national_strategy",
                                                  "strategy.governance",
                                                  "strategy.policy_legislation",
                                                  "incident.csirt_establishment",
                                                  "incident.incident_response",
                                                  "incident.critical_infrastructure",
                                                  "incident.threat_information_sharing",
                                                  "cybercrime.legislation",
                                                  "cybercrime.investigation",
                                                  "cybercrime.digital_forensics",
                                                  "cybercrime.international_cooperation",
                                                  "skills.awareness",
                                                  "skills.workforce",
                                                  "skills.education",
                                                  "skills.gender_inclusion",
                                                  "standards.technical_standards",
                                                  "standards.supply_chain",
                                                  "standards.secure_development",
                                                  "norms.implementation",
                                                  "norms.national_reporting",
                                                  "law.national_positions",
                                                  "law.application_training",
                                                  "cbm.poc_directory",
                                                  "cbm.crisis_communication",
                                                  "cbm.transparency"};
static const char *const lang_codes[N_LANGS] = {"en", "fr", "es", "ru", "zh", "ar", "pt", "de"};
static const char *const region_codes[N_REGIONS] = {
    "africa", "asia_pacific", "eastern_europe", "latin_america_caribbean", "western_europe_others"};

/* Reads "CODE,region" lines and gives state k the (k / 5)-th country of region k % 5 (wrapping
 * round a group smaller than 30). */
static int read_countries(const char *path, char (*codes)[4]) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    return -1;
  }
  static char by_region[N_REGIONS][64][4];
  int count[N_REGIONS] = {0};
  char line[128];
  while (fgets(line, sizeof(line), f)) {
    char *comma = strchr(line, ',');
    if (!comma || comma - line != 3)
      continue;
    comma[strcspn(comma, "\r\n")] = '\0';
    for (int r = 0; r < N_REGIONS; r++)
      if (strcmp(comma + 1, region_codes[r]) == 0 && count[r] < 64)
        memcpy(by_region[r][count[r]++], line, 3);
  }
  fclose(f);
  for (int k = 0; k < N_COUNTRIES; k++) {
    int r = k % N_REGIONS;
    if (!count[r]) {
      fprintf(stderr, "match_bench: %s has no country in %s\n", path, region_codes[r]);
      return -1;
    }
    memcpy(codes[k], by_region[r][(k / N_REGIONS) % count[r]], 3);
    codes[k][3] = '\0';
  }
  return 0;
}

static void csv_list(FILE *f, const uint8_t *v, uint32_t n, const char *const *names) {
  fputc(',', f);
  for (uint32_t i = 0; i < n; i++)
    fprintf(f, "%s%s", i ? ";" : "", names[v[i]]);
}

/* Day numbers (days since 1970-01-01) as dates, or an empty cell. */
static void csv_day(FILE *f, bool has, int32_t day) {
  if (!has) {
    fputc(',', f);
    return;
  }
  int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  fprintf(f, ",%04lld-%02lld-%02lld", (long long)(yoe + era * 400 + (m <= 2)), (long long)m,
          (long long)d);
}

static void csv_money(FILE *f, int64_t cents) {
  if (cents < 0)
    fputc(',', f);
  else
    fprintf(f, ",%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

static FILE *open_in(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f)
    perror(path);
  return f;
}

/* The length of the longest prefix of s of at most max bytes that ends between characters. */
static int utf8_prefix(const char *s, int max) {
  int n = (int)strnlen(s, (size_t)max + 1);
  if (n <= max)
    return n;
  n = max;
  while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
    n--;
  return n;
}

/* Titles get their posting's number, so that the SQL peer can find each posting's text
 * signature by title; the engine reads the same titles. */
static int run_export(size_t nn, size_t no, uint64_t seed, const char *dir, const char *countries,
                      size_t sample) {
  static char codes[N_COUNTRIES][4];
  if (read_countries(countries, codes) < 0)
    return 1;
  world_t w;
  if (make_world(&w, nn, no, seed, &(world_opts_t){.plain = true, .codes = codes}) < 0)
    return 1;
  char(*titles)[112] = malloc((nn + no) * sizeof(*titles));
  FILE *fp = open_in(dir, "participants.csv"), *fn = open_in(dir, "needs.csv");
  FILE *fo = open_in(dir, "offers.csv"), *fs = open_in(dir, "signatures.csv");
  if (!titles || !fp || !fn || !fo || !fs)
    return 1;
  fputs("key,kind,country\n", fp);
  for (int k = 0; k < 150; k++)
    fprintf(fp, "s%d,state,%s\n", 1000 + k, codes[k]);
  for (int k = 0; k < 300; k++)
    fprintf(fp, "p%d,%s,\n", 5000 + k, k % 2 ? "implementer" : "donor");
  fputs("participant_id,title,description,themes,languages,modality,window_start,window_end,"
        "budget_usd,priority,max_partners\n",
        fn);
  for (size_t i = 0; i < nn; i++) {
    rt_match_need_t *n = &w.needs[i];
    snprintf(titles[i], sizeof(titles[i]), "%.*s n%zu", utf8_prefix(n->title, 80), n->title, i + 1);
    n->title = titles[i];
    fprintf(fn, "s%lld,%s,%s", (long long)n->participant_id, n->title, n->description);
    csv_list(fn, n->themes, n->n_themes, theme_codes);
    csv_list(fn, n->languages, n->n_languages, lang_codes);
    fprintf(fn, ",%s", mod_names[n->modality]);
    csv_day(fn, n->has_window, n->window_start);
    csv_day(fn, n->has_window, n->window_end);
    csv_money(fn, n->budget_cents);
    fprintf(fn, ",%s,%u\n", prio_names[n->priority], n->max_partners);
    fprintf(fs, "need,%s", n->title);
    csv_sig(fs, n->title, n->description, false);
  }
  fputs("participant_id,title,description,kind,themes,languages,modality,window_start,"
        "window_end,funding_usd,capacity,regions,countries\n",
        fo);
  for (size_t i = 0; i < no; i++) {
    rt_match_offer_t *o = &w.offers[i];
    snprintf(titles[nn + i], sizeof(titles[nn + i]), "%.*s o%zu", utf8_prefix(o->title, 80),
             o->title, i + 1);
    o->title = titles[nn + i];
    fprintf(fo, "p%lld,%s,%s,training", (long long)o->participant_id, o->title, o->description);
    csv_list(fo, o->themes, o->n_themes, theme_codes);
    csv_list(fo, o->languages, o->n_languages, lang_codes);
    fprintf(fo, ",%s", mod_names[o->modality]);
    csv_day(fo, o->has_window, o->window_start);
    csv_day(fo, o->has_window, o->window_end);
    csv_money(fo, o->funding_cents);
    fprintf(fo, ",%u", o->capacity);
    csv_list(fo, o->regions, o->n_regions, region_codes);
    fputc(',', fo);
    for (uint32_t c = 0; c < o->n_countries; c++)
      fprintf(fo, "%s%s", c ? ";" : "", o->countries[c]);
    fputc('\n', fo);
    fprintf(fs, "offer,%s", o->title);
    csv_sig(fs, o->title, o->description, true);
  }
  fclose(fp);
  fclose(fn);
  fclose(fo);
  fclose(fs);
  /* the engine's figures on this instance, for the service and the SQL peer to agree with */
  rt_match_instance_t *inst;
  if (build(&w, &inst) < 0)
    return 1;
  rt_match_weights_t wt;
  rt_match_weights_default(&wt);
  rt_match_scan_t sc;
  double t0 = now_s();
  if (rt_match_scan(inst, &wt, &sc) < 0)
    return 1;
  double t_scan = now_s() - t0;
  printf("export_needs %zu\nexport_offers %zu\n", nn, no);
  printf("export_pairs %" PRIu64 "\n", sc.pairs_scored);
  printf("export_feasible_pairs %" PRIu64 "\n", sc.feasible_pairs);
  printf("export_scan_ms %.1f\n", t_scan * 1e3);
  printf("export_scoring_pairs_per_s %.0f\n", (double)sc.pairs_scored / t_scan);
  int32_t *row = malloc(no * sizeof(int32_t));
  uint64_t feasible = 0;
  int64_t sum = 0;
  for (size_t i = 0; i < nn && i < sample; i++) {
    if (!row || rt_match_score_row(inst, i, &wt, row) < 0)
      return 1;
    for (size_t o = 0; o < no; o++)
      if (row[o] >= 0)
        feasible++, sum += row[o];
  }
  printf("export_sample_needs %zu\n", sample < nn ? sample : nn);
  printf("export_sample_feasible_pairs %" PRIu64 "\n", feasible);
  printf("export_sample_score_sum_q %" PRId64 "\n", sum);
  rt_match_result_t res;
  rt_match_assign_opts_t opts = {.min_score = 0.2};
  t0 = now_s();
  if (rt_match_assign(inst, &wt, &opts, &res) < 0)
    return 1;
  printf("export_assign_ms %.1f\n", (now_s() - t0) * 1e3);
  printf("export_assign_matches %zu\n", res.stats.matches);
  printf("export_assign_total_score_q %" PRId64 "\n", res.stats.total_score_q);
  printf("weights_q");
  for (int c = 0; c < RT_MATCH_CRITERIA; c++)
    printf(" %u", wt.q[c]);
  printf("\n");
  rt_match_result_free(&res);
  rt_match_instance_free(inst);
  free(row);
  free(titles);
  free_world(&w);
  return 0;
}

int main(int argc, char **argv) {
  size_t nn = 10000, no = 10000, square = 0;
  uint64_t seed = 42;
  int repeat = 3;
  const char *matrix = NULL, *csv = NULL, *export_dir = NULL, *countries = NULL;
  size_t sample = 500;
  bool ties = false, with_floor = false;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--ties"))
      ties = true;
    else if (!strcmp(argv[i], "--floor"))
      with_floor = true;
    else if (!strcmp(argv[i], "--needs") && i + 1 < argc)
      nn = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--offers") && i + 1 < argc)
      no = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--square") && i + 1 < argc)
      square = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--matrix") && i + 1 < argc)
      matrix = argv[++i];
    else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
      csv = argv[++i];
    else if (!strcmp(argv[i], "--export") && i + 1 < argc)
      export_dir = argv[++i];
    else if (!strcmp(argv[i], "--countries") && i + 1 < argc)
      countries = argv[++i];
    else if (!strcmp(argv[i], "--sample") && i + 1 < argc)
      sample = strtoul(argv[++i], NULL, 10);
    else {
      fprintf(
          stderr,
          "usage: match_bench [--needs N] [--offers M] [--seed S] [--repeat R] [--ties] [--floor]\n"
          "       match_bench --square N [--matrix FILE] [--seed S]\n"
          "       match_bench --csv DIR [--sample K] [--seed S]\n");
      return 2;
    }
  }
  if (csv)
    return run_csv(nn, no, seed, csv, sample);
  if (export_dir && countries)
    return run_export(nn, no, seed, export_dir, countries, sample);
  if (square)
    return run_square(square, seed, matrix);
  return run_main(nn, no, seed, repeat < 1 ? 1 : repeat, ties, with_floor);
}
