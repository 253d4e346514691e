"""Cursor pagination over real HTTP and PostgreSQL, for every list: limit bounds, bad cursors,
walking all pages gives every row once in id order, and while another thread inserts, no row
that existed when the walk began is skipped or repeated."""
import threading
import time

import pytest
import requests

from domain_fixtures import *  # noqa: F401,F403

LISTS = {
    "participants": f"{V1}/participants",
    "tokens": f"{V1}/tokens",
    "roundtables": f"{V1}/roundtables",
    "needs": f"{V1}/needs",
    "offers": f"{V1}/offers",
}
IMP = f"{V1}/roundtables/{{id}}/import"


@pytest.fixture(scope="module")
def filled(world):
    """Enough rows in every table for several pages."""
    for i in range(12):
        world.new_participant("donor", name=f"Donor {i}")
        world.new_roundtable("open" if i % 2 else "planned")
    for i in range(8):
        world.new_token("provider", world.p["donor"]["id"], label=f"t{i}")
    rows = [{"participant_id": world.p["state_a" if i % 3 else "state_b"]["id"],
             "title": f"Need {i}", "themes": ["cbm.transparency"], "languages": ["en"]}
            for i in range(400)]
    world.call("POST", IMP, world.rt["id"], params={"entity": "needs"}, body=rows, expect=200)
    offers = [{"participant_id": world.p["donor"]["id"], "title": f"Offer {i}",
               "kind": "training", "themes": ["cbm.transparency"], "languages": ["en"]}
              for i in range(120)]
    world.call("POST", IMP, world.rt["id"], params={"entity": "offers"}, body=offers,
               expect=200)
    return world


def db_ids(world, table, where="true"):
    out = world.pg.psql(f"SELECT id FROM {table} WHERE {where} ORDER BY id")
    return [x for x in out.split()]


