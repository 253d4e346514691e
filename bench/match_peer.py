#!/usr/bin/python3
"""The matching engine beside its peers, on the instances bench/match_bench.c generates.

1. SQL: the same feasibility rules and the same score, written as ONE query over the postings
   loaded into a throwaway PostgreSQL (tests/api/harness.PgCluster), run on one core
   (max_parallel_workers_per_gather = 0), timed, and checked: its feasible count and score sum
   must equal the engine's on the same needs. Gives pairs/s against the engine's full scan.
2. scipy.optimize.linear_sum_assignment (LAPJV; Debian's python3-scipy) on square instances with
   capacity 1 and max_partners 1: the engine writes its score matrix (-1 infeasible), scipy
   maximises over it with infeasible pairs worth 0, and the optima must be equal.

Usage: bench/match_peer.py --bench build-bench/match_bench [--sample 500] [--sizes 2000 5000]
Prints one "key value" line per figure, then a Markdown table for docs/matching.md.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "api"))

Q = 32768


def figures(out):
    res = {}
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            res[parts[0]] = parts[1]
    return res


def run_bench(bench, *args):
    out = subprocess.run([bench, *args], check=True, capture_output=True, text=True).stdout
    return figures(out)


SLOTS = 32
NEED_COLS = ("id bigint, participant bigint, region int, country text, themes int, n_themes int, "
             "langs int, modality text, ws int, we int, budget_cents bigint, priority text, "
             "partnerships int, open bool, " + ", ".join(f"h{k} smallint" for k in range(SLOTS)))
OFFER_COLS = ("id bigint, participant bigint, themes int, sib int, langs int, modality text, "
              "ws int, we int, funding_cents bigint, cap_left int, regions int, countries text[], "
              "open bool, " + ", ".join(f"h{k} smallint" for k in range(SLOTS)))


def round_q(x):
    """The engine's rt__round_q on a float4 expression: cap at Q, add 1/2 in float4, truncate."""
    return (f"least(greatest(trunc(greatest(least(({x})::float4, {Q}::float4), (-1)::float4)"
            f" + 0.5::float4)::int, 0), {Q})")


def score_query(weights, sample):
    w = [int(x) for x in weights.split()]
    th_scale = f"({Q}::float4 / (2 * n.n_themes)::float4)"
    a = "(bit_count((n.themes & o.themes)::bit(32)) + bit_count((n.themes & o.sib)::bit(32)))"
    v_theme = round_q(f"{a}::float4 * {th_scale}")
    v_text = "(" + " + ".join(f"(n.h{k} = o.h{k})::int" for k in range(SLOTS)) + f") * {Q // SLOTS}"
    ows = "coalesce(o.ws, -8388608)"
    owe = "coalesce(o.we, 8388608)"
    days = f"greatest(0, least(n.we, {owe}) - greatest(n.ws, {ows}) + 1)"
    win_scale = f"({Q}::float4 / (n.we - n.ws + 1)::float4)"
    v_window = f"(CASE WHEN n.ws IS NULL THEN {Q} ELSE {round_q(f'{days}::float4 * {win_scale}')} END)"
    v_mod = (f"(CASE WHEN n.modality = 'any' OR n.modality = o.modality THEN {Q} "
             f"WHEN o.modality = 'hybrid' OR n.modality = 'hybrid' THEN {Q // 2} ELSE 0 END)")
    budget = "(n.budget_cents::float8 / 100.0::float8)::float4"
    fund = "(o.funding_cents::float8 / 100.0::float8)::float4"
    v_fund = (f"(CASE WHEN n.budget_cents IS NULL OR o.funding_cents IS NULL THEN {Q // 2} "
              f"WHEN {fund} >= {budget} THEN {Q} "
              f"ELSE {round_q(f'{fund} * ({Q}::float4 / {budget})')} END)")
    v_prio = f"(CASE n.priority WHEN 'high' THEN {Q} WHEN 'medium' THEN 19661 ELSE 9830 END)"
    v_fair = f"(({Q} + (n.partnerships + 1) / 2) / (n.partnerships + 1))"
    score = (f"({w[0]}::bigint * {v_theme} + {w[1]}::bigint * {v_text} + {w[2]}::bigint * {v_window}"
             f" + {w[3]}::bigint * {v_mod} + {w[4]}::bigint * {v_fund} + {w[5]}::bigint * {v_prio}"
             f" + {w[6]}::bigint * {v_fair})")
    where = f"""
      n.id <= {sample} AND n.open AND o.open AND o.cap_left > 0
      AND n.participant <> o.participant
      AND (n.langs & o.langs) <> 0
      AND (o.regions = 0 OR (o.regions & (1 << n.region)) <> 0)
      AND (o.countries IS NULL OR n.country = ANY (o.countries))
      AND NOT (n.modality = 'in_person' AND o.modality = 'online')
      AND NOT (n.modality = 'online' AND o.modality = 'in_person')
      AND (n.ws IS NULL OR o.ws IS NULL OR greatest(n.ws, o.ws) <= least(n.we, o.we))
      AND (n.themes & o.sib) <> 0
      AND NOT EXISTS (SELECT 1 FROM excluded x WHERE x.need = n.id AND x.offer = o.id)"""
    return f"SELECT count(*), sum({score}) FROM needs n CROSS JOIN offers o WHERE {where}"


