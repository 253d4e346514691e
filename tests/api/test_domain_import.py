"""Bulk import over real HTTP and PostgreSQL: POST /roundtables/{id}/import?entity=needs|offers
with CSV or a JSON array, all or nothing. Success with counts and the rows as the API shows them;
a bad row among many is a 422 listing row numbers and fields, and nothing is written; CSV and
JSON syntax errors are 400; wrong entity 400; wrong content type 415; closed roundtable 409;
unknown roundtable 404; state and provider tokens 403."""
import json

import pytest

from domain_fixtures import *  # noqa: F401,F403

IMP = f"{V1}/roundtables/{{id}}/import"
N = f"{V1}/needs"
O = f"{V1}/offers"
CSV = "text/csv"


def send(world, rid, entity, payload, ctype="", as_="admin", expect=None, params=None):
    """payload: a list (sent as JSON) or str/bytes (sent as ctype, CSV by default); ctype None
    sends no Content-Type."""
    if isinstance(payload, list) or isinstance(payload, dict):
        data, ctype = json.dumps(payload, ensure_ascii=False).encode(), ctype or "application/json"
    else:
        data = payload.encode() if isinstance(payload, str) else payload
        ctype = CSV if ctype == "" else ctype
    p = {"entity": entity} if entity is not None else {}
    p.update(params or {})
    headers = {"Content-Type": ctype} if ctype else {}
    return world.call("POST", IMP, rid, as_=as_, data=data, headers=headers, params=p,
                      expect=expect)


def need_rows(world, n, **extra):
    return [dict({"participant_id": world.p["state_a"]["id"], "title": f"Imported need {i}",
                  "themes": ["cbm.transparency"], "languages": ["en"]}, **extra)
            for i in range(n)]


def in_rt(world, tpl, rid):
    return world.list_all(tpl, params={"roundtable_id": rid})


@pytest.fixture
def rt(world):
    return world.new_roundtable("open")["id"]


# ---------------------------------------------------------------- success

@pytest.mark.parametrize("caller", ["admin", "organizer"])
def test_json_needs(world, rt, caller):
    rows = need_rows(world, 40)
    rows[3].update(description="Описание", modality="online", priority="high", max_partners=3,
                   window={"start": "2024-09-01", "end": "2025-01-31"}, budget_usd=1234.5,
                   roundtable_id=rt)
    rows[7]["participant_id"] = world.p["state_b"]["id"]
    before = world.count("needs")
    r = send(world, rt, "needs", rows, as_=caller, expect=200)
    assert r.body == {"inserted": 40}
    validate(r.body, "ImportResult")
    assert world.count("needs") == before + 40
    got = in_rt(world, N, rt)
    assert [g["title"] for g in got] == [f"Imported need {i}" for i in range(40)]
    for g in got:
        validate(g, "Need")
        assert g["status"] == "open" and g["roundtable_id"] == rt
    g = got[3]
    assert (g["description"], g["modality"], g["priority"], g["max_partners"], g["window"],
            g["budget_usd"]) == ("Описание", "online", "high", 3,
                                 {"start": "2024-09-01", "end": "2025-01-31"}, 1234.5)
    assert (got[0]["modality"], got[0]["priority"], got[0]["max_partners"]) == \
        ("any", "medium", 1)
    assert got[7]["participant_id"] == world.p["state_b"]["id"]


def test_json_offers(world, rt):
    rows = [{"participant_id": world.p["donor"]["id"], "title": "Offer A", "kind": "training",
             "themes": ["skills.education"], "languages": ["fr"], "regions": ["africa"],
             "countries": ["SEN"], "capacity": 4, "funding_usd": 0},
            {"participant_id": world.p["implementer"]["id"], "title": "Offer B",
             "kind": "equipment", "themes": ["incident.incident_response"], "languages": ["en"]}]
    assert send(world, rt, "offers", rows, expect=200).body == {"inserted": 2}
    got = in_rt(world, O, rt)
    assert [(g["title"], g["regions"], g["countries"], g["capacity"], g["modality"])
            for g in got] == [("Offer A", ["africa"], ["SEN"], 4, "hybrid"),
                              ("Offer B", [], [], 1, "hybrid")]


