"""Limits with their status codes, and framing that RFC 9112 forbids (request smuggling
vectors llhttp 8.1.0 lets through): each is refused with 400 and the connection closed,
and nothing sent after it is ever answered."""
import json
import time

import pytest

from harness import read_response, read_responses, recv_until_closed

FOLLOW = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: smuggled\r\n\r\n"


def refused(service, raw, status, follow=True):
    """Sends raw (plus a well-formed request after it), expects one error response with
    status and problem+json, then the close, and no answer to the follower."""
    s = service.connect()
    try:
        s.sendall(raw + (FOLLOW if follow else b""))
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = recv_until_closed(s, timeout=10)
    s.close()
    assert data.startswith(b"HTTP/1.1 %d " % status), data[:200]
    head, body = data.split(b"\r\n\r\n", 1)
    headers = {l.split(b":", 1)[0].lower(): l.split(b":", 1)[1].strip() for l in head.split(b"\r\n")[1:]}
    assert headers[b"connection"] == b"close"
    assert headers[b"content-type"] == b"application/problem+json"
    length = int(headers[b"content-length"])
    problem = json.loads(body[:length])
    assert problem["status"] == status and problem["type"] == "about:blank"
    assert body[length:] == b"", "something was answered after the refusal"
    assert b"smuggled" not in data
    return problem


