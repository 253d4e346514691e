/* Match runs: POST /roundtables/{id}/match-runs (202) and GET /match-runs/{id}.
 *
 * A run outlives its request. The POST inserts the run as queued (a partial unique index keeps
 * one queued or running run per roundtable across every process: another POST gets 409) and
 * answers 202; the run then lives in a heap context on the worker's loop:
 *
 *   LOADING    the snapshot is read in one REPEATABLE READ transaction that also sets the run
 *              running (snapshot.c);
 *   COMPUTING  the instance is built and the optimum found on the libuv thread pool
 *              (uv_queue_work); the engine's progress goes through an atomic that a loop timer
 *              writes to the database, throttled, together with a heartbeat;
 *   WRITING    one transaction, under the roundtable's exclusive advisory lock (decisions take
 *              it shared): the new proposals go in (a pair proposed before keeps its match),
 *              the earlier runs' still-proposed matches go out, the run becomes succeeded with
 *              its stats;
 *   FAILING    any failure is recorded as failed with a reason; nothing half-written;
 *   CLOSING    waiting for a progress update in flight and the timer's close, then freed.
 *
 * A process that dies leaves its run queued or running; its heartbeat stops, and once it is
 * older than --match-run-stale the next POST (or GET of the run) fails it as abandoned. A run
 * that finds itself failed that way (it was only slow) writes nothing. docs/matching.md. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "decoders.h"
#include "matching.h"
#include "reference.h"
#include "resource.h"
#include "roundtable/log.h"
#include "snapshot.h"

#define TICK_MS 250
#define DEFAULT_STALE_MS 60000
#define ABANDONED                                                                                  \
  "abandoned: the process running it stopped sending heartbeats (it stopped or lost the "          \
  "database); start a new run"

/* A run with its stats as the SQL expression stats. */
#define RUN_JSON_WITH(stats)                                                                       \
  "json_build_object('id', r.id::text, 'roundtable_id', r.roundtable_id::text,"                    \
  " 'status', r.status, 'progress', r.progress, 'params', r.params,"                               \
  " 'stats', " stats ","                                                                           \
  " 'error', r.error, 'created_at', rt_ts(r.created_at), 'started_at', rt_ts(r.started_at),"       \
  " 'finished_at', rt_ts(r.finished_at))::text"
#define RUN_JSON RUN_JSON_WITH("r.stats") /* as staff see it */
/* As a state or provider sees it, $n and $n+1 its role and participant: rt_run_stats leaves out
 * refused locks on needs it may not see (sql/014_need_visibility.sql). Staff reads never call
 * it, so that they do not touch the needs table. */
#define RUN_JSON_PARTY(n, n1) RUN_JSON_WITH("rt_run_stats(r.stats, $" n ", $" n1 "::bigint)")

/* Live runs whose heartbeat is older than $2 milliseconds are failed as abandoned. A run whose
 * row is locked is inside a transaction of its process, so alive: it is skipped, never waited
 * for. */
#define RECLAIM_SQL(which)                                                                         \
  "UPDATE match_runs r SET status = 'failed', error = '" ABANDONED "', finished_at = now()"        \
  " WHERE r.status IN ('queued', 'running') AND r.id IN (SELECT s.id FROM match_runs s"            \
  " WHERE " which " AND s.status IN ('queued', 'running')"                                         \
  " AND s.heartbeat_at < now() - $2::float8 * interval '1 millisecond'"                            \
  " FOR UPDATE SKIP LOCKED)"
#define RECLAIM_OF_ROUNDTABLE RECLAIM_SQL("s.roundtable_id = $1") /* $1: the roundtable */

typedef enum run_state {
  RUN_LOADING,
  RUN_COMPUTING,
  RUN_WRITING,
  RUN_FAILING,
  RUN_CLOSING,
} run_state_t;

/* The steps of the write's transaction body (BEGIN, the actor and COMMIT are rt_db_tx's). */
typedef enum write_step {
  W_LOCK,
  W_OWN,
  W_INSERT,
  W_DELETE,
  W_DONE,
} write_step_t;

/* Why the engine is asked to stop. */
enum { CANCEL_NONE = 0, CANCEL_SHUTDOWN, CANCEL_LOST, CANCEL_TIMEOUT };

typedef struct rt_match_run_s {
  rt_api_worker_t *worker;
  struct rt_match_run_s *next; /* the worker's runs */
  run_state_t state;
  int64_t id, roundtable_id;
  char id_text[24], rt_text[24];
  rt_match_weights_t weights;
  double min_score;
  bool fairness_floor;

  /* progress and heartbeat, from the loop */
  uv_timer_t timer;
  int timer_closing;
  int tick_in_flight;
  uint32_t reported_ppm;
  uint64_t reported_at, heartbeat_ms;
  uint64_t started_at, timeout_ms; /* uv_now; --match-run-timeout (0: none) */
  /* shared with the thread pool */
  atomic_uint progress_ppm;
  atomic_int cancel;

  /* COMPUTING: the work and what it leaves */
  uv_work_t work;
  rt_snapshot_t *snap;
  int rc;
  char err[384];
  rt_match_stats_t stats;
  double elapsed_ms;
  /* the proposals, column by column: need ids, offer ids and scores as array literals, the
   * breakdowns one per line */
  rt_buf_t cols[5];        /* ... and whether each was locked, as a boolean array */
  rt_match_pair_t *locked; /* the organizers' locks, copied from the snapshot */
  size_t n_locked;
  char *locks_json; /* {"honoured":n,"refused":[{need_id, offer_id, reason}]} */

  /* phase timings (uv_hrtime), for the log */
  uint64_t t_start, t_loaded, t_computed;

  /* WRITING: one transaction, retried on a conflict (rt_db_tx) */
  char *actor;        /* owned: who started the run, for the audit log (rt__audit_actor) */
  rt_db_tx_t *tx;     /* NULL outside the transaction */
  rt_db_conn_t *conn; /* the transaction's, borrowed while tx is set */
  write_step_t wstep;
  char *stats_json;
} rt_match_run_t;

