"""Locks, vetoes and "no thanks" over real HTTP and PostgreSQL (POST/GET/DELETE /pair-rules):
a locked pair is proposed by every later run whatever its score when it is feasible and has
room, marked locked, and the rest of the run is still the exact optimum around it (brute force);
a lock that cannot be honoured is reported with its reason; a veto or a party's no thanks keeps
the pair out of suggestions and runs and takes its proposed match away; who may set and remove
which rule; validation and conflicts."""
import random

import pytest

from matching_fixtures import *  # noqa: F401,F403
from openapi_check import validate

RULES = f"{V1}/pair-rules"
RULE = f"{V1}/pair-rules/{{id}}"


def rule(world, need, offer, kind, as_="organizer", expect=201, reason=None):
    body = {"need_id": need["id"], "offer_id": offer["id"], "rule": kind}
    if reason is not None:
        body["reason"] = reason
    r = world.call("POST", RULES, as_=as_, body=body, expect=expect)
    if expect == 201:
        validate(r.body, "PairRule")
    return r.body


def proposed(world, rt):
    return {(m["need_id"], m["offer_id"]): m for m in matches_of(world, rt["id"], status="proposed")}


def three(world):
    """One need (one partner) and two fitting offers, the first far the better."""
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], themes=["incident.csirt_establishment"], languages=["en"],
                          max_partners=1)
    best = world.new_offer(rt=rt["id"], themes=["incident.csirt_establishment"],
                           languages=["en"], title=need["title"], description=need["description"])
    weak = world.new_offer(as_="implementer", rt=rt["id"], themes=["incident.incident_response"],
                           languages=["en", "fr"], title="Something else entirely")
    return rt, need, best, weak


def test_a_lock_is_proposed_whatever_its_score_and_marked(world):
    rt, need, best, weak = three(world)
    got = suggested_offers(world, need["id"])
    assert got[best["id"]]["score"] > got[weak["id"]]["score"]
    run_to_end(world, rt["id"])
    assert set(proposed(world, rt)) == {(need["id"], best["id"])}
    lock = rule(world, need, weak, "lock", reason="agreed in the corridor")
    assert (lock["rule"], lock["side"], lock["reason"]) == ("lock", "organizer", "agreed in the corridor")
    # min_score above the weak pair's score does not keep a lock out
    run = run_to_end(world, rt["id"], {"min_score": got[weak["id"]]["score"] + 0.01})
    now = proposed(world, rt)
    assert set(now) == {(need["id"], weak["id"])}
    m = now[(need["id"], weak["id"])]
    assert m["locked"] is True and m["score"] == got[weak["id"]]["score"]
    assert run["stats"]["locks"] == {"honoured": 1, "refused": []}
    assert run["stats"]["matches"] == 1
    # without the lock the best pair is back, not locked
    world.call("DELETE", RULE, lock["id"], as_="organizer", expect=204)
    run = run_to_end(world, rt["id"])
    now = proposed(world, rt)
    assert set(now) == {(need["id"], best["id"])} and now[(need["id"], best["id"])]["locked"] is False
    assert "locks" not in run["stats"]


