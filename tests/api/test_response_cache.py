"""The response cache (docs/scaling.md, "Response cache"): rendered GET answers kept in process,
keyed by path, sorted query and the caller's role and participant, emptied by NOTIFY rt_data
(sql/016_response_cache.sql). Two instances on one database: a write through one is seen at once
by a read through the other that had the page cached; a write straight into the database too;
one caller's view is never served to another; the cache stays within its bound; /metrics counts.
Every test here that checks freshness fails when the triggers or the listener's handling of
rt_data are removed (test_invalidation_is_what_keeps_it_fresh proves the cache is in play)."""
import copy
import os
import re

import requests

from domain_fixtures import *  # noqa: F401,F403
from domain_fixtures import V1
from harness import Service
# the second instance on the same database, and the callers through each
from test_scale_two_instances import other, worlds  # noqa: F401

# Tables no cached response reads (sql/016_response_cache.sql): everything else must notify.
SILENT = {"tokens", "accounts", "sessions", "sign_in_failures", "audit_log", "idempotency_keys",
          "schema_migrations"}


def metrics(url):
    text = requests.get(url + "/metrics", timeout=10).text
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r"^roundtable_response_cache_(\w+) (\S+)$", text, re.M)}


def hits(w):
    return metrics(w.url)["hits_total"]


def cached_get(w, path, id=None, as_="admin", params=None):
    """GETs until an answer comes from the cache (checked by the hit counter); returns it.
    The notice of a write made just before may reach this instance while the first answer is
    being made, which rightly keeps that answer out of the cache: so up to five tries."""
    w.call("GET", path, id, as_=as_, params=params, expect=200)
    for _ in range(5):
        before = hits(w)
        body = w.get(path, id, as_=as_, params=params)
        if hits(w) == before + 1:
            return body
    raise AssertionError(f"GET {path} as {as_} was never served from the cache")


def test_metrics_move(world):
    m0 = metrics(world.url)
    assert m0["capacity_bytes"] == 32 * 1024 * 1024
    need = world.new_need()
    cached_get(world, f"{V1}/needs/{{id}}", need["id"])
    m1 = metrics(world.url)
    assert m1["misses_total"] > m0["misses_total"]
    assert m1["stores_total"] > m0["stores_total"]
    assert m1["hits_total"] > m0["hits_total"]
    assert m1["invalidations_total"] > m0["invalidations_total"]  # the need's insert
    assert m1["entries"] >= 1 and m1["bytes"] > 0


def test_a_write_through_one_instance_is_seen_by_the_other_at_once(worlds):
    a, b = worlds
    need = a.new_need()
    for i in range(12):
        via, reader = (a, b) if i % 2 == 0 else (b, a)
        cached_get(reader, f"{V1}/needs/{{id}}", need["id"])
        cached_get(reader, f"{V1}/needs", params={"roundtable_id": a.rt["id"]})
        title = f"Need retitled {i}"
        via.patch(f"{V1}/needs/{{id}}", need["id"], {"title": title})
        assert reader.get(f"{V1}/needs/{{id}}", need["id"])["title"] == title
        listed = reader.list_all(f"{V1}/needs", {"roundtable_id": a.rt["id"]})
        assert [n["title"] for n in listed if n["id"] == need["id"]] == [title]


def test_a_write_straight_into_the_database_is_seen_at_once(worlds):
    a, b = worlds
    offer = a.new_offer()
    for w in (a, b):
        cached_get(w, f"{V1}/offers/{{id}}", offer["id"])
    a.pg.psql(f"UPDATE offers SET title = 'Changed behind the service' WHERE id = {offer['id']}")
    for w in (a, b):
        assert w.get(f"{V1}/offers/{{id}}", offer["id"])["title"] == "Changed behind the service"
    a.pg.psql(f"DELETE FROM offers WHERE id = {offer['id']}")
    for w in (a, b):
        w.call("GET", f"{V1}/offers/{{id}}", offer["id"], expect=404)


def test_invalidation_is_what_keeps_it_fresh(worlds):
    """A change that notifies nothing (a table the cache is told no response reads) is not
    seen while the page is cached: the freshness above is the notices' work, not a miss."""
    a, _ = worlds
    need = a.new_need()
    cached_get(a, f"{V1}/needs/{{id}}", need["id"])
    a.pg.psql("ALTER TABLE needs DISABLE TRIGGER needs_notify_data;"
              f" UPDATE needs SET title = 'Unannounced' WHERE id = {need['id']};"
              " ALTER TABLE needs ENABLE TRIGGER needs_notify_data")
    assert a.get(f"{V1}/needs/{{id}}", need["id"])["title"] == need["title"]
    a.pg.psql(f"UPDATE needs SET title = 'Announced' WHERE id = {need['id']}")
    assert a.get(f"{V1}/needs/{{id}}", need["id"])["title"] == "Announced"


def test_every_table_but_the_silent_ones_notifies(world):
    rows = world.pg.psql(
        "SELECT c.relname || ':' || count(t.tgname) FILTER (WHERE p.proname = 'rt_notify_data')"
        " FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid"
        " LEFT JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
        " GROUP BY c.relname ORDER BY 1").split()
    seen = dict(r.split(":") for r in rows)
    missing = [t for t, n in seen.items() if t not in SILENT and int(n) < 2]
    assert not missing, f"tables that change cached answers but notify nothing: {missing}"
    assert all(int(seen[t]) == 0 for t in SILENT if t in seen)


