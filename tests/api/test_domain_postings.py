"""Needs and offers over real HTTP and PostgreSQL: create (by the owner and by staff), read,
patch, withdraw (the record stays), status moves and 409s, every validation rule with its field
path and nothing written, JSON refusals, list filters (theme groups, region, status, text in
several scripts with LIKE wildcards taken literally) and Unicode kept byte-exact."""
import json

import pytest

from domain_fixtures import *  # noqa: F401,F403

N = f"{V1}/needs"
N1 = f"{V1}/needs/{{id}}"
O = f"{V1}/offers"
O1 = f"{V1}/offers/{{id}}"
UNSET = need_body.UNSET


# ---------------------------------------------------------------- needs: success

def test_need_by_its_state_with_defaults(world):
    n = world.new_need()
    validate(n, "Need")
    assert n["participant_id"] == world.p["state_a"]["id"]
    assert n["roundtable_id"] == world.rt["id"]
    assert (n["status"], n["max_partners"], n["modality"], n["priority"], n["description"]) == \
        ("open", 1, "any", "medium", "")
    assert n["window"] == {"start": None, "end": None} and n["budget_usd"] is None
    assert n["created_at"] == n["updated_at"]
    for caller in CALLERS:  # any token reads
        assert world.get(N1, n["id"], as_=caller) == n


def test_need_with_every_field(world):
    body = need_body(world.rt["id"], participant_id=world.p["state_a"]["id"],
                     title="Establish a national CSIRT", description="Staffing and tooling",
                     themes=["incident.csirt_establishment", "incident.incident_response",
                             "skills.workforce"],
                     languages=["en", "sw"], modality="hybrid",
                     window={"start": "2024-09-01", "end": "2025-06-30"}, budget_usd=150000.5,
                     priority="high", max_partners=3, status="open")
    n = world.post(N, body, as_="state_a")
    for k, v in body.items():
        assert n[k] == v, k
    # a window of one day, and the largest amount
    n = world.new_need(window={"start": "2024-02-29", "end": "2024-02-29"},
                       budget_usd=9999999999999, max_partners=100)
    assert n["budget_usd"] == 9999999999999 and n["max_partners"] == 100
    assert world.new_need(budget_usd=0, max_partners=1)["budget_usd"] == 0
    # amounts are kept to the cent
    assert world.new_need(budget_usd=0.001)["budget_usd"] == 0
    assert world.new_need(budget_usd=1234.5)["budget_usd"] == 1234.5
    assert world.new_need(budget_usd=9999999999999.99)["budget_usd"] == 9999999999999.99


@pytest.mark.parametrize("caller", ["admin", "organizer"])
def test_staff_post_needs_naming_the_state(world, caller):
    n = world.new_need(as_=caller, participant_id=world.p["state_b"]["id"])
    assert n["participant_id"] == world.p["state_b"]["id"]


def test_a_state_may_name_itself(world):
    n = world.new_need(participant_id=world.p["state_a"]["id"])
    assert n["participant_id"] == world.p["state_a"]["id"]


def test_patch_need(world):
    n = world.new_need(description="d", modality="online", priority="low", max_partners=4,
                       budget_usd=10, window={"start": "2024-01-01", "end": "2024-12-31"})
    p = world.patch(N1, n["id"], {"title": "Renamed", "themes": ["skills.awareness"],
                                  "languages": ["fr", "en"], "window": {"end": "2025-01-31"}},
                    as_="state_a")
    validate(p, "Need")
    assert (p["title"], p["themes"], p["languages"]) == ("Renamed", ["skills.awareness"],
                                                         ["fr", "en"])
    assert p["window"] == {"start": "2024-01-01", "end": "2025-01-31"}
    assert p["created_at"] == n["created_at"] and p["updated_at"] >= n["updated_at"]
    assert world.get(N1, n["id"]) == p
    # null clears what may be cleared, to its default
    p = world.patch(N1, n["id"], {"description": None, "modality": None, "priority": None,
                                  "max_partners": None, "budget_usd": None, "window": None})
    assert (p["description"], p["modality"], p["priority"], p["max_partners"],
            p["budget_usd"], p["window"]) == ("", "any", "medium", 1, None,
                                              {"start": None, "end": None})
    p = world.patch(N1, n["id"], {"window": {"start": "2024-03-01"}}, as_="organizer")
    assert p["window"] == {"start": "2024-03-01", "end": None}
    p = world.patch(N1, n["id"], {"window": {"start": None}}, as_="admin")
    assert p["window"] == {"start": None, "end": None}
    assert world.patch(N1, n["id"], {})["title"] == "Renamed"


