"""Follow-up of agreed partnerships over real HTTP and PostgreSQL (docs/matching.md,
"Follow-up"): POST /matches/{id}/follow-up marks an agreed (or completed) partnership delivered,
partly delivered or abandoned, with the day and (unless delivered) why; the match becomes
completed and shows its follow_up; recording it again corrects it. Per role: staff and the
match's own state and provider may, others' matches are 404. Every field is checked on its own
(422 with errors[]); a match that is not agreed or completed is 409. One audit row per write,
naming the caller. Effects: a need whose partnerships are all delivered becomes fulfilled; an
abandoned partnership frees its need's and its offer's room for the next run and its pair is
never proposed again; fairness counts delivered and partly delivered partnerships (of every
roundtable) and those awaiting follow-up here, never abandoned ones; GET /matches?outcome=; the
summary's delivery figures in every format."""
import csv
import datetime
import io
import json
import uuid

import pytest
import requests

from matching_fixtures import *  # noqa: F401,F403
from matching_fixtures import ROLE_OF, agree, decide, matches_of, new_rt, run_to_end
from matching_fixtures import suggested_offers

FOLLOW_UP = f"{V1}/matches/{{id}}/follow-up"
SUMMARY = f"{V1}/roundtables/{{id}}/summary"
AUDIT = f"{V1}/audit"


def today(days=0):
    return (datetime.datetime.now(datetime.timezone.utc).date()
            + datetime.timedelta(days=days)).isoformat()


def follow_up(world, match_id, outcome, as_="organizer", on=None, reason=None, expect=200,
              **kw):
    body = {"outcome": outcome, "on": on or today()}
    if reason is not None:
        body["reason"] = reason
    return world.call("POST", FOLLOW_UP, match_id, as_=as_, body=body, expect=expect, **kw).body


def agreed_pair(world, need_kw=None, offer_kw=None, state="state_a", provider="donor"):
    """A roundtable with one need and one offer, run and agreed: (rt, need, offer, match)."""
    rt = new_rt(world)
    need = world.new_need(as_=state, rt=rt["id"], **(need_kw or {}))
    offer = world.new_offer(as_=provider, rt=rt["id"], **(offer_kw or {}))
    run_to_end(world, rt["id"])
    [m] = matches_of(world, rt["id"])
    return rt, need, offer, agree(world, m["id"], state=state, provider=provider)


def new_state(world, country="GHA"):
    """A state of its own (participant and token), so that its partnerships are only the
    test's: world.tok[name], ROLE_OF[name]."""
    name = f"state_{uuid.uuid4().hex[:8]}"
    p = world.new_participant("state", country=country, languages=["en"])
    world.tok[name] = world.new_token("state", p["id"], label=name)["token"]
    world.p[name] = p
    ROLE_OF[name] = "state"
    return name


def status_of(world, kind, id_):
    return world.get(f"{V1}/{kind}/{{id}}", id_)["status"]


# ---------------------------------------------------------------- the workflow


def test_delivered_completes_the_match_and_fulfils_the_need(world):
    rt, need, offer, m = agreed_pair(world)
    assert m["follow_up"] is None and m["status"] == "agreed"
    got = follow_up(world, m["id"], "delivered", as_="state_a")
    assert got["status"] == "completed"
    fu = got["follow_up"]
    assert (fu["outcome"], fu["on"], fu["reason"]) == ("delivered", today(), None)
    assert fu["recorded_at"] >= got["decided_at"]
    # everything else of the match is as it was
    for k in ("id", "need_id", "offer_id", "score", "breakdown", "state_decision",
              "provider_decision", "decided_at", "need", "offer"):
        assert got[k] == m[k], k
    assert world.get(MATCH, m["id"]) == got
    # the need's only partnership is delivered: fulfilled; the offer stays closed (full)
    assert status_of(world, "needs", need["id"]) == "fulfilled"
    assert status_of(world, "offers", offer["id"]) == "closed"
    # every other match shows follow_up too, null
    assert all("follow_up" in x for x in matches_of(world, world.rt["id"]))


