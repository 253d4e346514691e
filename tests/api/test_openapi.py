"""docs/openapi.json against the code and the running service: the document is OpenAPI 3.1, it
lists exactly the routes of service/api/api.c's table with their roles, every documented path
answers its documented methods (and 405 with Allow for the others), /api/openapi.json serves the
file as it is, and real responses (status, media type, headers, body) match the documented
schemas, for the public endpoints and for a round trip through every domain route."""
import json
import os
import re
import uuid

import pytest
import requests

from harness import SOURCE_DIR, run_cli
from openapi_check import (DOC_PATH, SchemaError, check_response, documented_operations,
                           errors, load_document, operation, resolve, validate)

API_C = os.path.join(SOURCE_DIR, "service", "api", "api.c")
ROLE_BITS = {
    "RT_ROLES_PUBLIC": set(),
    "RT_ROLES_ANY": {"admin", "organizer", "state", "provider"},
    "RT_ROLES_STAFF": {"admin", "organizer"},
    "RT_ROLE_ADMIN": {"admin"},
    "RT_ROLE_ORGANIZER": {"organizer"},
    "RT_ROLE_STATE": {"state"},
    "RT_ROLE_PROVIDER": {"provider"},
}
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OPENAPI_ROUTE = ("GET", "/api/openapi.json")


def route_table():
    """{(METHOD, pattern): set of roles} from the routes[] table of api.c; an empty set
    means public."""
    with open(API_C, encoding="utf-8") as f:
        src = f.read()
    m = re.search(r"static const rt_route_t routes\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    assert m, "routes[] table not found in service/api/api.c"
    table = {}
    for method, pattern, roles, _handler in re.findall(
            r"\{\s*RT_HTTP_(\w+)\s*,\s*\"([^\"]+)\"\s*,\s*([^,{}]+?)\s*,\s*(\w+)\s*,\s*[\w|\s]+?\s*\}",
            m.group(1)):
        who = set()
        for bit in roles.split("|"):
            bit = bit.strip()
            assert bit in ROLE_BITS, f"unknown roles constant {bit} in api.c"
            who |= ROLE_BITS[bit]
        table[(method, pattern)] = who
    assert len(table) >= 20, "the route table regex found too few routes"
    return table


def concrete(path, id_value="1"):
    return path.replace("{id}", id_value)


# ---------------------------------------------------------------- the document itself

def test_document_is_openapi_3_1():
    doc = load_document()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "Roundtable" and doc["info"]["version"]
    assert [s["url"] for s in doc["servers"]] == ["/"]
    assert doc["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for name in ("Problem", "Participant", "ParticipantCreate", "ParticipantPatch", "Token",
                 "TokenCreate", "TokenCreated", "Roundtable", "RoundtableCreate",
                 "RoundtablePatch", "Need", "NeedCreate", "NeedPatch", "Offer", "OfferCreate",
                 "OfferPatch", "Theme"):
        assert name in doc["components"]["schemas"], name


def test_every_reference_resolves_and_every_operation_is_described():
    doc = load_document()

    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node["$ref"], doc)  # raises when dangling
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    walk(doc, "#")
    ids = set()
    for method, path in documented_operations(doc):
        op = operation(path, method, doc)
        assert op.get("summary") and op.get("description"), f"{method} {path}"
        assert op["operationId"] not in ids, op["operationId"]
        ids.add(op["operationId"])
        assert any(code.startswith("2") for code in op["responses"]), f"{method} {path}"


def test_document_lists_exactly_the_route_table():
    table = route_table()
    doc = load_document()
    documented = documented_operations(doc)
    table_ops = set(table)
    missing = table_ops - documented
    assert not missing, f"routes of api.c not in docs/openapi.json: {sorted(missing)}"
    # /api/openapi.json is documented whether it is routed through the table or not.
    extra = documented - table_ops - {OPENAPI_ROUTE}
    assert not extra, f"operations in docs/openapi.json that api.c does not route: {sorted(extra)}"
    assert OPENAPI_ROUTE in documented


