"""The shared world of the domain suites (test_domain_*.py).

Each suite imports it with `from domain_fixtures import *`: that brings the module-scoped
`world` fixture (built on conftest's `pg` and `service`, so one cluster and one service per
suite) and the helpers below. The world holds:

- tokens for an admin (from `roundtable token create`), an organizer, two states in different
  regions (state_a: Kenya, africa; state_b: Chile, latin_america_caribbean), a donor and an
  implementer (both `provider` tokens), made through POST /api/v1/tokens;
- the participants those tokens act for (world.p[name]);
- one open roundtable (world.rt).

world.call() sends a request as one of those callers and checks the response against
docs/openapi.json (status documented, media type, body schema) unless check=False.
"""
import json
import re
import uuid

import pytest
import requests

from harness import run_cli
from openapi_check import check_response, validate

__all__ = [
    "world", "World", "V1", "ROLE_OF", "CALLERS", "JSON_REFUSALS", "need_body", "offer_body",
    "fields_of", "error_for", "assert_refused", "assert_json_refusals", "validate", "tag",
]

V1 = "/api/v1"
# caller name -> role of its token
ROLE_OF = {
    "admin": "admin", "organizer": "organizer", "state_a": "state", "state_b": "state",
    "donor": "provider", "implementer": "provider",
}
CALLERS = tuple(ROLE_OF)

_UNSET = object()


def tag():
    """A short unique marker for titles that a text search must find and nothing else."""
    return uuid.uuid4().hex[:10]


def fields_of(body):
    """The `field` of every entry of a problem's `errors`, in order."""
    return [e["field"] for e in body.get("errors", [])]


def error_for(body, field):
    """The message for field in a problem's errors (AssertionError when absent)."""
    for e in body.get("errors", []):
        if e["field"] == field:
            return e["message"]
    raise AssertionError(f"no error for {field!r} in {body!r}")


def need_body(rt_id, **overrides):
    """A valid need for POST /needs by a state token (participant_id left out)."""
    body = {"roundtable_id": rt_id, "title": "Establish a national CSIRT",
            "themes": ["incident.csirt_establishment"], "languages": ["en"]}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not _UNSET}


def offer_body(rt_id, **overrides):
    """A valid offer for POST /offers by a provider token (participant_id left out)."""
    body = {"roundtable_id": rt_id, "title": "Incident response training", "kind": "training",
            "themes": ["incident.incident_response"], "languages": ["en"]}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not _UNSET}


need_body.UNSET = _UNSET
offer_body.UNSET = _UNSET


class World:
    def __init__(self, pg, service):
        self.pg = pg
        self.url = service.url
        self.service = service
        self.session = requests.Session()
        self.tok = {}     # caller name -> bearer token
        self.tok_id = {}  # caller name -> token id
        self.p = {}       # caller name -> participant (as the API returned it)

    # ------------------------------------------------------------ HTTP

    def call(self, method, template, id=None, *, as_="admin", token=_UNSET, body=_UNSET,
             data=None, headers=None, params=None, expect=None, check=True, session=None):
        """Sends method template (with {id} replaced by id) as caller as_ (or with token, None
        for no Authorization header); body is sent as JSON. Checks the response against the
        OpenAPI document unless check=False, and its status against expect (an int or a tuple).
        Returns the requests.Response with .body: the parsed JSON (or None)."""
        path = template.replace("{id}", str(id)) if id is not None else template
        h = {}
        tok = self.tok[as_] if token is _UNSET else token
        if tok is not None:
            h["Authorization"] = f"Bearer {tok}"
        if body is not _UNSET:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        r = (session or self.session).request(method, self.url + path, data=data, headers=h,
                                              params=params, timeout=30)
        if check:
            r.body = check_response(r, template, method)
        else:
            ctype = r.headers.get("Content-Type", "")
            r.body = r.json() if "json" in ctype and r.content else None
        if expect is not None:
            wanted = expect if isinstance(expect, tuple) else (expect,)
            assert r.status_code in wanted, (
                f"{method} {path} as {as_}: {r.status_code}, wanted {expect}: {r.text[:800]}")
        return r

    def get(self, template, id=None, **kw):
        kw.setdefault("expect", 200)
        return self.call("GET", template, id, **kw).body

    def post(self, template, body, id=None, **kw):
        kw.setdefault("expect", 201)
        return self.call("POST", template, id, body=body, **kw).body

    def patch(self, template, id, body, **kw):
        kw.setdefault("expect", 200)
        return self.call("PATCH", template, id, body=body, **kw).body

    def list_all(self, template, params=None, as_="admin", limit=500):
        """Every item of a list, walking next_cursor."""
        items, cursor = [], None
        while True:
            p = dict(params or {}, limit=str(limit))
            if cursor:
                p["cursor"] = cursor
            page = self.get(template, params=p, as_=as_)
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    # ------------------------------------------------------------ builders

    def new_participant(self, kind="state", as_="admin", **fields):
        body = {"name": f"{kind} {tag()}", "kind": kind}
        if kind == "state":
            body["country"] = "KEN"
        body.update(fields)
        return self.post(f"{V1}/participants", body, as_=as_)

    def new_token(self, role, participant=None, as_="admin", label=""):
        body = {"role": role, "label": label}
        if participant:
            body["participant_id"] = participant
        return self.post(f"{V1}/tokens", body, as_=as_)

    def new_roundtable(self, status="open", as_="admin", **fields):
        body = {"title": f"Roundtable {tag()}", "starts_on": "2024-05-10",
                "ends_on": "2024-05-10", "location": "New York"}
        body.update(fields)
        rt = self.post(f"{V1}/roundtables", body, as_=as_)
        if status != "planned":
            rt = self.patch(f"{V1}/roundtables/{{id}}", rt["id"], {"status": status}, as_=as_)
        return rt

    def new_need(self, as_="state_a", rt=None, **overrides):
        body = need_body(rt or self.rt["id"], **overrides)
        if ROLE_OF[as_] != "state" and "participant_id" not in body:
            body["participant_id"] = self.p["state_a"]["id"]
        return self.post(f"{V1}/needs", body, as_=as_)

    def new_offer(self, as_="donor", rt=None, **overrides):
        body = offer_body(rt or self.rt["id"], **overrides)
        if ROLE_OF[as_] != "provider" and "participant_id" not in body:
            body["participant_id"] = self.p["donor"]["id"]
        return self.post(f"{V1}/offers", body, as_=as_)

    # ------------------------------------------------------------ database

    def count(self, table, where="true"):
        return int(self.pg.psql(f"SELECT count(*) FROM {table} WHERE {where}"))

    def counts(self):
        """Rows of every domain table: compare before and after a refused request."""
        return {t: self.count(t) for t in ("participants", "tokens", "roundtables", "needs",
                                           "offers")}

    def fingerprint(self):
        """Every domain row's content: a refused request must leave it unchanged (nothing
        written, not even updated_at)."""
        return self.pg.psql(
            "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM ("
            " SELECT 'p' || p::text AS t FROM participants p UNION ALL"
            " SELECT 't' || t.id || coalesce(t.revoked_at::text, '') FROM tokens t UNION ALL"
            " SELECT 'r' || r::text FROM roundtables r UNION ALL"
            " SELECT 'n' || n::text FROM needs n UNION ALL"
            " SELECT 'o' || o::text FROM offers o) x")


