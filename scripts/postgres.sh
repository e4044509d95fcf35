#!/usr/bin/env bash
# Private PostgreSQL for Catalog: installs PostgreSQL from Debian's packages when it is missing and runs
# a cluster of our own under /tmp (the postgres user must be able to reach it, and a checkout may sit in
# a folder it cannot enter). Sourced by scripts/run and scripts/test; nothing here touches system clusters.
#
#   pg_ensure_installed                       install PostgreSQL when initdb/pg_ctl are not found
#   pg_start_private <name> <port> [opts]     init (once) and start a cluster on <port>, or the next free port;
#                                             sets PG_PORT, and PG_STARTED=1 if it started it
#   pg_stop_private <name>                    stop that cluster
#   pg_start_standby <name> <primary port> <port>
#                                             a fresh streaming standby of the cluster on <primary port>
#                                             (pg_basebackup -R), started on <port> or the next free one
#   pg_connection <port> <database>           prints the Npgsql connection string for it
set -euo pipefail

CATALOG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_USER_NAME=catalog
PG_PASSWORD=catalog

pg_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) for: $*" >&2; return 1; fi
}

pg_ensure_installed() {
  if pg_bindir >/dev/null && command -v psql >/dev/null; then return 0; fi
  echo "==> installing PostgreSQL from Debian's packages" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >&2
  pg_bindir >/dev/null || { echo "PostgreSQL installed but initdb was not found" >&2; return 1; }
}

# The directory of a named private cluster, one per checkout so that two clones do not share data.
pg_cluster_dir() {
  echo "/tmp/catalog-pg-${1}-$(printf '%s' "$CATALOG_ROOT" | sha1sum | cut -c1-8)"
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_is_up() { # <port>
  pg_isready -q -h 127.0.0.1 -p "$1" >/dev/null 2>&1
}

pg_start_private() { # <name> <port> [extra server options]
  local name=$1 port=$2 extra=${3:-}
  local dir bin
  dir=$(pg_cluster_dir "$name")
  bin=$(pg_bindir)
  PG_STARTED=0
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir"
    printf '%s\n' "$PG_PASSWORD" > "$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
    chmod 700 "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U "$PG_USER_NAME" --auth-host=scram-sha-256 --auth-local=trust \
      --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    PG_PORT=$(sed -n 4p "$dir/data/postmaster.pid")
    return 0
  fi
  local tries=0
  while pg_is_up "$port" || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 20 ]; then echo "no free port near $2 for PostgreSQL" >&2; return 1; fi
    port=$((port + 1))
  done
  PG_PORT=$port
  printf '%s\n' "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 $extra" > "$dir/start-options"
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 $extra" >/dev/null \
    || { tail -n 30 "$dir/server.log" >&2; return 1; }
  PG_STARTED=1
}

pg_resume_private() { # <name>: starts a stopped cluster again with the options it was first started with
  local dir bin
  dir=$(pg_cluster_dir "$1")
  bin=$(pg_bindir)
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o "$(cat "$dir/start-options")" >/dev/null
}

pg_stop_private() { # <name>
  local dir bin
  dir=$(pg_cluster_dir "$1")
  bin=$(pg_bindir) || return 0
  [ -f "$dir/data/PG_VERSION" ] || return 0
  as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_start_standby() { # <name> <primary port> <port>
  local name=$1 primary=$2 port=$3 dir bin
  dir=$(pg_cluster_dir "$name")
  bin=$(pg_bindir)
  pg_stop_private "$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  # -R writes standby.signal and the primary's connection settings: it starts as a hot standby that follows.
  as_pg env PGPASSWORD="$PG_PASSWORD" "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U "$PG_USER_NAME" \
    -D "$dir/data" -R -X stream -c fast >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; return 1; }
  pg_start_private "$name" "$port"
}

pg_psql() { # <port> <sql...>: runs SQL as the catalog superuser on the maintenance database
  local port=$1; shift
  PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p "$port" -U "$PG_USER_NAME" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

pg_ensure_database() { # <port> <database>
  if [ -z "$(pg_psql "$1" -c "select 1 from pg_database where datname = '$2'")" ]; then
    pg_psql "$1" -c "create database \"$2\""
  fi
}

pg_recreate_database() { # <port> <database>
  PGOPTIONS="-c client_min_messages=warning" pg_psql "$1" -c "drop database if exists \"$2\" with (force)"
  pg_psql "$1" -c "create database \"$2\""
}

pg_connection() { # <port> <database>
  echo "Host=127.0.0.1;Port=$1;Database=$2;Username=$PG_USER_NAME;Password=$PG_PASSWORD"
}

# Run as a command: scripts/postgres.sh stop|resume <name> (the tests use it to take their database away),
# scripts/postgres.sh standby <name> <primary port> <port> (the tests' standby; prints its port), and
# scripts/postgres.sh start <name> <port> [options] (a second cluster, for shards on two servers; prints its port).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    stop) pg_stop_private "$2" ;;
    resume) pg_resume_private "$2" ;;
    standby) pg_start_standby "$2" "$3" "$4" && echo "$PG_PORT" ;;
    start) pg_start_private "$2" "$3" "${4:-}" && echo "$PG_PORT" ;;
    *) echo "usage: scripts/postgres.sh stop|resume <cluster name> | standby <name> <primary port> <port> | start <name> <port> [options]" >&2; exit 2 ;;
  esac
fi
