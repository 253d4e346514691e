"""The meeting schedule over real HTTP and PostgreSQL (docs/schedule.md): slots and tables, the
participants' unavailability, POST /roundtables/{id}/schedule (every rule, exactness against brute
force on small random roundtables, determinism, replacement, options), each participant's timetable
as JSON and as iCalendar (parsed here: CRLF, folding at 75 octets, escaping), roles and validation.

Partnerships are written straight into `matches` (a run row and its matches), so that each case
holds exactly the partnerships it means to schedule; everything else goes through the API."""
import itertools
import random

import pytest

from domain_fixtures import *  # noqa: F401,F403
from domain_fixtures import error_for, fields_of

SLOTS = f"{V1}/roundtables/{{id}}/slots"
TABLES = f"{V1}/roundtables/{{id}}/tables"
UNAVAIL = f"{V1}/roundtables/{{id}}/unavailability"
SCHEDULE = f"{V1}/roundtables/{{id}}/schedule"
PSCHED = f"{V1}/participants/{{id}}/schedule"
AGREED_BONUS = 2 ** 40


def slot_items(n, day="2024-05-10", start_hour=9):
    return [{"session": f"Morning {i}", "starts_at": f"{day}T{start_hour + i:02d}:00:00Z",
             "ends_at": f"{day}T{start_hour + i:02d}:30:00Z"} for i in range(n)]


def table_items(n):
    return [{"name": f"Table {i + 1}", "location": f"Room {chr(65 + i)}"} for i in range(n)]


def put(world, template, rt_id, body, as_="organizer", expect=200):
    return world.call("PUT", template, rt_id, as_=as_, body=body, expect=expect).body


def grid(world, n_slots, n_tables):
    rt = world.new_roundtable("open", as_="organizer")
    slots = put(world, SLOTS, rt["id"], {"items": slot_items(n_slots)})["items"]
    tables = put(world, TABLES, rt["id"], {"items": table_items(n_tables)})["items"]
    return rt, slots, tables


def participants(world, kind, n):
    return [world.new_participant(kind, **({"country": "KEN"} if kind == "state" else {}))
            for _ in range(n)]


def add_matches(world, rt_id, pairs):
    """pairs: [(need, offer, score, agreed)]; written as one succeeded run's matches."""
    run = world.pg.psql(
        "INSERT INTO match_runs (roundtable_id, status, progress, params, stats, started_at,"
        f" finished_at) VALUES ({rt_id}, 'succeeded', 1, '{{}}', '{{}}', now(), now())"
        " RETURNING id").split()[0]
    ids = []
    for need, offer, score, agreed in pairs:
        extra = (", 'agreed', 'accept', 'accept', now()" if agreed else ", 'proposed', NULL, NULL, NULL")
        ids.append(world.pg.psql(
            "INSERT INTO matches (roundtable_id, run_id, need_id, offer_id, score, breakdown,"
            " status, state_decision, provider_decision, decided_at) VALUES"
            f" ({rt_id}, {run}, {need['id']}, {offer['id']}, {score}, '{{}}'{extra})"
            " RETURNING id").split()[0])
    return ids


def need_of(world, rt_id, state, title="Establish a national CSIRT"):
    return world.new_need(as_="admin", rt=rt_id, participant_id=state["id"], title=title)


def offer_of(world, rt_id, provider, title="Incident response training"):
    return world.new_offer(as_="admin", rt=rt_id, participant_id=provider["id"], title=title)


def schedule(world, rt_id, body=None, as_="organizer", expect=201):
    if body is None:
        return world.call("POST", SCHEDULE, rt_id, as_=as_, expect=expect).body
    return world.call("POST", SCHEDULE, rt_id, as_=as_, body=body, expect=expect).body


def check_rules(sched, unavailable=()):
    """No participant twice in a slot, no (slot, table) twice, nobody in a slot marked
    unavailable ({(participant_id, slot_id)})."""
    cells, seen = set(), set()
    for m in sched["meetings"]:
        cell = (m["slot_id"], m["table_id"])
        assert cell not in cells, m
        cells.add(cell)
        for p in m["participants"]:
            assert (p["id"], m["slot_id"]) not in seen, m
            seen.add((p["id"], m["slot_id"]))
            assert (p["id"], m["slot_id"]) not in unavailable, m


# ---------------------------------------------------------------- slots and tables


