"""Reads from a streaming replica (--db-read, docs/scaling.md "Read replica").

A PostgreSQL 15 primary and a hot standby made from it with pg_basebackup -R, each on its own
loopback port and data folder. The service writes to the primary and serves the roundtable's
GETs from the standby while it is connected and has replayed the primary to within
--db-read-max-lag; a caller that committed a write reads from the primary until the standby
has replayed that write (read-your-writes).

The proof that reads come from the standby: with replay paused, a need written on the primary
is not found by another caller (404 from the standby) while its writer sees it (primary); once
the pause outlasts the lag limit everyone reads from the primary; once replay resumes, the
standby serves everyone again. The response cache stays on: an answer read on the standby is
kept only if the standby had replayed the write whose notice began the cache's generation, so
a stale standby answer is never served from the cache once the standby has caught up. Then
the standby stops mid-traffic: every read still answers 200 (retried or routed to the
primary). Last, the read connections go through PgBouncer in transaction mode, one server
connection for all: reads carry no session state.

A cached answer is served without routing a read, so the tests that count routed reads ask
for pages nobody asked for before (a limit of their own)."""
import os
import threading
import time

import pytest
import requests

from domain_fixtures import *  # noqa: F401,F403
from harness import PGBOUNCER, PgBouncer, PgStandby, Service, read_metrics

MAX_LAG = 3.0  # seconds: --db-read-max-lag


@pytest.fixture(scope="module")
def standby(pg):
    s = PgStandby(pg)
    yield s
    s.destroy()


@pytest.fixture(scope="module")
def service(pg, standby):
    """Overrides conftest's: reads go to the standby."""
    svc = Service(pg, "--db-read", standby.conninfo, "--db-read-max-lag", f"{int(MAX_LAG * 1000)}ms")
    yield svc
    status = svc.stop()
    assert status == 0, "roundtable did not exit cleanly:\n" + svc.log()


def metrics(url):
    return read_metrics(url, "roundtable_db_read")


def cache_metrics(url):
    return read_metrics(url, "roundtable_response_cache")


REPLICA = 'roundtable_db_read_routed_total{to="replica"}'
RECENT = 'roundtable_db_read_routed_total{to="primary",reason="recent_write"}'
LAGGING = 'roundtable_db_read_routed_total{to="primary",reason="replica_lagging"}'
DOWN = 'roundtable_db_read_routed_total{to="primary",reason="replica_down"}'
FALLBACKS = "roundtable_db_read_fallbacks_total"


def read_replica_state(url):
    r = requests.get(url + "/readyz", timeout=10)
    assert r.status_code == 200, r.text
    return r.json().get("read_replica")


def wait_state(url, state, timeout=30):
    """Waits until /readyz says state on every event loop: each loop probes on its own, and a
    new connection may land on any of them, so ten answers in a row must agree."""
    deadline, agreeing = time.time() + timeout, 0
    while time.time() < deadline:
        agreeing = agreeing + 1 if read_replica_state(url) == state else 0
        if agreeing == 10:
            return
        time.sleep(0.02)
    raise AssertionError(f"read_replica never became {state}: {read_replica_state(url)}")


def test_reads_are_served_by_the_replica(world, standby):
    wait_state(world.url, "in_use")
    r = requests.get(world.url + "/readyz", timeout=10)
    assert r.json() == {"status": "ready", "read_replica": "in_use"}
    validate_readiness = world.call("GET", "/readyz", as_="admin", token=None, expect=200)
    assert validate_readiness.body["read_replica"] == "in_use"
    standby.wait_caught_up(world.pg)
    wait_state(world.url, "in_use")
    before = metrics(world.url)
    # the implementer wrote nothing: its reads go to the replica
    for i in range(6):
        world.get(f"{V1}/needs", as_="implementer", params={"limit": str(101 + i)})
    after = metrics(world.url)
    assert after[REPLICA] - before[REPLICA] >= 6, (before, after)
    assert after["roundtable_db_read_connections{state=\"idle\"}"] >= 1
    assert 0 <= after["roundtable_db_read_replica_lag_seconds"] < MAX_LAG
    # the standby really is one, and its sessions are read-only
    assert standby.psql("SELECT pg_is_in_recovery()") == "t"
    assert int(standby.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            "'roundtable'")) >= 1