def sql_peer(bench, sample, out):
    import harness  # noqa: E402  (imports requests; only needed here)

    with tempfile.TemporaryDirectory(prefix="rt-match-peer-") as tmp:
        os.chmod(tmp, 0o755)
        eng = run_bench(bench, "--csv", tmp, "--sample", str(sample))
        for name in os.listdir(tmp):
            os.chmod(os.path.join(tmp, name), 0o644)
        pg = harness.PgCluster()
        try:
            psql = os.path.join(harness.PG_BINDIR, "psql")
            if not os.path.exists(psql):
                psql = "psql"

            def run_sql(sql):
                return subprocess.run([psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                                       "-d", pg.conninfo, "-c", sql],
                                      check=True, capture_output=True, text=True).stdout.strip()

            run_sql(f"CREATE TABLE needs ({NEED_COLS}); CREATE TABLE offers ({OFFER_COLS});"
                    " CREATE TABLE excluded (need bigint, offer bigint)")
            for table in ("needs", "offers"):
                run_sql(f"\\copy {table} FROM '{tmp}/{table}.csv' WITH (FORMAT csv)")
            run_sql(f"\\copy excluded FROM '{tmp}/excluded.csv' WITH (FORMAT csv)")
            run_sql("CREATE INDEX ON excluded (need, offer); ANALYZE")
            query = score_query(eng["weights_q"], sample)
            settings = "SET max_parallel_workers_per_gather = 0; SET jit = off; "
            t0 = time.monotonic()
            res = run_sql(settings + query)
            secs = time.monotonic() - t0
        finally:
            pg.destroy()
    count, total = res.split("|")
    pairs = int(eng["csv_sample_needs"]) * 10000
    out["sql_sample_needs"] = eng["csv_sample_needs"]
    out["sql_pairs"] = str(pairs)
    out["sql_seconds"] = f"{secs:.2f}"
    out["sql_pairs_per_s"] = f"{pairs / secs:.0f}"
    out["sql_feasible_pairs"] = count
    out["sql_score_sum_q"] = total
    out["sql_agrees_with_engine"] = str(count == eng["csv_sample_feasible_pairs"]
                                        and total == eng["csv_sample_score_sum_q"]).lower()


def scipy_peer(bench, n, out):
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    with tempfile.TemporaryDirectory(prefix="rt-match-lsa-") as tmp:
        path = os.path.join(tmp, "matrix.i32")
        eng = run_bench(bench, "--square", str(n), "--matrix", path)
        m = np.fromfile(path, dtype=np.int32).reshape(n, n)
    profit = np.where(m > 0, m, 0).astype(np.float64)
    t0 = time.monotonic()
    rows, cols = linear_sum_assignment(profit, maximize=True)
    secs = time.monotonic() - t0
    total = int(profit[rows, cols].astype(np.int64).sum())
    out[f"lsa_{n}_seconds"] = f"{secs:.3f}"
    out[f"lsa_{n}_total_score_q"] = str(total)
    out[f"engine_{n}_assign_ms"] = eng["square_assign_ms"]
    out[f"engine_{n}_total_score_q"] = eng["square_total_score_q"]
    out[f"lsa_{n}_agrees_with_engine"] = str(total == int(eng["square_total_score_q"])).lower()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bench", required=True, help="the match_bench executable (a Release build)")
    ap.add_argument("--sample", type=int, default=500, help="needs the SQL query scores (x 10,000 offers)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[2000, 5000])
    ap.add_argument("--no-sql", action="store_true")
    args = ap.parse_args()
    out = {}
    eng = run_bench(args.bench, "--repeat", "3")
    out.update({k: v for k, v in eng.items()})
    ties = run_bench(args.bench, "--repeat", "1", "--ties")
    out.update({"ties_" + k: v for k, v in ties.items() if k.startswith(("assign_", "build_"))})
    if not args.no_sql:
        sql_peer(args.bench, args.sample, out)
        out["engine_over_sql"] = f"{float(eng['scoring_pairs_per_s']) / float(out['sql_pairs_per_s']):.0f}"
    for n in args.sizes:
        scipy_peer(args.bench, n, out)
    for k, v in out.items():
        print(k, v)
    ok = all(v == "true" for k, v in out.items() if k.endswith("agrees_with_engine"))
    print("\n| figure | value |\n|---|---|")
    for k, v in out.items():
        print(f"| {k} | {v} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