static void run_close(rt_match_run_t *run);
static void run_fail(rt_match_run_t *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The legal moves of a run; anything else is a bug, logged and refused. */
static int set_state(rt_match_run_t *run, run_state_t to) {
  static const unsigned legal[] = {
      [RUN_LOADING] = 1u << RUN_COMPUTING | 1u << RUN_FAILING | 1u << RUN_CLOSING,
      [RUN_COMPUTING] = 1u << RUN_WRITING | 1u << RUN_FAILING | 1u << RUN_CLOSING,
      [RUN_WRITING] = 1u << RUN_FAILING | 1u << RUN_CLOSING,
      [RUN_FAILING] = 1u << RUN_CLOSING,
      [RUN_CLOSING] = 0,
  };
  if (!(legal[run->state] & (1u << to))) {
    rt_log_error("match run %" PRId64 ": illegal move %d -> %d", run->id, (int)run->state, (int)to);
    return -1;
  }
  run->state = to;
  return 0;
}

static void set_progress(rt_match_run_t *run, double f) {
  unsigned ppm = (unsigned)(f * 1e6);
  unsigned cur = atomic_load(&run->progress_ppm);
  while (ppm > cur && !atomic_compare_exchange_weak(&run->progress_ppm, &cur, ppm)) {
  }
}

/* ---- closing ---- */

static void on_timer_closed(uv_handle_t *h) {
  rt_match_run_t *run = h->data;
  rt_api_worker_t *w = run->worker;
  for (rt_match_run_t **p = &w->runs; *p; p = &(*p)->next) {
    if (*p == run) {
      *p = run->next;
      break;
    }
  }
  rt__snapshot_free(run->snap);
  for (int c = 0; c < 5; c++)
    rt_buf_free(&run->cols[c]);
  free(run->locked);
  free(run->locks_json);
  free(run->stats_json);
  free(run->actor);
  free(run);
  if (!w->runs && w->runs_drained) {
    void (*done)(void *) = w->runs_drained;
    w->runs_drained = NULL;
    done(w->runs_drained_arg);
  }
}

/* Frees the run once no progress update is in flight. */
static void run_try_free(rt_match_run_t *run) {
  if (run->state != RUN_CLOSING || run->tick_in_flight || run->timer_closing)
    return;
  run->timer_closing = 1;
  uv_timer_stop(&run->timer);
  uv_close((uv_handle_t *)&run->timer, on_timer_closed);
}

/* Ends an unfinished write transaction: its connection goes back, rolled back. */
static void write_abandon(rt_match_run_t *run) {
  if (run->tx)
    rt_db_tx_abandon(run->tx);
  run->tx = NULL;
  run->conn = NULL;
}

static void run_close(rt_match_run_t *run) {
  write_abandon(run);
  if (set_state(run, RUN_CLOSING) == 0)
    run_try_free(run);
}

static void on_failure_recorded(int status, const rt_db_result_t *res, void *data) {
  rt_match_run_t *run = data;
  if (status)
    rt_log_warn("match run %" PRId64 ": its failure could not be recorded (%s %s); it will be "
                "failed as abandoned once its heartbeat is stale",
                run->id, rt_strerror(status), res ? rt_db_result_message(res) : "");
  run_close(run);
}

/* Records the run as failed with a reason, then closes it. */
static void run_fail(rt_match_run_t *run, const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof(reason), fmt, ap);
  va_end(ap);
  rt__utf8_trim(reason);
  rt_log_warn("match run %" PRId64 " of roundtable %" PRId64 " failed: %s", run->id,
              run->roundtable_id, reason);
  write_abandon(run);
  if (set_state(run, RUN_FAILING))
    return;
  static const char sql[] =
      "UPDATE match_runs SET status = 'failed', error = $2,"
      " finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')";
  const char *params[] = {run->id_text, reason};
  int rc = rt_db_tx_exec(run->worker->pool, run->actor, sql, 2, params, on_failure_recorded, run);
  if (rc)
    on_failure_recorded(rc, NULL, run);
}

/* ---- progress and heartbeat ---- */

static void on_ticked(int status, const rt_db_result_t *res, void *data) {
  rt_match_run_t *run = data;
  run->tick_in_flight = 0;
  if (!status && rt_db_result_rows(res) == 0 &&
      (run->state == RUN_LOADING || run->state == RUN_COMPUTING)) {
    /* Another process failed it as abandoned: stop, write nothing. */
    rt_log_warn("match run %" PRId64 " was failed as abandoned by another process; stopping",
                run->id);
    atomic_store(&run->cancel, CANCEL_LOST);
  }
  run_try_free(run);
}

