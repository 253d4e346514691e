# shellcheck shell=bash
# What scripts/run and scripts/test share: package set-up, builds, and the local PostgreSQL
# cluster. Sourced, never run; the caller sets `set -euo pipefail` first.

RT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
RT_PG_BINDIR="${RT_PG_BINDIR:-/usr/lib/postgresql/15/bin}"

# Debian 12 packages, one set for both scripts (build/ is configured with its tests, so
# scripts/run needs what ctest's suites need too): the build (CMake, libuv, jansson, libpq,
# llhttp's C sources, libsodium), the tests (cmocka, Debian's pytest + requests, a PostgreSQL 15
# server, which scripts/run uses for its local cluster as well), clang with its sanitizer
# runtime for the ASan/UBSan pass and the fuzzers, curl for health checks, and PgBouncer for
# the suite that runs the service through a transaction pooler (test_scale_pgbouncer.py).
# shellcheck disable=SC2034  # used by the scripts that source this file
RT_PACKAGES=(build-essential cmake pkg-config libuv1-dev libjansson-dev libpq-dev node-llhttp
  libsodium-dev libcmocka-dev postgresql-15 python3 python3-pytest python3-requests
  clang libclang-rt-14-dev curl pgbouncer)

if [[ -t 2 ]]; then RT_ARROW=$'\033[1m==>\033[0m'; else RT_ARROW='==>'; fi
rt_say() { printf '%s %s\n' "$RT_ARROW" "$*" >&2; }
rt_note() { printf '    %s\n' "$*" >&2; }
rt_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

rt_jobs() { nproc 2>/dev/null || echo 2; }

# rt_missing_packages PKG... — prints the packages not installed, one per line.
rt_missing_packages() {
  local p status
  for p in "$@"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$p"
  done
}