def walk(world, tpl, limit, params=None, as_="admin", session=None, on_page=None):
    """The ids of every page, in the order served, and the number of pages."""
    ids, cursor, pages = [], None, 0
    while True:
        p = dict(params or {}, limit=str(limit))
        if cursor:
            p["cursor"] = cursor
        page = world.call("GET", tpl, as_=as_, params=p, expect=200, session=session).body
        pages += 1
        assert len(page["items"]) <= limit
        if page["next_cursor"] is not None:
            assert len(page["items"]) == limit, "a short page must be the last"
        ids += [x["id"] for x in page["items"]]
        if on_page:
            on_page(pages)
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize("limit", [1, 7, 50, 500])
def test_walking_every_page_gives_every_row_once_in_id_order(filled, name, limit):
    world = filled
    if name in ("needs", "offers") and limit == 1:
        limit = 3  # keep it quick: hundreds of rows
    ids, pages = walk(world, LISTS[name], limit)
    want = db_ids(world, name)
    assert ids == want, f"{name} limit {limit}"
    assert pages == max(1, -(-len(want) // limit))  # no empty page after a full last one


@pytest.mark.parametrize("name,params,where", [
    ("needs", {"participant_id": None}, "participant_id = {state_b}"),
    ("needs", {"status": "open", "theme": "cbm"}, "status = 'open'"),
    ("participants", {"kind": "donor"}, "kind = 'donor'"),
    ("roundtables", {"status": "open"}, "status = 'open'"),
])
def test_filtered_walk(filled, name, params, where):
    world = filled
    sid = world.p["state_b"]["id"]
    params = {k: (v if v is not None else sid) for k, v in params.items()}
    ids, _ = walk(world, LISTS[name], 11, params)
    assert ids == db_ids(world, name, where.format(state_b=sid))
    assert ids


def test_default_limit_is_50_and_the_cursor_continues(filled):
    world = filled
    page = world.get(LISTS["needs"])
    assert len(page["items"]) == 50 and page["next_cursor"]
    nxt = world.get(LISTS["needs"], params={"cursor": page["next_cursor"]})
    assert int(nxt["items"][0]["id"]) > int(page["items"][-1]["id"])
    want = db_ids(world, "needs")
    assert [x["id"] for x in page["items"] + nxt["items"]] == want[:100]


def test_the_last_page_has_no_cursor(filled):
    world = filled
    n = len(db_ids(world, "roundtables"))
    page = world.get(LISTS["roundtables"], params={"limit": str(n)})
    assert len(page["items"]) == n and page["next_cursor"] is None
    page = world.get(LISTS["roundtables"], params={"limit": str(n - 1)})
    assert page["next_cursor"] is not None
    last = world.get(LISTS["roundtables"], params={"limit": "5",
                                                   "cursor": page["next_cursor"]})
    assert len(last["items"]) == 1 and last["next_cursor"] is None


def test_a_cursor_past_the_end_gives_an_empty_page(filled):
    world = filled
    ids, _ = walk(world, LISTS["needs"], 500)
    # a cursor from the last full page of a filter that ends exactly there
    page = world.get(LISTS["needs"], params={"limit": "1", "q": "Need 399"})
    assert [x["title"] for x in page["items"]] == ["Need 399"]
    assert page["next_cursor"] is None
    p2 = world.get(LISTS["needs"], params={"limit": "2"})
    later = world.get(LISTS["needs"], params={"limit": "500", "cursor": p2["next_cursor"],
                                              "participant_id": "999999999"})
    assert later == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("name", sorted(LISTS))
@pytest.mark.parametrize("params", [
    {"limit": "0"}, {"limit": "501"}, {"limit": "x"}, {"limit": "-1"}, {"limit": ""},
    {"limit": "1.5"}, {"limit": "010"}, {"limit": "99999999999999999999"},
    {"cursor": ""}, {"cursor": "x"}, {"cursor": "c"}, {"cursor": "c0"}, {"cursor": "C1"},
    {"cursor": "c-1"}, {"cursor": "c!"}, {"cursor": "c" + "z" * 20}, {"cursor": "1"},
    {"cursor": "c" + "z" * 13}, {"cursor": "c1y2p0ij32e8e8"},  # beyond 2^63 - 1
])
def test_bad_limit_or_cursor_is_400(filled, name, params):
    r = filled.call("GET", LISTS[name], params=params, expect=400)
    validate(r.body, "Problem")


@pytest.mark.parametrize("cursor", ["c" + "z" * 12, "c1y2p0ij32e8e7"])
def test_a_cursor_beyond_every_id_gives_an_empty_page(filled, cursor):
    assert filled.get(LISTS["needs"], params={"cursor": cursor}) == \
        {"items": [], "next_cursor": None}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_limit_bounds_are_inclusive(filled, name):
    for limit in ("1", "500"):
        page = filled.get(LISTS[name], params={"limit": limit})
        assert 1 <= len(page["items"]) <= int(limit)


def test_no_skips_or_repeats_under_concurrent_inserts(filled):
    """One thread inserts needs (single POSTs and small imports) as fast as it can while the
    main thread pages through /needs; every need that existed when the walk began appears
    exactly once, all in increasing id order."""
    world = filled
    rt = world.rt["id"]
    existing = db_ids(world, "needs")
    stop = threading.Event()
    inserted = []
    errors = []

    def inserter():
        s = requests.Session()
        i = 0
        try:
            while not stop.is_set() and i < 80:  # bounded, so that the walk ends
                i += 1
                if i % 5:
                    r = world.call("POST", f"{V1}/needs", as_="state_a", session=s,
                                   body=need_body(rt, title=f"Concurrent {i}"), check=False)
                    if r.status_code != 201:
                        errors.append(r.text)
                        return
                    inserted.append(r.json()["id"])
                else:
                    rows = [{"participant_id": world.p["state_b"]["id"],
                             "title": f"Concurrent batch {i}.{k}", "themes": ["cbm.transparency"],
                             "languages": ["en"]} for k in range(10)]
                    r = world.call("POST", IMP, rt, params={"entity": "needs"}, body=rows,
                                   session=s, check=False)
                    if r.status_code != 200:
                        errors.append(r.text)
                        return
                    inserted.append(f"batch{i}")
        finally:
            s.close()

    pages_seen = []
    t = threading.Thread(target=inserter)
    t.start()
    def on_page(n):
        pages_seen.append(len(inserted))
        time.sleep(0.003)  # leave the inserter room between pages

    try:
        deadline = time.time() + 10
        while len(inserted) < 2 and time.time() < deadline and not errors:
            time.sleep(0.001)  # the inserter is running before the first page
        seen, pages = walk(world, LISTS["needs"], 13, session=requests.Session(),
                           on_page=on_page)
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors[:3]
    assert len(inserted) > 10, "the inserter did not get going"
    assert pages_seen[-1] > pages_seen[0], "no inserts happened during the walk"
    print("inserts seen at each page:", pages_seen)
    assert len(seen) == len(set(seen)), "a row was served twice"
    assert [int(x) for x in seen] == sorted(int(x) for x in seen), "not in id order"
    missing = set(existing) - set(seen)
    assert not missing, f"{len(missing)} rows that existed at the start were skipped"
    # and a walk after the dust settles serves exactly the table
    ids, _ = walk(world, LISTS["needs"], 500)
    assert ids == db_ids(world, "needs")


def test_concurrent_walks_with_a_filter(filled):
    """Two readers walking the same filtered list while a writer posts into it agree on every
    row that existed before they began."""
    world = filled
    rt = world.rt["id"]
    sid = world.p["state_a"]["id"]
    existing = db_ids(world, "needs", f"participant_id = {sid}")
    stop = threading.Event()
    results = {}

    def writer():
        s = requests.Session()
        while not stop.is_set():
            world.call("POST", f"{V1}/needs", as_="state_a", session=s, check=False,
                       body=need_body(rt, title="Writer"))
        s.close()

    def reader(name):
        s = requests.Session()
        results[name] = walk(world, LISTS["needs"], 17, {"participant_id": sid}, session=s)[0]
        s.close()

    w = threading.Thread(target=writer)
    readers = [threading.Thread(target=reader, args=(k,)) for k in ("a", "b")]
    w.start()
    for r in readers:
        r.start()
    for r in readers:
        r.join(60)
    stop.set()
    w.join(30)
    for name, seen in results.items():
        assert len(seen) == len(set(seen)), name
        assert [int(x) for x in seen] == sorted(int(x) for x in seen), name
        assert set(existing) <= set(seen), name
    assert len(results) == 2