def test_delete_withdraws_and_the_record_stays(world):
    n = world.new_need()
    before = world.count("needs")
    w = world.call("DELETE", N1, n["id"], as_="state_a", expect=200).body
    validate(w, "Need")
    assert w["status"] == "withdrawn" and w["title"] == n["title"]
    assert world.count("needs") == before
    assert world.get(N1, n["id"])["status"] == "withdrawn"
    # again: no change, no error, from the owner or staff
    assert world.call("DELETE", N1, n["id"], as_="state_a", expect=200).body["status"] == \
        "withdrawn"
    assert world.call("DELETE", N1, n["id"], as_="organizer", expect=200).body["status"] == \
        "withdrawn"
    # frozen: patches are 409, even to reopen, even by staff
    for caller, body in (("state_a", {"title": "again"}), ("admin", {"title": "again"}),
                         ("state_a", {"status": "open"}), ("admin", {"status": "open"}),
                         ("organizer", {"status": "withdrawn", "title": "x"})):
        before = world.fingerprint()
        r = world.call("PATCH", N1, n["id"], as_=caller, body=body, expect=409)
        validate(r.body, "Problem")
        assert world.fingerprint() == before
    assert world.patch(N1, n["id"], {"status": "withdrawn"}, as_="state_a")["status"] == \
        "withdrawn"


def test_need_status_moves(world):
    n = world.new_need()
    # matched is the engine's (staff's) to set, never the state's
    for caller in ("state_a",):
        before = world.fingerprint()
        r = world.call("PATCH", N1, n["id"], as_=caller, body={"status": "matched"}, expect=409)
        assert "matched" in r.body["detail"]
        assert world.fingerprint() == before
    assert world.patch(N1, n["id"], {"status": "matched"}, as_="organizer")["status"] == "matched"
    world.call("PATCH", N1, n["id"], as_="state_a", body={"status": "open"}, expect=409)
    assert world.patch(N1, n["id"], {"status": "fulfilled"}, as_="state_a")["status"] == \
        "fulfilled"
    world.call("PATCH", N1, n["id"], as_="state_a", body={"status": "open"}, expect=409)
    world.call("PATCH", N1, n["id"], as_="admin", body={"status": "matched"}, expect=409)
    assert world.patch(N1, n["id"], {"status": "open"}, as_="admin")["status"] == "open"
    assert world.patch(N1, n["id"], {"status": "fulfilled"}, as_="state_a")["status"] == \
        "fulfilled"
    # fulfilled cannot be withdrawn
    world.call("DELETE", N1, n["id"], as_="state_a", expect=409)
    m = world.new_need()
    world.patch(N1, m["id"], {"status": "matched"})
    assert world.call("DELETE", N1, m["id"], as_="state_a", expect=200).body["status"] == \
        "withdrawn"


def test_own_only(world):
    n = world.new_need()  # state_a's
    o = world.new_offer()  # donor's
    for method, tpl, oid, caller in (("PATCH", N1, n["id"], "state_b"),
                                     ("DELETE", N1, n["id"], "state_b"),
                                     ("PATCH", O1, o["id"], "implementer"),
                                     ("DELETE", O1, o["id"], "implementer")):
        before = world.fingerprint()
        kw = {"body": {"title": "taken over"}} if method == "PATCH" else {}
        r = world.call(method, tpl, oid, as_=caller, expect=403, **kw)
        validate(r.body, "Problem")
        assert world.fingerprint() == before
    assert world.get(N1, n["id"])["status"] == "open"
    assert world.get(O1, o["id"])["status"] == "open"


# ---------------------------------------------------------------- offers: success

def test_offer_by_its_provider_with_defaults(world):
    o = world.new_offer()
    validate(o, "Offer")
    assert o["participant_id"] == world.p["donor"]["id"]
    assert (o["status"], o["capacity"], o["modality"], o["regions"], o["countries"]) == \
        ("open", 1, "hybrid", [], [])
    assert o["funding_usd"] is None and o["window"] == {"start": None, "end": None}
    for caller in CALLERS:
        assert world.get(O1, o["id"], as_=caller) == o


