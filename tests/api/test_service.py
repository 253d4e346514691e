"""The executable and the service endpoints: CLI words and exit codes, /healthz, /readyz,
/metrics, request logs, and the database going away and coming back."""
import re
import signal
import time

import requests

from harness import Service, run_cli


def test_help_and_version():
    r = run_cli("--help")
    assert r.returncode == 0
    assert "serve" in r.stdout and "migrate" in r.stdout
    for cmd in ("serve", "migrate"):
        r = run_cli(cmd, "--help")
        assert r.returncode == 0, r.stderr
        assert "--db" in r.stdout and "ROUNDTABLE_DB" in r.stdout
    assert "--listen" in run_cli("serve", "--help").stdout
    assert re.match(r"roundtable \d+\.\d+\.\d+", run_cli("--version").stdout)


def one_line_error(r):
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_bad_config_is_one_line_and_exit_2():
    r = run_cli("serve", "--listen", "nowhere", "--db", "host=127.0.0.1")
    assert r.returncode == 2
    assert "--listen" in one_line_error(r)
    r = run_cli("serve", "--threads", "lots", "--db", "x")
    assert r.returncode == 2 and "--threads" in one_line_error(r)
    r = run_cli("serve", env={"ROUNDTABLE_MAX_BODY_BYTES": "huge", "ROUNDTABLE_DB": "x"})
    assert r.returncode == 2 and "ROUNDTABLE_MAX_BODY_BYTES" in one_line_error(r)
    r = run_cli("frobnicate")
    assert r.returncode == 2 and "unknown command" in one_line_error(r)
    r = run_cli("serve", env={"ROUNDTABLE_DB": ""})
    assert r.returncode == 2 and "database" in one_line_error(r)


def test_unbindable_address_fails_cleanly(pg):
    # 192.0.2.1 (TEST-NET-1) is on no interface of this host: bind fails.
    r = run_cli("serve", "--listen", "192.0.2.1:8080", "--db", pg.conninfo)
    assert r.returncode == 1
    # serve logs to stderr too; its last line is the reason
    assert r.stderr.strip().splitlines()[-1].startswith("roundtable serve:"), r.stderr


def test_health_ready_metrics(service):
    r = requests.get(service.url + "/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["Content-Type"].startswith("application/json")
    r = requests.get(service.url + "/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready"}
    r = requests.get(service.url + "/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    assert re.search(r'roundtable_http_requests_total\{[^}]*route="/healthz"[^}]*status="200"[^}]*\} [1-9]', text), text
    assert "roundtable_http_request_duration_seconds_bucket" in text
    assert "roundtable_db_connections" in text
    assert re.search(r"^process_resident_memory_bytes [1-9]\d*$", text, re.M)


def test_request_log_line(service):
    rid = "log-check-42"
    requests.get(service.url + "/api/v1/nothing?x=1", headers={"X-Request-Id": rid})
    time.sleep(0.2)
    lines = [l for l in service.log().splitlines() if rid in l]
    assert lines, service.log()[-2000:]
    line = lines[-1]
    for part in ("GET", "/api/v1/nothing", "404"):
        assert part in line, line


def test_migrate_is_idempotent(pg):
    r = run_cli("migrate", "--db", pg.conninfo)
    assert r.returncode == 0, r.stderr
    r = run_cli("migrate", "--db", pg.conninfo)
    assert r.returncode == 0, r.stderr
    r = run_cli("migrate", "--db", "host=127.0.0.1 port=1 connect_timeout=2")
    assert r.returncode == 1
    assert one_line_error(r).startswith("roundtable migrate:")


def test_database_goes_away_and_comes_back(pg):
    svc = Service(pg, "--threads", "2", "--db-reconnect-max", "500ms")
    try:
        svc.wait_ready()
        pg.stop("fast")
        # While PostgreSQL is down: /readyz says 503 with Retry-After, /healthz stays 200.
        deadline = time.time() + 10
        seen_503 = False
        while time.time() < deadline and not seen_503:
            r = requests.get(svc.url + "/readyz", timeout=5)
            if r.status_code == 503:
                seen_503 = True
                assert r.headers["Retry-After"].isdigit()
                assert r.headers["Content-Type"].startswith("application/problem+json")
                assert r.json()["status"] == 503
        assert seen_503
        assert requests.get(svc.url + "/healthz", timeout=5).status_code == 200
        for _ in range(20):  # answers stay fast and never crash the process
            assert requests.get(svc.url + "/readyz", timeout=5).status_code == 503
        assert svc.proc.poll() is None
        pg.start()
        svc.wait_ready(timeout=20)  # recovers by itself, no restart
    finally:
        if svc.proc.poll() is None:
            assert svc.stop() == 0, svc.log()


def test_sigint_also_stops_cleanly(pg):
    svc = Service(pg, "--threads", "1")
    assert requests.get(svc.url + "/healthz").status_code == 200
    assert svc.stop(signal.SIGINT) == 0, svc.log()
