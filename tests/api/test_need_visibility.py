"""Need visibility over real HTTP and PostgreSQL (docs/security.md, "Need visibility"): a state
chooses who sees each need — "everyone" signed in, "providers" (providers, staff and the owning
state, not other states) or "organizers" (staff and the owning state) — and every read path
respects it, checked here per role: admin, organizer, the owning state (state_a), another state
(state_b), a provider that the organizers' run made a party to a match of every need (donor) and
a provider that is a party to none (implementer).

Read paths: GET /needs (every filter, q included), GET /needs/{id} (hidden: 404), the
suggestions of a need (404) and of an offer (hidden needs left out), GET /offers/{id}/overlaps
(items left out, total counts them), GET /matches and /matches/{id} (parties only), the
roundtable's schedule (meetings and unplaced), a participant's own timetable (JSON and .ics:
a provider whose match went is no longer a party) and the summary in every format and language
(unmet_needs and top_matches name only visible needs; the totals count every need)."""
import pytest

from matching_fixtures import *  # noqa: F401,F403
from matching_fixtures import (MATCH, MATCHES, NEED, RUN, RUNS, SUGGEST_NEEDS, SUGGEST_OFFERS, V1,
                               agree, matches_of, new_rt, run_to_end, tag)

NEEDS = f"{V1}/needs"
RULES = f"{V1}/pair-rules"
OVERLAPS = f"{V1}/offers/{{id}}/overlaps"
SUMMARY = f"{V1}/roundtables/{{id}}/summary"
SLOTS = f"{V1}/roundtables/{{id}}/slots"
TABLES = f"{V1}/roundtables/{{id}}/tables"
SCHEDULE = f"{V1}/roundtables/{{id}}/schedule"
PSCHED = f"{V1}/participants/{{id}}/schedule"
VIS = ("everyone", "providers", "organizers")
ROLES = ("admin", "organizer", "state_a", "state_b", "donor", "implementer")
# what each caller sees of state_a's needs, by visibility: the donor is a party to a match of
# every matched need; of the unmatched ones it sees what any provider sees
SEES = {
    "admin": set(VIS), "organizer": set(VIS), "state_a": set(VIS), "state_b": {"everyone"},
    "implementer": {"everyone", "providers"},
}
THEME = "incident.csirt_establishment"
LONELY = "cbm.transparency"  # no offer serves it: those needs stay unmet


def sees(who, vis, party=False):
    if who == "donor":
        return party or vis != "organizers"
    return vis in SEES[who]


@pytest.fixture(scope="module")
def rt(world):
    """One roundtable: state_a's matched needs (m: donor is a party to their matches) and unmet
    needs (u), one of each visibility; the donor's offer that the organizers' run matched to
    every m need; the implementer's offer, posted after the run, feasible for every m need."""
    r = new_rt(world)
    t = tag()
    d = {"id": r["id"], "tag": t, "m": {}, "u": {}}
    for v in VIS:
        d["m"][v] = world.new_need(rt=r["id"], title=f"Matched {v} need {t}", themes=[THEME],
                                   visibility=v)
        d["u"][v] = world.new_need(rt=r["id"], title=f"Unmet {v} need {t}", themes=[LONELY],
                                   visibility=v)
        assert d["m"][v]["visibility"] == v
    d["donor_offer"] = world.new_offer(rt=r["id"], themes=[THEME], capacity=3)
    # the organizers lock each unmet need to the donor's offer: no shared theme, so the run
    # refuses every lock and its stats name the needs
    for n in d["u"].values():
        world.call("POST", RULES, as_="organizer", expect=201,
                   body={"need_id": n["id"], "offer_id": d["donor_offer"]["id"], "rule": "lock"})
    d["run"] = run_to_end(world, r["id"])
    ms = matches_of(world, r["id"])
    assert {m["need_id"] for m in ms} == {n["id"] for n in d["m"].values()}
    d["match"] = {v: next(m for m in ms if m["need_id"] == d["m"][v]["id"]) for v in VIS}
    d["impl_offer"] = world.new_offer(as_="implementer", rt=r["id"], themes=[THEME], capacity=3)
    return d


def every_need(rt):
    """(need, visibility, whether the donor is a party to a match of it)."""
    return [(rt[k][v], v, k == "m") for k in ("m", "u") for v in VIS]


def expected_ids(rt, who, needs=None):
    return {n["id"] for n, v, party in (needs or every_need(rt)) if sees(who, v, party)}


# ---------------------------------------------------------------- posting and changing


