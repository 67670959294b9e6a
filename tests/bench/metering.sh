#!/usr/bin/env bash
# metering.sh - what active-ID metering costs on the request path, on
# loopback with 2 workers: OIDC authorize with an existing session (the SSO
# path: a code stored in Redis, then the activity recorded) and password
# sign-in, each with metering on and off. "Off" exists only in builds with
# test hooks (IDGATE_TEST_METERING_OFF); the default `build` folder of the
# test script has them. Prints figures; never fails on a timing.
#
#   tests/bench/metering.sh [BUILD_DIR]    (default: build; needs wrk, redis-server)
#
# Environment: DURATION (s, default 10), CONNS (default 32), WORKERS (default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$PWD/${1:-build}/idgate
dur=${DURATION:-10}
conns=${CONNS:-32}
workers=${WORKERS:-2}
[ -x "$bin" ] || { echo "build first: $bin not found" >&2; exit 2; }

. "$(dirname "$0")/lib.sh"

field() { grep -o "\"$1\": *\"[^\"]*\"" | head -1 | sed 's/.*: *"//;s/"$//'; }
rp=$("$bin" oidc client add --tenant bench --name sso --redirect-uri https://rp.example/cb \
    --public --json $c)
rp_id=$(printf '%s' "$rp" | field client_id)
"$bin" oidc key rotate --tenant bench $c >/dev/null
"$bin" oidc client assign --tenant bench "$rp_id" --user user@bench.example $c >/dev/null
sleep 1.5	# the workers' directory refresh picks the client up

cat > "$tmp/authorize.lua" <<LUA
wrk.headers["Cookie"] = "__Host-idgate-bench=$sid"
wrk.path = "/oidc/bench/authorize?client_id=$rp_id&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code&scope=openid&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
LUA
cat > "$tmp/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "__Host-idgate-csrf=$csrf_cookie"
wrk.body = "email=user@bench.example&password=Bench-passw0rd!&csrf=$csrf"
LUA

restart() {	# restarts `idgate serve` with the given environment
	kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
	env "$@" "$bin" serve $c 2>>"$tmp/serve.log" &
	pids[1]=$!
	for _ in $(seq 100); do curl -skf "$base/readyz" >/dev/null && break; sleep 0.1; done
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; idgate workers: $workers; wrk 1 thread, TLS on loopback, ${dur}s per run"
for mode in on off; do
	if [ "$mode" = off ]; then restart IDGATE_TEST_METERING_OFF=1; fi
	echo "metering $mode:"
	echo "  SSO authorize (session, $conns conns): $(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$tmp/authorize.lua" "$base" | summ)"
	echo "  password sign-in (8 conns):          $(wrk -t1 -c8 -d"${dur}s" --latency -s "$tmp/login.lua" "$base/t/bench/login" | summ)"
done
echo "audit events written: $(sqlite3 "$tmp/idgate.db" 'SELECT COUNT(*) FROM audit_log' 2>/dev/null || echo '?')"
