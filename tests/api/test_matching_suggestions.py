"""Suggestions over real HTTP and PostgreSQL: GET /needs/{id}/suggestions and
GET /offers/{id}/suggestions obey every feasibility rule of the contract (one test per rule, each
against a control that differs only in that rule, each checked from both sides), rank best first
with ties by id, explain every score with a breakdown whose weighted sum is the score, honour
limit, and write nothing."""
import pytest

from matching_fixtures import *  # noqa: F401,F403


def assert_pair(world, need, offer, expected):
    """The pair is suggested (or not) from both sides."""
    assert (offer["id"] in suggested_offers(world, need["id"])) == expected, (need, offer)
    assert (need["id"] in suggested_needs(world, offer["id"])) == expected, (need, offer)


def test_a_fitting_pair_is_suggested_both_ways_with_its_breakdown(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], themes=["incident.csirt_establishment"],
                          languages=["en"], priority="high", budget_usd=10000,
                          window={"start": "2024-09-01", "end": "2024-12-31"})
    offer = world.new_offer(rt=rt["id"], themes=["incident.csirt_establishment"],
                            languages=["en", "fr"], funding_usd=20000,
                            window={"start": "2024-06-01", "end": "2025-06-30"})
    got = suggested_offers(world, need["id"])
    assert list(got) == [offer["id"]]
    item = got[offer["id"]]
    b = item["breakdown"]
    # exact theme, full window, funding covers the budget, high priority, no partnerships yet
    assert (b["theme"]["value"], b["window"]["value"], b["funding"]["value"],
            b["priority"]["value"], b["fairness"]["value"]) == (1, 1, 1, 1, 1)
    assert b["modality"]["value"] == 1  # the need says any
    back = suggested_needs(world, offer["id"])
    assert list(back) == [need["id"]] and back[need["id"]]["score"] == item["score"]
    assert back[need["id"]]["breakdown"] == b
    # each names its counterpart: title and participant
    assert item["offer"] == {"title": offer["title"], "participant_id": offer["participant_id"]}
    assert back[need["id"]]["need"] == {"title": need["title"],
                                        "participant_id": need["participant_id"]}
    for caller in CALLERS:  # any token
        suggested_offers(world, need["id"], as_=caller)
        suggested_needs(world, offer["id"], as_=caller)


def test_nothing_is_written(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])
    world.new_offer(rt=rt["id"])
    before = world.fingerprint(), world.count("matches"), world.count("match_runs")
    suggested_offers(world, need["id"])
    assert (world.fingerprint(), world.count("matches"), world.count("match_runs")) == before


# ---------------------------------------------------------------- one rule at a time

def test_rule_shared_language(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], languages=["en", "sw"])
    assert_pair(world, need, world.new_offer(rt=rt["id"], languages=["fr"]), False)
    assert_pair(world, need, world.new_offer(rt=rt["id"], languages=["fr", "sw"]), True)


def test_rule_region_restriction(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])  # Kenya: africa
    assert_pair(world, need, world.new_offer(rt=rt["id"], regions=["latin_america_caribbean"]),
                False)
    assert_pair(world, need, world.new_offer(rt=rt["id"], regions=["asia_pacific", "africa"]),
                True)
    assert_pair(world, need, world.new_offer(rt=rt["id"], regions=[]), True)
    chile = world.new_need(as_="state_b", rt=rt["id"], languages=["en"])
    assert_pair(world, chile, world.new_offer(rt=rt["id"], regions=["latin_america_caribbean"]),
                True)


def test_rule_country_restriction(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])  # Kenya
    assert_pair(world, need, world.new_offer(rt=rt["id"], countries=["CHL", "NGA"]), False)
    assert_pair(world, need, world.new_offer(rt=rt["id"], countries=["NGA", "KEN"]), True)
    # both lists must admit the state
    assert_pair(world, need, world.new_offer(rt=rt["id"], regions=["africa"], countries=["NGA"]),
                False)
    assert_pair(world, need, world.new_offer(rt=rt["id"], regions=["asia_pacific"],
                                             countries=["KEN"]), False)


@pytest.mark.parametrize("need_mod,offer_mod,ok", [
    ("in_person", "online", False), ("online", "in_person", False),
    ("in_person", "in_person", True), ("in_person", "hybrid", True), ("online", "hybrid", True),
    ("online", "online", True), ("hybrid", "in_person", True), ("hybrid", "online", True),
    ("any", "online", True), ("any", "in_person", True),
])
def test_rule_modality(world, need_mod, offer_mod, ok):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], modality=need_mod)
    offer = world.new_offer(rt=rt["id"], modality=offer_mod)
    assert_pair(world, need, offer, ok)
    if ok:  # exact beats merely compatible
        value = suggested_offers(world, need["id"])[offer["id"]]["breakdown"]["modality"]["value"]
        assert value == (1 if need_mod in (offer_mod, "any") else 0.5)


