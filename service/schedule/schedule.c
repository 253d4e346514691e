/* The meeting scheduler (include/roundtable/schedule.h; docs/schedule.md).
 *
 * Three phases over one state (which meeting sits in which slot, who is busy when):
 *   1. greedy: meetings by value (larger first, then id) each take the first slot that suits
 *      every participant and has a table free;
 *   2. improvement: an unplaced meeting may take a slot whose occupants in its way (those sharing
 *      a participant, or one meeting when the tables are full) move to another slot, or leave
 *      when together they are worth less; every accepted move raises the total, so it ends;
 *   3. exact search: depth-first branch and bound over the meetings in the same order (place in
 *      each suitable slot, or leave out), bounded by the value of the best meetings that the free
 *      tables could still seat, with interchangeable empty slots tried once; it starts from the
 *      improved total and stops after node_budget nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "roundtable/schedule.h"

/* The exact search recurses once per meeting in order: deeper than this it is not run. */
#define RT_SCHEDULE_EXACT_MAX 4096

typedef struct state {
  const rt_schedule_problem_t *p;
  uint32_t S, T, P;
  size_t M;
  size_t *order;     /* meetings by value desc, id asc */
  int32_t *slot;     /* per meeting: its slot or -1 */
  int32_t *occupant; /* P * S: the meeting a participant is in, or -1 */
  uint32_t *used;    /* per slot: tables taken */
  uint32_t *klass;   /* per slot: the first slot with the same availability column */
  int64_t total;
  /* exact search */
  int64_t *suffix_sorted; /* prefix sums of values in order: pre[i] = sum of order[0..i) */
  int32_t *best;
  int64_t best_total;
  uint64_t nodes, budget;
  bool aborted;
  size_t free_cells; /* table-slots free */
} state_t;

static int unavailable(const state_t *st, uint32_t part, uint32_t s) {
  return st->p->unavailable && st->p->unavailable[(size_t)part * st->S + s];
}

/* Every participant of m can be in s and is free there (tables not checked). */
static int suits(const state_t *st, size_t m, uint32_t s) {
  const rt_schedule_meeting_t *mt = &st->p->meetings[m];
  for (uint32_t k = 0; k < mt->n_participants; k++) {
    uint32_t q = mt->participants[k];
    if (unavailable(st, q, s) || st->occupant[(size_t)q * st->S + s] >= 0)
      return 0;
  }
  return 1;
}

static void put(state_t *st, size_t m, uint32_t s) {
  const rt_schedule_meeting_t *mt = &st->p->meetings[m];
  for (uint32_t k = 0; k < mt->n_participants; k++)
    st->occupant[(size_t)mt->participants[k] * st->S + s] = (int32_t)m;
  st->slot[m] = (int32_t)s;
  st->used[s]++;
  st->free_cells--;
  st->total += mt->value;
}

static void take(state_t *st, size_t m) {
  const rt_schedule_meeting_t *mt = &st->p->meetings[m];
  uint32_t s = (uint32_t)st->slot[m];
  for (uint32_t k = 0; k < mt->n_participants; k++)
    st->occupant[(size_t)mt->participants[k] * st->S + s] = -1;
  st->slot[m] = -1;
  st->used[s]--;
  st->free_cells++;
  st->total -= mt->value;
}

/* The first slot (other than avoid) where m fits now, or -1. */
static int32_t first_fit(const state_t *st, size_t m, int64_t avoid) {
  for (uint32_t s = 0; s < st->S; s++)
    if ((int64_t)s != avoid && st->used[s] < st->T && suits(st, m, s))
      return (int32_t)s;
  return -1;
}

static void greedy(state_t *st) {
  for (size_t i = 0; i < st->M; i++) {
    size_t m = st->order[i];
    int32_t s = first_fit(st, m, -1);
    if (s >= 0)
      put(st, m, (uint32_t)s);
  }
}

/* Tries to seat unplaced m in slot s by moving what is in its way; keeps the change only when
 * the total rises. blockers and was have room for n_participants entries. */
