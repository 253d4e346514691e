"""Participants over real HTTP and PostgreSQL: create, read, list with filters, patch (by staff
and by the participant itself), every validation rule with its field path, JSON refusals."""
import json

import pytest

from domain_fixtures import *  # noqa: F401,F403

P = f"{V1}/participants"
P1 = f"{V1}/participants/{{id}}"


# ---------------------------------------------------------------- success

def test_create_state_derives_region_and_reads_back(world):
    body = {"name": "Côte d’Ivoire", "kind": "state", "country": "CIV", "languages": ["fr"],
            "contact": {"name": "Awa Koné", "email": "awa.kone@example.org"}}
    p = world.post(P, body, as_="organizer")
    validate(p, "Participant")
    assert p["region"] == "africa" and p["country"] == "CIV"
    assert p["name"] == "Côte d’Ivoire" and p["languages"] == ["fr"]
    assert p["contact"] == {"name": "Awa Koné", "email": "awa.kone@example.org"}
    assert p["created_at"] == p["updated_at"]
    assert world.get(P1, p["id"]) == p
    for caller in CALLERS:  # any token reads; the email only staff (docs/security.md)
        want = p if ROLE_OF[caller] in ("admin", "organizer") else \
            dict(p, contact={"name": "Awa Koné", "email": None})
        assert world.get(P1, p["id"], as_=caller) == want


def test_create_with_matching_region_and_other_kinds(world):
    s = world.post(P, {"name": "France", "kind": "state", "country": "FRA",
                       "region": "western_europe_others"})
    assert s["region"] == "western_europe_others" and s["languages"] == []
    d = world.post(P, {"name": "Fund", "kind": "donor"})
    assert d["country"] is None and d["region"] is None
    assert d["contact"] == {"name": None, "email": None}
    i = world.post(P, {"name": "Institute", "kind": "implementer", "region": "eastern_europe",
                       "country": None, "languages": None, "contact": None})
    assert i["region"] == "eastern_europe" and i["country"] is None and i["languages"] == []
    o = world.post(P, {"name": "Organizing office", "kind": "organizer", "country": "USA"})
    assert o["region"] == "western_europe_others"
    # a non-state's region may be given alone (a regional donor)
    assert world.post(P, {"name": "Regional fund", "kind": "donor",
                          "region": "asia_pacific"})["region"] == "asia_pacific"


def test_list_filters(world):
    t = tag()
    a = world.post(P, {"name": f"Alpha {t}", "kind": "state", "country": "KEN"})
    b = world.post(P, {"name": f"Beta {t}", "kind": "state", "country": "JPN"})
    c = world.post(P, {"name": f"Gamma {t} Fund", "kind": "donor"})

    def ids(**params):
        items = world.list_all(P, params=dict(params, q=t))
        for it in items:
            validate(it, "Participant")
        return [it["id"] for it in items]

    assert ids() == [a["id"], b["id"], c["id"]]
    assert ids(kind="state") == [a["id"], b["id"]]
    assert ids(kind="donor") == [c["id"]]
    assert ids(region="asia_pacific") == [b["id"]]
    assert ids(country="KEN") == [a["id"]]
    assert ids(region="africa", kind="donor") == []
    # q is case-insensitive and matches anywhere in the name
    assert [x["id"] for x in world.list_all(P, params={"q": f"GAMMA {t.upper()}"})] == [c["id"]]
    u = world.post(P, {"name": f"Côte {t} d’Ivoire", "kind": "state", "country": "CIV"})
    assert [x["id"] for x in world.list_all(P, params={"q": f"côte {t} d’"})] == [u["id"]]
    for caller in CALLERS:
        world.get(P, params={"q": t}, as_=caller)


@pytest.mark.parametrize("params", [
    {"kind": "king"}, {"region": "europe"}, {"country": "XXX"}, {"country": "ken"},
    {"colour": "red"}, {"limit": "0"}, {"cursor": "zzz"},
])
def test_list_bad_query_is_400(world, params):
    r = world.call("GET", P, params=params, expect=400)
    validate(r.body, "Problem")


