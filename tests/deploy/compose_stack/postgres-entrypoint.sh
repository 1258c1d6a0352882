#!/bin/bash
set -euo pipefail
if [[ "${1:-}" == -* ]]; then set -- postgres "$@"; fi
mkdir -p "${PGDATA}" /var/run/postgresql
chown -R postgres:postgres "${PGDATA}" /var/run/postgresql
chmod 700 "${PGDATA}"
as_postgres() { runuser -u postgres -- "$@"; }
if [[ ! -s "${PGDATA}/PG_VERSION" ]]; then
  password_file="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "${password_file}"
  chown postgres "${password_file}"
  as_postgres initdb --username="${POSTGRES_USER:-postgres}" --pwfile="${password_file}" --auth=scram-sha-256 \
    --auth-local=trust -D "${PGDATA}" > /dev/null
  rm -f "${password_file}"
  database="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
  if [[ "${database}" != postgres ]]; then
    as_postgres postgres --single -D "${PGDATA}" postgres <<< "CREATE DATABASE \"${database}\";" > /dev/null
  fi
  echo "host all all all scram-sha-256" >> "${PGDATA}/pg_hba.conf"
fi
if [[ "$1" == postgres ]]; then exec runuser -u postgres -- "$@"; fi
exec "$@"
