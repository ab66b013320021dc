#!/bin/sh
# Installs the load generator the HTTP scenario uses, only when it is missing.
# wrk is a C program, so the client does not take the service's CPU the way a Python client
# would on a small machine. Debian/Ubuntu only; elsewhere install wrk yourself (or the bench
# falls back to a Python client and labels its rows accordingly).
set -eu

if command -v wrk >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-tools: apt-get not found; install wrk by hand" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install-tools: need root (or password-less sudo) to apt-get install wrk" >&2
    exit 1
fi

$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
command -v wrk >/dev/null 2>&1
