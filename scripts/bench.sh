#!/usr/bin/env bash
# `npm run bench`: makes sure the private MariaDB is up, then runs bench/run.ts (spine, then the
# shop reader when bench/shop.ts exists). Arguments pass through: npm run bench -- --reps 5
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
RETAIN_TEST_DB_ADMIN_URL="$(bash scripts/mariadb.sh)"
export RETAIN_TEST_DB_ADMIN_URL
exec npx tsx bench/run.ts "$@"
