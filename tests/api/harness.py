"""Throwaway PostgreSQL clusters and real roundtable processes for integration suites.

Each suite (one pytest process) gets its own cluster made by initdb in a temporary folder,
listening on loopback at a free port, and starts the real binary against it.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

BINARY = os.environ.get("RT_BINARY", os.path.join(os.path.dirname(__file__), "../../build/roundtable"))
SOURCE_DIR = os.environ.get("RT_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
PG_BINDIR = os.environ.get("RT_PG_BINDIR", "/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_pg_user(argv):
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + argv
    return argv


class PgCluster:
    def __init__(self):
        self._make_dir("rt-pg-")
        subprocess.run(
            _as_pg_user([os.path.join(PG_BINDIR, "initdb"), "-D", self.data, "-U", "roundtable",
                         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N"]),
            check=True, stdout=subprocess.DEVNULL)
        self.start()

    def _make_dir(self, prefix):
        """A temporary folder (owned by postgres when run as root) and a free port."""
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)

    @property
    def conninfo(self):
        return f"host=127.0.0.1 port={self.port} user=roundtable dbname=postgres connect_timeout=5"

    def pg_ctl(self, *args):
        return subprocess.run(
            _as_pg_user([os.path.join(PG_BINDIR, "pg_ctl"), "-D", self.data, "-l", self.log, *args]),
            check=True, stdout=subprocess.DEVNULL)

    def start(self):
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self.pg_ctl("-w", "-o", opts, "start")

    def stop(self, mode="fast"):
        self.pg_ctl("-w", "-m", mode, "stop")

    def psql(self, sql):
        out = subprocess.run(
            [os.path.join(PG_BINDIR, "psql") if os.path.exists(os.path.join(PG_BINDIR, "psql")) else "psql",
             "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.conninfo, "-c", sql],
            check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def destroy(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PgStandby(PgCluster):
    """A streaming hot standby of primary (a PgCluster): pg_basebackup -R into a data folder of
    its own, started on its own loopback port. Replays until stopped or paused."""

    def __init__(self, primary):
        self._make_dir("rt-pg-standby-")
        subprocess.run(
            _as_pg_user([os.path.join(PG_BINDIR, "pg_basebackup"), "-D", self.data, "-h", "127.0.0.1",
                         "-p", str(primary.port), "-U", "roundtable", "-R", "-X", "stream",
                         "-c", "fast"]),
            check=True, stdout=subprocess.DEVNULL)
        self.start()

    def replayed(self):
        """The LSN the standby has replayed up to (text)."""
        return self.psql("SELECT pg_last_wal_replay_lsn()")

    def wait_caught_up(self, primary, timeout=30):
        """Waits until everything the primary has written so far is replayed here."""
        target = primary.psql("SELECT pg_current_wal_insert_lsn()")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.psql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
                return
            time.sleep(0.05)
        raise RuntimeError(f"standby did not replay up to {target}")


PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


class PgBouncer:
    """PgBouncer in transaction mode in front of pg (a PgCluster or PgStandby), as an
    unprivileged user. It drops the `options` startup parameter (ignore_startup_parameters),
    as a pooler in front of many clients must."""

    def __init__(self, pg, pool_size=4):
        self.pg = pg
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="rt-pgbouncer-")
        ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(os.path.join(self.dir, "users.txt"), "w") as f:
            f.write('"roundtable" ""\n')
        with open(ini, "w") as f:
            f.write(f"""[databases]
postgres = host=127.0.0.1 port={pg.port} dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/users.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
ignore_startup_parameters = options
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        argv = [PGBOUNCER, ini]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            pw = pwd.getpwnam("postgres")
            for p in (self.dir, ini, os.path.join(self.dir, "users.txt")):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            argv = ["runuser", "-u", "postgres", "--"] + argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if subprocess.run(["psql", "-X", "-q", "-d", self.conninfo, "-c", "SELECT 1"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("pgbouncer did not start")

    @property
    def conninfo(self):
        return f"host=127.0.0.1 port={self.port} user=roundtable dbname=postgres connect_timeout=5"

    def psql(self, sql):
        return self.pg.psql(sql)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def read_metrics(url, prefix=""):
    """The service's /metrics as {"name{labels}": value} for the lines starting with prefix."""
    out = {}
    for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(prefix) and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class Service:
    """The real binary, serving on a free loopback port."""

    def __init__(self, db, *extra, env=None, migrate=True, web_root=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        self.env = dict(os.environ)
        self.env.pop("ROUNDTABLE_DB", None)
        self.env.pop("ROUNDTABLE_LISTEN", None)
        self.env.update(env or {})
        if migrate:
            run_cli("migrate", "--db", db.conninfo, check=True)
        self.logfile = tempfile.NamedTemporaryFile(prefix="rt-service-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--listen", f"127.0.0.1:{self.port}", "--db", db.conninfo,
             "--web-root", web_root or os.path.join(SOURCE_DIR, "web"), *extra],
            stdout=self.logfile, stderr=subprocess.STDOUT, env=self.env)
        self.wait_healthy()

    def wait_healthy(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"roundtable exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("roundtable did not become healthy:\n" + self.log())

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("roundtable did not become ready:\n" + self.log())

    def log(self):
        with open(self.logfile.name, "r", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Stops the process and returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode

    def connect(self, timeout=10):
        """A raw TCP connection for tests that speak HTTP byte by byte."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s


def run_cli(*args, check=False, env=None, input=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env=e, check=check, input=input)


def read_response(sock, head_only=False):
    """Reads one HTTP/1.1 response from sock: (status, headers with lower-case names, body).
    head_only: the request was HEAD, so no body follows whatever Content-Length says."""
    status, headers, body, _ = _read_one(sock, b"", head_only)
    return status, headers, body


def read_responses(sock, n):
    """Reads n pipelined responses."""
    out = []
    pending = b""
    for _ in range(n):
        out.append(_read_one(sock, pending))
        pending = out[-1][3]
    return [(s, h, b) for s, h, b, _ in out]


def _read_one(sock, pending, head_only=False):
    buf = pending
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before a full response: %r" % buf)
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    length = 0 if head_only or status in (204, 304) else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed mid-body")
        rest += chunk
    return status, headers, rest[:length], rest[length:]


def closed_by_peer(sock, timeout=5):
    """True when the server closes the connection (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def recv_until_closed(sock, timeout=5):
    """Everything the server sends until it closes the connection (EOF or reset).
    Raises socket.timeout if it is still open after timeout seconds."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return data