def test_csv_needs(world, rt):
    sid = world.p["state_a"]["id"]
    csv = ("\ufeffparticipant_id,title,description,themes,languages,modality,window_start,"
           "window.end,budget_usd,priority,max_partners\r\n"
           f"{sid},Establish a national CSIRT,,incident.csirt_establishment;"
           "incident.incident_response,en;fr,hybrid,2024-09-01,2025-06-30,50000,high,2\r\n"
           f"{sid},\"Awareness, nationwide\",\"He said \"\"now\"\"\nsecond line\",skills.awareness"
           ",en,,,,,,\r\n"
           f"{sid},设立国家计算机应急响应小组,描述,incident.csirt_establishment, zh ; en ,,,,"
           "0.5,,\n")
    before = world.count("needs")
    r = send(world, rt, "needs", csv.encode("utf-8"), ctype="text/csv; charset=utf-8",
             expect=200)
    assert r.body == {"inserted": 3}
    assert world.count("needs") == before + 3
    a, b, c = in_rt(world, N, rt)
    assert a["themes"] == ["incident.csirt_establishment", "incident.incident_response"]
    assert (a["languages"], a["modality"], a["window"], a["budget_usd"], a["priority"],
            a["max_partners"]) == (["en", "fr"], "hybrid",
                                   {"start": "2024-09-01", "end": "2025-06-30"}, 50000, "high", 2)
    assert a["description"] == ""
    assert b["title"] == "Awareness, nationwide"
    assert b["description"] == 'He said "now"\nsecond line'
    assert (b["modality"], b["window"], b["budget_usd"], b["max_partners"]) == \
        ("any", {"start": None, "end": None}, None, 1)
    assert c["title"] == "设立国家计算机应急响应小组" and c["languages"] == ["zh", "en"]
    assert c["budget_usd"] == 0.5


def test_csv_offers(world, rt):
    did = world.p["donor"]["id"]
    csv = ("participant_id,title,kind,themes,languages,regions,countries,capacity,funding_usd,"
           "window_start,window_end\n"
           f"{did},\"Forensics lab, equipment\",equipment,cybercrime.digital_forensics;"
           "cybercrime.investigation,en;ar,africa;asia_pacific,KEN;JOR,3,100000.25,2024-06-01,\n"
           f"{did},Mentoring,mentoring,skills.gender_inclusion,es,,,,,,\n")
    assert send(world, rt, "offers", csv, expect=200).body == {"inserted": 2}
    a, b = in_rt(world, O, rt)
    assert (a["regions"], a["countries"], a["capacity"], a["funding_usd"], a["window"]) == \
        (["africa", "asia_pacific"], ["KEN", "JOR"], 3, 100000.25,
         {"start": "2024-06-01", "end": None})
    assert (b["regions"], b["countries"], b["capacity"], b["funding_usd"]) == ([], [], 1, None)


def test_a_planned_roundtable_takes_imports(world):
    rid = world.new_roundtable("planned")["id"]
    assert send(world, rid, "needs", need_rows(world, 2), expect=200).body == {"inserted": 2}


# ---------------------------------------------------------------- all or nothing

def test_one_bad_row_among_many_inserts_nothing(world, rt):
    rows = need_rows(world, 60)
    rows[16]["themes"] = ["incident"]                     # row 17: a theme group
    rows[32]["window"] = {"start": "2025-01-02", "end": "2025-01-01"}   # row 33
    rows[32]["languages"] = ["en", "xx"]
    rows[59]["status"] = "matched"                          # row 60
    before = world.fingerprint()
    r = send(world, rt, "needs", rows, expect=422)
    validate(r.body, "Problem")
    assert sorted((e["row"], e["field"]) for e in r.body["errors"]) == [
        (17, "themes[0]"), (33, "languages[1]"), (33, "window.end"), (60, "status")]
    assert world.fingerprint() == before
    assert in_rt(world, N, rt) == []


