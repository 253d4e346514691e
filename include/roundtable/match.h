/* The matching engine: feasibility, explained scores, suggestions, unmet reasons and the
 * exactly optimal assignment of one roundtable's needs to its offers.
 *
 * Pure: plain structs in, plain structs out; no I/O, no event loop, no JSON. The model and
 * every formula are documented in docs/matching.md; the contract is "Matching semantics" in
 * the API document.
 *
 * Indices. Functions take and return the caller's indices, i.e. positions in the arrays given to
 * rt_match_instance_build(). Internally everything is ordered by id, so the results (scores,
 * rankings and the chosen assignment) do not depend on the order of the input arrays.
 *
 * Threads. A built instance is immutable: any number of threads may call the functions below on
 * one instance at once; each call allocates its own scratch memory.
 */
#ifndef ROUNDTABLE_MATCH_H
#define ROUNDTABLE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "roundtable/error.h"

/* Limits of the encoding (bitsets): larger inputs are refused with RT_E2BIG. */
#define RT_MATCH_MAX_THEMES 32     /* theme indices 0..31 (the taxonomy has 25 children) */
#define RT_MATCH_MAX_PARENTS 32    /* parent indices 0..31 (the taxonomy has 8) */
#define RT_MATCH_MAX_LANGUAGES 128 /* language indices 0..127 */
#define RT_MATCH_MAX_REGIONS 8     /* region indices 0..7 (the UN has 5 groups) */
#define RT_MATCH_MAX_COUNTRIES 255 /* distinct countries among the needs of one instance */

typedef enum rt_match_modality_e {
  RT_MATCH_IN_PERSON = 0,
  RT_MATCH_ONLINE = 1,
  RT_MATCH_HYBRID = 2,
  RT_MATCH_ANY = 3, /* needs only */
} rt_match_modality_t;

typedef enum rt_match_priority_e {
  RT_MATCH_PRIORITY_HIGH = 0,
  RT_MATCH_PRIORITY_MEDIUM = 1,
  RT_MATCH_PRIORITY_LOW = 2,
} rt_match_priority_t;

/* One need, as the caller holds it. Every pointer is borrowed for the duration of
 * rt_match_instance_build() only; the instance keeps what it needs in its own memory. */
typedef struct rt_match_need_s {
  int64_t id;             /* unique among the needs */
  int64_t participant_id; /* the state that posted it */
  uint8_t region;         /* the state's region, an index < RT_MATCH_MAX_REGIONS */
  const char *country;    /* the state's ISO 3166-1 alpha-3 code ("KEN"); NULL if unknown */
  const char *title;      /* UTF-8; NULL means empty */
  const char *description;
  const uint8_t *themes; /* theme indices (children of the taxonomy), n_themes >= 1 */
  uint32_t n_themes;
  const uint8_t *languages; /* language indices < RT_MATCH_MAX_LANGUAGES */
  uint32_t n_languages;
  rt_match_modality_t modality;
  bool has_window; /* window_start..window_end, inclusive day numbers (e.g. days since 1970) */
  int32_t window_start, window_end;
  int64_t budget_cents; /* budget in US cents; negative when not given */
  rt_match_priority_t priority;
  uint32_t max_partners;       /* in total; agreed pairs given to the build count against it */
  uint32_t state_partnerships; /* agreed partnerships the state already has (fairness) */
  /* The state already holds a standing partnership in this roundtable: it counts as served for
   * the fairness floor (rt_match_assign_opts_t.fairness_floor). Per state: one need saying so
   * is enough. */
  bool state_served;
  bool open; /* status open; other needs never take part */
} rt_match_need_t;

/* One offer. Borrowed like rt_match_need_t. */
typedef struct rt_match_offer_s {
  int64_t id;             /* unique among the offers */
  int64_t participant_id; /* the provider */
  const char *title;
  const char *description;
  const uint8_t *themes;
  uint32_t n_themes;
  const uint8_t *languages;
  uint32_t n_languages;
  rt_match_modality_t modality; /* never RT_MATCH_ANY */
  bool has_window;
  int32_t window_start, window_end;
  int64_t funding_cents;  /* negative when not given */
  uint32_t capacity;      /* in total; agreed pairs given to the build count against it */
  const uint8_t *regions; /* allowed region indices; none = no restriction */
  uint32_t n_regions;
  const char *const *countries; /* allowed alpha-3 codes; none = no restriction */
  uint32_t n_countries;
  bool open;
} rt_match_offer_t;

/* A (need id, offer id) pair: declined pairs are never feasible; agreed pairs are never
 * proposed again and use up one of the need's partners and one unit of the offer's capacity.
 * Pairs naming an id that is not in the instance still count against the side that is. */