def test_slots_put_get_keep_ids_and_validate(world):
    rt = world.new_roundtable("open", as_="organizer")
    assert world.get(SLOTS, rt["id"]) == {"items": [], "next_cursor": None}
    got = put(world, SLOTS, rt["id"], {"items": slot_items(3)})["items"]
    assert [s["starts_at"] for s in got] == [
        "2024-05-10T09:00:00.000Z", "2024-05-10T10:00:00.000Z", "2024-05-10T11:00:00.000Z"]
    assert world.get(SLOTS, rt["id"], as_="state_a")["items"] == got
    # Keep the first (moved), drop the second, add one: ids kept where given.
    body = {"items": [dict(id=got[0]["id"], session="Opening", starts_at="2024-05-10T08:00:00Z",
                           ends_at="2024-05-10T08:30:00.000Z"),
                      {"starts_at": "2024-05-10T12:00:00Z", "ends_at": "2024-05-10T12:30:00Z"},
                      dict(id=got[2]["id"], **{k: got[2][k] for k in ("starts_at", "ends_at")})]}
    now = put(world, SLOTS, rt["id"], body)["items"]
    assert [s["id"] for s in now][0] == got[0]["id"] and now[0]["session"] == "Opening"
    assert got[1]["id"] not in {s["id"] for s in now} and got[2]["id"] in {s["id"] for s in now}
    assert now[2]["session"] == ""
    before = world.get(SLOTS, rt["id"])
    bad = [
        ({"items": [{"starts_at": "2024-05-10T09:00:00Z"}]}, "items[0].ends_at"),
        ({"items": [{"starts_at": "2024-05-10 09:00", "ends_at": "2024-05-10T10:00:00Z"}]},
         "items[0].starts_at"),
        ({"items": [{"starts_at": "2024-05-10T09:00:00+02:00", "ends_at": "2024-05-10T10:00:00Z"}]},
         "items[0].starts_at"),
        ({"items": [{"starts_at": "2024-05-10T10:00:00Z", "ends_at": "2024-05-10T09:00:00Z"}]},
         "items[0].ends_at"),
        ({"items": [{"starts_at": "2024-05-10T09:00:00Z", "ends_at": "2024-05-10T10:00:00Z"},
                    {"starts_at": "2024-05-10T09:30:00Z", "ends_at": "2024-05-10T10:30:00Z"}]},
         "items[1].starts_at"),
        ({"items": [{"id": "999999", "starts_at": "2024-05-10T09:00:00Z",
                     "ends_at": "2024-05-10T10:00:00Z"}]}, "items[0].id"),
        ({"items": [{"starts_at": "2024-05-10T09:00:00Z", "ends_at": "2024-05-10T10:00:00Z",
                     "room": 1}]}, "items[0].room"),
        ({"items": [{"session": "x" * 201, "starts_at": "2024-05-10T09:00:00Z",
                     "ends_at": "2024-05-10T10:00:00Z"}]}, "items[0].session"),
        ({"items": {}}, "items"),
        ({"slots": []}, "slots"),
    ]
    for body, field in bad:
        r = world.call("PUT", SLOTS, rt["id"], as_="organizer", body=body, expect=422)
        assert field in fields_of(r.body), (body, r.body)
    assert world.get(SLOTS, rt["id"]) == before
    # A slot of another roundtable is not this one's.
    other = world.new_roundtable("open", as_="organizer")
    theirs = put(world, SLOTS, other["id"], {"items": slot_items(1)})["items"][0]
    r = world.call("PUT", SLOTS, rt["id"], as_="organizer", expect=422,
                   body={"items": [dict(id=theirs["id"], starts_at=theirs["starts_at"],
                                        ends_at=theirs["ends_at"])]})
    assert fields_of(r.body) == ["items[0].id"]
    world.call("PUT", SLOTS, "999999", as_="organizer", body={"items": []}, expect=404)
    world.call("GET", SLOTS, "999999", expect=404)
    for who in ("state_a", "donor"):
        world.call("PUT", SLOTS, rt["id"], as_=who, body={"items": []}, expect=403)
    assert world.get(SLOTS, rt["id"]) == before


