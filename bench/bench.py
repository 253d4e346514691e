#!/usr/bin/python3
"""Roundtable benchmarks: each figure beside the peer that tells how close it is.

Run through bench/run, which builds a release binary and writes docs/benchmarks.md.
Everything runs on loopback against a throwaway PostgreSQL cluster (tests/api/harness.py).
"""
import argparse
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "api"))
import harness  # noqa: E402

THEMES = ["incident.csirt_establishment", "incident.incident_response", "cybercrime.legislation",
          "cybercrime.digital_forensics", "skills.awareness", "cbm.poc_directory",
          "strategy.national_strategy", "standards.supply_chain"]
LANGS = ["en", "fr", "es", "ar", "ru", "zh"]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrk(url, seconds, connections, threads=2, headers=(), script=None):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)", out, re.M)
        v = float(m.group(1))
        lat[pct] = v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"],
            "non2xx": int(errors.group(1)) if errors else 0,
            "requests": int(re.search(r"(\d+) requests in", out).group(1))}


# The service's own limits would answer a benchmark's load with 429 (per token, per address)
# or refuse its 10,000 connections: lifted for the measurements, everything else default.
SERVICE_FLAGS = ("--rate-limit-rps", "0", "--rate-limit-address-rps", "0",
                 "--max-connections-per-address", "0", "--max-connections", "15000")


def raise_fd_limit():
    """10,000 idle connections need as many descriptors, here and in the service (inherited)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def settled_rss_kib(pid, seconds=1.0):
    """RSS once start-up's transient allocations are given back (a few hundred ms)."""
    time.sleep(seconds)
    return rss_kib(pid)


def idle_connections(port, n, path="/healthz"):
    """Opens n keep-alive connections, sends one request on each and reads its answer, so each
    is an established, idle HTTP/1.1 connection; returns the sockets (the caller closes)."""
    import selectors
    import socket
    socks = []
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        s.send(req)
        sel.register(s, selectors.EVENT_READ)
    pending, deadline = len(socks), time.time() + 60
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            data = key.fileobj.recv(65536)
            if b"\r\n\r\n" in data or not data:
                sel.unregister(key.fileobj)
                pending -= 1
    sel.close()
    if pending:
        raise RuntimeError(f"{pending} of {n} connections got no answer")
    return socks


NGINX_CONF = """
worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
daemon off;
events {{ worker_connections 1000; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp;
  proxy_temp_path {dir}/tmp;
  fastcgi_temp_path {dir}/tmp;
  uwsgi_temp_path {dir}/tmp;
  scgi_temp_path {dir}/tmp;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    root {dir}/www;
    default_type application/json;
  }}
}}
"""


def start_nginx(files):
    """nginx (Debian's) serving files {name: bytes} as static JSON on a free loopback port, as
    an unprivileged user; returns (process, port, folder)."""
    import shutil
    import tempfile
    d = tempfile.mkdtemp(prefix="rt-nginx-")
    os.makedirs(os.path.join(d, "www"))
    os.makedirs(os.path.join(d, "tmp"))
    for name, body in files.items():
        with open(os.path.join(d, "www", name), "wb") as f:
            f.write(body)
    port = harness.free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=d, port=port))
    cmd = ["nginx", "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")]
    if os.geteuid() == 0:  # never as root: its workers would run as root too
        shutil.chown(d, "www-data")
        for root, dirs, fs in os.walk(d):
            for x in dirs + fs:
                shutil.chown(os.path.join(root, x), "www-data")
        os.chmod(d, 0o755)
        cmd = ["runuser", "-u", "www-data", "--"] + cmd
    proc = subprocess.Popen(cmd)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz.json", timeout=1).status_code == 200:
                return proc, port, d
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start: " + open(os.path.join(d, "error.log")).read())


POST_NEED_LUA = """
-- POST /api/v1/needs: each request a valid, distinct posting.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{{"roundtable_id":"{rt}","participant_id":"{participant}",' ..
    '"title":"Benchmark need %d","themes":["incident.csirt_establishment"],' ..
    '"languages":["en"],"budget_usd":%d}}', n, 1000 + n % 5000)
  return wrk.format(nil, "/api/v1/needs", nil, body)
end
"""