def test_paused_replay_shows_routing_and_read_your_writes(world, standby):
    wait_state(world.url, "in_use")
    standby.psql("SELECT pg_wal_replay_pause()")
    try:
        before = metrics(world.url)
        need = world.new_need(as_="state_a", title="Read-your-writes need")
        # the writer reads its own write at once: from the primary
        got = world.get(f"{V1}/needs/{{id}}", need["id"], as_="state_a")
        assert got["title"] == "Read-your-writes need"
        mine = [n["id"] for n in world.list_all(f"{V1}/needs", as_="state_a")]
        assert need["id"] in mine
        # another caller, within the lag limit, reads the standby, which has not replayed it
        r = world.call("GET", f"{V1}/needs/{{id}}", need["id"], as_="implementer")
        assert r.status_code == 404, (r.status_code, r.text)
        after = metrics(world.url)
        assert after[RECENT] > before[RECENT]
        assert after[REPLICA] > before[REPLICA]
        # writes keep working while the standby is behind
        world.patch(f"{V1}/needs/{{id}}", need["id"], {"title": "Renamed while paused"},
                    as_="state_a")
        assert world.get(f"{V1}/needs/{{id}}", need["id"], as_="state_a")["title"] == \
            "Renamed while paused"
        # past the lag limit, nobody reads the standby: the implementer sees the need now
        wait_state(world.url, "lagging", timeout=MAX_LAG * 5)
        before = metrics(world.url)
        got = world.get(f"{V1}/needs/{{id}}", need["id"], as_="implementer")
        assert got["title"] == "Renamed while paused"
        assert metrics(world.url)[LAGGING] > before[LAGGING]
    finally:
        standby.psql("SELECT pg_wal_replay_resume()")
    # replay resumed: the standby catches up and serves everyone again, the writer included
    wait_state(world.url, "in_use")
    time.sleep(0.5)
    assert world.get(f"{V1}/needs/{{id}}", need["id"], as_="implementer")["title"] == \
        "Renamed while paused"
    assert world.get(f"{V1}/needs/{{id}}", need["id"], as_="state_a")["title"] == \
        "Renamed while paused"
    before = metrics(world.url)
    for who in ("implementer", "state_a"):
        page = world.get(f"{V1}/needs", as_=who, params={"limit": "111"})
        assert page["items"] is not None
    after = metrics(world.url)
    assert after[REPLICA] - before[REPLICA] >= 2, (before, after)


def test_cache_keeps_no_answer_the_replica_read_before_replaying_the_write(world, standby):
    """A miss read on the standby while it lags behind a write whose notice the service has
    heard is answered (the standby's view, within the lag limit) but not kept: once replay
    resumes, the page is read anew, never served stale from the cache."""
    need = world.new_need(as_="state_a", title="Cached before the pause")
    page = f"{V1}/needs/{{id}}"
    standby.wait_caught_up(world.pg)
    wait_state(world.url, "in_use")
    # another caller's reads of the page: once a probe started after the write's notice came
    # has found it replayed, an answer read on the standby is kept, and the next is a hit
    before = cache_metrics(world.url)
    deadline = time.time() + 10
    while True:
        assert world.get(page, need["id"], as_="implementer")["title"] == "Cached before the pause"
        mid = cache_metrics(world.url)
        if mid["roundtable_response_cache_stores_total"] > \
                before["roundtable_response_cache_stores_total"] and \
                mid["roundtable_response_cache_hits_total"] > \
                before["roundtable_response_cache_hits_total"]:
            break
        assert time.time() < deadline, ("the page was never kept and served", before, mid)
        time.sleep(0.05)
    standby.psql("SELECT pg_wal_replay_pause()")
    try:
        routed = metrics(world.url)
        world.patch(page, need["id"], {"title": "Renamed during the pause"}, as_="state_a")
        # within the lag limit the standby answers with what it has: the old title, served
        # but not kept (its notice emptied the cache; the standby lacks the write)
        stale = world.get(page, need["id"], as_="implementer")
        after = cache_metrics(world.url)
        assert metrics(world.url)[REPLICA] > routed[REPLICA]
        assert stale["title"] == "Cached before the pause", stale
        assert after["roundtable_response_cache_unreplayed_total"] > \
            mid["roundtable_response_cache_unreplayed_total"], (mid, after)
    finally:
        standby.psql("SELECT pg_wal_replay_resume()")
    standby.wait_caught_up(world.pg)
    wait_state(world.url, "in_use")
    time.sleep(MAX_LAG + 0.5)  # past the lag limit: nothing may excuse an old answer now
    for _ in range(5):
        got = world.get(page, need["id"], as_="implementer")
        assert got["title"] == "Renamed during the pause", got
    end = cache_metrics(world.url)
    # the fresh answer was kept and is being served from the cache
    assert end["roundtable_response_cache_stores_total"] > \
        after["roundtable_response_cache_stores_total"], (after, end)
    assert end["roundtable_response_cache_hits_total"] >= \
        after["roundtable_response_cache_hits_total"] + 3, (after, end)


