"""CORS for configured origins: allowed origins get the headers (errors included),
preflights are answered by the HTTP core, other origins get nothing."""
import pytest
import requests

from harness import Service

ALLOWED = "https://ui.example"
OTHER_ALLOWED = "http://localhost:5173"


@pytest.fixture(scope="module")
def svc(pg):
    s = Service(pg, "--cors-origins", f"{ALLOWED}, {OTHER_ALLOWED}")
    yield s
    assert s.stop() == 0, s.log()


def expose_list(r):
    return [x.strip() for x in r.headers["Access-Control-Expose-Headers"].split(",")]


def test_allowed_origin_gets_cors_headers(svc):
    for origin in (ALLOWED, OTHER_ALLOWED):
        r = requests.get(svc.url + "/healthz", headers={"Origin": origin})
        assert r.status_code == 200
        assert r.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in [v.strip() for v in r.headers["Vary"].split(",")]
        assert set(expose_list(r)) >= {"X-Request-Id", "Retry-After", "Location"}


def test_errors_carry_cors_headers_too(svc):
    r = requests.get(svc.url + "/api/v1/nothing", headers={"Origin": ALLOWED})
    assert r.status_code == 404
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_disallowed_origin_gets_none(svc):
    for origin in ("https://evil.example", "https://ui.example.evil", "http://ui.example", "null"):
        r = requests.get(svc.url + "/healthz", headers={"Origin": origin})
        assert r.status_code == 200
        assert not any(k.lower().startswith("access-control-") for k in r.headers), origin


def test_no_origin_no_cors(svc):
    r = requests.get(svc.url + "/healthz")
    assert "Access-Control-Allow-Origin" not in r.headers


def test_preflight_answered_by_the_core(svc):
    r = requests.options(svc.url + "/api/v1/needs", headers={
        "Origin": ALLOWED,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    })
    assert r.status_code == 204
    assert r.content == b""
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED
    methods = [m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")]
    assert methods == ["GET", "HEAD", "POST", "PATCH", "DELETE"]
    allowed_headers = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed_headers == {"authorization", "content-type", "idempotency-key", "x-request-id",
                               "x-csrf-token"}
    assert r.headers["Access-Control-Max-Age"] == "600"
    assert "Content-Length" not in r.headers


def test_preflight_from_disallowed_origin_is_not_approved(svc):
    r = requests.options(svc.url + "/api/v1/needs", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert r.status_code != 204
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Methods" not in r.headers


def test_plain_options_goes_to_the_router(svc):
    r = requests.options(svc.url + "/healthz", headers={"Origin": ALLOWED})
    assert r.status_code != 204
    assert "Access-Control-Allow-Methods" not in r.headers
    assert r.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_wildcard_reflects_any_origin(pg):
    s = Service(pg, "--cors-origins", "*")
    try:
        r = requests.get(s.url + "/healthz", headers={"Origin": "https://anyone.example"})
        assert r.headers["Access-Control-Allow-Origin"] == "https://anyone.example"
        r = requests.get(s.url + "/healthz", headers={"Origin": "null"})
        assert "Access-Control-Allow-Origin" not in r.headers
    finally:
        assert s.stop() == 0, s.log()