static void on_tick(uv_timer_t *t) {
  rt_match_run_t *run = t->data;
  if (run->state != RUN_LOADING && run->state != RUN_COMPUTING)
    return;
  uint64_t now = uv_now(run->worker->loop);
  if (run->timeout_ms && now - run->started_at >= run->timeout_ms) {
    int none = CANCEL_NONE;
    atomic_compare_exchange_strong(&run->cancel, &none, CANCEL_TIMEOUT);
  }
  if (run->tick_in_flight)
    return;
  uint32_t ppm = atomic_load(&run->progress_ppm);
  if (ppm == run->reported_ppm && now - run->reported_at < run->heartbeat_ms)
    return;
  char progress[32];
  snprintf(progress, sizeof(progress), "%.6f", ppm / 1e6);
  static const char sql[] = "UPDATE match_runs SET progress = greatest(progress, $2::real),"
                            " heartbeat_at = now()"
                            " WHERE id = $1 AND status IN ('queued', 'running') RETURNING 1";
  const char *params[] = {run->id_text, progress};
  if (rt_db_exec(run->worker->pool, sql, 2, params, on_ticked, run) == 0) {
    run->tick_in_flight = 1;
    run->reported_ppm = ppm;
    run->reported_at = now;
  }
}

/* ---- WRITING: one transaction ----
 *
 * rt_db_tx runs it: BEGIN, the actor who started the run (for the audit triggers), the steps
 * below, COMMIT; a serialization failure or deadlock (40001/40P01) anywhere starts it over
 * from BEGIN on a fresh connection, up to rt_db_tx's limit. Each attempt redoes every step:
 * they hold no state but stats_json, which W_INSERT rewrites. */

/* Columns as arrays rather than rows as JSON: PostgreSQL reads 20,000 proposals this way in a
 * tenth of the time json_to_recordset takes. */
static const char insert_sql[] =
    "WITH r AS (SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::float8[],"
    " string_to_array($6, E'\\n'), $7::boolean[]) AS r(need_id, offer_id, score, breakdown,"
    " locked)),"
    " ins AS (INSERT INTO matches AS m"
    " (roundtable_id, run_id, need_id, offer_id, score, breakdown, locked)"
    " SELECT $2::bigint, $1::bigint, r.need_id, r.offer_id, r.score, r.breakdown::json, r.locked"
    " FROM r"
    " JOIN needs n ON n.id = r.need_id AND n.status = 'open'"
    " JOIN offers o ON o.id = r.offer_id AND o.status = 'open'"
    " WHERE NOT EXISTS (SELECT 1 FROM declined_pairs d"
    " WHERE d.need_id = r.need_id AND d.offer_id = r.offer_id)"
    " ON CONFLICT (need_id, offer_id) WHERE status IN ('proposed', 'agreed', 'completed')"
    " DO UPDATE SET run_id = EXCLUDED.run_id, score = EXCLUDED.score,"
    " breakdown = EXCLUDED.breakdown, locked = EXCLUDED.locked WHERE m.status = 'proposed'"
    " RETURNING m.score)"
    " SELECT count(*), coalesce(sum(score), 0) FROM ins";

static void on_written(int status, const rt_db_result_t *res, void *data);

/* Hands the transaction back to rt_db_tx: COMMIT (status 0), a retry (a conflict) or the end;
 * write_done follows. */
static void write_end(rt_match_run_t *run, int status, const rt_db_result_t *res) {
  rt_db_tx_t *tx = run->tx;
  run->tx = NULL;
  run->conn = NULL;
  rt_db_tx_end(tx, status, res);
}

static void write_step(rt_match_run_t *run, write_step_t step) {
  run->wstep = step;
  const char *sql = NULL;
  const char *params[7] = {run->id_text};
  int n = 0;
  switch (step) {
  case W_LOCK:
    sql = "SELECT pg_advisory_xact_lock(" RT_MATCH_LOCK_CLASS ", rt_match_lock_key($1::bigint))";
    params[0] = run->rt_text;
    n = 1;
    break;
  case W_OWN:
    sql = "UPDATE match_runs SET heartbeat_at = now(), progress = greatest(progress, 0.95)"
          " WHERE id = $1 AND status = 'running' RETURNING 1";
    n = 1;
    break;
  case W_INSERT:
    sql = insert_sql;
    params[1] = run->rt_text;
    for (int c = 0; c < 5; c++)
      params[2 + c] = run->cols[c].len ? run->cols[c].data : "";
    n = 7;
    break;
  case W_DELETE:
    sql = "DELETE FROM matches WHERE roundtable_id = $2 AND status = 'proposed' AND run_id <> $1";
    params[1] = run->rt_text;
    n = 2;
    break;
  case W_DONE:
    sql = "UPDATE match_runs SET status = 'succeeded', progress = 1, stats = $2::jsonb,"
          " finished_at = now(), heartbeat_at = now() WHERE id = $1";
    params[1] = run->stats_json;
    n = 2;
    break;
  }
  int rc = rt_db_query(run->conn, sql, n, params, on_written, run);
  if (rc)
    write_end(run, rc, NULL);
}

