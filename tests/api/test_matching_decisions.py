"""Matches and decisions over real HTTP and PostgreSQL: each side accepts or declines (a state
for its need, a provider for its offer, an admin for the side it names); both accept → agreed, and
the need becomes matched when its partners are all agreed, the offer closed when its capacity is;
either declines → declined and the pair is never proposed again; deciding on a match that is not
proposed, or accepting beyond capacity, is 409 — also for concurrent accepts, which never
over-commit; other parties' matches are invisible (404, absent from lists); GET /matches with
every filter, both orders and keyset cursors."""
import threading

import pytest
import requests

from matching_fixtures import *  # noqa: F401,F403
from openapi_check import check_response


def one_match(world, need_kw=None, offer_kw=None, state="state_a", provider="donor"):
    """A roundtable with one need and one offer, run: (rt, need, offer, match)."""
    rt = new_rt(world)
    need = world.new_need(as_=state, rt=rt["id"], languages=["en", "es"], **(need_kw or {}))
    offer = world.new_offer(as_=provider, rt=rt["id"], **(offer_kw or {}))
    run_to_end(world, rt["id"])
    [m] = matches_of(world, rt["id"])
    assert (m["need_id"], m["offer_id"], m["status"]) == (need["id"], offer["id"], "proposed")
    assert m["state_decision"] is None and m["provider_decision"] is None
    assert m["decided_at"] is None
    return rt, need, offer, m


# ---------------------------------------------------------------- the workflow

def test_a_match_names_its_need_and_offer(world):
    rt, need, offer, m = one_match(world)
    state = world.get(f"{V1}/participants/{{id}}", need["participant_id"])
    donor = world.get(f"{V1}/participants/{{id}}", offer["participant_id"])
    want_need = {"title": need["title"], "participant_id": state["id"],
                 "participant_name": state["name"], "country": state["country"],
                 "region": state["region"]}
    want_offer = {"title": offer["title"], "participant_id": donor["id"],
                  "participant_name": donor["name"], "kind": offer["kind"]}
    assert (m["need"], m["offer"]) == (want_need, want_offer)
    for got in (world.get(MATCH, m["id"]), decide(world, m["id"], "accept", as_="state_a"),
                matches_of(world, rt["id"], as_="donor")[0]):
        assert (got["need"], got["offer"]) == (want_need, want_offer)
    # a renamed posting is named anew
    world.patch(NEED, need["id"], {"title": "Renamed need"}, as_="state_a")
    assert world.get(MATCH, m["id"])["need"]["title"] == "Renamed need"


def test_both_accept_agreed_and_statuses_move(world):
    rt, need, offer, m = one_match(world)
    m1 = decide(world, m["id"], "accept", as_="state_a")
    assert (m1["status"], m1["state_decision"], m1["provider_decision"]) == \
        ("proposed", "accept", None)
    assert m1["decided_at"] is None and m1["updated_at"] >= m["updated_at"]
    assert world.get(NEED, need["id"])["status"] == "open"
    m2 = decide(world, m["id"], "accept", as_="donor")
    assert (m2["status"], m2["state_decision"], m2["provider_decision"]) == \
        ("agreed", "accept", "accept")
    assert m2["decided_at"] and m2["score"] == m["score"] and m2["breakdown"] == m["breakdown"]
    assert world.get(MATCH, m["id"]) == m2
    # max_partners 1 and capacity 1 are reached
    assert world.get(NEED, need["id"])["status"] == "matched"
    assert world.get(OFFER, offer["id"])["status"] == "closed"
    # a settled match takes no more decisions
    for who, d in (("state_a", "decline"), ("donor", "accept"), ("donor", "decline")):
        r = world.call("POST", DECIDE, m["id"], as_=who, body={"decision": d}, expect=409)
        assert "agreed" in r.body["detail"]
    # a fulfilled need completes its agreed partnerships
    world.patch(NEED, need["id"], {"status": "fulfilled"}, as_="state_a")
    assert world.get(MATCH, m["id"])["status"] == "completed"
    world.call("POST", DECIDE, m["id"], as_="state_a", body={"decision": "accept"}, expect=409)


def test_provider_first_then_state(world):
    _, need, offer, m = one_match(world, need_kw={"max_partners": 2}, offer_kw={"capacity": 3})
    assert decide(world, m["id"], "accept", as_="donor")["status"] == "proposed"
    assert decide(world, m["id"], "accept", as_="state_a")["status"] == "agreed"
    # room left on both sides: statuses stay open
    assert world.get(NEED, need["id"])["status"] == "open"
    assert world.get(OFFER, offer["id"])["status"] == "open"


