#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb into a new temporary folder, a server on a
# Unix socket there (no TCP), trust authentication for the local superuser and a password for
# the role `loader`. Prints one line, `ready DIRECTORY PORT`, when it accepts connections; stops
# the server and removes the folder when its standard input closes (the test process ended, in
# whatever way). As root, it runs PostgreSQL as the `postgres` user, since initdb refuses root.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "no PostgreSQL server: install it with .ci/install-deps --tests (Debian's postgresql package)" >&2; exit 3; }
folder=$(mktemp -d /tmp/fsexport-postgres-XXXXXX)
as=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$folder"
    as=(runuser -u postgres --)
fi
port=$(( 20000 + RANDOM % 20000 ))
cleanup() {
    "${as[@]}" "$bin/pg_ctl" -D "$folder/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$folder"
}
trap cleanup EXIT
"${as[@]}" "$bin/initdb" -D "$folder/data" -U postgres --auth-local=trust --auth-host=reject -E UTF8 --locale=C.UTF-8 >"$folder/initdb.log" 2>&1 \
    || { cat "$folder/initdb.log" >&2; exit 1; }
# The superuser needs no password; every other role does (a test checks a wrong one).
printf 'local all postgres trust\nlocal all all scram-sha-256\n' | "${as[@]}" tee "$folder/data/pg_hba.conf" >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
    -o "-k $folder -p $port -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=50" start >/dev/null \
    || { cat "$folder/server.log" >&2; exit 1; }
echo "ready $folder $port"
cat >/dev/null  # until the test process closes our input
