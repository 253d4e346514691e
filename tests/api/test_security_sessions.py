"""Accounts, sessions and the browser's defences, over real HTTP and PostgreSQL: creating
accounts (API and CLI) and their rules, signing in and out, the cookie's attributes, CSRF on
every cookie-authorised write, expiry (idle and absolute), revocation taking effect at once,
equal 401s for a wrong email and a wrong password, the slow-down of guessing, and the security
headers of UI and API responses."""
import statistics
import time

import pytest
import requests

from domain_fixtures import *  # noqa: F401,F403
from harness import Service, run_cli
from openapi_check import check_response

PASSWORD = "correct horse battery staple"
SESSION = f"{V1}/session"
ACCOUNTS = f"{V1}/accounts"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@pytest.fixture(autouse=True)
def _no_failures(world):
    world.pg.psql("DELETE FROM sign_in_failures")
    yield


def account(world, role="organizer", participant=None, as_="admin", email=None, password=PASSWORD):
    email = email or f"{role}-{tag()}@example.org"
    body = {"email": email, "password": password, "role": role}
    if participant:
        body["participant_id"] = participant
    return world.post(ACCOUNTS, body, as_=as_), email


def sign_in(url, email, password=PASSWORD, expect=201, session=None, headers=None):
    s = session or requests.Session()
    r = s.post(url + SESSION, json={"email": email, "password": password}, headers=headers,
               timeout=30)
    assert r.status_code == expect, r.text
    if expect == 201:
        check_response(r, SESSION, "POST")
    return s, r


def set_cookie(r):
    return r.headers.get("Set-Cookie", "")


# ---------------------------------------------------------------- accounts