def test_locks_that_cannot_be_honoured_say_why(world):
    rt = new_rt(world)
    a = world.new_need(rt=rt["id"], languages=["en"], themes=["skills.awareness"])
    b = world.new_need(as_="state_b", rt=rt["id"], languages=["en"], themes=["skills.awareness"])
    one = world.new_offer(rt=rt["id"], languages=["en"], themes=["skills.awareness"], capacity=1)
    french = world.new_offer(as_="implementer", rt=rt["id"], languages=["fr"],
                             themes=["skills.awareness"])
    scores = suggested_offers(world, a["id"])
    rule(world, a, french, "lock")  # no shared language
    rule(world, a, one, "lock")
    rule(world, b, one, "lock")  # the offer has room for one of the two
    run = run_to_end(world, rt["id"])
    locks = run["stats"]["locks"]
    assert locks["honoured"] == 1
    refused = {(x["need_id"], x["offer_id"]): x["reason"] for x in locks["refused"]}
    assert refused[(a["id"], french["id"])] == "no_shared_language"
    # the better-scoring lock wins the offer's one place (ties: the lower need id)
    sb = suggested_offers(world, b["id"])[one["id"]]["score"]
    sa = scores[one["id"]]["score"]
    winner, loser = (a, b) if (sa, -int(a["id"])) >= (sb, -int(b["id"])) else (b, a)
    assert refused[(loser["id"], one["id"])] == "capacity_used_up"
    now = proposed(world, rt)
    assert now[(winner["id"], one["id"])]["locked"] is True
    assert (loser["id"], one["id"]) not in now


@pytest.mark.parametrize("who,kind", [("organizer", "veto"), ("state_a", "no_thanks"),
                                      ("donor", "no_thanks")])
def test_a_veto_or_no_thanks_keeps_the_pair_out(world, who, kind):
    rt, need, best, weak = three(world)
    run_to_end(world, rt["id"])
    assert (need["id"], best["id"]) in proposed(world, rt)
    r = rule(world, need, best, kind, as_=who)
    assert r["side"] == {"organizer": "organizer", "state_a": "state", "donor": "provider"}[who]
    # the proposed match went at once; suggestions and the next run leave the pair out
    assert (need["id"], best["id"]) not in proposed(world, rt)
    assert best["id"] not in suggested_offers(world, need["id"])
    assert need["id"] not in suggested_needs(world, best["id"])
    run_to_end(world, rt["id"])
    assert set(proposed(world, rt)) == {(need["id"], weak["id"])}
    # removed by its setter: the pair is back
    world.call("DELETE", RULE, r["id"], as_=who, expect=204)
    assert best["id"] in suggested_offers(world, need["id"])


def test_a_lock_never_overrides_a_partys_no_thanks(world):
    rt, need, best, weak = three(world)
    rule(world, need, weak, "no_thanks", as_="state_a")
    rule(world, need, weak, "lock")
    run = run_to_end(world, rt["id"])
    assert run["stats"]["locks"]["refused"] == [
        {"need_id": need["id"], "offer_id": weak["id"], "reason": "declined"}]
    assert set(proposed(world, rt)) == {(need["id"], best["id"])}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_runs_stay_optimal_around_locks(world, seed):
    """The total is the locks' scores plus the brute-force optimum of the rest with the locks'
    room taken."""
    rng = random.Random(seed)
    rt, needs, offers = random_roundtable(world, 700 + seed, n_needs=4, n_offers=4)
    scores, fresh_n, fresh_o = scored_pairs(world, needs, offers)
    if not scores:
        pytest.skip("no feasible pair")
    locked = rng.sample(sorted(scores), min(len(scores), rng.randint(1, 2)))
    for n, o in locked:
        rule(world, fresh_n[n], fresh_o[o], "lock")
    run = run_to_end(world, rt["id"], {"min_score": 0.3})
    partners = {n["id"]: n["max_partners"] for n in fresh_n.values()}
    capacity = {o["id"]: o["capacity"] for o in fresh_o.values()}
    placed, total = [], 0
    for n, o in sorted(locked, key=lambda p: (-scores[p], int(p[0]), int(p[1]))):
        if partners[n] and capacity[o]:
            partners[n] -= 1
            capacity[o] -= 1
            placed.append((n, o))
            total += scores[(n, o)]
    rest = [(n, o, s) for (n, o), s in scores.items()
            if (n, o) not in placed and s >= 0.3 and s > 0]
    total += brute_force(rest, partners, capacity)
    now = proposed(world, rt)
    assert {p for p, m in now.items() if m["locked"]} == set(placed)
    assert sum(m["score"] for m in now.values()) == pytest.approx(total, abs=1e-9)
    assert run["stats"]["locks"]["honoured"] == len(placed)