def test_patch_by_staff(world):
    p = world.post(P, {"name": "Kenya", "kind": "state", "country": "KEN", "languages": ["en"],
                       "contact": {"name": "Amina", "email": "amina@example.org"}})
    q = world.patch(P1, p["id"], {"name": "Republic of Kenya", "languages": ["en", "sw"]},
                    as_="organizer")
    validate(q, "Participant")
    assert q["name"] == "Republic of Kenya" and q["languages"] == ["en", "sw"]
    assert q["created_at"] == p["created_at"] and q["updated_at"] >= p["updated_at"]
    # contact merges: a key left out stays, null clears it
    q = world.patch(P1, p["id"], {"contact": {"email": "desk@example.ke"}})
    assert q["contact"] == {"name": "Amina", "email": "desk@example.ke"}
    q = world.patch(P1, p["id"], {"contact": {"name": None}})
    assert q["contact"] == {"name": None, "email": "desk@example.ke"}
    q = world.patch(P1, p["id"], {"contact": None})
    assert q["contact"] == {"name": None, "email": None}
    # a new country re-derives the region; both may change together
    q = world.patch(P1, p["id"], {"country": "JPN"})
    assert (q["country"], q["region"]) == ("JPN", "asia_pacific")
    q = world.patch(P1, p["id"], {"country": "POL", "region": "eastern_europe"})
    assert (q["country"], q["region"]) == ("POL", "eastern_europe")
    q = world.patch(P1, p["id"], {"languages": None})
    assert q["languages"] == []
    q = world.patch(P1, p["id"], {})
    assert q["name"] == "Republic of Kenya"
    assert world.get(P1, p["id"]) == q


def test_patch_by_the_participant_itself(world):
    p = world.p["state_a"]
    q = world.patch(P1, p["id"], {"languages": ["en", "sw", "fr"],
                                  "contact": {"name": "Delegation", "email": "un@example.ke"}},
                    as_="state_a")
    assert q["languages"] == ["en", "sw", "fr"] and q["contact"]["name"] == "Delegation"
    q = world.patch(P1, world.p["donor"]["id"], {"name": "Donor Agency"}, as_="donor")
    assert q["name"] == "Donor Agency"
    for field, value in (("kind", "donor"), ("country", "TZA"), ("region", "africa")):
        r = world.call("PATCH", P1, p["id"], as_="state_a", body={field: value}, expect=422)
        assert fields_of(r.body) == [field]
    # another participant: 403, whoever it is
    for caller, other in (("state_a", "state_b"), ("state_b", "state_a"), ("donor", "implementer"),
                          ("implementer", "state_a"), ("donor", "organizer")):
        before = world.fingerprint()
        world.call("PATCH", P1, world.p[other]["id"], as_=caller, body={"name": "x"}, expect=403)
        assert world.fingerprint() == before


# ---------------------------------------------------------------- validation

