#!/usr/bin/env bash
# oidc.sh - OpenID provider benchmarks on loopback, 2 workers: the token
# endpoint alone (client_credentials, RS256 and ES256 access tokens) beside
# `openssl speed` as the signing ceiling, and the full code flow with an
# existing session (authorize -> token -> userinfo) in completions/s.
# Prints figures; never fails on a timing.
#
#   tests/bench/oidc.sh [BUILD_DIR]    (default: build; needs wrk, node, redis-server)
#
# Environment: DURATION (s, default 10), CONNS (default 64), WORKERS (default 2),
# FLOW_CONNS (concurrent flows, default 16).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=$root/${1:-build}/idgate
dur=${DURATION:-10}
conns=${CONNS:-64}
workers=${WORKERS:-2}
flow_conns=${FLOW_CONNS:-16}
[ -x "$bin" ] || { echo "build first: $bin not found" >&2; exit 2; }

. "$(dirname "$0")/lib.sh"

field() { grep -o "\"$1\": *\"[^\"]*\"" | head -1 | sed 's/.*: *"//;s/"$//'; }
client() {	# name, extra args...
	local name=$1; shift
	"$bin" oidc client add --tenant bench --name "$name" --redirect-uri https://rp.example/cb \
	    --json "$@" $c
}
rs=$(client cc-rs256 --grant client_credentials --id-token-alg RS256)
es=$(client cc-es256 --grant client_credentials --id-token-alg ES256)
flow=$(client flow --scope "openid email profile")
flow_id=$(printf '%s' "$flow" | field client_id)
"$bin" oidc client assign --tenant bench "$flow_id" --user user@bench.example $c >/dev/null
sleep 1.5	# the workers' directory refresh picks the clients up

token_lua() {	# client json -> lua script path
	local id secret auth f=$tmp/token-$RANDOM.lua
	id=$(printf '%s' "$1" | field client_id)
	secret=$(printf '%s' "$1" | field client_secret)
	auth=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
	cat > "$f" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $auth"
wrk.body = "grant_type=client_credentials"
LUA
	echo "$f"
}

speed=$(openssl speed -seconds 2 rsa2048 ecdsap256 2>/dev/null)
rsa_ceiling=$(printf '%s\n' "$speed" | awk '/^rsa 2048 bits/{print $6}')
ec_ceiling=$(printf '%s\n' "$speed" | awk '/256 bits ecdsa \(nistp256\)/{print $7}')

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; idgate workers: $workers; wrk 1 thread, $conns connections, ${dur}s, TLS on loopback"
echo "signing ceiling (openssl speed, 1 core): RSA-2048 ${rsa_ceiling} sign/s, ECDSA P-256 ${ec_ceiling} sign/s"
echo "discovery:                      $(wrk -t1 -c"$conns" -d"${dur}s" --latency "$base/oidc/bench/.well-known/openid-configuration" | summ)"
echo "jwks:                           $(wrk -t1 -c"$conns" -d"${dur}s" --latency "$base/oidc/bench/jwks" | summ)"
echo "token client_credentials RS256: $(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$(token_lua "$rs")" "$base/oidc/bench/token" | summ)"
echo "token client_credentials ES256: $(wrk -t1 -c"$conns" -d"${dur}s" --latency -s "$(token_lua "$es")" "$base/oidc/bench/token" | summ)"
echo "code flow (authorize with session -> token -> userinfo), $flow_conns concurrent flows:"
node "$root/tests/bench/oidc_flow.mjs" "$base" bench "$flow_id" \
    "$(printf '%s' "$flow" | field client_secret)" "$sid" "$dur" "$flow_conns" "$tmp/server.crt"