static void on_written(int status, const rt_db_result_t *res, void *data) {
  rt_match_run_t *run = data;
  if (status) {
    write_end(run, status, res);
    return;
  }
  switch (run->wstep) {
  case W_LOCK:
    write_step(run, W_OWN);
    return;
  case W_OWN:
    if (rt_db_result_rows(res) < 1) {
      rt_log_warn("match run %" PRId64 " was failed as abandoned meanwhile; nothing written",
                  run->id);
      run_close(run); /* abandons the transaction */
      return;
    }
    write_step(run, W_INSERT);
    return;
  case W_INSERT: {
    /* Pairs that a decision, a withdrawal or a declined pair overtook since the snapshot are
     * left out; the stats say what was written. */
    char *stats = NULL;
    rt_buf_t b;
    rt_buf_init(&b, 0);
    int rc = rt_buf_printf(&b,
                           "{\"needs\":%zu,\"offers\":%zu,\"pairs_scored\":%" PRIu64
                           ",\"feasible_pairs\":%" PRIu64 ",\"matches\":%s,\"total_score\":%s,"
                           "\"states\":%zu,\"states_servable\":%zu,\"states_served\":%zu,"
                           "\"elapsed_ms\":",
                           run->stats.needs, run->stats.offers, run->stats.pairs_scored,
                           run->stats.feasible_pairs, rt_db_result_value(res, 0, 0),
                           rt_db_result_value(res, 0, 1), run->stats.states,
                           run->stats.states_servable, run->stats.states_served);
    if (!rc)
      rc = rt__number_json(&b, round(run->elapsed_ms * 1000) / 1000);
    if (!rc && run->locks_json)
      rc = rt_buf_printf(&b, ",\"locks\":%s", run->locks_json);
    if (!rc)
      rc = rt_buf_puts(&b, "}");
    if (!rc) {
      stats = b.data; /* stolen */
      b.data = NULL;
    }
    rt_buf_free(&b);
    if (!stats) {
      write_end(run, RT_ENOMEM, NULL);
      return;
    }
    free(run->stats_json);
    run->stats_json = stats;
    write_step(run, W_DELETE);
    return;
  }
  case W_DELETE:
    write_step(run, W_DONE);
    return;
  case W_DONE:
    write_end(run, 0, NULL);
    return;
  }
}

static void write_body(rt_db_tx_t *tx, rt_db_conn_t *conn, void *data) {
  rt_match_run_t *run = data;
  if (rt_db_tx_attempt(tx) > 1)
    rt_log_info("match run %" PRId64 ": writing again after a conflict (attempt %d)", run->id,
                rt_db_tx_attempt(tx));
  run->tx = tx;
  run->conn = conn;
  write_step(run, W_LOCK);
}

static void write_done(int status, const rt_db_result_t *res, void *data) {
  rt_match_run_t *run = data;
  if (status) {
    run_fail(run, "the results could not be written: %s%s%s", rt_strerror(status),
             res && *rt_db_result_message(res) ? ": " : "", res ? rt_db_result_message(res) : "");
    return;
  }
  uint64_t now = uv_hrtime();
  rt_log_info("match run %" PRId64 " of roundtable %" PRId64 " succeeded: %s; solve: %zu"
              " candidate pairs, %zu round(s), %zu pairs brought back, %zu rows rescanned, %zu"
              " augmentations; load %.1f ms, compute %.1f ms, write %.1f ms",
              run->id, run->roundtable_id, run->stats_json, run->stats.candidate_edges,
              run->stats.rounds, run->stats.added_edges, run->stats.rescanned_needs,
              run->stats.augmentations, (double)(run->t_loaded - run->t_start) / 1e6,
              (double)(run->t_computed - run->t_loaded) / 1e6,
              (double)(now - run->t_computed) / 1e6);
  run_close(run);
}

/* Ends a run that was asked to stop: one lost to another process writes nothing; the others
 * record why. */
static void run_stopped(rt_match_run_t *run, int cancel) {
  if (cancel == CANCEL_LOST)
    run_close(run);
  else if (cancel == CANCEL_TIMEOUT)
    run_fail(run,
             "stopped after %.0f s, the limit for a run (--match-run-timeout); nothing was"
             " written: raise the limit or narrow the run (a higher min_score)",
             (double)run->timeout_ms / 1e3);
  else
    run_fail(run, "the service stopped during the run; start a new run");
}

/* ---- COMPUTING: on the thread pool ---- */

static int on_engine_progress(void *ctx, double fraction) {
  rt_match_run_t *run = ctx;
  set_progress(run, 0.05 + 0.85 * fraction);
  return atomic_load(&run->cancel) != CANCEL_NONE;
}

static int render_rows(rt_match_run_t *run, const rt_match_instance_t *inst,
                       const rt_match_result_t *res) {
  rt_buf_t *need = &run->cols[0], *offer = &run->cols[1], *score = &run->cols[2];
  rt_buf_t *breakdown = &run->cols[3], *locked = &run->cols[4];
  size_t n = res->n_proposals;
  int rc = rt_buf_reserve(need, 16 + n * 12);
  if (!rc)
    rc = rt_buf_reserve(offer, 16 + n * 12);
  if (!rc)
    rc = rt_buf_reserve(score, 16 + n * 24);
  if (!rc)
    rc = rt_buf_reserve(breakdown, 16 + n * 400);
  if (!rc)
    rc = rt_buf_reserve(locked, 16 + n * 2);
  for (int c = 0; c < 5 && !rc; c++)
    rc = c == 3 ? 0 : rt_buf_puts(&run->cols[c], "{");
  for (size_t i = 0; i < n && !rc; i++) {
    const rt_match_proposal_t *p = &res->proposals[i];
    const char *sep = i ? "," : "";
    rt_match_breakdown_t bd;
    rc = rt_match_score(inst, p->need, p->offer, &run->weights, &bd);
    if (!rc)
      rc = rt_buf_printf(need, "%s%" PRId64, sep, p->need_id);
    if (!rc)
      rc = rt_buf_printf(offer, "%s%" PRId64, sep, p->offer_id);
    if (!rc)
      rc = rt_buf_puts(score, sep);
    if (!rc)
      rc = rt__number_json(score, p->score);
    if (!rc)
      rc = rt_buf_printf(locked, "%s%c", sep, p->locked ? 't' : 'f');
    if (!rc && i)
      rc = rt_buf_puts(breakdown, "\n");
    if (!rc)
      rc = rt__breakdown_json(breakdown, &bd);
  }
  for (int c = 0; c < 5 && !rc; c++)
    rc = c == 3 ? 0 : rt_buf_puts(&run->cols[c], "}");
  return rc;
}