def test_one_bad_csv_row_inserts_nothing(world, rt):
    sid = world.p["state_a"]["id"]
    lines = ["participant_id,title,themes,languages,budget_usd,max_partners"]
    lines += [f"{sid},Row {i},skills.awareness,en,{i},1" for i in range(1, 31)]
    lines[12] = f"{sid},,skills.awareness,en,5,1"          # row 12: no title
    lines[20] = f"{sid},Row 20,skills.awareness,en,-5,0"   # row 20: negative money, range
    lines[25] = f"{sid},Row 25,skills.awareness,en,abc,x"  # row 25: not numbers
    lines[30] = f"{sid},Row 30,skills.awareness"           # row 30: short
    before = world.fingerprint()
    r = send(world, rt, "needs", "\n".join(lines) + "\n", expect=422)
    assert sorted((e["row"], e["field"]) for e in r.body["errors"]) == [
        (12, "title"), (20, "budget_usd"), (20, "max_partners"), (25, "budget_usd"),
        (25, "max_partners"), (30, "")]
    assert world.fingerprint() == before


@pytest.mark.parametrize("cell", ["nan", "inf", "-inf", "infinity", "0x10", "1e400", "1,5",
                                  "9999999999999.999"])
def test_csv_money_that_is_not_an_amount(world, rt, cell):
    sid = world.p["state_a"]["id"]
    csv = f"participant_id,title,themes,languages,budget_usd\n{sid},T,skills.awareness,en,{cell}\n"
    if "," in cell:
        csv = csv.replace(cell, f'"{cell}"')
    before = world.fingerprint()
    r = send(world, rt, "needs", csv, expect=422)
    assert [(e["row"], e["field"]) for e in r.body["errors"]] == [(1, "budget_usd")], r.body
    assert world.fingerprint() == before


ROW_RULES = [
    ("roundtable_id of another roundtable", {"roundtable_id": "999999999"}, ["roundtable_id"]),
    ("read-only id", {"id": "1"}, ["id"]),
    ("unknown field", {"colour": "red"}, ["colour"]),
    ("missing participant_id", {"participant_id": need_body.UNSET}, ["participant_id"]),
    ("status", {"status": "withdrawn"}, ["status"]),
    ("bad date", {"window": {"start": "2024-02-30"}}, ["window.start"]),
    ("repeated theme", {"themes": ["cbm.transparency", "cbm.transparency"]}, ["themes[1]"]),
]


@pytest.mark.parametrize("what,change,fields", ROW_RULES, ids=[r[0] for r in ROW_RULES])
def test_row_rules(world, rt, what, change, fields):
    rows = need_rows(world, 3)
    rows[1].update(change)
    rows[1] = {k: v for k, v in rows[1].items() if v is not need_body.UNSET}
    before = world.fingerprint()
    r = send(world, rt, "needs", rows, expect=422)
    assert [(e["row"], e["field"]) for e in r.body["errors"]] == [(2, f) for f in fields]
    assert world.fingerprint() == before


def test_rows_that_are_not_objects(world, rt):
    rows = need_rows(world, 2) + [["x"], "y", None]
    before = world.fingerprint()
    r = send(world, rt, "needs", rows, expect=422)
    assert [(e["row"], e["field"]) for e in r.body["errors"]] == [(3, ""), (4, ""), (5, "")]
    assert world.fingerprint() == before


def test_a_participant_that_cannot_post_is_named_by_row(world, rt):
    """The database refuses these (it knows the participants); the rows are still listed by
    number, and nothing is written."""
    rows = need_rows(world, 30)
    rows[2]["participant_id"] = world.p["donor"]["id"]
    rows[9]["participant_id"] = "999999999"
    rows[27]["participant_id"] = world.p["organizer"]["id"]
    before = world.fingerprint()
    r = send(world, rt, "needs", rows, expect=422)
    assert [(e["row"], e["field"]) for e in r.body["errors"]] == [
        (3, "participant_id"), (10, "participant_id"), (28, "participant_id")], r.body
    assert "donor" in r.body["errors"][0]["message"]
    offers = [{"participant_id": world.p[p]["id"], "title": "x", "kind": "training",
               "themes": ["cbm.transparency"], "languages": ["en"]}
              for p in ("donor", "implementer", "state_a", "donor")]
    r = send(world, rt, "offers", offers, expect=422)
    assert [(e["row"], e["field"]) for e in r.body["errors"]] == [(3, "participant_id")]
    sid, did = world.p["state_a"]["id"], world.p["donor"]["id"]
    csv = ("participant_id,title,themes,languages\n"
           f"{sid},A,cbm.transparency,en\n{did},B,cbm.transparency,en\n")
    r = send(world, rt, "needs", csv, expect=422)
    assert [(e["row"], e["field"]) for e in r.body["errors"]] == [(2, "participant_id")]
    assert world.fingerprint() == before


