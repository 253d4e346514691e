#!/usr/bin/python3
"""A complete match run through the service, and the matching written as one SQL query by a user,
both on the engine benchmark's instance (bench/match_bench.c, 10,000 needs x 10,000 offers).

1. `match_bench --export` writes the instance as the service sees a freshly imported roundtable
   (no history, everything open, real countries from the database) and prints the engine's own
   figures on it.
2. The postings go in through the API (participants one by one, needs and offers through the bulk
   import), then `POST /roundtables/{id}/match-runs {"min_score": 0.2}` is timed from the request
   to the run's `succeeded` (read back through the API): load, score, assign, write. Its stats must
   equal the engine's figures: same feasible pairs, same matches, same total score.
3. The natural SQL peer: the same feasibility rules and the same score as ONE query over the
   service's own tables (needs, offers, participants, matches, declined_pairs), written the way a
   user without the engine would write it (arrays and their operators, dates, a lookup of each
   theme's group), on one core. The one thing SQL cannot do like the engine is cut text into
   tokens, so each posting's text signature (rt_match_text_signature) is loaded beside it. Its
   feasible count and score sum over the first K needs must equal the engine's.

Usage: bench/match_service.py --bench build-bench/match_bench   (RT_BINARY names the service)
Prints one "key value" line per figure.
"""
import argparse
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "api"))
import harness  # noqa: E402
from match_peer import Q, SLOTS, figures, round_q  # noqa: E402

ONE = 1 << 30  # RT_MATCH_SCORE_ONE


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def seed(pg, svc, token, bench, tmp, sample):
    """Loads the exported instance into a new roundtable; returns (roundtable id, engine
    figures)."""
    countries = os.path.join(tmp, "countries.csv")
    with open(countries, "w") as f:
        f.write(pg.psql("SELECT code || ',' || region FROM countries ORDER BY code") + "\n")
    eng = figures(run([bench, "--export", tmp, "--countries", countries,
                       "--sample", str(sample)]))
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + token
    api = svc.url + "/api/v1"
    rt = s.post(api + "/roundtables", json={"title": "Engine benchmark roundtable",
                                            "status": "open"}).json()["id"]
    ids = {}
    with open(os.path.join(tmp, "participants.csv")) as f:
        for p in csv.DictReader(f):
            body = {"name": f"Participant {p['key']}", "kind": p["kind"], "languages": ["en"]}
            if p["country"]:
                body["country"] = p["country"]
            r = s.post(api + "/participants", json=body)
            r.raise_for_status()
            ids[p["key"]] = r.json()["id"]
    for entity in ("needs", "offers"):
        with open(os.path.join(tmp, f"{entity}.csv"), newline="") as f:
            rows = list(csv.reader(f))
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(rows[0])
        for row in rows[1:]:
            w.writerow([ids[row[0]]] + row[1:])
        r = s.post(f"{api}/roundtables/{rt}/import", params={"entity": entity},
                   headers={"Content-Type": "text/csv"}, data=out.getvalue().encode(),
                   timeout=600)
        if r.status_code != 200:
            raise RuntimeError(f"import of {entity}: {r.status_code} {r.text[:2000]}")
    s.close()
    return rt, eng


def timed_run(svc, token, rt):
    """POST a run and poll it until it ends; returns (seconds, run)."""
    h = {"Authorization": "Bearer " + token}
    s = requests.Session()
    t0 = time.perf_counter()
    r = s.post(f"{svc.url}/api/v1/roundtables/{rt}/match-runs", headers=h,
               json={"min_score": 0.2})
    r.raise_for_status()
    run_id = r.json()["id"]
    while True:
        got = s.get(f"{svc.url}/api/v1/match-runs/{run_id}", headers=h).json()
        if got["status"] in ("succeeded", "failed"):
            secs = time.perf_counter() - t0
            s.close()
            return secs, got
        time.sleep(0.005)