def test_partly_delivered_leaves_the_need_matched_and_a_correction_replaces_it(world):
    rt, need, offer, m = agreed_pair(world)
    got = follow_up(world, m["id"], "partly_delivered", reason="Half the courses ran.")
    assert got["follow_up"]["outcome"] == "partly_delivered"
    assert got["follow_up"]["reason"] == "Half the courses ran."
    assert status_of(world, "needs", need["id"]) == "matched"
    # recorded again: corrected, still one follow-up
    again = follow_up(world, m["id"], "delivered", reason="All ran in the end.", as_="donor")
    assert again["follow_up"]["outcome"] == "delivered"
    assert again["follow_up"]["reason"] == "All ran in the end."
    assert again["follow_up"]["recorded_at"] >= got["follow_up"]["recorded_at"]
    assert status_of(world, "needs", need["id"]) == "fulfilled"
    # taking back the delivery that fulfilled the need: matched again
    follow_up(world, m["id"], "partly_delivered", reason="One course was cancelled.")
    assert status_of(world, "needs", need["id"]) == "matched"


def test_a_need_with_two_partners_is_fulfilled_once_both_are_delivered(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], max_partners=2)
    world.new_offer(rt=rt["id"])
    world.new_offer(as_="implementer", rt=rt["id"])
    run_to_end(world, rt["id"])
    ms = matches_of(world, rt["id"])
    assert len(ms) == 2
    who = {world.p["donor"]["id"]: "donor", world.p["implementer"]["id"]: "implementer"}
    for x in ms:
        agree(world, x["id"], provider=who[x["offer"]["participant_id"]])
    assert status_of(world, "needs", need["id"]) == "matched"
    follow_up(world, ms[0]["id"], "delivered")
    assert status_of(world, "needs", need["id"]) == "matched"
    follow_up(world, ms[1]["id"], "delivered")
    assert status_of(world, "needs", need["id"]) == "fulfilled"


def test_a_completed_match_takes_a_follow_up(world):
    """A need declared fulfilled completes its agreed partnerships; those still take one."""
    rt, need, offer, m = agreed_pair(world)
    world.patch(NEED, need["id"], {"status": "fulfilled"}, as_="state_a")
    assert world.get(MATCH, m["id"])["status"] == "completed"
    got = follow_up(world, m["id"], "delivered", as_="admin")
    assert got["status"] == "completed" and got["follow_up"]["outcome"] == "delivered"
    assert status_of(world, "needs", need["id"]) == "fulfilled"


# ---------------------------------------------------------------- who may


def test_staff_and_the_two_parties_may_others_see_nothing(world):
    rt, need, offer, m = agreed_pair(world)
    for who in ("admin", "organizer", "state_a", "donor"):
        got = follow_up(world, m["id"], "partly_delivered", as_=who, reason=f"by {who}")
        assert got["follow_up"]["reason"] == f"by {who}"
    before = world.get(MATCH, m["id"])
    for who in ("state_b", "implementer"):
        r = follow_up(world, m["id"], "delivered", as_=who, expect=404)
        assert r["status"] == 404
    assert world.get(MATCH, m["id"]) == before
    world.call("POST", FOLLOW_UP, m["id"], token=None,
               body={"outcome": "delivered", "on": today()}, expect=401)
    world.call("POST", FOLLOW_UP, m["id"], token="rt_" + "x" * 43,
               body={"outcome": "delivered", "on": today()}, expect=401)
    for bad in ("999999999", "abc", "0"):
        follow_up(world, bad, "delivered", expect=404)


# ---------------------------------------------------------------- the rules


