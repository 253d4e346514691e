#!/bin/sh
# Lints docs/openapi.json with the pinned @redocly/cli (recommended ruleset, redocly.yaml).
# Fails on any problem, warnings included. Installs the pinned linter first when needed
# (npm ci from package-lock.json; the npm registry must be reachable then).
set -eu
cd "$(dirname "$0")"
doc=../../docs/openapi.json

if [ ! -x node_modules/.bin/redocly ]; then
  npm ci --no-audit --no-fund >&2
fi

report=$(npx --no-install redocly lint --config redocly.yaml --format json "$doc" 2>/dev/null) || true
problems=$(printf '%s' "$report" | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d));
  process.stdin.on("end", () => {
    try {
      const t = JSON.parse(s).totals;
      console.log(t.errors + t.warnings);
    } catch (e) {
      console.log(-1);
    }
  });')

if [ "$problems" = "0" ]; then
  echo "openapi lint: $doc is clean"
  exit 0
fi
# Show the problems readably (or the linter's own failure).
npx --no-install redocly lint --config redocly.yaml --format codeframe "$doc" >&2 || true
if [ "$problems" = "-1" ]; then
  echo "openapi lint: the linter did not produce a report" >&2
else
  echo "openapi lint: $problems problem(s) in $doc" >&2
fi
exit 1