LONG = "x" * 201
CREATE_RULES = [
    # (what, body, fields)
    ("unknown field", {"name": "A", "kind": "donor", "colour": "red"}, ["colour"]),
    ("read-only id", {"name": "A", "kind": "donor", "id": "7"}, ["id"]),
    ("read-only created_at", {"name": "A", "kind": "donor", "created_at": "2024-01-01T00:00:00Z"},
     ["created_at"]),
    ("read-only updated_at", {"name": "A", "kind": "donor", "updated_at": "x"}, ["updated_at"]),
    ("missing name", {"kind": "donor"}, ["name"]),
    ("missing kind", {"name": "A"}, ["kind"]),
    ("empty name", {"name": "", "kind": "donor"}, ["name"]),
    ("blank name", {"name": " \t ", "kind": "donor"}, ["name"]),
    ("name too long", {"name": LONG, "kind": "donor"}, ["name"]),
    ("name not a string", {"name": 5, "kind": "donor"}, ["name"]),
    ("name null", {"name": None, "kind": "donor"}, ["name"]),
    ("bad kind", {"name": "A", "kind": "ngo"}, ["kind"]),
    ("unknown country", {"name": "A", "kind": "state", "country": "XXX"}, ["country"]),
    ("lower-case country", {"name": "A", "kind": "state", "country": "ken"}, ["country"]),
    ("alpha-2 country", {"name": "A", "kind": "state", "country": "KE"}, ["country"]),
    ("unknown region", {"name": "A", "kind": "donor", "region": "europe"}, ["region"]),
    ("region not matching country",
     {"name": "A", "kind": "state", "country": "KEN", "region": "asia_pacific"}, ["region"]),
    ("state without country", {"name": "A", "kind": "state"}, ["country"]),
    ("state with null country", {"name": "A", "kind": "state", "country": None}, ["country"]),
    ("unknown language", {"name": "A", "kind": "donor", "languages": ["en", "xx"]},
     ["languages[1]"]),
    ("repeated language", {"name": "A", "kind": "donor", "languages": ["en", "fr", "en"]},
     ["languages[2]"]),
    ("languages not an array", {"name": "A", "kind": "donor", "languages": "en"}, ["languages"]),
    ("too many languages", {"name": "A", "kind": "donor",
                            "languages": ["ar", "zh", "en", "fr", "ru", "es", "de", "pt", "ja",
                                          "ko", "it", "nl", "sw", "hi", "tr", "pl", "uk", "fa",
                                          "id", "vi", "th"]}, ["languages"]),
    ("bad email: no at", {"name": "A", "kind": "donor", "contact": {"email": "nobody"}},
     ["contact.email"]),
    ("bad email: no dot", {"name": "A", "kind": "donor", "contact": {"email": "a@localhost"}},
     ["contact.email"]),
    ("bad email: space", {"name": "A", "kind": "donor", "contact": {"email": "a b@c.org"}},
     ["contact.email"]),
    ("bad email: two ats", {"name": "A", "kind": "donor", "contact": {"email": "a@b@c.org"}},
     ["contact.email"]),
    ("bad email: dot after at", {"name": "A", "kind": "donor", "contact": {"email": "a@.org"}},
     ["contact.email"]),
    ("bad email: vertical tab", {"name": "A", "kind": "donor",
                                 "contact": {"email": "a\u000bb@c.org"}}, ["contact.email"]),
    ("bad email: not a string", {"name": "A", "kind": "donor", "contact": {"email": 5}},
     ["contact.email"]),
    ("contact name too long", {"name": "A", "kind": "donor", "contact": {"name": LONG}},
     ["contact.name"]),
    ("unknown contact field", {"name": "A", "kind": "donor", "contact": {"phone": "1"}},
     ["contact.phone"]),
    ("contact not an object", {"name": "A", "kind": "donor", "contact": "desk@example.org"},
     ["contact"]),
]