# rt_ensure_packages PKG... — installs whatever is missing with apt-get (as root, or through
# sudo), running `apt-get update` once first. Does nothing, and needs no network, when all
# are there.
rt_ensure_packages() {
  command -v dpkg-query >/dev/null 2>&1 ||
    rt_die "dpkg-query not found: these scripts expect Debian 12 (packages: $*)"
  local -a missing=() sudo=()
  local p
  # Keep the order given, drop duplicates.
  while IFS= read -r p; do
    [[ -n "$p" && " ${missing[*]} " != *" $p "* ]] && missing+=("$p")
  done < <(rt_missing_packages "$@")
  if ((${#missing[@]} == 0)); then
    rt_say "Packages: all $# present"
    return 0
  fi
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      rt_die "missing Debian packages and no sudo to install them; as root run:
  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    fi
  fi
  rt_say "Installing missing packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
    rt_die "apt-get update failed; install by hand: apt-get install ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" || rt_die "apt-get install failed for: ${missing[*]}"
  local -a still=()
  while IFS= read -r p; do [[ -n "$p" ]] && still+=("$p"); done < <(rt_missing_packages "${missing[@]}")
  ((${#still[@]} == 0)) || rt_die "still not installed after apt-get: ${still[*]}"
}

# rt_build DIR [CMAKE_ARG...] — configures DIR (only when it has no cache yet or the
# arguments changed since the last configure) and builds it incrementally.
rt_build() {
  local dir="$1"
  shift
  local stamp="$dir/.rt-configure-args" want
  want="$(printf '%s\n' "$@")"
  if [[ ! -f "$dir/CMakeCache.txt" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    # A changed compiler cannot be switched in an existing cache: start that cache afresh.
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
    rt_say "Configuring $(basename "$dir")/${*:+ ($*)}"
    mkdir -p "$dir"
    cmake -S "$RT_ROOT" -B "$dir" "$@" >"$dir/configure.log" 2>&1 || {
      cat "$dir/configure.log" >&2
      rt_die "cmake configure of $dir failed"
    }
    printf '%s' "$want" >"$stamp"
  fi
  rt_say "Building $(basename "$dir")/"
  cmake --build "$dir" --parallel "$(rt_jobs)" ||
    rt_die "build of $dir failed"
}

# --- the project-local PostgreSQL cluster (scripts/run) --------------------------------------
RT_PG_HOME="$RT_ROOT/.data/pg"
RT_PG_DATA="$RT_PG_HOME/data"
RT_PG_LOG="$RT_PG_HOME/postgres.log"
RT_PG_PWFILE="$RT_PG_HOME/superuser-password"
RT_PG_USER=roundtable
RT_PG_DB=roundtable

# Runs a server binary as the cluster's owner: initdb and postgres refuse root, so as root
# that is the `postgres` system user (made by Debian's postgresql-common).
rt_as_pg() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# As root, the postgres user must be able to reach .data/pg: each parent folder needs the
# search (x) bit for others. Only that bit is added, and only where it is missing.
rt_pg_make_reachable() {
  local -a parents=()
  local d="$RT_PG_HOME"
  while [[ "$d" != "/" ]]; do
    d="$(dirname "$d")"
    parents=("$d" "${parents[@]}")
  done
  # From / down: a folder counts as reachable only once every folder above it is.
  for d in "${parents[@]}"; do
    if ! runuser -u postgres -- test -x "$d"; then
      rt_note "letting the postgres user traverse $d (chmod o+x)"
      chmod o+x "$d"
    fi
  done
}

rt_pg_init() {
  if [[ -d "$RT_PG_HOME" ]]; then
    # The cluster belongs to whoever made it: postgres when scripts/run ran as root.
    local owner want
    owner="$(stat -c %U "$RT_PG_HOME")"
    if ((EUID == 0)); then want=postgres; else want="$(id -un)"; fi
    [[ "$owner" == "$want" ]] ||
      rt_die "${RT_PG_HOME#"$RT_ROOT"/} belongs to $owner, not $want: run scripts/run as $([[ $owner == postgres ]] && echo root || echo "$owner"), or remove ${RT_PG_HOME#"$RT_ROOT"/} (docs/operations.md)"
  fi
  if [[ -f "$RT_PG_DATA/PG_VERSION" ]]; then
    return 0
  fi
  rt_say "Creating the local PostgreSQL 15 cluster in ${RT_PG_HOME#"$RT_ROOT"/}"
  [[ -x "$RT_PG_BINDIR/initdb" ]] || rt_die "$RT_PG_BINDIR/initdb not found: install postgresql-15"
  # A half-made cluster (initdb interrupted) is thrown away and made again.
  rm -rf "$RT_PG_HOME"
  mkdir -p "$RT_PG_HOME"
  chmod 700 "$RT_PG_HOME"
  # The superuser's password: random, kept beside the cluster, readable by its owner only.
  (umask 077 && od -An -N18 -tx1 /dev/urandom | tr -d ' \n' >"$RT_PG_PWFILE")
  if ((EUID == 0)); then
    getent passwd postgres >/dev/null || rt_die "no postgres system user: install postgresql-15"
    chown -R postgres: "$RT_PG_HOME"
    rt_pg_make_reachable
  fi
  rt_as_pg "$RT_PG_BINDIR/initdb" -D "$RT_PG_DATA" -U "$RT_PG_USER" --pwfile="$RT_PG_PWFILE" \
    --auth-host=scram-sha-256 --auth-local=peer -E UTF8 --locale=C.UTF-8 >"$RT_PG_HOME/initdb.log" 2>&1 || {
    cat "$RT_PG_HOME/initdb.log" >&2
    rt_die "initdb failed"
  }
  # Loopback only, no Unix socket; the port is given at each start (ROUNDTABLE_PG_PORT).
  rt_as_pg tee -a "$RT_PG_DATA/postgresql.conf" >/dev/null <<'CONF'

# --- scripts/run: a local development cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
port = 54329
CONF
}

# rt_pg_running — true when the cluster's postmaster is up.
rt_pg_running() {
  [[ -f "$RT_PG_DATA/postmaster.pid" ]] || return 1
  rt_as_pg "$RT_PG_BINDIR/pg_ctl" -D "$RT_PG_DATA" status >/dev/null 2>&1
}

# The port the running cluster listens on (line 4 of postmaster.pid).
rt_pg_running_port() { sed -n 4p "$RT_PG_DATA/postmaster.pid"; }

rt_pg_start() {
  local port="$1"
  rt_say "Starting PostgreSQL on 127.0.0.1:$port"
  if ((EUID == 0)); then rt_pg_make_reachable; fi
  if ! rt_as_pg "$RT_PG_BINDIR/pg_ctl" -D "$RT_PG_DATA" -l "$RT_PG_LOG" -w -t 60 \
    -o "-c port=$port" start >/dev/null; then
    tail -n 20 "$RT_PG_LOG" >&2 || true
    rt_die "PostgreSQL did not start (is port $port taken? set ROUNDTABLE_PG_PORT)"
  fi
}

rt_pg_stop() {
  rt_say "Stopping PostgreSQL"
  rt_as_pg "$RT_PG_BINDIR/pg_ctl" -D "$RT_PG_DATA" -w -t 60 -m fast stop >/dev/null ||
    printf 'warning: pg_ctl stop failed; see %s\n' "$RT_PG_LOG" >&2
}

# rt_pg_conninfo PORT [DBNAME] — a libpq conninfo for the local cluster, without the password
# (give that through PGPASSWORD, or use rt_pg_conninfo_secret).
rt_pg_conninfo() {
  printf 'host=127.0.0.1 port=%s user=%s dbname=%s connect_timeout=5' \
    "$1" "$RT_PG_USER" "${2:-$RT_PG_DB}"
}
rt_pg_password() { cat "$RT_PG_PWFILE"; }
rt_pg_conninfo_secret() { printf '%s password=%s' "$(rt_pg_conninfo "$@")" "$(rt_pg_password)"; }

# rt_pg_ensure_db PORT — creates the roundtable database when it is not there yet.
rt_pg_ensure_db() {
  local port="$1" psql="$RT_PG_BINDIR/psql" found pw
  [[ -x "$psql" ]] || psql="psql"
  pw="$(rt_pg_password)"
  found="$(PGPASSWORD="$pw" "$psql" -X -q -A -t -d "$(rt_pg_conninfo "$port" postgres)" \
    -c "SELECT 1 FROM pg_database WHERE datname = '$RT_PG_DB'")" ||
    rt_die "cannot query the local cluster on port $port"
  if [[ "$found" != "1" ]]; then
    rt_say "Creating database $RT_PG_DB"
    PGPASSWORD="$pw" "$psql" -X -q -d "$(rt_pg_conninfo "$port" postgres)" \
      -c "CREATE DATABASE $RT_PG_DB" || rt_die "CREATE DATABASE $RT_PG_DB failed"
  fi
}