def test_every_field_is_checked_on_its_own(world):
    rt, need, offer, m = agreed_pair(world)
    before = world.get(MATCH, m["id"])
    audit_before = world.count("audit_log", f"entity = 'matches' AND entity_id = {m['id']}")
    ok = {"outcome": "abandoned", "on": today(), "reason": "The trainer left."}
    cases = [
        ({}, {"outcome", "on"}),
        ({"outcome": None}, {"outcome"}),
        ({"outcome": "done"}, {"outcome"}),
        ({"outcome": "Delivered"}, {"outcome"}),
        ({"outcome": 1}, {"outcome"}),
        ({"on": None}, {"on"}),
        ({"on": "2024-13-01"}, {"on"}),
        ({"on": "2024-02-30"}, {"on"}),
        ({"on": "yesterday"}, {"on"}),
        ({"on": 20240101}, {"on"}),
        ({"on": today() + "T00:00:00Z"}, {"on"}),
        ({"reason": None}, {"reason"}),
        ({"reason": ""}, {"reason"}),
        ({"reason": " \t\n "}, {"reason"}),
        ({"reason": "x" * 1001}, {"reason"}),
        ({"reason": 5}, {"reason"}),
        ({"extra": 1}, {"extra"}),
        ({"outcome": "partly_delivered", "reason": None}, {"reason"}),
        ({"outcome": "delivered", "reason": 5}, {"reason"}),
        ({"outcome": "nope", "on": "nope", "reason": ""}, {"outcome", "on"}),
    ]
    for change, fields in cases:
        body = dict(ok, **change) if change else {}
        r = world.call("POST", FOLLOW_UP, m["id"], as_="state_a", body=body, expect=422)
        assert set(fields_of(r.body)) == fields, (change, r.body)
    # a missing reason: required unless delivered
    for outcome in ("partly_delivered", "abandoned"):
        r = world.call("POST", FOLLOW_UP, m["id"], as_="state_a",
                       body={"outcome": outcome, "on": today()}, expect=422)
        assert fields_of(r.body) == ["reason"] and "required" in error_for(r.body, "reason")
    # the day: not in the future, not before the partnership was agreed
    for day, words in ((today(2), "future"), (today(-2), "agreed")):
        r = world.call("POST", FOLLOW_UP, m["id"], as_="state_a",
                       body=dict(ok, on=day), expect=422)
        assert fields_of(r.body) == ["on"] and words in error_for(r.body, "on"), r.body
    assert world.get(MATCH, m["id"]) == before
    assert world.count("audit_log", f"entity = 'matches' AND entity_id = {m['id']}") == \
        audit_before
    # the limits themselves are fine: 1000 characters, delivered without a reason or with null
    got = follow_up(world, m["id"], "abandoned", reason="é" * 1000)
    assert got["follow_up"]["reason"] == "é" * 1000
    world.call("POST", FOLLOW_UP, m["id"], as_="organizer",
               body={"outcome": "delivered", "on": today(), "reason": None}, expect=200)


def test_only_an_agreed_or_completed_match_takes_one(world):
    rt = new_rt(world)
    world.new_need(rt=rt["id"], max_partners=2)
    world.new_offer(rt=rt["id"])
    world.new_offer(as_="implementer", rt=rt["id"])
    run_to_end(world, rt["id"])
    proposed, other = matches_of(world, rt["id"])
    declined = decide(world, other["id"], "decline", as_="state_a")
    assert declined["status"] == "declined"
    for x, status in ((proposed, "proposed"), (declined, "declined")):
        before = world.get(MATCH, x["id"])
        for who in ("organizer", "state_a"):
            r = follow_up(world, x["id"], "delivered", as_=who, expect=409)
            assert status in r["detail"]
        assert world.get(MATCH, x["id"]) == before
    # the same refusal for one side's accept only
    half = decide(world, proposed["id"], "accept", as_="state_a")
    assert half["status"] == "proposed"
    follow_up(world, proposed["id"], "delivered", expect=409)


