#!/usr/bin/env bash
# Installs the Debian packages biasmon needs to build, test and demo, when missing.
# Usage: scripts/deps.sh [build|test]   (test adds what the test suite needs)
set -euo pipefail
want=(build-essential cmake pkg-config libjansson-dev libcurl4-openssl-dev
      libmicrohttpd-dev libsqlite3-dev libssl-dev python3)
if [ "${1:-build}" = test ]; then
    want+=(libcmocka-dev libcurl4-openssl-dev clang libclang-rt-14-dev python3-boto3 awscli prometheus curl)
fi
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