/* What became of the organizers' locks, for the run's stats. */
static int render_locks(rt_match_run_t *run, const rt_match_result_t *res) {
  rt_buf_t b;
  rt_buf_init(&b, 0);
  int rc = rt_buf_printf(&b, "{\"honoured\":%zu,\"refused\":[", res->n_locks_honoured);
  for (size_t i = 0; i < res->n_refused_locks && !rc; i++) {
    const rt_match_lock_refusal_t *x = &res->refused_locks[i];
    rc = rt_buf_printf(
        &b, "%s{\"need_id\":\"%" PRId64 "\",\"offer_id\":\"%" PRId64 "\",\"reason\":\"%s\"}",
        i ? "," : "", x->need_id, x->offer_id, rt_match_reason_name(x->reason));
  }
  if (!rc)
    rc = rt_buf_puts(&b, "]}");
  if (rc) {
    rt_buf_free(&b);
    return rc;
  }
  run->locks_json = b.data; /* stolen */
  return 0;
}

static void run_work(uv_work_t *w) {
  rt_match_run_t *run = w->data;
  uint64_t t0 = uv_hrtime();
  rt_match_instance_t *inst = NULL;
  rt_match_result_t result;
  memset(&result, 0, sizeof(result));
  int rc = rt__snapshot_build(run->snap, &inst, run->err, sizeof(run->err));
  if (!rc && run->snap->n_locked) { /* the snapshot goes; its locks are needed below */
    run->locked = malloc(run->snap->n_locked * sizeof(rt_match_pair_t));
    rc = run->locked ? 0 : RT_ENOMEM;
    if (run->locked) {
      memcpy(run->locked, run->snap->locked, run->snap->n_locked * sizeof(rt_match_pair_t));
      run->n_locked = run->snap->n_locked;
    }
  }
  rt__snapshot_free(run->snap); /* the instance keeps what it needs */
  run->snap = NULL;
  if (!rc) {
    set_progress(run, 0.05);
    rt_match_assign_opts_t opts = {
        .min_score = run->min_score,
        .locked = run->locked,
        .n_locked = run->n_locked,
        .fairness_floor = run->fairness_floor,
        .progress = on_engine_progress,
        .progress_ctx = run,
    };
    rc = rt_match_assign(inst, &run->weights, &opts, &result);
    if (rc && !run->err[0])
      snprintf(run->err, sizeof(run->err), "%s", rt_strerror(rc));
  }
  if (!rc && run->n_locked)
    rc = render_locks(run, &result);
  if (!rc) {
    run->stats = result.stats;
    rc = render_rows(run, inst, &result);
    if (rc)
      snprintf(run->err, sizeof(run->err), "the proposals could not be rendered: %s",
               rt_strerror(rc));
  }
  rt_match_result_free(&result);
  rt_match_instance_free(inst);
  run->elapsed_ms = (double)(uv_hrtime() - t0) / 1e6;
  run->rc = rc;
  if (!rc)
    set_progress(run, 0.9);
}

static void run_after_work(uv_work_t *w, int status) {
  rt_match_run_t *run = w->data;
  run->t_computed = uv_hrtime();
  int cancel = atomic_load(&run->cancel);
  if (cancel != CANCEL_NONE) {
    run_stopped(run, cancel);
    return;
  }
  if (status || run->rc) {
    run_fail(run, "the engine failed: %s", status ? rt_strerror(status) : run->err);
    return;
  }
  if (set_state(run, RUN_WRITING))
    return;
  int rc = rt_db_tx_begin(run->worker->pool, NULL, run->actor, write_body, write_done, run);
  if (rc)
    run_fail(run, "no database connection to write the results: %s", rt_strerror(rc));
}

/* ---- LOADING ---- */

static void on_snapshot(int status, rt_snapshot_outcome_t outcome, rt_snapshot_t *snap,
                        const rt_db_result_t *res, void *data) {
  rt_match_run_t *run = data;
  if (status) {
    run_fail(run, "the roundtable could not be read: %s%s%s", rt_strerror(status),
             res && *rt_db_result_message(res) ? ": " : "", res ? rt_db_result_message(res) : "");
    return;
  }
  if (outcome != RT_SNAP_LOADED) { /* failed as abandoned before it started */
    run_close(run);
    return;
  }
  int cancel = atomic_load(&run->cancel);
  if (cancel != CANCEL_NONE) {
    rt__snapshot_free(snap);
    run_stopped(run, cancel);
    return;
  }
  run->snap = snap;
  run->t_loaded = uv_hrtime();
  set_progress(run, 0.02);
  if (set_state(run, RUN_COMPUTING))
    return;
  run->work.data = run;
  int rc = uv_queue_work(run->worker->loop, &run->work, run_work, run_after_work);
  if (rc)
    run_fail(run, "the work could not be queued: %s", rt_strerror(rc));
}