typedef struct rt_match_pair_s {
  int64_t need_id;
  int64_t offer_id;
} rt_match_pair_t;

typedef struct rt_match_input_s {
  const rt_match_need_t *needs;
  size_t n_needs;
  const rt_match_offer_t *offers;
  size_t n_offers;
  /* The taxonomy: theme_parent[t] is the parent index of theme t, for t < n_themes. */
  const uint8_t *theme_parent;
  uint32_t n_themes;
  const rt_match_pair_t *declined;
  size_t n_declined;
  const rt_match_pair_t *agreed;
  size_t n_agreed;
} rt_match_input_t;

typedef struct rt_match_instance_s rt_match_instance_t;

/* Validates and encodes the input once (bitsets, day numbers, text signatures) into a new
 * instance. On failure returns RT_EINVAL (bad input: an unknown enum, an index out of range, a
 * duplicate id, a window ending before it starts...), RT_E2BIG or RT_ENOMEM, and writes a
 * one-line reason into err (may be NULL) naming the record and field. */
int rt_match_instance_build(const rt_match_input_t *in, rt_match_instance_t **out, char *err,
                            size_t errlen) RT_WUR;
void rt_match_instance_free(rt_match_instance_t *inst);
size_t rt_match_instance_needs(const rt_match_instance_t *inst);
size_t rt_match_instance_offers(const rt_match_instance_t *inst);
/* Partners a need may still get (max_partners less its agreed pairs), and the offer's remaining
 * capacity (capacity less its agreed pairs). */
uint32_t rt_match_need_partners_left(const rt_match_instance_t *inst, size_t need);
uint32_t rt_match_offer_capacity_left(const rt_match_instance_t *inst, size_t offer);

/* ---- Criteria and weights ---- */

typedef enum rt_match_criterion_e {
  RT_MATCH_C_THEME = 0,
  RT_MATCH_C_TEXT,
  RT_MATCH_C_WINDOW,
  RT_MATCH_C_MODALITY,
  RT_MATCH_C_FUNDING,
  RT_MATCH_C_PRIORITY,
  RT_MATCH_C_FAIRNESS,
  RT_MATCH_CRITERIA /* the count */
} rt_match_criterion_t;

/* "theme", "text", "window", "modality", "funding", "priority", "fairness"; NULL past the end. */
const char *rt_match_criterion_name(int criterion);

/* Scores are exact integers: a criterion's value is v / RT_MATCH_VALUE_ONE, a weight is
 * w / RT_MATCH_WEIGHT_ONE with the weights summing to exactly RT_MATCH_WEIGHT_ONE, and a score is
 * score_q / RT_MATCH_SCORE_ONE where score_q = sum of w * v. Every figure in a breakdown, every
 * ranking and the optimum of a run are exact on these integers. */
#define RT_MATCH_VALUE_ONE 32768
#define RT_MATCH_WEIGHT_ONE 32768
#define RT_MATCH_SCORE_ONE (1 << 30)

typedef struct rt_match_weights_s {
  uint32_t q[RT_MATCH_CRITERIA]; /* quantised, summing to RT_MATCH_WEIGHT_ONE */
} rt_match_weights_t;

/* The defaults (docs/matching.md). */
void rt_match_weights_default(rt_match_weights_t *w);
/* Starts from the defaults, sets names[i] to values[i] (any subset of the criteria), then scales
 * all weights to sum to 1 and quantises them. RT_EINVAL with a reason in err (may be NULL) for an
 * unknown criterion, one named twice, a negative or non-finite weight, or all weights zero. */
int rt_match_weights_make(rt_match_weights_t *w, const char *const *names, const double *values,
                          size_t n, char *err, size_t errlen) RT_WUR;
double rt_match_weight(const rt_match_weights_t *w, int criterion);

/* ---- Feasibility ---- */

typedef enum rt_match_reason_e {
  RT_MATCH_FEASIBLE = 0,
  /* A pair fails on the first of these, in this order (rt_match_feasible). */
  RT_MATCH_NEED_NOT_OPEN,
  RT_MATCH_OFFER_NOT_OPEN,
  RT_MATCH_SAME_PARTICIPANT,
  RT_MATCH_ALREADY_AGREED,
  RT_MATCH_DECLINED,
  RT_MATCH_NO_CAPACITY,
  RT_MATCH_NO_LANGUAGE,
  RT_MATCH_REGION_EXCLUDED,
  RT_MATCH_COUNTRY_EXCLUDED,
  RT_MATCH_MODALITY,
  RT_MATCH_WINDOW,
  RT_MATCH_NO_THEME,
  /* Only from rt_match_unmet_reason. */
  RT_MATCH_NO_OPEN_OFFERS,
  RT_MATCH_BELOW_MIN_SCORE,
  RT_MATCH_OUTCOMPETED,
  /* Only for a lock that was refused: its need has no partners left. */
  RT_MATCH_NEED_FULL,
  RT_MATCH_REASONS /* the count */
} rt_match_reason_t;

