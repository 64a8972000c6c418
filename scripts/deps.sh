#!/usr/bin/env bash
# Installs the Debian packages biasmon needs to build, test and demo, when missing.
# Usage: scripts/deps.sh [build|test]   (test adds what the test suite needs)
set -euo pipefail
want=(build-essential cmake pkg-config libjansson-dev libcurl4-openssl-dev
      libmicrohttpd-dev libsqlite3-dev libssl-dev libpcre2-dev python3
      openmpi-bin libopenmpi-dev)
if [ "${1:-build}" = test ]; then
    want+=(nginx-light libcmocka-dev libcurl4-openssl-dev clang libclang-rt-14-dev python3-boto3 awscli prometheus curl nodejs
           chromium poppler-utils python3-nbformat clang-format bsdutils iproute2)
fi
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# the JavaScript SDK the tests drive the service with, from npm at the versions package-lock.json pins
if [ "${1:-build}" = test ]; then
    js="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
    if [ ! -f "$js/node_modules/.package-lock.json" ] || [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
        echo "deps: npm ci in tests/js" >&2
        (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
fi
