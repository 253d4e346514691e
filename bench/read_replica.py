#!/usr/bin/env python3
"""Read replica figures (docs/scaling.md, "Read replica"): GET /api/v1/needs?limit=50 under wrk
with --db only and with --db-read pointing at a streaming standby, how long a writer's reads
stay on the primary after its write, and, with the response cache on, how long after a write
another caller's page is read on the replica without being kept (the cache's store rule).

Starts its own PostgreSQL 15 primary (demo roundtable loaded) and a standby made with
pg_basebackup -R (tests/api/harness.py), and the real binary: RT_BINARY, default build/roundtable.
Usage: python3 bench/read_replica.py"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/api"))
os.environ.setdefault("RT_BINARY", os.path.join(HERE, "../build/roundtable"))

import requests  # noqa: E402

from harness import PgCluster, PgStandby, Service, read_metrics, run_cli  # noqa: E402

REPLICA = 'roundtable_db_read_routed_total{to="replica"}'


def metrics(url):
    return read_metrics(url, "roundtable_db_read")


def wrk(url, token, path):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    out = subprocess.run(["wrk", "-t2", "-c32", "-d8s", "--latency", "-s", f.name, url + path],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, re.search(r"\s50%\s+(\S+)", out).group(1), re.search(r"\s99%\s+(\S+)", out).group(1)


def writer(svc, admin):
    """A state's session (keep-alive: it stays on one event loop) and a function posting a need."""
    h = {"Authorization": f"Bearer {admin}"}
    parts = requests.get(svc.url + "/api/v1/participants?limit=500", headers=h, timeout=10).json()
    state = next(p for p in parts["items"] if p["kind"] == "state")
    tok = requests.post(svc.url + "/api/v1/tokens", headers=h, timeout=10,
                        json={"role": "state", "participant_id": state["id"], "label": "bench"})
    rt = requests.get(svc.url + "/api/v1/roundtables", headers=h, timeout=10).json()["items"][0]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {tok.json()['token']}"

    def post(i):
        r = session.post(svc.url + "/api/v1/needs", timeout=10, json={
            "roundtable_id": rt["id"], "title": f"bench {i}",
            "themes": ["incident.csirt_establishment"], "languages": ["en"]})
        r.raise_for_status()
        return r.json()
    return session, post


def writer_window(svc, admin):
    """Milliseconds from a need's POST until its writer's GET of it is routed to the replica."""
    session, post = writer(svc, admin)
    windows = []
    for i in range(20):
        need = post(i)
        t0 = time.monotonic()
        while True:
            before = metrics(svc.url)[REPLICA]
            r = session.get(svc.url + f"/api/v1/needs/{need['id']}", timeout=10)
            assert r.status_code == 200, r.text
            if metrics(svc.url)[REPLICA] > before:
                break
        windows.append((time.monotonic() - t0) * 1000)
        time.sleep(0.3)
    return statistics.median(windows), max(windows)


def cache_window(svc, admin):
    """With the response cache: after each write, how long until another caller's page is kept
    again (milliseconds), and how many of its answers were read on the replica and not kept."""
    _, post = writer(svc, admin)
    reader = requests.Session()
    reader.headers["Authorization"] = f"Bearer {admin}"
    cache = lambda: read_metrics(svc.url, "roundtable_response_cache")  # noqa: E731
    windows, unkept = [], []
    for i in range(20):
        post(i)
        t0, before = time.monotonic(), cache()
        while True:
            r = reader.get(svc.url + "/api/v1/needs?limit=50", timeout=10)
            assert r.status_code == 200, r.text
            after = cache()
            if after["roundtable_response_cache_stores_total"] > \
                    before["roundtable_response_cache_stores_total"]:
                break
        windows.append((time.monotonic() - t0) * 1000)
        unkept.append(after["roundtable_response_cache_unreplayed_total"]
                      - before["roundtable_response_cache_unreplayed_total"])
        time.sleep(0.3)
    return statistics.median(windows), max(windows), statistics.median(unkept), max(unkept)


def main():
    pg, standby, svc = PgCluster(), None, None
    try:
        run_cli("migrate", "--db", pg.conninfo, check=True)
        run_cli("demo", "--db", pg.conninfo, check=True)
        admin = run_cli("token", "create", "--role", "admin", "--db", pg.conninfo,
                        check=True).stdout.strip()
        # The harness runs with synchronous_commit=off: the WAL writer then flushes (and so ships)
        # a commit up to wal_writer_delay (200 ms) later. A production primary commits durably.
        pg.psql("ALTER ROLE roundtable SET synchronous_commit = on")
        standby = PgStandby(pg)
        standby.wait_caught_up(pg)
        for mode, extra in (("--db only", ()), ("--db + --db-read", ("--db-read", standby.conninfo))):
            svc = Service(pg, *extra, "--rate-limit-rps", "0", "--rate-limit-address-rps", "0",
                          "--response-cache", "0", "--log-level", "warn", migrate=False)
            time.sleep(1.0)
            before = metrics(svc.url)
            rps, p50, p99 = wrk(svc.url, admin, "/api/v1/needs?limit=50")
            after = metrics(svc.url)
            routed = after.get(REPLICA, 0) - before.get(REPLICA, 0)
            print(f"{mode}: GET /api/v1/needs?limit=50 {rps:,.0f} req/s, p50 {p50}, p99 {p99}; "
                  f"{routed:,.0f} on the replica; lag gauge "
                  f"{after.get('roundtable_db_read_replica_lag_seconds', 'n/a')}")
            if extra:
                median, worst = writer_window(svc, admin)
                print(f"a writer's reads back on the replica after its write: median {median:.0f} ms,"
                      f" max {worst:.0f} ms (20 writes)")
            svc.stop()
            svc = None
        svc = Service(pg, "--db-read", standby.conninfo, "--log-level", "warn", migrate=False)
        time.sleep(1.0)
        median, worst, unkept, unkept_max = cache_window(svc, admin)
        print(f"--db-read with the response cache: after a write, another caller's page kept again"
              f" after {median:.0f} ms median, {worst:.0f} ms max (20 writes); answers read on the"
              f" replica and not kept per write: median {unkept:.0f}, max {unkept_max:.0f}")
        svc.stop()
        svc = None
    finally:
        if svc:
            svc.stop()
        if standby:
            standby.destroy()
        pg.destroy()


if __name__ == "__main__":
    main()