def test_visibility_is_set_checked_and_changed(world):
    r = new_rt(world)
    n = world.new_need(rt=r["id"])
    assert n["visibility"] == "everyone"  # the default
    bad = world.call("POST", NEEDS, as_="state_a", expect=422,
                     body=need_body(r["id"], visibility="states"))
    assert "visibility" in fields_of(bad.body)
    n = world.patch(NEED, n["id"], {"visibility": "organizers"}, as_="state_a")
    assert n["visibility"] == "organizers"
    r2 = world.call("PATCH", NEED, n["id"], as_="state_a", body={"visibility": None}, expect=422)
    assert "visibility" in fields_of(r2.body)
    # another state may not learn that a hidden need exists (404, not 403), nor change it
    before = world.fingerprint()
    world.call("PATCH", NEED, n["id"], as_="state_b", body={"title": "x"}, expect=404)
    world.call("DELETE", NEED, n["id"], as_="state_b", expect=404)
    assert world.fingerprint() == before
    world.patch(NEED, n["id"], {"visibility": "everyone"}, as_="state_a")
    world.call("PATCH", NEED, n["id"], as_="state_b", body={"title": "x"}, expect=403)
    # an organizer sets it for a state, too
    assert world.patch(NEED, n["id"], {"visibility": "providers"},
                       as_="organizer")["visibility"] == "providers"


def test_import_sets_visibility(world):
    r = new_rt(world)
    sid = world.p["state_a"]["id"]
    csv = ("participant_id,title,themes,languages,visibility\n"
           f"{sid},Imported hidden,{LONELY},en,organizers\n"
           f"{sid},Imported open,{LONELY},en,\n")
    got = world.call("POST", f"{V1}/roundtables/{{id}}/import", r["id"], data=csv.encode(),
                     headers={"Content-Type": "text/csv"}, params={"entity": "needs"},
                     expect=200)
    assert got.body == {"inserted": 2}
    items = world.list_all(NEEDS, params={"roundtable_id": r["id"]})
    assert {n["title"]: n["visibility"] for n in items} == {
        "Imported hidden": "organizers", "Imported open": "everyone"}
    assert [n["title"] for n in world.list_all(NEEDS, params={"roundtable_id": r["id"]},
                                               as_="implementer")] == ["Imported open"]
    bad = world.call("POST", f"{V1}/roundtables/{{id}}/import", r["id"],
                     data=f"participant_id,title,themes,languages,visibility\n{sid},T,{LONELY},en,"
                          "nobody\n".encode(),
                     headers={"Content-Type": "text/csv"}, params={"entity": "needs"},
                     expect=422)
    assert "visibility" in str(bad.body)


# ---------------------------------------------------------------- needs


@pytest.mark.parametrize("who", ROLES)
def test_get_need_hidden_is_404(world, rt, who):
    for n, v, party in every_need(rt):
        want = 200 if sees(who, v, party) else 404
        got = world.call("GET", NEED, n["id"], as_=who, expect=want)
        if want == 200:
            assert got.body["visibility"] == v
        else:  # exactly what an id that never existed answers
            assert got.body == world.call("GET", NEED, "999999999", as_=who, expect=404).body


@pytest.mark.parametrize("who", ROLES)
def test_list_needs_every_filter(world, rt, who):
    sid = world.p["state_a"]["id"]
    filters = [
        {"roundtable_id": rt["id"]},
        {"q": rt["tag"]},
        {"q": f"Matched organizers need {rt['tag']}"},
        {"roundtable_id": rt["id"], "theme": THEME},
        {"roundtable_id": rt["id"], "theme": "incident"},  # a theme group
        {"roundtable_id": rt["id"], "region": "africa"},
        {"roundtable_id": rt["id"], "participant_id": sid},
        {"roundtable_id": rt["id"], "status": "open"},
        {"roundtable_id": rt["id"], "priority": "medium", "modality": "any"},
        {"roundtable_id": rt["id"], "visibility": "organizers"},
        {"roundtable_id": rt["id"], "visibility": "providers"},
    ]
    ours = {n["id"] for n, _, _ in every_need(rt)}
    for f in filters:
        every = {n["id"] for n in world.list_all(NEEDS, params=f, as_="admin")} & ours
        assert every, f  # the filter finds something, hidden needs included
        got = world.list_all(NEEDS, params=f, as_=who, limit=2)  # across pages too
        assert {n["id"] for n in got} & ours == every & expected_ids(rt, who), (who, f)


# ---------------------------------------------------------------- suggestions