def test_offer_with_every_field_and_by_staff(world):
    body = offer_body(world.rt["id"], description="Five-day course", kind="funding",
                      themes=["cybercrime.digital_forensics", "cybercrime.investigation"],
                      languages=["en", "fr", "ar"], modality="in_person",
                      window={"start": "2024-06-01", "end": "2024-12-31"}, funding_usd=250000.75,
                      capacity=1000, regions=["africa", "asia_pacific"],
                      countries=["KEN", "TZA", "FJI"], status="open")
    o = world.post(O, body, as_="implementer")
    for k, v in body.items():
        assert o[k] == v, k
    assert o["participant_id"] == world.p["implementer"]["id"]
    for caller in ("admin", "organizer"):
        o = world.new_offer(as_=caller, participant_id=world.p["implementer"]["id"])
        assert o["participant_id"] == world.p["implementer"]["id"]


def test_patch_offer_and_status_moves(world):
    o = world.new_offer(regions=["africa"], countries=["KEN"], capacity=5, funding_usd=10)
    p = world.patch(O1, o["id"], {"kind": "mentoring", "regions": None, "countries": [],
                                  "capacity": None, "funding_usd": None}, as_="donor")
    validate(p, "Offer")
    assert (p["kind"], p["regions"], p["countries"], p["capacity"], p["funding_usd"]) == \
        ("mentoring", [], [], 1, None)
    assert world.patch(O1, o["id"], {"status": "closed"}, as_="donor")["status"] == "closed"
    assert world.patch(O1, o["id"], {"status": "open"}, as_="donor")["status"] == "open"
    assert world.patch(O1, o["id"], {"status": "closed"}, as_="organizer")["status"] == "closed"
    w = world.call("DELETE", O1, o["id"], as_="donor", expect=200).body
    assert w["status"] == "withdrawn" and world.get(O1, o["id"])["status"] == "withdrawn"
    for caller, body in (("donor", {"status": "open"}), ("admin", {"status": "closed"}),
                         ("donor", {"title": "x"})):
        world.call("PATCH", O1, o["id"], as_=caller, body=body, expect=409)
    world.call("DELETE", O1, o["id"], as_="admin", expect=200)


# ---------------------------------------------------------------- validation

def _rules_common(kind_body):
    """Rules shared by needs and offers: (what, overrides, fields)."""
    return [
        ("unknown field", {"colour": "red"}, ["colour"]),
        ("read-only id", {"id": "5"}, ["id"]),
        ("read-only created_at", {"created_at": "2024-01-01T00:00:00Z"}, ["created_at"]),
        ("read-only updated_at", {"updated_at": "2024-01-01T00:00:00Z"}, ["updated_at"]),
        ("missing title", {"title": UNSET}, ["title"]),
        ("missing themes", {"themes": UNSET}, ["themes"]),
        ("missing languages", {"languages": UNSET}, ["languages"]),
        ("missing roundtable_id", {"roundtable_id": UNSET}, ["roundtable_id"]),
        ("empty title", {"title": ""}, ["title"]),
        ("blank title", {"title": " \n\t"}, ["title"]),
        ("null title", {"title": None}, ["title"]),
        ("title too long", {"title": "x" * 301}, ["title"]),
        ("title not a string", {"title": 42}, ["title"]),
        ("description too long", {"description": "x" * 20001}, ["description"]),
        ("bad modality", {"modality": "telepathy"}, ["modality"]),
        ("bad date", {"window": {"start": "2024-02-30"}}, ["window.start"]),
        ("bad date format", {"window": {"end": "2024/12/31"}}, ["window.end"]),
        ("date with time", {"window": {"start": "2024-12-31T00:00:00Z"}}, ["window.start"]),
        ("window end before start", {"window": {"start": "2024-06-02", "end": "2024-06-01"}},
         ["window.end"]),
        ("window not an object", {"window": "2024"}, ["window"]),
        ("unknown window field", {"window": {"middle": "2024-06-01"}}, ["window.middle"]),
        ("unknown theme", {"themes": ["incident.nope"]}, ["themes[0]"]),
        ("unknown second theme", {"themes": ["skills.awareness", "nope"]}, ["themes[1]"]),
        ("theme group instead of a theme", {"themes": ["incident"]}, ["themes[0]"]),
        ("repeated theme", {"themes": ["skills.awareness", "skills.education",
                                       "skills.awareness"]}, ["themes[2]"]),
        ("no themes", {"themes": []}, ["themes"]),
        ("themes not an array", {"themes": "skills.awareness"}, ["themes"]),
        ("theme not a string", {"themes": [7]}, ["themes[0]"]),
        ("unknown language", {"languages": ["en", "xx"]}, ["languages[1]"]),
        ("language in upper case", {"languages": ["EN"]}, ["languages[0]"]),
        ("repeated language", {"languages": ["en", "en"]}, ["languages[1]"]),
        ("no languages", {"languages": []}, ["languages"]),
        ("roundtable_id a number", {"roundtable_id": 1}, ["roundtable_id"]),
        ("roundtable_id malformed", {"roundtable_id": "abc"}, ["roundtable_id"]),
        ("unknown roundtable", {"roundtable_id": "999999999"}, ["roundtable_id"]),
        ("status on create", {"status": "withdrawn"}, ["status"]),
        ("bad status on create", {"status": "bogus"}, ["status"]),
    ]


