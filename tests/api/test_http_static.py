"""Static files from the web root: content types, ETag and 304, directories, HEAD, and
every way out of the web root refused with 404."""
import os
import shutil
import tempfile

import pytest
import requests

from harness import Service, read_response, read_responses

FILES = {
    "index.html": (b"<!doctype html><title>Roundtable</title>", "text/html; charset=utf-8"),
    "app.js": (b"console.log('rt');", "text/javascript; charset=utf-8"),
    "mod.mjs": (b"export const x = 1;", "text/javascript; charset=utf-8"),
    "style.css": (b"body{margin:0}", "text/css; charset=utf-8"),
    "data.json": (b'{"a":1}', "application/json"),
    "icon.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    "logo.png": (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
    "favicon.ico": (b"\x00\x00\x01\x00", "image/x-icon"),
    "font.woff2": (b"wOF2\x00\x01", "font/woff2"),
    "robots.txt": (b"User-agent: *\n", "text/plain; charset=utf-8"),
    "site.webmanifest": (b'{"name":"rt"}', "application/manifest+json"),
    "hello world.txt": (b"spaced", "text/plain; charset=utf-8"),
}
SECRET = b"TOP-SECRET-OUTSIDE-WEB-ROOT"


@pytest.fixture(scope="module")
def site():
    top = tempfile.mkdtemp(prefix="rt-web-")
    root = os.path.join(top, "web")
    os.makedirs(os.path.join(root, "sub"))
    os.makedirs(os.path.join(top, "outside"))
    for name, (content, _) in FILES.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(content)
    with open(os.path.join(root, "sub", "index.html"), "wb") as f:
        f.write(b"<p>sub index</p>")
    with open(os.path.join(root, ".env"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(top, "secret.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(top, "outside", "secret.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(bytes(range(256)) * (3 * 4096))  # 3 MiB
    os.symlink(os.path.join(top, "secret.txt"), os.path.join(root, "link.txt"))
    os.symlink(os.path.join(top, "outside"), os.path.join(root, "dirlink"))
    os.symlink("index.html", os.path.join(root, "alias.html"))
    yield top, root
    shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def svc(pg, site):
    s = Service(pg, web_root=site[1])
    yield s
    assert s.stop() == 0, s.log()


def test_content_types(svc):
    for name, (content, ctype) in FILES.items():
        r = requests.get(svc.url + "/" + name.replace(" ", "%20"))
        assert r.status_code == 200, name
        assert r.headers["Content-Type"] == ctype, name
        assert r.content == content, name
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_root_serves_index_html_without_caching(svc):
    r = requests.get(svc.url + "/")
    assert r.status_code == 200
    assert r.content == FILES["index.html"][0]
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache"
    assert r.headers["ETag"].startswith('"')


def test_etag_and_if_none_match(svc):
    r = requests.get(svc.url + "/app.js")
    etag = r.headers["ETag"]
    for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
        r2 = requests.get(svc.url + "/app.js", headers={"If-None-Match": inm})
        assert r2.status_code == 304, inm
        assert r2.content == b""
        assert r2.headers["ETag"] == etag
        assert "Content-Length" not in r2.headers
    r3 = requests.get(svc.url + "/app.js", headers={"If-None-Match": '"stale"'})
    assert r3.status_code == 200 and r3.content == FILES["app.js"][0]
    assert requests.get(svc.url + "/style.css").headers["ETag"] != etag


def test_etag_changes_with_the_file(svc, site):
    path = os.path.join(site[1], "data.json")
    etag = requests.get(svc.url + "/data.json").headers["ETag"]
    with open(path, "wb") as f:
        f.write(b'{"a":2,"b":3}')
    r = requests.get(svc.url + "/data.json", headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.content == b'{"a":2,"b":3}'
    assert r.headers["ETag"] != etag


def test_directories(svc):
    r = requests.get(svc.url + "/sub/")
    assert r.status_code == 200 and r.content == b"<p>sub index</p>"
    r = requests.get(svc.url + "/sub", allow_redirects=False)
    assert r.status_code == 301
    assert r.headers["Location"] == "/sub/"


def test_head_for_static(svc):
    s = svc.connect()
    s.sendall(b"HEAD /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
    status, headers, _ = read_response(s, head_only=True)
    assert status == 200
    assert headers["content-length"] == str(len(FILES["style.css"][0]))
    assert headers["content-type"] == "text/css; charset=utf-8"
    s.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    status, _, body = read_response(s)
    assert status == 200 and body == FILES["robots.txt"][0]
    s.close()


def test_big_file(svc):
    r = requests.get(svc.url + "/big.bin")
    assert r.status_code == 200
    assert r.content == bytes(range(256)) * (3 * 4096)
    assert r.headers["Content-Type"] == "application/octet-stream"


def test_symlink_inside_the_root_is_served(svc):
    r = requests.get(svc.url + "/alias.html")
    assert r.status_code == 200 and r.content == FILES["index.html"][0]


TRAVERSALS = [
    b"/../secret.txt",
    b"/sub/../../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E/secret.txt",
    b"/.%2e/secret.txt",
    b"/sub/%2e%2e/%2e%2e/secret.txt",
    b"/%2e%2e%2fsecret.txt",
    b"/sub%2f..%2f..%2fsecret.txt",
    b"/..%2fsecret.txt",
    b"/..\\secret.txt",
    b"/sub\\..\\..\\secret.txt",
    b"/%5c..%5csecret.txt",
    b"/link.txt",
    b"/dirlink/secret.txt",
    b"/index.html%00.png",
    b"/.env",
    b"/%2eenv",
    b"/nope.html",
    b"//etc/passwd",
    b"/%2fetc%2fpasswd",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_no_way_out_of_the_web_root(svc, target):
    s = svc.connect()
    s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 404
    assert headers["content-type"] == "application/problem+json"
    assert SECRET not in body
    s.close()


def test_post_to_a_static_path_is_405(svc):
    r = requests.post(svc.url + "/index.html", data=b"x")
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"


def test_pipelined_static_requests_in_order(svc):
    s = svc.connect()
    names = ["robots.txt", "app.js", "nope", "style.css", "big.bin", "data.json"]
    s.sendall(b"".join(b"GET /" + n.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n" for n in names))
    responses = read_responses(s, len(names))
    assert [st for st, _, _ in responses] == [200, 200, 404, 200, 200, 200]
    assert responses[0][2] == FILES["robots.txt"][0]
    assert responses[3][2] == FILES["style.css"][0]
    assert len(responses[4][2]) == 3 * 1024 * 1024
    s.close()
