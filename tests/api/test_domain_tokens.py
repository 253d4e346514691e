"""Tokens over real HTTP and PostgreSQL: creation by admin and organizer (never an admin token by
an organizer), the secret shown once and stored only as a SHA-256, role/participant binding,
listing (organizers do not see admin tokens), revocation and its effect."""
import hashlib

import pytest

from domain_fixtures import *  # noqa: F401,F403

T = f"{V1}/tokens"
T1 = f"{V1}/tokens/{{id}}"


def works(world, token):
    return world.call("GET", f"{V1}/roundtables", token=token, params={"limit": "1"}).status_code


# ---------------------------------------------------------------- create

@pytest.mark.parametrize("creator", ["admin", "organizer"])
def test_create_each_role(world, creator):
    made = {
        "organizer": world.new_token("organizer", as_=creator, label="desk"),
        "organizer bound": world.new_token("organizer", world.p["organizer"]["id"], as_=creator),
        "state": world.new_token("state", world.p["state_a"]["id"], as_=creator),
        "provider (donor)": world.new_token("provider", world.p["donor"]["id"], as_=creator),
        "provider (implementer)": world.new_token("provider", world.p["implementer"]["id"],
                                                  as_=creator),
    }
    if creator == "admin":
        made["admin"] = world.new_token("admin", as_=creator, label="second admin")
    for what, t in made.items():
        validate(t, "TokenCreated")
        assert t["revoked_at"] is None, what
        assert works(world, t["token"]) == 200, what
    assert made["organizer"]["participant_id"] is None and made["organizer"]["label"] == "desk"
    assert made["state"]["participant_id"] == world.p["state_a"]["id"]
    assert made["state"]["role"] == "state"
    # each token differs and only its SHA-256 is stored
    secrets = [t["token"] for t in made.values()]
    assert len(set(secrets)) == len(secrets)
    for t in made.values():
        stored = world.pg.psql(f"SELECT encode(hash, 'hex') FROM tokens WHERE id = {t['id']}")
        assert stored == hashlib.sha256(t["token"].encode()).hexdigest()
        row = world.pg.psql(f"SELECT t::text FROM tokens t WHERE id = {t['id']}")
        assert t["token"] not in row and t["token"][3:] not in row


def test_a_new_token_acts_with_its_role(world):
    t = world.new_token("state", world.p["state_b"]["id"])
    need = world.post(f"{V1}/needs", need_body(world.rt["id"]), token=t["token"])
    assert need["participant_id"] == world.p["state_b"]["id"]
    world.call("POST", f"{V1}/roundtables", token=t["token"], body={"title": "x"}, expect=403)


def test_organizer_cannot_create_an_admin_token(world):
    before = world.fingerprint()
    r = world.call("POST", T, as_="organizer", body={"role": "admin", "label": "x"}, expect=403)
    validate(r.body, "Problem")
    assert world.fingerprint() == before


@pytest.mark.parametrize("caller", ["state_a", "donor"])
def test_parties_cannot_create_tokens(world, caller):
    before = world.fingerprint()
    world.call("POST", T, as_=caller, expect=403,
               body={"role": ROLE_OF[caller], "participant_id": world.p[caller]["id"]})
    assert world.fingerprint() == before


RULES = [
    ("unknown field", lambda w: {"role": "organizer", "scope": "all"}, ["scope"]),
    ("missing role", lambda w: {"label": "x"}, ["role"]),
    ("bad role", lambda w: {"role": "king"}, ["role"]),
    ("role not a string", lambda w: {"role": 1}, ["role"]),
    ("label too long", lambda w: {"role": "organizer", "label": "x" * 201}, ["label"]),
    ("label not a string", lambda w: {"role": "organizer", "label": 5}, ["label"]),
    ("participant_id a number", lambda w: {"role": "state", "participant_id": 1},
     ["participant_id"]),
    ("participant_id malformed", lambda w: {"role": "state", "participant_id": "01"},
     ["participant_id"]),
    ("state token without participant", lambda w: {"role": "state"}, ["participant_id"]),
    ("provider token without participant", lambda w: {"role": "provider"}, ["participant_id"]),
    ("state token for a donor", lambda w: {"role": "state",
                                           "participant_id": w.p["donor"]["id"]},
     ["participant_id"]),
    ("provider token for a state", lambda w: {"role": "provider",
                                              "participant_id": w.p["state_a"]["id"]},
     ["participant_id"]),
    ("provider token for an organizer", lambda w: {"role": "provider",
                                                   "participant_id": w.p["organizer"]["id"]},
     ["participant_id"]),
    ("unknown participant", lambda w: {"role": "state", "participant_id": "999999999"},
     ["participant_id"]),
    ("read-only id", lambda w: {"role": "organizer", "id": "5"}, ["id"]),
    ("token given", lambda w: {"role": "organizer", "token": "rt_" + "a" * 43}, ["token"]),
]


