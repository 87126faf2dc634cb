#!/usr/bin/env bash
# Makes sure a MariaDB server answers, then prints the admin URL tests and the demo connect with.
# Order: $RETAIN_TEST_DB_ADMIN_URL when given; else a private server on loopback with its own data
# directory under .retain/mariadb (installing Debian's mariadb-server first when it is missing).
# Idempotent: a second call finds the running server and only prints its URL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
state="${RETAIN_STATE_DIR:-$root/.retain}"
datadir="$state/mariadb/data"
sock="$state/mariadb/mysqld.sock"
port="${RETAIN_DB_PORT:-3407}"
url="mysql://retain:retain@127.0.0.1:$port"
# The buffer pool: 1G suits the tests; the 1M-customer benchmarks want the shop's hot tables in memory,
# as a production server sized for its data has them.
pool="${RETAIN_DB_BUFFER_POOL:-1G}"

log() { echo "[mariadb] $*" >&2; }

if [ -n "${RETAIN_TEST_DB_ADMIN_URL:-}" ]; then echo "$RETAIN_TEST_DB_ADMIN_URL"; exit 0; fi

client() { mariadb --protocol=socket -S "$sock" -uroot "$@"; }

if [ -S "$sock" ] && client -e 'SELECT 1' >/dev/null 2>&1; then echo "$url"; exit 0; fi

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  log "installing Debian's mariadb-server (needs root)"
  export DEBIAN_FRONTEND=noninteractive
  # Keep Debian's init scripts from starting a system-wide server: we run our own below.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -qq >&2
  apt-get install -y -qq mariadb-server mariadb-client >&2
fi
mariadbd_bin="$(command -v mariadbd || echo /usr/sbin/mariadbd)"

mkdir -p "$state/mariadb"
if [ ! -d "$datadir/mysql" ]; then
  log "initialising a private data directory in $datadir"
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$datadir" \
    --auth-root-authentication-method=socket --skip-test-db >"$state/mariadb/install.log" 2>&1
fi

log "starting a private server on 127.0.0.1:$port"
# Durability stays at MariaDB's defaults (flush the log at every commit): benchmarks must
# measure what a real server sustains, not a tuned-down one.
nohup "$mariadbd_bin" --no-defaults --user="$(id -un)" --datadir="$datadir" --socket="$sock" \
  --port="$port" --bind-address=127.0.0.1 --pid-file="$state/mariadb/mysqld.pid" \
  --log-error="$state/mariadb/error.log" --max-connections=500 --innodb-buffer-pool-size="$pool" \
  --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
  >/dev/null 2>&1 &

for _ in $(seq 1 150); do
  if client -e 'SELECT 1' >/dev/null 2>&1; then break; fi
  sleep 0.2
done
client -e 'SELECT 1' >/dev/null 2>&1 || { log "server did not start; see $state/mariadb/error.log"; tail -20 "$state/mariadb/error.log" >&2; exit 1; }

# A user allowed to create the per-test databases.
client -e "CREATE USER IF NOT EXISTS 'retain'@'127.0.0.1' IDENTIFIED BY 'retain';
           CREATE USER IF NOT EXISTS 'retain'@'localhost' IDENTIFIED BY 'retain';
           GRANT ALL PRIVILEGES ON *.* TO 'retain'@'127.0.0.1' WITH GRANT OPTION;
           GRANT ALL PRIVILEGES ON *.* TO 'retain'@'localhost' WITH GRANT OPTION;"
echo "$url"
