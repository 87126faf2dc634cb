#!/usr/bin/env bash
# Installs what the plugin tests need (PHP 8.2, PHPUnit 9, Debian's WordPress, Chromium) and lays out
# a private WordPress tree under .retain/wordpress with our own wp-config.php and the plugin linked in.
# Idempotent and non-interactive (CI=true, no stdin). Prints the WordPress root on stdout.
# Usage: bash scripts/wordpress.sh [--no-browser]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
state="${RETAIN_STATE_DIR:-$root/.retain}"
wp="$state/wordpress"
want_browser=1
[ "${1:-}" = "--no-browser" ] && want_browser=0

log() { echo "[wordpress] $*" >&2; }

packages=(php8.2-cli php8.2-mysql php8.2-xml php8.2-mbstring php8.2-curl phpunit wordpress)
[ "$want_browser" = 1 ] && packages+=(chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} (needs root)"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's wordpress pulls in apache2; keep its init scripts from starting a server we never use.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
    apt-get update -qq >&2
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >&2
fi

# A private copy of the WordPress tree: Debian's own wp-config.php reads /etc/wordpress per host name,
# which we leave alone. cp -a keeps Debian's symlinks into /usr/share/javascript.
src=/usr/share/wordpress
stamp="$(dpkg-query -W -f='${Version}' wordpress)"
if [ ! -f "$wp/.debian-version" ] || [ "$(cat "$wp/.debian-version")" != "$stamp" ]; then
  log "copying $src to $wp"
  rm -rf "$wp"
  mkdir -p "$wp"
  cp -a "$src/." "$wp/"
  rm -f "$wp/wp-config.php"
  rm -rf "$wp/wp-content"
  echo "$stamp" > "$wp/.debian-version"
fi
mkdir -p "$wp/wp-content/plugins" "$wp/wp-content/mu-plugins" "$wp/wp-content/themes" "$wp/wp-content/uploads"
# Themes Debian ships live under /usr/share/wordpress/wp-content/themes (a symlink into /var/lib).
for t in /usr/share/wordpress/wp-content/themes/*/; do
  [ -d "$t" ] || continue
  name="$(basename "$t")"; [ -e "$wp/wp-content/themes/$name" ] || ln -s "$(readlink -f "$t")" "$wp/wp-content/themes/$name"
done
ln -sfn "$root/plugin" "$wp/wp-content/plugins/retain"
# A minimal theme of our own (Debian ships none) so a page can show the [retain_signup] form.
ln -sfn "$root/tests/plugin/theme" "$wp/wp-content/themes/retain-test-theme"
# The WooCommerce stand-in is a must-use plugin, so it loads before ours on every request.
ln -sfn "$root/tests/plugin/stand-in/woocommerce-stand-in.php" "$wp/wp-content/mu-plugins/woocommerce-stand-in.php"
# Right-to-left wp-admin for an admin whose language is RTL, without a language pack (the RTL check).
ln -sfn "$root/tests/plugin/stand-in/rtl-admin.php" "$wp/wp-content/mu-plugins/rtl-admin.php"
cp "$root/tests/plugin/wp-config.php" "$wp/wp-config.php"
echo "$wp"
