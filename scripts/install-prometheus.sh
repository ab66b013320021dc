#!/bin/sh
# Installs Debian's `prometheus` package, which brings `prometheus` and `promtool`, for the rule
# tests and for `ptrack up`. It is only a source of binaries: ptrack starts its own Prometheus
# processes with their own config and storage, so the package's system service must never run
# (it would take port 9090 and scrape nothing of ours).
#
# Idempotent: does nothing when `promtool` is already on PATH.
# Usage: scripts/install-prometheus.sh   (as root, or as a user with sudo)
set -eu

say() { printf 'install-prometheus: %s\n' "$*"; }
fail() {
    printf 'install-prometheus: error: %s\n' "$*" >&2
    exit 1
}

if command -v promtool >/dev/null 2>&1; then
    say "promtool already installed: $(command -v promtool) ($(promtool --version 2>&1 | head -n 1))"
    exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this script supports Debian and derivatives only"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "must run as root (or with sudo available)"
    SUDO="sudo"
fi

# policy-rc.d answering 101 ("action forbidden") makes invoke-rc.d and deb-systemd-invoke skip
# starting the service during the install. A policy the machine already has (container images
# often ship one) is put back afterwards, whatever happens.
POLICY=/usr/sbin/policy-rc.d
BACKUP=""
restore_policy() {
    if [ -n "$BACKUP" ]; then
        $SUDO mv -f "$BACKUP" "$POLICY"
    else
        $SUDO rm -f "$POLICY"
    fi
}
if [ -e "$POLICY" ]; then
    BACKUP="$POLICY.ptrack-backup.$$"
    $SUDO cp -p "$POLICY" "$BACKUP" || fail "cannot back up $POLICY"
fi
trap restore_policy EXIT
trap 'exit 130' INT TERM
printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null || fail "cannot write $POLICY"
$SUDO chmod 755 "$POLICY"

say "apt-get update"
$SUDO apt-get update || fail "apt-get update failed (network or apt sources?)"
say "apt-get install -y --no-install-recommends prometheus"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends prometheus \
    || fail "apt-get install prometheus failed"

# Belt and braces: should the package have started its service anyway (an init that ignores
# policy-rc.d), stop it; and keep it from starting at the next boot under either init system.
# The init script stops only the daemon recorded in its own pid file, so a Prometheus that ptrack
# started is left alone.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl stop prometheus.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/prometheus ]; then
    $SUDO /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi
if command -v systemctl >/dev/null 2>&1; then
    # Works without a running systemd too: it only removes the unit's symlinks.
    $SUDO systemctl disable prometheus.service >/dev/null 2>&1 || true
fi
if [ -x /etc/init.d/prometheus ] && command -v update-rc.d >/dev/null 2>&1; then
    $SUDO update-rc.d prometheus disable >/dev/null 2>&1 || true
fi
if pgrep -u prometheus -x prometheus >/dev/null 2>&1; then
    fail "Debian's prometheus service is still running; stop it (it would take port 9090)"
fi
say "Debian's prometheus service is not running and is disabled at boot"

command -v promtool >/dev/null 2>&1 || fail "the package installed, but promtool is not on PATH"
command -v prometheus >/dev/null 2>&1 || fail "the package installed, but prometheus is not on PATH"
say "installed: $(command -v prometheus), $(command -v promtool) ($(promtool --version 2>&1 | head -n 1))"