def test_header_section_too_large_431(service):
    refused(service, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n", 431)
    # many medium fields adding up past 16 KiB
    fields = b"".join(b"X-F%d: %s\r\n" % (i, b"b" * 200) for i in range(90))
    refused(service, b"GET /healthz HTTP/1.1\r\n" + fields + b"\r\n", 431)


def test_too_many_header_fields_431(service):
    fields = b"".join(b"X-F%d: v\r\n" % i for i in range(101))
    refused(service, b"GET /healthz HTTP/1.1\r\n" + fields + b"\r\n", 431)
    # 100 is fine
    s = service.connect()
    s.sendall(b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-F%d: v\r\n" % i for i in range(100)) + b"\r\n")
    assert read_response(s)[0] == 200
    s.close()


def test_uri_too_long_414(service):
    refused(service, b"GET /healthz?" + b"q" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414)
    s = service.connect()
    s.sendall(b"GET /healthz?" + b"q" * 8000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(s)[0] == 200
    s.close()


def test_body_too_large_413_before_the_body_is_sent(service):
    s = service.connect()
    s.sendall(b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n")
    started = time.time()
    data = recv_until_closed(s, timeout=5)  # no body byte was sent
    assert time.time() - started < 3
    assert data.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in data
    s.close()


def test_body_at_the_limit_is_accepted(service):
    s = service.connect()
    body = b"z" * 1048576
    s.sendall(b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\n" + body)
    assert read_response(s)[0] == 404
    s.close()


def test_chunked_body_too_large_413(service):
    # a single chunk declaring more than the limit: refused at its size line
    refused(service, b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"100001\r\n", 413, follow=False)
    # chunks that only add up to more than the limit
    s = service.connect()
    s.sendall(b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(16):
        s.sendall(b"10000\r\n" + b"c" * 0x10000 + b"\r\n")
    s.sendall(b"1\r\n")
    data = recv_until_closed(s, timeout=10)
    assert data.startswith(b"HTTP/1.1 413 ")
    s.close()


def test_content_length_with_transfer_encoding_400(service):
    refused(service, b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)
    refused(service, b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Length: 5\r\n\r\n0\r\n\r\n", 400)


CHUNKED = b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"

STRICTNESS_CASES = {
    "bare LF in request line": b"GET /healthz HTTP/1.1\nHost: t\r\n\r\n",
    "bare LF in header line": b"GET /healthz HTTP/1.1\r\nHost: t\n\r\n",
    "bare LF ending the head": b"GET /healthz HTTP/1.1\r\nHost: t\r\n\n",
    "bare LF after chunk size": CHUNKED + b"5\nhello\r\n0\r\n\r\n",
    "bare LF after chunk data": CHUNKED + b"5\r\nhello\n0\r\n\r\n",
    "bare LF in trailer": CHUNKED + b"0\r\nX-T: 1\n\r\n",
    "bare LF ending trailers": CHUNKED + b"0\r\n\n",
    "obs-fold with space": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n",
    "obs-fold with tab": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\r\n\tb\r\n\r\n",
    "HTTP/1.2": b"GET /healthz HTTP/1.2\r\nHost: t\r\n\r\n",
    "HTTP/2.0": b"GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n",
    "HTTP/0.9": b"GET /healthz HTTP/0.9\r\nHost: t\r\n\r\n",
    "no version": b"GET /healthz\r\nHost: t\r\n\r\n",
    "lower-case version": b"GET /healthz http/1.1\r\nHost: t\r\n\r\n",
    "space before colon": b"GET /healthz HTTP/1.1\r\nHost : t\r\n\r\n",
    "tab before colon": b"GET /healthz HTTP/1.1\r\nHost\t: t\r\n\r\n",
    "space before colon of Content-Length":
        b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length : 5\r\n\r\nhello",
    "CR without LF in header": b"GET /healthz HTTP/1.1\r\nHost: t\rX-A: b\r\n\r\n",
    "CR without LF in request line": b"GET /healthz HTTP/1.1\rHost: t\r\n\r\n",
    "two equal Content-Length": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                                b"Content-Length: 5\r\n\r\nhello",
    "two different Content-Length": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                                    b"Content-Length: 6\r\n\r\nhello!",
    "Content-Length list": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello",
    "Content-Length sign": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello",
    "Transfer-Encoding gzip, chunked": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\n"
                                       b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding chunked, chunked": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\n"
                                          b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding twice": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding identity": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\n"
                                  b"Transfer-Encoding: identity\r\n\r\n",
    "Transfer-Encoding chunked then other": b"POST /api/v1/nothing HTTP/1.1\r\nHost: t\r\n"
                                            b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "Transfer-Encoding in HTTP/1.0": b"POST /api/v1/nothing HTTP/1.0\r\nHost: t\r\n"
                                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "invalid chunk size": CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n",
    "negative chunk size": CHUNKED + b"-5\r\nhello\r\n0\r\n\r\n",
    "chunk size with 0x": CHUNKED + b"0x5\r\nhello\r\n0\r\n\r\n",
    "chunk size overflow": CHUNKED + b"fffffffffffffffff\r\n",
    "space after chunk size": CHUNKED + b"5 \r\nhello\r\n0\r\n\r\n",
    "chunk data longer than size": CHUNKED + b"5\r\nhelloEXTRA\r\n0\r\n\r\n",
    "NUL in header value": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n",
    "control byte in header value": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\x1bb\r\n\r\n",
    "DEL in header value": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\x7fb\r\n\r\n",
    "control byte in target": b"GET /health\x01z HTTP/1.1\r\nHost: t\r\n\r\n",
    "chunk extensions too long": CHUNKED + b"".join(b"1;e=%s\r\nx\r\n" % (b"v" * 100) for _ in range(50))
                                + b"0\r\n\r\n",
    "control byte in chunk extension": CHUNKED + b"5;a=\x01\r\nhello\r\n0\r\n\r\n",
    "CONNECT": b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "unknown method": b"FROB /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
    "leading whitespace": b" GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
    "double space in request line": b"GET  /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
}


@pytest.mark.parametrize("name", list(STRICTNESS_CASES))
def test_forbidden_framing_is_refused_and_closed(service, name):
    problem = refused(service, STRICTNESS_CASES[name], 400)
    assert problem["title"] == "Bad Request"


def test_chunk_extensions_below_the_limit_are_fine(service):
    s = service.connect()
    s.sendall(CHUNKED + b"".join(b"1;e=%s\r\nx\r\n" % (b"v" * 100) for _ in range(30)) + b"0\r\n\r\n"
              + FOLLOW)
    responses = read_responses(s, 2)
    assert [st for st, _, _ in responses] == [404, 200]
    s.close()


def test_service_still_healthy_after_refusals(service):
    s = service.connect()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response(s)[0] == 200
    s.close()