def test_who_may_set_and_remove_which_rule(world):
    rt, need, best, weak = three(world)
    other_need = world.new_need(as_="state_b", rt=rt["id"])
    # organizers lock or veto; parties say no thanks, for their own postings only
    for who, kind in (("state_a", "lock"), ("donor", "veto"), ("organizer", "no_thanks"),
                      ("admin", "no_thanks")):
        r = world.call("POST", RULES, as_=who, expect=422,
                       body={"need_id": need["id"], "offer_id": best["id"], "rule": kind})
        assert error_for(r.body, "rule")
    world.call("POST", RULES, as_="state_a", expect=403,
               body={"need_id": other_need["id"], "offer_id": best["id"], "rule": "no_thanks"})
    world.call("POST", RULES, as_="implementer", expect=403,
               body={"need_id": need["id"], "offer_id": best["id"], "rule": "no_thanks"})
    # one rule per side: a second organizers' rule on the pair is 409 until the first goes
    lock = rule(world, need, best, "lock")
    r = world.call("POST", RULES, as_="admin", expect=409,
                   body={"need_id": need["id"], "offer_id": best["id"], "rule": "veto"})
    assert lock["id"] in r.body["detail"]
    mine = rule(world, need, best, "no_thanks", as_="state_a")  # another side: fine
    # lists: staff see every rule of the roundtable; a party only its own side's
    ids = {x["id"] for x in world.get(RULES, params={"roundtable_id": rt["id"]})["items"]}
    assert ids == {lock["id"], mine["id"]}
    assert [x["id"] for x in world.get(RULES, params={"roundtable_id": rt["id"]},
                                       as_="state_a")["items"]] == [mine["id"]]
    assert world.get(RULES, params={"roundtable_id": rt["id"]}, as_="donor")["items"] == []
    assert world.get(RULES, params={"rule": "lock", "need_id": need["id"]})["items"][0]["id"] == \
        lock["id"]
    # removing: not another side's rule
    world.call("DELETE", RULE, lock["id"], as_="state_a", expect=404)
    world.call("DELETE", RULE, mine["id"], as_="organizer", expect=404)
    world.call("DELETE", RULE, mine["id"], as_="state_a", expect=204)
    world.call("DELETE", RULE, lock["id"], as_="organizer", expect=204)
    world.call("DELETE", RULE, lock["id"], as_="organizer", expect=404)


def test_invalid_rules_are_refused_field_by_field_and_write_nothing(world):
    rt, need, best, weak = three(world)
    elsewhere = world.new_offer(rt=new_rt(world)["id"])
    before = world.fingerprint()
    for body, field in (({"offer_id": best["id"], "rule": "lock"}, "need_id"),
                        ({"need_id": need["id"], "offer_id": 7, "rule": "lock"}, "offer_id"),
                        ({"need_id": need["id"], "offer_id": best["id"], "rule": "maybe"}, "rule"),
                        ({"need_id": need["id"], "offer_id": best["id"], "rule": "lock",
                          "reason": "x" * 501}, "reason"),
                        ({"need_id": need["id"], "offer_id": best["id"], "rule": "lock",
                          "extra": 1}, "extra"),
                        ({"need_id": "999999999", "offer_id": best["id"], "rule": "lock"},
                         "need_id"),
                        ({"need_id": need["id"], "offer_id": elsewhere["id"], "rule": "lock"},
                         "offer_id")):
        r = world.call("POST", RULES, as_="organizer", body=body, expect=422)
        assert error_for(r.body, field), (body, r.body)
    assert world.fingerprint() == before
    assert world.get(RULES, params={"roundtable_id": rt["id"]})["items"] == []
    world.call("GET", RULES, params={"rule": "maybe"}, expect=400)
    world.call("GET", RULES, params={"need_id": "x"}, expect=400)