/* Starts a queued run in the background; the run records its own failures. */
static int run_start(rt_api_worker_t *worker, int64_t id, int64_t roundtable_id,
                     const rt_match_run_input_t *in, const char *actor) {
  rt_match_run_t *run = calloc(1, sizeof(*run));
  if (!run)
    return RT_ENOMEM;
  run->actor = actor ? strdup(actor) : NULL;
  if (!run->actor) {
    free(run);
    return RT_ENOMEM;
  }
  run->worker = worker;
  run->state = RUN_LOADING;
  run->id = id;
  run->roundtable_id = roundtable_id;
  snprintf(run->id_text, sizeof(run->id_text), "%" PRId64, id);
  snprintf(run->rt_text, sizeof(run->rt_text), "%" PRId64, roundtable_id);
  run->weights = in->weights;
  run->min_score = in->min_score;
  run->fairness_floor = in->fairness_floor;
  for (int c = 0; c < 5; c++)
    rt_buf_init(&run->cols[c], 0);
  atomic_init(&run->progress_ppm, 0);
  atomic_init(&run->cancel, CANCEL_NONE);
  uint64_t stale =
      worker->app->match_run_stale_ms ? worker->app->match_run_stale_ms : DEFAULT_STALE_MS;
  run->heartbeat_ms = stale / 4 < TICK_MS ? TICK_MS : stale / 4 > 5000 ? 5000 : stale / 4;
  run->reported_at = run->started_at = uv_now(worker->loop);
  run->timeout_ms = worker->app->match_run_timeout_ms;
  run->t_start = uv_hrtime();
  uv_timer_init(worker->loop, &run->timer);
  run->timer.data = run;
  run->next = worker->runs;
  worker->runs = run;
  uv_timer_start(&run->timer, on_tick, TICK_MS, TICK_MS);
  rt_snapshot_request_t rq = {.focus = RT_SNAP_ROUNDTABLE, .id = roundtable_id, .run_id = id};
  int rc = rt__snapshot_load(worker->pool, &rq, on_snapshot, run);
  if (rc)
    run_fail(run, "the roundtable could not be read: %s", rt_strerror(rc));
  return 0;
}

void rt__match_runs_shutdown(rt_api_worker_t *worker, void (*done)(void *arg), void *arg) {
  if (!worker->runs) {
    done(arg);
    return;
  }
  worker->runs_drained = done;
  worker->runs_drained_arg = arg;
  for (rt_match_run_t *run = worker->runs; run; run = run->next)
    atomic_store(&run->cancel, CANCEL_SHUTDOWN);
}

/* ---- POST /roundtables/{id}/match-runs ---- */

typedef struct create_ctx {
  rt_api_call_t *call;
  int64_t roundtable_id;
  rt_match_run_input_t in;
  char *params_json;
  char stale[24];
} create_ctx_t;

static uint64_t stale_ms(const rt_api_call_t *call) {
  uint64_t ms = rt__api_worker(call->req)->app->match_run_stale_ms;
  return ms ? ms : DEFAULT_STALE_MS;
}

/* The body: {"min_score": 0..1, "weights": {criterion: w >= 0}, "fairness_floor": bool}, all
 * optional. */
int rt__match_run_decode(json_t *body, rt_field_errors_t *errs, rt_match_run_input_t *in) {
  static const char *const known[] = {"min_score", "weights", "fairness_floor", NULL};
  in->min_score = 0;
  in->fairness_floor = false;
  if (body)
    rt__v_unknown(body, known, errs);
  json_t *fl = body ? json_object_get(body, "fairness_floor") : NULL;
  if (fl && !json_is_null(fl) && !json_is_boolean(fl))
    rt__field_error(errs, "fairness_floor", "must be true or false");
  else
    in->fairness_floor = fl && json_is_true(fl);
  json_t *v = body ? json_object_get(body, "min_score") : NULL;
  if (v && !json_is_null(v)) {
    double d = json_is_number(v) ? json_number_value(v) : -1;
    if (!json_is_number(v) || !(d >= 0 && d <= 1))
      rt__field_error(errs, "min_score", "must be a number from 0 to 1");
    else
      in->min_score = d;
  }
  const char *names[RT_MATCH_CRITERIA];
  double values[RT_MATCH_CRITERIA];
  size_t n = 0;
  json_t *weights = body ? json_object_get(body, "weights") : NULL;
  if (weights && !json_is_null(weights) && !json_is_object(weights)) {
    rt__field_error(errs, "weights", "must be an object of criterion: weight");
  } else if (weights && json_is_object(weights)) {
    const char *key;
    json_t *w;
    json_object_foreach(weights, key, w) {
      int known_criterion = 0;
      for (int c = 0; c < RT_MATCH_CRITERIA; c++)
        known_criterion |= strcmp(rt_match_criterion_name(c), key) == 0;
      char field[96];
      snprintf(field, sizeof(field), "weights.%.*s", rt__utf8_prefix(key, 64), key);
      if (!known_criterion) {
        rt__field_error(errs, field,
                        "is not a criterion; the criteria are theme, text, window, modality,"
                        " funding, priority, fairness");
        continue;
      }
      double d = json_is_number(w) ? json_number_value(w) : -1;
      if (!json_is_number(w) || !(d >= 0) || !isfinite(d) || d > 1e6) {
        rt__field_error(errs, field, "must be a number from 0 to 1000000");
        continue;
      }
      names[n] = key;
      values[n++] = d;
    }
  }
  if (rt__field_errors_any(errs))
    return -1;
  char err[160];
  if (rt_match_weights_make(&in->weights, names, values, n, err, sizeof(err))) {
    rt__field_error(errs, "weights", "%s", err);
    return -1;
  }
  return 0;
}