@pytest.mark.parametrize("who", ["state_a", "donor"])
def test_either_side_declines_and_the_pair_is_never_proposed_again(world, who):
    rt, need, offer, m = one_match(world)
    if who == "donor":
        decide(world, m["id"], "accept", as_="state_a")
    d = decide(world, m["id"], "decline", as_=who)
    assert d["status"] == "declined" and d["decided_at"]
    assert d["state_decision" if who == "state_a" else "provider_decision"] == "decline"
    assert world.count("declined_pairs", f"need_id = {need['id']} AND offer_id = {offer['id']}") == 1
    r = world.call("POST", DECIDE, m["id"], as_="state_a", body={"decision": "accept"},
                   expect=409)
    assert "declined" in r.body["detail"]
    # later runs never propose the pair again; the statuses did not move
    run = run_to_end(world, rt["id"])
    assert run["stats"]["feasible_pairs"] == 0 and run["stats"]["matches"] == 0
    assert matches_of(world, rt["id"]) == [world.get(MATCH, m["id"])]
    assert suggested_offers(world, need["id"]) == {}
    assert world.get(NEED, need["id"])["status"] == "open"
    assert world.get(OFFER, offer["id"])["status"] == "open"


def test_a_side_may_turn_its_accept_into_a_decline_while_proposed(world):
    _, _, _, m = one_match(world)
    decide(world, m["id"], "accept", as_="state_a")
    assert decide(world, m["id"], "accept", as_="state_a")["status"] == "proposed"  # again: same
    assert decide(world, m["id"], "decline", as_="state_a")["status"] == "declined"


def test_admin_acts_for_the_side_it_names(world):
    _, need, offer, m = one_match(world)
    r = world.call("POST", DECIDE, m["id"], as_="admin", body={"decision": "accept"}, expect=422)
    assert fields_of(r.body) == ["side"]
    m1 = decide(world, m["id"], "accept", as_="admin", side="provider")
    assert (m1["state_decision"], m1["provider_decision"]) == (None, "accept")
    m2 = decide(world, m["id"], "accept", as_="admin", side="state")
    assert m2["status"] == "agreed"
    _, _, _, m = one_match(world)
    assert decide(world, m["id"], "decline", as_="admin", side="state")["status"] == "declined"


def test_a_party_names_only_its_own_side(world):
    _, _, _, m = one_match(world)
    r = world.call("POST", DECIDE, m["id"], as_="state_a",
                   body={"decision": "accept", "side": "provider"}, expect=422)
    assert fields_of(r.body) == ["side"]
    r = world.call("POST", DECIDE, m["id"], as_="donor",
                   body={"decision": "accept", "side": "state"}, expect=422)
    assert fields_of(r.body) == ["side"]
    assert decide(world, m["id"], "accept", as_="donor", side="provider")["provider_decision"] == \
        "accept"
    assert world.get(MATCH, m["id"])["state_decision"] is None


@pytest.mark.parametrize("body,fields", [
    ({}, ["decision"]),
    ({"decision": None}, ["decision"]),
    ({"decision": "maybe"}, ["decision"]),
    ({"decision": "ACCEPT"}, ["decision"]),
    ({"decision": 1}, ["decision"]),
    ({"decision": "accept", "side": "both"}, ["side"]),
    ({"decision": "accept", "note": "x"}, ["note"]),
])
def test_invalid_decisions_are_422_and_change_nothing(world, body, fields):
    _, _, _, m = one_match(world)
    r = world.call("POST", DECIDE, m["id"], as_="state_a", body=body, expect=422)
    assert fields_of(r.body) == fields
    assert world.get(MATCH, m["id"]) == m


def test_json_refusals_and_roles(world):
    _, _, _, m = one_match(world)
    assert_json_refusals(world, "POST", DECIDE, m["id"], {"decision": "accept"}, as_="state_a")
    world.call("POST", DECIDE, m["id"], as_="organizer", body={"decision": "accept"}, expect=403)
    world.call("POST", DECIDE, m["id"], token=None, body={"decision": "accept"}, expect=401)
    world.call("POST", DECIDE, "999999999", as_="state_a", body={"decision": "accept"},
               expect=404)
    assert world.get(MATCH, m["id"]) == m


# ---------------------------------------------------------------- who sees what