@pytest.mark.parametrize("who", ROLES)
def test_suggestions(world, rt, who):
    # of a need: like the need itself
    for n, v, party in every_need(rt):
        want = 200 if sees(who, v, party) else 404
        world.call("GET", SUGGEST_OFFERS, n["id"], as_=who, expect=want)
    # of an offer: hidden needs are left out, the scores of the rest are the staff's
    m = list(rt["m"].values())
    staff = world.get(SUGGEST_NEEDS, rt["impl_offer"]["id"], params={"limit": "100"})["items"]
    assert {i["need_id"] for i in staff} == {n["id"] for n in m}
    mine = world.get(SUGGEST_NEEDS, rt["impl_offer"]["id"], params={"limit": "100"},
                     as_=who)["items"]
    want = expected_ids(rt, who, [(n, v, True) for v, n in rt["m"].items()])
    assert {i["need_id"] for i in mine} == want
    assert mine == [i for i in staff if i["need_id"] in want]
    # limit counts what is shown: the hidden needs do not take places
    one = world.get(SUGGEST_NEEDS, rt["impl_offer"]["id"], params={"limit": "1"}, as_=who)
    assert one["items"] == mine[:1]


# ---------------------------------------------------------------- matches


@pytest.mark.parametrize("who", ROLES)
def test_matches_only_to_parties(world, rt, who):
    ms = world.list_all(MATCHES, params={"roundtable_id": rt["id"]}, as_=who)
    party = who in ("admin", "organizer", "state_a", "donor")
    assert {m["id"] for m in ms} == ({m["id"] for m in rt["match"].values()} if party else set())
    for v, m in rt["match"].items():
        got = world.call("GET", MATCH, m["id"], as_=who, expect=200 if party else 404)
        if party:  # the run introduced them: the match names its need, hidden or not
            assert got.body["need"]["title"] == rt["m"][v]["title"]


# ---------------------------------------------------------------- after agreeing


@pytest.fixture(scope="module")
def agreed(world, rt):
    """Every match agreed, a schedule made, and a further offer by the implementer in Kenya on
    the same theme: it overlaps the three partnerships."""
    for m in rt["match"].values():
        agree(world, m["id"])
    slots = [{"starts_at": f"2024-05-10T{9 + i:02d}:00:00Z",
              "ends_at": f"2024-05-10T{9 + i:02d}:30:00Z"} for i in range(3)]
    world.call("PUT", SLOTS, rt["id"], as_="organizer", body={"items": slots}, expect=200)
    world.call("PUT", TABLES, rt["id"], as_="organizer", body={"items": [{"name": "T1"}]},
               expect=200)
    world.call("POST", SCHEDULE, rt["id"], as_="organizer", expect=201)
    rt["overlapping"] = world.new_offer(as_="implementer", rt=rt["id"], themes=[THEME],
                                        countries=["KEN"])
    return rt


@pytest.mark.parametrize("who", ROLES)
def test_overlaps(world, agreed, who):
    rt = agreed
    staff = world.get(OVERLAPS, rt["overlapping"]["id"])
    mine = world.get(OVERLAPS, rt["overlapping"]["id"], as_=who)
    everything = {x["need_id"] for x in staff["items"] if x["kind"] == "partnership"}
    assert everything == {n["id"] for n in rt["m"].values()}
    want = expected_ids(rt, who, [(n, v, True) for v, n in rt["m"].items()])
    assert {x["need_id"] for x in mine["items"] if x["kind"] == "partnership"} == want
    assert mine["total"] == staff["total"]  # a count names no need
    assert [x for x in mine["items"] if x["kind"] == "offer"] == \
        [x for x in staff["items"] if x["kind"] == "offer"]


@pytest.mark.parametrize("who", ROLES)
def test_schedule(world, agreed, who):
    rt = agreed
    staff = world.get(SCHEDULE, rt["id"])
    assert {m["need_id"] for m in staff["meetings"]} == {n["id"] for n in rt["m"].values()}
    mine = world.get(SCHEDULE, rt["id"], as_=who)
    want = expected_ids(rt, who, [(n, v, True) for v, n in rt["m"].items()])
    assert {m["need_id"] for m in mine["meetings"]} == want
    assert mine["stats"] == staff["stats"] and mine["slots"] == staff["slots"]


@pytest.mark.parametrize("who", ROLES)
def test_summary_lists_only_visible_needs(world, agreed, who):
    rt = agreed
    staff = world.get(SUMMARY, rt["id"], params={"format": "json", "lang": "en"})
    mine = world.get(SUMMARY, rt["id"], params={"format": "json", "lang": "en"}, as_=who)
    assert {u["need_id"] for u in staff["unmet_needs"]} == {n["id"] for n in rt["u"].values()}
    assert {u["need_id"] for u in mine["unmet_needs"]} == \
        expected_ids(rt, who, [(n, v, False) for v, n in rt["u"].items()])
    assert {m["need_id"] for m in mine["top_matches"]} == \
        expected_ids(rt, who, [(n, v, True) for v, n in rt["m"].items()])
    # the figures count every need, whoever asks
    for k in ("totals", "by_theme", "by_region", "partnerships"):
        assert mine[k] == staff[k], k
    hidden = [n["title"] for n, v, party in every_need(rt) if not sees(who, v, party)]
    shown = [n["title"] for n, v, party in every_need(rt) if sees(who, v, party)]
    for fmt in ("json", "markdown", "html", "csv"):
        for lang in ("en", "zh"):
            r = world.call("GET", SUMMARY, rt["id"], as_=who,
                           params={"format": fmt, "lang": lang}, expect=200)
            for title in hidden:
                assert title not in r.text, (who, fmt, lang, title)
            for title in shown:
                assert title in r.text, (who, fmt, lang, title)