def test_document_states_each_routes_roles():
    table = route_table()
    doc = load_document()
    for (method, path), roles in table.items():
        op = operation(path, method, doc)
        if not roles:
            assert op.get("security") == [], f"{method} {path} is public but not security: []"
            assert op["description"].startswith("Public"), f"{method} {path}"
            continue
        assert "security" not in op, f"{method} {path} needs a token (global security)"
        m = re.search(r"Roles: ([^.]*)\.", op["description"])
        assert m, f"{method} {path}: its description does not name its roles"
        named = set(re.findall(r"\b(admin|organizer|state|provider)\b", m.group(1)))
        assert named == roles, f"{method} {path}: description names {named}, api.c allows {roles}"
        codes = op["responses"]
        assert "401" in codes, f"{method} {path} lacks 401"
        if roles != ROLE_BITS["RT_ROLES_ANY"]:
            assert "403" in codes, f"{method} {path} lacks 403"
        if "{id}" in path:
            assert "404" in codes, f"{method} {path} lacks 404"
        if "requestBody" in op:
            for code in ("400", "413", "415", "422"):
                assert code in codes, f"{method} {path} lacks {code}"
        assert "503" in codes, f"{method} {path} lacks 503"


# ---------------------------------------------------------------- the checker itself

def test_checker_catches_mismatches():
    need = {
        "id": "1", "roundtable_id": "1", "participant_id": "2", "title": "t", "description": "",
        "themes": ["incident.incident_response"], "languages": ["en"], "modality": "any",
        "window": {"start": None, "end": "2025-01-31"}, "budget_usd": 1000.5,
        "priority": "medium", "max_partners": 1, "visibility": "everyone", "status": "open",
        "created_at": "2024-05-10T09:30:00.000Z", "updated_at": "2024-05-10T09:30:00.000Z",
    }
    validate(need, "Need")
    validate(need, "#/components/schemas/Need")

    def bad(change, needle):
        v = json.loads(json.dumps(need))
        change(v)
        with pytest.raises(SchemaError) as e:
            validate(v, "Need")
        assert needle in str(e.value), str(e.value)

    bad(lambda v: v.update(id=1), "$.id: is integer, not string")
    bad(lambda v: v.update(extra=True), "undocumented property 'extra'")
    bad(lambda v: v.pop("status"), "lacks required 'status'")
    bad(lambda v: v.update(modality="carrier pigeon"), "is not one of")
    bad(lambda v: v["window"].update(end="2025-02-30"), "is not a date")
    bad(lambda v: v.update(created_at="2024-05-10 09:30:00"), "is not a date-time")
    bad(lambda v: v.update(themes=[]), "fewer than 1 items")
    bad(lambda v: v.update(themes=["incident"]), "does not match")
    bad(lambda v: v.update(budget_usd="1000"), "not number or null")
    bad(lambda v: v.update(max_partners=True), "is boolean, not integer")
    bad(lambda v: v.update(visibility="states"), "is not one of")
    assert errors(None, {"type": ["string", "null"]}) == []
    assert errors(3, {"type": "integer", "enum": [1, 2]}) != []
    assert errors("x", {"frobnicate": 1}) != []  # unknown keywords never pass silently


# ---------------------------------------------------------------- paths and methods served

def test_every_documented_path_answers_its_methods_and_405_for_others(service):
    doc = load_document()
    table = route_table()
    for path, item in doc["paths"].items():
        documented = {m.upper() for m in item if m.upper() in ALL_METHODS}
        url = service.url + concrete(path)
        for method in ALL_METHODS:
            r = requests.request(method, url, timeout=10)
            if method in documented:
                public = not table.get((method, path))
                # no token sent; a public write (sign-in) without a body is refused as such
                expect = (200 if method == "GET" else 415) if public else 401
                assert r.status_code == expect, \
                    f"{method} {path}: {r.status_code}, expected {expect}: {r.text[:200]}"
                check_response(r, path, method, doc)
            else:
                assert r.status_code == 405, f"{method} {path}: {r.status_code}, expected 405"
                allow = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
                expect = documented | ({"HEAD"} if "GET" in documented else set())
                assert allow == expect, f"{method} {path}: Allow {allow}, documented {expect}"
                body = r.json()
                validate(body, "Problem")
                assert body["status"] == 405