def test_rule_windows_overlap_inclusively(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], window={"start": "2024-01-01", "end": "2024-03-31"})
    W = lambda s, e: {"window": {"start": s, "end": e}}
    assert_pair(world, need, world.new_offer(rt=rt["id"], **W("2024-04-01", "2024-06-30")), False)
    assert_pair(world, need, world.new_offer(rt=rt["id"], **W("2023-01-01", "2023-12-31")), False)
    assert_pair(world, need, world.new_offer(rt=rt["id"], **W("2024-03-31", "2024-06-30")), True)
    assert_pair(world, need, world.new_offer(rt=rt["id"], **W("2023-06-01", "2024-01-01")), True)
    assert_pair(world, need, world.new_offer(rt=rt["id"]), True)  # no window: any time
    # a window with one end open is open on that side
    assert_pair(world, need, world.new_offer(rt=rt["id"], **W("2024-05-01", None)), False)
    assert_pair(world, need, world.new_offer(rt=rt["id"], **W(None, "2024-01-01")), True)
    # and a need without a window takes any offer
    free = world.new_need(rt=rt["id"])
    assert_pair(world, free, world.new_offer(rt=rt["id"], **W("2030-01-01", "2030-01-02")), True)


def test_rule_shared_theme_or_theme_group(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], themes=["incident.csirt_establishment"])
    other = world.new_offer(rt=rt["id"], themes=["cybercrime.legislation", "skills.awareness"])
    sibling = world.new_offer(rt=rt["id"], themes=["incident.incident_response"])
    exact = world.new_offer(rt=rt["id"], themes=["incident.csirt_establishment"])
    assert_pair(world, need, other, False)
    assert_pair(world, need, sibling, True)
    assert_pair(world, need, exact, True)
    got = suggested_offers(world, need["id"])
    assert got[exact["id"]]["breakdown"]["theme"]["value"] == 1
    assert got[sibling["id"]]["breakdown"]["theme"]["value"] == 0.5
    assert list(got) == [exact["id"], sibling["id"]]  # exact beats sibling


def test_rule_declined_pair(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])
    offer = world.new_offer(rt=rt["id"], capacity=2)
    control = world.new_need(as_="state_b", rt=rt["id"], languages=["en"])
    run_to_end(world, rt["id"])
    [m] = matches_of(world, rt["id"], need_id=need["id"])
    decide(world, m["id"], "decline", as_="state_a")
    assert_pair(world, need, offer, False)
    assert_pair(world, control, offer, True)


def test_rule_different_participants(world):
    """Needs come from states and offers from providers, so the API cannot make a pair of one
    participant; the rule is checked on an offer written past the triggers."""
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])
    control = world.new_need(as_="state_b", rt=rt["id"], languages=["en"])
    oid = world.pg.psql(
        "SET session_replication_role = replica; INSERT INTO offers (roundtable_id,"
        f" participant_id, title, kind, themes, languages) VALUES ({rt['id']},"
        f" {world.p['state_a']['id']}, 'Own offer', 'training',"
        " '{incident.csirt_establishment}', '{en}') RETURNING id").splitlines()[-1]
    own = world.get(OFFER, oid)
    assert own["participant_id"] == need["participant_id"]
    assert_pair(world, need, own, False)
    assert_pair(world, control, own, True)


def test_rule_capacity_used_up_by_agreed_partnerships(world):
    rt = new_rt(world)
    first = world.new_need(rt=rt["id"])
    full = world.new_offer(rt=rt["id"], capacity=1)
    run_to_end(world, rt["id"])
    [m] = matches_of(world, rt["id"])
    agree(world, m["id"])
    assert world.get(OFFER, full["id"])["status"] == "closed"  # its capacity is reached
    assert world.get(NEED, first["id"])["status"] == "matched"  # max_partners 1 reached
    # reopened by its provider, the offer is open but has no capacity left
    world.patch(OFFER, full["id"], {"status": "open"}, as_="donor")
    later = world.new_need(as_="state_b", rt=rt["id"], languages=["en"])
    assert_pair(world, later, full, False)
    assert suggested_needs(world, full["id"]) == {}
    # an offer with one of two places taken still has room
    roomy = world.new_offer(as_="implementer", rt=rt["id"], capacity=2)
    second = world.new_need(rt=rt["id"])
    run_to_end(world, rt["id"])
    [m] = matches_of(world, rt["id"], need_id=second["id"], status="proposed")
    assert m["offer_id"] == roomy["id"]
    agree(world, m["id"], provider="implementer")
    assert world.get(OFFER, roomy["id"])["status"] == "open"
    assert_pair(world, later, roomy, True)
    assert_pair(world, later, full, False)


