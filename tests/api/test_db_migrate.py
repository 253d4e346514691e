"""`roundtable migrate` through the real binary against a throwaway PostgreSQL: applies the
embedded sql/NNN_*.sql in order, each once in its own transaction, idempotent, safe to run
concurrently, and refuses clearly what it cannot do."""
import os
import re
import subprocess

import pytest

from harness import BINARY, SOURCE_DIR, free_port, run_cli

SQL_FILES = sorted(f for f in os.listdir(os.path.join(SOURCE_DIR, "sql"))
                   if re.fullmatch(r"[0-9]{3}_.+\.sql", f))


def db(pg, name):
    """A fresh database in the suite's cluster, and its conninfo."""
    pg.psql(f"DROP DATABASE IF EXISTS {name}")
    pg.psql(f"CREATE DATABASE {name}")
    return pg.conninfo.replace("dbname=postgres", f"dbname={name}")


def psql(pg, conninfo, sql):
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
                          "-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def applied_lines(stderr):
    return re.findall(r"\bapplied ([0-9]{3}_\S+\.sql)", stderr)


def one_line_reason(result):
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, f"want one line on stderr, got:\n{result.stderr}"
    return lines[0]


def test_applies_every_file_in_order_then_nothing(pg):
    assert SQL_FILES and SQL_FILES[0].startswith("001_")
    conninfo = db(pg, "m_fresh")
    first = run_cli("migrate", "--db", conninfo)
    assert first.returncode == 0, first.stderr
    assert applied_lines(first.stderr) == SQL_FILES, first.stderr
    rows = psql(pg, conninfo, "SELECT name FROM schema_migrations ORDER BY applied_at, name")
    assert rows.splitlines() == SQL_FILES
    stamps = psql(pg, conninfo, "SELECT string_agg(applied_at::text, ',' ORDER BY name) "
                                "FROM schema_migrations")
    assert psql(pg, conninfo, "SELECT count(*) FROM service_info WHERE key = 'initialized_at'") == "1"

    again = run_cli("migrate", "--db", conninfo)
    assert again.returncode == 0, again.stderr
    assert applied_lines(again.stderr) == [], again.stderr
    assert psql(pg, conninfo, "SELECT string_agg(applied_at::text, ',' ORDER BY name) "
                              "FROM schema_migrations") == stamps


def test_environment_variable_and_uri(pg):
    db(pg, "m_env")
    uri = f"postgresql://roundtable@127.0.0.1:{pg.port}/m_env?connect_timeout=5"
    r = run_cli("migrate", env={"ROUNDTABLE_DB": uri})
    assert r.returncode == 0, r.stderr
    assert applied_lines(r.stderr) == SQL_FILES


def test_concurrent_runs_apply_each_file_once(pg):
    conninfo = db(pg, "m_race")
    procs = [subprocess.Popen([BINARY, "migrate", "--db", conninfo], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for out, err, rc in results:
        assert rc == 0, err
    applied = [name for _, err, _ in results for name in applied_lines(err)]
    assert sorted(applied) == SQL_FILES, applied
    assert psql(pg, conninfo, "SELECT count(*) FROM schema_migrations") == str(len(SQL_FILES))


def test_failed_file_rolls_back_alone(pg):
    # An object in the way makes 001 fail: nothing of it stays, nothing after it runs, the
    # reason names the file; once the obstacle is gone the same command succeeds.
    conninfo = db(pg, "m_fail")
    psql(pg, conninfo, "CREATE TABLE service_info (x int)")
    r = run_cli("migrate", "--db", conninfo)
    assert r.returncode != 0
    reason = one_line_reason(r)
    assert SQL_FILES[0] + ": " in reason, reason
    assert "already exists" in reason, reason
    assert psql(pg, conninfo, "SELECT count(*) FROM schema_migrations") == "0"
    psql(pg, conninfo, "DROP TABLE service_info")
    r = run_cli("migrate", "--db", conninfo)
    assert r.returncode == 0, r.stderr
    assert applied_lines(r.stderr) == SQL_FILES


def test_refuses_a_newer_schema(pg):
    conninfo = db(pg, "m_newer")
    assert run_cli("migrate", "--db", conninfo).returncode == 0
    psql(pg, conninfo, "INSERT INTO schema_migrations (name) VALUES ('999_from_the_future.sql')")
    r = run_cli("migrate", "--db", conninfo)
    assert r.returncode != 0
    reason = one_line_reason(r)
    assert "999_from_the_future.sql" in reason, reason


@pytest.mark.parametrize("conninfo", [
    "host=127.0.0.1 port={port} user=roundtable dbname=postgres connect_timeout=3",
    "postgresql://roundtable@127.0.0.1:{port}/postgres?connect_timeout=3",
    "host=127.0.0.1 port={port} no_such_option=1",
])
def test_unreachable_or_bad_conninfo(conninfo):
    r = run_cli("migrate", "--db", conninfo.format(port=free_port()))
    assert r.returncode != 0
    reason = one_line_reason(r)
    assert "roundtable migrate" in reason, reason
    assert "connect" in reason or "option" in reason, reason
