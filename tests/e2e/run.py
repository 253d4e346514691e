#!/usr/bin/python3
"""End-to-end journeys of the web UI in Debian's headless Chromium.

Starts a throwaway PostgreSQL cluster and the real binary (tests/api/harness.py), loads a
roundtable with its participants, offers and tokens through the API, then runs
`node journeys.mjs BASE_URL TOKENS_JSON`, which drives /usr/bin/chromium with playwright-core
(it never downloads a browser). Exit status 0 only when every journey passed.

    tests/e2e/run.py            run the journeys (what ctest's e2e.journeys does)
    tests/e2e/run.py --serve    load the same data and keep serving, for trying the UI by hand

Environment: RT_BINARY (the roundtable executable), RT_SOURCE_DIR, RT_PG_BINDIR (as the API
suites), RT_CHROMIUM (default /usr/bin/chromium), RT_E2E_SCREENSHOTS (default
tests/e2e/screenshots). Screenshots of each journey's key screens are saved there.
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

import harness  # noqa: E402
import requests  # noqa: E402

CHROMIUM = os.environ.get("RT_CHROMIUM", "/usr/bin/chromium")


def fail(msg):
    print(f"e2e: {msg}", file=sys.stderr)
    print("summary: 0 passed, 1 failed")
    sys.exit(1)


def ensure_tools():
    if not os.access(CHROMIUM, os.X_OK):
        fail(f"{CHROMIUM} not found: install the Debian package chromium (scripts/test does)")
    if not shutil.which("node") or not shutil.which("npm"):
        fail("node and npm are needed: install the Debian packages nodejs npm (scripts/test does)")
    major = subprocess.run(["node", "-p", "process.versions.node.split('.')[0]"],
                           capture_output=True, text=True).stdout.strip()
    if not major.isdigit() or int(major) < 20:
        fail(f"playwright-core needs Node.js 20 or later; this node is {major or 'unknown'}")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        # The pinned playwright-core from package-lock.json; it downloads no browser.
        env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, env=env,
                           stdout=sys.stderr, stderr=sys.stderr)
        if r.returncode != 0:
            fail("npm ci failed in tests/e2e (is the npm registry reachable?)")


class Api:
    def __init__(self, url, token):
        self.url = url
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def post(self, path, body):
        r = self.s.post(self.url + path, json=body, timeout=30)
        if r.status_code not in (200, 201, 202):
            raise RuntimeError(f"POST {path}: {r.status_code} {r.text}")
        return r.json()


def seed(url, admin_token):
    """A roundtable, three states, two providers, their offers and a token for each role."""
    api = Api(url, admin_token)
    organizer = api.post("/api/v1/tokens", {"role": "organizer", "label": "e2e organizer"})["token"]
    kenya = api.post("/api/v1/participants", {
        "name": "Kenya", "kind": "state", "country": "KEN", "languages": ["en", "sw"],
        "contact": {"name": "Amina Otieno", "email": "amina.otieno@example.org"}})
    ghana = api.post("/api/v1/participants", {"name": "Ghana", "kind": "state", "country": "GHA", "languages": ["en"]})
    peru = api.post("/api/v1/participants", {"name": "Peru", "kind": "state", "country": "PER", "languages": ["es", "en"]})
    partners = api.post("/api/v1/participants", {
        "name": "Global Cyber Partners", "kind": "implementer", "country": "NLD", "languages": ["en", "fr"]})
    fund = api.post("/api/v1/participants", {
        "name": "Digital Resilience Fund", "kind": "donor", "country": "JPN", "languages": ["en", "zh"]})
    rt = api.post("/api/v1/roundtables", {
        "title": "Global Roundtable on ICT Security Capacity-Building", "starts_on": "2024-05-10",
        "ends_on": "2024-05-10", "location": "New York", "status": "open",
        "description": "The first high-level Global Roundtable on ICT security capacity-building."})
    # The provider's offer fits a CSIRT need best; the fund's only through a sibling theme.
    api.post("/api/v1/offers", {
        "roundtable_id": rt["id"], "participant_id": partners["id"],
        "title": "National CSIRT establishment and incident response training",
        "description": "Set up a national CSIRT: mandate, staffing, incident response processes and training.",
        "kind": "technical_assistance", "themes": ["incident.csirt_establishment", "incident.incident_response"],
        "languages": ["en", "fr"], "modality": "hybrid", "funding_usd": 200000, "capacity": 3,
        "window": {"start": "2024-06-01", "end": "2026-12-31"}})
    api.post("/api/v1/offers", {
        "roundtable_id": rt["id"], "participant_id": fund["id"],
        "title": "Threat information sharing platform",
        "description": "Funding for a threat intelligence sharing platform.",
        "kind": "funding", "themes": ["incident.threat_information_sharing"],
        "languages": ["en"], "modality": "online", "funding_usd": 20000, "capacity": 2})
    state = api.post("/api/v1/tokens", {"role": "state", "participant_id": kenya["id"], "label": "Kenya delegation"})["token"]
    provider = api.post("/api/v1/tokens", {"role": "provider", "participant_id": partners["id"], "label": "GCP"})["token"]
    account = {"email": "delegation@kenya.example", "password": "e2e password for Kenya"}
    api.post("/api/v1/accounts", {"email": account["email"], "password": account["password"],
                                  "role": "state", "participant_id": kenya["id"]})
    return {
        "admin": admin_token, "organizer": organizer, "state": state, "provider": provider,
        "account": account,
        "roundtable_id": rt["id"], "roundtable_title": rt["title"],
        "participants": {"kenya": kenya["id"], "ghana": ghana["id"], "peru": peru["id"],
                         "partners": partners["id"], "fund": fund["id"]},
        "names": {"state": kenya["name"], "provider": partners["name"]},
    }


def main():
    serve = "--serve" in sys.argv[1:]
    if not serve:
        ensure_tools()
    pg = harness.PgCluster()
    svc = None
    try:
        svc = harness.Service(pg)
        admin = harness.run_cli("token", "create", "--role", "admin", "--label", "e2e admin",
                                "--db", pg.conninfo, check=True).stdout.strip()
        tokens = seed(svc.url, admin)
        if serve:
            print(f"Serving on {svc.url}/ (Ctrl-C stops)")
            for role in ("organizer", "state", "provider", "admin"):
                print(f"  {role:9} token: {tokens[role]}")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        env = dict(os.environ, RT_CHROMIUM=CHROMIUM)
        t0 = time.time()
        try:
            r = subprocess.run(["node", os.path.join(HERE, "journeys.mjs"), svc.url, json.dumps(tokens)],
                               cwd=HERE, env=env, timeout=270)
        except subprocess.TimeoutExpired:
            print("e2e: the journeys did not finish within 270 s", file=sys.stderr)
            print("summary: 0 passed, 1 failed")
            return 1
        print(f"e2e: journeys took {time.time() - t0:.1f} s", file=sys.stderr)
        # Like the API suites: the service must also shut down cleanly (under ASan: no leaks).
        status = svc.stop()
        if r.returncode != 0 or status != 0:
            if status != 0:
                print(f"e2e: roundtable exited with status {status}", file=sys.stderr)
                print("summary: 0 passed, 1 failed")
            print("---- service log (last 60 lines) ----", file=sys.stderr)
            print("\n".join(svc.log().splitlines()[-60:]), file=sys.stderr)
            return 1
        return 0
    finally:
        if svc and svc.proc.poll() is None:
            svc.stop()
        pg.destroy()


if __name__ == "__main__":
    sys.exit(main())