def test_nothing_to_import(world, rt):
    send(world, rt, "needs", [], expect=422)
    send(world, rt, "needs", "participant_id,title,themes,languages\n", expect=422)
    send(world, rt, "needs", "participant_id,title,themes,languages\r\n", expect=422)


# ---------------------------------------------------------------- refusals

def test_unknown_or_repeated_csv_column(world, rt):
    sid = world.p["state_a"]["id"]
    before = world.fingerprint()
    for header, field in (("participant_id,title,themes,languages,colour", "colour"),
                          ("participant_id,title,themes,languages,title", "title"),
                          ("participant_id,title,themes,languages,kind", "kind"),
                          ("participant_id,title,themes,languages,id", "id"),
                          ("participant_id,title,themes,languages,status", "status"),
                          ("participant_id,title,themes,window.start,window_start",
                           "window_start"),
                          ("participant_id,title,themes,languages,a" + "国" * 40,
                           "a" + "国" * 40)):
        r = send(world, rt, "needs", f"{header}\n{sid},T,skills.awareness,en,x\n", expect=422)
        validate(r.body, "Problem")
        assert field[:12] in r.body["detail"]
        assert fields_of(r.body) == [field], r.body
    assert world.fingerprint() == before


@pytest.mark.parametrize("what,csv", [
    ("unclosed quote", 'participant_id,title,themes,languages\n{sid},"Open,skills.awareness,en\n'),
    ("quote inside a field", 'participant_id,title,themes,languages\n{sid},a"b,skills.awareness,en\n'),
    ("text after a closing quote",
     'participant_id,title,themes,languages\n{sid},"a"b,skills.awareness,en\n'),
    ("CR without LF", "participant_id,title,themes,languages\r{sid},T,skills.awareness,en\r\n"),
    ("NUL byte", "participant_id,title,themes,languages\n{sid},T\x00,skills.awareness,en\n"),
    ("empty body", ""),
    ("not UTF-8", "participant_id,title,themes,languages\n{sid},Caf\udce9,skills.awareness,en\n"),
    ("not UTF-8 in the header", "participant_id,titl\udce9\n{sid},T\n"),
    ("too many columns", ",".join(["a"] * 40) + "\n"),
])
def test_csv_syntax_errors_are_400(world, rt, what, csv):
    before = world.fingerprint()
    raw = csv.replace("{sid}", world.p["state_a"]["id"]).encode("utf-8", "surrogateescape")
    r = send(world, rt, "needs", raw, expect=400)
    validate(r.body, "Problem")
    assert world.fingerprint() == before


def test_csv_syntax_error_after_good_rows_inserts_nothing(world, rt):
    sid = world.p["state_a"]["id"]
    good = "".join(f"{sid},Row {i},skills.awareness,en\n" for i in range(50))
    before = world.fingerprint()
    send(world, rt, "needs", f"participant_id,title,themes,languages\n{good}{sid},\"broken\n",
         expect=400)
    assert world.fingerprint() == before


@pytest.mark.parametrize("raw", [
    b'[{"title": ', b'{"rows": []}', b'[{"title": "a", "title": "b"}]', b'"x"',
    b'[{"title": "a\\u0000"}]', b"[]\x00", b'[{"title": "\xff"}]', b"",
])
def test_json_syntax_errors_are_400(world, rt, raw):
    before = world.fingerprint()
    r = send(world, rt, "needs", raw, ctype="application/json", expect=400)
    validate(r.body, "Problem")
    assert world.fingerprint() == before


