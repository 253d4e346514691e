"""Roundtables over real HTTP and PostgreSQL: create, read, list, patch, status moving only
forward (planned -> open -> closed), every validation rule, JSON refusals, 404s."""
import pytest

from domain_fixtures import *  # noqa: F401,F403

R = f"{V1}/roundtables"
R1 = f"{V1}/roundtables/{{id}}"


def test_create_read_and_defaults(world):
    body = {"title": "Global Roundtable on ICT Security Capacity-Building",
            "starts_on": "2024-05-10", "ends_on": "2024-05-10", "location": "New York",
            "description": "第一次全球信息通信技术安全能力建设圆桌会议"}
    rt = world.post(R, body, as_="organizer")
    validate(rt, "Roundtable")
    for k, v in body.items():
        assert rt[k] == v, k
    assert rt["status"] == "planned" and rt["created_at"] == rt["updated_at"]
    for caller in CALLERS:
        assert world.get(R1, rt["id"], as_=caller) == rt
    bare = world.post(R, {"title": "Bare"})
    assert (bare["starts_on"], bare["ends_on"], bare["location"], bare["description"]) == \
        (None, None, "", "")
    # a status may be given on create
    assert world.post(R, {"title": "Opened at once", "status": "open"})["status"] == "open"
    # nulls are accepted on create for the optional fields
    n = world.post(R, {"title": "Nulls", "starts_on": None, "location": None,
                       "description": None})
    assert (n["starts_on"], n["location"], n["description"]) == (None, "", "")


def test_list_and_status_filter(world):
    a = world.new_roundtable("planned")
    b = world.new_roundtable("open")
    c = world.new_roundtable("closed")
    everything = world.list_all(R)
    for x in everything:
        validate(x, "Roundtable")
    ids = [x["id"] for x in everything]
    assert ids == sorted(ids, key=int) and len(ids) == world.count("roundtables")
    for status, rt in (("planned", a), ("open", b), ("closed", c)):
        got = world.list_all(R, params={"status": status}, as_="state_a")
        assert all(x["status"] == status for x in got)
        assert rt["id"] in [x["id"] for x in got]


@pytest.mark.parametrize("params", [{"status": "finished"}, {"q": "x"}, {"limit": "x"},
                                    {"cursor": "C1"}, {"status": "open", "status2": "x"}])
def test_list_bad_query_is_400(world, params):
    world.call("GET", R, params=params, expect=400)


def test_patch_fields(world):
    rt = world.new_roundtable("planned")
    p = world.patch(R1, rt["id"], {"title": "Renamed", "location": "Genève",
                                   "description": "Deuxième table ronde"}, as_="organizer")
    validate(p, "Roundtable")
    assert (p["title"], p["location"], p["description"]) == ("Renamed", "Genève",
                                                             "Deuxième table ronde")
    assert p["starts_on"] == rt["starts_on"] and p["updated_at"] >= rt["updated_at"]
    p = world.patch(R1, rt["id"], {"starts_on": None, "location": None})
    assert p["starts_on"] is None and p["location"] == "" and p["ends_on"] == rt["ends_on"]
    p = world.patch(R1, rt["id"], {"starts_on": "2024-05-01", "ends_on": "2024-05-03"})
    assert (p["starts_on"], p["ends_on"]) == ("2024-05-01", "2024-05-03")
    assert world.get(R1, rt["id"]) == p


def test_status_moves_forward_only(world):
    rt = world.new_roundtable("planned")
    assert world.patch(R1, rt["id"], {"status": "planned"})["status"] == "planned"
    assert world.patch(R1, rt["id"], {"status": "open"})["status"] == "open"
    r = world.call("PATCH", R1, rt["id"], body={"status": "planned"}, expect=409)
    validate(r.body, "Problem")
    assert world.patch(R1, rt["id"], {"status": "open"})["status"] == "open"
    assert world.patch(R1, rt["id"], {"status": "closed"}, as_="organizer")["status"] == "closed"
    for back in ("open", "planned"):
        before = world.fingerprint()
        world.call("PATCH", R1, rt["id"], body={"status": back, "title": "Not applied"},
                   expect=409)
        assert world.fingerprint() == before
    assert world.get(R1, rt["id"])["status"] == "closed"
    assert world.patch(R1, rt["id"], {"status": "closed"})["status"] == "closed"
    # planned may close at once
    rt2 = world.new_roundtable("planned")
    assert world.patch(R1, rt2["id"], {"status": "closed"})["status"] == "closed"


