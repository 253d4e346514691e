/* The assignment: a maximum-weight b-matching, solved exactly as a min-cost flow.
 *
 * Network: need n --(cost -s, cap 1)--> offer o --(cost 0, cap capacity left)--> T, and a
 * "stay unmatched" edge n --(cost 0)--> T. Every unit of a need's partners left is routed from
 * that need to T along a shortest path (successive shortest paths, Dijkstra on reduced costs with
 * potentials p); a need stops as soon as its own "stay unmatched" edge is the shortest path,
 * i.e. no augmenting path adds score any more. At the end the potentials are an optimal dual:
 * u_n = p(n) >= 0, v_o = -p(o) >= 0, u_n + v_o >= s(n, o) for every edge not used.
 *
 * Pruning and certificate: the graph holds each need's best L pairs only. A pruned pair (n, o)
 * can improve the optimum only if s(n, o) > u_n + v_o; every pruned pair of n scores at most the
 * L-th best score s_L(n), so a need with u_n >= s_L(n) is certified without looking at its pairs,
 * and only the others' rows are rescored and checked. Violators join the graph (a need's most
 * violating L + partners-left at a time) and the solve is repeated; when no pair violates, the
 * duals prove the matching optimal for the full graph.
 *
 * Ties: among equal scores a need keeps its offers in an order of its own (a bijective mix of
 * the offer's index keyed by the need's id), not the same lowest indices for everyone. When many
 * postings are copies of one template, every need would otherwise keep the same few offers,
 * leave the rest unmatched, and send nearly every pair back through the certificate.
 *
 * The fairness floor (opts->fairness_floor) maximises the number of states served first, then
 * the total, with the same flow and one more layer: a need's "stay unmatched" edge goes to a hub
 * of its state, n --(cost 0)--> h_s, and a hub reaches T by two arcs: units_s - 1 units at cost
 * 0 and the last unit at cost B, where units_s is what the state's needs may still take and B
 * exceeds any total score. A state pays B exactly when none of its units is matched, so the
 * minimum cost is -(total) + B x (states left out): fewest states left out first, then the
 * best total. States already served (a standing partnership or an honoured lock) and states
 * with no candidate pair get a hub without the B arc. The search also walks the hub's arcs back
 * to the state's needs that stay unmatched (h --> n while n sends units to h), so the state's
 * one paying unit can move to whichever of its needs can be matched. Potentials stay valid on
 * every arc, offers' stay <= 0, and the certificate above holds unchanged: a pruned pair is
 * still a need-offer arc checked against p(n) - p(o). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match_internal.h"

#define DEFAULT_CANDIDATES 16
#define BLOCK_NEEDS 16
#define SCAN_TILE 512

typedef struct heap_item_s {
  int64_t d;
  uint32_t v;
} heap_item_t;

typedef struct extra_s {
  uint32_t n, o;
  int32_t s;
} extra_t;

typedef struct run_s {
  const rt_match_instance_t *inst;
  const rt_match_weights_t *w;
  const rt_match_assign_opts_t *opts;
  rt_arena_t arena;
  int32_t t0; /* least score of an edge: max(min_score, 1) in score units */
  uint32_t N, M;
  /* the pruned candidates of each need (from the scan) and what certificates added */
  uint32_t *base_start; /* N + 1 */
  uint32_t *base_o;
  int32_t *base_s;
  uint32_t *deg_full; /* feasible pairs of n scoring at least t0 */
  int32_t *s_last;    /* the least kept score when something was pruned, else -1 */
  extra_t *extra;
  size_t n_extra, cap_extra;
  /* the graph of the current round (CSR by need) */
  uint32_t *estart, *eo, *en;
  int32_t *es;
  uint8_t *used;
  int32_t *nxt, *prv, *ohead; /* used edges of each offer, doubly linked */
  uint32_t *ofree, *nsup;
  int64_t *p; /* potentials: needs then offers */
  /* Dijkstra */
  int64_t *dist;
  uint32_t *gen;
  int32_t *pred;
  uint32_t cur_gen;
  uint32_t *scanned;
  heap_item_t *heap;
  size_t heap_cap;
  /* room left once the honoured locks are placed (the instance's, less the locks) */
  uint32_t *nleft, *oleft;
  /* the honoured locks: their offers by need (CSR over internal need indices), and the offers
   * they filled up, which no need may take in this run */
  uint32_t *lock_start, *lock_o;
  uint32_t *full, n_full;
  rt_match_proposal_t *locks;
  size_t n_locks;
  /* states: the participants of the open needs (for the stats, and the floor's hubs) */
  uint32_t S;
  uint32_t *st;      /* need -> state; UINT32_MAX when the need is not open */
  uint8_t *s_served; /* served before the optimisation: already, or by an honoured lock */
  /* the fairness floor: nodes N + M + s are the states' hubs */
  int64_t bonus;            /* B: more than any total score */
  int64_t *cheap;           /* per state: units its hub still takes at cost 0 */
  uint8_t *dear;            /* per state: the hub's cost-B unit is still free */
  uint32_t *dflow;          /* per need: units it sends to its hub (stays unmatched) */
  uint32_t *sstart, *sneed; /* per state: its needs that have candidate pairs */
  /* progress */
  double last_progress;
  rt_match_stats_t *stats;
} run_t;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int progress(run_t *r, double f) {
  if (f < r->last_progress)
    f = r->last_progress;
  r->last_progress = f;
  if (r->opts->progress && r->opts->progress(r->opts->progress_ctx, f))
    return RT_ECANCELED;
  return 0;
}

static void *ralloc(run_t *r, size_t count, size_t size) {
  if (size && count > SIZE_MAX / size)
    return NULL;
  return rt__match_alloc(&r->arena, count * size);
}

/* Keys order a need's pairs by score, then by the need's own order of offers (tie_mix): a
 * bijection of the offer's index, so the key gives the offer back (tie_unmix). */
#define TIE_MUL 0x9E3779B1u     /* odd, so invertible modulo 2^32 */
#define TIE_MUL_INV 0x0E8B2F51u /* TIE_MUL * TIE_MUL_INV = 1 modulo 2^32 */

