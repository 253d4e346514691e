"""Match runs over real HTTP and PostgreSQL: 202 and a run that reaches succeeded with visible
progress and consistent stats; proposals that are feasible, within max_partners and remaining
capacity, and whose total equals an optimum found independently in Python by exhaustive search
(optimality proven over HTTP, with default and with overridden weights and min_score); a second
run replaces the proposals and keeps agreed matches; one run per roundtable at a time, across
threads and across two processes on one database (409); parameter validation (422); a run whose
process was killed is failed as abandoned once its heartbeat is stale, a run failed that way
writes nothing, a run over --match-run-timeout is stopped with that reason and writes nothing, a stopping service records how its runs ended; the demo roundtable gets a run."""
import json
import random
import threading
import time

import pytest
import requests

import harness
from matching_fixtures import *  # noqa: F401,F403
from openapi_check import check_response


def open_counts(matches):
    per_need, per_offer = {}, {}
    for m in matches:
        per_need[m["need_id"]] = per_need.get(m["need_id"], 0) + 1
        per_offer[m["offer_id"]] = per_offer.get(m["offer_id"], 0) + 1
    return per_need, per_offer


def check_run_is_optimal(world, rt, needs, offers, body=None, agreed=(), declined=()):
    """Runs the engine on rt and proves its proposals optimal against brute force."""
    scores, fresh_n, fresh_o = scored_pairs(world, needs, offers, agreed, declined)
    run = run_to_end(world, rt["id"], body)
    min_score = (body or {}).get("min_score", 0)
    weights = run["params"]["weights"]
    assert run["params"]["min_score"] == min_score
    assert sum(weights.values()) == 1.0
    proposed = matches_of(world, rt["id"], status="proposed")
    # the suggestions' breakdown values give every pair's score under the run's weights
    values = {}
    for n in fresh_n.values():
        for oid, it in suggested_offers(world, n["id"]).items():
            values[(n["id"], oid)] = {c: it["breakdown"][c]["value"] for c in CRITERIA}
    run_scores = {p: sum(v[c] * weights[c] for c in CRITERIA) for p, v in values.items()}
    if body is None or "weights" not in body:
        assert run_scores == scores
    for m in proposed:
        pair = (m["need_id"], m["offer_id"])
        assert pair in run_scores, f"infeasible proposal {pair}"
        assert m["score"] == run_scores[pair] and m["score"] >= min_score
        check_breakdown(m)
        assert {c: m["breakdown"][c]["weight"] for c in CRITERIA} == weights
        assert m["run_id"] == run["id"] and m["roundtable_id"] == rt["id"]
    agreed_n, agreed_o = {}, {}
    for n, o in agreed:
        agreed_n[n] = agreed_n.get(n, 0) + 1
        agreed_o[o] = agreed_o.get(o, 0) + 1
    partners_left = {n["id"]: n["max_partners"] - agreed_n.get(n["id"], 0)
                     for n in fresh_n.values()}
    capacity_left = {o["id"]: o["capacity"] - agreed_o.get(o["id"], 0) for o in fresh_o.values()}
    per_need, per_offer = open_counts(proposed)
    for n, k in per_need.items():
        assert k <= partners_left[n], (n, k)
    for o, k in per_offer.items():
        assert k <= capacity_left[o], (o, k)
    candidates = [(n, o, s) for (n, o), s in run_scores.items() if s >= min_score and s > 0]
    best = brute_force(candidates, partners_left, capacity_left)
    total = sum(m["score"] for m in proposed)
    assert total == best, (total, best)
    stats = run["stats"]
    open_needs = sum(1 for n in fresh_n.values() if n["status"] == "open")
    open_offers = sum(1 for o in fresh_o.values() if o["status"] == "open")
    assert stats["needs"] == open_needs and stats["offers"] == open_offers
    assert stats["pairs_scored"] == open_needs * open_offers
    assert stats["feasible_pairs"] == len(scores)
    assert stats["matches"] == len(proposed) and stats["total_score"] == total
    assert stats["elapsed_ms"] >= 0
    assert run["progress"] == 1 and run["error"] is None
    assert run["started_at"] <= run["finished_at"] and run["created_at"] <= run["started_at"]
    return run, proposed


