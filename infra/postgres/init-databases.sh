#!/bin/sh
# First start of the PostgreSQL container (empty volume): one database and one login role per
# service, each owning only its own database. Passwords come from <SERVICE>_DB_PASSWORD.
set -eu
for service in demand resources matching logistics; do
  var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="$(printenv "$var" || true)"
  if [ -z "$password" ]; then
    echo "init-databases: $var is not set" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
       -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