static uint32_t tie_salt(const rt_match_instance_t *inst, uint32_t n) {
  uint64_t x = (uint64_t)inst->n.id[n] * 0xD6E8FEB86659FD93ull;
  return (uint32_t)(x >> 32 ^ x);
}

static uint32_t tie_mix(uint32_t o, uint32_t salt) { return (o ^ salt) * TIE_MUL; }

static uint32_t tie_unmix(uint32_t k, uint32_t salt) { return k * TIE_MUL_INV ^ salt; }

static uint64_t key_of(int32_t s, uint32_t o, uint32_t salt) {
  return (uint64_t)(uint32_t)s << 32 | tie_mix(o, salt);
}

/* Moves the k largest of n distinct keys to a[0..k) (in no order), k < n: quickselect with a
 * three-way partition. Everything left of lo is larger than [lo, hi), everything from hi on is
 * smaller. */
static void select_top(uint64_t *a, size_t n, size_t k) {
  size_t lo = 0, hi = n;
  while (hi - lo > 1) {
    uint64_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
    uint64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    size_t lt = lo, i = lo, gt = hi;
    while (i < gt) {
      uint64_t t = a[i];
      if (t > pivot) {
        a[i++] = a[lt];
        a[lt++] = t;
      } else if (t < pivot) {
        a[i] = a[--gt];
        a[gt] = t;
      } else {
        i++;
      }
    }
    if (k <= lt)
      hi = lt;
    else if (k <= gt)
      return;
    else
      lo = gt;
  }
}

/* ---- locks ---- */

typedef struct lock_s {
  uint32_t n, o; /* internal indices */
  int32_t s;
  size_t input; /* position in opts->locked */
} lock_t;

static int cmp_lock(const void *a, const void *b) {
  const lock_t *x = a, *y = b;
  if (x->s != y->s)
    return x->s > y->s ? -1 : 1;
  if (x->n != y->n) /* internal order is id order */
    return x->n < y->n ? -1 : 1;
  return x->o < y->o ? -1 : x->o > y->o;
}

static int add_refusal(rt_match_result_t *out, const rt_match_pair_t *p, rt_match_reason_t why) {
  rt_match_lock_refusal_t *x = realloc(out->refused_locks, (out->n_refused_locks + 1) * sizeof(*x));
  if (!x)
    return RT_ENOMEM;
  out->refused_locks = x;
  x[out->n_refused_locks++] = (rt_match_lock_refusal_t){p->need_id, p->offer_id, why};
  return 0;
}

/* Places the locked pairs before anything else: each feasible one whose need and offer still
 * have room, best score first; they leave the run's nleft and oleft lower and are kept out of
 * the optimisation, which then works on what is left. Refusals go to out in input order. */
static int place_locks(run_t *r, rt_match_result_t *out) {
  const rt_match_instance_t *inst = r->inst;
  const rt_match_assign_opts_t *opts = r->opts;
  size_t k = opts->n_locked;
  r->lock_start = ralloc(r, (size_t)r->N + 2, sizeof(uint32_t));
  r->lock_o = ralloc(r, k + 1, sizeof(uint32_t));
  r->full = ralloc(r, k + 1, sizeof(uint32_t));
  r->locks = ralloc(r, k + 1, sizeof(rt_match_proposal_t));
  lock_t *ls = malloc((k + 1) * sizeof(lock_t));
  rt_match_reason_t *why = calloc(k + 1, sizeof(rt_match_reason_t));
  int rc = RT_ENOMEM;
  if (!r->lock_start || !r->lock_o || !r->full || !r->locks || !ls || !why)
    goto out;
  memset(r->lock_start, 0, ((size_t)r->N + 2) * sizeof(uint32_t));
  size_t m = 0;
  for (size_t i = 0; i < k; i++) {
    const rt_match_pair_t *p = &opts->locked[i];
    long n = rt__need_index(inst, p->need_id), o = rt__offer_index(inst, p->offer_id);
    rt_match_breakdown_t b;
    why[i] = RT_MATCH_NEED_NOT_OPEN; /* an id the roundtable does not hold (or not open) */
    if (n >= 0 && o >= 0 &&
        (rc = rt_match_feasible(inst, inst->need_ext[n], inst->offer_ext[o], &why[i])) < 0)
      goto out;
    if (n < 0 || o < 0 || why[i] != RT_MATCH_FEASIBLE)
      continue;
    if ((rc = rt_match_score(inst, inst->need_ext[n], inst->offer_ext[o], r->w, &b)) < 0)
      goto out;
    ls[m++] = (lock_t){(uint32_t)n, (uint32_t)o, b.score_q, i};
  }
  qsort(ls, m, sizeof(lock_t), cmp_lock);
  for (size_t j = 0; j < m; j++) {
    lock_t *l = &ls[j];
    if (j > 0 && ls[j - 1].n == l->n && ls[j - 1].o == l->o) { /* locked twice: placed once */
      why[l->input] = why[ls[j - 1].input];
      l->s = -1;
      continue;
    }
    if (!r->nleft[l->n] || !r->oleft[l->o]) {
      why[l->input] = r->nleft[l->n] ? RT_MATCH_NO_CAPACITY : RT_MATCH_NEED_FULL;
      l->s = -1;
      continue;
    }
    r->nleft[l->n]--;
    if (--r->oleft[l->o] == 0)
      r->full[r->n_full++] = l->o;
    r->lock_start[l->n + 2]++;
    r->s_served[r->st[l->n]] = 1;
    rt_match_proposal_t *p = &r->locks[r->n_locks++];
    *p = (rt_match_proposal_t){.need = inst->need_ext[l->n],
                               .offer = inst->offer_ext[l->o],
                               .need_id = inst->n.id[l->n],
                               .offer_id = inst->o.id[l->o],
                               .score_q = l->s,
                               .score = (double)l->s / RT_MATCH_SCORE_ONE,
                               .locked = true};
  }
  /* CSR of the honoured locks by need: counts at [n + 2], prefix sums, then fill via [n + 1] */
  for (uint32_t n = 0; n < r->N; n++)
    r->lock_start[n + 2] += r->lock_start[n + 1];
  for (size_t j = 0; j < m; j++)
    if (ls[j].s >= 0)
      r->lock_o[r->lock_start[ls[j].n + 1]++] = ls[j].o;
  out->n_locks_honoured = r->n_locks;
  rc = 0;
  for (size_t i = 0; i < k && !rc; i++) {
    bool honoured = false;
    for (size_t j = 0; j < m && !honoured; j++)
      honoured = ls[j].input == i && ls[j].s >= 0;
    for (size_t j = 0; j < m && !honoured; j++) /* a repeat of an honoured pair */
      honoured = ls[j].s >= 0 && opts->locked[ls[j].input].need_id == opts->locked[i].need_id &&
                 opts->locked[ls[j].input].offer_id == opts->locked[i].offer_id;
    if (!honoured)
      rc = add_refusal(out, &opts->locked[i], why[i]);
  }
out:
  free(ls);
  free(why);
  return rc;
}