def natural_query(rt, weights, sample):
    w = [int(x) for x in weights.split()]
    sig_eq = " + ".join(f"(ns.sig[{k + 1}] = os.sig[{k + 1}])::int" for k in range(SLOTS))
    exact = "(SELECT count(*) FROM unnest(n.themes) t WHERE t = ANY (o.themes))"
    near = "(SELECT count(*) FROM unnest(n.themes) t WHERE split_part(t, '.', 1) = ANY (o.groups))"
    v_theme = round_q(f"({exact} + {near})::float4 * ({Q}::float4"
                      " / (2 * cardinality(n.themes))::float4)")
    v_text = f"({sig_eq}) * {Q // SLOTS}"
    days = ("greatest(0, least(n.window_end, coalesce(o.window_end, n.window_end))"
            " - greatest(n.window_start, coalesce(o.window_start, n.window_start)) + 1)")
    v_window = (f"(CASE WHEN n.window_start IS NULL THEN {Q} ELSE "
                + round_q(f"{days}::float4 * ({Q}::float4"
                          " / (n.window_end - n.window_start + 1)::float4)") + " END)")
    v_mod = (f"(CASE WHEN n.modality = 'any' OR n.modality = o.modality THEN {Q}"
             f" WHEN o.modality = 'hybrid' OR n.modality = 'hybrid' THEN {Q // 2} ELSE 0 END)")
    budget, fund = "n.budget_usd::float8::float4", "o.funding_usd::float8::float4"
    v_fund = (f"(CASE WHEN n.budget_usd IS NULL OR o.funding_usd IS NULL THEN {Q // 2}"
              f" WHEN {fund} >= {budget} THEN {Q}"
              f" ELSE {round_q(f'{fund} * ({Q}::float4 / {budget})')} END)")
    v_prio = f"(CASE n.priority WHEN 'high' THEN {Q} WHEN 'medium' THEN 19661 ELSE 9830 END)"
    v_fair = f"(({Q} + (n.partnerships + 1) / 2) / (n.partnerships + 1))"
    score = (f"({w[0]}::bigint * {v_theme} + {w[1]}::bigint * {v_text}"
             f" + {w[2]}::bigint * {v_window} + {w[3]}::bigint * {v_mod}"
             f" + {w[4]}::bigint * {v_fund} + {w[5]}::bigint * {v_prio}"
             f" + {w[6]}::bigint * {v_fair})")
    return f"""
WITH agreed AS (
  SELECT m.need_id, m.offer_id, n.participant_id
  FROM matches m JOIN needs n ON n.id = m.need_id
  WHERE m.roundtable_id = {rt} AND m.status IN ('agreed', 'completed')),
n AS (
  SELECT n.*, p.region, p.country::text AS country,
         (SELECT count(*) FROM agreed a WHERE a.participant_id = n.participant_id) AS partnerships
  FROM needs n JOIN participants p ON p.id = n.participant_id
  WHERE n.roundtable_id = {rt} AND n.status = 'open'
  ORDER BY n.id LIMIT {sample}),
o AS (
  SELECT o.*, o.capacity - (SELECT count(*) FROM agreed a WHERE a.offer_id = o.id) AS capacity_left,
         ARRAY(SELECT DISTINCT split_part(t, '.', 1) FROM unnest(o.themes) t) AS groups
  FROM offers o
  WHERE o.roundtable_id = {rt} AND o.status = 'open')
SELECT count(*), sum({score})
FROM n CROSS JOIN o
JOIN text_signatures ns ON ns.kind = 'need' AND ns.title = n.title
JOIN text_signatures os ON os.kind = 'offer' AND os.title = o.title
WHERE o.capacity_left > 0
  AND n.participant_id <> o.participant_id
  AND n.languages && o.languages
  AND (cardinality(o.regions) = 0 OR n.region = ANY (o.regions))
  AND (cardinality(o.countries) = 0 OR n.country = ANY (o.countries))
  AND NOT (n.modality = 'in_person' AND o.modality = 'online')
  AND NOT (n.modality = 'online' AND o.modality = 'in_person')
  AND (n.window_start IS NULL OR o.window_start IS NULL
       OR greatest(n.window_start, o.window_start) <= least(n.window_end, o.window_end))
  AND EXISTS (SELECT 1 FROM unnest(n.themes) t WHERE split_part(t, '.', 1) = ANY (o.groups))
  AND NOT EXISTS (SELECT 1 FROM declined_pairs d WHERE d.need_id = n.id AND d.offer_id = o.id)
  AND NOT EXISTS (SELECT 1 FROM agreed a WHERE a.need_id = n.id AND a.offer_id = o.id)"""