/* A stable snake_case name ("no_shared_language", ...) for APIs and summaries. */
const char *rt_match_reason_name(rt_match_reason_t r);

/* Writes RT_MATCH_FEASIBLE or the first rule the pair breaks. RT_EINVAL for a bad index. */
int rt_match_feasible(const rt_match_instance_t *inst, size_t need, size_t offer,
                      rt_match_reason_t *reason) RT_WUR;

/* ---- Scores ---- */

typedef struct rt_match_term_s {
  double value;  /* in [0, 1], exactly value_q / RT_MATCH_VALUE_ONE */
  double weight; /* exactly weight_q / RT_MATCH_WEIGHT_ONE */
  uint32_t value_q;
  uint32_t weight_q;
} rt_match_term_t;

typedef struct rt_match_breakdown_s {
  double score;    /* score_q / RT_MATCH_SCORE_ONE, in [0, 1] */
  int32_t score_q; /* sum over the criteria of value_q * weight_q */
  rt_match_reason_t feasibility;
  rt_match_term_t terms[RT_MATCH_CRITERIA];
} rt_match_breakdown_t;

/* Scores one pair and explains it. Infeasible pairs are scored too (for "why not" views);
 * out->feasibility tells. RT_EINVAL for a bad index. */
int rt_match_score(const rt_match_instance_t *inst, size_t need, size_t offer,
                   const rt_match_weights_t *w, rt_match_breakdown_t *out) RT_WUR;

/* Scores one need against every offer: out[offer] (caller's offer indices, n_offers entries) is
 * the score_q of a feasible pair, or -1. */
int rt_match_score_row(const rt_match_instance_t *inst, size_t need, const rt_match_weights_t *w,
                       int32_t *out) RT_WUR;

typedef struct rt_match_scan_s {
  uint64_t pairs_scored; /* open needs x offers */
  uint64_t feasible_pairs;
  int64_t score_sum_q; /* of the feasible pairs: a checksum */
} rt_match_scan_t;

/* Scores every pair in a tight loop (the throughput the benchmark measures). */
int rt_match_scan(const rt_match_instance_t *inst, const rt_match_weights_t *w,
                  rt_match_scan_t *out) RT_WUR;

/* The text signature the engine gives a posting (title and description), for tools that
 * reproduce the score elsewhere (the SQL peer of the benchmark): the "text" value of a pair is
 * the number of equal slots / RT_MATCH_TEXT_SLOTS. texts (borrowed) may hold NULL entries. */
#define RT_MATCH_TEXT_SLOTS 32
void rt_match_text_signature(const char *const *texts, size_t n, bool is_offer,
                             uint8_t sig[RT_MATCH_TEXT_SLOTS]);

/* ---- Suggestions ---- */

typedef struct rt_match_hit_s {
  size_t index; /* the counterpart: an offer for suggest_offers, a need for suggest_needs */
  int64_t id;
  rt_match_breakdown_t breakdown;
} rt_match_hit_t;

/* The top k feasible counterparts, best score first, ties by ascending id; *n_out <= k.
 * out (new, caller-owned) holds k entries. Uses the instance's bitset index, not a full scan. */
int rt_match_suggest_offers(const rt_match_instance_t *inst, size_t need, size_t k,
                            const rt_match_weights_t *w, rt_match_hit_t *out, size_t *n_out) RT_WUR;
int rt_match_suggest_needs(const rt_match_instance_t *inst, size_t offer, size_t k,
                           const rt_match_weights_t *w, rt_match_hit_t *out, size_t *n_out) RT_WUR;

/* ---- Unmet needs ---- */

/* Why a need has no partner. With no feasible offer: NEED_NOT_OPEN, NO_OPEN_OFFERS (no open
 * offer from another participant), or the rule broken by the offers that come closest (fewest
 * broken rules), the most specific first: NO_CAPACITY, DECLINED, ALREADY_AGREED, WINDOW,
 * MODALITY, COUNTRY_EXCLUDED, REGION_EXCLUDED, NO_LANGUAGE, NO_THEME. With feasible offers and
 * w given: BELOW_MIN_SCORE when none scores min_score or more, else OUTCOMPETED (meant for needs a
 * run left unmatched: their offers went to pairs that add more to the total). With feasible offers
 * and w NULL: RT_MATCH_FEASIBLE. */