/* Keeps need n's locked offers, and the offers that locks filled, out of this run's row. */
static void exclude_locked(const run_t *r, uint32_t n, int32_t *row) {
  if (!r->n_locks)
    return;
  for (uint32_t k = r->lock_start[n]; k < r->lock_start[n + 1]; k++)
    row[r->lock_o[k]] = -1;
  for (uint32_t k = 0; k < r->n_full; k++)
    row[r->full[k]] = -1;
}

/* Pass 1: score every pair once, keep each need's best L. */
static int scan(run_t *r) {
  const rt_match_instance_t *inst = r->inst;
  uint32_t N = r->N, M = r->M, mp = inst->m_pad;
  size_t L = r->opts->candidates ? r->opts->candidates : DEFAULT_CANDIDATES;
  uint32_t *open = ralloc(r, N + 1, sizeof(uint32_t));
  rt__need_ctx_t *ctx = ralloc(r, BLOCK_NEEDS, sizeof(rt__need_ctx_t));
  int32_t *rows = ralloc(r, (size_t)BLOCK_NEEDS * mp + 1, sizeof(int32_t));
  uint8_t *cnt = ralloc(r, SCAN_TILE, 1);
  uint64_t *keys = ralloc(r, (size_t)M + 1, sizeof(uint64_t));
  uint32_t *idx = ralloc(r, (size_t)M + 1, sizeof(uint32_t)); /* + 1: a spare for the store */
  r->base_start = ralloc(r, N + 1, sizeof(uint32_t));
  r->deg_full = ralloc(r, N + 1, sizeof(uint32_t));
  r->s_last = ralloc(r, N + 1, sizeof(int32_t));
  if (!open || !ctx || !rows || !cnt || !keys || !idx || !r->base_start || !r->deg_full ||
      !r->s_last)
    return RT_ENOMEM;
  /* The kept pairs are appended to a growing array. */
  size_t cap = (size_t)N * 8 + 64, used = 0;
  uint32_t *bo = malloc(cap * sizeof(uint32_t));
  int32_t *bs = malloc(cap * sizeof(int32_t));
  int rc = RT_ENOMEM;
  if (!bo || !bs)
    goto out;
  uint32_t n_open = 0;
  for (uint32_t n = 0; n < N; n++) {
    r->deg_full[n] = 0;
    r->s_last[n] = -1;
    if (inst->n.open[n])
      open[n_open++] = n;
  }
  r->stats->pairs_scored = (uint64_t)n_open * M;
  uint64_t feasible = 0;
  uint32_t next_need = 0; /* needs below this have their base_start set */
  for (uint32_t b0 = 0; b0 < n_open; b0 += BLOCK_NEEDS) {
    uint32_t nb = n_open - b0 < BLOCK_NEEDS ? n_open - b0 : BLOCK_NEEDS;
    for (uint32_t i = 0; i < nb; i++)
      rt__need_ctx(inst, open[b0 + i], r->w, &ctx[i]);
    /* tile-major, so a tile of offers stays in cache across the block of needs */
    for (uint32_t o0 = 0; o0 < mp; o0 += SCAN_TILE) {
      uint32_t o1 = o0 + SCAN_TILE < mp ? o0 + SCAN_TILE : mp;
      for (uint32_t i = 0; i < nb; i++)
        rt__score_range(inst, &ctx[i], o0, o1, rows + (size_t)i * mp + o0, cnt);
    }
    for (uint32_t i = 0; i < nb; i++) {
      uint32_t n = open[b0 + i];
      int32_t *row = rows + (size_t)i * mp;
      rt__apply_exclusions(inst, n, 0, mp, row);
      for (; next_need <= n; next_need++)
        r->base_start[next_need] = (uint32_t)used;
      /* Branch-free compaction: with one pair in eight feasible, a branch here would
       * mispredict often enough to cost more than the scoring. */
      uint32_t f = 0;
      size_t deg = 0;
      const int32_t t0 = r->nleft[n] ? r->t0 : INT32_MAX;
      const uint32_t salt = tie_salt(inst, n);
      for (uint32_t o = 0; o < M; o++) /* vectorised */
        f += row[o] >= 0;
      exclude_locked(r, n, row);
      for (uint32_t o = 0; o < M; o++) {
        idx[deg] = o;
        deg += row[o] >= t0;
      }
      for (size_t k = 0; k < deg; k++)
        keys[k] = key_of(row[idx[k]], idx[k], salt);
      feasible += f;
      if (r->nleft[n] == 0)
        continue;
      r->deg_full[n] = (uint32_t)deg;
      size_t keep = L > SIZE_MAX - r->nleft[n] ? SIZE_MAX : L + r->nleft[n];
      if (deg > keep) {
        select_top(keys, deg, keep);
        uint64_t least = keys[0];
        for (size_t k = 1; k < keep; k++)
          least = keys[k] < least ? keys[k] : least;
        r->s_last[n] = (int32_t)(least >> 32);
        deg = keep;
      }
      if (used + deg > cap) {
        size_t ncap = (used + deg) * 2;
        uint32_t *nbo = realloc(bo, ncap * sizeof(uint32_t));
        if (!nbo)
          goto out;
        bo = nbo;
        int32_t *nbs = realloc(bs, ncap * sizeof(int32_t));
        if (!nbs)
          goto out;
        bs = nbs;
        cap = ncap;
      }
      for (size_t k = 0; k < deg; k++) {
        bo[used] = tie_unmix((uint32_t)keys[k], salt);
        bs[used++] = (int32_t)(keys[k] >> 32);
      }
    }
    if ((rc = progress(r, 0.5 * (b0 + nb) / (n_open ? n_open : 1))) < 0)
      goto out;
  }
  for (; next_need <= N; next_need++)
    r->base_start[next_need] = (uint32_t)used;
  r->stats->feasible_pairs = feasible;
  r->base_o = ralloc(r, used + 1, sizeof(uint32_t));
  r->base_s = ralloc(r, used + 1, sizeof(int32_t));
  rc = RT_ENOMEM;
  if (!r->base_o || !r->base_s)
    goto out;
  memcpy(r->base_o, bo, used * sizeof(uint32_t));
  memcpy(r->base_s, bs, used * sizeof(int32_t));
  rc = 0;
out:
  free(bo);
  free(bs);
  return rc;
}