def test_one_audit_row_names_the_caller_and_idempotency_replays(world):
    rt, need, offer, m = agreed_pair(world)
    key = "fu-" + uuid.uuid4().hex
    body = {"outcome": "abandoned", "on": today(), "reason": "Funding was withdrawn."}
    first = world.call("POST", FOLLOW_UP, m["id"], as_="donor", body=body,
                       headers={"Idempotency-Key": key}, expect=200)
    again = world.call("POST", FOLLOW_UP, m["id"], as_="donor", body=body,
                       headers={"Idempotency-Key": key}, expect=200)
    assert again.body == first.body and again.headers["Idempotent-Replayed"] == "true"
    world.call("POST", FOLLOW_UP, m["id"], as_="donor", body=dict(body, reason="other"),
               headers={"Idempotency-Key": key}, expect=422)
    items = world.get(AUDIT, params={"entity": "matches", "entity_id": m["id"]})["items"]
    rows = [i for i in items if (i["after"] or {}).get("follow_up_outcome")]
    assert len(rows) == 1, items
    row = rows[0]
    assert row["action"] == "update" and row["actor"]["role"] == "provider"
    assert str(row["actor"]["token_id"]) == str(world.tok_id["donor"])
    assert row["before"]["status"] == "agreed" and row["before"]["follow_up_outcome"] is None
    assert (row["after"]["status"], row["after"]["follow_up_outcome"],
            row["after"]["follow_up_reason"], row["after"]["follow_up_on"]) == \
        ("completed", "abandoned", "Funding was withdrawn.", today())
    # the need's and the offer's reopening are logged in the same transaction, same caller
    for entity, id_ in (("needs", need["id"]), ("offers", offer["id"])):
        last = world.get(AUDIT, params={"entity": entity, "entity_id": id_})["items"][-1]
        assert last["after"]["status"] == "open" and last["actor"]["role"] == "provider"


# ---------------------------------------------------------------- abandoned: room and pair


def test_abandoned_frees_the_room_for_the_next_run_and_the_pair_is_not_proposed_again(world):
    rt = new_rt(world)
    rid = rt["id"]
    need = world.new_need(rt=rid, title="Kenya need")
    offer = world.new_offer(rt=rid, title="Donor course", capacity=1)
    run_to_end(world, rid)
    [m] = matches_of(world, rid)
    agree(world, m["id"])
    assert status_of(world, "needs", need["id"]) == "matched"
    assert status_of(world, "offers", offer["id"]) == "closed"
    # a second need that only this offer fits, a second offer that only the first need takes
    chile = world.new_need(as_="state_b", rt=rid, title="Chile need", languages=["en"])
    other = world.new_offer(as_="implementer", rt=rid, title="Implementer course",
                            countries=["KEN"])
    run_to_end(world, rid)
    assert matches_of(world, rid, status="proposed") == []  # both full, Chile out of scope
    # before: the need's suggestions leave out its agreed offer
    follow_up(world, m["id"], "abandoned", as_="state_a", reason="The course was cancelled.")
    assert status_of(world, "needs", need["id"]) == "open"
    assert status_of(world, "offers", offer["id"]) == "open"
    sugg = suggested_offers(world, need["id"])
    assert other["id"] in sugg and offer["id"] not in sugg
    run_to_end(world, rid)
    proposed = {(x["need_id"], x["offer_id"]) for x in matches_of(world, rid, status="proposed")}
    assert proposed == {(need["id"], other["id"]), (chile["id"], offer["id"])}
    # the abandoned match is still there, completed, and still the only match of its pair
    pair = matches_of(world, rid, need_id=need["id"], offer_id=offer["id"])
    assert [(x["id"], x["status"]) for x in pair] == [(m["id"], "completed")]
    # an accept now counts the abandoned partnership for nothing
    fresh = [x for x in matches_of(world, rid, status="proposed") if x["offer_id"] == offer["id"]]
    agree(world, fresh[0]["id"], state="state_b")
    # taking the abandoned partnership back: the offer's room is taken since: 409
    r = follow_up(world, m["id"], "delivered", as_="state_a", expect=409)
    assert "capacity" in r["detail"]
    assert world.get(MATCH, m["id"])["follow_up"]["outcome"] == "abandoned"


def test_a_correction_of_abandoned_takes_the_room_back(world):
    rt, need, offer, m = agreed_pair(world, offer_kw={"capacity": 1})
    follow_up(world, m["id"], "abandoned", reason="Postponed.")
    assert (status_of(world, "needs", need["id"]), status_of(world, "offers", offer["id"])) == \
        ("open", "open")
    follow_up(world, m["id"], "partly_delivered", reason="It happened after all, in part.")
    assert (status_of(world, "needs", need["id"]), status_of(world, "offers", offer["id"])) == \
        ("matched", "closed")


