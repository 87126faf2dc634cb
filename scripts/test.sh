#!/usr/bin/env bash
# `npm test`: every lane, starting what it needs (MariaDB, PHP, WordPress, Chromium) the same way
# the demo does. Lanes: type-check; jest unit + db (real MariaDB, real mailgun.js against the fake
# Mailgun); the plugin (PHPUnit inside real WordPress, then headless Chromium).
# Ends with one line `all: N passed, N failed, N skipped` summing every lane.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p .retain/reports
log() { echo "[test] $*" >&2; }

[ -d node_modules ] || npm install --no-audit --no-fund

status=0
log "type-check"
npx tsc -p tsconfig.json --noEmit || status=1

log "MariaDB"
RETAIN_TEST_DB_ADMIN_URL="$(bash scripts/mariadb.sh)" || { log "MariaDB did not start"; exit 1; }
export RETAIN_TEST_DB_ADMIN_URL

log "jest (unit, db)"
npx jest --ci --json --outputFile=.retain/reports/jest.json "$@" || status=1

log "plugin (PHPUnit in WordPress, browser)"
rm -f .retain/reports/phpunit.xml .retain/reports/browser.txt
RETAIN_PHPUNIT_JUNIT="$root/.retain/reports/phpunit.xml" bash scripts/test-plugin.sh 2>&1 | tee .retain/reports/plugin.log || status=1
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

node -e '
const fs = require("fs");
let passed = 0, failed = 0, skipped = 0;
try {
  const j = JSON.parse(fs.readFileSync(".retain/reports/jest.json", "utf8"));
  passed += j.numPassedTests; failed += j.numFailedTests + (j.numRuntimeErrorTestSuites || 0); skipped += j.numPendingTests + j.numTodoTests;
} catch { failed += 1; console.error("[test] no jest report"); }
try {
  const x = fs.readFileSync(".retain/reports/phpunit.xml", "utf8");
  const m = /<testsuite[^>]*tests="(\d+)"[^>]*failures="(\d+)"[^>]*errors="(\d+)"[^>]*skipped="(\d+)"/.exec(x)
        || /<testsuite[^>]*tests="(\d+)"[^>]*errors="(\d+)"[^>]*failures="(\d+)"[^>]*skipped="(\d+)"/.exec(x);
  const [t, a, b, s] = m.slice(1).map(Number);
  passed += t - a - b - s; failed += a + b; skipped += s;
} catch { failed += 1; console.error("[test] no PHPUnit report"); }
const log = fs.existsSync(".retain/reports/plugin.log") ? fs.readFileSync(".retain/reports/plugin.log", "utf8") : "";
const b = /^browser: (\d+) passed, (\d+) failed/m.exec(log);
if (b) { passed += Number(b[1]); failed += Number(b[2]); } else { failed += 1; console.error("[test] no browser result"); }
console.log(`all: ${passed} passed, ${failed} failed, ${skipped} skipped`);
'
exit $status