def test_tables_put_get_and_validate(world):
    rt = world.new_roundtable("open", as_="organizer")
    got = put(world, TABLES, rt["id"], {"items": table_items(2)}, as_="admin")["items"]
    assert [t["name"] for t in got] == ["Table 1", "Table 2"]
    now = put(world, TABLES, rt["id"], {"items": [dict(got[1], name="Blue room"),
                                                  {"name": "Link", "location": "https://x/y"}]})
    assert now["items"][0] == dict(got[1], name="Blue room")
    assert now["items"][1]["location"] == "https://x/y"
    for body, field in (({"items": [{"location": "x"}]}, "items[0].name"),
                        ({"items": [{"name": ""}]}, "items[0].name"),
                        ({"items": [{"name": "a", "id": "x"}]}, "items[0].id"),
                        ({"items": [{"name": "a", "id": got[1]["id"]},
                                    {"name": "b", "id": got[1]["id"]}]}, "items[1].id"),
                        ({"items": [{"name": "a"}] * 501}, "items")):
        r = world.call("PUT", TABLES, rt["id"], as_="organizer", body=body, expect=422)
        assert field in fields_of(r.body), r.body
    world.call("PUT", TABLES, rt["id"], as_="implementer", body={"items": []}, expect=403)
    assert world.get(TABLES, rt["id"], as_="donor") == now


# ---------------------------------------------------------------- unavailability


def test_unavailability_own_and_staff(world):
    rt, slots, _ = grid(world, 3, 1)
    rid = rt["id"]
    me = world.p["state_a"]["id"]
    got = put(world, UNAVAIL, rid, {"slot_ids": [slots[2]["id"], slots[0]["id"]]}, as_="state_a")
    assert got == {"participant_id": me, "slot_ids": [slots[2]["id"], slots[0]["id"]]}
    put(world, UNAVAIL, rid, {"participant_id": world.p["donor"]["id"],
                              "slot_ids": [slots[1]["id"]]}, as_="organizer")
    everyone = world.get(UNAVAIL, rid)["items"]
    assert {x["participant_id"]: x["slot_ids"] for x in everyone} == {
        me: sorted([slots[0]["id"], slots[2]["id"]], key=int), world.p["donor"]["id"]: [slots[1]["id"]]}
    mine = world.get(UNAVAIL, rid, as_="state_a")["items"]
    assert [x["participant_id"] for x in mine] == [me]
    assert world.get(UNAVAIL, rid, as_="state_b")["items"] == []
    world.call("GET", UNAVAIL, rid, as_="state_b", params={"participant_id": me}, expect=403)
    world.call("PUT", UNAVAIL, rid, as_="state_b", expect=403,
               body={"participant_id": me, "slot_ids": []})
    # Replaces: fewer marks now.
    put(world, UNAVAIL, rid, {"slot_ids": [slots[0]["id"]]}, as_="state_a")
    assert world.get(UNAVAIL, rid, as_="state_a")["items"][0]["slot_ids"] == [slots[0]["id"]]
    other, oslots, _ = grid(world, 1, 1)
    for body, field in (({"slot_ids": [oslots[0]["id"]]}, "slot_ids[0]"),
                        ({"slot_ids": [slots[0]["id"], slots[0]["id"]]}, "slot_ids[1]"),
                        ({"slot_ids": ["x"]}, "slot_ids[0]"),
                        ({"slot_ids": "1"}, "slot_ids"),
                        ({"slot_ids": [], "extra": 1}, "extra")):
        r = world.call("PUT", UNAVAIL, rid, as_="state_a", body=body, expect=422)
        assert field in fields_of(r.body), r.body
    r = world.call("PUT", UNAVAIL, rid, as_="organizer", body={"slot_ids": []}, expect=422)
    assert fields_of(r.body) == ["participant_id"]
    r = world.call("PUT", UNAVAIL, rid, as_="organizer", expect=422,
                   body={"participant_id": "999999", "slot_ids": []})
    assert fields_of(r.body) == ["participant_id"]
    world.call("PUT", UNAVAIL, "999999", as_="state_a", body={"slot_ids": []}, expect=404)
    assert world.get(UNAVAIL, rid, as_="state_a")["items"][0]["slot_ids"] == [slots[0]["id"]]
    # A slot that goes takes its marks with it.
    put(world, SLOTS, rid, {"items": [dict(id=s["id"], starts_at=s["starts_at"], ends_at=s["ends_at"])
                                      for s in slots[1:]]})
    assert world.get(UNAVAIL, rid, as_="state_a")["items"] == []


# ---------------------------------------------------------------- the scheduler


