#!/usr/bin/env bash
# `npm run demo`: the whole path on the embedded default. Without RETAIN_SHOP_DB_URL it starts a
# private MariaDB (installing Debian's mariadb-server when missing) and generates a demo shop.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
if [ -z "${RETAIN_SHOP_DB_URL:-}" ]; then
  RETAIN_DEMO_DB_ADMIN_URL="$(bash scripts/mariadb.sh)"
  export RETAIN_DEMO_DB_ADMIN_URL
fi
exec npx tsx scripts/demo.ts "$@"