@pytest.mark.parametrize("what,body,fields", CREATE_RULES, ids=[r[0] for r in CREATE_RULES])
def test_create_validation(world, what, body, fields):
    before = world.fingerprint()
    r = world.call("POST", P, body=body, expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


def test_create_reports_every_bad_field_at_once(world):
    r = world.call("POST", P, body={"name": "", "kind": "ngo", "country": "XXX", "id": "1",
                                    "languages": ["xx"]}, expect=422)
    assert sorted(fields_of(r.body)) == ["country", "id", "kind", "languages[0]", "name"]


PATCH_RULES = [
    ("unknown field", {"colour": "red"}, ["colour"]),
    ("read-only id", {"id": "1"}, ["id"]),
    ("read-only created_at", {"created_at": "2024-01-01T00:00:00Z"}, ["created_at"]),
    ("name cleared", {"name": None}, ["name"]),
    ("kind cleared", {"kind": None}, ["kind"]),
    ("empty name", {"name": ""}, ["name"]),
    ("bad kind", {"kind": "ngo"}, ["kind"]),
    ("unknown country", {"country": "XXX"}, ["country"]),
    ("region not matching the given country", {"country": "KEN", "region": "asia_pacific"},
     ["region"]),
    ("region not matching the stored country", {"region": "asia_pacific"}, ["region"]),
    ("a state's country cleared", {"country": None}, ["country"]),
    ("bad email", {"contact": {"email": "nobody"}}, ["contact.email"]),
    ("unknown language", {"languages": ["zz"]}, ["languages[0]"]),
]


@pytest.mark.parametrize("what,body,fields", PATCH_RULES, ids=[r[0] for r in PATCH_RULES])
def test_patch_validation(world, what, body, fields):
    p = world.p["state_b"]  # Chile, latin_america_caribbean
    before = world.fingerprint()
    r = world.call("PATCH", P1, p["id"], body=body, expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before
    assert world.get(P1, p["id"])["region"] == "latin_america_caribbean"


def test_kind_change_to_state_needs_a_country(world):
    d = world.post(P, {"name": "Fund", "kind": "donor"})
    r = world.call("PATCH", P1, d["id"], body={"kind": "state"}, expect=422)
    assert fields_of(r.body) == ["country"]
    q = world.patch(P1, d["id"], {"kind": "state", "country": "NZL"})
    assert (q["kind"], q["region"]) == ("state", "western_europe_others")


def test_unknown_and_malformed_ids_are_404(world):
    for bad in ("999999999", "0", "-1", "abc", "1.5", "01", "1e3", "99999999999999999999"):
        r = world.call("GET", P1, bad, expect=404)
        validate(r.body, "Problem")
        world.call("PATCH", P1, bad, body={"name": "x"}, expect=404)


def test_json_refusals(world):
    assert_json_refusals(world, "POST", P, None, {"name": "Valid", "kind": "donor"})
    assert_json_refusals(world, "PATCH", P1, world.p["donor"]["id"], {"name": "Valid"})
    assert_json_refusals(world, "PATCH", P1, world.p["state_a"]["id"], {"name": "Kenya"},
                         as_="state_a")


def test_unicode_is_kept_byte_exact(world):
    names = ["中华人民共和国", "المملكة العربية السعودية", "Российская Федерация",
             "Cafe\u0301 Côte", "🌍 Earth 🚀", "\u0633\u0644\u0627\u0645 \u200f"]
    for name in names:
        p = world.post(P, {"name": name, "kind": "donor"})
        assert p["name"] == name
        raw = world.call("GET", P1, p["id"]).content
        assert name.encode("utf-8") in raw or json.dumps(name).encode() in raw
        assert world.pg.psql(f"SELECT encode(convert_to(name, 'UTF8'), 'hex') FROM participants"
                             f" WHERE id = {p['id']}") == name.encode("utf-8").hex()
    # 200 code points is the limit however many bytes they take
    world.post(P, {"name": "国" * 200, "kind": "donor"})
    world.post(P, {"name": "🚀" * 200, "kind": "donor"})
    r = world.call("POST", P, body={"name": "国" * 201, "kind": "donor"}, expect=422)
    assert fields_of(r.body) == ["name"]


def test_kind_cannot_cross_between_state_and_provider_once_in_use(world):
    """A state with a token (or postings) cannot become a provider, nor the reverse, since
    its tokens and postings were made for its kind; donor <-> implementer stays allowed."""
    s = world.post(P, {"name": "Ruritania", "kind": "state", "country": "MLT"})
    world.new_token("state", s["id"])
    before = world.fingerprint()
    r = world.call("PATCH", P1, s["id"], body={"kind": "donor"}, expect=422)
    assert fields_of(r.body) == ["kind"]
    assert world.fingerprint() == before
    d = world.post(P, {"name": "Fund B", "kind": "donor"})
    world.new_token("provider", d["id"])
    assert world.patch(P1, d["id"], {"kind": "implementer"})["kind"] == "implementer"
    r = world.call("PATCH", P1, d["id"], body={"kind": "state", "country": "MLT"}, expect=422)
    assert fields_of(r.body) == ["kind"]