static int try_seat(state_t *st, size_t m, uint32_t s, size_t *blockers, int32_t *was) {
  const rt_schedule_meeting_t *mt = &st->p->meetings[m];
  size_t nb = 0;
  for (uint32_t k = 0; k < mt->n_participants; k++) {
    uint32_t q = mt->participants[k];
    if (unavailable(st, q, s))
      return 0;
    int32_t o = st->occupant[(size_t)q * st->S + s];
    if (o < 0)
      continue;
    int seen = 0;
    for (size_t j = 0; j < nb; j++)
      seen |= blockers[j] == (size_t)o;
    if (!seen)
      blockers[nb++] = (size_t)o;
  }
  if (nb == 0 && st->used[s] < st->T)
    return 0; /* it fits as it is: not this phase's business */
  int64_t before = st->total;
  /* A full slot without a conflict: one occupant, the least valuable that can move, makes room.
   * Try each in order from the least valuable. */
  if (nb == 0) {
    for (size_t i = st->M; i-- > 0;) {
      size_t x = st->order[i];
      if (st->slot[x] != (int32_t)s)
        continue;
      take(st, x);
      int32_t to = first_fit(st, x, s);
      if (to >= 0) {
        put(st, x, (uint32_t)to);
        put(st, m, s);
        return 1;
      }
      put(st, x, s);
    }
    return 0;
  }
  for (size_t j = 0; j < nb; j++) {
    was[j] = st->slot[blockers[j]];
    take(st, blockers[j]);
  }
  if (st->used[s] >= st->T) {
    for (size_t j = 0; j < nb; j++)
      put(st, blockers[j], (uint32_t)was[j]);
    return 0;
  }
  put(st, m, s);
  for (size_t j = 0; j < nb; j++) {
    int32_t to = first_fit(st, blockers[j], -1);
    if (to >= 0)
      put(st, blockers[j], (uint32_t)to);
  }
  if (st->total > before)
    return 1;
  /* Undo: the moved blockers go back. */
  for (size_t j = 0; j < nb; j++)
    if (st->slot[blockers[j]] >= 0)
      take(st, blockers[j]);
  take(st, m);
  for (size_t j = 0; j < nb; j++)
    put(st, blockers[j], (uint32_t)was[j]);
  return 0;
}

static int improve(state_t *st) {
  uint32_t most = 1;
  for (size_t m = 0; m < st->M; m++)
    if (st->p->meetings[m].n_participants > most)
      most = st->p->meetings[m].n_participants;
  size_t *blockers = malloc(sizeof(size_t) * most);
  int32_t *was = malloc(sizeof(int32_t) * most);
  if (!blockers || !was) {
    free(blockers);
    free(was);
    return RT_ENOMEM;
  }
  for (int pass = 0; pass < 50; pass++) {
    int changed = 0;
    for (size_t i = 0; i < st->M; i++) {
      size_t m = st->order[i];
      if (st->slot[m] >= 0)
        continue;
      int32_t s0 = first_fit(st, m, -1);
      if (s0 >= 0) { /* a move earlier freed room */
        put(st, m, (uint32_t)s0);
        changed = 1;
        continue;
      }
      for (uint32_t s = 0; s < st->S && st->slot[m] < 0; s++)
        changed |= try_seat(st, m, s, blockers, was);
    }
    if (!changed)
      break;
  }
  free(blockers);
  free(was);
  return 0;
}

/* ---- exact search ---- */