NEED_RULES = _rules_common(need_body) + [
    ("bad priority", {"priority": "urgent"}, ["priority"]),
    ("negative budget", {"budget_usd": -1}, ["budget_usd"]),
    ("negative fractional budget", {"budget_usd": -0.01}, ["budget_usd"]),
    ("budget as a string", {"budget_usd": "1000"}, ["budget_usd"]),
    ("budget as a boolean", {"budget_usd": True}, ["budget_usd"]),
    ("budget too large", {"budget_usd": 1e13}, ["budget_usd"]),
    ("budget reaching the limit when rounded", {"budget_usd": 9999999999999.999},
     ["budget_usd"]),
    ("max_partners zero", {"max_partners": 0}, ["max_partners"]),
    ("max_partners above 100", {"max_partners": 101}, ["max_partners"]),
    ("max_partners a string", {"max_partners": "2"}, ["max_partners"]),
    ("max_partners a fraction", {"max_partners": 1.5}, ["max_partners"]),
    ("status matched on create", {"status": "matched"}, ["status"]),
    ("participant_id of another state", "other", ["participant_id"]),
    ("participant_id malformed", {"participant_id": "me"}, ["participant_id"]),
]


def _apply(world, overrides, kind):
    if overrides == "other":
        other = "state_b" if kind == "need" else "implementer"
        overrides = {"participant_id": world.p[other]["id"]}
    make = need_body if kind == "need" else offer_body
    return make(world.rt["id"], **overrides)


