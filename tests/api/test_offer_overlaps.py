"""Overlapping offers over real HTTP and PostgreSQL: POST /offers counts (Roundtable-Overlaps),
and GET /offers/{id}/overlaps lists at any time, the open offers of the roundtable that serve a shared
theme in a shared country (by their countries, else their regions, else everywhere) and the
agreed partnerships that already do; a partnership names its need and state, never its
provider."""
from matching_fixtures import *  # noqa: F401,F403
from openapi_check import validate

OVERLAPS = f"{V1}/offers/{{id}}/overlaps"


def ids(overlaps, kind):
    return [x["id"] for x in overlaps["items"] if x["kind"] == kind]


def post_offer(world, as_="donor", **fields):
    """POST /offers: (the offer, its Roundtable-Overlaps count, GET .../overlaps)."""
    r = world.call("POST", f"{V1}/offers", as_=as_, body=offer_body(fields.pop("rt"), **fields),
                   expect=201)
    count = int(r.headers["Roundtable-Overlaps"])
    got = world.get(OVERLAPS, r.body["id"], as_="state_a")
    validate(got, "OfferOverlapList")
    assert got["total"] == count and got["next_cursor"] is None
    return r.body, count, got


def test_offers_overlap_by_theme_and_country(world):
    rt = new_rt(world)["id"]
    ken, n, got = post_offer(world, rt=rt, themes=["cybercrime.legislation", "skills.awareness"],
                             countries=["KEN"])
    assert (n, got["items"]) == (0, [])
    # Kenya is in the African Group: the regional offer overlaps the Kenyan one
    africa, n, got = post_offer(world, as_="implementer", rt=rt, themes=["cybercrime.legislation"],
                                regions=["africa"])
    assert n == 1 and ids(got, "offer") == [ken["id"]]
    assert got["items"][0]["themes"] == ["cybercrime.legislation"]
    assert post_offer(world, rt=rt, themes=["cybercrime.legislation"], countries=["CHL"])[1] == 0
    assert post_offer(world, rt=rt, themes=["cbm.transparency"], countries=["KEN"])[1] == 0
    assert ids(post_offer(world, rt=rt, themes=["skills.awareness"])[2], "offer") == [ken["id"]]
    new, n, got = post_offer(world, rt=rt, themes=["cybercrime.legislation"],
                             countries=["KEN", "NGA"])
    assert n == 2 and ids(got, "offer") == [africa["id"], ken["id"]]  # newest first
    assert got["items"][0] == {
        "kind": "offer", "id": africa["id"], "title": africa["title"],
        "participant_id": africa["participant_id"], "themes": ["cybercrime.legislation"]}
    # a withdrawn offer no longer overlaps; the posted offer itself never does
    world.call("DELETE", OFFER, africa["id"], as_="implementer", expect=200)
    assert ids(world.get(OVERLAPS, new["id"]), "offer") == [ken["id"]]
    # another roundtable's offers never overlap
    assert post_offer(world, rt=new_rt(world)["id"], themes=["cybercrime.legislation"],
                      countries=["KEN"])[1] == 0
    world.call("GET", OVERLAPS, "999999999", expect=404)


def test_an_agreed_partnership_in_the_country_is_an_overlap(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"], themes=["incident.csirt_establishment"], max_partners=1)
    offer = world.new_offer(rt=rt["id"], themes=["incident.csirt_establishment"])
    run_to_end(world, rt["id"])
    m = matches_of(world, rt["id"])[0]
    state = world.get(f"{V1}/participants/{{id}}", need["participant_id"])
    _, _, got = post_offer(world, as_="implementer", rt=rt["id"],
                           themes=["incident.csirt_establishment"], countries=[state["country"]])
    assert ids(got, "partnership") == []  # only proposed so far
    agree(world, m["id"])
    _, _, got = post_offer(world, as_="implementer", rt=rt["id"],
                           themes=["incident.csirt_establishment", "skills.workforce"],
                           countries=[state["country"]])
    item = got["items"][0]  # partnerships first
    assert item == {"kind": "partnership", "id": m["id"], "need_id": need["id"],
                    "title": need["title"], "participant_id": state["id"],
                    "country": state["country"], "themes": ["incident.csirt_establishment"]}
    assert offer["id"] not in item.values()  # the provider of a partnership stays private
    _, _, got = post_offer(world, as_="implementer", rt=rt["id"],
                           themes=["incident.csirt_establishment"], countries=["CHL"])
    assert ids(got, "partnership") == []