def test_others_matches_are_invisible(world):
    rt, _, _, m = one_match(world)  # Kenya's need, the donor's offer
    for caller in ("state_b", "implementer"):
        world.call("GET", MATCH, m["id"], as_=caller, expect=404)
        for d in ("accept", "decline"):
            world.call("POST", DECIDE, m["id"], as_=caller, body={"decision": d}, expect=404)
        assert matches_of(world, rt["id"], as_=caller) == []
        assert world.get(MATCHES, params={"need_id": m["need_id"]}, as_=caller)["items"] == []
    for caller in ("admin", "organizer", "state_a", "donor"):
        assert world.get(MATCH, m["id"], as_=caller) == m
        assert matches_of(world, rt["id"], as_=caller) == [m]
    assert world.get(MATCH, m["id"]) == m  # nothing changed


def test_lists_show_a_party_only_its_own(world):
    rt = new_rt(world)
    world.new_need(rt=rt["id"], languages=["en"], max_partners=2)
    world.new_need(as_="state_b", rt=rt["id"], languages=["en"], max_partners=2)
    world.new_offer(rt=rt["id"], capacity=2)
    world.new_offer(as_="implementer", rt=rt["id"], capacity=2)
    run_to_end(world, rt["id"])
    everything = matches_of(world, rt["id"])
    assert len(everything) == 4
    owner_of_need = {world.p["state_a"]["id"]: "state_a", world.p["state_b"]["id"]: "state_b"}
    needs = {n["id"]: n for n in world.list_all(f"{V1}/needs", {"roundtable_id": rt["id"]})}
    offers = {o["id"]: o for o in world.list_all(f"{V1}/offers", {"roundtable_id": rt["id"]})}
    for caller in ("state_a", "state_b", "donor", "implementer"):
        pid = world.p[caller]["id"]
        mine = [m for m in everything
                if needs[m["need_id"]]["participant_id"] == pid
                or offers[m["offer_id"]]["participant_id"] == pid]
        assert len(mine) == 2
        assert matches_of(world, rt["id"], as_=caller) == mine
    assert set(owner_of_need.values()) == {"state_a", "state_b"}


# ---------------------------------------------------------------- capacity at decision time

def two_proposals_on_one_offer(world):
    """One offer (capacity 2) proposed to two needs, then cut to capacity 1 by its provider."""
    rt = new_rt(world)
    a = world.new_need(rt=rt["id"])
    b = world.new_need(as_="state_b", rt=rt["id"], languages=["en"])
    offer = world.new_offer(rt=rt["id"], capacity=2)
    run_to_end(world, rt["id"])
    ms = {m["need_id"]: m for m in matches_of(world, rt["id"])}
    assert set(ms) == {a["id"], b["id"]}
    world.patch(OFFER, offer["id"], {"capacity": 1}, as_="donor")
    return rt, offer, ms[a["id"]], ms[b["id"]]


def test_an_accept_beyond_capacity_is_409(world):
    rt, offer, ma, mb = two_proposals_on_one_offer(world)
    decide(world, mb["id"], "accept", as_="donor")
    agree(world, ma["id"])
    assert world.get(OFFER, offer["id"])["status"] == "closed"
    r = world.call("POST", DECIDE, mb["id"], as_="state_b", body={"decision": "accept"},
                   expect=409)
    assert "offer is closed" in r.body["detail"]
    # reopened, the offer is open but full
    world.patch(OFFER, offer["id"], {"status": "open"}, as_="donor")
    r = world.call("POST", DECIDE, mb["id"], as_="state_b", body={"decision": "accept"},
                   expect=409)
    assert "capacity" in r.body["detail"]
    assert world.get(MATCH, mb["id"])["state_decision"] is None
    # declining is always possible while proposed
    assert decide(world, mb["id"], "decline", as_="state_b")["status"] == "declined"


