"""Idempotency-Key on POST over real HTTP and PostgreSQL (docs/reliability.md): the first
response is stored and replayed for a repeat (nothing written twice), the same key with a
different body is 422, a repeat while the first is in flight is 409 with Retry-After, keys
are scoped to the caller and the request target, expire after 24 h, and hold across
processes."""
import json
import os
import subprocess
import threading
import time
import uuid

import requests

from domain_fixtures import *  # noqa: F401,F403
from harness import PG_BINDIR, Service
from openapi_check import check_response

N = f"{V1}/needs"


def key():
    return "k-" + uuid.uuid4().hex


def post(world, body, k, as_="state_a", url=None, check=True):
    h = {"Authorization": f"Bearer {world.tok[as_]}", "Content-Type": "application/json"}
    if k is not None:
        h["Idempotency-Key"] = k
    r = requests.post((url or world.url) + N, data=json.dumps(body), headers=h, timeout=30)
    if check:
        r.body = check_response(r, N, "POST")
    return r


def test_repeat_replays_and_writes_once(world):
    title = f"idem-{tag()}"
    body = need_body(world.rt["id"], title=title)
    k = key()
    first = post(world, body, k)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    for _ in range(3):
        again = post(world, body, k)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers["Content-Type"].startswith("application/json")
    assert world.count("needs", f"title = '{title}'") == 1
    # without a key every POST writes
    post(world, body, None)
    assert world.count("needs", f"title = '{title}'") == 2


def test_different_body_is_refused(world):
    k = key()
    body = need_body(world.rt["id"], title=f"idem-{tag()}")
    assert post(world, body, k).status_code == 201
    other = dict(body, title=f"idem-other-{tag()}")
    r = post(world, other, k)
    assert r.status_code == 422, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert error_for(r.json(), "Idempotency-Key")
    assert world.count("needs", f"title = '{other['title']}'") == 0


def test_refusals_are_replayed_too(world):
    k = key()
    body = need_body(world.rt["id"], themes=["no.such_theme"])
    r1 = post(world, body, k)
    assert r1.status_code == 422
    r2 = post(world, body, k)
    assert r2.status_code == 422 and r2.json() == r1.json()
    assert r2.headers["Idempotent-Replayed"] == "true"


def test_scoped_to_caller_and_target(world):
    k = key()
    a = post(world, need_body(world.rt["id"], title=f"idem-a-{tag()}"), k, as_="state_a")
    b = post(world, need_body(world.rt["id"], title=f"idem-b-{tag()}"), k, as_="state_b")
    assert a.status_code == 201 and b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    # another route with the same key and caller is another request
    h = {"Authorization": f"Bearer {world.tok['donor']}", "Content-Type": "application/json",
         "Idempotency-Key": k}
    r = requests.post(world.url + f"{V1}/offers", headers=h,
                      data=json.dumps(offer_body(world.rt["id"], title=f"idem-o-{tag()}")),
                      timeout=30)
    assert r.status_code == 201, r.text


def test_bad_keys(world):
    body = need_body(world.rt["id"])
    for bad in ["x" * 256, "with space", "é"]:
        h = {"Authorization": f"Bearer {world.tok['state_a']}",
             "Content-Type": "application/json", "Idempotency-Key": bad.encode("utf-8")}
        r = requests.post(world.url + N, data=json.dumps(body), headers=h, timeout=30)
        assert r.status_code == 400, (bad, r.text)
        validate(r.json(), "Problem")


def test_unauthenticated_is_not_stored(world):
    k = key()
    body = need_body(world.rt["id"], title=f"idem-{tag()}")
    h = {"Content-Type": "application/json", "Idempotency-Key": k}
    r = requests.post(world.url + N, data=json.dumps(body), headers=h, timeout=30)
    assert r.status_code == 401
    assert world.count("idempotency_keys", f"key = '{k}'") == 0


def test_in_flight_repeat_is_conflict(world, pg):
    title = f"idem-flight-{tag()}"
    body = need_body(world.rt["id"], title=title)
    k = key()
    psql = os.path.join(PG_BINDIR, "psql")
    psql = psql if os.path.exists(psql) else "psql"
    holder = subprocess.Popen(
        [psql, "-X", "-q", "-d", pg.conninfo, "-c",
         "BEGIN; LOCK TABLE needs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", post(world, body, k)))
    t.start()
    try:
        deadline = time.time() + 5
        while world.count("idempotency_keys", f"key = '{k}'") == 0:
            assert time.time() < deadline
            time.sleep(0.05)
        r = post(world, body, k, check=False)
        assert r.status_code == 409, r.text
        assert int(r.headers["Retry-After"]) >= 1
        validate(r.json(), "Problem")
    finally:
        t.join(30)
        holder.wait(30)
    assert result["r"].status_code == 201
    deadline = time.time() + 5
    while True:  # the response is stored just after it is sent
        again = post(world, body, k, check=False)
        if again.status_code != 409 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert again.status_code == 201 and again.json() == result["r"].json()
    assert world.count("needs", f"title = '{title}'") == 1


def test_expired_key_runs_again(world):
    k = key()
    body = need_body(world.rt["id"], title=f"idem-exp-{tag()}")
    first = post(world, body, k)
    world.pg.psql(f"UPDATE idempotency_keys SET expires_at = now() - interval '1 second'"
                  f" WHERE key = '{k}'")
    again = post(world, body, k)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]


def test_holds_across_processes(world, pg):
    k = key()
    body = need_body(world.rt["id"], title=f"idem-x-{tag()}")
    first = post(world, body, k)
    other = Service(pg, migrate=False)
    try:
        r = post(world, body, k, url=other.url)
        assert r.status_code == 201 and r.json() == first.json()
        assert r.headers["Idempotent-Replayed"] == "true"
    finally:
        assert other.stop() == 0
    assert world.count("needs", f"title = '{body['title']}'") == 1


def test_import_with_key(world):
    rid = world.new_roundtable("open")["id"]
    rows = [{"participant_id": world.p["state_a"]["id"], "title": f"idem-imp-{i}",
             "themes": ["cbm.transparency"], "languages": ["en"]} for i in range(5)]
    k = key()
    h = {"Authorization": f"Bearer {world.tok['admin']}", "Content-Type": "application/json",
         "Idempotency-Key": k}
    url = world.url + f"{V1}/roundtables/{rid}/import?entity=needs"
    r1 = requests.post(url, data=json.dumps(rows), headers=h, timeout=30)
    r2 = requests.post(url, data=json.dumps(rows), headers=h, timeout=30)
    assert r1.status_code == 200 and r2.status_code == 200, (r1.text, r2.text)
    assert r2.headers["Idempotent-Replayed"] == "true"
    assert world.count("needs", f"roundtable_id = {rid}") == 5
