"""Header, body and idle timeouts: a slow client cannot hold a connection, while a client
that keeps working is never cut off."""
import socket
import time

import pytest

from harness import Service, read_response, recv_until_closed

HEADER_MS, BODY_MS, IDLE_MS = 600, 800, 1200


@pytest.fixture(scope="module")
def svc(pg):
    s = Service(pg, "--header-timeout", str(HEADER_MS), "--body-timeout", str(BODY_MS),
                "--idle-timeout", str(IDLE_MS))
    yield s
    assert s.stop() == 0, s.log()


def drip(sock, data, interval, limit):
    """Sends data one byte at a time; returns the seconds until the server cut it off
    (a send failed or it answered), or None if everything was sent within limit."""
    start = time.time()
    sock.setblocking(False)
    try:
        for b in data:
            try:
                sock.recv(65536, socket.MSG_PEEK)  # data or EOF: the server answered or closed
                return time.time() - start
            except BlockingIOError:
                pass
            except ConnectionResetError:
                return time.time() - start
            try:
                sock.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                return time.time() - start
            if time.time() - start > limit:
                return None
            time.sleep(interval)
    finally:
        sock.setblocking(True)
    return None


def test_slow_loris_headers_cut_off(svc):
    s = svc.connect()
    start = time.time()
    cut = drip(s, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: " + b"a" * 100, 0.15, 10)
    assert cut is not None, "slow headers were never cut off"
    data = recv_until_closed(s, timeout=5)
    elapsed = time.time() - start
    assert HEADER_MS / 1000 - 0.1 <= elapsed < HEADER_MS / 1000 + 1.5, elapsed
    assert data == b"" or data.startswith(b"HTTP/1.1 408 ")
    s.close()


def test_one_byte_per_second_is_cut_off(svc):
    s = svc.connect()
    start = time.time()
    cut = drip(s, b"GET /healthz HTTP/1.1\r\n", 1.0, 10)
    assert cut is not None
    recv_until_closed(s, timeout=5)
    assert time.time() - start < HEADER_MS / 1000 + 1.5
    s.close()


def test_slow_body_cut_off(svc):
    s = svc.connect()
    s.sendall(b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
    start = time.time()
    cut = drip(s, b"b" * 100, 0.1, 10)
    assert cut is not None, "slow body was never cut off"
    data = recv_until_closed(s, timeout=5)
    elapsed = time.time() - start
    assert BODY_MS / 1000 - 0.1 <= elapsed < BODY_MS / 1000 + 1.5, elapsed
    assert data == b"" or data.startswith(b"HTTP/1.1 408 ")
    s.close()


def test_slow_chunked_body_cut_off(svc):
    s = svc.connect()
    s.sendall(b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    start = time.time()
    cut = drip(s, b"1\r\nx\r\n" * 50, 0.05, 10)
    assert cut is not None
    recv_until_closed(s, timeout=5)
    assert time.time() - start < BODY_MS / 1000 + 1.5
    s.close()


def test_idle_keep_alive_connection_closed(svc):
    s = svc.connect()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(s)[0] == 200
    start = time.time()
    data = recv_until_closed(s, timeout=IDLE_MS / 1000 + 3)
    elapsed = time.time() - start
    assert data == b""
    assert IDLE_MS / 1000 - 0.2 <= elapsed < IDLE_MS / 1000 + 1.5, elapsed
    s.close()


def test_silent_new_connection_closed(svc):
    s = svc.connect()
    start = time.time()
    assert recv_until_closed(s, timeout=IDLE_MS / 1000 + 3) == b""
    assert time.time() - start < IDLE_MS / 1000 + 1.5
    s.close()


def test_busy_connection_is_not_cut_off(svc):
    s = svc.connect()
    start = time.time()
    n = 0
    while time.time() - start < 2.5 * IDLE_MS / 1000:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(s)[0] == 200
        n += 1
        time.sleep(0.3)
    assert n >= 5
    s.close()


def test_waiting_between_requests_is_not_a_header_timeout(svc):
    s = svc.connect()
    for _ in range(3):
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(s)[0] == 200
        time.sleep(HEADER_MS / 1000 + 0.2)  # longer than the header timeout, shorter than idle
    s.close()


def test_headers_in_time_despite_pauses(svc):
    s = svc.connect()
    for part in [b"GET /heal", b"thz HTTP/1.1\r\n", b"Host: t\r\n", b"\r\n"]:
        s.sendall(part)
        time.sleep(HEADER_MS / 1000 / 6)
    assert read_response(s)[0] == 200
    s.close()