# ---------------------------------------------------------------- optimality

@pytest.mark.parametrize("seed,min_score", [(1, 0), (2, 0), (3, 0.4), (4, 0.55), (5, 0),
                                            (6, 0.3)])
def test_run_is_optimal_against_brute_force(world, seed, min_score):
    rt, needs, offers = random_roundtable(world, seed, n_needs=6, n_offers=5)
    check_run_is_optimal(world, rt, needs, offers, {"min_score": min_score})


@pytest.mark.parametrize("seed,weights", [
    (11, {"theme": 1, "text": 0, "window": 0, "modality": 0, "funding": 0, "priority": 0,
          "fairness": 0}),
    (12, {"priority": 3, "funding": 0.5}),
    (13, {"window": 0, "modality": 2}),
])
def test_run_is_optimal_with_overridden_weights(world, seed, weights):
    rt, needs, offers = random_roundtable(world, seed, n_needs=6, n_offers=5)
    run, _ = check_run_is_optimal(world, rt, needs, offers,
                                  {"min_score": 0.1, "weights": weights})
    w = run["params"]["weights"]
    if weights.get("theme") == 1 and weights.get("text") == 0:
        assert w["theme"] == 1 and all(w[c] == 0 for c in CRITERIA if c != "theme")
    else:  # named weights replace the defaults, then everything is scaled to sum 1
        raw = {"theme": 0.3, "text": 0.15, "window": 0.1, "modality": 0.1, "funding": 0.1,
               "priority": 0.1, "fairness": 0.15}
        raw.update(weights)
        for c in CRITERIA:
            assert abs(w[c] - raw[c] / sum(raw.values())) <= 1 / 32768


def test_second_run_replaces_proposals_and_keeps_agreed(world):
    rt = new_rt(world)
    needs = [world.new_need(rt=rt["id"], themes=["incident.csirt_establishment"]),
             world.new_need(as_="state_b", rt=rt["id"], languages=["en", "es"],
                            themes=["incident.incident_response"], max_partners=2),
             world.new_need(rt=rt["id"], themes=["skills.awareness"], priority="high")]
    offers = [world.new_offer(rt=rt["id"], themes=["incident.csirt_establishment"], capacity=2),
              world.new_offer(as_="implementer", rt=rt["id"],
                              themes=["incident.incident_response", "skills.awareness"]),
              world.new_offer(rt=rt["id"], themes=["skills.education"], languages=["en", "es"])]
    run1, first = check_run_is_optimal(world, rt, needs, offers)
    assert len(first) >= 3
    provider = lambda m: "implementer" if m["offer_id"] == offers[1]["id"] else "donor"
    state = lambda m: "state_b" if m["need_id"] == needs[1]["id"] else "state_a"
    kept, half, gone = first[0], first[1], first[2]
    agree(world, kept["id"], state=state(kept), provider=provider(kept))
    half = decide(world, half["id"], "accept", as_=state(half))
    decide(world, gone["id"], "decline", as_=provider(gone))
    agreed = {(kept["need_id"], kept["offer_id"])}
    declined = {(gone["need_id"], gone["offer_id"])}
    run2, second = check_run_is_optimal(world, rt, needs, offers, agreed=agreed,
                                        declined=declined)
    assert run2["id"] != run1["id"]
    # the agreed match stands, unchanged
    assert world.get(MATCH, kept["id"])["status"] == "agreed"
    assert world.get(MATCH, kept["id"])["run_id"] == run1["id"]
    # every proposal is the second run's; none of the first run is still proposed
    assert all(m["run_id"] == run2["id"] for m in second)
    assert matches_of(world, rt["id"], run_id=run1["id"], status="proposed") == []
    pairs = {(m["need_id"], m["offer_id"]) for m in second}
    assert not pairs & (agreed | declined)
    # a pair proposed again keeps its match and the decision made on it
    again = [m for m in second if (m["need_id"], m["offer_id"]) == (half["need_id"],
                                                                     half["offer_id"])]
    if again:
        assert again[0]["id"] == half["id"] and again[0]["state_decision"] == "accept"
    else:
        world.call("GET", MATCH, half["id"], expect=404)
    # the declined match stays, declined
    assert world.get(MATCH, gone["id"])["status"] == "declined"


