#!/usr/bin/env bash
# run.sh - gateway benchmarks on loopback: authenticated request rate (valid
# session cookie, Redis lookup per request), plain /healthz as the ceiling,
# the sign-in rate with the default argon2id parameters, authenticated p99
# while a sign-in storm runs, worker RSS idle and under load, and Redis bytes
# per session. Prints figures; never fails on a timing.
#
#   tests/bench/run.sh [BUILD_DIR]     (default: build; needs wrk, redis-server)
#
# Environment: DURATION (s, default 10), CONNS (default 64), WORKERS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=$root/${1:-build}/idgate
dur=${DURATION:-10}
conns=${CONNS:-64}
workers=${WORKERS:-2}
[ -x "$bin" ] || { echo "build first: $bin not found" >&2; exit 2; }

. "$(dirname "$0")/lib.sh"


cat > "$tmp/cookie.lua" <<LUA
wrk.headers["Cookie"] = "__Host-idgate-bench=$sid"
LUA
cat > "$tmp/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "__Host-idgate-csrf=$csrf_cookie"
wrk.body = "email=user@bench.example&password=Bench-passw0rd!&csrf=$csrf"
LUA

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; idgate workers: $workers; wrk 1 thread, $conns connections, ${dur}s, TLS on loopback"
echo "argon2id: t=2 m=19456KiB p=1 (defaults)"
echo "worker RSS idle: $(rss) KiB total"
echo "healthz (ceiling):       $(wrk -t1 -c"$conns" -d"${dur}s" --latency "$base/healthz" | summ)"
echo "session JSON (auth):     $(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$tmp/cookie.lua" "$base/t/bench/session" | summ)"
echo "portal HTML (auth):      $(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$tmp/cookie.lua" "$base/t/bench/portal" | summ)"
echo "worker RSS after load: $(rss) KiB total"
keys0=$(redis-cli -p "$rport" dbsize); mem0=$(redis-cli -p "$rport" info memory | awk -F: '/^used_memory:/{print $2+0}')
wrk -t1 -c8 -d"${dur}s" --latency -s "$tmp/login.lua" "$base/t/bench/login" > "$tmp/login.out" &
storm=$!
sleep 1
echo "session JSON during sign-in storm: $(wrk -t1 -c"$conns" -d"$((dur - 2))s" --latency -s "$tmp/cookie.lua" "$base/t/bench/session" | summ)"
wait "$storm"
echo "sign-in (argon2id, 8 conns): $(summ < "$tmp/login.out")  [303 redirects count as non-2xx]"
keys1=$(redis-cli -p "$rport" dbsize); mem1=$(redis-cli -p "$rport" info memory | awk -F: '/^used_memory:/{print $2+0}')
n=$((keys1 - keys0))
[ "$n" -gt 0 ] && echo "redis bytes per session: $(( (mem1 - mem0) / n )) (over $n sessions)"
echo "worker RSS after sign-in storm: $(rss) KiB total"
