"""The audit log over real HTTP and PostgreSQL (docs/reliability.md): every write leaves a row
naming who (token, role, participant), what (method, route, entity and id, before and after)
and when, written in the same transaction as the write; GET /api/v1/audit (admin only) with
filters and cursor paging."""
import json

import requests

from domain_fixtures import *  # noqa: F401,F403

A = f"{V1}/audit"


def audit(world, **params):
    return world.get(A, params={k: str(v) for k, v in params.items()})


def test_create_patch_withdraw_are_logged(world):
    need = world.new_need(title=f"audited {tag()}")
    world.patch(f"{V1}/needs/{{id}}", need["id"], {"priority": "high"}, as_="state_a")
    world.call("DELETE", f"{V1}/needs/{{id}}", need["id"], as_="state_a", expect=(200, 204))
    items = audit(world, entity="needs", entity_id=need["id"])["items"]
    assert [i["action"] for i in items] == ["insert", "update", "update"]
    first, patched, withdrawn = items
    for item in items:
        validate(item, "AuditEntry")
        assert item["entity"] == "needs" and item["entity_id"] == need["id"]
        assert item["participant_id"] == world.p["state_a"]["id"]
        assert item["actor"]["role"] == "state"
        assert item["actor"]["token_id"] == world.tok_id["state_a"]
        assert item["actor"]["participant_id"] == world.p["state_a"]["id"]
    assert first["before"] is None and first["after"]["title"] == need["title"]
    assert first["actor"]["method"] == "POST" and first["actor"]["route"] == "/api/v1/needs"
    assert patched["before"]["priority"] != "high" and patched["after"]["priority"] == "high"
    assert patched["actor"]["method"] == "PATCH"
    assert withdrawn["after"]["status"] == "withdrawn"
    assert withdrawn["actor"]["method"] == "DELETE"


def test_secrets_never_logged(world):
    t = world.new_token("organizer", world.p["organizer"]["id"], label="audit")
    items = audit(world, entity="tokens", entity_id=t["id"])["items"]
    assert len(items) == 1
    assert "hash" not in items[0]["after"]
    assert t["token"] not in json.dumps(items)


def test_refused_write_leaves_no_row(world):
    before = world.count("audit_log")
    world.call("POST", f"{V1}/needs", as_="state_a",
               body=need_body(world.rt["id"], themes=["no.such"]), expect=422)
    assert world.count("audit_log") == before


def test_filters_and_paging(world):
    rt = world.new_roundtable("open")
    for i in range(3):
        world.new_need(rt=rt["id"], title=f"page {i}")
    by_actor = audit(world, actor=f"token:{world.tok_id['state_a']}", entity="needs", limit=2)
    assert len(by_actor["items"]) == 2 and by_actor["next_cursor"]
    nxt = audit(world, actor=f"token:{world.tok_id['state_a']}", entity="needs", limit=2,
                cursor=by_actor["next_cursor"])
    assert {i["id"] for i in nxt["items"]}.isdisjoint({i["id"] for i in by_actor["items"]})
    mine = audit(world, participant_id=world.p["state_a"]["id"], limit=500)["items"]
    assert mine and all(i["participant_id"] == world.p["state_a"]["id"] for i in mine)
    assert audit(world, since="2199-01-01T00:00:00Z")["items"] == []
    assert audit(world, until="2000-01-01")["items"] == []
    recent = audit(world, since="2000-01-01T00:00:00.000+00:00", entity="roundtables")["items"]
    assert any(i["entity_id"] == rt["id"] for i in recent)


def test_bad_filters(world):
    for params in ({"entity": "secrets"}, {"entity_id": "x"}, {"actor": "me"},
                   {"since": "yesterday"}, {"until": "2024-13-01"}, {"colour": "red"}):
        r = world.call("GET", A, params=params, expect=400)
        validate(r.body, "Problem")


def test_admin_only(world):
    for caller in ("organizer", "state_a", "donor"):
        world.call("GET", A, as_=caller, expect=403)
    world.call("GET", A, token=None, expect=401)


def test_decisions_are_logged(world):
    """A decision on a match is a logged update of the match, with the decider as actor."""
    rid = world.new_roundtable("open")["id"]
    world.new_need(rt=rid, title="CSIRT", themes=["incident.csirt_establishment"])
    world.new_offer(rt=rid, themes=["incident.csirt_establishment"])
    run = world.call("POST", f"{V1}/roundtables/{{id}}/match-runs", rid, body={},
                     expect=202).body
    import time
    deadline = time.time() + 30
    while run["status"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.1)
        run = world.get(f"{V1}/match-runs/{{id}}", run["id"])
    assert run["status"] == "succeeded", run
    runs = audit(world, entity="match_runs", entity_id=run["id"])["items"]
    assert runs[0]["action"] == "insert" and runs[0]["actor"]["role"] == "admin"
    assert runs[-1]["after"]["status"] == "succeeded"
    match = world.get(f"{V1}/matches", params={"run_id": run["id"]})["items"][0]
    world.call("POST", f"{V1}/matches/{{id}}/decision", match["id"], as_="state_a",
               body={"decision": "accept"}, expect=200)
    items = audit(world, entity="matches", entity_id=match["id"])["items"]
    assert len(items) == 1 and items[0]["action"] == "update"
    assert items[0]["actor"]["role"] == "state"
    assert items[0]["after"]["state_decision"] == "accept"


