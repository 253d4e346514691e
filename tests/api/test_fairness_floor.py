"""The fairness floor over real HTTP and PostgreSQL (POST /roundtables/{id}/match-runs with
{"fairness_floor": true}): on a roundtable where the plain optimum gives one state both offers and
leaves the other out, the floor brings the other state in at the cost of some score, and both runs
are proven optimal by exhaustive search in Python — the plain one on the total score, the floor
one on (states served, total score) lexicographically; a state that already holds an agreed
partnership in the roundtable counts as served, so the floor then changes nothing; the run's
params and stats say what happened (states, states_servable, states_served); random small
roundtables against the same search; a fairness_floor that is not a boolean is 422."""
import pytest

from matching_fixtures import *  # noqa: F401,F403

CSIRT = "incident.csirt_establishment"


def lexicographic_best(pairs, partners_left, capacity_left, state_of, served):
    """The best (states served, total score) of a set of pairs (need, offer, score) within
    partners_left and capacity_left, by exhaustive search; served: states served beforehand."""
    pairs = sorted(pairs, key=lambda p: -p[2])
    np_, cap = dict(partners_left), dict(capacity_left)
    got = {s: 1 if s in served else 0 for s in set(state_of.values())}
    best = [(-1, 0.0)]

    def go(i, total):
        key = (sum(1 for k in got.values() if k), round(total, 9))
        if key > best[0]:
            best[0] = key
        if i == len(pairs):
            return
        n, o, s = pairs[i]
        if np_[n] > 0 and cap[o] > 0:
            np_[n] -= 1
            cap[o] -= 1
            got[state_of[n]] += 1
            go(i + 1, total + s)
            got[state_of[n]] -= 1
            np_[n] += 1
            cap[o] += 1
        go(i + 1, total)

    go(0, 0.0)
    return best[0]


def check_floor_run(world, rt, needs, offers, agreed=(), served=()):
    """Runs rt with the floor and proves (states served, total) optimal; returns the run and its
    proposals."""
    scores, fresh_n, fresh_o = scored_pairs(world, needs, offers, agreed)
    run = run_to_end(world, rt["id"], {"fairness_floor": True})
    assert run["params"]["fairness_floor"] is True
    proposed = matches_of(world, rt["id"], status="proposed")
    agreed_n, agreed_o = {}, {}
    for n, o in agreed:
        agreed_n[n] = agreed_n.get(n, 0) + 1
        agreed_o[o] = agreed_o.get(o, 0) + 1
    open_needs = {i: n for i, n in fresh_n.items() if n["status"] == "open"}
    partners_left = {i: n["max_partners"] - agreed_n.get(i, 0) for i, n in open_needs.items()}
    capacity_left = {i: o["capacity"] - agreed_o.get(i, 0) for i, o in fresh_o.items()}
    state_of = {i: n["participant_id"] for i, n in open_needs.items()}
    pairs = [(n, o, s) for (n, o), s in scores.items() if n in open_needs and s > 0]
    want = lexicographic_best(pairs, partners_left, capacity_left, state_of, set(served))
    for m in proposed:
        assert (m["need_id"], m["offer_id"]) in scores
    got_states = {state_of[m["need_id"]] for m in proposed} | (set(served) & set(state_of.values()))
    total = sum(m["score"] for m in proposed)
    assert (len(got_states), round(total, 9)) == want, (len(got_states), total, want)
    stats = run["stats"]
    assert stats["states"] == len(set(state_of.values()))
    assert stats["states_served"] == len(got_states)
    servable = {state_of[n] for n, _, _ in pairs if partners_left[n] > 0} | (
        set(served) & set(state_of.values()))
    assert stats["states_servable"] == len(servable)
    assert stats["matches"] == len(proposed) and stats["total_score"] == total
    return run, proposed


def kenya_and_chile(world, rt):
    """Kenya's need (two partners) fits both offers fully; Chile's (one partner) half the themes
    of the one offer open to it; the other offer is for Kenya only."""
    same = dict(rt=rt["id"], title="National CSIRT", description="A national team",
                languages=["en", "es"])
    kenya = world.new_need(themes=[CSIRT], max_partners=2, **same)
    chile = world.new_need(as_="state_b", themes=[CSIRT, "cybercrime.legislation"],
                           max_partners=1, **same)
    anyone = world.new_offer(themes=[CSIRT], capacity=1, **same)
    kenya_only = world.new_offer(themes=[CSIRT], capacity=1, countries=["KEN"], **same)
    return kenya, chile, anyone, kenya_only


