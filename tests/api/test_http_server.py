"""The server around the connections: several loop threads on one port, the connection
cap shared by them, a port already in use, and graceful shutdown on SIGTERM/SIGINT."""
import concurrent.futures
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import requests

from harness import (BINARY, SOURCE_DIR, Service, free_port, read_response, read_responses,
                     recv_until_closed)


def test_threads_share_the_port(pg):
    svc = Service(pg, "--threads", "4")
    try:
        def one(i):
            r = requests.get(svc.url + "/healthz", headers={"X-Request-Id": f"t{i}"})
            return r.status_code, r.headers["X-Request-Id"]

        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            results = list(ex.map(one, range(200)))
        assert all(st == 200 for st, _ in results)
        assert sorted(rid for _, rid in results) == sorted(f"t{i}" for i in range(200))
        assert re.search(r"listening on 127\.0\.0\.1:\d+ with 4 thread\(s\)", svc.log())
    finally:
        assert svc.stop() == 0, svc.log()


def test_connection_cap_across_threads(pg):
    cap = 6
    svc = Service(pg, "--max-connections", str(cap), "--threads", "3", "--idle-timeout", "30000")
    held = []
    try:
        time.sleep(0.3)  # let the health-check connection go
        for i in range(cap):
            s = svc.connect()
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            assert read_response(s)[0] == 200, i
            held.append(s)
        # One more is turned away at once: a 503 or just the close.
        s = svc.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = recv_until_closed(s, timeout=5)
        assert data == b"" or data.startswith(b"HTTP/1.1 503 "), data[:100]
        s.close()
        # Freeing one slot lets a new connection in.
        held.pop().close()
        deadline = time.time() + 5
        while True:
            try:
                r = requests.get(svc.url + "/metrics", timeout=2)
                if r.status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.time() < deadline, "no slot came free"
            time.sleep(0.05)
        assert re.search(r"^roundtable_http_rejected_connections_total [1-9]\d*$", r.text, re.M), r.text
        assert re.search(r"^roundtable_http_open_connections (\d+)$", r.text, re.M)
    finally:
        for s in held:
            s.close()
        assert svc.stop() == 0, svc.log()


def test_port_in_use_fails_cleanly(pg):
    port = free_port()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", port))
    blocker.listen(1)
    try:
        p = subprocess.run([BINARY, "serve", "--listen", f"127.0.0.1:{port}", "--db", pg.conninfo,
                            "--web-root", os.path.join(SOURCE_DIR, "web")],
                           capture_output=True, text=True, timeout=20)
        out = p.stdout + p.stderr
        assert p.returncode != 0
        assert p.returncode > 0, "crashed by a signal"
        assert "in use" in out.lower(), out
        assert f"127.0.0.1:{port}" in out, out
    finally:
        blocker.close()


def chunked_head():
    return (b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_shutdown_finishes_in_flight_request(pg, sig):
    svc = Service(pg, "--shutdown-timeout", "8000", "--body-timeout", "20000", "--threads", "2")
    slow = svc.connect()
    idle = svc.connect()
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(idle)[0] == 200
    slow.sendall(chunked_head())
    for _ in range(5):
        slow.sendall(b"400\r\n" + b"s" * 1024 + b"\r\n")
        time.sleep(0.05)
    svc.proc.send_signal(sig)
    # the idle keep-alive connection is closed at once
    assert recv_until_closed(idle, timeout=3) == b""
    # new connections are refused once the listeners are closed
    deadline = time.time() + 3
    while True:
        try:
            c = socket.create_connection(("127.0.0.1", svc.port), timeout=1)
            c.close()
        except ConnectionRefusedError:
            break
        assert time.time() < deadline, "still accepting after the signal"
        time.sleep(0.05)
    # the slow request is still being read: finish it, slowly
    for _ in range(10):
        slow.sendall(b"400\r\n" + b"s" * 1024 + b"\r\n")
        time.sleep(0.1)
    assert svc.proc.poll() is None, "exited before the in-flight request finished"
    slow.sendall(b"0\r\n\r\n")
    data = recv_until_closed(slow, timeout=10)
    assert data.startswith(b"HTTP/1.1 404 "), data[:200]
    assert b"\r\nConnection: close\r\n" in data
    assert svc.proc.wait(timeout=15) == 0, svc.log()
    assert "SIG" in svc.log()


def test_shutdown_deadline_cuts_stuck_clients(pg):
    svc = Service(pg, "--shutdown-timeout", "700", "--body-timeout", "60000",
                  "--header-timeout", "60000")
    stuck = svc.connect()
    stuck.sendall(chunked_head() + b"5\r\nhel")
    half = svc.connect()
    half.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
    time.sleep(0.2)
    started = time.time()
    svc.proc.send_signal(signal.SIGTERM)
    assert svc.proc.wait(timeout=15) == 0, svc.log()
    assert time.time() - started < 0.7 + 5
    assert recv_until_closed(stuck, timeout=3) == b""
    stuck.close()
    half.close()


def test_parse_ahead_of_one(pg):
    svc = Service(pg, "--max-pipelined", "1")
    try:
        svc.wait_ready()
        s = svc.connect()
        paths = ["/readyz", "/healthz", "/api/v1/nothing"] * 10
        s.sendall(b"".join(b"GET %s HTTP/1.1\r\nHost: t\r\nX-Request-Id: one-%d\r\n\r\n" % (p.encode(), i)
                           for i, p in enumerate(paths)))
        responses = read_responses(s, len(paths))
        assert [h["x-request-id"] for _, h, _ in responses] == [f"one-{i}" for i in range(len(paths))]
        assert [st for st, _, _ in responses] == [200, 200, 404] * 10
        s.close()
    finally:
        assert svc.stop() == 0, svc.log()


def test_client_that_never_reads_its_responses_is_dropped(pg):
    svc = Service(pg, "--idle-timeout", "1000")
    try:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        s.connect(("127.0.0.1", svc.port))
        s.setblocking(False)
        # Big requests, so that the socket buffers hold only a few thousand of them.
        req = b"GET /metrics HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 4000 + b"\r\n\r\n"
        sent = 0
        deadline = time.time() + 10
        # Pipeline without reading until the server stops taking requests (back-pressure).
        while time.time() < deadline:
            try:
                sent += s.send(req)
            except BlockingIOError:
                time.sleep(0.3)
                try:
                    sent += s.send(req)
                except BlockingIOError:
                    break
        assert sent > 0
        # Not reading for longer than the idle timeout: the server must have dropped it by
        # now, with most responses never written (it stopped reading requests meanwhile).
        time.sleep(2.5)
        start = time.time()
        data = b""
        closed = False
        while time.time() - start < 3:
            try:
                chunk = s.recv(1 << 20)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
        assert closed, "still open after the idle timeout"
        assert data.count(b"HTTP/1.1 200 ") < sent // len(req)
        s.close()
        assert requests.get(svc.url + "/healthz").status_code == 200
    finally:
        assert svc.stop() == 0, svc.log()