static int cmp_extra(const void *a, const void *b) {
  const extra_t *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? -1 : 1;
  return x->o < y->o ? -1 : x->o > y->o;
}

/* Builds this round's CSR graph from the kept pairs and the certificate's additions, and resets
 * the flow and the potentials. */
static int build_graph(run_t *r) {
  uint32_t N = r->N, M = r->M;
  if (r->n_extra)
    qsort(r->extra, r->n_extra, sizeof(extra_t), cmp_extra);
  size_t E = r->base_start[N] + r->n_extra;
  r->estart = ralloc(r, N + 1, sizeof(uint32_t));
  r->eo = ralloc(r, E + 1, sizeof(uint32_t));
  r->en = ralloc(r, E + 1, sizeof(uint32_t));
  r->es = ralloc(r, E + 1, sizeof(int32_t));
  r->used = ralloc(r, E + 1, 1);
  r->nxt = ralloc(r, E + 1, sizeof(int32_t));
  r->prv = ralloc(r, E + 1, sizeof(int32_t));
  if (!r->estart || !r->eo || !r->en || !r->es || !r->used || !r->nxt || !r->prv)
    return RT_ENOMEM;
  size_t e = 0, x = 0;
  for (uint32_t n = 0; n < N; n++) {
    r->estart[n] = (uint32_t)e;
    for (uint32_t k = r->base_start[n]; k < r->base_start[n + 1]; k++, e++) {
      r->eo[e] = r->base_o[k];
      r->es[e] = r->base_s[k];
      r->en[e] = n;
    }
    for (; x < r->n_extra && r->extra[x].n == n; x++, e++) {
      r->eo[e] = r->extra[x].o;
      r->es[e] = r->extra[x].s;
      r->en[e] = n;
    }
  }
  r->estart[N] = (uint32_t)e;
  memset(r->used, 0, E + 1);
  for (uint32_t o = 0; o < M; o++) {
    r->ohead[o] = -1;
    r->ofree[o] = r->oleft[o];
    r->p[N + o] = 0;
  }
  for (uint32_t n = 0; n < N; n++) {
    int32_t best = 0;
    for (uint32_t k = r->estart[n]; k < r->estart[n + 1]; k++)
      best = r->es[k] > best ? r->es[k] : best;
    r->p[n] = best;
    r->nsup[n] = r->nleft[n];
  }
  r->stats->candidate_edges = E;
  return 0;
}

/* Makes room for one more element in a growing array of *cap elements of size bytes, len of
 * them used: the array (moved or not), or NULL when out of memory (arr is then unchanged). */
static void *grow(void *arr, size_t *cap, size_t len, size_t size, size_t first) {
  if (len < *cap)
    return arr;
  size_t ncap = *cap ? *cap * 2 : first;
  void *p = ncap <= SIZE_MAX / size ? realloc(arr, ncap * size) : NULL;
  if (p)
    *cap = ncap;
  return p;
}

static int heap_push(run_t *r, size_t *len, int64_t d, uint32_t v) {
  heap_item_t *grown = grow(r->heap, &r->heap_cap, *len, sizeof(heap_item_t), 1024);
  if (!grown)
    return RT_ENOMEM;
  r->heap = grown;
  heap_item_t *h = r->heap, x = {d, v};
  size_t i = (*len)++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (h[p].d < x.d || (h[p].d == x.d && h[p].v <= x.v))
      break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
  return 0;
}

RT__INLINE heap_item_t heap_pop(run_t *r, size_t *len) {
  heap_item_t *h = r->heap, top = h[0], x = h[--(*len)];
  size_t i = 0, n = *len;
  for (;;) {
    size_t l = 2 * i + 1, m = i;
    const heap_item_t *best = &x;
    if (l < n && (h[l].d < best->d || (h[l].d == best->d && h[l].v < best->v)))
      m = l, best = &h[l];
    if (l + 1 < n && (h[l + 1].d < best->d || (h[l + 1].d == best->d && h[l + 1].v < best->v)))
      m = l + 1;
    if (m == i)
      break;
    h[i] = h[m];
    i = m;
  }
  if (n)
    h[i] = x;
  return top;
}

static void use_edge(run_t *r, uint32_t e) {
  uint32_t o = r->eo[e];
  r->used[e] = 1;
  r->prv[e] = -1;
  r->nxt[e] = r->ohead[o];
  if (r->ohead[o] >= 0)
    r->prv[r->ohead[o]] = (int32_t)e;
  r->ohead[o] = (int32_t)e;
}

static void unuse_edge(run_t *r, uint32_t e) {
  uint32_t o = r->eo[e];
  r->used[e] = 0;
  if (r->prv[e] >= 0)
    r->nxt[r->prv[e]] = r->nxt[e];
  else
    r->ohead[o] = r->nxt[e];
  if (r->nxt[e] >= 0)
    r->prv[r->nxt[e]] = r->prv[e];
}

#define SCANNED 0x80000000u

/* Lowers the tentative distance of u to du (reached over edge e), unless u is already final. */
static int relax(run_t *r, size_t *hl, uint32_t g, uint32_t u, int64_t du, int32_t e) {
  if ((r->gen[u] & ~SCANNED) == g && ((r->gen[u] & SCANNED) || du >= r->dist[u]))
    return 0;
  r->gen[u] = g;
  r->dist[u] = du;
  r->pred[u] = e;
  return heap_push(r, hl, du, u);
}