@pytest.mark.parametrize("entity,params", [
    (None, {}), ("people", {}), ("Needs", {}), ("", {}), ("needs", {"format": "csv"}),
])
def test_bad_entity_or_query_is_400(world, rt, entity, params):
    before = world.fingerprint()
    send(world, rt, entity, need_rows(world, 1), params=params, expect=400)
    assert world.fingerprint() == before


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded",
                                   "text/csvx", "application/vnd.ms-excel"])
def test_wrong_content_type_is_415(world, rt, ctype):
    sid = world.p["state_a"]["id"]
    before = world.fingerprint()
    r = send(world, rt, "needs", f"participant_id,title,themes,languages\n{sid},T,cbm.poc_directory,en\n",
             ctype=ctype, expect=415)
    validate(r.body, "Problem")
    assert world.fingerprint() == before


def test_closed_roundtable_is_409(world):
    rid = world.new_roundtable("closed")["id"]
    before = world.fingerprint()
    send(world, rid, "needs", need_rows(world, 3), expect=409)
    send(world, rid, "offers", "participant_id,title,kind,themes,languages\n"
         f"{world.p['donor']['id']},T,training,cbm.transparency,en\n", expect=409)
    assert world.fingerprint() == before


def test_unknown_roundtable_is_404(world):
    before = world.fingerprint()
    for rid in ("999999999", "abc", "0"):
        send(world, rid, "needs", need_rows(world, 2), expect=404)
    assert world.fingerprint() == before


@pytest.mark.parametrize("caller", ["state_a", "state_b", "donor", "implementer"])
def test_parties_may_not_import(world, rt, caller):
    before = world.fingerprint()
    r = send(world, rt, "needs", need_rows(world, 2), as_=caller, expect=403)
    validate(r.body, "Problem")
    assert world.fingerprint() == before


def test_no_token_is_401(world, rt):
    r = world.call("POST", IMP, rt, token=None, params={"entity": "needs"},
                   body=need_rows(world, 1), expect=401)
    validate(r.body, "Problem")


def test_large_import(world, rt):
    rows = need_rows(world, 3000)
    before = world.count("needs")
    assert send(world, rt, "needs", rows, expect=200).body == {"inserted": 3000}
    assert world.count("needs") == before + 3000
    ids = [int(x) for x in world.pg.psql(
        f"SELECT id FROM needs WHERE roundtable_id = {rt} ORDER BY id").split()]
    assert len(ids) == 3000


def test_imports_take_bodies_beyond_the_ordinary_limit(world, rt):
    """An import body may exceed --max-body-bytes (1 MiB) up to --max-upload-bytes; other
    routes still refuse such a body with 413 before reading it."""
    rows = need_rows(world, 1, description="x" * 20000) * 80  # about 1.6 MB of JSON
    data = json.dumps(rows).encode()
    assert len(data) > 1024 * 1024
    before = world.count("needs")
    assert send(world, rt, "needs", rows, expect=200).body == {"inserted": 80}
    assert world.count("needs") == before + 80
    r = world.call("POST", N, as_="admin", data=data,
                   headers={"Content-Type": "application/json"}, expect=413)
    validate(r.body, "Problem")
    assert world.count("needs") == before + 80


def test_a_long_import_outlives_the_ordinary_statement_timeout(world, rt):
    """An import runs in its own transaction with its own statement timeout: a service whose
    --statement-timeout (100 ms) is far shorter than the insert still imports every row."""
    import requests
    from harness import Service
    svc = Service(world.pg, "--statement-timeout", "100ms", "--threads", "1", migrate=False)
    try:
        rows = need_rows(world, 6000, description="long enough to take a while " * 20)
        before = world.count("needs")
        r = requests.post(f"{svc.url}{IMP.format(id=rt)}", params={"entity": "needs"},
                          data=json.dumps(rows).encode(),
                          headers={"Content-Type": "application/json",
                                   "Authorization": "Bearer " + world.tok["admin"]})
        assert r.status_code == 200, r.text
        assert r.json() == {"inserted": 6000}
        assert world.count("needs") == before + 6000
    finally:
        assert svc.stop() == 0, svc.log()
