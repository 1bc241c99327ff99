#!/usr/bin/env bash
# Make sure a PostgreSQL server answers at 127.0.0.1:${PGPORT:-5432} with a database `test` that
# the user `postgres` reaches without a password (what the tests use). Where none answers, this
# installs Debian's `postgresql` package and starts a cluster of its own on that port (trust
# authentication on the loopback only). A failed install stops with the reason.
set -euo pipefail
PORT="${PGPORT:-5432}"
answers() { pg_isready -q -h 127.0.0.1 -p "$PORT" 2>/dev/null; }

if command -v pg_isready >/dev/null && answers; then
  echo "PostgreSQL answers on 127.0.0.1:$PORT"
else
  if ! command -v pg_createcluster >/dev/null; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
      || { echo "postgres: no server on 127.0.0.1:$PORT and no way to install one (need root and apt-get)" >&2; exit 1; }
    echo "==> installing PostgreSQL (Debian)"
    apt-get install -y -q postgresql >/tmp/rx-postgres-install.log 2>&1 \
      || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q postgresql >/tmp/rx-postgres-install.log 2>&1) \
      || { echo "postgres: apt-get install postgresql failed:" >&2; tail -5 /tmp/rx-postgres-install.log >&2; exit 1; }
  fi
  VERSION="$(ls /usr/lib/postgresql | sort -n | tail -1)"
  if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$VERSION rx$PORT"; then
    echo "==> creating a PostgreSQL $VERSION cluster on 127.0.0.1:$PORT (trust on loopback)"
    pg_createcluster --port "$PORT" "$VERSION" "rx$PORT" -- --auth-host=trust --auth-local=trust >/dev/null
  fi
  pg_ctlcluster "$VERSION" "rx$PORT" start
  for _ in $(seq 1 30); do answers && break; sleep 1; done
  answers || { echo "postgres: the cluster on 127.0.0.1:$PORT did not start" >&2; exit 1; }
fi
if ! psql -h 127.0.0.1 -p "$PORT" -U postgres -d test -Atc "select 1" >/dev/null 2>&1; then
  psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -Atc "CREATE DATABASE test" >/dev/null \
    || { echo "postgres: cannot create database test on 127.0.0.1:$PORT as postgres" >&2; exit 1; }
fi
echo "PostgreSQL ready: postgresql://postgres@127.0.0.1:$PORT/test"