def test_rules_reasons_and_grouping(world):
    """Two slots, one table. N1: state S1 with providers P1 and P2 (one meeting of three);
    N2: S2 with P1 (P1 is busy in N1's slot); N3: S3 with P3 (no table left); N4: S4 with P4,
    S4 unavailable in both slots."""
    rt, slots, tables = grid(world, 2, 1)
    rid = rt["id"]
    S = participants(world, "state", 4)
    P = participants(world, "donor", 4)
    n = [need_of(world, rid, S[i], title=f"Need {i}") for i in range(4)]
    o = [offer_of(world, rid, P[i]) for i in range(4)]
    m = add_matches(world, rid, [(n[0], o[0], 0.5, False), (n[0], o[1], 0.25, False),
                                 (n[1], o[0], 0.5, False), (n[2], o[2], 0.125, False),
                                 (n[3], o[3], 0.875, False)])
    put(world, UNAVAIL, rid, {"participant_id": S[3]["id"], "slot_ids": [s["id"] for s in slots]})
    sched = schedule(world, rid)
    unavailable = {(S[3]["id"], s["id"]) for s in slots}
    check_rules(sched, unavailable)
    placed = {x["need_id"]: x for x in sched["meetings"]}
    assert set(placed) == {n[0]["id"], n[1]["id"]}
    first = placed[n[0]["id"]]
    assert [p["id"] for p in first["participants"]] == [S[0]["id"], P[0]["id"], P[1]["id"]]
    assert first["match_ids"] == [m[0], m[1]] and first["score"] == 0.75
    assert first["slot_id"] != placed[n[1]["id"]]["slot_id"]
    assert first["table"] == "Table 1" and first["location"] == "Room A"
    why = {x["need_id"]: x for x in sched["unplaced"]}
    assert why[n[2]["id"]]["reason"] in ("no_table", "participant_busy")
    assert why[n[2]["id"]]["reason"] == "no_table"
    assert why[n[3]["id"]]["reason"] == "unavailable"
    assert why[n[3]["id"]]["participant_id"] == S[3]["id"]
    st = sched["stats"]
    assert (st["meetings"], st["placed"], st["unplaced"], st["matches_placed"]) == (4, 2, 2, 3)
    assert st["total_score"] == 1.25 and st["optimal"] is True
    assert sched["params"] == {"group": "need", "agreed_first": True}
    # One meeting per partnership: N1's two partnerships are two meetings now.
    pair = schedule(world, rid, {"group": "pair"})
    check_rules(pair, unavailable)
    assert pair["stats"]["meetings"] == 5 and pair["params"]["group"] == "pair"
    assert all(len(x["participants"]) == 2 for x in pair["meetings"])


def test_busy_reason_and_no_grid(world):
    rt, slots, _ = grid(world, 1, 3)
    rid = rt["id"]
    S = participants(world, "state", 1)
    P = participants(world, "implementer", 2)
    n = [need_of(world, rid, S[0]), need_of(world, rid, S[0])]
    add_matches(world, rid, [(n[0], offer_of(world, rid, P[0]), 0.5, False),
                             (n[1], offer_of(world, rid, P[1]), 0.25, False)])
    sched = schedule(world, rid)
    assert [x["need_id"] for x in sched["meetings"]] == [n[0]["id"]]
    (u,) = sched["unplaced"]
    assert u["reason"] == "participant_busy" and u["participant_id"] == S[0]["id"]
    put(world, TABLES, rid, {"items": []})
    sched = schedule(world, rid)
    assert sched["meetings"] == [] and {u["reason"] for u in sched["unplaced"]} == {
        "no_slots_or_tables"}


def test_agreed_first(world):
    """One slot, one table, one provider in two meetings: the agreed one wins though it scores
    less, unless agreed_first is false."""
    rt, _, _ = grid(world, 1, 1)
    rid = rt["id"]
    S = participants(world, "state", 2)
    P = participants(world, "donor", 1)
    o = offer_of(world, rid, P[0])
    n = [need_of(world, rid, S[0]), need_of(world, rid, S[1])]
    add_matches(world, rid, [(n[0], o, 0.25, True), (n[1], o, 0.75, False)])
    assert [x["need_id"] for x in schedule(world, rid)["meetings"]] == [n[0]["id"]]
    off = schedule(world, rid, {"agreed_first": False})
    assert [x["need_id"] for x in off["meetings"]] == [n[1]["id"]]