def test_contact_emails_are_never_served_to_another_caller(worlds):
    a, b = worlds
    p = a.new_participant("donor", contact={"name": "Desk", "email": "private@example.org"})
    t = a.new_token("provider", p["id"], label="contact owner")
    a.tok["owner"] = b.tok["owner"] = t["token"]
    for w in (a, b):
        for who in ("admin", "owner", "state_a", "donor"):
            cached_get(w, f"{V1}/participants/{{id}}", p["id"], as_=who)
        for who in ("admin", "owner"):
            assert w.get(f"{V1}/participants/{{id}}", p["id"], as_=who)["contact"]["email"] \
                == "private@example.org"
        for who in ("state_a", "donor", "state_b"):
            body = w.get(f"{V1}/participants/{{id}}", p["id"], as_=who)
            assert "private@example.org" not in str(body), who
        listed = w.list_all(f"{V1}/participants", as_="donor")
        assert "private@example.org" not in str(listed)


def test_a_states_view_is_never_served_to_another_state(worlds):
    a, b = worlds
    mine = a.new_need(as_="state_a", title="Kenya's own need")
    r = a.call("POST", f"{V1}/needs", body=dict(need_body(a.rt["id"]), title="Kenya's hidden need",
                                                visibility="organizers"), as_="state_a")
    assert r.status_code == 201, r.text
    hidden = r.body
    for w in (a, b):
        cached_get(w, f"{V1}/needs/{{id}}", hidden["id"], as_="state_a")
        cached_get(w, f"{V1}/needs/{{id}}", hidden["id"], as_="admin")
        params = {"roundtable_id": a.rt["id"], "limit": "500"}
        own = cached_get(w, f"{V1}/needs", as_="state_a", params=params)
        assert hidden["id"] in [n["id"] for n in own["items"]]
        w.call("GET", f"{V1}/needs/{{id}}", hidden["id"], as_="state_b", expect=404)
        w.call("GET", f"{V1}/needs/{{id}}", hidden["id"], as_="donor", expect=404)
        other = w.get(f"{V1}/needs", as_="state_b", params=params)
        ids = [n["id"] for n in other["items"]]
        assert hidden["id"] not in ids and mine["id"] in ids


def test_query_order_shares_an_entry_and_errors_are_not_kept(world):
    rt = world.rt["id"]

    def get(path, expect=200):
        return world.call("GET", path, check=False, expect=expect)

    get(f"{V1}/needs?limit=5&roundtable_id={rt}")
    for _ in range(5):  # a late notice of the fixture's writes may keep one answer out
        before = hits(world)
        get(f"{V1}/needs?roundtable_id={rt}&limit=5")
        if hits(world) == before + 1:
            break
    else:
        raise AssertionError("the same query in another order was never a hit")
    before = metrics(world.url)
    for _ in range(2):
        get(f"{V1}/needs?limit=0&roundtable_id={rt}", expect=400)
        get(f"{V1}/needs?roundtable_id={rt}&roundtable_id={rt}", expect=400)
        get(f"{V1}/needs/999999999", expect=404)
    after = metrics(world.url)
    assert after["hits_total"] == before["hits_total"]
    assert after["stores_total"] == before["stores_total"]


def test_the_cache_is_bounded(pg, world):
    svc = Service(pg, "--response-cache", "64K", migrate=False)
    try:
        small = copy.copy(world)
        small.url = svc.url
        small.session = requests.Session()
        for i in range(3):
            small.new_need(title=f"Bounded {i} " + "x" * 150)
        for limit in range(1, 80):
            small.get(f"{V1}/needs", params={"roundtable_id": world.rt["id"], "limit": limit})
        m = metrics(svc.url)
        assert m["capacity_bytes"] == 64 * 1024
        assert 0 < m["bytes"] <= 64 * 1024
        assert m["evictions_total"] > 0
        # the most recent answer is still there
        before = m["hits_total"]
        small.get(f"{V1}/needs", params={"roundtable_id": world.rt["id"], "limit": 79})
        assert metrics(svc.url)["hits_total"] == before + 1
    finally:
        assert svc.stop() == 0, svc.log()


def test_off_caches_nothing(pg, world):
    svc = Service(pg, "--response-cache", "0", migrate=False)
    try:
        for _ in range(3):
            requests.get(f"{svc.url}{V1}/needs/{world.rt['id']}",
                         headers={"Authorization": f"Bearer {world.tok['admin']}"}, timeout=10)
        m = metrics(svc.url)
        assert m["capacity_bytes"] == 0 and m["hits_total"] == 0 and m["stores_total"] == 0
    finally:
        assert svc.stop() == 0, svc.log()


def test_concurrent_misses_of_one_page_ask_the_database_once_per_loop(world):
    """After a write every request for a page misses at once; those on one event loop follow
    the first one's answer instead of each asking the database."""
    import threading
    rt = world.rt["id"]
    world.new_need(title="Empties the cache")
    params = {"roundtable_id": rt, "limit": "100"}
    before = metrics(world.url)
    barrier = threading.Barrier(24)
    bodies = []

    def go():
        with requests.Session() as s:
            barrier.wait()
            r = s.get(f"{world.url}{V1}/needs", params=params, timeout=30,
                      headers={"Authorization": f"Bearer {world.tok['admin']}"})
            bodies.append((r.status_code, r.content))

    threads = [threading.Thread(target=go) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(bodies) == 24 and {b[0] for b in bodies} == {200}
    assert len({b[1] for b in bodies}) == 1
    after = metrics(world.url)
    loops = min(len(os.sched_getaffinity(0)), 64)  # the service's: one event loop per core
    assert after["stores_total"] - before["stores_total"] <= loops
