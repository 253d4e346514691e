#!/usr/bin/python3
"""The summary of a large roundtable: 10,000 needs x 10,000 offers with the matches of a run,
summarised by GET /api/v1/roundtables/{id}/summary in every format (target: < 200 ms).

Seeds through the bulk import (needs from bench.py's generator, offers from the one below), runs
the engine once, agrees and declines a share of its proposals directly in SQL (so that every
status is represented), then times each format several times over one keep-alive connection and
reports the median and the best, with the document's size and the figures it carries, the
service's own split of each request (reading the snapshot / the engine's reasons and rendering,
from its debug log) and the machine's load average meanwhile. Then closes every offer that still
has room and measures again: every unmet need then has its reasons decided over all the offers
(the summary's slow path; see docs/summaries.md, "Speed").

    RT_BINARY=build-bench/roundtable /usr/bin/python3 bench/summary_bench.py [--needs N --offers M]

bench/run runs it too (unless --no-summary) and writes the figures into docs/benchmarks.md.
"""
import argparse
import os
import re
import statistics
import sys
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "api"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from bench import (LANGS, THEMES, admin_token, import_csv, needs_rows,  # noqa: E402
                   setup_world)

FORMATS = ("json", "markdown", "html", "csv")
REGIONS = ["africa", "asia_pacific", "eastern_europe", "latin_america_caribbean",
           "western_europe_others"]


def providers(svc, token, n=20):
    h = {"Authorization": "Bearer " + token}
    ids = []
    for i in range(n):
        p = requests.post(svc.url + "/api/v1/participants", headers=h,
                          json={"name": f"Provider {i}", "kind": ("donor", "implementer")[i % 2],
                                "languages": ["en", "fr"]}).json()
        ids.append(p["id"])
    return ids


def offers_rows(n, participant_ids):
    for i in range(n):
        yield {
            "participant_id": participant_ids[i % len(participant_ids)],
            "title": f"Offer {i}: incident handling course 事件响应培训",
            "description": "Hands-on training for national CSIRT staff and a 24/7 desk. " * 2,
            "kind": ("training", "technical_assistance", "funding", "mentoring")[i % 4],
            "themes": [THEMES[(i * 3) % len(THEMES)]] + ([THEMES[(i * 5 + 1) % len(THEMES)]]
                                                          if i % 2 else []),
            "languages": [LANGS[i % len(LANGS)], "en"] if i % len(LANGS) else ["en"],
            "window_start": "2025-01-01", "window_end": "2025-12-31",
            "capacity": 1 + i % 2,
            "regions": [] if i % 4 else [REGIONS[i % len(REGIONS)]],
        }


OFFER_COLS = ["participant_id", "title", "description", "kind", "themes", "languages",
              "window_start", "window_end", "capacity", "regions"]


def seed(pg, svc, token, n_needs, n_offers):
    rt, states = setup_world(svc, token)
    provs = providers(svc, token)
    h = {"Authorization": "Bearer " + token, "Content-Type": "text/csv"}
    for entity, body in (("needs", import_csv(needs_rows(n_needs, states))),
                         ("offers", import_csv(offers_rows(n_offers, provs), OFFER_COLS))):
        r = requests.post(f"{svc.url}/api/v1/roundtables/{rt}/import?entity={entity}", headers=h,
                          data=body, timeout=600)
        assert r.status_code == 200, r.text[:500]
    h = {"Authorization": "Bearer " + token}
    t0 = time.perf_counter()
    run = requests.post(f"{svc.url}/api/v1/roundtables/{rt}/match-runs", headers=h, json={}).json()
    while run["status"] not in ("succeeded", "failed"):
        time.sleep(0.1)
        run = requests.get(f"{svc.url}/api/v1/match-runs/{run['id']}", headers=h).json()
    assert run["status"] == "succeeded", run
    run_s = time.perf_counter() - t0
    # Every status represented: a tenth of the proposals agreed, a twentieth declined; a quarter
    # of the agreed ones followed up (delivered, partly delivered, abandoned in turn).
    pg.psql(f"""
      UPDATE matches SET state_decision = 'accept', provider_decision = 'accept',
        status = 'agreed', decided_at = now() WHERE roundtable_id = {rt} AND id % 10 = 0;
      UPDATE matches SET status = 'completed', follow_up_on = current_date, follow_up_at = now(),
        follow_up_outcome = (ARRAY['delivered', 'partly_delivered', 'abandoned'])[1 + id / 40 % 3],
        follow_up_reason = 'bench' WHERE roundtable_id = {rt} AND id % 40 = 0;
      WITH d AS (UPDATE matches SET state_decision = 'decline', status = 'declined',
        decided_at = now() WHERE roundtable_id = {rt} AND id % 20 = 1 RETURNING need_id, offer_id, id)
      INSERT INTO declined_pairs (need_id, offer_id, match_id) SELECT need_id, offer_id, id FROM d;
      ANALYZE;""")
    return rt, run, run_s


LOG_LINE = re.compile(r"summary of roundtable \d+: load ([\d.]+) ms, compute ([\d.]+) ms")


def server_split(svc, since):
    """Median load and compute (ms) of the summaries logged after offset since of the log."""
    lines = LOG_LINE.findall(svc.log()[since:])
    if not lines:
        return None
    return {"load_ms": statistics.median(float(a) for a, _ in lines),
            "compute_ms": statistics.median(float(b) for _, b in lines), "requests": len(lines)}


def close_offers_with_room(pg, rt):
    """Every open offer with capacity left closed: no unmet need has an offer with room."""
    pg.psql(f"""
      UPDATE offers o SET status = 'closed' WHERE o.roundtable_id = {rt} AND o.status = 'open'
        AND o.capacity > (SELECT count(*) FROM matches m WHERE m.offer_id = o.id
                          AND m.status IN ('proposed', 'agreed', 'completed'));
      ANALYZE;""")