# ---------------------------------------------------------------- GET /matches?outcome=


def test_the_outcome_filter(world):
    rt = new_rt(world)
    rid = rt["id"]
    for i in range(4):
        world.new_need(rt=rid, title=f"need {i}")
    world.new_offer(rt=rid, capacity=4)
    run_to_end(world, rid)
    ms = matches_of(world, rid)
    assert len(ms) == 4
    for x in ms:
        agree(world, x["id"])
    follow_up(world, ms[0]["id"], "delivered")
    follow_up(world, ms[1]["id"], "partly_delivered", reason="partly")
    follow_up(world, ms[2]["id"], "abandoned", reason="gone")
    want = {"delivered": [ms[0]["id"]], "partly_delivered": [ms[1]["id"]],
            "abandoned": [ms[2]["id"]], "none": [ms[3]["id"]]}
    for outcome, ids in want.items():
        got = matches_of(world, rid, outcome=outcome)
        assert [x["id"] for x in got] == ids, outcome
        assert all((x["follow_up"] or {}).get("outcome") == (None if outcome == "none"
                                                              else outcome) for x in got)
    # with the other filters, and per role
    assert [x["id"] for x in matches_of(world, rid, outcome="none", status="agreed")] == \
        [ms[3]["id"]]
    assert matches_of(world, rid, outcome="delivered", as_="state_b") == []
    assert [x["id"] for x in matches_of(world, rid, outcome="delivered", as_="donor")] == \
        [ms[0]["id"]]
    for bad in ("Delivered", "null", "completed"):
        world.call("GET", MATCHES, params={"outcome": bad}, expect=400)


# ---------------------------------------------------------------- fairness


def fairness(world, need_id, offer_id):
    got = suggested_offers(world, need_id)
    return got[offer_id]["breakdown"]["fairness"]["value"]


def test_fairness_counts_delivered_partnerships_of_every_roundtable(world):
    """fairness = 1 / (1 + k), k: the state's partnerships delivered or partly delivered in
    any roundtable, plus those of this roundtable agreed and awaiting follow-up; abandoned ones
    never count (docs/matching.md)."""
    st = new_state(world)
    one = new_rt(world)
    need = world.new_need(as_=st, rt=one["id"], title="first")
    world.new_offer(rt=one["id"], capacity=1)
    run_to_end(world, one["id"])
    [m] = matches_of(world, one["id"])
    # another roundtable, where the state asks again
    two = new_rt(world)
    later = world.new_need(as_=st, rt=two["id"], title="later")
    offer2 = world.new_offer(rt=two["id"])
    # and in the first roundtable, a second need of the same state
    again = world.new_need(as_=st, rt=one["id"], title="again")
    offer1 = world.new_offer(as_="implementer", rt=one["id"])
    assert fairness(world, later["id"], offer2["id"]) == 1
    assert fairness(world, again["id"], offer1["id"]) == 1
    agree(world, m["id"], state=st)
    # agreed, awaiting follow-up: counts here, not in another roundtable
    assert fairness(world, again["id"], offer1["id"]) == 0.5
    assert fairness(world, later["id"], offer2["id"]) == 1
    for outcome, here, there in (("delivered", 0.5, 0.5), ("partly_delivered", 0.5, 0.5),
                                 ("abandoned", 1, 1), ("delivered", 0.5, 0.5)):
        follow_up(world, m["id"], outcome, reason=None if outcome == "delivered" else "why")
        assert fairness(world, again["id"], offer1["id"]) == here, outcome
        assert fairness(world, later["id"], offer2["id"]) == there, outcome
    # the runs see it too: the proposal's breakdown carries the same value
    run_to_end(world, two["id"])
    [p] = matches_of(world, two["id"])
    assert p["need_id"] == later["id"] and p["breakdown"]["fairness"]["value"] == 0.5
    # and the state with the delivered partnership yields to one without any
    other = new_state(world, country="SEN")
    three = new_rt(world)
    a = world.new_need(as_=st, rt=three["id"], title="served before")
    b = world.new_need(as_=other, rt=three["id"], title="never served")
    world.new_offer(rt=three["id"], capacity=1)
    run_to_end(world, three["id"])
    [won] = matches_of(world, three["id"])
    assert won["need_id"] == b["id"], (a, won)