@pytest.mark.parametrize("what,overrides,fields", NEED_RULES, ids=[r[0] for r in NEED_RULES])
def test_need_create_validation(world, what, overrides, fields):
    before = world.fingerprint()
    r = world.call("POST", N, as_="state_a", body=_apply(world, overrides, "need"), expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


OFFER_RULES = _rules_common(offer_body) + [
    ("missing kind", {"kind": UNSET}, ["kind"]),
    ("bad kind", {"kind": "gift"}, ["kind"]),
    ("modality any is for needs", {"modality": "any"}, ["modality"]),
    ("negative funding", {"funding_usd": -5}, ["funding_usd"]),
    ("funding as a string", {"funding_usd": "5"}, ["funding_usd"]),
    ("capacity zero", {"capacity": 0}, ["capacity"]),
    ("capacity above 1000", {"capacity": 1001}, ["capacity"]),
    ("capacity negative", {"capacity": -1}, ["capacity"]),
    ("unknown region", {"regions": ["europe"]}, ["regions[0]"]),
    ("repeated region", {"regions": ["africa", "africa"]}, ["regions[1]"]),
    ("too many regions", {"regions": ["africa", "asia_pacific", "eastern_europe",
                                      "latin_america_caribbean", "western_europe_others",
                                      "africa"]}, ["regions"]),
    ("unknown country", {"countries": ["KEN", "XXX"]}, ["countries[1]"]),
    ("alpha-2 country", {"countries": ["KE"]}, ["countries[0]"]),
    ("repeated country", {"countries": ["KEN", "KEN"]}, ["countries[1]"]),
    ("status closed on create", {"status": "closed"}, ["status"]),
    ("participant_id of another provider", "other", ["participant_id"]),
]


@pytest.mark.parametrize("what,overrides,fields", OFFER_RULES, ids=[r[0] for r in OFFER_RULES])
def test_offer_create_validation(world, what, overrides, fields):
    before = world.fingerprint()
    r = world.call("POST", O, as_="donor", body=_apply(world, overrides, "offer"), expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


def test_every_bad_field_is_listed_at_once(world):
    r = world.call("POST", N, as_="state_a", expect=422, body={
        "roundtable_id": world.rt["id"], "title": "", "themes": ["incident", "x.y"],
        "languages": ["en", "en"], "window": {"start": "2024-06-02", "end": "2024-06-01"},
        "budget_usd": -1, "max_partners": 0, "priority": "now", "status": "matched", "id": "1"})
    assert sorted(fields_of(r.body)) == sorted([
        "title", "themes[0]", "themes[1]", "languages[1]", "window.end", "budget_usd",
        "max_partners", "priority", "status", "id"]), r.body
    for e in r.body["errors"]:
        assert e["message"], e


STAFF_RULES = [
    # (kind, what, participant, fields)
    ("need", "no participant_id", None, ["participant_id"]),
    ("need", "a donor posting a need", "donor", ["participant_id"]),
    ("need", "an organizer posting a need", "organizer", ["participant_id"]),
    ("need", "an unknown participant", "999999999", ["participant_id"]),
    ("offer", "no participant_id", None, ["participant_id"]),
    ("offer", "a state posting an offer", "state_a", ["participant_id"]),
    ("offer", "an unknown participant", "999999999", ["participant_id"]),
]


@pytest.mark.parametrize("kind,what,participant,fields", STAFF_RULES,
                         ids=[f"{r[0]}: {r[1]}" for r in STAFF_RULES])
def test_staff_must_name_a_fitting_participant(world, kind, what, participant, fields):
    make = need_body if kind == "need" else offer_body
    body = make(world.rt["id"])
    if participant:
        body["participant_id"] = world.p[participant]["id"] if participant in world.p \
            else participant
    before = world.fingerprint()
    r = world.call("POST", N if kind == "need" else O, as_="organizer", body=body, expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


PATCH_RULES = [
    ("unknown field", {"colour": "red"}, ["colour"]),
    ("read-only id", {"id": "1"}, ["id"]),
    ("read-only created_at", {"created_at": "2024-01-01T00:00:00Z"}, ["created_at"]),
    ("roundtable_id on PATCH", "roundtable", ["roundtable_id"]),
    ("participant_id on PATCH", "participant", ["participant_id"]),
    ("title cleared", {"title": None}, ["title"]),
    ("themes cleared", {"themes": None}, ["themes"]),
    ("languages cleared", {"languages": None}, ["languages"]),
    ("empty title", {"title": ""}, ["title"]),
    ("theme group", {"themes": ["norms"]}, ["themes[0]"]),
    ("bad status", {"status": "done"}, ["status"]),
    ("bad date", {"window": {"end": "2024-04-31"}}, ["window.end"]),
    ("window end before the stored start", {"window": {"end": "2024-01-01"}}, ["window.end"]),
    ("window start after the stored end", {"window": {"start": "2026-01-01"}}, ["window.end"]),
    ("negative money", "money", None),
    ("capacity or max_partners out of range", "range", None),
]


@pytest.mark.parametrize("kind", ["need", "offer"])
@pytest.mark.parametrize("what,body,fields", PATCH_RULES, ids=[r[0] for r in PATCH_RULES])
def test_patch_validation(world, kind, what, body, fields):
    if kind == "need":
        item = world.new_need(window={"start": "2024-06-01", "end": "2025-06-01"})
        tpl, caller, money, rng = N1, "state_a", "budget_usd", "max_partners"
    else:
        item = world.new_offer(window={"start": "2024-06-01", "end": "2025-06-01"})
        tpl, caller, money, rng = O1, "donor", "funding_usd", "capacity"
    if body == "roundtable":
        body = {"roundtable_id": world.rt["id"]}
    elif body == "participant":
        body = {"participant_id": item["participant_id"]}
    elif body == "money":
        body, fields = {money: -100}, [money]
    elif body == "range":
        body, fields = {rng: 0}, [rng]
    before = world.fingerprint()
    r = world.call("PATCH", tpl, item["id"], as_=caller, body=body, expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


@pytest.mark.parametrize("kind", ["need", "offer"])
def test_json_refusals(world, kind):
    if kind == "need":
        item = world.new_need()
        valid, tpl, tpl1, caller = need_body(world.rt["id"]), N, N1, "state_a"
    else:
        item = world.new_offer()
        valid, tpl, tpl1, caller = offer_body(world.rt["id"]), O, O1, "donor"
    assert_json_refusals(world, "POST", tpl, None, valid, as_=caller)
    assert_json_refusals(world, "PATCH", tpl1, item["id"], {"title": "Valid"}, as_=caller)


def test_nesting_within_the_limit_is_a_422_not_a_400(world):
    deep = 25
    raw = (b'{"roundtable_id": "1", "title": "x", "themes": ["skills.awareness"],'
           b' "languages": ["en"], "extra": ' + b"[" * deep + b"]" * deep + b"}")
    r = world.call("POST", N, as_="state_a", data=raw,
                   headers={"Content-Type": "application/json; charset=utf-8"}, expect=422)
    assert fields_of(r.body) == ["extra"]


@pytest.mark.parametrize("tpl", [N1, O1])
@pytest.mark.parametrize("bad", ["999999999", "abc", "0", "-1", "2.0", "１"])
def test_unknown_and_malformed_ids_are_404(world, tpl, bad):
    caller = "admin"
    for method in ("GET", "PATCH", "DELETE"):
        kw = {"body": {"title": "x"}} if method == "PATCH" else {}
        r = world.call(method, tpl, bad, as_=caller, expect=404, **kw)
        validate(r.body, "Problem")
    # the owning roles get 404 for an unknown id too
    owner = "state_a" if tpl == N1 else "donor"
    for method in ("GET", "PATCH", "DELETE"):
        kw = {"body": {"title": "x"}} if method == "PATCH" else {}
        world.call(method, tpl, bad, as_=owner, expect=404, **kw)


# ---------------------------------------------------------------- filters

@pytest.fixture(scope="module")
def filtered(world):
    """A roundtable of its own with needs and offers chosen for the filters."""
    rt = world.new_roundtable("open")
    rid = rt["id"]
    n = {
        "csirt": world.new_need(rt=rid, themes=["incident.csirt_establishment"],
                                title="Establish a national CSIRT", priority="high"),
        "ir": world.new_need(rt=rid, themes=["skills.awareness", "incident.incident_response"],
                             title="Incident handling", modality="online"),
        "skills": world.new_need(as_="state_b", rt=rid, themes=["skills.awareness"],
                                 title="Campaña de concienciación", languages=["es"]),
        "zh": world.new_need(rt=rid, title="建立国家计算机应急响应小组",
                             description="需要培训和工具", languages=["zh"]),
        "fr": world.new_need(as_="state_b", rt=rid, title="Stratégie nationale",
                             description="Renforcer la sécurité des systèmes d’information",
                             languages=["fr"]),
        "ar": world.new_need(rt=rid, title="بناء القدرات", description="تعزيز الأمن السيبراني",
                             languages=["ar"]),
        "ru": world.new_need(rt=rid, title="Обучение специалистов",
                             description="Кибербезопасность критической инфраструктуры",
                             languages=["ru"]),
        "pct": world.new_need(rt=rid, title="Coverage at 100% of ministries"),
        "pct2": world.new_need(rt=rid, title="Coverage at 1000 ministries"),
        "under": world.new_need(rt=rid, title="Tool snake_case naming"),
        "under2": world.new_need(rt=rid, title="Tool snakeXcase naming"),
        "slash": world.new_need(rt=rid, title="Path C:\\temp\\x"),
    }
    n["withdrawn"] = world.new_need(rt=rid, title="Withdrawn one")
    world.call("DELETE", N1, n["withdrawn"]["id"], as_="state_a", expect=200)
    o = {
        "any": world.new_offer(rt=rid, title="Global offer", themes=["cbm.transparency"]),
        "africa": world.new_offer(rt=rid, title="African offer", regions=["africa"],
                                  kind="funding"),
        "asia": world.new_offer(as_="implementer", rt=rid, title="Asian offer",
                                regions=["asia_pacific"], themes=["incident.incident_response"]),
        "both": world.new_offer(as_="implementer", rt=rid, title="Two regions",
                                regions=["latin_america_caribbean", "africa"],
                                modality="online"),
    }
    o["closed"] = world.new_offer(rt=rid, title="Closed offer")
    world.patch(O1, o["closed"]["id"], {"status": "closed"}, as_="donor")
    # and one elsewhere, which no filter on rid may return
    world.new_need(title="Establish a national CSIRT elsewhere")
    return rid, n, o


def _ids(world, tpl, rid, as_="admin", **params):
    items = world.list_all(tpl, params=dict(params, roundtable_id=rid), as_=as_)
    for it in items:
        validate(it, "Need" if tpl == N else "Offer")
    return [it["id"] for it in items]


def _want(d, *names):
    return sorted((d[k]["id"] for k in names), key=int)


def test_filter_roundtable_and_participant(world, filtered):
    rid, n, o = filtered
    assert _ids(world, N, rid) == _want(n, *n)
    assert _ids(world, N, rid, participant_id=world.p["state_b"]["id"]) == \
        _want(n, "skills", "fr")
    assert _ids(world, O, rid) == _want(o, *o)
    assert _ids(world, O, rid, participant_id=world.p["implementer"]["id"]) == \
        _want(o, "asia", "both")
    for caller in CALLERS:
        assert _ids(world, N, rid, as_=caller) == _want(n, *n)


def test_filter_theme_group_matches_its_themes(world, filtered):
    rid, n, o = filtered
    assert _ids(world, N, rid, theme="incident") == _want(n, *(k for k in n if k != "skills"))
    assert _ids(world, N, rid, theme="skills") == _want(n, "ir", "skills")
    assert _ids(world, N, rid, theme="incident.incident_response") == _want(n, "ir")
    assert _ids(world, N, rid, theme="skills.awareness") == _want(n, "ir", "skills")
    assert _ids(world, N, rid, theme="law") == []
    assert _ids(world, O, rid, theme="cbm") == _want(o, "any")
    assert _ids(world, O, rid, theme="incident") == _want(o, "africa", "asia", "both", "closed")


def test_filter_region(world, filtered):
    rid, n, o = filtered
    # needs: the region of the state that posted them
    assert _ids(world, N, rid, region="latin_america_caribbean") == _want(n, "skills", "fr")
    assert len(_ids(world, N, rid, region="africa")) == len(n) - 2
    assert _ids(world, N, rid, region="eastern_europe") == []
    # offers: unrestricted or listing the region
    assert _ids(world, O, rid, region="africa") == _want(o, "any", "africa", "both", "closed")
    assert _ids(world, O, rid, region="asia_pacific") == _want(o, "any", "asia", "closed")
    assert _ids(world, O, rid, region="latin_america_caribbean") == _want(o, "any", "both",
                                                                           "closed")
    assert _ids(world, O, rid, region="eastern_europe") == _want(o, "any", "closed")


def test_filter_status_and_enums(world, filtered):
    rid, n, o = filtered
    assert _ids(world, N, rid, status="withdrawn") == _want(n, "withdrawn")
    assert len(_ids(world, N, rid, status="open")) == len(n) - 1
    assert _ids(world, N, rid, status="matched") == []
    assert _ids(world, O, rid, status="closed") == _want(o, "closed")
    assert _ids(world, N, rid, priority="high") == _want(n, "csirt")
    assert _ids(world, N, rid, modality="online") == _want(n, "ir")
    assert _ids(world, O, rid, kind="funding") == _want(o, "africa")
    assert _ids(world, O, rid, modality="online") == _want(o, "both")
    assert _ids(world, N, rid, theme="incident", region="africa", status="open",
                priority="high") == _want(n, "csirt")


@pytest.mark.parametrize("q,names", [
    ("应急响应", ["zh"]),            # Chinese, in the title
    ("培训", ["zh"]),                # Chinese, in the description
    ("sécurité", ["fr"]),            # French with accents
    ("SÉCURITÉ DES", ["fr"]),        # ... in another case
    ("d’information", ["fr"]),       # a typographic apostrophe
    ("Stratégie", ["fr"]),
    ("Strategie", []),               # accents are not dropped
    ("الأمن", ["ar"]),               # Arabic
    ("القدرات", ["ar"]),
    ("Кибербезопасность", ["ru"]),   # Russian
    ("кибербезопасность", ["ru"]),   # ... in lower case
    ("специалистов", ["ru"]),
    ("campaña", ["skills"]),
    ("csirt", ["csirt"]),            # ASCII, case-insensitive
    ("100%", ["pct"]),               # % is literal
    ("%", ["pct"]),
    ("snake_case", ["under"]),       # _ is literal
    ("e_c", ["under"]),
    ("_", ["under"]),
    ("C:\\temp", ["slash"]),         # so is the backslash
    ("\\", ["slash"]),
    ("nothing like this", []),
])
def test_filter_q(world, filtered, q, names):
    rid, n, o = filtered
    assert _ids(world, N, rid, q=q) == _want(n, *names)


def test_filter_q_on_offers(world, filtered):
    rid, n, o = filtered
    assert _ids(world, O, rid, q="african") == _want(o, "africa")
    assert _ids(world, O, rid, q="regions") == _want(o, "both")


@pytest.mark.parametrize("tpl", [N, O])
@pytest.mark.parametrize("params", [
    {"theme": "nope"}, {"theme": "incident.nope"}, {"region": "europe"}, {"status": "bogus"},
    {"roundtable_id": "abc"}, {"participant_id": "0"}, {"q": "x" * 201}, {"colour": "red"},
    {"limit": "0"}, {"limit": "501"}, {"limit": "x"}, {"cursor": "!"},
    {"status": "open", "priority": "urgent"}, {"modality": "telepathy"},
])
def test_bad_filters_are_400(world, tpl, params):
    if tpl == O and "priority" in params:
        params = {"kind": "gift"}
    r = world.call("GET", tpl, params=params, expect=400)
    validate(r.body, "Problem")


@pytest.mark.parametrize("tpl", [N, O, f"{V1}/participants"])
@pytest.mark.parametrize("raw", [b"\xff", b"\xc3", b"caf\xc3", b"\xed\xa0\x80",
                                 b"\xc0\xaf", b"\xf4\x90\x80\x80"])
def test_q_that_is_not_utf8_is_400(world, tpl, raw):
    """Bytes PostgreSQL cannot take as text are the client's error, never a 500."""
    r = world.call("GET", tpl, params={"q": raw}, expect=400)
    validate(r.body, "Problem")
    r = world.call("GET", tpl, params={raw.decode("latin-1"): "x"}, expect=400)
    validate(r.body, "Problem")


def test_unknown_parameter_named_in_long_text_stays_utf8(world):
    name = "a" + "国" * 120
    r = world.call("GET", N, params={name: "1"}, expect=400)
    assert r.body["detail"]  # the body parsed as UTF-8 JSON


def test_q_of_200_characters_is_fine(world):
    world.get(N, params={"q": "é" * 200})


def test_repeated_filter_is_400(world):
    r = world.call("GET", N + "?status=open&status=open", expect=400, check=False)
    validate(r.json(), "Problem")


# ---------------------------------------------------------------- Unicode

TEXTS = [
    "建立国家计算机应急响应小组（CSIRT）",
    "إنشاء فريق وطني للاستجابة لحوادث الحاسوب",
    "Создание национальной группы реагирования",
    "Cre\u0301ation d’une e\u0301quipe",       # combining accents (NFD), kept as sent
    "Création d’une équipe",                  # precomposed (NFC), a different string
    "Emoji 🚨🔐👩🏽‍💻 and flags 🇰🇪",
    "Zero\u200bwidth\u200d joiner and \u202eRTL override",
    "Tab\tnew\nline \"quotes\" \\ backslash </script>",
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("escaped", [False, True], ids=["raw UTF-8", "\\u escapes"])
def test_unicode_round_trips_byte_exact(world, text, escaped):
    body = need_body(world.rt["id"], title=text, description=text * 3)
    raw = json.dumps(body, ensure_ascii=escaped).encode("utf-8")
    r = world.call("POST", N, as_="state_a", data=raw,
                   headers={"Content-Type": "application/json"}, expect=201)
    n = r.body
    assert n["title"] == text and n["description"] == text * 3
    got = world.get(N1, n["id"])
    assert got["title"] == text
    hexed = world.pg.psql(f"SELECT encode(convert_to(title, 'UTF8'), 'hex') FROM needs"
                          f" WHERE id = {n['id']}")
    assert hexed == text.encode("utf-8").hex()
    # and found by its own text
    assert n["id"] in [x["id"] for x in world.list_all(N, params={"q": text[:12]})]


def test_length_counts_characters_not_bytes(world):
    for ch in ("国", "🚨", "é"):
        n = world.new_need(title=ch * 300)
        assert n["title"] == ch * 300
        r = world.call("POST", N, as_="state_a", body=need_body(world.rt["id"], title=ch * 301),
                       expect=422)
        assert fields_of(r.body) == ["title"]
