#!/bin/sh
# Installs Debian's `chromium` package for the browser test of the HTML status report
# (tests/e2e/test_report_in_browser.py). Debian's package is used rather than a browser
# downloaded by a test library, so the test needs nothing but the distribution's mirrors.
#
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Usage: scripts/install-chromium.sh   (as root, or as a user with sudo)
set -eu

CHROMIUM=/usr/bin/chromium

say() { printf 'install-chromium: %s\n' "$*"; }
fail() {
    printf 'install-chromium: error: %s\n' "$*" >&2
    exit 1
}

if [ -x "$CHROMIUM" ]; then
    say "chromium already installed: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo '?'))"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this script supports Debian and derivatives only"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "must run as root (or with sudo available)"
    SUDO="sudo"
fi

say "apt-get update"
$SUDO apt-get update || fail "apt-get update failed (network or apt sources?)"
say "apt-get install -y chromium"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium \
    || fail "apt-get install chromium failed"

[ -x "$CHROMIUM" ] || fail "the package installed, but $CHROMIUM is missing"
say "installed: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo '?'))"
