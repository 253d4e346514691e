"""Failure behaviour over real HTTP and a real PostgreSQL (docs/reliability.md):

- PostgreSQL stopped (fast and immediate) under a load of writers, then restarted: meanwhile
  the service answers 503 with Retry-After (never 500, never a dropped connection), /readyz
  is 503; it recovers by itself, and every write it acknowledged (201) is in the database;
- a statement held up by a lock past --statement-timeout (3 s here) is cancelled: 503, nothing written;
- a deadlock (SQLSTATE 40P01) provoked by a real lock cycle with psql is retried by the
  service: the client sees 201, the row exists once, and the retry is counted in /metrics.
"""
import os
import re
import subprocess
import threading
import time

import pytest
import requests

from domain_fixtures import *  # noqa: F401,F403
from harness import PG_BINDIR, Service

N = f"{V1}/needs"


@pytest.fixture(scope="module")
def service(pg):
    # The harness runs clusters with synchronous_commit=off for speed, which lets an
    # immediate shutdown lose commits PostgreSQL already acknowledged; durability of what the
    # service acknowledged is exactly what this suite checks.
    pg.psql("ALTER DATABASE postgres SET synchronous_commit = on")
    svc = Service(pg, "--statement-timeout", "3s", "--db-reconnect-max", "500ms",
                  "--rate-limit-rps", "0", "--rate-limit-address-rps", "0",
                  "--db-acquire-timeout", "2s")
    yield svc
    status = svc.stop()
    assert status == 0, "roundtable did not exit cleanly:\n" + svc.log()


def post_need(world, title, session=None, headers=None):
    h = {"Authorization": f"Bearer {world.tok['state_a']}", "Content-Type": "application/json"}
    h.update(headers or {})
    body = need_body(world.rt["id"], title=title)
    return (session or requests).post(world.url + N, json=body, headers=h, timeout=30)


def assert_unavailable(r):
    assert r.status_code == 503, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert re.fullmatch(r"[1-9][0-9]*", r.headers["Retry-After"]), r.headers
    validate(r.json(), "Problem")


