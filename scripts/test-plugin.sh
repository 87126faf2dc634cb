#!/usr/bin/env bash
# The plugin's test lanes: PHPUnit inside real WordPress on MariaDB (with the WooCommerce stand-in),
# then the headless-Chromium browser test of the settings page.
# Usage: bash scripts/test-plugin.sh [--phpunit-only | --browser-only | --bench] [phpunit args…]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="all"
case "${1:-}" in
  --phpunit-only|--browser-only|--bench) mode="${1#--}"; shift ;;
esac
log() { echo "[test-plugin] $*" >&2; }

db_url="$(bash scripts/mariadb.sh)"
# mysql://user:pass@host:port
creds="${db_url#mysql://}"; userpass="${creds%@*}"; hostport="${creds#*@}"
export RETAIN_WP_DB_USER="${userpass%%:*}" RETAIN_WP_DB_PASSWORD="${userpass#*:}" RETAIN_WP_DB_HOST="${hostport%%/*}"
host="${RETAIN_WP_DB_HOST%%:*}"; port="${RETAIN_WP_DB_HOST##*:}"

browser_flag=""
if [ "$mode" = "phpunit-only" ] || [ "$mode" = "bench" ]; then browser_flag="--no-browser"; fi
wp_root="$(bash scripts/wordpress.sh $browser_flag)"

fresh_db() { # name [home url]
  mariadb -h "$host" -P "$port" -u"$RETAIN_WP_DB_USER" -p"$RETAIN_WP_DB_PASSWORD" \
    -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  RETAIN_WP_DB_NAME="$1" RETAIN_WP_HOME="${2:-http://example.org}" RETAIN_WP_DEBUG=0 php tests/plugin/install.php "$wp_root"
}

rc=0
if [ "$mode" = "all" ] || [ "$mode" = "phpunit-only" ]; then
  fresh_db retain_wp_test
  RETAIN_WP_DB_NAME=retain_wp_test RETAIN_WP_ROOT="$wp_root" \
    phpunit -c tests/plugin/phpunit.xml ${RETAIN_PHPUNIT_JUNIT:+--log-junit "$RETAIN_PHPUNIT_JUNIT"} "$@" || rc=$?
fi

if [ "$mode" = "bench" ]; then
  fresh_db retain_wp_bench
  RETAIN_WP_DB_NAME=retain_wp_bench RETAIN_WP_ROOT="$wp_root" php tests/plugin/bench-callback.php "$@"
  exit $?
fi

if [ "$mode" = "all" ] || [ "$mode" = "browser-only" ]; then
  port_http="${RETAIN_TEST_WP_PORT:-8931}"
  fresh_db retain_wp_browser "http://127.0.0.1:$port_http"
  RETAIN_WP_DB_NAME=retain_wp_browser RETAIN_WP_ROOT="$wp_root" RETAIN_WP_PORT="$port_http" \
    node tests/plugin/browser/settings.browser.mjs || rc=$?
fi
exit $rc