/* What the run used: min_score, every weight (normalised) and the fairness floor. */
static char *params_json(rt_arena_t *arena, const create_ctx_t *ctx) {
  rt_buf_t b;
  rt_buf_init(&b, 0);
  int rc = rt_buf_puts(&b, "{\"min_score\":");
  if (!rc)
    rc = rt__number_json(&b, ctx->in.min_score);
  if (!rc)
    rc = rt_buf_puts(&b, ",\"weights\":{");
  for (int c = 0; c < RT_MATCH_CRITERIA && !rc; c++) {
    rc = rt_buf_printf(&b, "%s\"%s\":", c ? "," : "", rt_match_criterion_name(c));
    if (!rc)
      rc = rt__number_json(&b, rt_match_weight(&ctx->in.weights, c));
  }
  if (!rc)
    rc = rt_buf_printf(&b, "},\"fairness_floor\":%s}", ctx->in.fairness_floor ? "true" : "false");
  char *s = rc ? NULL : rt_arena_strdup(arena, b.data);
  rt_buf_free(&b);
  return s;
}

static void on_detached_failure(int status, const rt_db_result_t *res, void *data) {
  (void)data;
  if (status)
    rt_log_warn("a match run that could not start could not be failed either (%s %s); it will "
                "be failed as abandoned once its heartbeat is stale",
                rt_strerror(status), res ? rt_db_result_message(res) : "");
}

/* Records a queued run that could not even start as failed. */
static void run_fail_detached(rt_api_worker_t *worker, int64_t id) {
  static const char sql[] =
      "UPDATE match_runs SET status = 'failed', error = 'the run could not be started (out of"
      " memory); start a new run', finished_at = now() WHERE id = $1 AND status = 'queued'";
  char id_text[24];
  snprintf(id_text, sizeof(id_text), "%" PRId64, id);
  const char *params[] = {id_text};
  if (rt_db_exec(worker->pool, sql, 1, params, on_detached_failure, NULL))
    on_detached_failure(RT_EDB_UNAVAILABLE, NULL, NULL);
}

static void on_inserted(int status, const rt_db_result_t *res, void *data) {
  create_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (strcmp(rt_db_result_value(res, 0, 0), "t") != 0) {
    rt_http_respond_problem(call->req, 404, "Not Found", "No such resource.");
    return;
  }
  const char *json = rt_db_result_value(res, 0, 1);
  if (!json) {
    const char *live = rt_db_result_value(res, 0, 3);
    char detail[200];
    snprintf(detail, sizeof(detail),
             "A match run of this roundtable is already queued or running%s%s%s; one runs at a "
             "time.",
             live ? " (run " : "", live ? live : "", live ? ")" : "");
    rt_http_respond_problem(call->req, 409, "Conflict", detail);
    return;
  }
  int64_t id = strtoll(rt_db_result_value(res, 0, 2), NULL, 10);
  int rc =
      run_start(rt__api_worker(call->req), id, ctx->roundtable_id, &ctx->in, rt__audit_actor(call));
  if (rc) {
    /* Queued but not started: record it failed, so that the roundtable is free again. */
    run_fail_detached(rt__api_worker(call->req), id);
    rt__api_unavailable(call->req, RT_EBUSY);
    return;
  }
  rt_http_respond(call->req, 202, "application/json", json, rt_db_result_length(res, 0, 1));
}