/* Starts a search from need n0: a new generation (*g) with n0 in the heap at distance 0. */
RT__INLINE int search_start(run_t *r, uint32_t n0, size_t *hl, uint32_t *g) {
  *g = ++r->cur_gen;
  r->dist[n0] = 0;
  r->gen[n0] = *g;
  r->pred[n0] = -1;
  return heap_push(r, hl, 0, n0);
}

/* Settles the nearest node still in the heap if it is nearer than bound: 1 with *v (marked
 * scanned, recorded), or 0 when there is none. */
RT__INLINE int search_next(run_t *r, size_t *hl, uint32_t g, int64_t bound, size_t *ns,
                           uint32_t *v) {
  while (*hl) {
    heap_item_t it = heap_pop(r, hl);
    if (it.d != r->dist[it.v] || r->gen[it.v] != g)
      continue;
    if (it.d >= bound)
      return 0;
    r->gen[it.v] = g | SCANNED;
    r->scanned[(*ns)++] = it.v;
    *v = it.v;
    return 1;
  }
  return 0;
}

/* Relaxes the unused edges of need v, settled at distance d. An offer with room ends a path as
 * soon as it is reached: its edge to T costs p(o) = 0, and every node still to pop is at least
 * as far, so the search stops at the first free offer instead of popping every equally near
 * node first (which, when many scores tie, is most of the graph); *best and *via take it when
 * it is nearer than *best. */
RT__INLINE int relax_need(run_t *r, size_t *hl, uint32_t g, uint32_t v, int64_t d, int64_t *best,
                          uint32_t *via) {
  for (uint32_t e = r->estart[v]; e < r->estart[v + 1]; e++) {
    if (r->used[e])
      continue;
    uint32_t u = r->N + r->eo[e];
    int64_t du = d + r->p[v] - r->p[u] - r->es[e];
    int rc = relax(r, hl, g, u, du, (int32_t)e);
    if (rc < 0)
      return rc;
    if (r->ofree[r->eo[e]] > 0 && du + r->p[u] < *best) {
      *best = du + r->p[u];
      *via = u;
    }
  }
  return 0;
}

/* Potentials after a search that found T at distance D: p += dist - D on the scanned nodes
 * keeps every reduced cost non-negative. */
RT__INLINE void search_settle(run_t *r, size_t ns, int64_t D) {
  for (size_t i = 0; i < ns; i++) {
    uint32_t v = r->scanned[i];
    r->p[v] += r->dist[v] - D;
  }
}

/* One shortest path from need n0 to T; augments along it unless it is n0's own "stay
 * unmatched" edge. Returns 1 when it augmented, 0 when n0 is done, or an error. */
static int augment_from(run_t *r, uint32_t n0) {
  const uint32_t N = r->N;
  const int64_t INF = INT64_MAX / 4;
  uint32_t g, v;
  size_t hl = 0, ns = 0;
  int64_t bestT = INF;
  int32_t predT = -1; /* >= 0: via offer (node index); encoded below */
  bool predT_dummy = false;
  int rc = search_start(r, n0, &hl, &g);
  if (rc < 0)
    return rc;
  while (search_next(r, &hl, g, bestT, &ns, &v)) {
    int64_t d = r->dist[v];
    if (v < N) {
      int64_t nd = d + r->p[v]; /* stay unmatched: reduced cost p(n) - p(T), p(T) = 0 */
      if (nd < bestT) {
        bestT = nd;
        predT = (int32_t)v;
        predT_dummy = true;
      }
      uint32_t via = UINT32_MAX;
      if ((rc = relax_need(r, &hl, g, v, d, &bestT, &via)) < 0)
        return rc;
      if (via != UINT32_MAX) {
        predT = (int32_t)via;
        predT_dummy = false;
      }
    } else {
      uint32_t o = v - N;
      if (r->ofree[o] > 0) {
        int64_t nd = d + r->p[v];
        if (nd < bestT) {
          bestT = nd;
          predT = (int32_t)v;
          predT_dummy = false;
        }
      }
      for (int32_t e = r->ohead[o]; e >= 0; e = r->nxt[e]) {
        uint32_t u = r->en[e];
        int64_t du = d + r->es[e] + r->p[v] - r->p[u];
        if ((rc = relax(r, &hl, g, u, du, e)) < 0)
          return rc;
      }
    }
  }
  search_settle(r, ns, bestT);
  if (predT_dummy && (uint32_t)predT == n0)
    return 0;
  uint32_t x = (uint32_t)predT;
  if (!predT_dummy)
    r->ofree[x - N]--;
  for (;;) {
    if (x >= N) { /* an offer, reached over a forward edge */
      uint32_t e = (uint32_t)r->pred[x];
      use_edge(r, e);
      x = r->en[e];
    } else {
      if (x == n0)
        break;
      uint32_t e = (uint32_t)r->pred[x]; /* a need, reached over its used edge backwards */
      unuse_edge(r, e);
      x = N + r->eo[e];
    }
  }
  r->nsup[n0]--;
  r->stats->augmentations++;
  return 1;
}

/* ---- the fairness floor ---- */

/* Need -> state and the states served before the optimisation, for every run (the stats count
 * states either way): O(needs). */
static int map_states(run_t *r) {
  const rt_match_instance_t *inst = r->inst;
  uint32_t P = 0;
  for (uint32_t n = 0; n < r->N; n++)
    if (inst->n.open[n] && inst->n.part[n] >= P)
      P = inst->n.part[n] + 1;
  uint32_t *map = ralloc(r, (size_t)P + 1, sizeof(uint32_t));
  r->st = ralloc(r, (size_t)r->N + 1, sizeof(uint32_t));
  r->s_served = ralloc(r, (size_t)r->N + 1, 1);
  if (!map || !r->st || !r->s_served)
    return RT_ENOMEM;
  memset(map, 0xFF, ((size_t)P + 1) * sizeof(uint32_t));
  memset(r->s_served, 0, (size_t)r->N + 1);
  for (uint32_t n = 0; n < r->N; n++) {
    r->st[n] = UINT32_MAX;
    if (!inst->n.open[n])
      continue;
    uint32_t *s = &map[inst->n.part[n]];
    if (*s == UINT32_MAX)
      *s = r->S++;
    r->st[n] = *s;
    r->s_served[*s] |= inst->n.served[n];
  }
  return 0;
}

