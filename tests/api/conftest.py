import pytest

from harness import PgCluster, Service


@pytest.fixture(scope="module")
def pg():
    cluster = PgCluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def service(pg):
    svc = Service(pg)
    yield svc
    status = svc.stop()
    assert status == 0, "roundtable did not exit cleanly:\n" + svc.log()
