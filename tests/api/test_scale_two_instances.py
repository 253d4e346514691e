"""Two service processes on one database (docs/scaling.md): the service keeps nothing between
requests that another process could contradict. Concurrent match runs of one roundtable sent
to both: one 202, the other 409; concurrent accepts through both never over-commit an offer;
what one writes the other reads at once; and a token revoked through one is refused by the
other on the very next request, although both cache token lookups (LISTEN/NOTIFY)."""
import copy
import threading

import pytest
import requests

from harness import Service
from matching_fixtures import *  # noqa: F401,F403
from openapi_check import check_response
from test_matching_decisions import two_proposals_on_one_offer


@pytest.fixture(scope="module")
def other(pg, service):
    """The second instance, on the same database (migrated already by the first)."""
    svc = Service(pg, migrate=False)
    yield svc
    assert svc.stop() == 0, "the second instance did not exit cleanly:\n" + svc.log()


@pytest.fixture(scope="module")
def worlds(world, other):
    """The same callers and data, through instance A (world) and instance B."""
    b = copy.copy(world)
    b.url = other.url
    b.session = requests.Session()
    return world, b


def together(*calls):
    """Runs each call on its own thread, released at once by a barrier; returns the results."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def go(i, f):
        barrier.wait()
        out[i] = f()

    ts = [threading.Thread(target=go, args=(i, f)) for i, f in enumerate(calls)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def post_as(url, path, token, body=None):
    with requests.Session() as s:
        return s.post(url + path, json=body, headers={"Authorization": f"Bearer {token}"},
                      timeout=30)


def test_a_revoked_token_is_refused_by_the_other_instance_at_once(worlds):
    a, b = worlds
    for i in range(10):
        via, other_side = (a, b) if i % 2 == 0 else (b, a)
        t = a.new_token("provider", a.p["donor"]["id"], label=f"scale {i}")
        # both instances have looked it up (and cached it)
        for w in (a, b, a, b):
            w.call("GET", f"{V1}/roundtables", token=t["token"], expect=200)
        via.call("DELETE", f"{V1}/tokens/{{id}}", t["id"], expect=204)
        other_side.call("GET", f"{V1}/roundtables", token=t["token"], expect=401)
        via.call("GET", f"{V1}/roundtables", token=t["token"], expect=401)


def test_tokens_still_work_on_both_after_other_tokens_change(worlds):
    a, b = worlds
    keep = a.new_token("state", a.p["state_a"]["id"])
    gone = a.new_token("state", a.p["state_a"]["id"])
    for w in (a, b):
        w.call("GET", f"{V1}/roundtables", token=keep["token"], expect=200)
    b.call("DELETE", f"{V1}/tokens/{{id}}", gone["id"], expect=204)
    for w in (a, b):
        w.call("GET", f"{V1}/roundtables", token=keep["token"], expect=200)
        w.call("GET", f"{V1}/roundtables", token=gone["token"], expect=401)


def populated_rt(w, n=300):
    """A roundtable of n needs and n offers (imported), so that a run lasts a while."""
    rt = new_rt(w)
    needs = [{"participant_id": w.p["state_a" if i % 2 else "state_b"]["id"],
              "title": f"Need {i}", "themes": ["incident.csirt_establishment"],
              "languages": ["en"]} for i in range(n)]
    offers = [{"participant_id": w.p["donor"]["id"], "title": f"Offer {i}", "kind": "training",
               "themes": ["incident.incident_response"], "languages": ["en"]} for i in range(n)]
    for entity, rows in (("needs", needs), ("offers", offers)):
        w.call("POST", f"{V1}/roundtables/{{id}}/import", rt["id"], params={"entity": entity},
               body=rows, expect=200)
    return rt


def test_concurrent_runs_of_one_roundtable_across_instances_one_409(worlds):
    a, b = worlds
    for _ in range(3):
        rt = populated_rt(a)
        path = RUNS.replace("{id}", str(rt["id"]))
        ra, rb = together(lambda: post_as(a.url, path, a.tok["organizer"]),
                          lambda: post_as(b.url, path, b.tok["organizer"]))
        for r in (ra, rb):
            check_response(r, RUNS, "POST")
        codes = sorted((ra.status_code, rb.status_code))
        if codes == [202, 202]:
            # a machine slow enough lets the first run end before the second arrives: never
            # two at once is what must hold
            first, second = sorted((ra.json()["id"], rb.json()["id"]), key=int)
            for run_id in (first, second):
                wait_run(a, run_id)
            assert a.pg.psql(f"SELECT (SELECT finished_at FROM match_runs WHERE id = {first})"
                             f" <= (SELECT created_at FROM match_runs WHERE id = {second})") == "t"
            continue
        assert codes == [202, 409], (ra.text, rb.text)
        run = (ra if ra.status_code == 202 else rb).json()
        # each instance reports the run the other started, to its end
        done, _ = wait_run(b if ra.status_code == 202 else a, run["id"])
        assert done["status"] == "succeeded", done
        assert a.get(RUN, run["id"]) == b.get(RUN, run["id"])


def test_concurrent_accepts_across_instances_never_over_commit(worlds):
    a, b = worlds
    for _ in range(3):
        rt, offer, ma, mb = two_proposals_on_one_offer(a)  # capacity 1, two proposals
        decide(a, ma["id"], "accept", as_="donor")
        decide(b, mb["id"], "accept", as_="donor")
        body = {"decision": "accept"}
        ra, rb = together(
            lambda: post_as(a.url, DECIDE.replace("{id}", str(ma["id"])), a.tok["state_a"], body),
            lambda: post_as(b.url, DECIDE.replace("{id}", str(mb["id"])), b.tok["state_b"], body))
        for r in (ra, rb):
            check_response(r, DECIDE, "POST")
        assert sorted((ra.status_code, rb.status_code)) == [200, 409], (ra.text, rb.text)
        for w in (a, b):
            assert len(matches_of(w, rt["id"], status="agreed")) == 1
            assert w.get(OFFER, offer["id"])["status"] == "closed"
    over = a.pg.psql(
        "SELECT count(*) FROM offers o WHERE o.capacity <"
        " (SELECT count(*) FROM matches m WHERE m.offer_id = o.id AND m.status = 'agreed')")
    assert over == "0"


def test_what_one_instance_writes_the_other_reads_at_once(worlds):
    a, b = worlds
    rt = new_rt(a)
    for i in range(5):
        w, r = (a, b) if i % 2 == 0 else (b, a)
        need = w.new_need(rt=rt["id"], title=f"Need {i} written through one instance")
        assert r.get(NEED, need["id"])["title"] == need["title"]
        r.patch(NEED, need["id"], {"title": f"Renamed {i}"}, as_="state_a")
        assert w.get(NEED, need["id"])["title"] == f"Renamed {i}"
    listed_a = a.list_all(f"{V1}/needs", {"roundtable_id": str(rt["id"])})
    listed_b = b.list_all(f"{V1}/needs", {"roundtable_id": str(rt["id"])})
    assert listed_a == listed_b and len(listed_a) == 5