def test_suggestions_and_summary_read_from_the_replica(world):
    wait_state(world.url, "in_use")
    need = world.new_need(as_="state_b", title="Summary need")
    world.new_offer(as_="donor", title="Summary offer")
    # the writer's first read is on the primary; others read the replica once it has replayed
    world.get(f"{V1}/needs/{{id}}/suggestions", need["id"], as_="state_b")
    time.sleep(0.5)
    before = metrics(world.url)
    world.get(f"{V1}/needs/{{id}}/suggestions", need["id"], as_="organizer")
    world.get(f"{V1}/roundtables/{{id}}/summary", world.rt["id"], as_="organizer")
    world.get(f"{V1}/matches", as_="organizer")
    after = metrics(world.url)
    assert after[REPLICA] - before[REPLICA] >= 3, (before, after)


def test_auth_and_runs_stay_on_the_primary(world):
    # a revoked token is refused at once even though reads use the replica
    t = world.new_token("state", world.p["state_a"]["id"], label="revoke me")
    world.get(f"{V1}/needs", token=t["token"], as_="state_a")
    world.call("DELETE", f"{V1}/tokens/{{id}}", t["id"], expect=204)
    r = world.call("GET", f"{V1}/needs", token=t["token"], check=False)
    assert r.status_code == 401
    before = metrics(world.url)
    world.get(f"{V1}/me", as_="implementer")
    world.get(f"{V1}/roundtables/{{id}}/match-runs", world.rt["id"], as_="implementer")
    after = metrics(world.url)
    assert after[REPLICA] == before[REPLICA], "auth and run reads must not be routed"


def test_stopping_the_standby_falls_back_without_errors(world, standby):
    wait_state(world.url, "in_use")
    failures, done = [], threading.Event()
    served = [0]

    def reader(who):
        s = requests.Session()
        while not done.is_set():
            r = s.get(world.url + f"{V1}/needs", params={"limit": "5"},
                      headers={"Authorization": f"Bearer {world.tok[who]}"}, timeout=30)
            if r.status_code != 200:
                failures.append((r.status_code, r.text[:200]))
            served[0] += 1

    threads = [threading.Thread(target=reader, args=(w,)) for w in ("implementer", "organizer")]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        before = metrics(world.url)
        standby.stop("immediate")
        wait_state(world.url, "down")
        time.sleep(0.5)
        # the writer and everyone else keep reading and writing on the primary
        need = world.new_need(as_="state_a", title="Written with the standby down")
        assert world.get(f"{V1}/needs/{{id}}", need["id"], as_="implementer")["id"] == need["id"]
    finally:
        done.set()
        for t in threads:
            t.join()
    assert not failures, failures[:5]
    assert served[0] > 20
    after = metrics(world.url)
    assert after[DOWN] > before[DOWN]
    r = requests.get(world.url + "/readyz", timeout=10)
    assert r.status_code == 200 and r.json()["read_replica"] == "down"
    # back: the standby reconnects and serves reads again
    standby.start()
    wait_state(world.url, "in_use")
    before = metrics(world.url)
    world.get(f"{V1}/needs", as_="implementer", params={"limit": "121"})
    assert metrics(world.url)[REPLICA] > before[REPLICA]


@pytest.mark.skipif(not os.path.exists(PGBOUNCER), reason="pgbouncer is not installed")
def test_reads_through_a_transaction_pooler_carry_no_session_state(world, pg, standby):
    """The read connections through PgBouncer in transaction mode with a single server
    connection: every client connection's statements land on it in turn, so any session
    state (SET, prepared statements, temporary tables) would leak or break. Without the
    response cache, so that every request reads."""
    bouncer = PgBouncer(standby, pool_size=1)
    svc = Service(pg, "--db-read", bouncer.conninfo, "--db-pool-size", "4", "--threads", "2",
                  "--response-cache", "0", migrate=False)
    try:
        wait_state(svc.url, "in_use")
        before = metrics(svc.url)
        h = {"Authorization": f"Bearer {world.tok['implementer']}"}
        errors = []

        def hammer():
            s = requests.Session()
            for i in range(30):
                for path in (f"{V1}/needs", f"{V1}/matches", f"{V1}/roundtables/{world.rt['id']}"):
                    r = s.get(svc.url + path, headers=h, timeout=30)
                    if r.status_code != 200:
                        errors.append((path, r.status_code, r.text[:200]))

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:5]
        after = metrics(svc.url)
        assert after[REPLICA] - before[REPLICA] >= 300, (before, after)
        # through the pooler the startup options are dropped: the standby refuses writes anyway
        assert standby.psql("SELECT pg_is_in_recovery()") == "t"
    finally:
        assert svc.stop() == 0, svc.log()
        bouncer.stop()