/* B: one more than the largest total score any assignment can reach (each need's partners
 * left, or its feasible pairs if fewer, times the largest score; and no more than the offers'
 * room). RT_E2BIG past 2^26 possible matches, where B x the states could near int64's range. */
static int floor_bonus(run_t *r) {
  uint64_t k = 0, room = 0;
  for (uint32_t n = 0; n < r->N; n++)
    k += r->nleft[n] < r->deg_full[n] ? r->nleft[n] : r->deg_full[n];
  for (uint32_t o = 0; o < r->M; o++)
    room += r->oleft[o];
  k = k < room ? k : room;
  if (k > (1u << 26))
    return RT_E2BIG;
  r->bonus = (int64_t)(k + 1) * RT_MATCH_SCORE_ONE;
  return 0;
}

/* Sets up this round's hubs: which states can be left out (not served yet, candidate pairs),
 * their units, and their needs with candidate pairs (for the hub's arcs back). */
static int floor_hubs(run_t *r) {
  uint32_t N = r->N, S = r->S, H = N + r->M;
  if (!r->cheap) {
    r->cheap = ralloc(r, (size_t)S + 1, sizeof(int64_t));
    r->dear = ralloc(r, (size_t)S + 1, 1);
    r->dflow = ralloc(r, (size_t)N + 1, sizeof(uint32_t));
    r->sstart = ralloc(r, (size_t)S + 2, sizeof(uint32_t));
    r->sneed = ralloc(r, (size_t)N + 1, sizeof(uint32_t));
    if (!r->cheap || !r->dear || !r->dflow || !r->sstart || !r->sneed)
      return RT_ENOMEM;
  }
  memset(r->cheap, 0, ((size_t)S + 1) * sizeof(int64_t));
  memset(r->sstart, 0, ((size_t)S + 2) * sizeof(uint32_t));
  for (uint32_t n = 0; n < N; n++) {
    r->dflow[n] = 0;
    if (r->estart[n] == r->estart[n + 1] || !r->nsup[n])
      continue;
    r->cheap[r->st[n]] += r->nsup[n];
    r->sstart[r->st[n] + 2]++;
  }
  for (uint32_t s = 0; s < S; s++) {
    r->sstart[s + 2] += r->sstart[s + 1];
    r->dear[s] = !r->s_served[s] && r->cheap[s] > 0;
    r->cheap[s] = r->dear[s] ? r->cheap[s] - 1 : INT64_MAX / 4;
    r->p[H + s] = 0;
  }
  for (uint32_t n = 0; n < N; n++)
    if (r->estart[n] < r->estart[n + 1] && r->nsup[n])
      r->sneed[r->sstart[r->st[n] + 1]++] = n;
  return 0;
}

/* A path's end at T: an offer with room, or a hub at cost 0 or at cost B. */
typedef enum { TO_OFFER, TO_HUB, TO_HUB_DEAR } exit_t;

typedef struct best_s {
  int64_t d;
  uint32_t via;
  exit_t how;
} best_t;

static void hub_exit(const run_t *r, uint32_t h, int64_t dh, best_t *b) {
  uint32_t s = h - r->N - r->M;
  if (r->cheap[s] > 0 && dh + r->p[h] < b->d)
    *b = (best_t){dh + r->p[h], h, TO_HUB};
  if (r->dear[s] && dh + r->bonus + r->p[h] < b->d)
    *b = (best_t){dh + r->bonus + r->p[h], h, TO_HUB_DEAR};
}

/* One shortest path from need n0 to T over needs, offers and hubs, augmented; a path that only
 * sends n0's units to its own hub at cost 0 takes all of them that fit at once. */
static int floor_augment(run_t *r, uint32_t n0) {
  const uint32_t N = r->N, H = N + r->M;
  uint32_t g, v;
  size_t hl = 0, ns = 0;
  best_t b = {INT64_MAX / 4, 0, TO_OFFER};
  int rc = search_start(r, n0, &hl, &g);
  if (rc < 0)
    return rc;
  while (search_next(r, &hl, g, b.d, &ns, &v)) {
    int64_t d = r->dist[v];
    if (v < N) {
      uint32_t via = UINT32_MAX;
      if ((rc = relax_need(r, &hl, g, v, d, &b.d, &via)) < 0)
        return rc;
      if (via != UINT32_MAX)
        b.via = via, b.how = TO_OFFER;
      uint32_t h = H + r->st[v];
      int64_t dh = d + r->p[v] - r->p[h];
      if ((rc = relax(r, &hl, g, h, dh, (int32_t)v)) < 0)
        return rc;
      hub_exit(r, h, dh, &b);
    } else if (v < H) {
      if (r->ofree[v - N] > 0 && d + r->p[v] < b.d)
        b = (best_t){d + r->p[v], v, TO_OFFER};
      for (int32_t e = r->ohead[v - N]; e >= 0; e = r->nxt[e]) {
        uint32_t u = r->en[e];
        if ((rc = relax(r, &hl, g, u, d + r->es[e] + r->p[v] - r->p[u], e)) < 0)
          return rc;
      }
    } else {
      hub_exit(r, v, d, &b);
      uint32_t s = v - H;
      for (uint32_t k = r->sstart[s]; k < r->sstart[s + 1]; k++) {
        uint32_t u = r->sneed[k]; /* back along an unmatched unit's arc: u is matched instead */
        if (r->dflow[u] && (rc = relax(r, &hl, g, u, d + r->p[v] - r->p[u], -2)) < 0)
          return rc;
      }
    }
  }
  if (b.d >= INT64_MAX / 4) /* cannot happen: a hub always has room for its state's units */
    return RT_EINVAL;
  search_settle(r, ns, b.d);
  uint32_t k = 1, x = b.via;
  if (b.how == TO_OFFER) {
    r->ofree[x - N]--;
  } else if (b.how == TO_HUB_DEAR) {
    r->dear[x - H] = 0;
  } else {
    if (r->pred[x] == (int32_t)n0) /* n0 straight to its hub: its other units follow */
      k = r->cheap[x - H] < r->nsup[n0] ? (uint32_t)r->cheap[x - H] : r->nsup[n0];
    r->cheap[x - H] -= k;
  }
  bool matched = b.how == TO_OFFER || r->pred[x] != (int32_t)n0;
  for (;;) {
    if (x >= H) { /* a hub, reached from a need that sends a unit to it */
      x = (uint32_t)r->pred[x];
      r->dflow[x] += k;
    } else if (x >= N) { /* an offer, reached over a forward edge */
      uint32_t e = (uint32_t)r->pred[x];
      use_edge(r, e);
      x = r->en[e];
    } else if (x == n0) {
      break;
    } else if (r->pred[x] == -2) { /* a need that stayed unmatched, reached from its hub */
      r->dflow[x]--;
      x = H + r->st[x];
    } else { /* a need, reached over its used edge backwards */
      uint32_t e = (uint32_t)r->pred[x];
      unuse_edge(r, e);
      x = N + r->eo[e];
    }
  }
  r->nsup[n0] -= k;
  r->stats->augmentations += matched;
  return 0;
}