# ---------------------------------------------------------------- match runs and pair rules


@pytest.mark.parametrize("who", ROLES)
def test_match_run_stats_name_only_visible_needs(world, rt, who):
    staff = world.get(RUN, rt["run"]["id"])
    assert {x["need_id"] for x in staff["stats"]["locks"]["refused"]} == \
        {n["id"] for n in rt["u"].values()}
    want = expected_ids(rt, who, [(n, v, False) for v, n in rt["u"].items()])
    for run in (world.get(RUN, rt["run"]["id"], as_=who),
                world.get(RUNS, rt["id"], as_=who)["items"][0]):
        assert {x["need_id"] for x in run["stats"]["locks"]["refused"]} == want
        assert run["stats"]["locks"]["honoured"] == staff["stats"]["locks"]["honoured"]
        assert {k: v for k, v in run["stats"].items() if k != "locks"} == \
            {k: v for k, v in staff["stats"].items() if k != "locks"}


def test_a_hidden_need_is_unknown_to_pair_rules(world, rt):
    """A provider cannot probe for a hidden need by saying "no thanks" to it."""
    offer = rt["impl_offer"]["id"]
    hidden = world.call("POST", RULES, as_="implementer", expect=422,
                        body={"need_id": rt["u"]["organizers"]["id"], "offer_id": offer,
                              "rule": "no_thanks"})
    unknown = world.call("POST", RULES, as_="implementer", expect=422,
                         body={"need_id": "999999999", "offer_id": offer, "rule": "no_thanks"})
    assert hidden.body == unknown.body
    ok = world.call("POST", RULES, as_="implementer", expect=201,
                    body={"need_id": rt["u"]["providers"]["id"], "offer_id": offer,
                          "rule": "no_thanks"})
    world.call("DELETE", f"{RULES}/{{id}}", ok.body["id"], as_="implementer", expect=204)


def test_a_participants_own_schedule_names_no_hidden_need(world):
    """GET /participants/{id}/schedule (JSON and .ics) asks the same rule as the roundtable's
    schedule: a provider whose match of an organizers-only need went (the organizers vetoed the
    pair) is no longer a party, so the meeting a schedule made before no longer names the need
    in its own timetable either, under whatever title the state gives it since."""
    r = new_rt(world)
    need = world.new_need(rt=r["id"], title=f"Hidden need {tag()}", themes=[THEME],
                          visibility="organizers")
    offer = world.new_offer(rt=r["id"], themes=[THEME])
    run_to_end(world, r["id"])
    [m] = matches_of(world, r["id"])  # proposed: the run made the donor a party
    world.call("PUT", SLOTS, r["id"], as_="organizer", expect=200, body={"items": [
        {"starts_at": "2024-05-10T09:00:00Z", "ends_at": "2024-05-10T09:30:00Z"}]})
    world.call("PUT", TABLES, r["id"], as_="organizer", body={"items": [{"name": "T1"}]},
               expect=200)
    world.call("POST", SCHEDULE, r["id"], as_="organizer", expect=201)
    donor = world.p["donor"]["id"]
    own = {"roundtable_id": r["id"]}
    assert [x["need_id"] for x in world.get(PSCHED, donor, as_="donor", params=own)["items"]] \
        == [need["id"]]
    world.call("POST", RULES, as_="organizer", expect=201,
               body={"need_id": need["id"], "offer_id": offer["id"], "rule": "veto"})
    world.call("GET", MATCH, m["id"], as_="donor", expect=404)
    world.call("GET", NEED, need["id"], as_="donor", expect=404)
    renamed = f"Renamed hidden need {tag()}"
    world.patch(NEED, need["id"], {"title": renamed}, as_="state_a")
    assert world.get(SCHEDULE, r["id"], as_="donor")["meetings"] == []
    assert world.get(PSCHED, donor, as_="donor", params=own)["items"] == []
    ics = world.call("GET", PSCHED, donor, as_="donor", expect=200,
                     params={"format": "ics", "roundtable_id": r["id"]}).text
    assert renamed not in ics and need["title"] not in ics
    # staff and the owning state still see the meeting
    for who, pid in (("organizer", donor), ("state_a", world.p["state_a"]["id"])):
        items = world.get(PSCHED, pid, as_=who, params=own)["items"]
        assert [(x["need_id"], x["need_title"]) for x in items] == [(need["id"], renamed)]