def test_deterministic_and_replaces(world):
    rt, slots, tables = grid(world, 3, 2)
    rid = rt["id"]
    S = participants(world, "state", 4)
    P = participants(world, "donor", 3)
    offers = [offer_of(world, rid, p) for p in P]
    pairs = []
    for i, s in enumerate(S):
        nd = need_of(world, rid, s)
        for j in range(2):
            pairs.append((nd, offers[(i + j) % 3], 0.5, False))
    add_matches(world, rid, pairs)
    a = schedule(world, rid)
    b = schedule(world, rid)
    key = lambda s: [(x["need_id"], x["slot_id"], x["table_id"]) for x in s["meetings"]]
    assert key(a) == key(b) and a["unplaced"] == b["unplaced"]
    assert {x["id"] for x in a["meetings"]}.isdisjoint({x["id"] for x in b["meetings"]})
    assert world.count("schedules", f"roundtable_id = {rid}") == 1
    assert world.count("schedule_meetings", f"roundtable_id = {rid}") == len(b["meetings"])
    got = world.get(SCHEDULE, rid, as_="donor")
    assert key(got) == key(b) and got["created_at"] == b["created_at"]
    # A table that goes takes its meetings out of the current schedule.
    put(world, TABLES, rid, {"items": [tables[0]]})
    assert {x["table_id"] for x in world.get(SCHEDULE, rid)["meetings"]} <= {tables[0]["id"]}


def test_empty_schedule_before_the_first_post(world):
    rt, slots, tables = grid(world, 1, 1)
    s = world.get(SCHEDULE, rt["id"], as_="state_b")
    assert s["created_at"] is None and s["stats"] is None and s["meetings"] == []
    assert s["slots"] == slots and s["tables"] == tables
    world.call("GET", SCHEDULE, "999999", expect=404)
    world.call("POST", SCHEDULE, "999999", as_="organizer", expect=404)


def test_roles_and_validation(world):
    rt, _, _ = grid(world, 1, 1)
    for who in ("state_a", "donor"):
        world.call("POST", SCHEDULE, rt["id"], as_=who, expect=403)
    assert world.count("schedules", f"roundtable_id = {rt['id']}") == 0
    for body, field in (({"group": "table"}, "group"), ({"agreed_first": "yes"}, "agreed_first"),
                        ({"slots": 1}, "slots")):
        r = world.call("POST", SCHEDULE, rt["id"], as_="organizer", body=body, expect=422)
        assert fields_of(r.body) == [field], r.body
        assert error_for(r.body, field)
    world.call("POST", SCHEDULE, rt["id"], as_="organizer", data=b"{", expect=400,
               headers={"Content-Type": "application/json"})
    world.call("POST", SCHEDULE, rt["id"], as_="admin", body={}, expect=201)


def brute_best(slots, n_tables, meetings, unavailable):
    """meetings: [(participants, value)]; the largest total of a valid placement."""
    best = 0
    for choice in itertools.product(range(-1, len(slots)), repeat=len(meetings)):
        used, busy, total, ok = {}, set(), 0, True
        for (parts, value), s in zip(meetings, choice):
            if s < 0:
                continue
            used[s] = used.get(s, 0) + 1
            for p in parts:
                if (p, s) in busy or (p, s) in unavailable:
                    ok = False
                busy.add((p, s))
            total += value
        if ok and all(v <= n_tables for v in used.values()):
            best = max(best, total)
    return best


def test_optimal_against_brute_force_on_random_roundtables(world):
    rng = random.Random(9)
    S = participants(world, "state", 3)
    P = participants(world, "donor", 3)
    for case in range(6):
        n_slots, n_tables = rng.randint(1, 3), rng.randint(1, 2)
        rt, slots, _ = grid(world, n_slots, n_tables)
        rid = rt["id"]
        offers = [offer_of(world, rid, p) for p in P]
        pairs, meetings = [], []
        for i in range(rng.randint(2, 5)):
            state = rng.choice(S)
            nd = need_of(world, rid, state)
            chosen = rng.sample(range(3), rng.randint(1, 2))
            value = 0
            for j in chosen:
                score = rng.choice([0.125, 0.25, 0.5, 0.75])
                agreed = rng.random() < 0.3
                pairs.append((nd, offers[j], score, agreed))
                value += round(score * 2 ** 30) + (AGREED_BONUS if agreed else 0)
            meetings.append(([state["id"]] + [P[j]["id"] for j in chosen], value))
        add_matches(world, rid, pairs)
        unavailable = set()
        for p in S + P:
            marked = [s["id"] for s in slots if rng.random() < 0.2]
            if marked:
                put(world, UNAVAIL, rid, {"participant_id": p["id"], "slot_ids": marked})
                unavailable |= {(p["id"], s) for s in marked}
        sched = schedule(world, rid)
        check_rules(sched, unavailable)
        slot_index = {s["id"]: i for i, s in enumerate(slots)}
        want = brute_best(slots, n_tables, meetings,
                          {(p, slot_index[s]) for p, s in unavailable})
        agreed_ids = {m for m in world.pg.psql(
            f"SELECT string_agg(id::text, ' ') FROM matches WHERE roundtable_id = {rid}"
            " AND status = 'agreed'").split()}
        scores = dict(tuple(line.split("|")) for line in world.pg.psql(
            f"SELECT id || '|' || score FROM matches WHERE roundtable_id = {rid}").split())
        got = sum(round(float(scores[m]) * 2 ** 30) + (AGREED_BONUS if m in agreed_ids else 0)
                  for x in sched["meetings"] for m in x["match_ids"])
        assert got == want, (case, sched)
        assert sched["stats"]["optimal"] is True