def test_concurrent_accepts_never_over_commit(world):
    for _ in range(3):
        rt, offer, ma, mb = two_proposals_on_one_offer(world)
        decide(world, ma["id"], "accept", as_="donor")
        decide(world, mb["id"], "accept", as_="donor")
        barrier = threading.Barrier(2)
        out = {}

        def accept(m, who):
            s = requests.Session()
            barrier.wait()
            out[who] = s.post(world.url + f"{V1}/matches/{m['id']}/decision",
                              json={"decision": "accept"},
                              headers={"Authorization": f"Bearer {world.tok[who]}"}, timeout=30)
            s.close()

        ts = [threading.Thread(target=accept, args=(ma, "state_a")),
              threading.Thread(target=accept, args=(mb, "state_b"))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for r in out.values():
            check_response(r, DECIDE, "POST")
        assert sorted(r.status_code for r in out.values()) == [200, 409], \
            {k: (r.status_code, r.text) for k, r in out.items()}
        assert len(matches_of(world, rt["id"], status="agreed")) == 1
        assert world.get(OFFER, offer["id"])["status"] == "closed"


def test_a_need_full_of_partners_takes_no_more(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], max_partners=2)
    world.new_offer(rt=rt["id"])
    world.new_offer(as_="implementer", rt=rt["id"])
    run_to_end(world, rt["id"])
    m1, m2 = matches_of(world, rt["id"])
    world.patch(NEED, need["id"], {"max_partners": 1}, as_="state_a")
    decide(world, m2["id"], "accept", as_="state_a")
    provider = lambda m: "donor" if world.get(OFFER, m["offer_id"])["participant_id"] == \
        world.p["donor"]["id"] else "implementer"
    assert decide(world, m1["id"], "accept", as_=provider(m1))["status"] == "proposed"
    assert decide(world, m1["id"], "accept", as_="state_a")["status"] == "agreed"
    assert world.get(NEED, need["id"])["status"] == "matched"
    r = world.call("POST", DECIDE, m2["id"], as_=provider(m2), body={"decision": "accept"},
                   expect=409)
    assert "need is matched" in r.body["detail"]


def test_withdrawn_postings_cannot_be_accepted(world):
    _, need, _, m = one_match(world)
    world.call("DELETE", NEED, need["id"], as_="state_a", expect=200)
    r = world.call("POST", DECIDE, m["id"], as_="donor", body={"decision": "accept"}, expect=409)
    assert "withdrawn" in r.body["detail"]
    _, _, offer, m = one_match(world)
    world.call("DELETE", OFFER, offer["id"], as_="donor", expect=200)
    world.call("POST", DECIDE, m["id"], as_="state_a", body={"decision": "accept"}, expect=409)


# ---------------------------------------------------------------- GET /matches

@pytest.fixture(scope="module")
def listed(world):
    """A roundtable of 12 needs and 6 offers in two regions and several themes, run once, with a
    few decisions: the data of the list tests."""
    rt = new_rt(world)
    themes = ["incident.csirt_establishment", "cybercrime.legislation", "skills.awareness"]
    for i in range(12):
        world.new_need(as_="state_a" if i % 2 else "state_b", rt=rt["id"],
                       title=f"Need {i} {themes[i % 3]}", themes=[themes[i % 3]],
                       languages=["en", "es"], priority=["high", "medium", "low"][i % 3],
                       max_partners=1 + i % 2)
    for i in range(6):
        world.new_offer(as_="donor" if i % 2 else "implementer", rt=rt["id"],
                        title=f"Offer {i}", themes=[themes[i % 3]], languages=["en", "es"],
                        capacity=3)
    run = run_to_end(world, rt["id"])
    ms = matches_of(world, rt["id"])
    assert len(ms) >= 12
    agree(world, ms[0]["id"], state=_state(world, ms[0]), provider=_provider(world, ms[0]))
    decide(world, ms[1]["id"], "decline", as_=_state(world, ms[1]))
    return rt, run, matches_of(world, rt["id"])


def _state(world, m):
    pid = world.get(NEED, m["need_id"])["participant_id"]
    return "state_a" if pid == world.p["state_a"]["id"] else "state_b"


def _provider(world, m):
    pid = world.get(OFFER, m["offer_id"])["participant_id"]
    return "donor" if pid == world.p["donor"]["id"] else "implementer"


def test_default_order_is_best_score_first_and_pages_are_stable(world, listed):
    rt, run, ms = listed
    assert [(-m["score"], int(m["id"])) for m in ms] == sorted((-m["score"], int(m["id"]))
                                                               for m in ms)
    for limit in (1, 2, 5):
        assert matches_of(world, rt["id"], **{"sort": "-score"}) == ms
        walked = world.list_all(MATCHES, {"roundtable_id": rt["id"]}, limit=limit)
        assert walked == ms


def test_created_at_order(world, listed):
    rt, _, ms = listed
    by_time = world.list_all(MATCHES, {"roundtable_id": rt["id"], "sort": "created_at"}, limit=3)
    assert sorted(m["id"] for m in by_time) == sorted(m["id"] for m in ms)
    keys = [(m["created_at"], int(m["id"])) for m in by_time]
    assert keys == sorted(keys)