def test_a_closed_roundtable_takes_no_postings(world):
    rt = world.new_roundtable("closed")
    before = world.fingerprint()
    world.call("POST", f"{V1}/needs", as_="state_a", body=need_body(rt["id"]), expect=409)
    world.call("POST", f"{V1}/offers", as_="donor", body=offer_body(rt["id"]), expect=409)
    assert world.fingerprint() == before
    # a planned one does
    planned = world.new_roundtable("planned")
    world.post(f"{V1}/needs", need_body(planned["id"]), as_="state_a")


CREATE_RULES = [
    ("unknown field", {"title": "A", "venue": "x"}, ["venue"]),
    ("read-only id", {"title": "A", "id": "1"}, ["id"]),
    ("read-only created_at", {"title": "A", "created_at": "2024-01-01T00:00:00Z"},
     ["created_at"]),
    ("read-only updated_at", {"title": "A", "updated_at": "2024-01-01T00:00:00Z"},
     ["updated_at"]),
    ("missing title", {"location": "x"}, ["title"]),
    ("empty title", {"title": ""}, ["title"]),
    ("blank title", {"title": "   "}, ["title"]),
    ("title too long", {"title": "x" * 301}, ["title"]),
    ("title not a string", {"title": ["x"]}, ["title"]),
    ("location too long", {"title": "A", "location": "x" * 301}, ["location"]),
    ("description too long", {"title": "A", "description": "x" * 20001}, ["description"]),
    ("bad date", {"title": "A", "starts_on": "2024-02-30"}, ["starts_on"]),
    ("date with time", {"title": "A", "ends_on": "2024-05-10T00:00:00Z"}, ["ends_on"]),
    ("date as number", {"title": "A", "starts_on": 20240510}, ["starts_on"]),
    ("date in another format", {"title": "A", "starts_on": "10/05/2024"}, ["starts_on"]),
    ("ends before it starts", {"title": "A", "starts_on": "2024-05-10",
                               "ends_on": "2024-05-09"}, ["ends_on"]),
    ("bad status", {"title": "A", "status": "cancelled"}, ["status"]),
]


@pytest.mark.parametrize("what,body,fields", CREATE_RULES, ids=[r[0] for r in CREATE_RULES])
def test_create_validation(world, what, body, fields):
    before = world.fingerprint()
    r = world.call("POST", R, body=body, expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


def test_long_values_at_the_limit_are_accepted(world):
    rt = world.post(R, {"title": "会" * 300, "location": "🌐" * 300,
                        "description": "é" * 20000})
    assert rt["title"] == "会" * 300 and rt["location"] == "🌐" * 300


PATCH_RULES = [
    ("unknown field", {"venue": "x"}, ["venue"]),
    ("read-only id", {"id": "1"}, ["id"]),
    ("title cleared", {"title": None}, ["title"]),
    ("empty title", {"title": ""}, ["title"]),
    ("bad status", {"status": "cancelled"}, ["status"]),
    ("bad date", {"ends_on": "2024-13-01"}, ["ends_on"]),
    ("ends before the stored start", {"ends_on": "2024-05-01"}, ["ends_on"]),
    ("starts after the stored end", {"starts_on": "2024-06-01"}, ["ends_on"]),
]


@pytest.mark.parametrize("what,body,fields", PATCH_RULES, ids=[r[0] for r in PATCH_RULES])
def test_patch_validation(world, what, body, fields):
    before = world.fingerprint()
    r = world.call("PATCH", R1, world.rt["id"], body=body, expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


@pytest.mark.parametrize("bad", ["999999999", "abc", "0", "-1", "1x", "%20"])
def test_unknown_and_malformed_ids_are_404(world, bad):
    for method, body in (("GET", None), ("PATCH", {"title": "x"})):
        kw = {"body": body} if body else {}
        r = world.call(method, R1, bad, expect=404, **kw)
        validate(r.body, "Problem")


def test_json_refusals(world):
    assert_json_refusals(world, "POST", R, None, {"title": "Valid"})
    assert_json_refusals(world, "PATCH", R1, world.rt["id"], {"title": "Valid"})