# ---------------------------------------------------------------- the summary


@pytest.fixture(scope="module")
def delivered_rt(world):
    """A roundtable with five agreed partnerships: one delivered, one partly delivered, one
    abandoned, two awaiting follow-up; and a proposed and a declined match."""
    rt = new_rt(world)
    rid = rt["id"]
    for i in range(7):
        world.new_need(as_=("state_a", "state_b")[i % 2], rt=rid, title=f"n{i}", languages=["en"])
    world.new_offer(rt=rid, capacity=7)
    run_to_end(world, rid)
    ms = matches_of(world, rid)
    assert len(ms) == 7
    states = {world.p["state_a"]["id"]: "state_a", world.p["state_b"]["id"]: "state_b"}
    state_of = lambda x: states[x["need"]["participant_id"]]  # noqa: E731
    for x in ms[:5]:
        agree(world, x["id"], state=state_of(x))
    decide(world, ms[6]["id"], "decline", as_=state_of(ms[6]))
    follow_up(world, ms[0]["id"], "delivered")
    follow_up(world, ms[1]["id"], "partly_delivered", reason="part")
    follow_up(world, ms[2]["id"], "abandoned", reason="gone")
    return rid


def expected_delivery(world, rid):
    ms = [x for x in matches_of(world, rid) if x["status"] in ("agreed", "completed")]
    out = {k: 0 for k in ("delivered", "partly_delivered", "abandoned", "awaiting_follow_up")}
    for x in ms:
        out[x["follow_up"]["outcome"] if x["follow_up"] else "awaiting_follow_up"] += 1
    return out


def summary(world, rid, fmt="json", lang="en"):
    return world.call("GET", SUMMARY, rid, params={"format": fmt, "lang": lang}, expect=200)


def test_summary_reports_delivery_in_every_format(world, delivered_rt):
    rid = delivered_rt
    want = expected_delivery(world, rid)
    assert want == {"delivered": 1, "partly_delivered": 1, "abandoned": 1,
                    "awaiting_follow_up": 2}
    s = summary(world, rid).body
    assert s["delivery"] == want
    # the existing figures: an abandoned partnership was agreed and is completed
    assert s["partnerships"] == {"proposed": 1, "agreed": 2, "completed": 3, "declined": 1}
    assert s["totals"]["matches_agreed"] == 5
    # ... but holds no capacity any more: 7 - (1 proposed + 4 agreed, not abandoned)
    [left] = s["unused_offers"]
    assert (left["capacity"], left["used"]) == (7, 5)
    rows = list(csv.DictReader(io.StringIO(summary(world, rid, "csv").text, newline="")))
    assert {r["key"]: int(r["value"]) for r in rows if r["section"] == "delivery"} == want
    md = summary(world, rid, "markdown").text
    assert "## Follow-up of agreed partnerships" in md
    for label, k in (("delivered", "delivered"), ("partly delivered", "partly_delivered"),
                     ("abandoned", "abandoned"), ("awaiting follow-up", "awaiting_follow_up")):
        assert f"| {label} | {want[k]} |" in md, label
    html = summary(world, rid, "html").text
    assert '<section id="delivery">' in html
    for k, v in want.items():
        assert f'<tr class="{k}"><td>' in html and f'<td class="n">{v}</td></tr>' in html
    zh = summary(world, rid, lang="zh")
    assert zh.body["delivery"] == want
    zmd = summary(world, rid, "markdown", "zh").text
    assert "已达成伙伴关系的落实情况" in zmd and f"| 已落实 | {want['delivered']} |" in zmd


def test_summary_delivery_of_an_empty_roundtable_is_zero(world):
    rid = new_rt(world)["id"]
    assert summary(world, rid).body["delivery"] == {
        "delivered": 0, "partly_delivered": 0, "abandoned": 0, "awaiting_follow_up": 0}
