#!/usr/bin/env bash
# deps.sh [runtime|build|test] - installs what idgate needs on Debian 12 with
# apt-get (and npm for the browser tests), only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

level=${1:-build}
pkgs=(libevent-2.1-7 libevent-openssl-2.1-7 libevent-pthreads-2.1-7 libhiredis0.14
      libjansson4 libsqlite3-0 libconfig9 libargon2-1 libjwt0 liboath0 libqrencode4 liblasso3 openssl redis-server ca-certificates)
if [ "$level" != runtime ]; then
  pkgs+=(build-essential cmake pkg-config libevent-dev libssl-dev libhiredis-dev
         libjansson-dev libsqlite3-dev libconfig-dev libargon2-dev libjwt-dev liboath-dev libqrencode-dev
         liblasso3-dev)
fi
if [ "$level" = test ]; then
  pkgs+=(libcmocka-dev curl sqlite3 chromium fonts-noto-cjk nodejs npm wrk valgrind
         python3-pysaml2 xmlsec1)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian's packages; keep what works.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
if [ "$level" = test ] && { [ ! -d tests/e2e/node_modules/playwright-core ] ||
                             [ ! -d tests/e2e/node_modules/@node-saml/node-saml ]; }; then
  (cd tests/e2e && npm install --no-audit --no-fund --loglevel=error)
fi
