#!/usr/bin/env bash
# test.sh - installs what is missing, builds with -Wall -Wextra -Werror twice
# (ASan+UBSan, then a normal build) and runs the whole suite through ctest:
# unit, integration (real Redis, SQLite), fuzz-corpus replay and end-to-end
# (the real binary, Redis, headless Chromium). The last lines are ctest's
# summary of the normal build.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh test
jobs=$(nproc)

if [ "${IDGATE_SKIP_ASAN:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIDGATE_SANITIZE=ON -DIDGATE_WERROR=ON >/dev/null
  cmake --build build-asan -j"$jobs" 2>&1 | grep -vE '^\[|^-- ' || true
  test -x build-asan/idgate
  echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer (unit, integration, fuzz replay, e2e)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE browser
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIDGATE_WERROR=ON >/dev/null
cmake --build build -j"$jobs" 2>&1 | grep -vE '^\[|^-- ' || true
test -x build/idgate
echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j"$jobs"