/* The floor's solve on this round's graph (built): every unit of every need with candidate
 * pairs is routed, matched or to its hub. */
static int floor_solve(run_t *r) {
  int rc = floor_hubs(r);
  if (rc < 0)
    return rc;
  memset(r->gen, 0, ((size_t)r->N + r->M + r->S) * sizeof(uint32_t));
  r->cur_gen = 0;
  for (uint32_t n = 0; n < r->N; n++) {
    while (r->nsup[n] > 0 && r->estart[n] < r->estart[n + 1])
      if ((rc = floor_augment(r, n)) < 0)
        return rc;
    if ((n & 255) == 255 && (rc = progress(r, 0.5 + 0.4 * (n + 1) / r->N)) < 0)
      return rc;
  }
  return 0;
}

static int solve(run_t *r) {
  int rc = build_graph(r);
  if (rc < 0)
    return rc;
  if (r->opts->fairness_floor)
    return floor_solve(r);
  uint32_t *gen = r->gen;
  memset(gen, 0, ((size_t)r->N + r->M) * sizeof(uint32_t));
  r->cur_gen = 0;
  for (uint32_t n = 0; n < r->N; n++) {
    while (r->nsup[n] > 0 && r->estart[n] < r->estart[n + 1]) {
      if ((rc = augment_from(r, n)) < 0)
        return rc;
      if (rc == 0)
        break;
    }
    if ((n & 255) == 255 && (rc = progress(r, 0.5 + 0.4 * (n + 1) / r->N)) < 0)
      return rc;
  }
  return 0;
}

/* Appends pair (n, o) scoring s to the certificate's additions. */
static int add_extra(run_t *r, uint32_t n, uint32_t o, int32_t s) {
  extra_t *grown = grow(r->extra, &r->cap_extra, r->n_extra, sizeof(extra_t), 256);
  if (!grown)
    return RT_ENOMEM;
  r->extra = grown;
  r->extra[r->n_extra++] = (extra_t){n, o, s};
  return 0;
}

/* Looks for pruned pairs whose score exceeds u_n + v_o and adds each need's most violating
 * L + partners-left of them (all of them would be correct too, but in a roundtable of copies
 * that is nearly every pair). Returns how many were added. */
static int certify(run_t *r, size_t *added) {
  const rt_match_instance_t *inst = r->inst;
  uint32_t N = r->N, M = r->M, mp = inst->m_pad;
  size_t L = r->opts->candidates ? r->opts->candidates : DEFAULT_CANDIDATES;
  *added = 0;
  int32_t *row = NULL;
  uint8_t *cnt = NULL;
  uint32_t *stamp = NULL;
  uint64_t *keys = NULL;
  int rc = RT_ENOMEM;
  for (uint32_t n = 0; n < N; n++) {
    uint32_t kept = r->estart[n + 1] - r->estart[n];
    if (r->deg_full[n] <= kept || r->p[n] >= r->s_last[n])
      continue;
    if (!row) {
      row = malloc((size_t)mp * sizeof(int32_t) + 4);
      cnt = malloc((size_t)mp + 4);
      stamp = calloc((size_t)M + 1, sizeof(uint32_t));
      keys = malloc(((size_t)M + 1) * sizeof(uint64_t));
      if (!row || !cnt || !stamp || !keys)
        goto out;
    }
    r->stats->rescanned_needs++;
    rt__need_ctx_t c;
    rt__need_ctx(inst, n, r->w, &c);
    rt__score_range(inst, &c, 0, mp, row, cnt);
    rt__apply_exclusions(inst, n, 0, mp, row);
    exclude_locked(r, n, row);
    for (uint32_t e = r->estart[n]; e < r->estart[n + 1]; e++)
      stamp[r->eo[e]] = n + 1;
    const uint32_t salt = tie_salt(inst, n);
    size_t nv = 0;
    for (uint32_t o = 0; o < M; o++) {
      if (row[o] < r->t0 || stamp[o] == n + 1)
        continue;
      int64_t margin = (int64_t)row[o] - (r->p[n] - r->p[N + o]); /* score - (u_n + v_o) */
      if (margin > 0)
        keys[nv++] = key_of(margin > INT32_MAX ? INT32_MAX : (int32_t)margin, o, salt);
    }
    size_t keep = L > SIZE_MAX - r->nleft[n] ? SIZE_MAX : L + r->nleft[n];
    if (nv > keep) {
      select_top(keys, nv, keep);
      nv = keep;
    }
    for (size_t k = 0; k < nv; k++) {
      uint32_t o = tie_unmix((uint32_t)keys[k], salt);
      if ((rc = add_extra(r, n, o, row[o])) < 0)
        goto out;
    }
    *added += nv;
    if ((n & 255) == 255 && (rc = progress(r, 0.9 + 0.1 * (n + 1) / N)) < 0)
      goto out;
  }
  rc = 0;
out:
  free(row);
  free(cnt);
  free(stamp);
  free(keys);
  return rc;
}

static int cmp_proposal(const void *a, const void *b) {
  const rt_match_proposal_t *x = a, *y = b;
  if (x->score_q != y->score_q)
    return x->score_q > y->score_q ? -1 : 1;
  if (x->need_id != y->need_id)
    return x->need_id < y->need_id ? -1 : 1;
  return x->offer_id < y->offer_id ? -1 : x->offer_id > y->offer_id;
}

