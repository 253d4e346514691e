"""JSON size caps of request bodies over real HTTP (docs/reliability.md): strings up to
64 KiB, arrays up to 10 000 elements; beyond, 400 naming the field, and nothing written.
Bulk import bodies are exempt from the array cap."""
import json

from domain_fixtures import *  # noqa: F401,F403

N = f"{V1}/needs"


def test_overlong_string_names_its_field(world):
    body = need_body(world.rt["id"], title="x" * (64 * 1024 + 1))
    r = assert_refused(world, "POST", N, None, json.dumps(body).encode(), "application/json",
                       400, as_="state_a")
    assert fields_of(r.body) == ["title"]
    assert "65536 bytes" in error_for(r.body, "title")


def test_overlong_array_names_its_field(world):
    body = need_body(world.rt["id"], themes=["cbm.transparency"] * 10001)
    r = assert_refused(world, "POST", N, None, json.dumps(body).encode(), "application/json",
                       400, as_="state_a")
    assert fields_of(r.body) == ["themes"]
    assert "10000 elements" in error_for(r.body, "themes")


def test_nested_path(world):
    body = need_body(world.rt["id"], window={"start": "2024-01-01", "end": "y" * 70000})
    r = assert_refused(world, "POST", N, None, json.dumps(body).encode(), "application/json",
                       400, as_="state_a")
    assert fields_of(r.body) == ["window.end"]
    body = need_body(world.rt["id"], languages=["en", "z" * 70000])
    r = assert_refused(world, "POST", N, None, json.dumps(body).encode(), "application/json",
                       400, as_="state_a")
    assert fields_of(r.body) == ["languages[1]"]


def test_within_limits_is_decoded(world):
    # 64 KiB exactly passes the decoder; the field's own bound (422) speaks then
    body = need_body(world.rt["id"], description="d" * (64 * 1024))
    r = world.call("POST", N, as_="state_a", body=body, expect=(201, 422))
    assert r.status_code == 201 or "description" in fields_of(r.body)