def run_psql(pg, script):
    psql = os.path.join(PG_BINDIR, "psql")
    psql = psql if os.path.exists(psql) else "psql"
    p = subprocess.Popen([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.conninfo],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    p.stdin.write(script)
    p.stdin.close()
    return p


def metric(world, name):
    text = requests.get(world.url + "/metrics", timeout=10).text
    m = re.search(rf"^{name} (\d+)", text, re.M)
    return int(m.group(1)) if m else 0


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_database_outage_under_writes(world, pg, mode):
    prefix = f"outage-{mode}-{tag()}"
    stop = threading.Event()
    outcomes = []  # (status, title, id or None, retry-after)
    failures = []
    lock = threading.Lock()

    def writer(n):
        s = requests.Session()
        i = 0
        while not stop.is_set():
            title = f"{prefix}-{n}-{i}"
            i += 1
            try:
                r = post_need(world, title, session=s)
            except requests.RequestException as e:  # the service must never drop us
                with lock:
                    failures.append(repr(e))
                continue
            with lock:
                outcomes.append((r.status_code, title, r.json().get("id") if r.status_code == 201
                                 else None, r.headers.get("Retry-After")))
                if r.status_code not in (201, 503):
                    failures.append(f"{r.status_code}: {r.text[:300]}")
            if r.status_code == 503:
                time.sleep(0.05)
        s.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        pg.stop(mode)
        # /readyz follows the database
        deadline = time.time() + 15
        while requests.get(world.url + "/readyz", timeout=5).status_code != 503:
            assert time.time() < deadline, "/readyz stayed 200 without a database"
            time.sleep(0.1)
        time.sleep(2.0)
        assert_unavailable(post_need(world, f"{prefix}-probe"))
        assert requests.get(world.url + "/healthz", timeout=5).status_code == 200
        pg.start()
        world.service.wait_ready(timeout=30)
        # a write succeeds again without anyone's help
        deadline = time.time() + 15
        while True:
            r = post_need(world, f"{prefix}-after")
            if r.status_code == 201:
                break
            assert r.status_code == 503 and time.time() < deadline, r.text
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert world.service.proc.poll() is None, "the service died:\n" + world.service.log()
    assert not failures, failures[:5]
    statuses = {s for s, _, _, _ in outcomes}
    assert 503 in statuses and 201 in statuses, statuses
    for status, _, _, retry_after in outcomes:
        if status == 503:
            assert retry_after and int(retry_after) >= 1
    acked = {i for s, _, i, _ in outcomes if s == 201}
    stored = set(pg.psql(f"SELECT id FROM needs WHERE title LIKE '{prefix}-%'").split())
    missing = acked - stored
    assert not missing, f"acknowledged but not stored: {sorted(missing)[:10]}"


def test_statement_timeout_cancels_write(world, pg):
    title = f"timeout-{tag()}"
    p = run_psql(pg, "BEGIN; LOCK TABLE needs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(6); COMMIT;")
    try:
        time.sleep(0.5)  # the lock is held
        t0 = time.time()
        r = post_need(world, title)
        elapsed = time.time() - t0
    finally:
        p.wait(30)
    assert_unavailable(r)
    assert 2.5 < elapsed < 5.5, f"the write waited {elapsed:.1f}s (--statement-timeout 3s)"
    assert "did not answer in time" in r.json()["detail"]
    assert world.count("needs", f"title = '{title}'") == 0
    assert world.count("audit_log", f"after->>'title' = '{title}'") == 0
    # the connection that timed out is usable again
    assert post_need(world, f"{title}-after").status_code == 201


def test_deadlock_is_retried(world, pg):
    """psql holds the poster's participant row, the service's INSERT waits for it (foreign
    key check) while holding needs; psql then asks for needs: a lock cycle. psql's own
    deadlock_timeout is long, so the service's backend detects it and is the one aborted
    (40P01); the service runs the transaction again, which succeeds once psql commits."""
    title = f"deadlock-{tag()}"
    participant = world.p["state_a"]["id"]
    before = metric(world, "roundtable_db_tx_retries_total")
    p = run_psql(pg, f"""
        BEGIN;
        SET LOCAL deadlock_timeout = '30s';
        SELECT 1 FROM participants WHERE id = {participant} FOR UPDATE;
        SELECT pg_sleep(1.0);
        LOCK TABLE needs IN SHARE MODE;
        COMMIT;
    """)
    result = {}

    def send():
        result["r"] = post_need(world, title)

    try:
        time.sleep(0.5)
        t = threading.Thread(target=send)
        t.start()
        t.join(30)
    finally:
        p.wait(30)
    assert p.returncode == 0, p.stderr.read()
    r = result["r"]
    assert r.status_code == 201, r.text
    assert world.count("needs", f"title = '{title}'") == 1
    assert metric(world, "roundtable_db_tx_retries_total") > before
    assert "retry" in world.service.log()


def test_match_run_write_is_retried_after_a_deadlock(world, pg):
    """The same with a match run's final write (one transaction: advisory lock, the run's row,
    the proposals, ...): psql holds the need's row, so the run's INSERT of proposals waits for
    it (foreign key check) while holding its run's row; psql then updates the run's row: a
    lock cycle that the run's backend detects (40P01). The write starts over through the
    transaction helper and succeeds, and the audit log names who started the run."""
    rt = world.new_roundtable("open", as_="organizer")
    need = world.new_need(rt=rt["id"], themes=["incident.csirt_establishment"])
    world.new_offer(rt=rt["id"], themes=["incident.csirt_establishment"])
    before = metric(world, "roundtable_db_tx_retries_total")
    # Waits (up to 30 s) until another backend waits for a lock: the run's INSERT, blocked.
    p = run_psql(pg, f"""
        BEGIN;
        SET LOCAL deadlock_timeout = '30s';
        SELECT 1 FROM needs WHERE id = {need['id']} FOR UPDATE;
        DO $$ BEGIN
          FOR i IN 1..600 LOOP
            EXIT WHEN EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted
                              AND pid <> pg_backend_pid());
            PERFORM pg_sleep(0.05);
          END LOOP;
        END $$;
        UPDATE match_runs SET heartbeat_at = heartbeat_at WHERE roundtable_id = {rt['id']};
        COMMIT;
    """)
    try:
        time.sleep(0.5)  # the need's row is held
        r = world.call("POST", f"{V1}/roundtables/{{id}}/match-runs", rt["id"], as_="organizer",
                       expect=202)
        run = r.body
        deadline = time.time() + 60
        while run["status"] not in ("succeeded", "failed"):
            assert time.time() < deadline, run
            time.sleep(0.05)
            run = world.get(f"{V1}/match-runs/{{id}}", run["id"])
    finally:
        p.wait(60)
    assert p.returncode == 0, p.stderr.read()
    assert run["status"] == "succeeded", run
    assert run["stats"]["matches"] == 1, run
    assert world.count("matches", f"run_id = {run['id']} AND need_id = {need['id']}") == 1
    assert metric(world, "roundtable_db_tx_retries_total") > before
    assert f"match run {run['id']}: writing again after a conflict" in world.service.log()
    items = world.get(f"{V1}/audit", params={"entity": "match_runs",
                                             "entity_id": run["id"]})["items"]
    finished = [i for i in items if (i["after"] or {}).get("status") == "succeeded"]
    assert len(finished) == 1, items
    actor = finished[0]["actor"]
    assert actor["role"] == "organizer" and actor["token_id"] == world.tok_id["organizer"]
    assert actor["method"] == "POST" and actor["route"] == "/api/v1/roundtables/{id}/match-runs"