def test_a_cursor_belongs_to_its_order(world, listed):
    rt, _, _ = listed
    page = world.get(MATCHES, params={"roundtable_id": rt["id"], "limit": "2"})
    world.call("GET", MATCHES, params={"roundtable_id": rt["id"], "sort": "created_at",
                                       "cursor": page["next_cursor"]}, expect=400)
    def b36(v):
        out = ""
        while True:
            out = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36] + out
            v //= 36
            if not v:
                return out

    two = b36(0x4000000000000000)  # the bits of 2.0: no score of ours
    for bad in ("c1", "s", "s.1", "sA.1", f"s{two}.1", "t" + b36(253402300800 * 10**6) + ".1", "s1.", "s1.0", "t1.zzzzzzzzzzzzzz", "s" + "z" * 14 + ".1",
                "t" + "z" * 13 + ".1", "s1.1.1"):
        world.call("GET", MATCHES, params={"cursor": bad}, expect=400)
        world.call("GET", MATCHES, params={"cursor": bad, "sort": "created_at"}, expect=400)


def test_every_filter(world, listed):
    rt, run, ms = listed
    needs = {n["id"]: n for n in world.list_all(f"{V1}/needs", {"roundtable_id": rt["id"]})}
    offers = {o["id"]: o for o in world.list_all(f"{V1}/offers", {"roundtable_id": rt["id"]})}
    region = {world.p["state_a"]["id"]: "africa", world.p["state_b"]["id"]: "latin_america_caribbean"}

    def check(params, keep):
        got = matches_of(world, rt["id"], **params)
        assert got == [m for m in ms if keep(m)], params
        return got

    assert check({"run_id": run["id"]}, lambda m: True)
    n0 = ms[3]["need_id"]
    assert check({"need_id": n0}, lambda m: m["need_id"] == n0)
    o0 = ms[3]["offer_id"]
    assert check({"offer_id": o0}, lambda m: m["offer_id"] == o0)
    for who in ("state_b", "donor"):
        pid = world.p[who]["id"]
        assert check({"participant_id": pid},
                     lambda m: pid in (needs[m["need_id"]]["participant_id"],
                                       offers[m["offer_id"]]["participant_id"]))
    assert check({"theme": "cybercrime"}, lambda m: any(
        t.startswith("cybercrime.") for t in needs[m["need_id"]]["themes"]
        + offers[m["offer_id"]]["themes"]))
    assert check({"theme": "skills.awareness"}, lambda m: "skills.awareness" in
                 needs[m["need_id"]]["themes"] + offers[m["offer_id"]]["themes"])
    assert check({"region": "africa"},
                 lambda m: region[needs[m["need_id"]]["participant_id"]] == "africa")
    for status in ("proposed", "agreed", "declined"):
        assert check({"status": status}, lambda m: m["status"] == status)
    check({"status": "completed"}, lambda m: False)
    cut = ms[len(ms) // 2]["score"]
    assert check({"min_score": repr(cut)}, lambda m: m["score"] >= cut)
    check({"min_score": "1"}, lambda m: m["score"] >= 1)
    assert check({"status": "proposed", "region": "latin_america_caribbean", "min_score": "0.1"},
                 lambda m: m["status"] == "proposed" and m["score"] >= 0.1
                 and region[needs[m["need_id"]]["participant_id"]] == "latin_america_caribbean")
    assert check({"sort": "-score", "theme": "incident"}, lambda m: any(
        t.startswith("incident.") for t in needs[m["need_id"]]["themes"]
        + offers[m["offer_id"]]["themes"]))
    other = new_rt(world)
    assert matches_of(world, other["id"]) == []


@pytest.mark.parametrize("params", [
    {"roundtable_id": "x"}, {"run_id": "0"}, {"need_id": "-1"}, {"offer_id": "1.5"},
    {"participant_id": ""}, {"theme": "nope"}, {"region": "europe"}, {"status": "open"},
    {"min_score": "1.5"}, {"min_score": "-0.1"}, {"min_score": "x"}, {"min_score": "nan"},
    {"min_score": ""}, {"sort": "score"}, {"sort": "-created_at"}, {"q": "x"},
    {"limit": "0"}, {"limit": "501"},
])
def test_bad_filters_are_400(world, params):
    world.call("GET", MATCHES, params=params, expect=400)