def test_import_logs_each_posting(world):
    rid = world.new_roundtable("open")["id"]
    rows = [{"participant_id": world.p["state_a"]["id"], "title": f"imported {i}",
             "themes": ["cbm.transparency"], "languages": ["en"]} for i in range(4)]
    h = {"Authorization": f"Bearer {world.tok['organizer']}", "Content-Type": "application/json"}
    r = requests.post(world.url + f"{V1}/roundtables/{rid}/import?entity=needs",
                      data=json.dumps(rows), headers=h, timeout=30)
    assert r.status_code == 200, r.text
    n = world.count("audit_log", f"entity = 'needs' AND (after->>'roundtable_id')::bigint = {rid}"
                                 " AND actor->>'role' = 'organizer'")
    assert n == 4


def test_accounts_and_sessions_are_logged_without_secrets(world):
    """Account creation and disabling, sign-in, a failed sign-in, sign-out and revocation: each
    write is in the log with its actor, and neither a password, its hash, a session secret nor
    its hash ever is."""
    password = "correct horse battery staple"
    email = f"audited-{tag()}@example.org"
    acc = world.post(f"{V1}/accounts", {"email": email, "password": password, "role": "state",
                                        "participant_id": world.p["state_a"]["id"]})
    created = audit(world, entity="accounts", entity_id=acc["id"])["items"]
    assert [i["action"] for i in created] == ["insert"]
    assert created[0]["actor"]["role"] == "admin"
    assert created[0]["actor"]["token_id"] == world.tok_id["admin"]
    assert created[0]["actor"]["route"] == "/api/v1/accounts"
    assert "password_hash" not in created[0]["after"]

    world.pg.psql("DELETE FROM sign_in_failures")
    s = requests.Session()
    bad = s.post(world.url + f"{V1}/session", json={"email": email, "password": "wrong"},
                 timeout=30)
    assert bad.status_code == 401, bad.text
    r = s.post(world.url + f"{V1}/session", json={"email": email, "password": password},
               timeout=30)
    assert r.status_code == 201, r.text
    session_id, csrf = r.json()["id"], r.json()["csrf_token"]
    out = s.delete(world.url + f"{V1}/session", headers={"X-CSRF-Token": csrf}, timeout=10)
    assert out.status_code == 204, out.text
    items = audit(world, entity="sessions", entity_id=session_id)["items"]
    assert [i["action"] for i in items] == ["insert", "update"], items
    signed_in, signed_out = items
    for item in items:
        validate(item, "AuditEntry")
        assert item["actor"]["account_id"] == acc["id"]
        assert item["actor"]["role"] == "state"
        assert "hash" not in (item["before"] or {}) and "hash" not in item["after"]
    assert signed_in["actor"]["route"] == "/api/v1/session"
    assert signed_in["actor"]["method"] == "POST" and signed_in["actor"]["session_id"] is None
    assert signed_out["actor"]["method"] == "DELETE"
    assert signed_out["actor"]["session_id"] == session_id
    assert signed_out["before"]["revoked_at"] is None and signed_out["after"]["revoked_at"]
    # the failed attempt changed no audited table
    assert audit(world, actor=f"account:{acc['id']}", entity="sessions")["items"] == items

    # disabling the account ends its live sessions: both changes are logged as the admin's
    r2 = requests.post(world.url + f"{V1}/session", json={"email": email, "password": password},
                       timeout=30)
    assert r2.status_code == 201, r2.text
    world.call("DELETE", f"{V1}/accounts/{{id}}", acc["id"], expect=204)
    disabled = audit(world, entity="accounts", entity_id=acc["id"])["items"]
    assert [i["action"] for i in disabled] == ["insert", "update"]
    assert disabled[1]["after"]["disabled_at"] and disabled[1]["actor"]["role"] == "admin"
    ended = audit(world, entity="sessions", entity_id=r2.json()["id"])["items"]
    assert [i["action"] for i in ended] == ["insert", "update"]
    assert ended[1]["actor"]["token_id"] == world.tok_id["admin"]

    log = json.dumps(created + items + disabled + ended)
    for secret in (password, "wrong", r.cookies.get("rt_session") or "-", csrf,
                   r2.json()["csrf_token"]):
        assert secret not in log
    assert "$argon2id$" not in log
