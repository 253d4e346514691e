"""The authorisation matrix of docs/security.md, cell by cell, over real HTTP and PostgreSQL.

The cases are generated from the matrix and the route table of service/api/api.c: a route
without a matrix row fails, a row whose allowed roles differ from the table's fails, and every
(route, role) cell is sent with a bearer token and with a session (cookie + CSRF token) of that
role:

- no     -> 403 and nothing written;
- all    -> past the gate (the probe's expected status);
- own    -> allowed on the caller's own object, refused (403/404/422, nothing written; lists
            without foreign items) on another's;
- public -> answered without credentials.

A route whose probe is not in PROBES below is probed generically (GET: 200; POST/PATCH with an
invalid body: 422); a route that needs more must get a probe here."""
import os
import re

import pytest
import requests

from domain_fixtures import *  # noqa: F401,F403
from harness import SOURCE_DIR
from matching_fixtures import run_to_end, matches_of
from test_openapi import route_table

SECURITY_MD = os.path.join(SOURCE_DIR, "docs", "security.md")
ROLES = ("admin", "organizer", "state", "provider")
CALLER = {"admin": "admin", "organizer": "organizer", "state": "state_a", "provider": "donor"}
PASSWORD = "correct horse battery staple"
UNKNOWN = "999999999"
BAD = {"no_such_field": 1}
KINDS = ("token", "session")