static void on_reclaimed(int status, const rt_db_result_t *res, void *data) {
  create_ctx_t *ctx = data;
  rt_api_call_t *call = ctx->call;
  if (status) {
    rt__api_db_failed(call->req, status, res);
    return;
  }
  if (rt_db_result_affected(res) > 0)
    RT_LOG(RT_LOG_WARN, call->req->id, "roundtable %" PRId64 ": failed %ld abandoned match run(s)",
           ctx->roundtable_id, rt_db_result_affected(res));
  static const char sql[] =
      "WITH ins AS (INSERT INTO match_runs AS r (roundtable_id, params, created_by)"
      " SELECT id, $2::jsonb, $3::bigint FROM roundtables WHERE id = $1"
      " ON CONFLICT (roundtable_id) WHERE status IN ('queued', 'running') DO NOTHING"
      " RETURNING " RUN_JSON " AS json, r.id)"
      " SELECT EXISTS (SELECT 1 FROM roundtables WHERE id = $1), (SELECT json FROM ins),"
      " (SELECT id FROM ins), (SELECT id FROM match_runs"
      " WHERE roundtable_id = $1 AND status IN ('queued', 'running'))";
  const char *params[] = {rt__id_text(call, ctx->roundtable_id), ctx->params_json,
                          call->who.token_id ? rt__id_text(call, call->who.token_id) : NULL};
  int rc = rt__api_write(call, sql, 3, params, on_inserted, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

static void create_ready(rt_api_call_t *call) {
  create_ctx_t *ctx = call->state;
  static const char sql[] = RECLAIM_OF_ROUNDTABLE;
  const char *params[] = {rt__id_text(call, ctx->roundtable_id), ctx->stale};
  int rc = rt_db_exec(rt__api_pool(call), sql, 2, params, on_reclaimed, ctx);
  if (rc)
    rt__api_db_failed(call->req, rc, NULL);
}

void rt__match_runs_create(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  create_ctx_t *ctx = rt_arena_alloc(&call->req->arena, sizeof(*ctx));
  if (!ctx) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  memset(ctx, 0, sizeof(*ctx));
  ctx->call = call;
  ctx->roundtable_id = id;
  snprintf(ctx->stale, sizeof(ctx->stale), "%" PRIu64, stale_ms(call));
  rt_field_errors_t errs = {0};
  int bad = 0;
  /* The body is optional: none at all means the defaults; but a body declared as JSON must
   * be JSON (an empty one is malformed). */
  if (call->req->body_len > 0 || rt_http_header(call->req, "Content-Type")) {
    json_t *body = rt__input_body(call);
    if (!body)
      return;
    bad = rt__match_run_decode(body, &errs, &ctx->in);
    json_decref(body);
  } else {
    bad = rt__match_run_decode(NULL, &errs, &ctx->in);
  }
  if (bad) {
    rt__problem_with_errors(call->req, 422, "Unprocessable Content",
                            "The match run's parameters are not valid.", &errs);
    return;
  }
  ctx->params_json = params_json(&call->req->arena, ctx);
  if (!ctx->params_json) {
    rt_http_respond_problem(call->req, 500, "Internal Server Error", "Out of memory.");
    return;
  }
  call->state = ctx;
  /* the run's build maps codes through the reference data */
  rt__reference_ready(call, create_ready);
}

/* ---- GET /match-runs/{id} ---- */

/* ---- GET /roundtables/{id}/match-runs ---- */

/* The roundtable LEFT JOIN a page of its runs ($3: the last run shown or 0, $4: the page size
 * + 1), each rendered by run_json; the runs that the reclaim fails read as failed, like GET
 * /match-runs/{id}. */
#define RUNS_OF_ROUNDTABLE_SQL(run_json)                                                           \
  "WITH reclaim AS (" RECLAIM_OF_ROUNDTABLE " RETURNING r.id),"                                    \
  " seen AS (SELECT id, roundtable_id, progress, params, stats, created_at, started_at,"           \
  " CASE WHEN reclaimed THEN 'failed' ELSE status END AS status,"                                  \
  " CASE WHEN reclaimed THEN '" ABANDONED "' ELSE error END AS error,"                             \
  " CASE WHEN reclaimed THEN now() ELSE finished_at END AS finished_at"                            \
  " FROM (SELECT *, id IN (SELECT id FROM reclaim) AS reclaimed FROM match_runs"                   \
  " WHERE roundtable_id = $1 AND ($3::bigint = 0 OR id < $3)) x)"                                  \
  " SELECT p.json, p.id FROM roundtables t LEFT JOIN LATERAL (SELECT " run_json " AS json, r.id"   \
  " FROM seen r ORDER BY r.id DESC LIMIT $4) p ON true WHERE t.id = $1 ORDER BY p.id DESC"

/* The caller's participant as a parameter (NULL when it has none). */
static const char *caller_participant(rt_api_call_t *call) {
  return call->who.participant_id ? rt__id_text(call, call->who.participant_id) : NULL;
}

void rt__match_runs_list(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  static const char *const allowed[] = {"limit", "cursor", NULL};
  rt_query_t q;
  rt_page_t page;
  if (rt__input_query(call, allowed, &q) || rt__input_page(call, &q, &page))
    return;
  /* Newest first: the cursor is the last run shown, and the next page holds older ones. */
  static const char staff_sql[] = RUNS_OF_ROUNDTABLE_SQL(RUN_JSON);
  static const char party_sql[] = RUNS_OF_ROUNDTABLE_SQL(RUN_JSON_PARTY("5", "6"));
  int staff = (call->who.role & RT_ROLES_STAFF) != 0;
  char stale[24];
  snprintf(stale, sizeof(stale), "%" PRIu64, stale_ms(call));
  const char *params[] = {rt__id_text(call, id),         stale,
                          rt__id_text(call, page.after), rt__id_text(call, page.limit + 1),
                          rt__role_name(call->who.role), caller_participant(call)};
  rt__exec_sublist(call, &page, staff ? staff_sql : party_sql, staff ? 4 : 6, params);
}

/* GET /match-runs/{id}, the run rendered by run_json. */
#define RUN_SQL(run_json)                                                                          \
  "WITH reclaim AS (" RECLAIM_SQL(                                                                 \
      "s.id = $1") " RETURNING r.*)"                                                               \
                   " SELECT " run_json " FROM reclaim r"                                           \
                   " UNION ALL SELECT " run_json " FROM match_runs r"                              \
                   " WHERE r.id = $1 AND NOT EXISTS (SELECT 1 FROM reclaim)"

void rt__match_runs_get(rt_api_call_t *call) {
  int64_t id = rt__path_id(call, 0);
  if (!id)
    return;
  /* A dead run is failed as abandoned when it is looked at, so that it never reads as
   * running forever. */
  static const char staff_sql[] = RUN_SQL(RUN_JSON);
  static const char party_sql[] = RUN_SQL(RUN_JSON_PARTY("3", "4"));
  int staff = (call->who.role & RT_ROLES_STAFF) != 0;
  char stale[24];
  snprintf(stale, sizeof(stale), "%" PRIu64, stale_ms(call));
  const char *params[] = {rt__id_text(call, id), stale, rt__role_name(call->who.role),
                          caller_participant(call)};
  rt__exec_row(call, 200, staff ? staff_sql : party_sql, staff ? 2 : 4, params);
}