static void dfs(state_t *st, size_t i) {
  if (st->aborted)
    return;
  if (st->total > st->best_total) {
    st->best_total = st->total;
    memcpy(st->best, st->slot, sizeof(int32_t) * st->M);
  }
  if (i == st->M)
    return;
  /* The free tables seat at most free_cells of the remaining meetings, the best of them at
   * most the next free_cells in value order. */
  size_t k = st->free_cells < st->M - i ? st->free_cells : st->M - i;
  if (st->total + (st->suffix_sorted[i + k] - st->suffix_sorted[i]) <= st->best_total)
    return;
  if (++st->nodes > st->budget) {
    st->aborted = true;
    return;
  }
  size_t m = st->order[i];
  if (st->p->meetings[m].value > 0) {
    for (uint32_t s = 0; s < st->S; s++) {
      if (st->used[s] >= st->T || !suits(st, m, s))
        continue;
      if (st->used[s] == 0) {
        /* Empty slots with the same availability are interchangeable: only the first. */
        int earlier = 0;
        for (uint32_t e = st->klass[s]; e < s && !earlier; e++)
          earlier = st->klass[e] == st->klass[s] && st->used[e] == 0;
        if (earlier)
          continue;
      }
      put(st, m, s);
      dfs(st, i + 1);
      take(st, m);
      if (st->aborted)
        return;
    }
  }
  dfs(st, i + 1);
}

