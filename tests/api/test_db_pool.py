"""The database pool against a real PostgreSQL: tests/db/pool_check.c runs one scenario per
process (exit 0 = pass, FAIL lines on stderr otherwise); this suite gives it a throwaway
cluster and, for the restart scenarios, stops and starts the server while it runs."""
import os
import select
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import BINARY, PgCluster

POOL_CHECK = os.environ.get("RT_POOL_CHECK") or os.path.join(
    os.path.dirname(os.path.abspath(BINARY)), "tests", "db", "pool_check")


def env():
    e = dict(os.environ)
    e.setdefault("RT_LOG_LEVEL", "warn")
    return e


def run(conninfo, scenario, timeout=120):
    assert os.access(POOL_CHECK, os.X_OK), (
        f"{POOL_CHECK} is not built (tests/db/CMakeLists.txt; or set RT_POOL_CHECK)")
    p = subprocess.run([POOL_CHECK, conninfo, scenario], capture_output=True, text=True,
                       timeout=timeout, env=env())
    report = f"{scenario} (exit {p.returncode}):\n--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}"
    assert p.returncode == 0, report
    assert "illegal" not in p.stderr, report
    assert "ERROR: AddressSanitizer" not in p.stderr, report
    return p


@pytest.mark.parametrize("scenario", [
    "basic", "concurrent", "queue_full", "acquire_timeout", "statement_timeout",
    "txn_rollback", "errors", "terminate", "close_inflight", "close_reentrant", "large",
    "blackhole"])
def test_scenario(pg, scenario):
    run(pg.conninfo, scenario)


def test_uri_conninfo(pg):
    run(f"postgresql://roundtable@127.0.0.1:{pg.port}/postgres?connect_timeout=5", "basic")


def test_host_name_resolved_off_the_loop(pg):
    # "localhost" may resolve to ::1 first, where nothing listens: libpq moves on to
    # 127.0.0.1 on a new socket, which the pool must follow.
    run(f"host=localhost port={pg.port} user=roundtable dbname=postgres", "basic")


def test_socket_changes_while_connecting(pg):
    # The first host refuses; libpq moves to the second on a new socket mid-connect, and
    # the pool's uv_poll must follow it (and survive the POLLERR of the first).
    from harness import free_port
    run(f"host=127.0.0.1,127.0.0.1 port={free_port()},{pg.port} user=roundtable "
        "dbname=postgres connect_timeout=5", "basic")


class TlsPgCluster(PgCluster):
    """A cluster that serves TLS with a throwaway self-signed certificate."""

    def start(self):
        crt, key = (os.path.join(self.data, f) for f in ("server.crt", "server.key"))
        if not os.path.exists(key):
            subprocess.run(["openssl", "req", "-new", "-x509", "-days", "2", "-nodes",
                            "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", crt],
                           check=True, capture_output=True)
            os.chmod(key, 0o600)
            if os.geteuid() == 0:
                import pwd
                pw = pwd.getpwnam("postgres")
                for f in (crt, key):
                    os.chown(f, pw.pw_uid, pw.pw_gid)
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
                "-c fsync=off -c max_connections=200 -c ssl=on")
        self.pg_ctl("-w", "-o", opts, "start")


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")
@pytest.mark.parametrize("scenario", ["large", "sizes", "basic", "concurrent", "terminate"])
def test_over_tls(tls_pg, scenario):
    p = run(tls_pg.conninfo + " sslmode=require", scenario)
    if scenario == "large":
        assert "ssl: t" in p.stdout, p.stdout


@pytest.fixture(scope="module")
def tls_pg():
    cluster = TlsPgCluster()
    yield cluster
    cluster.destroy()


class LineReader:
    def __init__(self, proc):
        self.proc = proc
        self.buf = b""
        self.lines = []

    def wait_for(self, word, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.lines:
                if line.split(" ")[0] == word:
                    return True
            left = deadline - time.time()
            r, _, _ = select.select([self.proc.stdout], [], [], max(0.0, min(left, 0.5)))
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    return any(l.split(" ")[0] == word for l in self.lines)
                self.buf += chunk
                *done, self.buf = self.buf.split(b"\n")
                self.lines += [d.decode("utf-8", "replace") for d in done]
        return False


@pytest.mark.parametrize("mode,down_for", [("fast", 2.5), ("immediate", 1.0)])
def test_server_restart(mode, down_for):
    """The server stops (pg_ctl stop -m MODE) while queries run every 50 ms, stays down a
    while, and comes back: the pool reports RT_EDB_UNAVAILABLE meanwhile (never a crash,
    every callback once) and recovers by itself."""
    cluster = PgCluster()
    proc = None
    errlog = tempfile.TemporaryFile()
    try:
        # stderr to a file: a pipe nobody reads until the end could fill up and stall it.
        proc = subprocess.Popen([POOL_CHECK, cluster.conninfo, "restart"], stdout=subprocess.PIPE,
                                stderr=errlog, env=env())
        out = LineReader(proc)
        assert out.wait_for("READY", 30), "driver never became ready"
        time.sleep(0.5)
        cluster.stop(mode)
        assert out.wait_for("DOWN", 10), "driver did not notice the server going away"
        time.sleep(down_for)
        cluster.start()
        assert out.wait_for("RECOVERED", 60), "driver did not recover after the restart"
        rest, _ = proc.communicate(timeout=60)
        errlog.seek(0)
        report = ("\n".join(out.lines) + "\n" + out.buf.decode("utf-8", "replace") +
                  rest.decode("utf-8", "replace") + "\n--- stderr\n" +
                  errlog.read().decode("utf-8", "replace"))
        assert proc.returncode == 0, report
        assert "illegal" not in report, report
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        errlog.close()
        cluster.destroy()