def measure(svc, token, rt, repeat):
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + token
    out = {}
    since = len(svc.log())
    load_before = os.getloadavg()[0]
    for fmt in FORMATS:
        url = f"{svc.url}/api/v1/roundtables/{rt}/summary?format={fmt}"
        r = s.get(url)  # warm: reference data, plans, pages
        assert r.status_code == 200, r.text[:300]
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            r = s.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200
        out[fmt] = {"median_ms": statistics.median(times), "best_ms": min(times),
                    "bytes": len(r.content)}
    out["load_avg"] = [load_before, os.getloadavg()[0]]
    out["server"] = server_split(svc, since)
    body = s.get(f"{svc.url}/api/v1/roundtables/{rt}/summary").json()
    reasons = {}
    for u in body["unmet_needs"]:
        reasons[u["reason"]] = reasons.get(u["reason"], 0) + 1
    out["figures"] = {"totals": body["totals"], "unmet": len(body["unmet_needs"]),
                      "unused_offers": len(body["unused_offers"]), "reasons": reasons}
    return out


def run(n_needs=10000, n_offers=10000, repeat=31):
    pg = harness.PgCluster()
    try:
        svc = harness.Service(pg, "--log-level", "debug", "--max-upload-bytes", "1G")
        try:
            token = admin_token(pg)
            rt, match_run, run_s = seed(pg, svc, token, n_needs, n_offers)
            res = measure(svc, token, rt, repeat)
            close_offers_with_room(pg, rt)
            res["no_room"] = measure(svc, token, rt, repeat)
            res["seed"] = {"needs": n_needs, "offers": n_offers, "run_s": run_s,
                           "matches": match_run["stats"]["matches"], "repeat": repeat}
            return res
        finally:
            svc.stop()
    finally:
        pg.destroy()


def section(r):
    """The docs/benchmarks.md section."""
    if not r:
        return []
    sd, f = r["seed"], r["figures"]
    t = f["totals"]
    nr = r.get("no_room") or {}
    rows = [
        "## Summary of a large roundtable",
        "",
        f"`bench/summary_bench.py`: {sd['needs']:,} needs × {sd['offers']:,} offers imported into one",
        f"roundtable, one match run ({sd['matches']:,} proposals), then a tenth of them agreed and a",
        "twentieth declined; `GET /api/v1/roundtables/{id}/summary` timed end to end (HTTP included) on one",
        f"keep-alive connection, {sd['repeat']} times per format after a warm-up. The figures come from one",
        "REPEATABLE READ snapshot: the needs, the offers and the matches each read once and counted in C,",
        "the engine's reason for every unmet need, rendering in C (docs/summaries.md, \"Speed\").",
        "",
        "| format | median | best | document | median, no offer with room |",
        "|---|---:|---:|---:|---:|",
    ]
    for fmt in FORMATS:
        x, y = r[fmt], nr.get(fmt)
        slow = f"{y['median_ms']:.0f} ms" if y else "–"
        rows.append(f"| {fmt} | {x['median_ms']:.0f} ms | {x['best_ms']:.0f} ms | "
                    f"{x['bytes'] / 1e6:.2f} MB | {slow} |")
    reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(f["reasons"].items(), key=lambda kv: -kv[1]))
    rows += [
        "",
        f"Target: < 200 ms per summary. The document carries {t['needs']:,} needs ({t['needs_matched']:,} matched,",
        f"coverage {t['coverage'] * 100:.1f}%), {t['matches_proposed']:,} proposed, {t['matches_agreed']:,} agreed and",
        f"{t['matches_declined']:,} declined partnerships, {f['unmet']:,} unmet needs with their reasons ({reasons})",
        f"and {f['unused_offers']:,} offers with capacity left.",
        "",
    ]
    sv = r.get("server")
    if sv:
        rows += [
            f"The service's own log splits a request (medians over {sv['requests']} requests): reading the",
            f"snapshot {sv['load_ms']:.0f} ms, the engine's reasons and the rendering {sv['compute_ms']:.0f} ms; the rest is",
            "HTTP and the client.",
        ]
    if nr:
        nf = nr["figures"]
        nreasons = ", ".join(f"{k} {v:,}" for k, v in sorted(nf["reasons"].items(), key=lambda kv: -kv[1]))
        nsv = nr.get("server") or {}
        rows += [
            "",
            "The last column is the slow path: every offer with room closed, so that each unmet need's",
            f"reason is decided over all the offers ({nreasons})"
            + (f"; the service's split: snapshot {nsv['load_ms']:.0f} ms, reasons and rendering"
               f" {nsv['compute_ms']:.0f} ms." if nsv else "."),
        ]
    la = [round(x, 1) for x in r.get("load_avg", []) + nr.get("load_avg", [])]
    if la:
        rows += [
            "",
            f"Load average of the machine (2 cores) during the measurements: {min(la)}-{max(la)}"
            " (the benchmark's own PostgreSQL and client included).",
        ]
    rows += [
        "",
        "Reproduce: `RT_BINARY=build-bench/roundtable /usr/bin/python3 bench/summary_bench.py`",
        "(after `bench/run` or a Release build in `build-bench/`).",
        "",
    ]
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--needs", type=int, default=10000)
    ap.add_argument("--offers", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=31)
    args = ap.parse_args()
    r = run(args.needs, args.offers, args.repeat)
    import json
    print(json.dumps(r, indent=2))
    print("\n".join(section(r)))


if __name__ == "__main__":
    main()