@pytest.mark.parametrize("what,make,fields", RULES, ids=[r[0] for r in RULES])
def test_create_validation(world, what, make, fields):
    before = world.fingerprint()
    r = world.call("POST", T, body=make(world), expect=422)
    assert fields_of(r.body) == fields, r.body
    assert world.fingerprint() == before


def test_json_refusals(world):
    assert_json_refusals(world, "POST", T, None, {"role": "organizer"})


# ---------------------------------------------------------------- list

def test_list_hides_secrets_and_admin_tokens_from_organizers(world):
    extra = world.new_token("admin", label="listed")
    bound = world.new_token("state", world.p["state_a"]["id"], label="bound")
    everything = world.list_all(T)
    for t in everything:
        validate(t, "Token")
        assert "token" not in t
    ids = [t["id"] for t in everything]
    assert ids == sorted(ids, key=int)
    assert extra["id"] in ids and bound["id"] in ids
    assert len(ids) == world.count("tokens")
    seen = world.list_all(T, as_="organizer")
    assert all(t["role"] != "admin" for t in seen)
    assert [t["id"] for t in seen] == [t["id"] for t in everything if t["role"] != "admin"]
    only = world.list_all(T, params={"participant_id": world.p["state_a"]["id"]})
    assert {t["participant_id"] for t in only} == {world.p["state_a"]["id"]}
    assert bound["id"] in [t["id"] for t in only]


@pytest.mark.parametrize("params", [{"participant_id": "x"}, {"participant_id": "0"},
                                    {"role": "admin"}, {"limit": "501"}, {"cursor": "c0"}])
def test_list_bad_query_is_400(world, params):
    world.call("GET", T, params=params, expect=400)


# ---------------------------------------------------------------- revoke

def test_revoke_by_admin_makes_the_token_401(world):
    t = world.new_token("provider", world.p["donor"]["id"])
    assert works(world, t["token"]) == 200
    r = world.call("DELETE", T1, t["id"], expect=204)
    assert r.content == b""
    r = world.call("GET", f"{V1}/roundtables", token=t["token"], expect=401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    listed = {x["id"]: x for x in world.list_all(T)}[t["id"]]
    assert listed["revoked_at"] is not None
    # revoking again is harmless and keeps the first time
    world.call("DELETE", T1, t["id"], expect=204)
    assert {x["id"]: x for x in world.list_all(T)}[t["id"]]["revoked_at"] == listed["revoked_at"]
    assert works(world, t["token"]) == 401


def test_who_may_revoke_what(world):
    admin2 = world.new_token("admin")
    state = world.new_token("state", world.p["state_a"]["id"])
    other = world.new_token("state", world.p["state_b"]["id"])
    prov = world.new_token("provider", world.p["implementer"]["id"])
    # an organizer cannot see (so cannot revoke) an admin token
    world.call("DELETE", T1, admin2["id"], as_="organizer", expect=404)
    assert works(world, admin2["token"]) == 200
    # a state or provider cannot revoke another's token
    world.call("DELETE", T1, other["id"], token=state["token"], expect=404)
    world.call("DELETE", T1, state["id"], token=prov["token"], expect=404)
    assert works(world, other["token"]) == 200 and works(world, state["token"]) == 200
    # but may revoke its own
    world.call("DELETE", T1, state["id"], token=state["token"], expect=204)
    assert works(world, state["token"]) == 401
    # an organizer revokes non-admin tokens, an admin any
    world.call("DELETE", T1, other["id"], as_="organizer", expect=204)
    world.call("DELETE", T1, admin2["id"], as_="admin", expect=204)
    world.call("DELETE", T1, prov["id"], token=prov["token"], expect=204)
    for t in (admin2, other, prov):
        assert works(world, t["token"]) == 401


@pytest.mark.parametrize("bad", ["999999999", "abc", "0", "-3", "1.0"])
def test_revoke_unknown_or_malformed_id_is_404(world, bad):
    r = world.call("DELETE", T1, bad, expect=404)
    validate(r.body, "Problem")


@pytest.mark.parametrize("caller", ["admin", "organizer", "state_a", "donor"])
def test_me_tells_the_caller_who_it_is(world, caller):
    r = world.call("GET", f"{V1}/me", as_=caller, expect=200)
    validate(r.body, "Me")
    assert r.body["token_id"] == str(world.tok_id[caller])
    assert r.body["role"] == ROLE_OF[caller]
    if caller in world.p:
        assert r.body["participant_id"] == world.p[caller]["id"]
        assert r.body["participant"]["name"] == world.p[caller]["name"]
    else:
        assert r.body["participant"] is None or r.body["participant_id"] is not None
    assert "token" not in r.body


def test_me_needs_a_token(world):
    world.call("GET", f"{V1}/me", token=None, expect=401)