def test_served_document_is_the_file(service):
    r = requests.get(service.url + "/api/openapi.json", timeout=10)
    assert r.status_code == 200, f"GET /api/openapi.json: {r.status_code} {r.text[:200]}"
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    with open(DOC_PATH, encoding="utf-8") as f:
        assert r.json() == json.load(f)
    check_response(r, "/api/openapi.json", "get")


# ---------------------------------------------------------------- public responses

def test_themes_response_matches_schema(service):
    r = requests.get(service.url + "/api/v1/themes", timeout=10)
    body = check_response(r, "/api/v1/themes", "get")
    items = body["items"]
    parents = [t for t in items if t["parent"] is None]
    children = [t for t in items if t["parent"] is not None]
    assert len(parents) == 8 and len(children) == 25
    for t in children:
        validate(t["code"], "ThemeCode")
        assert t["code"].startswith(t["parent"] + ".")


def test_health_responses_match_schemas(service):
    body = check_response(requests.get(service.url + "/healthz", timeout=10), "/healthz", "get")
    assert body == {"status": "ok"}
    body = check_response(requests.get(service.url + "/readyz", timeout=10), "/readyz", "get")
    assert body == {"status": "ready"}
    r = requests.get(service.url + "/metrics", timeout=10)
    text = check_response(r, "/metrics", "get")
    assert "process_resident_memory_bytes" in text


# ---------------------------------------------------------------- domain responses

@pytest.fixture(scope="module")
def admin(pg, service):
    r = run_cli("token", "create", "--role", "admin", "--label", "openapi tests", "--db", pg.conninfo)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert re.fullmatch(r"rt_[A-Za-z0-9_-]{43}", token), r.stdout
    return token


class Api:
    """Calls that check every response against the document."""

    def __init__(self, service, token):
        self.url = service.url
        self.token = token

    def call(self, method, path_template, id_value=None, json_body=None, params=None,
             token=None, expect=None, data=None, headers=None):
        path = concrete(path_template, id_value) if id_value else path_template
        h = {"Authorization": f"Bearer {token or self.token}"}
        h.update(headers or {})
        r = requests.request(method, self.url + path, json=json_body, params=params, data=data,
                             headers=h, timeout=10)
        body = check_response(r, path_template, method)
        if expect is not None:
            assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return body


@pytest.fixture(scope="module")
def api(service, admin):
    return Api(service, admin)


def test_problem_responses_match_schemas(service, api):
    """For every documented operation: the problem answers a client can provoke without
    data (wrong content type, malformed JSON, unknown field, bad query, bad id, unknown id)
    are documented and match Problem."""
    doc = load_document()
    table = route_table()
    for method, path in sorted(documented_operations(doc)):
        if not table.get((method, path)):
            continue  # public
        op = operation(path, method, doc)
        # required query parameters (the import's entity) get their first allowed value
        params = {p["name"]: p["schema"]["enum"][0] for p in op.get("parameters", [])
                  if p.get("required") and p.get("in") == "query"}
        takes_array = False
        if "requestBody" in op:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            takes_array = resolve(schema["$ref"], doc).get("type") == "array" \
                if "$ref" in schema else schema.get("type") == "array"
            as_json = {"Content-Type": "application/json"}
            api.call(method, path, "1", params=params, data="{}",
                     headers={"Content-Type": "text/plain"}, expect=415)
            api.call(method, path, "1", params=params, data='{"title": ', headers=as_json,
                     expect=400)
            api.call(method, path, "1", params=params, data='[{"a": 1, "a": 2}]' if takes_array
                     else '{"a": 1, "a": 2}', headers=as_json, expect=400)
            bad = {"no_such_field": 1}
            body = api.call(method, path, "1", params=params,
                            json_body=[bad] if takes_array else bad, expect=422)
            assert any(e["field"] == "no_such_field" for e in body["errors"]), body
        if "{id}" in path:
            api.call(method, path, "abc", params=params, json_body={}, expect=404)
            if not takes_array:  # an import finds its roundtable missing only with good rows
                api.call(method, path, "999999999", params=params, json_body={}, expect=404)
        if method == "GET" and any(p.get("$ref", "").endswith("/Limit") for p in op.get("parameters", [])):
            parent = "1" if "{id}" in path else None  # a list under a resource
            api.call(method, path, parent, params={"no_such_filter": "1"}, expect=400)
            api.call(method, path, parent, params={"limit": "0"}, expect=400)
            api.call(method, path, parent, params={"limit": "501"}, expect=400)
            api.call(method, path, parent, params={"cursor": "not-a-cursor"}, expect=400)
    # a route that does not exist, and a wrong token
    r = requests.get(service.url + "/api/v1/no-such-thing", timeout=10)
    assert r.status_code == 404
    validate(r.json(), "Problem")
    api.call("GET", "/api/v1/needs", token="rt_" + "A" * 43, expect=401)


