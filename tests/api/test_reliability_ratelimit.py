"""Abuse limits over real HTTP (docs/reliability.md): per-token and per-address token
buckets (429 problem+json with an integer Retry-After >= 1), shared by every worker thread
so that the limit holds per process; probes exempt; open connections per address capped."""
import re
import socket
import time

import pytest
import requests

from harness import Service, read_response, run_cli
from openapi_check import validate

TOKEN_RPS, TOKEN_BURST = 2, 10
ADDR_RPS, ADDR_BURST = 40, 80
CONNS = 6


@pytest.fixture(scope="module")
def service(pg):
    svc = Service(pg, "--threads", "4", "--rate-limit-rps", str(TOKEN_RPS), "--rate-limit-burst",
                  str(TOKEN_BURST), "--rate-limit-address-rps", str(ADDR_RPS),
                  "--rate-limit-address-burst", str(ADDR_BURST), "--max-connections-per-address",
                  str(CONNS))
    yield svc
    assert svc.stop() == 0, svc.log()


def new_token(pg):
    r = run_cli("token", "create", "--role", "admin", "--db", pg.conninfo)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def me(service, token):
    # a new connection each time: SO_REUSEPORT spreads them over the worker threads
    with requests.Session() as s:
        return s.get(service.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}",
                                                          "Connection": "close"}, timeout=10)


def assert_limited(r):
    assert r.status_code == 429, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert re.fullmatch(r"[1-9][0-9]*", r.headers["Retry-After"])
    body = r.json()
    validate(body, "Problem")
    assert body["status"] == 429


def wait_address_refill():
    time.sleep(ADDR_BURST / ADDR_RPS + 0.2)


def test_token_bucket_holds_across_threads(service, pg):
    wait_address_refill()
    tok, other = new_token(pg), new_token(pg)
    t0 = time.time()
    statuses = [me(service, tok) for _ in range(TOKEN_BURST * 2)]
    elapsed = time.time() - t0
    ok = [r for r in statuses if r.status_code == 200]
    limited = [r for r in statuses if r.status_code != 200]
    assert len(ok) >= TOKEN_BURST
    assert len(ok) <= TOKEN_BURST + TOKEN_RPS * elapsed + 1, (len(ok), elapsed)
    assert limited
    for r in limited:
        assert_limited(r)
    # another token has its own bucket
    assert me(service, other).status_code == 200
    # Retry-After is honest: after it, the token works again
    time.sleep(int(limited[-1].headers["Retry-After"]))
    assert me(service, tok).status_code == 200


def test_probes_are_never_limited(service, pg):
    wait_address_refill()
    with requests.Session() as s:
        for _ in range(ADDR_BURST * 2):
            for path in ("/healthz", "/readyz", "/metrics"):
                assert s.get(service.url + path, timeout=10).status_code == 200


def test_address_bucket(service, pg):
    wait_address_refill()
    with requests.Session() as s:
        statuses = [s.get(service.url + "/api/v1/themes", timeout=10)
                    for _ in range(ADDR_BURST * 2)]
    codes = [r.status_code for r in statuses]
    assert codes.count(200) >= ADDR_BURST
    assert 429 in codes
    assert_limited(next(r for r in statuses if r.status_code == 429))
    # the 429s are counted in the metrics under their own route label
    text = requests.get(service.url + "/metrics", timeout=10).text
    assert 'route="rate_limited"' in text
    wait_address_refill()


def test_connections_per_address(service):
    time.sleep(0.5)  # connections of the tests before are closed by now
    socks = [service.connect() for _ in range(CONNS)]
    try:
        # every one of them is served
        for s in socks:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(s)[0] == 200
        extra = service.connect()
        status, headers, body = read_response(extra)
        assert status == 429
        assert headers["retry-after"] == "1"
        assert headers["connection"] == "close"
        assert b"Too many connections" in body
        extra.close()
    finally:
        for s in socks:
            s.close()
    # once they are closed the address may connect again
    deadline = time.time() + 5
    while True:
        s = service.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            status = read_response(s)[0]
        except (ConnectionError, socket.error):
            status = None
        finally:
            s.close()
        if status == 200:
            break
        assert time.time() < deadline, status
        time.sleep(0.1)