def test_rule_open_postings_only(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])
    withdrawn = world.new_offer(rt=rt["id"])
    closed = world.new_offer(rt=rt["id"])
    control = world.new_offer(rt=rt["id"])
    world.call("DELETE", OFFER, withdrawn["id"], as_="donor", expect=200)
    world.patch(OFFER, closed["id"], {"status": "closed"}, as_="donor")
    assert set(suggested_offers(world, need["id"])) == {control["id"]}
    # a posting that is not open has no counterparts: its list is empty
    assert suggested_needs(world, withdrawn["id"]) == {}
    assert suggested_needs(world, closed["id"]) == {}
    fulfilled = world.new_need(rt=rt["id"])
    world.patch(NEED, fulfilled["id"], {"status": "fulfilled"}, as_="state_a")
    gone = world.new_need(rt=rt["id"])
    world.call("DELETE", NEED, gone["id"], as_="state_a", expect=200)
    assert suggested_offers(world, fulfilled["id"]) == {}
    assert suggested_offers(world, gone["id"]) == {}
    assert set(suggested_needs(world, control["id"])) == {need["id"]}


def test_rule_same_roundtable(world):
    rt, other = new_rt(world), new_rt(world)
    need = world.new_need(rt=rt["id"])
    elsewhere = world.new_offer(rt=other["id"])
    here = world.new_offer(rt=rt["id"])
    assert_pair(world, need, elsewhere, False)
    assert_pair(world, need, here, True)


# ---------------------------------------------------------------- ranking, limit, errors

def test_ranking_best_first_ties_by_id_and_limit(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], themes=["skills.awareness"], budget_usd=1000)
    # identical offers score the same and come by id; a better one comes first
    same = [world.new_offer(rt=rt["id"], title="Awareness campaign", themes=["skills.education"])
            for _ in range(11)]
    best = world.new_offer(rt=rt["id"], title="Awareness campaign", themes=["skills.awareness"],
                           funding_usd=5000)
    got = suggested_offers(world, need["id"])
    assert list(got) == [best["id"]] + [o["id"] for o in same]
    body = world.get(SUGGEST_OFFERS, need["id"])  # default limit 10
    assert [i["offer_id"] for i in body["items"]] == list(got)[:10]
    assert body["next_cursor"] is None
    body = world.get(SUGGEST_OFFERS, need["id"], params={"limit": "1"})
    assert [i["offer_id"] for i in body["items"]] == [best["id"]]
    # the needs of an offer likewise
    needs = [world.new_need(rt=rt["id"], themes=["skills.awareness"]) for _ in range(3)]
    got = suggested_needs(world, best["id"], limit=2)
    assert list(got) == [need["id"], needs[0]["id"]]


def test_priority_ranks_needs(world):
    rt = new_rt(world)
    offer = world.new_offer(rt=rt["id"], capacity=3)
    low = world.new_need(rt=rt["id"], priority="low")
    high = world.new_need(rt=rt["id"], priority="high")
    got = suggested_needs(world, offer["id"])
    assert list(got) == [high["id"], low["id"]]
    assert got[high["id"]]["breakdown"]["priority"]["value"] == 1
    assert got[low["id"]]["breakdown"]["priority"]["value"] == 9830 / 32768


def test_fairness_favours_states_with_fewer_partnerships(world):
    rt = new_rt(world)
    world.new_need(rt=rt["id"])
    world.new_offer(rt=rt["id"])
    run_to_end(world, rt["id"])
    [m] = matches_of(world, rt["id"])
    agree(world, m["id"])  # Kenya now has one agreed partnership here
    offer = world.new_offer(rt=rt["id"], capacity=2)
    kenya = world.new_need(rt=rt["id"])
    chile = world.new_need(as_="state_b", rt=rt["id"], languages=["en"])
    got = suggested_needs(world, offer["id"])
    assert list(got) == [chile["id"], kenya["id"]]
    assert got[kenya["id"]]["breakdown"]["fairness"]["value"] == 0.5
    assert got[chile["id"]]["breakdown"]["fairness"]["value"] == 1


@pytest.mark.parametrize("limit", ["0", "101", "-1", "x", "1.5", ""])
def test_bad_limit_is_400(world, limit):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])
    world.call("GET", SUGGEST_OFFERS, need["id"], params={"limit": limit}, expect=400)
    world.call("GET", SUGGEST_NEEDS, need["id"], params={"cursor": "c1"}, expect=400)


def test_unknown_posting_is_404_and_a_token_is_needed(world):
    for path in (SUGGEST_OFFERS, SUGGEST_NEEDS):
        world.call("GET", path, "999999999", expect=404)
        world.call("GET", path, "abc", expect=404)
        world.call("GET", path, "1", token=None, expect=401)