def read_matrix():
    """{(METHOD, path): {role: cell}} from the table of docs/security.md."""
    rows = {}
    with open(SECURITY_MD, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*(/\S*)\s*\|(.*)\|\s*$", line)
            if not m:
                continue
            cells = [c.strip() for c in m.group(3).split("|")]
            assert len(cells) == 4 and set(cells) <= {"all", "own", "no", "public"}, line
            key = (m.group(1), m.group(2))
            assert key not in rows, f"two matrix rows for {key}"
            rows[key] = dict(zip(ROLES, cells))
    assert len(rows) >= 30, "the matrix of docs/security.md was not found"
    return rows


MATRIX = read_matrix()
TABLE = route_table()


def test_every_route_has_a_matrix_row_and_every_row_a_route():
    missing = sorted(set(TABLE) - set(MATRIX))
    assert not missing, f"routes of api.c without a row in docs/security.md: {missing}"
    extra = sorted(set(MATRIX) - set(TABLE))
    assert not extra, f"rows of docs/security.md that api.c does not route: {extra}"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_matrix_agrees_with_the_route_table(route):
    roles = TABLE.get(route)
    assert roles is not None, route
    cells = MATRIX[route]
    if not roles:
        assert set(cells.values()) == {"public"}, route
    else:
        allowed = {r for r, c in cells.items() if c in ("all", "own")}
        assert allowed == roles, f"{route}: matrix allows {allowed}, api.c {roles}"
        assert "public" not in cells.values(), route


# ---------------------------------------------------------------- the world


class Caller:
    """One role's credentials of one kind: call(method, template, id, **kw)."""

    def __init__(self, world, name, kind, sess=None, csrf=None):
        self.world, self.name, self.kind, self.sess, self.csrf = world, name, kind, sess, csrf

    def call(self, method, template, id_=None, **kw):
        if self.kind == "token":
            return self.world.call(method, template, id_, as_=self.name, check=False, **kw)
        headers = dict(kw.pop("headers", None) or {})
        headers["X-CSRF-Token"] = self.csrf
        return self.world.call(method, template, id_, token=None, session=self.sess,
                               headers=headers, check=False, **kw)


def sign_in(world, email, password=PASSWORD):
    s = requests.Session()
    r = s.post(world.url + f"{V1}/session", json={"email": email, "password": password},
               timeout=30)
    assert r.status_code == 201, r.text
    return s, r.json()


def new_account(world, role, participant=None, as_="admin", email=None):
    email = email or f"{role}-{tag()}@example.org"
    body = {"email": email, "password": PASSWORD, "role": role}
    if participant:
        body["participant_id"] = participant
    acc = world.post(f"{V1}/accounts", body, as_=as_)
    return acc, email


@pytest.fixture(scope="module")
def sec(world):
    """world plus: an account and a session per caller, postings of every party, and a match
    run with a match for state_a's need and one for state_b's."""
    world.pg.psql("DELETE FROM sign_in_failures")
    world.acc, world.email, world.sess = {}, {}, {}
    for name in ("admin", "organizer", "state_a", "state_b", "donor", "implementer"):
        role = ROLE_OF[name]
        acc, email = new_account(world, role, world.p[name]["id"] if name in world.p and
                                 role in ("state", "provider") else None)
        world.acc[name], world.email[name] = acc, email
        world.sess[name] = sign_in(world, email)
    world.need_a = world.new_need(as_="state_a")
    world.need_b = world.new_need(as_="state_b")
    world.offer_d = world.new_offer(as_="donor")
    world.offer_i = world.new_offer(as_="implementer")
    rt2 = world.new_roundtable("open", as_="organizer")
    world.rt2 = rt2
    world.need_a2 = world.new_need(as_="state_a", rt=rt2["id"])
    world.need_b2 = world.new_need(as_="state_b", rt=rt2["id"])
    world.offer_d2 = world.new_offer(as_="donor", rt=rt2["id"])
    world.offer_i2 = world.new_offer(as_="implementer", rt=rt2["id"])
    world.run = run_to_end(world, rt2["id"])
    assert world.run["status"] == "succeeded", world.run
    ms = matches_of(world, rt2["id"])
    assert len(ms) == 2, ms
    world.match_of = {}
    for m in ms:
        world.match_of[m["need_id"]] = m
        world.match_of[m["offer_id"]] = m
    return world


def caller(world, role, kind, name=None):
    name = name or CALLER[role]
    if kind == "token":
        return Caller(world, name, kind)
    s, info = world.sess[name]
    return Caller(world, name, kind, s, info["csrf_token"])


# ---------------------------------------------------------------- probes
#
# A probe gets (world, role, kind, own) and returns (template id, request kwargs, expected
# statuses); for own=False it probes another's object (the cell "own" only), and may instead
# return a callable check(caller) that asserts by itself.

P = f"{V1}/participants/{{id}}"
OTHER = {"state": "state_b", "provider": "implementer", "organizer": "admin", "admin": "admin"}


def _ids(world):
    return {"roundtables": world.rt["id"], "needs": world.need_a["id"],
            "offers": world.offer_d["id"], "participants": world.p["state_a"]["id"],
            "match-runs": world.run["id"], "matches": world.match_of[world.need_a2["id"]]["id"]}


def generic(world, method, pattern):
    id_ = None
    if "{id}" in pattern:
        seg = pattern[len(V1) + 1:].split("/")[0]
        id_ = _ids(world)[seg]
    if method == "GET":
        return id_, {}, (200,)
    if method in ("POST", "PATCH", "PUT"):
        return id_, {"body": BAD}, (422,)
    raise AssertionError(f"{method} {pattern} needs a probe in test_security_authz.py")


def own_posting(world, role, kind_of):
    """A posting of the caller's participant (or of the usual owner for staff)."""
    owner = CALLER[role] if (role, kind_of) in (("state", "need"), ("provider", "offer")) else (
        "state_a" if kind_of == "need" else "donor")
    return world.new_need(as_=owner) if kind_of == "need" else world.new_offer(as_=owner)


def probe_participant_patch(world, role, kind, own):
    name = CALLER[role]
    if own:
        pid = world.p[name]["id"] if name in world.p else world.p["state_a"]["id"]
        return pid, {"body": BAD}, (422,)
    return world.p[OTHER[role]]["id"], {"body": {"name": "Mine"}}, (403,)


def probe_tokens_create(world, role, kind, own):
    if own:
        return None, {"body": BAD}, (422,)
    return None, {"body": {"role": "admin", "label": "x"}}, (403,)


def probe_tokens_list(world, role, kind, own):
    if own:
        return None, {}, (200,)

    def check(c):
        r = c.call("GET", f"{V1}/tokens", params={"limit": "500"})
        assert r.status_code == 200
        assert all(t["role"] != "admin" for t in r.json()["items"]), "organizer sees admin tokens"
    return check


def probe_tokens_revoke(world, role, kind, own):
    if own:
        if role in ("admin", "organizer"):
            t = world.new_token("state", world.p["state_a"]["id"])
            return t["id"], {}, (204,)
        return UNKNOWN, {}, (404,)  # past the gate; its own token: test_tokens_revoke_self

    def check(c):
        victim = world.new_token("admin") if role == "organizer" else world.new_token(
            ROLE_OF[OTHER[role]], world.p[OTHER[role]]["id"])
        r = c.call("DELETE", f"{V1}/tokens/{{id}}", victim["id"])
        assert r.status_code == 404, r.text
        world.call("GET", f"{V1}/me", token=victim["token"], expect=200)
    return check


def probe_accounts_create(world, role, kind, own):
    if own:
        return None, {"body": BAD}, (422,)
    return None, {"body": {"email": f"a-{tag()}@example.org", "password": PASSWORD,
                           "role": "admin"}}, (403,)


def probe_accounts_list(world, role, kind, own):
    if own:
        return None, {}, (200,)

    def check(c):
        r = c.call("GET", f"{V1}/accounts", params={"limit": "500"})
        assert r.status_code == 200
        assert all(a["role"] != "admin" for a in r.json()["items"])
    return check


def probe_accounts_disable(world, role, kind, own):
    if own:
        acc, _ = new_account(world, "organizer")
        return acc["id"], {}, (204,)

    def check(c):
        acc, email = new_account(world, "admin")
        r = c.call("DELETE", f"{V1}/accounts/{{id}}", acc["id"])
        assert r.status_code == 404, r.text
        sign_in(world, email)
    return check


def probe_session_get(world, role, kind, own):
    return None, {}, ((200,) if kind == "session" else (404,))


def probe_session_delete(world, role, kind, own):
    if kind == "token":
        return None, {}, (404,)
    name = CALLER[role]
    s, info = sign_in(world, world.email[name])  # a fresh one: the shared one must live on
    return None, {"session": s, "headers_csrf": info["csrf_token"]}, (204,)


def probe_sessions_list(world, role, kind, own):
    if own:
        return None, {}, (200,)

    def check(c):
        r = c.call("GET", f"{V1}/sessions", params={"limit": "500"})
        assert r.status_code == 200
        mine = world.acc[c.name]["id"] if c.kind == "session" else None
        assert all(s["account_id"] == mine for s in r.json()["items"]), r.text
    return check


def probe_sessions_revoke(world, role, kind, own):
    name = CALLER[role]
    if own:
        if kind == "token" and role != "admin":
            return UNKNOWN, {}, (404,)  # a token has no sessions of its own
        s, info = sign_in(world, world.email[name])
        return info["id"], {}, (204,)

    def check(c):
        other = OTHER[role] if OTHER[role] != c.name else "state_b"
        s, info = sign_in(world, world.email[other])
        r = c.call("DELETE", f"{V1}/sessions/{{id}}", info["id"])
        assert r.status_code == 404, r.text
        assert s.get(world.url + f"{V1}/me", timeout=10).status_code == 200
    return check


def probe_posting_create(kind_of):
    def probe(world, role, kind, own):
        if own:
            return None, {"body": BAD}, (422,)
        other = world.p[OTHER[role]]["id"]
        body = need_body(world.rt["id"], participant_id=other) if kind_of == "need" else \
            offer_body(world.rt["id"], participant_id=other)
        return None, {"body": body}, (422,)
    return probe


def probe_posting_write(kind_of, method):
    def probe(world, role, kind, own):
        if own:
            item = own_posting(world, role, kind_of)
            return item["id"], ({"body": BAD} if method == "PATCH" else {}), \
                ((422,) if method == "PATCH" else (200,))
        other = world.need_b if kind_of == "need" else world.offer_i
        return other["id"], ({"body": {"title": "Mine"}} if method == "PATCH" else {}), (403,)
    return probe


def probe_matches_list(world, role, kind, own):
    if own:
        return None, {"params": {"roundtable_id": world.rt2["id"]}}, (200,)

    def check(c):
        r = c.call("GET", f"{V1}/matches", params={"roundtable_id": world.rt2["id"]})
        assert r.status_code == 200
        mine = world.need_a2["id"] if role == "state" else world.offer_d2["id"]
        items = r.json()["items"]
        assert items and all(mine in (m["need_id"], m["offer_id"]) for m in items), items
    return check


def _own_match(world, role, own):
    mine = world.need_a2["id"] if role == "state" else world.offer_d2["id"]
    m = world.match_of[mine]
    if own:
        return m
    return next(x for x in world.match_of.values() if x["id"] != m["id"])


def probe_match_get(world, role, kind, own):
    if role in ("admin", "organizer"):
        return world.match_of[world.need_a2["id"]]["id"], {}, (200,)
    return _own_match(world, role, own)["id"], {}, ((200,) if own else (404,))


def probe_match_decide(world, role, kind, own):
    if role == "admin" or own:
        m = world.match_of[world.need_a2["id"]] if role == "admin" else _own_match(world, role, True)
        return m["id"], {"body": {"decision": "maybe"}}, (422,)
    m = _own_match(world, role, False)
    return m["id"], {"body": {"decision": "decline"}}, (403, 404)


def probe_match_follow_up(world, role, kind, own):
    """Staff and the match's parties reach validation (a bad outcome: 422, nothing written);
    another party's match is 404 even with a valid body."""
    if role in ("admin", "organizer") or own:
        m = world.match_of[world.need_a2["id"]] if not own else _own_match(world, role, True)
        return m["id"], {"body": {"outcome": "maybe", "on": "2024-05-10"}}, (422,)
    m = _own_match(world, role, False)
    return m["id"], {"body": {"outcome": "delivered", "on": "2024-05-10"}}, (404,)


RULES = f"{V1}/pair-rules"


def _no_thanks(world, name):
    """A fresh "no thanks" from party name (a state on its new need, a provider on its new
    offer, against the other side's posting in the same roundtable)."""
    if ROLE_OF[name] == "state":
        body = {"need_id": world.new_need(as_=name)["id"], "offer_id": world.offer_d["id"]}
    else:
        body = {"need_id": world.need_a["id"], "offer_id": world.new_offer(as_=name)["id"]}
    return world.post(RULES, dict(body, rule="no_thanks"), as_=name)


def probe_pair_rule_create(world, role, kind, own):
    if role in ("admin", "organizer"):
        return None, {"body": BAD}, (422,)
    if own:
        mine = own_posting(world, role, "need" if role == "state" else "offer")
        body = ({"need_id": mine["id"], "offer_id": world.offer_d["id"]} if role == "state"
                else {"need_id": world.need_a["id"], "offer_id": mine["id"]})
        return None, {"body": dict(body, rule="no_thanks")}, (201,)
    body = ({"need_id": world.need_b["id"], "offer_id": world.offer_d["id"]} if role == "state"
            else {"need_id": world.need_a["id"], "offer_id": world.offer_i["id"]})
    return None, {"body": dict(body, rule="no_thanks")}, (403,)


def probe_pair_rules_list(world, role, kind, own):
    if own:
        return None, {}, (200,)

    def check(c):
        theirs = _no_thanks(world, OTHER[role])
        r = c.call("GET", RULES, params={"limit": "500"})
        assert r.status_code == 200
        items = r.json()["items"]
        assert all(x["side"] == role for x in items), items
        assert theirs["id"] not in {x["id"] for x in items}
    return check


def probe_pair_rule_delete(world, role, kind, own):
    if role in ("admin", "organizer"):
        lock = world.post(RULES, {"need_id": world.new_need(as_="state_a")["id"],
                                  "offer_id": world.offer_d["id"], "rule": "lock"},
                          as_="organizer")
        return lock["id"], {}, (204,)
    if own:
        return _no_thanks(world, CALLER[role])["id"], {}, (204,)
    return _no_thanks(world, OTHER[role])["id"], {}, (404,)


UNAVAILABILITY = f"{V1}/roundtables/{{id}}/unavailability"


def probe_unavailability_put(world, role, kind, own):
    if role in ("admin", "organizer"):
        return world.rt["id"], {"body": BAD}, (422,)
    if own:
        return world.rt["id"], {"body": {"slot_ids": []}}, (200,)
    other = world.p[OTHER[role]]["id"]
    return world.rt["id"], {"body": {"participant_id": other, "slot_ids": []}}, (403,)


def probe_unavailability_get(world, role, kind, own):
    if own:
        return world.rt["id"], {}, (200,)
    return world.rt["id"], {"params": {"participant_id": world.p[OTHER[role]]["id"]}}, (403,)


def probe_participant_schedule(world, role, kind, own):
    if role in ("admin", "organizer"):
        return world.p["state_a"]["id"], {}, (200,)
    return world.p[CALLER[role] if own else OTHER[role]]["id"], {}, (200,) if own else (403,)


PROBES = {
    ("PUT", UNAVAILABILITY): probe_unavailability_put,
    ("GET", UNAVAILABILITY): probe_unavailability_get,
    ("GET", f"{V1}/participants/{{id}}/schedule"): probe_participant_schedule,
    ("POST", RULES): probe_pair_rule_create,
    ("GET", RULES): probe_pair_rules_list,
    ("DELETE", f"{RULES}/{{id}}"): probe_pair_rule_delete,
    ("PATCH", P): probe_participant_patch,
    ("POST", f"{V1}/tokens"): probe_tokens_create,
    ("GET", f"{V1}/tokens"): probe_tokens_list,
    ("DELETE", f"{V1}/tokens/{{id}}"): probe_tokens_revoke,
    ("POST", f"{V1}/accounts"): probe_accounts_create,
    ("GET", f"{V1}/accounts"): probe_accounts_list,
    ("DELETE", f"{V1}/accounts/{{id}}"): probe_accounts_disable,
    ("GET", f"{V1}/session"): probe_session_get,
    ("DELETE", f"{V1}/session"): probe_session_delete,
    ("GET", f"{V1}/sessions"): probe_sessions_list,
    ("DELETE", f"{V1}/sessions/{{id}}"): probe_sessions_revoke,
    ("POST", f"{V1}/needs"): probe_posting_create("need"),
    ("PATCH", f"{V1}/needs/{{id}}"): probe_posting_write("need", "PATCH"),
    ("DELETE", f"{V1}/needs/{{id}}"): probe_posting_write("need", "DELETE"),
    ("POST", f"{V1}/offers"): probe_posting_create("offer"),
    ("PATCH", f"{V1}/offers/{{id}}"): probe_posting_write("offer", "PATCH"),
    ("DELETE", f"{V1}/offers/{{id}}"): probe_posting_write("offer", "DELETE"),
    ("POST", f"{V1}/roundtables/{{id}}/import"):
        lambda w, role, kind, own: (w.rt["id"], {"body": [], "params": {"entity": "needs"}}, (422,)),
    ("GET", f"{V1}/matches"): probe_matches_list,
    ("GET", f"{V1}/matches/{{id}}"): probe_match_get,
    ("POST", f"{V1}/matches/{{id}}/decision"): probe_match_decide,
    ("POST", f"{V1}/matches/{{id}}/follow-up"): probe_match_follow_up,
}


def send(c, method, pattern, id_, kw):
    kw = dict(kw)
    if "session" in kw:  # a probe's own session (sign-out)
        s, csrf = kw.pop("session"), kw.pop("headers_csrf")
        return c.world.call(method, pattern, id_, token=None, session=s,
                            headers={"X-CSRF-Token": csrf}, check=False, **kw)
    return c.call(method, pattern, id_, **kw)


def state_of(world):
    return (world.fingerprint(), world.pg.psql(
        "SELECT md5(coalesce(string_agg(m::text, '|' ORDER BY m.id), '')) FROM matches m"),
        world.pg.psql("SELECT count(*) FROM accounts WHERE disabled_at IS NULL"))


CELLS = [(route, role, kind) for route in sorted(MATRIX) for role in ROLES for kind in KINDS
         if MATRIX[route][role] != "public"]


@pytest.mark.parametrize("route,role,kind", CELLS,
                         ids=lambda v: (f"{v[0]} {v[1]}" if isinstance(v, tuple) else str(v)))
def test_cell(sec, route, role, kind):
    world = sec
    method, pattern = route
    cell = MATRIX[route][role]
    c = caller(world, role, kind)
    probe = PROBES.get(route)
    if cell == "no":
        if probe:
            got = probe(world, role, kind, True)
            id_, kw = (got[0], got[1]) if isinstance(got, tuple) else (None, {})
        else:
            id_, kw, _ = generic(world, method, pattern)
        if method in ("POST", "PATCH", "PUT") and "body" not in kw:
            kw["body"] = BAD
        before = state_of(world)
        r = send(c, method, pattern, id_, kw)
        assert r.status_code == 403, f"{role}/{kind}: {r.status_code} {r.text[:300]}"
        assert state_of(world) == before, f"{role} wrote through a 403"
        return
    got = probe(world, role, kind, True) if probe else generic(world, method, pattern)
    if callable(got):
        got(c)
    else:
        id_, kw, want = got
        r = send(c, method, pattern, id_, kw)
        assert r.status_code in want, f"{role}/{kind}: {r.status_code}, wanted {want}: {r.text[:300]}"
    if cell == "own":
        assert probe, f"{method} {pattern}: an 'own' cell needs a probe"
        got = probe(world, role, kind, False)
        if callable(got):
            got(c)
            return
        id_, kw, want = got
        before = state_of(world)
        r = send(c, method, pattern, id_, kw)
        assert r.status_code in want, \
            f"{role}/{kind} on another's object: {r.status_code}, wanted {want}: {r.text[:300]}"
        assert state_of(world) == before, f"{role} changed another's object"


@pytest.mark.parametrize("route", sorted(r for r in MATRIX if MATRIX[r]["admin"] == "public"),
                         ids=lambda r: f"{r[0]} {r[1]}")
def test_public_cells(sec, route):
    method, pattern = route
    kw = {"body": {"email": "nobody@example.org", "password": "x" * 12}} \
        if method == "POST" else {}
    r = sec.call(method, pattern, token=None, check=False, **kw)
    assert r.status_code != 403 and (r.status_code != 401 or pattern.endswith("/session")), \
        (route, r.status_code)
    sec.pg.psql("DELETE FROM sign_in_failures")


def test_tokens_revoke_self(sec):
    """own for a party's token: it may revoke itself (and then it is 401)."""
    for role in ("state", "provider"):
        t = sec.new_token(role, sec.p[CALLER[role]]["id"])
        sec.call("DELETE", f"{V1}/tokens/{{id}}", t["id"], token=t["token"], expect=204)
        sec.call("GET", f"{V1}/me", token=t["token"], expect=401)


# ---------------------------------------------------------------- contact emails

def test_contact_email_is_shown_to_staff_and_the_participant_itself(sec):
    w = sec
    p = w.new_participant("state", country="GHA",
                          contact={"name": "Desk", "email": "desk@gh.example"})
    t = w.new_token("state", p["id"])
    for name in ("admin", "organizer"):
        for kind in KINDS:
            c = caller(w, ROLE_OF[name], kind, name)
            r = c.call("GET", P, p["id"])
            assert r.json()["contact"]["email"] == "desk@gh.example", (name, kind)
    r = w.call("GET", P, p["id"], token=t["token"], expect=200)
    assert r.body["contact"] == {"name": "Desk", "email": "desk@gh.example"}
    for name in ("state_a", "state_b", "donor", "implementer"):
        for kind in KINDS:
            c = caller(w, ROLE_OF[name], kind, name)
            r = c.call("GET", P, p["id"])
            assert r.status_code == 200
            assert r.json()["contact"] == {"name": "Desk", "email": None}, (name, kind)
            own = c.call("GET", P, w.p[name]["id"]).json()
            assert own["contact"]["email"] == w.get(P, w.p[name]["id"])["contact"]["email"]
            items = c.call("GET", f"{V1}/participants", params={"limit": "500"}).json()["items"]
            for item in items:
                if item["id"] != w.p[name]["id"]:
                    assert item["contact"]["email"] is None, (name, item)
    org = w.get(f"{V1}/participants", params={"limit": "500"}, as_="organizer")["items"]
    assert any(i["contact"]["email"] for i in org)