def requests_world(svc, token, needs=400, offers=400):
    """A roundtable of needs and offers after one match run: GET /matches and suggestions
    read it. Returns (roundtable id, a need's id, a state participant's id)."""
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + token
    api = svc.url + "/api/v1"
    rt, states = setup_world(svc, token, states=30)
    donors = []
    for i in range(10):
        r = s.post(api + "/participants", json={"name": f"Donor {i}", "kind": "donor",
                                                 "languages": ["en"]})
        r.raise_for_status()
        donors.append(r.json()["id"])
    r = s.post(f"{api}/roundtables/{rt}/import", params={"entity": "needs"},
               headers={"Content-Type": "text/csv"}, data=import_csv(needs_rows(needs, states)))
    r.raise_for_status()
    rows = [{"participant_id": donors[i % len(donors)], "title": f"Offer {i}: incident response",
             "kind": "training",
             "themes": sorted({THEMES[i % len(THEMES)], THEMES[(i * 3 + 1) % len(THEMES)]}),
             "languages": ["en", LANGS[i % len(LANGS)]] if i % len(LANGS) else ["en"],
             "capacity": 1 + i % 3}
            for i in range(offers)]
    r = s.post(f"{api}/roundtables/{rt}/import", params={"entity": "offers"}, json=rows)
    r.raise_for_status()
    r = s.post(f"{api}/roundtables/{rt}/match-runs", json={})
    r.raise_for_status()
    run = r.json()["id"]
    while s.get(f"{api}/match-runs/{run}").json()["status"] not in ("succeeded", "failed"):
        time.sleep(0.05)
    need = s.get(f"{api}/needs", params={"roundtable_id": rt, "limit": "1"}).json()["items"][0]
    s.close()
    return rt, need["id"], states[0]


def bench_requests(svc, token, seconds, connections, tmp, args):
    """The service's endpoints under wrk, each right after its peer; returns {name: figures}."""
    auth = ["Authorization: Bearer " + token]
    rt, need, state = requests_world(svc, token)
    out, bodies = {}, {}
    paths = {"healthz": ("/healthz", []),
             "need": (f"/api/v1/needs/{need}", auth),
             "matches": (f"/api/v1/matches?limit=50&roundtable_id={rt}", auth),
             "suggestions": (f"/api/v1/needs/{need}/suggestions", auth)}
    for name, (path, h) in paths.items():
        r = requests.get(svc.url + path, headers=dict(x.split(": ", 1) for x in h))
        assert r.status_code == 200, r.text[:300]
        bodies[name + ".json"] = r.content
    peers = Peers(args, bodies)
    try:
        for name, (path, h) in paths.items():
            if name in ("healthz", "matches"):
                out["nginx_" + name] = peers.wrk("nginx", name + ".json")
            if name == "healthz":
                # The closest comparison of the set: three alternations, the best of each,
                # so that a burst of other work on the machine does not decide it.
                runs = [(peers.wrk("hello"), wrk(svc.url + path, seconds, connections))
                        for _ in range(3)]
                out["hello"] = max((a for a, _ in runs), key=lambda x: x["rps"])
                out[name] = max((b for _, b in runs), key=lambda x: x["rps"])
            else:
                out[name] = wrk(svc.url + path, seconds, connections, headers=h)
            out[name]["path"] = path
    finally:
        peers.stop()
    script = os.path.join(tmp, "post_need.lua")
    with open(script, "w") as f:
        f.write(POST_NEED_LUA.format(token=token, rt=rt, participant=state))
    before = int(harness_psql(svc, f"SELECT count(*) FROM needs WHERE roundtable_id = {rt}"))
    out["post_need"] = wrk(svc.url + "/api/v1/needs", seconds, connections, script=script)
    made = int(harness_psql(svc, f"SELECT count(*) FROM needs WHERE roundtable_id = {rt}")) - before
    out["post_need"]["created"] = made
    out["matches"]["bytes"] = len(bodies["matches.json"])
    return out


def harness_psql(svc, sql):
    return svc.db.psql(sql)


def admin_token(pg):
    return harness.run_cli("token", "create", "--role", "admin", "--db", pg.conninfo,
                           check=True).stdout.strip()


def setup_world(svc, token, states=30):
    h = {"Authorization": "Bearer " + token}
    api = svc.url + "/api/v1"
    rt = requests.post(api + "/roundtables", headers=h,
                       json={"title": "Benchmark roundtable", "status": "open"}).json()
    countries = ["KEN", "NGA", "GHA", "SEN", "IDN", "PHL", "VNM", "FJI", "ALB", "MDA", "GEO",
                 "COL", "CRI", "PER", "JAM", "MAR", "JOR", "PAK", "BGD", "UKR", "ARM", "PRY",
                 "DOM", "RWA", "CIV", "TUN", "MNG", "KHM", "LAO", "KGZ"][:states]
    ids = []
    for c in countries:
        p = requests.post(api + "/participants", headers=h,
                          json={"name": "State " + c, "kind": "state", "country": c,
                                "languages": ["en"]}).json()
        ids.append(p["id"])
    return rt["id"], ids