int rt_match_unmet_reason(const rt_match_instance_t *inst, size_t need, const rt_match_weights_t *w,
                          double min_score, rt_match_reason_t *reason) RT_WUR;

/* ---- Assignment ---- */

/* Called now and then with the fraction done (0..1, non-decreasing); returning non-zero
 * cancels the run, which then returns RT_ECANCELED. */
typedef int (*rt_match_progress_cb)(void *ctx, double fraction);

typedef struct rt_match_assign_opts_s {
  double min_score; /* only pairs scoring at least this (in [0, 1]) are proposed */
  /* Pairs an organizer locked: each is proposed whatever its score if it is feasible and its
   * need and offer still have room, best score first (then need id, offer id) when they compete
   * for room; the rest is then maximised exactly around them. A lock that cannot be honoured is
   * listed in the result with the reason. Borrowed; ids as in the input. */
  const rt_match_pair_t *locked;
  size_t n_locked;
  /* Candidates kept per need before the optimality certificate: 0 = the default; SIZE_MAX =
   * keep every feasible pair (no pruning). The result is the same exact optimum either way. */
  size_t candidates;
  /* The fairness floor: first maximise the number of states served (a state is served when it
   * already holds a partnership, rt_match_need_t.state_served, or has an honoured lock or a
   * proposal of this run), then the total score, both exactly. Off: the total score only. */
  bool fairness_floor;
  rt_match_progress_cb progress; /* optional */
  void *progress_ctx;
} rt_match_assign_opts_t;

typedef struct rt_match_proposal_s {
  size_t need, offer; /* caller's indices */
  int64_t need_id, offer_id;
  int32_t score_q;
  double score;
  bool locked; /* proposed because an organizer locked it */
} rt_match_proposal_t;

/* A lock that was not honoured, and why: the rule the pair breaks (rt_match_feasible), or
 * RT_MATCH_NO_CAPACITY when its offer, or its need (RT_MATCH_NEED_FULL), had no room left
 * once agreed pairs and better-scoring locks were placed. */
typedef struct rt_match_lock_refusal_s {
  int64_t need_id, offer_id;
  rt_match_reason_t reason;
} rt_match_lock_refusal_t;

typedef struct rt_match_stats_s {
  size_t needs, offers;
  uint64_t pairs_scored;   /* pairs the scoring pass evaluated (open needs x offers) */
  uint64_t feasible_pairs; /* of those, feasible */
  size_t matches;
  int64_t total_score_q; /* the optimum, exact */
  double total_score;    /* total_score_q / RT_MATCH_SCORE_ONE */
  double elapsed_ms;
  /* How the solve went. */
  size_t candidate_edges; /* pairs in the final candidate graph */
  size_t rounds;          /* solves until the certificate held */
  size_t added_edges;     /* pruned pairs the certificate brought back */
  size_t rescanned_needs; /* needs whose pruned pairs had to be checked one by one */
  size_t augmentations;
  double scan_ms, solve_ms, certify_ms; /* where elapsed_ms went */
  /* States (the participants of the open needs), whether or not the floor is on: */
  size_t states;
  size_t states_servable; /* served already, or with a feasible pair scoring min_score or more
                             that has room on both sides, or with an honoured lock */
  size_t states_served;   /* served already, or given a lock or a proposal by this run */
} rt_match_stats_t;

typedef struct rt_match_result_s {
  rt_match_proposal_t *proposals; /* best score first, then need id, then offer id */
  size_t n_proposals;
  rt_match_lock_refusal_t *refused_locks; /* in the order of opts.locked */
  size_t n_refused_locks;
  size_t n_locks_honoured;
  rt_match_stats_t stats;
  void *mem; /* owned; released by rt_match_result_free */
} rt_match_result_t;

/* Picks new pairs (on top of the agreed ones and the honoured locks) that are feasible, score at
 * least min_score and give each need at most its partners left and each offer at most its
 * capacity left, maximising the sum of scores exactly (with opts.fairness_floor: maximising the
 * number of states served first, then the sum of scores). out (new) is released with
 * rt_match_result_free, also after an error (it is then empty). opts may be NULL (min_score 0). */
int rt_match_assign(const rt_match_instance_t *inst, const rt_match_weights_t *w,
                    const rt_match_assign_opts_t *opts, rt_match_result_t *out) RT_WUR;
void rt_match_result_free(rt_match_result_t *r);

#endif
