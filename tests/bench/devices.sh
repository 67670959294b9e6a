#!/usr/bin/env bash
# devices.sh - benchmarks of the device-certificate option on loopback, 2
# workers: the device check (GET /t/{id}/device on the listener with
# client_certificates = true) with a full TLS handshake per request, with a
# resumed handshake per request and on kept-alive connections, each with a
# fresh signed-in session per request (the check renews the session, so a
# cookie works once) and without a session (the TLS-only ceiling: 303 to the
# sign-in page, certificate not read); then cert_bench (certificates issued
# and checked per second by the certs library) and `openssl speed
# ecdsap256` as the signing reference. Prints figures; never fails on a
# timing.
#
#   tests/bench/devices.sh [BUILD_DIR]    (default: build; a Release build, with
#                                          device_bench and cert_bench built;
#                                          needs redis-server, curl, openssl)
#
# Environment: DURATION (s per run, default 10, at most 15), CONNS (client threads, default
# 32), WORKERS (default 2), COOKIES (sessions prepared per run with a session, default
# 20000; a run that uses them all stops early and says so), CERT_COUNT (cert_bench, 2000).
#
# The common start of env.sh, then its own configuration rather than lib.sh's:
# the gateway needs a second listener, a public_url, a cheap argon2 cost and
# open sign-in limits to prepare sessions.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=$root/${1:-build}
bin=$build/idgate
dev_bench=$build/tests/bench/device_bench
cert_bench=$build/tests/bench/cert_bench
dur=${DURATION:-10}
conns=${CONNS:-32}
workers=${WORKERS:-2}
cookies=${COOKIES:-20000}
cert_count=${CERT_COUNT:-2000}
[ "$dur" -le 15 ] || dur=15
for f in "$bin" "$dev_bench" "$cert_bench"; do
	[ -x "$f" ] || { echo "build first: $f not found" >&2; exit 2; }
done
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" 2>/dev/null ||
    echo "warning: $build is not a Release build; the figures will not be comparable" >&2

. "$(dirname "$0")/env.sh"
hport=$(free_port); dport=$(free_port)
# argon2 at its floor: the password step only makes sessions here, it is not measured.
cat > "$tmp/idgate.conf" <<CONF
listeners = ( { address = "127.0.0.1"; port = $hport; tls = true;
                cert = "server.crt"; key = "server.key"; },
              { address = "127.0.0.1"; port = $dport; tls = true;
                cert = "server.crt"; key = "server.key"; client_certificates = true; } );
workers = $workers;
public_url = "https://127.0.0.1:$hport";
redis = { port = $rport; };
store = { sqlite_path = "idgate.db"; };
master_key_file = "master.key";
password = { argon2_t_cost = 1; argon2_m_cost_kib = 8; };
signin = { max_failures = 1000; rate_limit_ip_per_min = 1000000;
           rate_limit_account_per_min = 1000000; };
log = { format = "json"; level = "warn"; access_log = ""; };
CONF
c="-c $tmp/idgate.conf"
"$bin" migrate $c >/dev/null
"$bin" tenant create --company-id bench --name Bench --contract 20 $c >/dev/null
printf 'Bench-passw0rd!\n' > "$tmp/pw"
"$bin" user add --tenant bench --email user@bench.example --name Bench --password-file "$tmp/pw" \
    $c >/dev/null
"$bin" cert license --tenant bench --count 10 --required on $c >/dev/null
"$bin" cert assign --tenant bench user@bench.example $c >/dev/null
otp=$("$bin" cert issue --tenant bench --user user@bench.example --device-name "Bench laptop" \
    --p12 "$tmp/dev.p12" $c |
    grep -oE '\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b' | head -1)
[ -n "$otp" ] || { echo "cert issue printed no one-time password" >&2; exit 1; }
openssl pkcs12 -in "$tmp/dev.p12" -passin "pass:$otp" -clcerts -nokeys -out "$tmp/dev.crt" \
    2>/dev/null
openssl pkcs12 -in "$tmp/dev.p12" -passin "pass:$otp" -nocerts -nodes -out "$tmp/dev.key" \
    2>/dev/null
"$bin" serve $c 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 100); do
	curl -skf "https://127.0.0.1:$hport/readyz" >/dev/null && break
	sleep 0.1
done
curl -skf "https://127.0.0.1:$hport/readyz" >/dev/null && kill -0 "${pids[1]}" 2>/dev/null ||
    { echo "idgate serve did not start:" >&2; tail -5 "$tmp/serve.log" >&2; exit 1; }
sleep 0.5
workers_pids=$(pgrep -P "${pids[1]}" | paste -sd, -)

# One sign-in by hand: the password step must send us to the device listener.
"$dev_bench" --prepare 1 --main-port "$hport" --company bench --email user@bench.example \
    --password-file "$tmp/pw" --out "$tmp/one" --conns 1 >/dev/null ||
    { echo "the password step failed:" >&2; tail -5 "$tmp/serve.log" >&2; exit 1; }
loc=$(curl -sk -o /dev/null -w '%{http_code} %{redirect_url}' -H "Cookie: $(cat "$tmp/one")" \
    --cert "$tmp/dev.crt" --key "$tmp/dev.key" "https://127.0.0.1:$dport/t/bench/device" || true)
case $loc in
"303 https://127.0.0.1:$hport/t/bench/portal") ;;
*)
	echo "the device check does not pass with the bench certificate: $loc" >&2
	tail -5 "$tmp/serve.log" >&2
	exit 1 ;;
esac

run() {	# mode, [cookies file | --tls12]
	local extra=()
	case ${2:-} in
	"") ;;
	--*) extra=("$2") ;;
	*) extra=(--cookies "$2") ;;
	esac
	"$dev_bench" --port "$dport" --company bench --cert "$tmp/dev.crt" --key "$tmp/dev.key" \
	    "--$1" --conns "$conns" --duration "$dur" --pids "$workers_pids" "${extra[@]}"
}
prepare() {	# file
	"$dev_bench" --prepare "$cookies" --main-port "$hport" --company bench \
	    --email user@bench.example --password-file "$tmp/pw" --out "$1" --conns 8
}

cpu=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $cpu; $(openssl version)"
echo "idgate workers: $workers (pids $workers_pids); device_bench: $conns client threads," \
    "${dur}s per run, TLS on loopback, on the same cores"
echo "client certificate: EC P-256, issued by the tenant's EC P-256 CA; server certificate EC P-256"
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (figures need an idle machine)"
echo
echo "== without a session: TLS with the client certificate + HTTP," \
    "303 to the sign-in page (the ceiling) =="
for m in full resume keepalive; do run "$m"; done
echo "-- the same resumed handshakes with TLS 1.2 (no key exchange on resumption, no new ticket) --"
run resume --tls12
echo
echo "== the device check: one fresh signed-in session per request" \
    "(verify, store lookup + audit, renewal) =="
for m in full resume keepalive; do
	prepare "$tmp/cookies-$m"
	run "$m" "$tmp/cookies-$m"
done
echo
echo "== cert_bench: the certs library on one core =="
"$cert_bench" --count "$cert_count"
echo
echo "== openssl speed ecdsap256 (1 core), reference =="
openssl speed -seconds 2 ecdsap256 2>/dev/null | grep -E 'sign/s|256 bits ecdsa'
echo
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -qiE 'error|crash|exited' "$tmp/serve.log"; then
	echo
	echo "gateway log (errors):"
	grep -iE 'error|crash|exited' "$tmp/serve.log" | sort | uniq -c | sort -rn | head -10
fi