def needs_rows(n, participant_ids):
    for i in range(n):
        yield {
            "participant_id": participant_ids[i % len(participant_ids)],
            "title": f"Need {i}: national CSIRT capacity 国家计算机应急响应",
            "description": "Train incident handlers and set up a 24/7 watch desk. " * 2,
            "themes": [THEMES[i % len(THEMES)], THEMES[(i * 7 + 3) % len(THEMES)]]
            if i % 3 else [THEMES[i % len(THEMES)]],
            "languages": [LANGS[i % len(LANGS)], "en"] if i % len(LANGS) else ["en"],
            "window_start": "2025-01-01", "window_end": "2025-12-31",
            "budget_usd": 1000 + i % 50000, "priority": ["high", "medium", "low"][i % 3],
            "max_partners": 1 + i % 3,
        }


NEED_COLS = ["participant_id", "title", "description", "themes", "languages", "window_start",
             "window_end", "budget_usd", "priority", "max_partners"]


def import_csv(rows, cols=NEED_COLS):
    """The body of a bulk import: a header row, then list fields joined with ';'."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([";".join(r[c]) if isinstance(r[c], list) else r[c] for c in cols])
    return out.getvalue().encode()


def copy_csv(rows, roundtable_id):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for r in rows:
        w.writerow([roundtable_id, r["participant_id"], r["title"], r["description"],
                    "{" + ",".join(r["themes"]) + "}", "{" + ",".join(r["languages"]) + "}",
                    r["window_start"], r["window_end"], r["budget_usd"], r["priority"],
                    r["max_partners"]])
    return out.getvalue().encode()


def bench_import(pg, svc, token, n):
    rt, ids = setup_world(svc, token)
    rows = list(needs_rows(n, ids))
    body = import_csv(rows)
    h = {"Authorization": "Bearer " + token, "Content-Type": "text/csv"}
    t0 = time.perf_counter()
    r = requests.post(f"{svc.url}/api/v1/roundtables/{rt}/import?entity=needs", headers=h,
                      data=body, timeout=600)
    api_s = time.perf_counter() - t0
    assert r.status_code == 200 and r.json()["inserted"] == n, r.text[:500]
    # The peer: psql \copy of the same rows into the same table (same constraints/triggers).
    path = os.path.join(pg.dir, "needs.csv")
    with open(path, "wb") as f:
        f.write(copy_csv(rows, rt))
    os.chmod(pg.dir, 0o755)
    os.chmod(path, 0o644)
    psql = os.path.join(harness.PG_BINDIR, "psql")
    t0 = time.perf_counter()
    subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.conninfo, "-c",
                    "\\copy needs (roundtable_id, participant_id, title, description, themes,"
                    " languages, window_start, window_end, budget_usd, priority, max_partners)"
                    f" FROM '{path}' WITH (FORMAT csv)"], check=True)
    copy_s = time.perf_counter() - t0
    return {"rows": n, "bytes": len(body), "api_s": api_s, "copy_s": copy_s,
            "ratio": copy_s / api_s}


class Peers:
    """The hello server and nginx, running beside the service so that each endpoint is measured
    right after its peer, under the same load from the rest of the machine."""

    def __init__(self, args, bodies):
        self.args = args
        self.hello_port = harness.free_port()
        self.hello = subprocess.Popen([args.hello, str(self.hello_port), "2"])
        self.nginx = None
        if not args.no_nginx:
            self.nginx, self.nginx_port, self.nginx_dir = start_nginx(bodies)
        time.sleep(0.3)

    def wrk(self, which, name=""):
        a = self.args
        if which == "hello":
            return wrk(f"http://127.0.0.1:{self.hello_port}/", a.seconds, a.connections)
        if not self.nginx:
            return None
        return wrk(f"http://127.0.0.1:{self.nginx_port}/{name}", a.seconds, a.connections)

    def stop(self):
        self.hello.send_signal(signal.SIGTERM)
        self.hello.wait()
        if self.nginx:
            self.nginx.send_signal(signal.SIGTERM)  # runuser passes TERM on; nginx stops at once
            self.nginx.wait()
            import shutil
            shutil.rmtree(self.nginx_dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "docs", "benchmarks.md"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--import-rows", type=int, default=100000)
    ap.add_argument("--idle-connections", type=int, default=10000)
    ap.add_argument("--hello", default=os.path.join(os.path.dirname(harness.BINARY), "hello_server"))
    ap.add_argument("--match-bench", default=os.path.join(os.path.dirname(harness.BINARY), "match_bench"))
    ap.add_argument("--no-match", action="store_true",
                    help="skip the matching engine and its peers (their section is kept)")
    ap.add_argument("--no-summary", action="store_true",
                    help="skip the summary of 10,000 x 10,000 (bench/summary_bench.py; its section is kept)")
    ap.add_argument("--no-import", action="store_true", help="skip the bulk import (its section is kept)")
    ap.add_argument("--no-nginx", action="store_true", help="skip the nginx peer")
    args = ap.parse_args()

    import tempfile
    raise_fd_limit()
    results = {}
    tmp = tempfile.mkdtemp(prefix="rt-bench-")
    pg = harness.PgCluster()
    svc = None
    try:
        # The service as it runs by default (log level info: one access-log line per request),
        # with only the per-client limits lifted.
        svc = harness.Service(pg, *SERVICE_FLAGS, "--max-upload-bytes", "1G")
        token = admin_token(pg)
        results["idle_rss_kib"] = settled_rss_kib(svc.proc.pid)
        if not args.no_import:
            results["import"] = bench_import(pg, svc, token, args.import_rows)
        reqs = bench_requests(svc, token, args.seconds, args.connections, tmp, args)
        results.update(reqs)
        results["rss_after_kib"] = rss_kib(svc.proc.pid)
        svc.stop()
        # A fresh process for the connections' memory: what the import's batch left in
        # malloc's arenas is not theirs.
        svc = harness.Service(pg, *SERVICE_FLAGS, migrate=False)
        rss0 = settled_rss_kib(svc.proc.pid)
        socks = idle_connections(svc.port, args.idle_connections)
        try:
            results["idle_conns"] = len(socks)
            results["rss_idle_conns_kib"] = settled_rss_kib(svc.proc.pid)
            results["rss_idle_conns_base_kib"] = rss0
        finally:
            for x in socks:
                x.close()
        svc.stop()
        # Each step of the DB-backed path measured alone: the same requests without the
        # response cache (every GET asks the database: the figures before it), then without
        # the token cache too (every request also looks its token up).
        auth = ["Authorization: Bearer " + token]
        svc = harness.Service(pg, *SERVICE_FLAGS, "--response-cache", "0", migrate=False)
        for name in ("need", "matches", "suggestions"):
            results[name + "_db"] = wrk(svc.url + reqs[name]["path"], args.seconds,
                                        args.connections, headers=auth)
        svc.stop()
        svc = harness.Service(pg, *SERVICE_FLAGS, "--response-cache", "0", "--auth-cache", "off",
                              migrate=False)
        for name in ("need", "matches"):
            results[name + "_nocache"] = wrk(svc.url + reqs[name]["path"], args.seconds,
                                             args.connections, headers=auth)
        svc.stop()
    finally:
        if svc:
            svc.stop()
        pg.destroy()
    if not args.no_match:
        # The engine beside SQL and scipy, on the instances match_bench generates.
        out = subprocess.run([sys.executable, os.path.join(HERE, "match_peer.py"), "--bench",
                              args.match_bench], capture_output=True, text=True, check=True).stdout
        results["match"] = {k: v for k, v in (l.split(None, 1) for l in out.splitlines()
                                               if l and not l.startswith("|") and " " in l)}
        # The same instance through the service, and written as SQL by a user.
        out = subprocess.run([sys.executable, os.path.join(HERE, "match_service.py"), "--bench",
                              args.match_bench], capture_output=True, text=True, check=True).stdout
        results["match"].update(l.split(None, 1) for l in out.splitlines() if " " in l)
    if not args.no_summary:
        import summary_bench
        results["summary"] = summary_bench.run()
    # The meeting scheduler on the figure (docs/schedule.md).
    sched = os.path.join(os.path.dirname(harness.BINARY), "schedule_bench")
    if os.path.exists(sched):
        results["schedule"] = subprocess.run([sched], capture_output=True, text=True,
                                             check=True).stdout.rstrip("\n")
    write_report(args, results)
    print(json.dumps(results, indent=2))


def match_section(m):
    if not m:
        return []
    rows = [
        "## Matching engine",
        "",
        "`bench/match_bench` (10,000 needs × 10,000 offers, seed 42; see docs/matching.md for the",
        "instance) beside its peers: `bench/match_service.py` loads the same instance into the",
        "service as a fresh roundtable (no history, every posting open, real countries) and times a",
        "complete run through the API, then runs the same feasibility and score as one SQL query over",
        "the service's own tables, written as a user would (arrays, dates, each theme's group); ",
        "`bench/match_peer.py` runs the query over the engine's own encodings (bitsets, text",
        "signatures), the fastest SQL can be, and `scipy.optimize.linear_sum_assignment` on square",
        "capacity-1 instances over the engine's score matrix. Every peer must agree with the engine:",
        "same feasible pairs and score sums, same optimum.",
        "",
        "| figure | engine | peer | target |",
        "|---|---:|---:|---|",
        f"| scoring, one core | {float(m['scoring_pairs_per_s']) / 1e6:,.0f} M pairs/s "
        f"({int(m['scan_pairs']) / 1e6:,.1f} M pairs in {float(m['scan_ms']):.0f} ms) | "
        f"SQL as a user writes it: {float(m['natural_sql_pairs_per_s']) / 1e6:,.2f} M pairs/s "
        f"(agrees: {m['natural_sql_agrees_with_engine']}) | ≥ 200 M pairs/s; engine "
        f"{float(m['scoring_pairs_per_s']) / float(m['natural_sql_pairs_per_s']):,.0f}× SQL (≥ 200×) |",
        f"| scoring against SQL over the engine's encodings | | "
        f"{float(m['sql_pairs_per_s']) / 1e6:,.1f} M pairs/s (agrees: {m['sql_agrees_with_engine']}) | "
        f"engine {m['engine_over_sql']}× |",
        f"| complete run in the engine: build, score, prune, solve, certify | "
        f"{float(m['build_plus_assign_ms']):,.0f} ms, {int(m['assign_matches']):,} matches | | |",
        f"| complete run through the service: `POST .../match-runs` to `succeeded` (load, score, "
        f"assign, write {int(m['service_run_matches']):,} matches) | {float(m['service_run_seconds']):.2f} s "
        f"(load {float(m['service_run_load_ms']):.0f} ms, compute {float(m['service_run_compute_ms']):.0f} ms, "
        f"write {float(m['service_run_write_ms']):.0f} ms); a second run "
        f"{float(m['service_rerun_seconds']):.2f} s | agrees with the engine: "
        f"{m['service_run_agrees_with_engine']} | < 2 s |",
        f"| the same, degenerate: every pair feasible, every score equal (`match_bench --ties`) | "
        f"{float(m['ties_build_plus_assign_ms']):,.0f} ms, {int(m['ties_assign_matches']):,} matches | | |",
    ]
    for n in (2000, 5000):
        if f"lsa_{n}_seconds" in m:
            rows.append(f"| assignment {n:,} × {n:,}, capacity 1 | {float(m[f'engine_{n}_assign_ms']) / 1000:.2f} s | "
                        f"scipy {float(m[f'lsa_{n}_seconds']):.2f} s | same optimum: {m[f'lsa_{n}_agrees_with_engine']} |")
    return rows + [""]


def schedule_section(out):
    if not out:
        return []
    return ["## Meeting schedule", "",
            "`bench/schedule_bench` (docs/schedule.md): 500 partnerships grouped by need into",
            "meetings of a state and its providers, placed into 20 slots × 30 tables with 10% of",
            "participant-slots unavailable; greedy start, improvement, then a bounded exact search.",
            "", "```", out, "```", ""]


def summary_section(s):
    import summary_bench
    return summary_bench.section(s)


def kept_sections(path):
    """{heading: lines} of the document as it is, for the parts a run skipped."""
    out, cur = {}, None
    try:
        with open(path) as f:
            for line in f.read().split("\n"):
                if line.startswith("## "):
                    cur = line
                    out[cur] = []
                if cur:
                    out[cur].append(line)
    except FileNotFoundError:
        pass
    return out


def keep(old, heading):
    return old.get(heading, [])


def row(label, x, extra=""):
    return (f"| {label} | {x['rps']:,.0f} | {x['p50_ms']:.2f} ms | {x['p99_ms']:.2f} ms | "
            f"{x['non2xx']} | {extra} |")


# Why the DB-backed GETs went from under 1,000 requests/s to the response cache: the profile
# that found the cause (kept by hand: reproduce with the commands in it).
RESPONSE_CACHE_PROFILE = [
    "## Profile: the DB-backed GETs, and the response cache",
    "",
    "Before the response cache every GET asked PostgreSQL, which shares the two cores with the",
    "service and wrk. `perf record -g -a` during `wrk -c 64` on the matches page (`--response-cache",
    "0`, 670 requests/s at the time): PostgreSQL 68% of all CPU, the service 15%. Of PostgreSQL's",
    "share, running the query 35% (`PortalRun`: the scan and the two correlated subqueries per",
    "row, `json_build_object` alone 12%), planning 11% (`pg_plan_query`), parsing and analysis 5%,",
    "the rest protocol and commit. `EXPLAIN (ANALYZE)` of the page's query in a warm session: planning",
    "0.20-0.26 ms, execution 0.76-0.84 ms (min-max of the faster half of 30 runs). Suggestions:",
    "PostgreSQL 67% (loading the roundtable's 400 needs and 400 offers), the service 24%",
    "(`rt__text_signature` 6%, building the instance 2%, libpq 5%). So named prepared",
    "statements (planning and parsing: about a quarter of PostgreSQL's work per request) would",
    "give at most ≈1.3× on a miss, and cheaper JSON or a cached engine instance less than the",
    "factor 20 the target needs: the answer is not to ask PostgreSQL again for a page it has",
    "already rendered, unless something changed.",
    "",
    "The fix (docs/scaling.md, \"Response cache\"): each process keeps the 200 answers of the",
    "read-only GETs (needs, offers, matches, suggestions, overlaps, roundtables, participants)",
    "keyed by path, sorted query string, role and participant, bounded in bytes (LRU,",
    "`--response-cache`, 32 MiB by default). Every table those answers read notifies `rt_data` on",
    "any change (`sql/016_response_cache.sql`, statement-level triggers), which empties the",
    "cache of every process; a cached answer is served only after a round trip on the LISTEN",
    "connection that started after the request arrived (the one its token's lookup waited for),",
    "so no instance contradicts a write committed anywhere before the request.",
    "",
    "The same binary with and without the cache, one database, 64 connections, alternating,",
    "best of 3 × 5 s each, on a busy machine (load average 8-14 from other builds):",
    "",
    "| endpoint | before: `--response-cache 0` | after |",
    "|---|---:|---:|",
    "| `GET /api/v1/matches?limit=50&roundtable_id=…` | 562 requests/s, p99 172 ms | 17,997 requests/s, p99 34 ms |",
    "| `GET /api/v1/needs/{id}/suggestions` | 470 requests/s, p99 215 ms | 30,979 requests/s, p99 13 ms |",
    "| `GET /api/v1/needs/{id}` | 4,917 requests/s, p99 49 ms | 25,185 requests/s, p99 117 ms |",
    "",
    "On a hit the service's own profile is the response's copy into the socket buffer",
    "(`memmove` 11%, the kernel's `_copy_from_iter` 9% for the 50 KB page) and TCP; nothing of",
    "PostgreSQL but the shared `SELECT 1` sync. A write empties the cache: the next request for",
    "each page pays the miss above once; requests for the same page that arrive on the same",
    "event loop while it is being answered follow that answer instead of asking PostgreSQL too",
    "(at most one query per page and event loop after a write, instead of one per connection).",
    "With a `PATCH` of a need every 100 ms during the run (each write empties the cache), the",
    "matches page still gave 8,375 requests/s against 9,230 without writes, p99 36 ms with",
    "the writes and 37 ms without (the same busy machine, one run each).",
    "",
    "Reproduce: the requests section above measures both (the rows with `--response-cache 0`);",
    "the profile: start the service with `--response-cache 0`, run `wrk -t2 -c64 -d8s` on the",
    "page and meanwhile `perf record -g -a -- sleep 5`; then `perf report --no-children --sort",
    "comm` and `perf report --children --comm postgres --sort sym`.",
    "",
]


# How /healthz went from 65% to its share now: the profile that found the cause (kept by hand:
# it needs the old binary; reproduce with the perf command below on any commit).
HEALTHZ_PROFILE = [
    "## Profile: `/healthz` against the hello server",
    "",
    "Before (commit c01ab37), `perf record -g -p PID` during `wrk -c 64 /healthz` at the default",
    "log level: `write(2)` of the access log, one per request, took 10% of the service's time",
    "(the response's `writev` 50%, parsing 3%); formatting the line (`vfprintf`, `strftime`,",
    "`printf_fp` for the milliseconds) another 5%. The ~300 bytes of security headers cost",
    "0.4% (`field`), the Date header nothing (formatted once a second per thread), the rate",
    "limiter nothing (off for these requests). The fix: each event loop batches its log lines in",
    "a per-thread buffer written once per loop turn, before the loop waits (lines stay whole",
    "and in order, and reach the log before the loop sleeps), the timestamp's text is kept per",
    "second, and the access line is formatted without printf. Afterwards `write(2)` for the",
    "log is 2.6% and formatting under 1%; what is left is the kernel's TCP work for a response",
    "five times the hello server's (the security headers of docs/security.md).",
    "",
    "| `/healthz`, default log level, 64 connections | requests/s | share of the hello server |",
    "|---|---:|---:|",
    "| before (c01ab37), A/B on a quiet machine, best of 3 × 5 s each | 96,600 | 71% (hello 135,400) |",
    "| after, the same A/B right after it | 114,200 | 82% (hello 139,200) |",
    "| after, this run (table above) | {healthz:,.0f} | {share:.0f}% |",
    "",
    "Reproduce: `perf record -g -p $(pidof roundtable) -- sleep 5` while `wrk -t2 -c64 -d5s",
    "http://127.0.0.1:PORT/healthz` runs; `perf report --no-children --sort symbol`. The A/B:",
    "build c01ab37 (`git archive c01ab37 | tar -x -C /tmp/old`, Release) and run `wrk` against",
    "it, the current build and `hello_server` in turn.",
    "",
]


def write_report(args, r):
    old = kept_sections(args.out)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    lines = [
        "# Benchmarks",
        "",
        "Measured by `bench/run` (which builds `build-bench/` in Release and runs `bench/bench.py`);",
        "every figure comes from one run on one machine, beside the peer that tells how close it is.",
        f"Machine: {os.cpu_count()} cores ({cpu}), Debian 12, loopback only; wrk with 2 threads and",
        f"{args.connections} connections for {args.seconds} s per endpoint; PostgreSQL 15 made by initdb",
        "for the run (fsync off). The service runs with its defaults (one event loop per core, log",
        "level info: an access-log line per request), except that the per-token and per-address",
        "rate limits and connection caps are lifted (`" + " ".join(SERVICE_FLAGS) + "`).",
        "",
    ]
    imp = r.get("import")
    if imp:
        lines += [
            "## Bulk import against `psql \\copy`",
            "",
            f"{imp['rows']:,} needs ({imp['bytes'] / 1e6:.1f} MB of CSV) into one roundtable, through",
            "`POST /api/v1/roundtables/{id}/import?entity=needs`, all or nothing, every row checked by the",
            "same decoder as `POST /needs`; against `psql \\copy` of the same rows into the same table",
            "(same constraints and triggers).",
            "",
            "| path | time | rows/s | share of `\\copy`'s speed |",
            "|---|---:|---:|---:|",
            f"| import endpoint | {imp['api_s']:.2f} s | {imp['rows'] / imp['api_s']:,.0f} | {imp['ratio'] * 100:.0f}% |",
            f"| `psql \\copy` | {imp['copy_s']:.2f} s | {imp['rows'] / imp['copy_s']:,.0f} | 100% |",
            "",
            "Target: at least 50% of `\\copy`'s speed.",
            "",
        ]
    else:
        lines += keep(old, "## Bulk import against `psql \\copy`")
    h, hello = r["healthz"], r["hello"]
    ng, ngm = r.get("nginx_healthz"), r.get("nginx_matches")
    m, mn, sg, pn = r["matches"], r["matches_nocache"], r["suggestions"], r["post_need"]
    nd, ndn = r["need"], r["need_nocache"]
    lines += [
        "## Requests on loopback",
        "",
        "A roundtable of 400 needs (30 states) and 400 offers (10 donors) after one match run;",
        "every API request carries an admin bearer token. nginx (Debian's, 2 workers, access log",
        "off, run as an unprivileged user) serves the service's own answers as static files. Each",
        "peer runs right before the endpoint it is compared with, all three processes up at once.",
        "",
        "| endpoint | requests/s | p50 | p99 | non-2xx | against its peer |",
        "|---|---:|---:|---:|---:|---|",
        row("hello server (libuv + llhttp, `bench/hello_server.c`): the ceiling (best of 3)", hello),
    ]
    if ng:
        lines.append(row("nginx: `{\"status\":\"ok\"}` as a static file", ng))
    lines.append(row("`GET /healthz` (best of 3, alternating with the hello server)", h, f"{h['rps'] / hello['rps'] * 100:.0f}% of hello"
                     + (f", {h['rps'] / ng['rps'] * 100:.0f}% of nginx" if ng else "")))
    if ngm:
        lines.append(row(f"nginx: the matches page below ({m['bytes']:,} bytes) as a static file", ngm))
    nddb, mdb, sgdb = r["need_db"], r["matches_db"], r["suggestions_db"]
    lines += [
        row("`GET /api/v1/needs/{id}` (from the response cache)", nd,
            f"{nd['rps'] / nddb['rps']:.1f}× the database path"),
        row("the same with `--response-cache 0` (one row from the database; the token cached)",
            nddb, f"{nddb['rps'] / ndn['rps']:.2f}× without the token cache"),
        row("the same with `--response-cache 0 --auth-cache off` (a token lookup per request)",
            ndn),
        row("`GET /api/v1/matches?limit=50&roundtable_id=…` (from the response cache)", m,
            (f"{m['rps'] / ngm['rps'] * 100:.0f}% of nginx; " if ngm else "")
            + f"{m['rps'] / mdb['rps']:.1f}× the database path"),
        row("the same with `--response-cache 0` (the page's query and JSON in PostgreSQL)", mdb,
            f"{mdb['rps'] / mn['rps']:.2f}× without the token cache"),
        row("the same with `--response-cache 0 --auth-cache off`", mn),
        row("`GET /api/v1/needs/{id}/suggestions` (from the response cache)", sg,
            f"{sg['rps'] / sgdb['rps']:.1f}× the database path"),
        row("the same with `--response-cache 0` (400 offers loaded and scored per request)",
            sgdb),
        row("`POST /api/v1/needs` (wrk Lua script, every posting valid and distinct; each "
            "commit notifies `rt_data`)", pn, f"{pn['created']:,} needs created"),
        "",
        f"`/healthz` reaches {h['rps'] / hello['rps'] * 100:.0f}% of the hello server (target ≥ 80%).",
        f"The DB-backed list: {m['rps']:,.0f} requests/s with p99 {m['p99_ms']:.1f} ms "
        "(target ≥ 20,000 requests/s, p99 < 20 ms at 64 connections); suggestions "
        f"{sg['rps']:,.0f} requests/s with p99 {sg['p99_ms']:.1f} ms; one need "
        f"{nd['rps']:,.0f} requests/s with p99 {nd['p99_ms']:.1f} ms. Every figure with "
        "`--response-cache 0` is what each request costs when its answer is not cached (the "
        "first request after a write, or a page nobody asked for since): "
        f"{mdb['rps']:,.0f}, {sgdb['rps']:,.0f} and {nddb['rps']:,.0f} requests/s.",
        "",
        *RESPONSE_CACHE_PROFILE,
        *(l.format(healthz=h["rps"], share=h["rps"] / hello["rps"] * 100) for l in HEALTHZ_PROFILE),
    ]
    lines += match_section(r.get("match")) or keep(old, "## Matching engine")
    lines += summary_section(r.get("summary")) or keep(old, "## Summary of a large roundtable")
    lines += schedule_section(r.get("schedule")) or keep(old, "## Meeting schedule")
    lines += [
        "## Memory",
        "",
        "| state of the service | resident memory | target |",
        "|---|---:|---|",
        f"| idle after start-up | {r['idle_rss_kib'] / 1024:.1f} MiB | < 20 MB |",
        f"| after the request runs above | {r['rss_after_kib'] / 1024:.1f} MiB | |",
        f"| a fresh process holding {r['idle_conns']:,} idle keep-alive connections (each answered "
        f"one request; {r['rss_idle_conns_base_kib'] / 1024:.1f} MiB before them) | "
        f"{r['rss_idle_conns_kib'] / 1024:.1f} MiB | < 100 MB |",
        "",
        "The resident memory after the runs includes what the 100,000-row import's batch left in",
        "malloc's arenas (freed, not returned to the system): hence a fresh process for the",
        "connections.",
        "",
        "## Reading the figures",
        "",
        "- wrk, PostgreSQL, the service and its peers share the same two cores, so every figure is",
        "  best read beside its peer from the same run; between runs they move by 10-20%, more",
        "  when other work shares the machine.",
        "- A DB-backed GET answered from the response cache costs the HTTP path and a share of",
        "  one `SELECT 1` on the listening connection (the sync that keeps every instance's",
        "  answers fresh, shared by every request waiting at that moment); the peer is nginx",
        "  serving the same bytes. A miss (the rows with `--response-cache 0`) is bounded by",
        "  PostgreSQL on the same two cores: the page's query run, planned (unnamed statements)",
        "  and rendered as JSON each time (the profile above).",
        "- The token cache pays where the lookup is a large share of a request's database work",
        "  (a one-row read); on the 50-row page the query itself dominates.",
        "- Suggestions that miss load the roundtable's postings and score them: their cost grows",
        "  with the roundtable.",
        "- The import's share of `\\copy` includes checking every row in C off the event loop;",
        "  the insert itself is one statement in its own transaction.",
        "",
        "## Reproduce",
        "",
        "```",
        "bench/run                                  # everything; writes docs/benchmarks.md",
        "bench/run --no-match --no-summary          # requests, import and memory only",
        "bench/run --no-import --no-match --no-summary --seconds 5   # a quick look",
        "```",
        "",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