# ---------------------------------------------------------------- timetables and iCalendar


def unfold(text):
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    for line in lines:
        assert len(line.encode("utf-8")) <= 75, line
        assert "\n" not in line and "\r" not in line
    out = []
    for line in lines:
        if line.startswith(" "):
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def unescape(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\":
            nxt = v[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            assert v[i] not in ",;", v  # unescaped TEXT separators
            out.append(v[i])
            i += 1
    return "".join(out)


def parse_ics(text):
    events, cal, cur = [], {}, None
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    for line in lines:
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            cur = {}
        elif line == "END:VEVENT":
            events.append(cur)
            cur = None
        elif cur is not None:
            cur[name] = value
        else:
            cal[name] = value
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    return events


def test_participant_timetable_and_ics(world):
    rt, slots, tables = grid(world, 2, 1)
    rid = rt["id"]
    state = world.p["state_a"]
    long_title = ("CSIRT, forensics; and \\ backslashes — 网络安全能力建设 " * 4).strip()
    n = need_of(world, rid, state, title=long_title)
    n2 = need_of(world, rid, world.p["state_b"], title="Point of contact")
    o = offer_of(world, rid, world.p["donor"])
    o2 = offer_of(world, rid, world.p["implementer"])
    add_matches(world, rid, [(n, o, 0.5, True), (n, o2, 0.25, False), (n2, o, 0.5, False)])
    put(world, TABLES, rid, {"items": [dict(tables[0], name="Room 1, east; wing")]})
    sched = schedule(world, rid)
    assert len(sched["meetings"]) == 2
    mine = world.get(PSCHED, state["id"], as_="state_a")
    assert mine["participant_id"] == state["id"] and len(mine["items"]) == 1
    assert mine["items"][0]["need_title"] == long_title
    donor = world.get(PSCHED, world.p["donor"]["id"], as_="donor", params={"roundtable_id": rid})
    assert [x["starts_at"] for x in donor["items"]] == sorted(x["starts_at"] for x in donor["items"])
    assert len(donor["items"]) == 2
    world.call("GET", PSCHED, state["id"], as_="state_b", expect=403)
    world.call("GET", PSCHED, state["id"], as_="donor", expect=403)
    world.call("GET", PSCHED, "999999", expect=404)
    world.call("GET", PSCHED, state["id"], params={"format": "xml"}, expect=400)
    world.call("GET", PSCHED, state["id"], params={"roundtable_id": "x"}, expect=400)
    r = world.call("GET", PSCHED, state["id"], as_="state_a", params={"format": "ics"}, expect=200)
    assert r.headers["Content-Type"].startswith("text/calendar")
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.content.decode("utf-8")
    (ev,) = parse_ics(text)
    m = mine["items"][0]
    assert ev["DTSTART"] == m["starts_at"].replace("-", "").replace(":", "").replace(".000", "")
    assert ev["DTEND"].endswith("Z") and ev["DTSTAMP"].endswith("Z") and "@" in ev["UID"]
    assert unescape(ev["SUMMARY"]).endswith(long_title)
    assert unescape(ev["LOCATION"]).startswith("Room 1, east; wing")
    desc = unescape(ev["DESCRIPTION"])
    assert "Donor Agency" in desc and "Implementer Institute" in desc and "Kenya" not in desc.split(
        "With:")[1]
    # Every meeting of the donor, each its own UID.
    r = world.call("GET", PSCHED, world.p["donor"]["id"], as_="donor", params={"format": "ics"},
                   expect=200)
    evs = parse_ics(r.content.decode("utf-8"))
    assert len({e["UID"] for e in evs}) == len(evs) >= 2
