"""Shared by the matching suites (test_matching_*.py), on top of domain_fixtures' `world`:
paths, calls that check every score's breakdown, waiting for a run, an independent Python
statement of the feasibility rules of ../shared/API.md ("Matching semantics"), and a brute-force
optimum of a small roundtable to prove a run's total score exact over HTTP."""
import datetime
import random
import time

from domain_fixtures import *  # noqa: F401,F403
from domain_fixtures import V1, tag

SUGGEST_OFFERS = f"{V1}/needs/{{id}}/suggestions"
SUGGEST_NEEDS = f"{V1}/offers/{{id}}/suggestions"
RUNS = f"{V1}/roundtables/{{id}}/match-runs"
RUN = f"{V1}/match-runs/{{id}}"
MATCHES = f"{V1}/matches"
MATCH = f"{V1}/matches/{{id}}"
DECIDE = f"{V1}/matches/{{id}}/decision"
NEED = f"{V1}/needs/{{id}}"
OFFER = f"{V1}/offers/{{id}}"
CRITERIA = ("theme", "text", "window", "modality", "funding", "priority", "fairness")


def check_breakdown(item):
    """Every criterion is there with value and weight in [0, 1]; the weights sum to 1 and the
    score is the weighted sum — exactly: values and weights are multiples of 1/32768, so every
    product and sum below is exact in a double."""
    b = item["breakdown"]
    assert set(b) == set(CRITERIA), b
    for c in CRITERIA:
        assert 0 <= b[c]["value"] <= 1 and 0 <= b[c]["weight"] <= 1, (c, b[c])
    assert sum(b[c]["weight"] for c in CRITERIA) == 1.0, b
    assert sum(b[c]["value"] * b[c]["weight"] for c in CRITERIA) == item["score"], item
    assert 0 <= item["score"] <= 1


def suggested_offers(world, need_id, as_="admin", limit=100):
    """{offer id: item} of GET /needs/{id}/suggestions, checked: order, ties, breakdowns."""
    body = world.get(SUGGEST_OFFERS, need_id, params={"limit": str(limit)}, as_=as_)
    return _checked(body["items"], "offer_id")


def suggested_needs(world, offer_id, as_="admin", limit=100):
    body = world.get(SUGGEST_NEEDS, offer_id, params={"limit": str(limit)}, as_=as_)
    return _checked(body["items"], "need_id")


def _checked(items, key):
    for it in items:
        check_breakdown(it)
    order = [(-it["score"], int(it[key])) for it in items]
    assert order == sorted(order), "not best first, ties by id"
    return {it[key]: it for it in items}


def new_rt(world):
    return world.new_roundtable("open", as_="organizer")


def start_run(world, rt_id, body=None, as_="organizer", expect=202, **kw):
    if body is None:
        r = world.call("POST", RUNS, rt_id, as_=as_, expect=expect, **kw)
    else:
        r = world.call("POST", RUNS, rt_id, as_=as_, body=body, expect=expect, **kw)
    return r.body


def wait_run(world, run_id, timeout=120, as_="admin"):
    """Polls the run until it has ended; returns (run, every state seen)."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = world.get(RUN, run_id, as_=as_)
        seen.append(run)
        if run["status"] in ("succeeded", "failed"):
            return run, seen
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} did not end: {seen[-1]}")


def run_to_end(world, rt_id, body=None, as_="organizer"):
    run = start_run(world, rt_id, body, as_=as_)
    assert run["status"] == "queued" and run["progress"] == 0 and run["stats"] is None, run
    done, _ = wait_run(world, run["id"])
    assert done["status"] == "succeeded", done
    return done


def matches_of(world, rt_id, as_="admin", **params):
    return world.list_all(MATCHES, dict(params, roundtable_id=rt_id), as_=as_)


def decide(world, match_id, decision, as_, side=None, expect=200):
    body = {"decision": decision}
    if side:
        body["side"] = side
    return world.call("POST", DECIDE, match_id, as_=as_, body=body, expect=expect).body


def agree(world, match_id, state="state_a", provider="donor"):
    decide(world, match_id, "accept", as_=state)
    m = decide(world, match_id, "accept", as_=provider)
    assert m["status"] == "agreed", m
    return m


# ---------------------------------------------------------------- the rules, independently

def _day(s):
    return datetime.date.fromisoformat(s).toordinal() if s else None


def windows_overlap(a, b):
    """Inclusive overlap; a missing end is open on that side, a missing window no constraint."""
    if (a["start"] is None and a["end"] is None) or (b["start"] is None and b["end"] is None):
        return True
    lo = max(_day(a["start"]) or -10**9, _day(b["start"]) or -10**9)
    hi = min(_day(a["end"]) or 10**9, _day(b["end"]) or 10**9)
    return lo <= hi


def parent(theme):
    return theme.split(".")[0]


def feasible(need, offer, state, agreed=(), declined=()):
    """Matching semantics of the contract, rule by rule. state: the need's participant."""
    agreed, declined = set(agreed), set(declined)
    pair = (need["id"], offer["id"])
    used = sum(1 for (_, o) in agreed if o == offer["id"])
    return (need["roundtable_id"] == offer["roundtable_id"]
            and need["status"] == "open" and offer["status"] == "open"
            and used < offer["capacity"]
            and pair not in agreed
            and bool(set(need["languages"]) & set(offer["languages"]))
            and (not offer["regions"] or state["region"] in offer["regions"])
            and (not offer["countries"] or state["country"] in offer["countries"])
            and {need["modality"], offer["modality"]} != {"in_person", "online"}
            and windows_overlap(need["window"], offer["window"])
            and bool(set(need["themes"]) & set(offer["themes"])
                     or {parent(t) for t in need["themes"]} & {parent(t) for t in offer["themes"]})
            and pair not in declined
            and need["participant_id"] != offer["participant_id"])