static int emit(run_t *r, rt_match_result_t *out) {
  const rt_match_instance_t *inst = r->inst;
  size_t E = r->estart[r->N], k = r->n_locks;
  /* the states: 1 served before, 2 a feasible pair with room, 4 a proposal */
  uint8_t *mark = ralloc(r, (size_t)r->S + 1, 1);
  if (!mark)
    return RT_ENOMEM;
  memcpy(mark, r->s_served, r->S);
  for (size_t e = 0; e < E; e++)
    k += r->used[e];
  out->proposals = malloc((k ? k : 1) * sizeof(rt_match_proposal_t));
  if (!out->proposals)
    return RT_ENOMEM;
  out->mem = out->proposals;
  int64_t total = 0;
  for (k = 0; k < r->n_locks; k++) {
    out->proposals[k] = r->locks[k];
    total += r->locks[k].score_q;
  }
  for (size_t e = 0; e < E; e++) {
    if (!r->used[e])
      continue;
    rt_match_proposal_t *p = &out->proposals[k++];
    uint32_t n = r->en[e], o = r->eo[e];
    p->need = inst->need_ext[n];
    p->offer = inst->offer_ext[o];
    p->need_id = inst->n.id[n];
    p->offer_id = inst->o.id[o];
    p->score_q = r->es[e];
    p->score = (double)r->es[e] / RT_MATCH_SCORE_ONE;
    p->locked = false;
    total += r->es[e];
    mark[r->st[n]] |= 4;
  }
  qsort(out->proposals, k, sizeof(rt_match_proposal_t), cmp_proposal);
  out->n_proposals = k;
  for (uint32_t n = 0; n < r->N; n++)
    if (r->deg_full[n])
      mark[r->st[n]] |= 2;
  out->stats.states = r->S;
  for (uint32_t s = 0; s < r->S; s++) {
    out->stats.states_servable += mark[s] != 0;
    out->stats.states_served += (mark[s] & 5) != 0;
  }
  out->stats.matches = k;
  out->stats.total_score_q = total;
  out->stats.total_score = (double)total / RT_MATCH_SCORE_ONE;
  return 0;
}

int rt_match_assign(const rt_match_instance_t *inst, const rt_match_weights_t *w,
                    const rt_match_assign_opts_t *opts, rt_match_result_t *out) {
  if (!out)
    return RT_EINVAL;
  memset(out, 0, sizeof(*out));
  rt_match_assign_opts_t defaults = {0};
  if (!opts)
    opts = &defaults;
  if (!inst || !rt__weights_ok(w) || !(opts->min_score == opts->min_score) ||
      (opts->n_locked && !opts->locked))
    return RT_EINVAL;
  double t_start = now_ms();
  run_t r;
  memset(&r, 0, sizeof(r));
  r.inst = inst;
  r.w = w;
  r.opts = opts;
  r.stats = &out->stats;
  r.N = inst->n_needs;
  r.M = inst->n_offers;
  rt_arena_init(&r.arena, 1 << 20);
  double thr = opts->min_score * RT_MATCH_SCORE_ONE;
  r.t0 = thr <= 1 ? 1 : thr > RT_MATCH_SCORE_ONE ? RT_MATCH_SCORE_ONE + 1 : (int32_t)thr;
  if ((double)r.t0 < thr)
    r.t0++; /* ceil: a pair qualifies when score_q / 2^30 >= min_score */
  out->stats.needs = r.N;
  out->stats.offers = r.M;
  size_t nodes = (size_t)r.N + r.M + 1 + (opts->fairness_floor ? r.N : 0); /* + the hubs */
  int rc = RT_ENOMEM;
  r.ohead = ralloc(&r, r.M + 1, sizeof(int32_t));
  r.ofree = ralloc(&r, r.M + 1, sizeof(uint32_t));
  r.nsup = ralloc(&r, r.N + 1, sizeof(uint32_t));
  r.p = ralloc(&r, nodes, sizeof(int64_t));
  r.dist = ralloc(&r, nodes, sizeof(int64_t));
  r.gen = ralloc(&r, nodes, sizeof(uint32_t));
  r.pred = ralloc(&r, nodes, sizeof(int32_t));
  r.scanned = ralloc(&r, nodes, sizeof(uint32_t));
  r.nleft = ralloc(&r, r.N + 1, sizeof(uint32_t));
  r.oleft = ralloc(&r, r.M + 1, sizeof(uint32_t));
  if (!r.ohead || !r.ofree || !r.nsup || !r.p || !r.dist || !r.gen || !r.pred || !r.scanned ||
      !r.nleft || !r.oleft)
    goto fail;
  memcpy(r.nleft, inst->n.left, r.N * sizeof(uint32_t));
  memcpy(r.oleft, inst->o.left, r.M * sizeof(uint32_t));
  if ((rc = map_states(&r)) < 0)
    goto fail;
  if (opts->n_locked && (rc = place_locks(&r, out)) < 0)
    goto fail;
  if ((rc = progress(&r, 0)) < 0 || (rc = scan(&r)) < 0)
    goto fail;
  if (opts->fairness_floor && (rc = floor_bonus(&r)) < 0)
    goto fail;
  double t = now_ms();
  out->stats.scan_ms = t - t_start;
  for (;;) {
    out->stats.rounds++;
    if ((rc = solve(&r)) < 0)
      goto fail;
    double t_solved = now_ms();
    out->stats.solve_ms += t_solved - t;
    size_t added;
    if ((rc = certify(&r, &added)) < 0)
      goto fail;
    t = now_ms();
    out->stats.certify_ms += t - t_solved;
    out->stats.added_edges += added;
    if (!added)
      break;
  }
  if ((rc = emit(&r, out)) < 0)
    goto fail;
  if ((rc = progress(&r, 1.0)) < 0)
    goto fail;
  free(r.heap);
  free(r.extra);
  rt_arena_reset(&r.arena);
  out->stats.elapsed_ms = now_ms() - t_start;
  return 0;
fail:
  free(r.heap);
  free(r.extra);
  rt_arena_reset(&r.arena);
  rt_match_result_free(out);
  return rc;
}

void rt_match_result_free(rt_match_result_t *r) {
  if (!r)
    return;
  free(r->mem);
  free(r->refused_locks);
  memset(r, 0, sizeof(*r));
}