def test_create_list_and_the_password_rules(world):
    acc, email = account(world, "state", world.p["state_a"]["id"])
    assert acc["role"] == "state" and acc["participant_id"] == world.p["state_a"]["id"]
    assert "password" not in acc and "password_hash" not in acc
    stored = world.pg.psql(f"SELECT password_hash FROM accounts WHERE id = {acc['id']}")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    listed = world.list_all(ACCOUNTS)
    assert acc["id"] in {a["id"] for a in listed}
    cases = [
        ({"password": "eleven char"}, "password"),
        ({"password": "é" * 11}, "password"),
        ({"password": "x" * 1025}, "password"),
        ({"password": 123456789012}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": email.upper()}, "email"),  # unique whatever the case
        ({"role": "superuser"}, "role"),
        ({"role": "state", "participant_id": None}, "participant_id"),
        ({"extra": 1}, "extra"),
    ]
    for change, field in cases:
        body = {"email": f"x-{tag()}@example.org", "password": PASSWORD, "role": "organizer"}
        body.update(change)
        body = {k: v for k, v in body.items() if v is not None}
        before = world.count("accounts")
        r = world.call("POST", ACCOUNTS, body=body, expect=422)
        assert field in fields_of(r.body), (change, r.body)
        assert world.count("accounts") == before
    # twelve characters, even when they are not ASCII, and 1024 bytes are fine
    account(world, password="é" * 12)
    account(world, password="x" * 1024)
    r = world.call("POST", ACCOUNTS, expect=422, body={
        "email": f"s-{tag()}@example.org", "password": PASSWORD, "role": "state",
        "participant_id": world.p["donor"]["id"]})
    assert fields_of(r.body) == ["participant_id"]


def test_organizer_cannot_create_admin_accounts(world):
    before = world.count("accounts")
    world.call("POST", ACCOUNTS, as_="organizer", expect=403,
               body={"email": f"a-{tag()}@example.org", "password": PASSWORD, "role": "admin"})
    assert world.count("accounts") == before
    account(world, "organizer", as_="organizer")


def test_cli_account_create_reads_the_password_from_stdin(world, service):
    email = f"cli-{tag()}@example.org"
    r = run_cli("account", "create", "--email", email, "--role", "admin", "--db",
                world.pg.conninfo, input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().isdigit()
    sign_in(world.url, email)
    again = run_cli("account", "create", "--email", email.upper(), "--role", "admin", "--db",
                    world.pg.conninfo, input=PASSWORD + "\n")
    assert again.returncode != 0 and "exists" in again.stderr
    short = run_cli("account", "create", "--email", f"c-{tag()}@example.org", "--role", "admin",
                    "--db", world.pg.conninfo, input="short\n")
    assert short.returncode == 2 and "12 characters" in short.stderr
    party = run_cli("account", "create", "--email", f"c-{tag()}@example.org", "--role", "state",
                    "--db", world.pg.conninfo, input=PASSWORD)
    assert party.returncode == 2 and "--participant" in party.stderr
    assert run_cli("account", "create", "--help").returncode == 0


# ---------------------------------------------------------------- signing in and out


def test_sign_in_sets_a_strict_cookie_and_returns_the_csrf_token(world):
    acc, email = account(world, "state", world.p["state_a"]["id"])
    s, r = sign_in(world.url, email.upper())  # emails match whatever their case
    body = r.json()
    assert body["account"]["id"] == acc["id"] and body["role"] == "state"
    assert body["participant_id"] == world.p["state_a"]["id"]
    assert len(body["csrf_token"]) == 43
    cookie = set_cookie(r)
    parts = [p.strip() for p in cookie.split(";")]
    name, _, value = parts[0].partition("=")
    assert name == "rt_session" and value.startswith("rs_") and len(value) == 46
    attrs = {p.split("=")[0].lower(): p for p in parts[1:]}
    assert "httponly" in attrs and attrs["samesite"] == "SameSite=Strict"
    assert attrs["path"] == "Path=/" and "max-age" in attrs
    assert "secure" not in attrs  # plain HTTP without a trusted proxy
    assert r.headers["Cache-Control"] == "no-store"
    # only the hash of the secret is stored
    assert world.count("sessions", f"hash = sha256('{value}'::bytea)") == 1
    assert world.pg.psql(f"SELECT count(*) FROM sessions WHERE encode(hash, 'escape') LIKE "
                         f"'%{value[3:13]}%'") == "0"
    me = s.get(world.url + f"{V1}/me", timeout=10)
    assert me.status_code == 200 and me.json()["role"] == "state"
    assert me.json()["participant"]["id"] == world.p["state_a"]["id"]
    cur = s.get(world.url + SESSION, timeout=10)
    check_response(cur, SESSION, "GET")
    assert cur.json()["csrf_token"] == body["csrf_token"]
    out = s.delete(world.url + SESSION, headers={"X-CSRF-Token": body["csrf_token"]}, timeout=10)
    assert out.status_code == 204
    assert "Max-Age=0" in set_cookie(out)
    r = requests.get(world.url + f"{V1}/me", cookies={"rt_session": value}, timeout=10)
    assert r.status_code == 401
    assert "Max-Age=0" in set_cookie(r)  # a dead cookie is cleared


def test_wrong_email_and_wrong_password_get_the_same_401(world):
    _, email = account(world)
    r1 = requests.post(world.url + SESSION, json={"email": email, "password": PASSWORD + "x"},
                       timeout=30)
    r2 = requests.post(world.url + SESSION,
                       json={"email": f"nobody-{tag()}@example.org", "password": PASSWORD},
                       timeout=30)
    assert r1.status_code == r2.status_code == 401
    assert r1.json() == r2.json()
    assert r1.json()["detail"] == "The email or password is wrong."
    assert "Set-Cookie" not in r1.headers and "Set-Cookie" not in r2.headers
    check_response(r1, SESSION, "POST")


def test_wrong_email_and_wrong_password_take_the_same_time(world):
    _, email = account(world)

    def timed(e):
        t = time.perf_counter()
        r = requests.post(world.url + SESSION, json={"email": e, "password": "wrong password!"},
                          timeout=30)
        assert r.status_code == 401
        return time.perf_counter() - t

    known, unknown = [], []
    for i in range(6):
        world.pg.psql("DELETE FROM sign_in_failures")
        known.append(timed(email))
        unknown.append(timed(f"nobody-{i}-{tag()}@example.org"))
    k, u = statistics.median(known), statistics.median(unknown)
    # both check an argon2id hash (the unknown one a dummy): tens of milliseconds each
    assert k > 0.02 and u > 0.02, (known, unknown)
    assert abs(k - u) < 0.5 * max(k, u), (known, unknown)


def test_sign_in_refusals(world):
    disabled, email = account(world)
    world.call("DELETE", f"{ACCOUNTS}/{{id}}", disabled["id"], expect=204)
    sign_in(world.url, email, expect=401)
    for body, status in (({"email": email}, 422), ({"password": PASSWORD}, 422),
                         ({"email": email, "password": "x" * 1025}, 422),
                         ({"email": email, "password": PASSWORD, "role": "admin"}, 422)):
        r = requests.post(world.url + SESSION, json=body, timeout=10)
        assert r.status_code == status, (body, r.text)
    r = requests.post(world.url + SESSION, data="{", timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = requests.post(world.url + SESSION, data="email=a&password=b", timeout=10,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415  # a cross-site form cannot sign anyone in


# ---------------------------------------------------------------- CSRF


def test_csrf_is_required_and_checked_on_every_cookie_write(world):
    _, email = account(world, "state", world.p["state_a"]["id"])
    s, r = sign_in(world.url, email)
    csrf = r.json()["csrf_token"]
    need = world.new_need()
    url = world.url + f"{V1}/needs/{need['id']}"
    for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "x" * 43},
                    {"X-CSRF-Token": csrf[:-1]}, {"X-CSRF-Token": csrf + "A"},
                    {"X-CSRF-Token": csrf.swapcase()}):
        before = world.fingerprint()
        for method, body in (("PATCH", {"title": "CSRF"}), ("DELETE", None)):
            r = s.request(method, url, json=body, headers=headers, timeout=10)
            assert r.status_code == 403, (method, headers, r.text)
            assert r.headers["Content-Type"] == "application/problem+json"
            assert "CSRF" in r.json()["detail"]
        r = s.post(world.url + f"{V1}/needs", json=need_body(world.rt["id"]), headers=headers,
                   timeout=10)
        assert r.status_code == 403
        assert world.fingerprint() == before
    # reads need no token; the right token lets writes through
    assert s.get(url, timeout=10).status_code == 200
    r = s.patch(url, json={"title": "With CSRF"}, headers={"X-CSRF-Token": csrf}, timeout=10)
    assert r.status_code == 200 and r.json()["title"] == "With CSRF"
    # another session's token is wrong for this one
    s2, r2 = sign_in(world.url, email)
    r = s.patch(url, json={"title": "x"}, headers={"X-CSRF-Token": r2.json()["csrf_token"]},
                timeout=10)
    assert r.status_code == 403
    # a bearer token needs none, even with a cookie beside it
    r = s.patch(url, json={"title": "Bearer"}, timeout=10,
                headers={"Authorization": f"Bearer {world.tok['state_a']}"})
    assert r.status_code == 200


# ---------------------------------------------------------------- revocation


def test_revocation_and_disabling_take_effect_at_once(world):
    acc, email = account(world, "provider", world.p["donor"]["id"])
    s1, r1 = sign_in(world.url, email)
    s2, r2 = sign_in(world.url, email)
    assert s1.get(world.url + f"{V1}/me", timeout=10).status_code == 200
    listed = s1.get(world.url + f"{V1}/sessions", timeout=10).json()["items"]
    assert {i["id"] for i in listed} == {r1.json()["id"], r2.json()["id"]}
    assert [i["current"] for i in listed if i["id"] == r1.json()["id"]] == [True]
    r = s1.delete(world.url + f"{V1}/sessions/{r2.json()['id']}",
                  headers={"X-CSRF-Token": r1.json()["csrf_token"]}, timeout=10)
    assert r.status_code == 204
    assert s2.get(world.url + f"{V1}/me", timeout=10).status_code == 401
    assert s1.get(world.url + f"{V1}/me", timeout=10).status_code == 200
    # an admin revokes anyone's; disabling the account ends all its sessions
    s3, r3 = sign_in(world.url, email)
    world.call("DELETE", f"{V1}/sessions/{{id}}", r3.json()["id"], expect=204)
    assert s3.get(world.url + f"{V1}/me", timeout=10).status_code == 401
    world.call("DELETE", f"{ACCOUNTS}/{{id}}", acc["id"], expect=204)
    assert s1.get(world.url + f"{V1}/me", timeout=10).status_code == 401
    world.call("DELETE", f"{ACCOUNTS}/{{id}}", acc["id"], expect=204)  # again: harmless
    world.call("DELETE", f"{ACCOUNTS}/{{id}}", "999999999", expect=404)


# ---------------------------------------------------------------- slowed sign-in


def test_guessing_one_email_is_slowed_down_with_429(world):
    _, email = account(world)
    for _ in range(5):
        sign_in(world.url, email, "wrong password!", expect=401)
    r = requests.post(world.url + SESSION, json={"email": email, "password": PASSWORD},
                      timeout=10)
    assert r.status_code == 429, r.text  # even the right password waits
    check_response(r, SESSION, "POST")
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 2
    # other emails from elsewhere are not held up by it
    _, other = account(world)
    sign_in(world.url, other)
    time.sleep(wait + 0.2)
    sign_in(world.url, email, "wrong password!", expect=401)  # the sixth failure: 2 s now
    r = requests.post(world.url + SESSION, json={"email": email, "password": PASSWORD},
                      timeout=10)
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 2
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    sign_in(world.url, email)  # a success forgets the email's failures
    assert world.count("sign_in_failures", f"key = 'email:{email.lower()}'") == 0


def test_guessing_from_one_address_is_slowed_down(world):
    for i in range(20):
        sign_in(world.url, f"guess-{i}-{tag()}@example.org", "wrong password!", expect=401)
    _, email = account(world)
    r = requests.post(world.url + SESSION, json={"email": email, "password": PASSWORD},
                      timeout=10)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert world.count("sign_in_failures", "key = 'address:127.0.0.1'") == 1


# ---------------------------------------------------------------- headers


def test_security_headers_on_ui_and_api_responses(world):
    for path, auth in (("/", False), ("/index.html", False), ("/js/app.js", False),
                       ("/no-such-file", False), ("/healthz", False), (f"{V1}/themes", False),
                       (f"{V1}/needs", True), (f"{V1}/needs/abc", True), (f"{V1}/needs", False)):
        h = {"Authorization": f"Bearer {world.tok['admin']}"} if auth else {}
        r = requests.get(world.url + path, headers=h, timeout=10)
        assert r.headers["Content-Security-Policy"] == CSP, path
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "no-referrer", path
        assert r.headers["X-Frame-Options"] == "DENY", path
        assert r.headers.get("Cache-Control"), path
        if path.startswith("/api") or path == "/healthz":
            assert r.headers["Cache-Control"] == "no-store", path
    assert requests.get(world.url + "/js/app.js", timeout=10).headers["Cache-Control"] != "no-store"


def test_the_ui_has_no_inline_script_or_style(world):
    import re
    html = requests.get(world.url + "/", timeout=10).text
    for m in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        assert "src=" in m.group(1) and not m.group(2).strip(), m.group(0)[:200]
    assert not re.search(r"<style\b", html, re.I)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)
    assert not re.search(r"\sstyle\s*=", html, re.I)


# ---------------------------------------------------------------- expiry and Secure


@pytest.fixture(scope="module")
def short(pg):
    svc = Service(pg, "--session-idle-timeout", "1500ms", "--session-lifetime", "4s",
                  "--trusted-proxies", "127.0.0.1", migrate=False)
    yield svc
    assert svc.stop() == 0


def test_sessions_expire_when_idle_and_at_their_lifetime(world, short):
    _, email = account(world)
    idle, _ = sign_in(short.url, email)
    busy, _ = sign_in(short.url, email)
    for _ in range(8):  # 4 s of requests every 0.5 s: never idle, but past the lifetime
        time.sleep(0.5)
        assert idle.get(short.url + f"{V1}/me", timeout=10).status_code in (200, 401)
        r = busy.get(short.url + f"{V1}/me", timeout=10)
        if r.status_code == 401:
            break
    # idle was used at the same pace, so let a fresh one go idle instead
    quiet, _ = sign_in(short.url, email)
    assert quiet.get(short.url + f"{V1}/me", timeout=10).status_code == 200
    time.sleep(2)
    assert quiet.get(short.url + f"{V1}/me", timeout=10).status_code == 401
    assert busy.get(short.url + f"{V1}/me", timeout=10).status_code == 401
    assert world.count("sessions", "expires_at <= now()") >= 2


def test_secure_cookie_only_through_a_trusted_https_proxy(world, short):
    _, email = account(world)
    _, r = sign_in(short.url, email, headers={"X-Forwarded-Proto": "https",
                                              "X-Forwarded-For": "203.0.113.9"})
    assert "; Secure" in set_cookie(r)
    assert world.count("sessions", "address = '203.0.113.9'") == 1
    _, r = sign_in(world.url, email, headers={"X-Forwarded-Proto": "https",
                                              "X-Forwarded-For": "203.0.113.9"})
    assert "Secure" not in set_cookie(r)  # the default service trusts no proxy
    assert world.count("sessions", "address = '203.0.113.9'") == 1


def test_demo_accounts_sign_in_with_the_documented_password(world):
    r = run_cli("demo", "--db", world.pg.conninfo)
    assert r.returncode == 0, r.stderr
    want = {"admin@demo.roundtable.example": ("admin", None),
            "secretariat@demo.roundtable.example": ("organizer", None),
            "kenya@demo.roundtable.example": ("state", "Kenya"),
            "fund@demo.roundtable.example": ("provider", "Global Cyber Capacity Fund")}
    for email, (role, name) in want.items():
        s, r = sign_in(world.url, email, "roundtable-demo-2024")
        assert r.json()["role"] == role
        me = s.get(world.url + f"{V1}/me", timeout=10).json()
        assert (me["participant"] or {}).get("name") == name, me