# ---------------------------------------------------------------- a large roundtable

WORDS = ["CSIRT", "national strategy", "cybercrime legislation", "digital forensics",
         "awareness campaign", "critical infrastructure", "incident response", "网络安全",
         "formation", "capacitación", "points of contact", "supply chain"]
ALL_THEMES = ["strategy.national_strategy", "strategy.governance", "incident.csirt_establishment",
              "incident.incident_response", "incident.critical_infrastructure",
              "cybercrime.legislation", "cybercrime.digital_forensics", "skills.awareness",
              "skills.workforce", "cbm.poc_directory", "standards.supply_chain"]


@pytest.fixture(scope="module")
def big(world):
    """A roundtable of 2,500 needs and 2,500 offers, imported: a run takes long enough to be
    seen running."""
    rng = random.Random(2024)
    rt = new_rt(world)
    states = [world.p["state_a"]["id"], world.p["state_b"]["id"]]
    providers = [world.p["donor"]["id"], world.p["implementer"]["id"]]
    needs = [{"participant_id": rng.choice(states),
              "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}",
              "description": " ".join(rng.choice(WORDS) for _ in range(6)),
              "themes": rng.sample(ALL_THEMES, rng.randint(1, 3)),
              "languages": rng.sample(["en", "fr", "es", "zh"], rng.randint(1, 2)),
              "modality": rng.choice(["in_person", "online", "hybrid", "any"]),
              "priority": rng.choice(["high", "medium", "low"]),
              "max_partners": rng.randint(1, 3)} for i in range(2500)]
    offers = [{"participant_id": rng.choice(providers), "kind": "training",
               "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}",
               "description": " ".join(rng.choice(WORDS) for _ in range(6)),
               "themes": rng.sample(ALL_THEMES, rng.randint(1, 3)),
               "languages": rng.sample(["en", "fr", "es", "zh"], rng.randint(1, 3)),
               "modality": rng.choice(["in_person", "online", "hybrid"]),
               "capacity": rng.randint(1, 4),
               "regions": rng.choice([[], [], ["africa"]])} for i in range(2500)]
    imp = f"{V1}/roundtables/{{id}}/import"
    for entity, rows in (("needs", needs), ("offers", offers)):
        r = world.call("POST", imp, rt["id"], as_="organizer", params={"entity": entity},
                       body=rows, expect=200)
        assert r.body == {"inserted": len(rows)}
    return rt