def test_the_floor_brings_a_state_in(world):
    """Kenya's need scores higher with both offers than Chile's with the one Chile can take: the
    plain optimum gives Kenya both; the floor gives Chile that one and Kenya the other."""
    rt = new_rt(world)
    kenya, chile, anyone, kenya_only = kenya_and_chile(world, rt)
    needs, offers = [kenya, chile], [anyone, kenya_only]

    plain = run_to_end(world, rt["id"])
    assert plain["params"]["fairness_floor"] is False
    first = matches_of(world, rt["id"], status="proposed")
    assert {(m["need_id"], m["offer_id"]) for m in first} == {
        (kenya["id"], anyone["id"]), (kenya["id"], kenya_only["id"])}
    assert (plain["stats"]["states"], plain["stats"]["states_servable"],
            plain["stats"]["states_served"]) == (2, 2, 1)

    run, second = check_floor_run(world, rt, needs, offers)
    assert {(m["need_id"], m["offer_id"]) for m in second} == {
        (chile["id"], anyone["id"]), (kenya["id"], kenya_only["id"])}
    assert (run["stats"]["states"], run["stats"]["states_servable"],
            run["stats"]["states_served"]) == (2, 2, 2)
    assert run["stats"]["total_score"] < plain["stats"]["total_score"]
    assert all(m["run_id"] == run["id"] for m in second)

    # A plain run again: Chile is out again; the floor is a parameter of the run, not a state.
    again = run_to_end(world, rt["id"], {"fairness_floor": False})
    assert again["params"]["fairness_floor"] is False and again["stats"]["states_served"] == 1


def test_a_standing_partnership_counts_as_served(world):
    """Chile already holds an agreed partnership in the roundtable: its new need is left out by
    the plain optimum and the floor leaves it so, for Chile is served."""
    rt = new_rt(world)
    first = world.new_need(as_="state_b", rt=rt["id"], themes=[CSIRT], languages=["es"],
                           max_partners=1)
    theirs = world.new_offer(as_="implementer", rt=rt["id"], themes=[CSIRT], languages=["es"],
                             capacity=1)
    run_to_end(world, rt["id"])
    (m,) = matches_of(world, rt["id"], status="proposed")
    agree(world, m["id"], state="state_b", provider="implementer")
    assert world.get(NEED, first["id"])["status"] == "matched"  # no open need of Chile's left

    kenya, chile, anyone, kenya_only = kenya_and_chile(world, rt)
    plain = run_to_end(world, rt["id"])
    plain_pairs = {(p["need_id"], p["offer_id"])
                   for p in matches_of(world, rt["id"], status="proposed")}
    assert plain_pairs == {(kenya["id"], anyone["id"]), (kenya["id"], kenya_only["id"])}
    run, proposed = check_floor_run(world, rt, [kenya, chile], [anyone, kenya_only, theirs],
                                    agreed={(first["id"], theirs["id"])},
                                    served={world.p["state_b"]["id"]})
    assert {(p["need_id"], p["offer_id"]) for p in proposed} == plain_pairs
    assert run["stats"]["total_score"] == plain["stats"]["total_score"]
    assert (run["stats"]["states"], run["stats"]["states_servable"],
            run["stats"]["states_served"]) == (2, 2, 2)


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_random_roundtables_against_exhaustive_search(world, seed):
    rt, needs, offers = random_roundtable(world, 7000 + seed, n_needs=6, n_offers=4)
    check_floor_run(world, rt, needs, offers)


@pytest.mark.parametrize("value", ["yes", 1, 0, [], {}])
def test_a_floor_that_is_not_a_boolean_is_422(world, value):
    rt = new_rt(world)
    before = world.count("match_runs")
    r = world.call("POST", RUNS, rt["id"], as_="organizer", body={"fairness_floor": value},
                   expect=422)
    assert sorted(fields_of(r.body)) == ["fairness_floor"], r.body
    assert world.count("match_runs") == before
    run = run_to_end(world, rt["id"], {"fairness_floor": None})
    assert run["params"]["fairness_floor"] is False