def _build_world(pg, service):
    w = World(pg, service)
    r = run_cli("token", "create", "--role", "admin", "--label", "domain suite", "--db",
                pg.conninfo)
    assert r.returncode == 0, r.stderr
    w.tok["admin"] = r.stdout.strip()
    assert re.fullmatch(r"rt_[A-Za-z0-9_-]{43}", w.tok["admin"]), r.stdout
    w.tok_id["admin"] = pg.psql("SELECT max(id) FROM tokens WHERE role = 'admin'")
    w.p["organizer"] = w.new_participant("organizer", name="Secretariat",
                                         contact={"name": "Desk", "email": "desk@example.org"})
    w.p["state_a"] = w.new_participant("state", name="Kenya", country="KEN", languages=["en", "sw"])
    w.p["state_b"] = w.new_participant("state", name="Chile", country="CHL", languages=["es"])
    w.p["donor"] = w.new_participant("donor", name="Donor Agency", languages=["en", "fr"])
    w.p["implementer"] = w.new_participant("implementer", name="Implementer Institute",
                                           country="DEU", languages=["en", "de"])
    for name in ("organizer", "state_a", "state_b", "donor", "implementer"):
        t = w.new_token(ROLE_OF[name], w.p[name]["id"], label=name)
        w.tok[name] = t["token"]
        w.tok_id[name] = t["id"]
    w.rt = w.new_roundtable("open", title="Global Roundtable on ICT Security Capacity-Building",
                            as_="organizer")
    return w


@pytest.fixture(scope="module")
def world(pg, service):
    w = _build_world(pg, service)
    yield w
    w.session.close()


# ---------------------------------------------------------------- JSON refusals

DEEP = 40  # beyond the service's limit of 32 levels
JSON_REFUSALS = [
    # (name, raw body or None for "the valid body", Content-Type or None, status)
    ("malformed", b'{"title": ', "application/json", 400),
    ("trailing garbage", b'{"title": "x"} {}', "application/json", 400),
    ("empty body", b"", "application/json", 400),
    ("duplicate keys", b'{"title": "a", "title": "b"}', "application/json", 400),
    ("top-level array", b'[{"title": "a"}]', "application/json", 400),
    ("top-level string", b'"title"', "application/json", 400),
    ("top-level null", b"null", "application/json", 400),
    ("NUL escape", b'{"title": "a\\u0000b"}', "application/json", 400),
    ("raw NUL byte", b'{"title": "a"}\x00', "application/json", 400),
    ("over-deep nesting",
     b'{"title": ' + b"[" * DEEP + b"]" * DEEP + b"}", "application/json", 400),
    ("invalid UTF-8", b'{"title": "\xff\xfe"}', "application/json", 400),
    ("lone surrogate", b'{"title": "\\ud800"}', "application/json", 400),
    ("text/plain", None, "text/plain", 415),
    ("no Content-Type", None, None, 415),
    ("form", None, "application/x-www-form-urlencoded", 415),
    ("json lookalike", None, "application/jsonp", 415),
    ("problem+json", None, "application/problem+json", 415),
]


def assert_refused(world, method, template, id, raw, ctype, status, as_="admin"):
    """Sends a raw body; asserts the status, a Problem body, and that nothing was written."""
    before = world.fingerprint()
    headers = {"Content-Type": ctype} if ctype else {}
    s = requests.Session()
    # requests adds no Content-Type for raw bytes; make sure none slips in
    r = world.call(method, template, id, as_=as_, data=raw, headers=headers, expect=status,
                   session=s)
    s.close()
    validate(r.body, "Problem")
    assert r.body["status"] == status
    assert world.fingerprint() == before, f"{method} {template}: a refused request wrote"
    return r


def assert_json_refusals(world, method, template, id, valid_body, as_="admin"):
    """Every JSON refusal of JSON_REFUSALS on one operation; the 415 cases send valid_body,
    which would otherwise be accepted."""
    valid = json.dumps(valid_body).encode()
    for name, raw, ctype, status in JSON_REFUSALS:
        r = assert_refused(world, method, template, id, valid if raw is None else raw, ctype,
                           status, as_=as_)
        assert "errors" not in r.body, name