static int cmp_order(const void *a, const void *b, const rt_schedule_meeting_t *ms) {
  const rt_schedule_meeting_t *x = &ms[*(const size_t *)a], *y = &ms[*(const size_t *)b];
  if (x->value != y->value)
    return x->value > y->value ? -1 : 1;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* qsort has no context argument in C11: a small insertion-merge sort instead. */
static void sort_order(size_t *v, size_t n, size_t *tmp, const rt_schedule_meeting_t *ms) {
  if (n < 2)
    return;
  size_t h = n / 2;
  sort_order(v, h, tmp, ms);
  sort_order(v + h, n - h, tmp, ms);
  size_t a = 0, b = h, o = 0;
  while (a < h && b < n)
    tmp[o++] = cmp_order(&v[a], &v[b], ms) <= 0 ? v[a++] : v[b++];
  while (a < h)
    tmp[o++] = v[a++];
  while (b < n)
    tmp[o++] = v[b++];
  memcpy(v, tmp, sizeof(size_t) * n);
}

static int validate(const rt_schedule_problem_t *p) {
  if (p->n_slots > RT_SCHEDULE_MAX_SLOTS || p->n_tables > RT_SCHEDULE_MAX_TABLES ||
      p->n_meetings > RT_SCHEDULE_MAX_MEETINGS || p->n_participants > RT_SCHEDULE_MAX_PARTICIPANTS)
    return RT_E2BIG;
  if (p->n_meetings && !p->meetings)
    return RT_EINVAL;
  for (size_t m = 0; m < p->n_meetings; m++) {
    const rt_schedule_meeting_t *mt = &p->meetings[m];
    if (mt->value < 0 || mt->n_participants == 0 || !mt->participants)
      return RT_EINVAL;
    for (uint32_t k = 0; k < mt->n_participants; k++) {
      if (mt->participants[k] >= p->n_participants)
        return RT_EINVAL;
      for (uint32_t j = 0; j < k; j++)
        if (mt->participants[j] == mt->participants[k])
          return RT_EINVAL;
    }
  }
  return 0;
}

static void explain(state_t *st, rt_schedule_result_t *out, size_t m, uint32_t *count) {
  const rt_schedule_meeting_t *mt = &st->p->meetings[m];
  if (st->S == 0 || st->T == 0) {
    out->reason[m] = RT_SCHEDULE_NO_GRID;
    return;
  }
  /* count[k]: slots participant k of m blocks (unavailable, then busy). */
  memset(count, 0, sizeof(uint32_t) * mt->n_participants);
  int any_available = 0, any_free = 0;
  for (uint32_t s = 0; s < st->S; s++) {
    int avail = 1;
    for (uint32_t k = 0; k < mt->n_participants; k++)
      if (unavailable(st, mt->participants[k], s))
        avail = 0, count[k]++;
    if (!avail)
      continue;
    any_available = 1;
    int free_all = 1;
    for (uint32_t k = 0; k < mt->n_participants; k++)
      if (st->occupant[(size_t)mt->participants[k] * st->S + s] >= 0)
        free_all = 0;
    any_free |= free_all;
  }
  if (!any_available) {
    out->reason[m] = RT_SCHEDULE_UNAVAILABLE;
  } else if (any_free) {
    out->reason[m] = RT_SCHEDULE_NO_TABLE;
    return;
  } else {
    out->reason[m] = RT_SCHEDULE_BUSY;
    memset(count, 0, sizeof(uint32_t) * mt->n_participants);
    for (uint32_t s = 0; s < st->S; s++) {
      int avail = 1;
      for (uint32_t k = 0; k < mt->n_participants; k++)
        avail &= !unavailable(st, mt->participants[k], s);
      for (uint32_t k = 0; avail && k < mt->n_participants; k++)
        count[k] += st->occupant[(size_t)mt->participants[k] * st->S + s] >= 0;
    }
  }
  uint32_t top = 0;
  for (uint32_t k = 1; k < mt->n_participants; k++)
    if (count[k] > count[top])
      top = k;
  out->blocker[m] = (int32_t)mt->participants[top];
}

static void state_free(state_t *st) {
  free(st->order);
  free(st->slot);
  free(st->occupant);
  free(st->used);
  free(st->klass);
  free(st->suffix_sorted);
  free(st->best);
}

void rt_schedule_result_free(rt_schedule_result_t *r) {
  free(r->slot);
  free(r->table);
  free(r->reason);
  free(r->blocker);
  memset(r, 0, sizeof(*r));
}

int rt_schedule_solve(const rt_schedule_problem_t *p, rt_schedule_result_t *out) {
  memset(out, 0, sizeof(*out));
  int rc = validate(p);
  if (rc)
    return rc;
  state_t st = {
      .p = p, .S = p->n_slots, .T = p->n_tables, .P = p->n_participants, .M = p->n_meetings};
  size_t M = st.M, cells = (size_t)st.P * st.S;
  size_t *tmp = NULL;
  uint32_t *count = NULL;
  st.order = malloc(sizeof(size_t) * (M + 1));
  tmp = malloc(sizeof(size_t) * (M + 1));
  st.slot = malloc(sizeof(int32_t) * (M + 1));
  st.best = malloc(sizeof(int32_t) * (M + 1));
  st.occupant = malloc(sizeof(int32_t) * (cells + 1));
  st.used = calloc((size_t)st.S + 1, sizeof(uint32_t));
  st.klass = calloc((size_t)st.S + 1, sizeof(uint32_t));
  st.suffix_sorted = calloc(M + 1, sizeof(int64_t));
  out->slot = malloc(sizeof(int32_t) * (M + 1));
  out->table = malloc(sizeof(int32_t) * (M + 1));
  out->reason = calloc(M + 1, sizeof(rt_schedule_reason_t));
  out->blocker = malloc(sizeof(int32_t) * (M + 1));
  uint32_t most = 1;
  for (size_t m = 0; m < M; m++)
    if (p->meetings[m].n_participants > most)
      most = p->meetings[m].n_participants;
  count = malloc(sizeof(uint32_t) * most);
  if (!st.order || !tmp || !st.slot || !st.best || !st.occupant || !st.used || !st.klass ||
      !st.suffix_sorted || !out->slot || !out->table || !out->reason || !out->blocker || !count) {
    rc = RT_ENOMEM;
    goto fail;
  }
  for (size_t m = 0; m < M; m++)
    st.order[m] = m, st.slot[m] = -1, out->blocker[m] = -1;
  for (size_t c = 0; c < cells; c++)
    st.occupant[c] = -1;
  sort_order(st.order, M, tmp, p->meetings);
  for (size_t i = 0; i < M; i++)
    st.suffix_sorted[i + 1] = st.suffix_sorted[i] + p->meetings[st.order[i]].value;
  /* Slots with the same availability column are interchangeable while empty. */
  for (uint32_t s = 0; s < st.S; s++) {
    st.klass[s] = s;
    for (uint32_t e = 0; e < s; e++) {
      if (st.klass[e] != e)
        continue;
      int same = 1;
      for (uint32_t q = 0; q < st.P && same && p->unavailable; q++)
        same = !p->unavailable[(size_t)q * st.S + s] == !p->unavailable[(size_t)q * st.S + e];
      if (same) {
        st.klass[s] = e;
        break;
      }
    }
  }
  st.free_cells = (size_t)st.S * st.T;

  greedy(&st);
  out->greedy_value = st.total;
  rc = improve(&st);
  if (rc)
    goto fail;
  out->improved_value = st.total;

  /* The exact search starts from an empty schedule with the improved one as the incumbent. */
  st.best_total = st.total;
  memcpy(st.best, st.slot, sizeof(int32_t) * M);
  for (size_t m = 0; m < M; m++)
    if (st.slot[m] >= 0)
      take(&st, m);
  st.budget = p->node_budget ? p->node_budget : RT_SCHEDULE_DEFAULT_NODES;
  /* The search recurses once per meeting: beyond RT_SCHEDULE_EXACT_MAX it is not tried. */
  if (M <= RT_SCHEDULE_EXACT_MAX)
    dfs(&st, 0);
  else
    st.aborted = true;
  out->nodes = st.nodes > st.budget ? st.budget : st.nodes;
  out->optimal = !st.aborted;
  for (size_t m = 0; m < M; m++)
    if (st.best[m] >= 0)
      put(&st, m, (uint32_t)st.best[m]);
  /* Meetings worth nothing are left out by the search; seat them where room is left. */
  for (size_t i = 0; i < M; i++) {
    size_t m = st.order[i];
    int32_t s = st.slot[m] < 0 ? first_fit(&st, m, -1) : -1;
    if (s >= 0)
      put(&st, m, (uint32_t)s);
  }

  /* Tables: a slot's meetings in value order. */
  for (uint32_t s = 0; s < st.S; s++)
    st.used[s] = 0;
  for (size_t i = 0; i < M; i++) {
    size_t m = st.order[i];
    out->slot[m] = st.slot[m];
    out->table[m] = st.slot[m] >= 0 ? (int32_t)st.used[st.slot[m]]++ : -1;
    if (st.slot[m] >= 0)
      out->placed++;
  }
  out->total_value = st.total;
  for (size_t m = 0; m < M; m++)
    if (st.slot[m] < 0)
      explain(&st, out, m, count);
  free(tmp);
  free(count);
  state_free(&st);
  return 0;
fail:
  free(tmp);
  free(count);
  state_free(&st);
  rt_schedule_result_free(out);
  return rc;
}

int rt_schedule_check(const rt_schedule_problem_t *p, const int32_t *slot, const int32_t *table,
                      int64_t *value) {
  if (validate(p))
    return RT_EINVAL;
  size_t S = p->n_slots, T = p->n_tables;
  int64_t total = 0;
  size_t cells = (size_t)p->n_participants * S;
  uint8_t *busy = calloc(cells + 1, 1), *taken = calloc(S * T + 1, 1);
  int rc = busy && taken ? 0 : RT_ENOMEM;
  for (size_t m = 0; m < p->n_meetings && !rc; m++) {
    if (slot[m] < 0 && table[m] < 0)
      continue;
    if (slot[m] < 0 || table[m] < 0 || (size_t)slot[m] >= S || (size_t)table[m] >= T ||
        taken[(size_t)slot[m] * T + (size_t)table[m]]++) {
      rc = RT_EINVAL;
      break;
    }
    const rt_schedule_meeting_t *mt = &p->meetings[m];
    for (uint32_t k = 0; k < mt->n_participants && !rc; k++) {
      size_t c = (size_t)mt->participants[k] * S + (size_t)slot[m];
      if (busy[c]++ || (p->unavailable && p->unavailable[c]))
        rc = RT_EINVAL;
    }
    total += mt->value;
  }
  free(busy);
  free(taken);
  if (!rc && value)
    *value = total;
  return rc;
}

const char *rt_schedule_reason_name(rt_schedule_reason_t r) {
  switch (r) {
  case RT_SCHEDULE_PLACED:
    return "";
  case RT_SCHEDULE_NO_GRID:
    return "no_slots_or_tables";
  case RT_SCHEDULE_UNAVAILABLE:
    return "unavailable";
  case RT_SCHEDULE_BUSY:
    return "participant_busy";
  case RT_SCHEDULE_NO_TABLE:
    return "no_table";
  }
  return "";
}
