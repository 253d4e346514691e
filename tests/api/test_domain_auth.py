"""Who may do what, over real HTTP and PostgreSQL.

The role matrix comes from the routes[] table of service/api/api.c (parsed as test_openapi.py
does): for every authenticated route, every role the table leaves out gets 403 and writes
nothing, every role it lists gets past the gate; every route answers 401 without a token, with
a malformed, unknown or revoked one; 404 for unknown and non-numeric ids for every role that
may use the route; and the own-only rules: a state or provider acts only for its participant,
an organizer never mints an admin token."""
import pytest

from domain_fixtures import *  # noqa: F401,F403
from test_openapi import route_table

ROLE_CALLER = {"admin": "admin", "organizer": "organizer", "state": "state_a",
               "provider": "donor"}
ROLES = tuple(ROLE_CALLER)
UNKNOWN = "999999999"


@pytest.fixture(scope="module")
def table():
    return {k: v for k, v in route_table().items() if v}  # authenticated routes only


def own_participant(world, caller):
    return world.p.get(caller, world.p["state_b"])["id"]


def probe(world, method, pattern, caller):
    """A request on the route that any caller allowed by the route table gets past the role
    gate with, and the status it then gets: (id, kwargs, status). Bodies are invalid where a
    write would otherwise happen, so that the 403 cases can be sent the very same request."""
    bad = {"no_such_field": 1}
    rid = world.rt["id"]
    if pattern.endswith("/import"):
        return rid, {"body": [], "params": {"entity": "needs"}}, 422
    if pattern == f"{V1}/participants/{{id}}":
        pid = own_participant(world, caller)
        return pid, ({"body": bad} if method == "PATCH" else {}), (422 if method == "PATCH"
                                                                   else 200)
    if pattern == f"{V1}/tokens/{{id}}":
        return UNKNOWN, {}, 404
    if pattern in (f"{V1}/needs/{{id}}", f"{V1}/offers/{{id}}"):
        need = pattern.startswith(f"{V1}/needs")
        if method == "DELETE":  # a fresh posting of the caller's own (or the usual owner's)
            owner = caller if ROLE_OF[caller] == ("state" if need else "provider") else \
                ("state_a" if need else "donor")
            item = world.new_need(as_=owner) if need else world.new_offer(as_=owner)
            return item["id"], {}, 200
        item = world.need_a if need else world.offer_d
        return item["id"], ({"body": bad} if method == "PATCH" else {}), \
            (422 if method == "PATCH" else 200)
    if pattern.endswith("{id}"):  # roundtables
        return rid, ({"body": bad} if method == "PATCH" else {}), \
            (422 if method == "PATCH" else 200)
    if method == "POST":
        return None, {"body": bad}, 422
    return None, {}, 200


EXPECTED_ROUTES = {
    ("POST", f"{V1}/participants"), ("GET", f"{V1}/participants"),
    ("GET", f"{V1}/participants/{{id}}"), ("PATCH", f"{V1}/participants/{{id}}"),
    ("POST", f"{V1}/tokens"), ("GET", f"{V1}/tokens"), ("DELETE", f"{V1}/tokens/{{id}}"),
    ("POST", f"{V1}/roundtables"), ("GET", f"{V1}/roundtables"),
    ("GET", f"{V1}/roundtables/{{id}}"), ("PATCH", f"{V1}/roundtables/{{id}}"),
    ("POST", f"{V1}/roundtables/{{id}}/import"),
    ("POST", f"{V1}/needs"), ("GET", f"{V1}/needs"), ("GET", f"{V1}/needs/{{id}}"),
    ("PATCH", f"{V1}/needs/{{id}}"), ("DELETE", f"{V1}/needs/{{id}}"),
    ("POST", f"{V1}/offers"), ("GET", f"{V1}/offers"), ("GET", f"{V1}/offers/{{id}}"),
    ("PATCH", f"{V1}/offers/{{id}}"), ("DELETE", f"{V1}/offers/{{id}}"),
}


@pytest.fixture(scope="module")
def postings(world):
    world.need_a = world.new_need()
    world.offer_d = world.new_offer()
    return world


def test_the_matrix_covers_the_domain_routes(table):
    domain = {k for k in table if k[1].startswith(V1)}
    # later issues add routes (matching, summaries); the domain routes must all be there
    assert EXPECTED_ROUTES <= domain, sorted(EXPECTED_ROUTES - domain)


def test_route_roles_are_as_the_contract_says(table):
    staff, anyone = {"admin", "organizer"}, set(ROLES)
    want = {
        ("POST", f"{V1}/participants"): staff, ("GET", f"{V1}/participants"): anyone,
        ("POST", f"{V1}/tokens"): staff, ("POST", f"{V1}/roundtables"): staff,
        ("PATCH", f"{V1}/roundtables/{{id}}"): staff,
        ("POST", f"{V1}/roundtables/{{id}}/import"): staff,
        ("POST", f"{V1}/needs"): staff | {"state"}, ("PATCH", f"{V1}/needs/{{id}}"): staff | {"state"},
        ("DELETE", f"{V1}/needs/{{id}}"): staff | {"state"},
        ("POST", f"{V1}/offers"): staff | {"provider"},
        ("PATCH", f"{V1}/offers/{{id}}"): staff | {"provider"},
        ("DELETE", f"{V1}/offers/{{id}}"): staff | {"provider"},
        ("GET", f"{V1}/needs"): anyone, ("GET", f"{V1}/offers"): anyone,
        ("GET", f"{V1}/roundtables"): anyone,
    }
    for route, roles in want.items():
        assert table[route] == roles, route