def test_run_progress_is_visible_and_reaches_succeeded(world, big):
    run = start_run(world, big["id"], {"min_score": 0.2})
    validate(run, "MatchRun")
    done, seen = wait_run(world, run["id"])
    assert done["status"] == "succeeded", done
    progress = [r["progress"] for r in seen]
    assert progress == sorted(progress) and all(0 <= p <= 1 for p in progress)
    assert any(r["status"] in ("queued", "running") and r["progress"] < 1 for r in seen), seen
    assert done["progress"] == 1
    s = done["stats"]
    assert s["needs"] == 2500 and s["offers"] == 2500 and s["pairs_scored"] == 2500 * 2500
    assert 0 < s["matches"] <= s["feasible_pairs"] < s["pairs_scored"]
    ms = matches_of(world, big["id"], status="proposed")
    assert len(ms) == s["matches"]
    assert sum(m["score"] for m in ms) == pytest.approx(s["total_score"], abs=1e-9)
    assert all(m["score"] >= 0.2 for m in ms)
    need_caps = {n["id"]: n["max_partners"]
                 for n in world.list_all(f"{V1}/needs", {"roundtable_id": big["id"]})}
    offer_caps = {o["id"]: o["capacity"]
                  for o in world.list_all(f"{V1}/offers", {"roundtable_id": big["id"]})}
    per_need, per_offer = open_counts(ms)
    assert all(k <= need_caps[n] for n, k in per_need.items())
    assert all(k <= offer_caps[o] for o, k in per_offer.items())
    # a later run of the same parameters proposes the same pairs (deterministic)
    again = run_to_end(world, big["id"], {"min_score": 0.2})
    assert again["stats"]["total_score"] == s["total_score"]
    ms2 = matches_of(world, big["id"], status="proposed")
    assert {(m["need_id"], m["offer_id"], m["id"]) for m in ms2} == \
        {(m["need_id"], m["offer_id"], m["id"]) for m in ms}