def brute_force(pairs, partners_left, capacity_left):
    """The largest total score of a set of pairs (need, offer, score) giving each need at most
    partners_left[need] and each offer at most capacity_left[offer] — by exhaustive search with
    a bound (the pairs still available cannot add more than their sum)."""
    pairs = sorted(pairs, key=lambda p: -p[2])
    suffix = [0.0] * (len(pairs) + 1)
    for i in range(len(pairs) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + pairs[i][2]
    best = [0.0]
    np_, cap = dict(partners_left), dict(capacity_left)

    def go(i, total):
        if total > best[0]:
            best[0] = total
        if i == len(pairs) or total + suffix[i] <= best[0]:
            return
        n, o, s = pairs[i]
        if np_[n] > 0 and cap[o] > 0:
            np_[n] -= 1
            cap[o] -= 1
            go(i + 1, total + s)
            np_[n] += 1
            cap[o] += 1
        go(i + 1, total)

    go(0, 0.0)
    return best[0]


# ---------------------------------------------------------------- random small roundtables

THEMES = ["incident.csirt_establishment", "incident.incident_response", "cybercrime.legislation",
          "cybercrime.investigation", "skills.awareness"]
LANGS = ["en", "fr", "es"]


def _window(rng):
    if rng.random() < 0.4:
        return {"start": None, "end": None}
    a = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(300))
    b = a + datetime.timedelta(days=rng.randrange(1, 200))
    return {"start": a.isoformat(), "end": b.isoformat()}


def random_roundtable(world, seed, n_needs=5, n_offers=5, states=("state_a", "state_b"),
                      providers=("donor", "implementer")):
    """A small roundtable with postings drawn at random (seeded): languages, themes, modality,
    windows, amounts, priorities, partners, capacities, region and country restrictions."""
    rng = random.Random(seed)
    rt = new_rt(world)
    needs, offers = [], []
    for i in range(n_needs):
        body = dict(title=f"Need {i} {rng.choice(['CSIRT', 'cybercrime law', 'awareness'])}",
                    description=rng.choice(["national team", "training of staff", ""]),
                    themes=rng.sample(THEMES, rng.randint(1, 2)),
                    languages=rng.sample(LANGS, rng.randint(1, 2)),
                    modality=rng.choice(["in_person", "online", "hybrid", "any"]),
                    window=_window(rng), priority=rng.choice(["high", "medium", "low"]),
                    max_partners=rng.randint(1, 2))
        if rng.random() < 0.6:
            body["budget_usd"] = rng.choice([1000, 50000, 250000])
        needs.append(world.new_need(as_=rng.choice(states), rt=rt["id"], **body))
    for i in range(n_offers):
        body = dict(title=f"Offer {i} {rng.choice(['CSIRT', 'cybercrime law', 'awareness'])}",
                    description=rng.choice(["national team", "training of staff", ""]),
                    kind=rng.choice(["training", "funding", "mentoring"]),
                    themes=rng.sample(THEMES, rng.randint(1, 2)),
                    languages=rng.sample(LANGS, rng.randint(1, 3)),
                    modality=rng.choice(["in_person", "online", "hybrid"]),
                    window=_window(rng), capacity=rng.randint(1, 2),
                    regions=rng.choice([[], [], ["africa"], ["latin_america_caribbean"]]),
                    countries=rng.choice([[], [], [], ["KEN"], ["CHL", "KEN"]]))
        if rng.random() < 0.5:
            body["funding_usd"] = rng.choice([500, 20000, 300000])
        offers.append(world.new_offer(as_=rng.choice(providers), rt=rt["id"], **body))
    return rt, needs, offers


def participants(world, ids):
    return {pid: world.get(f"{V1}/participants/{{id}}", pid) for pid in set(ids)}


def scored_pairs(world, needs, offers, agreed=(), declined=()):
    """The feasible pairs with their scores, from the suggestions of every need — after checking
    that the suggestions are exactly the pairs the rules (Python) call feasible, in both
    directions, with the same score either way."""
    people = participants(world, [n["participant_id"] for n in needs])
    fresh_n = {n["id"]: world.get(NEED, n["id"]) for n in needs}
    fresh_o = {o["id"]: world.get(OFFER, o["id"]) for o in offers}
    scores = {}
    for n in fresh_n.values():
        got = suggested_offers(world, n["id"])
        want = {o["id"] for o in fresh_o.values()
                if feasible(n, o, people[n["participant_id"]], agreed, declined)}
        assert set(got) == want, (n["id"], sorted(got), sorted(want))
        for oid, it in got.items():
            scores[(n["id"], oid)] = it["score"]
    for o in fresh_o.values():
        got = suggested_needs(world, o["id"])
        assert {(nid, o["id"]) for nid in got} == {p for p in scores if p[1] == o["id"]}
        for nid, it in got.items():
            assert it["score"] == scores[(nid, o["id"])]
    return scores, fresh_n, fresh_o