@pytest.mark.parametrize("route", sorted(EXPECTED_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_role_matrix(world, postings, table, route):
    method, pattern = route
    allowed = table[route]
    for role in ROLES:
        caller = ROLE_CALLER[role]
        id_, kw, status = probe(world, method, pattern, caller)
        if role in allowed:
            r = world.call(method, pattern, id_, as_=caller, **kw)
            assert r.status_code == status, f"{role}: {r.status_code} {r.text[:300]}"
        else:
            before = world.fingerprint()
            r = world.call(method, pattern, id_, as_=caller, expect=403, **kw)
            validate(r.body, "Problem")
            assert world.fingerprint() == before, f"{role} wrote through a 403"


def test_forbidden_writes_with_valid_bodies_write_nothing(world, postings):
    """The 403s hold with bodies that would be accepted from an allowed role."""
    rid = world.rt["id"]
    cases = [
        ("state_a", "POST", f"{V1}/participants", None, {"name": "X", "kind": "donor"}),
        ("donor", "POST", f"{V1}/participants", None, {"name": "X", "kind": "donor"}),
        ("state_a", "POST", f"{V1}/tokens", None,
         {"role": "state", "participant_id": world.p["state_a"]["id"]}),
        ("donor", "POST", f"{V1}/roundtables", None, {"title": "Mine"}),
        ("state_a", "PATCH", f"{V1}/roundtables/{{id}}", rid, {"status": "closed"}),
        ("donor", "POST", f"{V1}/needs", None,
         need_body(rid, participant_id=world.p["state_a"]["id"])),
        ("state_a", "POST", f"{V1}/offers", None,
         offer_body(rid, participant_id=world.p["donor"]["id"])),
        ("donor", "PATCH", f"{V1}/needs/{{id}}", world.need_a["id"], {"title": "Mine"}),
        ("state_a", "PATCH", f"{V1}/offers/{{id}}", world.offer_d["id"], {"title": "Mine"}),
        # own-only: another party's posting or participant
        ("state_b", "PATCH", f"{V1}/needs/{{id}}", world.need_a["id"], {"title": "Mine"}),
        ("state_b", "PATCH", f"{V1}/needs/{{id}}", world.need_a["id"], {"status": "fulfilled"}),
        ("implementer", "PATCH", f"{V1}/offers/{{id}}", world.offer_d["id"], {"capacity": 9}),
        ("implementer", "PATCH", f"{V1}/offers/{{id}}", world.offer_d["id"],
         {"status": "closed"}),
        ("state_b", "PATCH", f"{V1}/participants/{{id}}", world.p["state_a"]["id"],
         {"name": "Mine"}),
        ("donor", "PATCH", f"{V1}/participants/{{id}}", world.p["implementer"]["id"],
         {"name": "Mine"}),
        ("implementer", "PATCH", f"{V1}/participants/{{id}}", world.p["organizer"]["id"],
         {"name": "Mine"}),
        ("organizer", "POST", f"{V1}/tokens", None, {"role": "admin"}),
    ]
    for caller, method, tpl, id_, body in cases:
        before = world.fingerprint()
        r = world.call(method, tpl, id_, as_=caller, body=body, expect=403)
        validate(r.body, "Problem")
        assert world.fingerprint() == before, (caller, method, tpl)
    for caller, tpl, id_ in (("state_b", f"{V1}/needs/{{id}}", world.need_a["id"]),
                             ("implementer", f"{V1}/offers/{{id}}", world.offer_d["id"]),
                             ("donor", f"{V1}/needs/{{id}}", world.need_a["id"]),
                             ("state_a", f"{V1}/offers/{{id}}", world.offer_d["id"])):
        before = world.fingerprint()
        world.call("DELETE", tpl, id_, as_=caller, expect=403)
        assert world.fingerprint() == before
    assert world.get(f"{V1}/needs/{{id}}", world.need_a["id"])["status"] == "open"
    assert world.get(f"{V1}/offers/{{id}}", world.offer_d["id"])["status"] == "open"


def test_posting_for_someone_else_is_refused_not_rewritten(world):
    """A state naming another participant, a provider naming another: 422, never silently
    posted for the caller or for the other."""
    rid = world.rt["id"]
    before = world.fingerprint()
    r = world.call("POST", f"{V1}/needs", as_="state_a", expect=422,
                   body=need_body(rid, participant_id=world.p["state_b"]["id"]))
    assert fields_of(r.body) == ["participant_id"]
    r = world.call("POST", f"{V1}/offers", as_="donor", expect=422,
                   body=offer_body(rid, participant_id=world.p["implementer"]["id"]))
    assert fields_of(r.body) == ["participant_id"]
    assert world.fingerprint() == before


# ---------------------------------------------------------------- 401

def _bad_credentials(world):
    valid = world.tok["admin"]
    return {
        "no header": None,
        "empty": "",
        "no scheme": valid,
        "Basic": "Basic YWRtaW46YWRtaW4=",
        "Bearer without token": "Bearer",
        "Bearer and spaces": "Bearer    ",
        "truncated": "Bearer " + valid[:-1],
        "one character longer": "Bearer " + valid + "A",
        "bad character": "Bearer " + valid[:-1] + "!",
        "no prefix": "Bearer " + valid[3:] + "AAA",
        "two tokens": f"Bearer {valid} {valid}",
        "unknown": "Bearer rt_" + "A" * 43,
        "another unknown": "Bearer rt_" + valid[3:][::-1],
    }


def _call_with_authorization(world, method, pattern, value, id_="1", **kw):
    headers = {} if value is None else {"Authorization": value}
    return world.call(method, pattern, id_ if "{id}" in pattern else None, token=None,
                      headers=headers, **kw)


@pytest.mark.parametrize("route", sorted(EXPECTED_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_401_on_every_route(world, route):
    method, pattern = route
    before = world.fingerprint()
    for what, value in _bad_credentials(world).items():
        kw = {"body": {"title": "x"}} if method in ("POST", "PATCH") else {}
        r = _call_with_authorization(world, method, pattern, value, **kw)
        assert r.status_code == 401, f"{what}: {r.status_code} {r.text[:200]}"
        assert r.headers["WWW-Authenticate"].startswith("Bearer"), what
        validate(r.body, "Problem")
    assert world.fingerprint() == before


def test_401_comes_before_everything_else(world):
    # before the id (404), the content type (415), the body (400) and the query (400)
    assert world.call("GET", f"{V1}/needs/{{id}}", "abc", token=None).status_code == 401
    assert world.call("POST", f"{V1}/needs", token=None, data=b"{",
                      headers={"Content-Type": "text/plain"}).status_code == 401
    assert world.call("GET", f"{V1}/needs", token=None,
                      params={"limit": "0"}).status_code == 401
    assert world.call("POST", f"{V1}/roundtables/{{id}}/import", UNKNOWN, token=None,
                      params={"entity": "people"}, data=b"x",
                      headers={"Content-Type": "text/csv"}).status_code == 401


def test_scheme_is_case_insensitive(world):
    r = world.call("GET", f"{V1}/roundtables", token=None,
                   headers={"Authorization": "bearer " + world.tok["admin"]}, expect=200)
    assert r.body["items"]


def test_revoked_tokens_are_401_everywhere(world):
    victims = {
        "admin": world.new_token("admin"),
        "organizer": world.new_token("organizer"),
        "state": world.new_token("state", world.p["state_a"]["id"]),
        "provider": world.new_token("provider", world.p["donor"]["id"]),
    }
    for t in victims.values():
        world.call("GET", f"{V1}/needs", token=t["token"], expect=200)
        world.call("DELETE", f"{V1}/tokens/{{id}}", t["id"], expect=204)
    for route in sorted(EXPECTED_ROUTES):
        method, pattern = route
        for role, t in victims.items():
            kw = {"body": {"title": "x"}} if method in ("POST", "PATCH") else {}
            r = world.call(method, pattern, "1" if "{id}" in pattern else None,
                           token=t["token"], **kw)
            assert r.status_code == 401, (role, route, r.status_code)


def test_public_routes_need_no_token(world):
    r = world.call("GET", f"{V1}/themes", token=None, expect=200)
    validate(r.body, "ThemeList")
    assert world.call("GET", f"{V1}/themes", token="rt_" + "A" * 43).status_code == 200


# ---------------------------------------------------------------- 404

ID_ROUTES = sorted(r for r in EXPECTED_ROUTES if "{id}" in r[1])


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_404_for_every_role_that_may_use_the_route(world, table, route):
    method, pattern = route
    before = world.fingerprint()
    for role in sorted(table[route]):
        caller = ROLE_CALLER[role]
        for bad in (UNKNOWN, "abc", "0", "-5", "1.0", "1e3", "0x1f", "12345678901234567890"):
            kw = {}
            if method in ("POST", "PATCH"):
                kw["body"] = [] if pattern.endswith("/import") else \
                    {"name" if "participants" in pattern else "title": "x"}
            if pattern.endswith("/import"):
                kw["params"] = {"entity": "needs"}
                if bad == UNKNOWN:  # an unknown roundtable shows once the rows are good
                    kw["body"] = [{"participant_id": world.p["state_a"]["id"], "title": "x",
                                   "themes": ["cbm.transparency"], "languages": ["en"]}]
            r = world.call(method, pattern, bad, as_=caller, **kw)
            want = 404
            if pattern == f"{V1}/participants/{{id}}" and method == "PATCH" and \
                    role in ("state", "provider") and bad == UNKNOWN:
                want = 403  # a party may change only its own participant, known or not
            assert r.status_code == want, (role, bad, r.status_code, r.text[:200])
            validate(r.body, "Problem")
    assert world.fingerprint() == before