def _post_all(urls, rt_id, token, n):
    """n POSTs of a run, fired together from threads; returns the responses."""
    barrier = threading.Barrier(n)
    out = [None] * n

    def fire(i):
        s = requests.Session()
        barrier.wait()
        out[i] = s.post(urls[i % len(urls)] + f"{V1}/roundtables/{rt_id}/match-runs",
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
        s.close()

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in out:
        check_response(r, RUNS, "POST")
    return out


def test_one_run_at_a_time_concurrent_posts(world, big):
    out = _post_all([world.url], big["id"], world.tok["organizer"], 8)
    codes = sorted(r.status_code for r in out)
    assert codes == [202] + [409] * 7, codes
    run = next(r.json() for r in out if r.status_code == 202)
    for r in out:
        if r.status_code == 409:
            assert f"run {run['id']}" in r.json()["detail"] or "already" in r.json()["detail"]
    assert wait_run(world, run["id"])[0]["status"] == "succeeded"
    # the roundtable is free again
    assert wait_run(world, start_run(world, big["id"])["id"])[0]["status"] == "succeeded"


def test_one_run_at_a_time_across_two_processes(world, big):
    other = harness.Service(world.pg)
    try:
        out = _post_all([world.url, other.url], big["id"], world.tok["organizer"], 8)
        codes = sorted(r.status_code for r in out)
        assert codes == [202] + [409] * 7, codes
        run = next(r.json() for r in out if r.status_code == 202)
        assert wait_run(world, run["id"])[0]["status"] == "succeeded"
    finally:
        assert other.stop() == 0, other.log()


# ---------------------------------------------------------------- failures and recovery

def test_a_killed_process_leaves_a_run_that_is_failed_as_abandoned(world, big):
    doomed = harness.Service(world.pg)
    quick = harness.Service(world.pg, "--match-run-stale", "1s")
    try:
        r = requests.post(doomed.url + f"{V1}/roundtables/{big['id']}/match-runs",
                          headers={"Authorization": f"Bearer {world.tok['organizer']}"},
                          timeout=30)
        doomed.proc.kill()
        doomed.proc.wait()
        check_response(r, RUNS, "POST")
        assert r.status_code == 202, r.text
        run = r.json()
        # still live in the database: nobody may start another (its heartbeat is fresh)
        state = world.pg.psql(f"SELECT status FROM match_runs WHERE id = {run['id']}")
        assert state in ("queued", "running"), state
        h = {"Authorization": f"Bearer {world.tok['organizer']}"}
        r = requests.post(quick.url + f"{V1}/roundtables/{big['id']}/match-runs", headers=h,
                          timeout=30)
        check_response(r, RUNS, "POST")
        assert r.status_code == 409, r.text
        time.sleep(1.5)  # longer than --match-run-stale: the heartbeat is now stale
        r = requests.post(quick.url + f"{V1}/roundtables/{big['id']}/match-runs", headers=h,
                          timeout=30)
        check_response(r, RUNS, "POST")
        assert r.status_code == 202, r.text
        dead = world.get(RUN, run["id"])
        assert dead["status"] == "failed" and "abandoned" in dead["error"], dead
        assert dead["finished_at"] and dead["stats"] is None
        assert wait_run(world, r.json()["id"])[0]["status"] == "succeeded"
        assert matches_of(world, big["id"], run_id=run["id"]) == []
    finally:
        assert quick.stop() == 0, quick.log()


def test_stale_and_live_runs_written_by_hand(world):
    """A run left queued or running by a dead process: with an old heartbeat it is failed as
    abandoned by the next POST (and when read); with a fresh one it still holds the roundtable."""
    rt = new_rt(world)
    world.new_need(rt=rt["id"])
    world.new_offer(rt=rt["id"])
    params = json.dumps({"min_score": 0, "weights": {c: 0 if c != "theme" else 1
                                                     for c in CRITERIA}})
    stale = world.pg.psql(
        "INSERT INTO match_runs (roundtable_id, status, params, started_at, heartbeat_at)"
        f" VALUES ({rt['id']}, 'running', '{params}', now() - interval '2 hours',"
        " now() - interval '1 hour') RETURNING id").splitlines()[0]
    assert world.get(RUN, stale)["status"] == "failed"  # reading it tells the truth
    live = world.pg.psql(
        "INSERT INTO match_runs (roundtable_id, status, params)"
        f" VALUES ({rt['id']}, 'queued', '{params}') RETURNING id").splitlines()[0]
    r = world.call("POST", RUNS, rt["id"], as_="organizer", expect=409)
    assert f"run {live}" in r.body["detail"]
    assert world.get(RUN, live)["status"] == "queued"
    world.pg.psql(f"UPDATE match_runs SET heartbeat_at = now() - interval '5 minutes'"
                  f" WHERE id = {live}")
    run = run_to_end(world, rt["id"])
    dead = world.get(RUN, live)
    assert dead["status"] == "failed" and "abandoned" in dead["error"]
    assert run["stats"]["matches"] == 1


def test_a_run_failed_meanwhile_writes_nothing(world, big):
    run = start_run(world, big["id"])
    changed = world.pg.psql(
        "UPDATE match_runs SET status = 'failed', error = 'stopped by hand', finished_at = now()"
        f" WHERE id = {run['id']} AND status IN ('queued', 'running') RETURNING id")
    if not changed:
        pytest.skip("the run ended before it could be failed")
    time.sleep(3)
    done = world.get(RUN, run["id"])
    assert done["status"] == "failed" and done["error"] == "stopped by hand", done
    assert matches_of(world, big["id"], run_id=run["id"]) == []
    # and the roundtable takes a new run
    assert wait_run(world, start_run(world, big["id"])["id"])[0]["status"] == "succeeded"


def test_a_stopping_service_records_how_its_runs_ended(world, big):
    svc = harness.Service(world.pg)
    h = {"Authorization": f"Bearer {world.tok['organizer']}"}
    r = requests.post(svc.url + f"{V1}/roundtables/{big['id']}/match-runs", headers=h,
                      timeout=30)
    check_response(r, RUNS, "POST")
    assert r.status_code == 202, r.text
    assert svc.stop() == 0, svc.log()
    run = world.get(RUN, r.json()["id"])
    assert run["status"] in ("failed", "succeeded"), run
    if run["status"] == "failed":
        assert "stopped" in run["error"], run


def test_a_run_over_its_time_limit_is_stopped_and_writes_nothing(world):
    """--match-run-timeout: a run still going after it is failed with the reason, and nothing
    is written. The run is held up by a lock on the needs table that its snapshot waits for."""
    rt = new_rt(world)
    world.new_need(rt=rt["id"])
    world.new_offer(rt=rt["id"])
    limited = harness.Service(world.pg, "--match-run-timeout", "1s")
    locker = threading.Thread(target=world.pg.psql, args=(
        "BEGIN; LOCK TABLE needs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT",))
    try:
        locker.start()
        # the run must find the lock held: wait until it is granted (psql may start slowly)
        held = "SELECT count(*) FROM pg_locks WHERE relation = 'needs'::regclass AND granted" \
               " AND mode = 'AccessExclusiveLock'"
        deadline = time.monotonic() + 10
        while world.pg.psql(held) != "1":
            assert time.monotonic() < deadline, "the lock on needs was never taken"
            time.sleep(0.05)
        r = requests.post(limited.url + f"{V1}/roundtables/{rt['id']}/match-runs",
                          headers={"Authorization": f"Bearer {world.tok['organizer']}"},
                          timeout=30)
        check_response(r, RUNS, "POST")
        assert r.status_code == 202, r.text
        locker.join()
        done, _ = wait_run(world, r.json()["id"])
        assert done["status"] == "failed", done
        assert "--match-run-timeout" in done["error"] and "nothing was written" in done["error"]
        assert done["stats"] is None and done["finished_at"]
        assert matches_of(world, rt["id"]) == []
    finally:
        locker.join()
        assert limited.stop() == 0, limited.log()
    # without the lock the same roundtable runs to the end under the same limit
    assert run_to_end(world, rt["id"])["stats"]["matches"] == 1


def test_a_roundtables_runs_are_listed_newest_first(world):
    rt = new_rt(world)
    world.new_need(rt=rt["id"])
    world.new_offer(rt=rt["id"])
    runs_of = f"{V1}/roundtables/{{id}}/match-runs"
    assert world.get(runs_of, rt["id"]) == {"items": [], "next_cursor": None}
    ids = [run_to_end(world, rt["id"], {"min_score": s})["id"] for s in (0, 0.1, 0.2)]
    got = world.get(runs_of, rt["id"], as_="state_a")
    assert [r["id"] for r in got["items"]] == ids[::-1] and got["next_cursor"] is None
    assert got["items"][0] == world.get(RUN, ids[-1])
    for r in got["items"]:
        validate(r, "MatchRun")
    # pages of one, then older ones
    seen, cursor = [], None
    while True:
        page = world.get(runs_of, rt["id"], params={"limit": 1, **({"cursor": cursor}
                                                                   if cursor else {})})
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    # a run left by a dead process reads as failed in the list too
    params = json.dumps({"min_score": 0, "weights": {c: 0 if c != "theme" else 1
                                                     for c in CRITERIA}})
    stale = world.pg.psql(
        "INSERT INTO match_runs (roundtable_id, status, params, started_at, heartbeat_at)"
        f" VALUES ({rt['id']}, 'running', '{params}', now() - interval '2 hours',"
        " now() - interval '1 hour') RETURNING id").splitlines()[0]
    first = world.get(runs_of, rt["id"])["items"][0]
    assert first["id"] == stale and first["status"] == "failed" and "abandoned" in first["error"]
    assert world.get(RUN, stale)["status"] == "failed"
    # another roundtable's runs are not listed; an unknown roundtable is 404
    assert world.get(runs_of, new_rt(world)["id"])["items"] == []
    world.call("GET", runs_of, "999999999", expect=404)
    world.call("GET", runs_of, rt["id"], token=None, expect=401)


# ---------------------------------------------------------------- requests refused

@pytest.mark.parametrize("body,fields", [
    ({"weights": {"nope": 1}}, ["weights.nope"]),
    ({"weights": {"theme": -1}}, ["weights.theme"]),
    ({"weights": {"theme": "1"}}, ["weights.theme"]),
    ({"weights": {"theme": True}}, ["weights.theme"]),
    ({"weights": {"theme": 1e9}}, ["weights.theme"]),
    ({"weights": {c: 0 for c in CRITERIA}}, ["weights"]),
    ({"weights": [1, 2]}, ["weights"]),
    ({"weights": {"theme": 1, "Theme": 1}}, ["weights.Theme"]),
    ({"min_score": -0.01}, ["min_score"]),
    ({"min_score": 1.5}, ["min_score"]),
    ({"min_score": "0.2"}, ["min_score"]),
    ({"min_score": 0.2, "max_score": 1}, ["max_score"]),
    ({"min_score": 2, "weights": {"x": 1, "text": -2}}, ["min_score", "weights.x", "weights.text"]),
])
def test_invalid_parameters_are_422_and_write_nothing(world, body, fields):
    rt = new_rt(world)
    before = world.count("match_runs")
    r = world.call("POST", RUNS, rt["id"], as_="organizer", body=body, expect=422)
    assert sorted(fields_of(r.body)) == sorted(fields), r.body
    assert world.count("match_runs") == before


def test_valid_parameters_and_an_empty_body(world):
    rt = new_rt(world)
    run = run_to_end(world, rt["id"], {})
    assert run["params"]["min_score"] == 0 and run["stats"]["matches"] == 0
    run = run_to_end(world, rt["id"])  # no body at all
    assert run["params"]["weights"] == {"theme": 9830 / 32768, "text": 4915 / 32768,
                                        "window": 3277 / 32768, "modality": 3277 / 32768,
                                        "funding": 3277 / 32768, "priority": 3277 / 32768,
                                        "fairness": 4915 / 32768}
    run = run_to_end(world, rt["id"], {"min_score": 1, "weights": {"fairness": 0}})
    assert run["params"]["weights"]["fairness"] == 0
    run = run_to_end(world, rt["id"], {"min_score": None, "weights": None})
    assert run["params"]["min_score"] == 0


def test_roles_and_refusals(world):
    rt = new_rt(world)
    for caller in ("state_a", "donor"):
        world.call("POST", RUNS, rt["id"], as_=caller, expect=403)
    world.call("POST", RUNS, rt["id"], token=None, expect=401)
    world.call("POST", RUNS, "999999999", as_="organizer", expect=404)
    world.call("GET", RUN, "999999999", expect=404)
    assert_json_refusals(world, "POST", RUNS, rt["id"], {"min_score": 0.5}, as_="organizer")
    run = run_to_end(world, rt["id"], as_="admin")
    for caller in CALLERS:  # any token reads a run
        assert world.get(RUN, run["id"], as_=caller) == run


# ---------------------------------------------------------------- the demo

def test_the_demo_roundtable_gets_a_successful_run(world):
    out = harness.run_cli("demo", "--db", world.pg.conninfo)
    assert out.returncode == 0, out.stderr
    [rt] = [r for r in world.list_all(f"{V1}/roundtables")
            if r["title"] == "First Global Roundtable on ICT Security Capacity-Building"]
    run = run_to_end(world, rt["id"], {"min_score": 0.2})
    needs = world.list_all(f"{V1}/needs", {"roundtable_id": rt["id"]})
    offers = world.list_all(f"{V1}/offers", {"roundtable_id": rt["id"]})
    people = participants(world, [n["participant_id"] for n in needs])
    by_n = {n["id"]: n for n in needs}
    by_o = {o["id"]: o for o in offers}
    ms = matches_of(world, rt["id"], status="proposed")
    assert run["stats"]["matches"] == len(ms) > 0
    assert run["stats"]["needs"] == sum(1 for n in needs if n["status"] == "open")
    for m in ms:
        n, o = by_n[m["need_id"]], by_o[m["offer_id"]]
        assert feasible(n, o, people[n["participant_id"]]), m
        check_breakdown(m)
    per_need, per_offer = open_counts(ms)
    assert all(k <= by_n[n]["max_partners"] for n, k in per_need.items())
    assert all(k <= by_o[o]["capacity"] for o, k in per_offer.items())
    print(json.dumps(run["stats"]))
