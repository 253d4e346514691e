"""The service behind PgBouncer in transaction mode (docs/scaling.md): every statement is
unnamed and every advisory lock transaction-scoped, so any server connection may serve any
transaction. The token cache's LISTEN connection goes straight to PostgreSQL (--db-listen):
a transaction pooler cannot hold a LISTEN. A match run, decisions to agreement, and a
revocation that takes effect at once, all through the pooler."""
import os

import pytest

from harness import PGBOUNCER, Service, run_cli
from harness import PgBouncer as Bouncer
from matching_fixtures import *  # noqa: F401,F403

pytestmark = pytest.mark.skipif(not os.path.exists(PGBOUNCER),
                                reason="pgbouncer is not installed (scripts/lib.sh installs it)")


@pytest.fixture(scope="module")
def service(pg):
    """Overrides conftest's: the service's pool goes through PgBouncer."""
    run_cli("migrate", "--db", pg.conninfo, check=True)
    bouncer = Bouncer(pg)
    svc = Service(bouncer, "--db-listen", pg.conninfo, migrate=False)
    yield svc
    status = svc.stop()
    bouncer.stop()
    assert status == 0, "roundtable did not exit cleanly:\n" + svc.log()


def test_the_pool_goes_through_pgbouncer(world):
    # PostgreSQL sees the pooler's connections, and the one LISTEN connection of its own
    rows = world.pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'roundtable'")
    assert int(rows) >= 1
    listening = world.pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
                              " OR query = 'SELECT 1'")
    assert int(listening) >= 1


def test_a_match_run_and_decisions_through_pgbouncer(world):
    rt = new_rt(world)
    need = world.new_need(rt=rt["id"])
    offer = world.new_offer(rt=rt["id"])
    run_to_end(world, rt["id"])
    [m] = matches_of(world, rt["id"])
    assert (m["need_id"], m["offer_id"]) == (need["id"], offer["id"])
    agree(world, m["id"])
    # a second run at once, and another while it is queued or running: 202, then 202 or 409
    first = start_run(world, rt["id"])
    again = world.call("POST", RUNS, rt["id"], as_="organizer", expect=(202, 409))
    for run_id in {first["id"], again.body["id"] if again.status_code == 202 else first["id"]}:
        done, _ = wait_run(world, run_id)
        assert done["status"] == "succeeded", done


def test_many_requests_at_once_through_pgbouncer(world):
    import concurrent.futures
    rt = new_rt(world)

    def post(i):
        return world.call("POST", f"{V1}/needs", as_="state_a", check=False,
                          body=need_body(rt["id"], title=f"Need {i} through the pooler"),
                          session=__import__("requests").Session()).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        codes = list(ex.map(post, range(64)))
    assert codes == [201] * 64
    assert world.count("needs", f"roundtable_id = {rt['id']}") == 64


def test_revocation_through_pgbouncer_takes_effect_at_once(world):
    for _ in range(5):
        t = world.new_token("provider", world.p["donor"]["id"])
        world.call("GET", f"{V1}/roundtables", token=t["token"], expect=200)
        world.call("GET", f"{V1}/roundtables", token=t["token"], expect=200)
        world.call("DELETE", f"{V1}/tokens/{{id}}", t["id"], expect=204)
        world.call("GET", f"{V1}/roundtables", token=t["token"], expect=401)