def sql_peer(pg, tmp, rt, eng, sample):
    psql = os.path.join(harness.PG_BINDIR, "psql")
    if not os.path.exists(psql):
        psql = "psql"

    def sql(text):
        return run([psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                    pg.conninfo, "-c", text]).strip()

    cols = ", ".join(f"h{k} smallint" for k in range(SLOTS))
    arr = ", ".join(f"h{k}" for k in range(SLOTS))
    path = os.path.join(tmp, "signatures.csv")
    os.chmod(tmp, 0o755)
    os.chmod(path, 0o644)
    sql(f"CREATE TABLE text_signatures_in (kind text, title text, {cols})")
    sql(f"\\copy text_signatures_in FROM '{path}' WITH (FORMAT csv)")
    sql("CREATE TABLE text_signatures AS SELECT kind, title, ARRAY[" + arr + "] AS sig"
        " FROM text_signatures_in; CREATE INDEX ON text_signatures (kind, title);"
        " DROP TABLE text_signatures_in; ANALYZE")
    query = natural_query(rt, eng["weights_q"], sample)
    t0 = time.perf_counter()
    res = sql("SET max_parallel_workers_per_gather = 0; SET jit = off; " + query)
    secs = time.perf_counter() - t0
    sql("DROP TABLE text_signatures")
    count, total = res.split("|")
    n = int(eng["export_sample_needs"])
    pairs = n * int(eng["export_offers"])
    return {
        "natural_sql_sample_needs": str(n),
        "natural_sql_pairs": str(pairs),
        "natural_sql_seconds": f"{secs:.2f}",
        "natural_sql_pairs_per_s": f"{pairs / secs:.0f}",
        "natural_sql_agrees_with_engine": str(count == eng["export_sample_feasible_pairs"]
                                              and total == eng["export_sample_score_sum_q"]).lower(),
    }


def bench(pg, svc, token, match_bench, sample=200):
    """Every figure of this file, as a dict of strings."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="rt-match-service-") as tmp:
        t0 = time.perf_counter()
        rt, eng = seed(pg, svc, token, match_bench, tmp, sample)
        out["service_seed_seconds"] = f"{time.perf_counter() - t0:.1f}"
        out.update({k: v for k, v in eng.items() if k.startswith("export_")})
        secs, got = timed_run(svc, token, rt)
        if got["status"] != "succeeded":
            raise RuntimeError(f"the run failed: {got}")
        st = got["stats"]
        out["service_run_seconds"] = f"{secs:.3f}"
        out["service_run_matches"] = str(st["matches"])
        out["service_run_feasible_pairs"] = str(st["feasible_pairs"])
        out["service_run_engine_ms"] = f"{st['elapsed_ms']:.0f}"
        line = [ln for ln in svc.log().splitlines() if f"match run {got['id']} " in ln]
        m = re.search(r"load ([\d.]+) ms, compute ([\d.]+) ms, write ([\d.]+) ms",
                      line[-1] if line else "")
        if m:
            out["service_run_load_ms"], out["service_run_compute_ms"], out["service_run_write_ms"] = \
                m.groups()
        out["service_run_agrees_with_engine"] = str(
            st["feasible_pairs"] == int(eng["export_feasible_pairs"])
            and st["matches"] == int(eng["export_assign_matches"])
            and abs(st["total_score"] - int(eng["export_assign_total_score_q"]) / ONE) < 1e-6).lower()
        # a second run on the same roundtable: replaces the first run's proposals
        secs2, got2 = timed_run(svc, token, rt)
        out["service_rerun_seconds"] = f"{secs2:.3f}"
        out.update(sql_peer(pg, tmp, rt, eng, sample))
        out["roundtable_id"] = str(rt)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bench", required=True, help="the match_bench executable (a Release build)")
    ap.add_argument("--sample", type=int, default=200, help="needs the SQL query scores (x 10,000)")
    args = ap.parse_args()
    pg = harness.PgCluster()
    try:
        svc = harness.Service(pg)
        token = harness.run_cli("token", "create", "--role", "admin", "--db", pg.conninfo,
                                check=True).stdout.strip()
        out = bench(pg, svc, token, args.bench, args.sample)
        svc.stop()
    finally:
        pg.destroy()
    for k, v in out.items():
        print(k, v)
    return 0 if all(v == "true" for k, v in out.items() if k.endswith("agrees_with_engine")) else 1


if __name__ == "__main__":
    sys.exit(main())