def test_domain_round_trip_matches_schemas(api):
    tag = uuid.uuid4().hex[:8]
    # participants
    state = api.call("POST", "/api/v1/participants", expect=201, json_body={
        "name": f"Kenya {tag}", "kind": "state", "country": "KEN", "languages": ["en", "sw"],
        "contact": {"name": "Amina Otieno", "email": "amina@example.org"}})
    assert state["region"] == "africa"
    other = api.call("POST", "/api/v1/participants", expect=201, json_body={
        "name": f"Chile {tag}", "kind": "state", "country": "CHL", "languages": ["es"]})
    donor = api.call("POST", "/api/v1/participants", expect=201, json_body={
        "name": f"Donor {tag}", "kind": "donor", "languages": ["en", "fr"]})
    assert donor["country"] is None and donor["region"] is None
    assert donor["contact"] == {"name": None, "email": None}
    api.call("GET", "/api/v1/participants/{id}", state["id"], expect=200)
    api.call("PATCH", "/api/v1/participants/{id}", donor["id"], expect=200,
             json_body={"contact": {"email": "desk@example.org"}})
    page = api.call("GET", "/api/v1/participants", params={"kind": "state", "limit": "1"},
                    expect=200)
    assert len(page["items"]) == 1 and page["next_cursor"]
    api.call("GET", "/api/v1/participants", params={"cursor": page["next_cursor"], "q": tag,
                                                    "region": "africa", "country": "KEN"},
             expect=200)
    api.call("POST", "/api/v1/participants", expect=422, json_body={"name": "x", "kind": "state"})

    # tokens
    state_token = api.call("POST", "/api/v1/tokens", expect=201, json_body={
        "role": "state", "participant_id": state["id"], "label": "state"})
    other_token = api.call("POST", "/api/v1/tokens", expect=201, json_body={
        "role": "state", "participant_id": other["id"]})
    provider_token = api.call("POST", "/api/v1/tokens", expect=201, json_body={
        "role": "provider", "participant_id": donor["id"]})
    api.call("GET", "/api/v1/tokens", expect=200)
    api.call("GET", "/api/v1/tokens", params={"participant_id": state["id"]}, expect=200)
    api.call("POST", "/api/v1/tokens", expect=422, json_body={"role": "king"})
    # a state may change its own participant, not another
    api.call("PATCH", "/api/v1/participants/{id}", state["id"], token=state_token["token"],
             expect=200, json_body={"languages": ["en"]})
    api.call("PATCH", "/api/v1/participants/{id}", other["id"], token=state_token["token"],
             expect=403, json_body={"languages": ["es"]})
    api.call("PATCH", "/api/v1/participants/{id}", state["id"], token=state_token["token"],
             expect=422, json_body={"country": "CHL"})

    # roundtables
    rt = api.call("POST", "/api/v1/roundtables", expect=201, json_body={
        "title": f"Roundtable {tag}", "starts_on": "2024-05-10", "ends_on": "2024-05-10",
        "location": "New York"})
    assert rt["status"] == "planned"
    bare = api.call("POST", "/api/v1/roundtables", expect=201, json_body={"title": f"Bare {tag}"})
    assert bare["starts_on"] is None and bare["location"] == ""
    api.call("PATCH", "/api/v1/roundtables/{id}", rt["id"], json_body={"status": "open"}, expect=200)
    api.call("PATCH", "/api/v1/roundtables/{id}", rt["id"], json_body={"status": "planned"},
             expect=409)
    api.call("GET", "/api/v1/roundtables/{id}", rt["id"], expect=200)
    api.call("GET", "/api/v1/roundtables", params={"status": "open"}, expect=200)
    api.call("POST", "/api/v1/roundtables", token=state_token["token"], expect=403,
             json_body={"title": "no"})
    api.call("POST", "/api/v1/roundtables", expect=422,
             json_body={"title": "x", "starts_on": "2024-05-10", "ends_on": "2024-05-01"})

    # needs
    need = api.call("POST", "/api/v1/needs", expect=201, json_body={
        "roundtable_id": rt["id"], "participant_id": state["id"], "title": "Establish a CSIRT",
        "description": "设立国家计算机应急响应小组", "themes": ["incident.csirt_establishment"],
        "languages": ["en", "zh"], "window": {"start": "2024-09-01", "end": "2025-06-30"},
        "budget_usd": 50000.25, "priority": "high", "max_partners": 2})
    assert need["budget_usd"] == 50000.25 and need["status"] == "open"
    own = api.call("POST", "/api/v1/needs", token=state_token["token"], expect=201, json_body={
        "roundtable_id": rt["id"], "title": "Awareness campaign", "themes": ["skills.awareness"],
        "languages": ["en"]})
    assert own["participant_id"] == state["id"] and own["window"] == {"start": None, "end": None}
    assert own["budget_usd"] is None and own["modality"] == "any"
    body = api.call("POST", "/api/v1/needs", expect=422, json_body={
        "roundtable_id": rt["id"], "participant_id": state["id"], "title": "x",
        "themes": ["incident", "nope.nope"], "languages": ["en"],
        "window": {"start": "2025-01-02", "end": "2025-01-01"}})
    fields = {e["field"] for e in body["errors"]}
    assert {"themes[0]", "themes[1]", "window.end"} <= fields, fields
    api.call("GET", "/api/v1/needs/{id}", need["id"], expect=200)
    page = api.call("GET", "/api/v1/needs", expect=200, params={
        "roundtable_id": rt["id"], "participant_id": state["id"], "theme": "incident",
        "region": "africa", "status": "open", "q": "应急", "priority": "high",
        "modality": "any"})
    assert [n["id"] for n in page["items"]] == [need["id"]]
    api.call("PATCH", "/api/v1/needs/{id}", need["id"], expect=200,
             json_body={"priority": None, "window": {"end": None}, "budget_usd": None})
    api.call("PATCH", "/api/v1/needs/{id}", need["id"], token=other_token["token"], expect=403,
             json_body={"priority": "low"})
    api.call("POST", "/api/v1/needs", token=provider_token["token"], expect=403, json_body={})
    withdrawn = api.call("DELETE", "/api/v1/needs/{id}", own["id"], token=state_token["token"],
                         expect=200)
    assert withdrawn["status"] == "withdrawn"
    api.call("DELETE", "/api/v1/needs/{id}", own["id"], expect=200)
    api.call("PATCH", "/api/v1/needs/{id}", own["id"], json_body={"title": "again"}, expect=409)

    # offers
    offer = api.call("POST", "/api/v1/offers", token=provider_token["token"], expect=201,
                     json_body={"roundtable_id": rt["id"], "title": "Incident response training",
                                "kind": "training", "themes": ["incident.incident_response"],
                                "languages": ["en", "fr"], "funding_usd": 1000,
                                "regions": ["africa"], "countries": ["KEN"], "capacity": 3})
    assert offer["participant_id"] == donor["id"] and offer["modality"] == "hybrid"
    named = api.call("POST", "/api/v1/offers", expect=201, json_body={
        "roundtable_id": rt["id"], "participant_id": donor["id"], "title": "Policy advice",
        "kind": "policy_advice", "themes": ["strategy.national_strategy"], "languages": ["es"]})
    assert named["regions"] == [] and named["countries"] == [] and named["funding_usd"] is None
    api.call("GET", "/api/v1/offers/{id}", offer["id"], expect=200)
    page = api.call("GET", "/api/v1/offers", expect=200, params={
        "roundtable_id": rt["id"], "participant_id": donor["id"], "theme": "incident.incident_response",
        "region": "africa", "status": "open", "q": "training", "kind": "training",
        "modality": "hybrid"})
    assert [o["id"] for o in page["items"]] == [offer["id"]]
    api.call("PATCH", "/api/v1/offers/{id}", offer["id"], token=provider_token["token"],
             expect=200, json_body={"status": "closed", "capacity": None})
    api.call("POST", "/api/v1/offers", token=provider_token["token"], expect=422,
             json_body={"roundtable_id": rt["id"], "title": "x", "kind": "gift",
                        "themes": ["incident.incident_response"], "languages": ["en"]})
    api.call("DELETE", "/api/v1/offers/{id}", named["id"], token=provider_token["token"],
             expect=200)

    # bulk import, JSON and CSV
    imp = "/api/v1/roundtables/{id}/import"
    rows = [{"participant_id": state["id"], "title": f"Imported {i}",
             "themes": ["cbm.transparency"], "languages": ["ru"]} for i in range(3)]
    body = api.call("POST", imp, rt["id"], params={"entity": "needs"}, json_body=rows, expect=200)
    assert body == {"inserted": 3}
    csv = ("participant_id,title,kind,themes,languages,window_start,window_end,regions\r\n"
           f"{donor['id']},\"Forensics lab, equipment\",equipment,"
           "cybercrime.digital_forensics;cybercrime.investigation,en;ar,2024-06-01,,africa\r\n")
    body = api.call("POST", imp, rt["id"], params={"entity": "offers"}, data=csv.encode(),
                    headers={"Content-Type": "text/csv; charset=utf-8"}, expect=200)
    assert body == {"inserted": 1}
    body = api.call("POST", imp, rt["id"], params={"entity": "needs"}, expect=422,
                    json_body=rows[:1] + [dict(rows[0], themes=["nope.nope"])])
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "themes[0]")], body
    api.call("POST", imp, rt["id"], params={"entity": "needs"}, json_body={"rows": rows},
             expect=400)
    api.call("POST", imp, rt["id"], params={"entity": "people"}, json_body=rows, expect=400)
    api.call("POST", imp, "999999999", params={"entity": "needs"}, json_body=rows, expect=404)
    api.call("POST", imp, rt["id"], params={"entity": "needs"}, json_body=rows,
             token=state_token["token"], expect=403)

    # a closed roundtable takes no new postings
    api.call("PATCH", "/api/v1/roundtables/{id}", rt["id"], json_body={"status": "closed"},
             expect=200)
    api.call("POST", "/api/v1/needs", token=state_token["token"], expect=409, json_body={
        "roundtable_id": rt["id"], "title": "Late", "themes": ["skills.awareness"],
        "languages": ["en"]})
    api.call("POST", imp, rt["id"], params={"entity": "needs"}, json_body=rows, expect=409)

    # revoking
    api.call("DELETE", "/api/v1/tokens/{id}", other_token["id"], expect=204)
    api.call("GET", "/api/v1/needs", token=other_token["token"], expect=401)
    api.call("DELETE", "/api/v1/tokens/{id}", provider_token["id"], token=state_token["token"],
             expect=404)
    api.call("DELETE", "/api/v1/tokens/{id}", state_token["id"], token=state_token["token"],
             expect=204)
