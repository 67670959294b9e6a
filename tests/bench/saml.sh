#!/usr/bin/env bash
# saml.sh - SAML IdP benchmark on loopback, 2 workers: SP-initiated SSO with
# an existing session (a fresh AuthnRequest in over HTTP-POST, a signed
# Response out in an auto-submitting form) through the real HTTP path, at a
# few connection counts, beside `openssl speed rsa2048` (1 core and -multi 2)
# as the signing ceiling; then an RSS run of RSS_SSOS SSOs (default 100,000,
# at most RSS_MAX_S seconds) that prints the workers' RSS every 10,000.
# The ceiling ratio counts every RSA signature of a Response (the Response
# and its assertion are both signed: 2 per SSO); the gateway's CPU time per
# SSO (both workers, all threads) is printed too, as it depends little on
# other load, with the whole machine's busy time per SSO (wrk, Redis and
# the kernel share the cores) and, as an estimate, what the gateway alone
# would do on every core at that CPU cost. Every answer is checked for its shape (200, a SAMLResponse
# form, a success length) and the misses are counted; one Response is
# checked in full first.
# Prints figures; never fails on a timing.
#
#   tests/bench/saml.sh [BUILD_DIR]    (default: build; a Release build; needs wrk,
#                                       redis-server, curl, openssl, xmllint)
#
# Environment: DURATION (s per run, default 10, at most 15), CONNS (connection counts,
# default "16 64"), WORKERS (default 2), RSS_SSOS (default 100000, 0 skips the RSS run),
# RSS_CONNS (default 32), RSS_MAX_S (default 300), PROFILE (1: perf record -g on one
# worker during a 10 s run at the first connection count, top symbols printed;
# PERF_ARGS: perf record options, default -g; PERF_DATA=FILE keeps the recording).
#
# The common start of env.sh, then its own configuration rather than lib.sh's:
# the gateway needs a public_url (the AuthnRequest's Destination), a cheap
# argon2 cost and open sign-in limits.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=$root/${1:-build}
bin=$build/idgate
lua=$root/tests/bench/saml_sso.lua
dur=${DURATION:-10}
conns_list=${CONNS:-16 64}
workers=${WORKERS:-2}
rss_ssos=${RSS_SSOS:-100000}
rss_conns=${RSS_CONNS:-32}
rss_max_s=${RSS_MAX_S:-300}
[ "$dur" -le 15 ] || dur=15
[ -x "$bin" ] || { echo "build first: $bin not found" >&2; exit 2; }
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" 2>/dev/null ||
    echo "warning: $build is not a Release build; the figures will not be comparable" >&2

. "$(dirname "$0")/env.sh"
hport=$(free_port)
base="https://127.0.0.1:$hport"
# argon2 at its floor: the one sign-in only makes the session, it is not measured.
cat > "$tmp/idgate.conf" <<CONF
listeners = ( { address = "127.0.0.1"; port = $hport; tls = true;
                cert = "server.crt"; key = "server.key"; } );
workers = $workers;
public_url = "$base";
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
"$bin" tenant create --company-id bench --name Bench --contract 1000 $c >/dev/null
printf 'Bench-passw0rd!\n' > "$tmp/pw"
"$bin" user add --tenant bench --email user@bench.example --name "Bench User" \
    --password-file "$tmp/pw" $c >/dev/null
"$bin" saml key rotate --tenant bench $c >/dev/null
"$bin" saml app add --tenant bench --app-id sp --name "Bench SP" \
    --entity-id https://sp.bench/sp --acs https://sp.bench/acs --nameid email \
    --attribute mail=email --attribute displayName=display_name $c >/dev/null
"$bin" saml app assign --tenant bench sp --user user@bench.example $c >/dev/null
"$bin" serve $c 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 100); do
	curl -skf "$base/readyz" >/dev/null && break
	sleep 0.1
done
curl -skf "$base/readyz" >/dev/null && kill -0 "${pids[1]}" 2>/dev/null ||
    { echo "idgate serve did not start:" >&2; tail -5 "$tmp/serve.log" >&2; exit 1; }
sleep 0.5
worker_pids=$(pgrep -P "${pids[1]}" | paste -sd' ' -)

# Sign in once: the session cookie every AuthnRequest below comes with.
jar=$tmp/jar
page=$(curl -sk -c "$jar" "$base/t/bench/login")
csrf=$(printf '%s' "$page" | grep -o 'name="csrf"[^>]*value="[^"]*"' | sed 's/.*value="//;s/"$//')
[ -n "$csrf" ] || csrf=$(printf '%s' "$page" | grep -o 'value="[^"]*"[^>]*name="csrf"' |
    sed 's/^value="//;s/".*//')
curl -sk -b "$jar" -c "$jar" -o /dev/null \
    -d "email=user@bench.example&password=Bench-passw0rd!&csrf=$csrf" "$base/t/bench/login"
sid=$(awk '$6=="__Host-idgate-bench"{print $7}' "$jar")
[ -n "$sid" ] ||
    { echo "sign-in for the benchmark failed" >&2; tail -5 "$tmp/serve.log" >&2; exit 1; }
cookie="__Host-idgate-bench=$sid"

# The workers see the SAML app once the directory is reloaded.
for _ in $(seq 50); do
	[ "$(curl -sk -o /dev/null -w '%{http_code}' "$base/saml/bench/sso?SAMLRequest=x")" = 400 ] &&
	    break
	sleep 0.2
done

# One SSO by hand, checked in full: Success, the NameID, both attributes, a signature.
authn() {	# request id
	printf '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
	printf 'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" ' "$1"
	printf 'IssueInstant="%s" Destination="%s/saml/bench/sso" ' \
	    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$base"
	printf 'AssertionConsumerServiceURL="https://sp.bench/acs" '
	printf 'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
	printf '<saml:Issuer>https://sp.bench/sp</saml:Issuer></samlp:AuthnRequest>'
}
code=$(curl -sk -o "$tmp/one.html" -w '%{http_code}' -H "Cookie: $cookie" \
    --data-urlencode "SAMLRequest=$(authn _bench-check-1 | base64 -w0)" \
    --data-urlencode "RelayState=bench" "$base/saml/bench/sso")
resp=$(grep -o 'name="SAMLResponse" value="[^"]*"' "$tmp/one.html" | sed 's/.*value="//;s/"$//' ||
    true)
printf '%s' "$resp" | base64 -d > "$tmp/one.xml" 2>/dev/null || true
check() {	# what, xpath
	[ -n "$(xmllint --xpath "$2" "$tmp/one.xml" 2>/dev/null)" ] ||
	    { echo "the check SSO failed: $1 (HTTP $code)" >&2; head -c 600 "$tmp/one.html" >&2;
	      echo >&2; tail -5 "$tmp/serve.log" >&2; exit 1; }
}
check "status Success" \
    '//*[local-name()="StatusCode"][@Value="urn:oasis:names:tc:SAML:2.0:status:Success"]'
check "NameID user@bench.example" '//*[local-name()="NameID"][text()="user@bench.example"]'
check "attribute mail" '//*[local-name()="Attribute"][@Name="mail"]'
check "attribute displayName" '//*[local-name()="Attribute"][@Name="displayName"]'
check "a signature" '//*[local-name()="SignatureValue"]'
check "InResponseTo" '//*[@InResponseTo="_bench-check-1"]'
ok_bytes=$(wc -c < "$tmp/one.html")
min_bytes=$((ok_bytes * 9 / 10))
signed=$(xmllint --xpath 'count(//*[local-name()="SignatureValue"])' "$tmp/one.xml")
# A replay of the same ID must be refused (the benchmark relies on fresh IDs).
rcode=$(curl -sk -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" \
    --data-urlencode "SAMLRequest=$(authn _bench-check-1 | base64 -w0)" "$base/saml/bench/sso")

rsa() {	# openssl speed args -> sign/s
	openssl speed -seconds 3 "$@" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/{print $6}'
}
rsa1=$(rsa)
rsa2=$(rsa -multi 2)

cpu=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $cpu; $(openssl version)"
echo "idgate workers: $workers (pids $worker_pids); wrk 1 thread, ${dur}s per run," \
    "TLS on loopback, on the same cores"
echo "SAML key RSA-2048; app from fields (NameID email, 2 attributes); HTTP-POST binding,"
echo "  a fresh AuthnRequest ID per request; one check SSO: Success, NameID, attributes," \
    "$signed signature(s), ${ok_bytes}-byte page; the same ID again: HTTP $rcode"
echo "signing ceiling (openssl speed -seconds 3 rsa2048): 1 core ${rsa1} sign/s;" \
    "-multi 2 ${rsa2} sign/s"
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (figures need an idle machine)"
echo

rss() {	# KiB, both workers
	local t=0 p
	for p in $worker_pids; do t=$((t + $(awk '/VmRSS/{print $2}' "/proc/$p/status"))); done
	echo "$t"
}
cpu_ticks() {	# utime + stime of both workers, all threads, in clock ticks
	local t=0 p
	for p in $worker_pids; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	echo "$t"
}
busy_ticks() {	# the whole machine's busy time (user, nice, system, irq, softirq), clock ticks
	awk '/^cpu /{print $2 + $3 + $4 + $7 + $8; exit}' /proc/stat
}
tag=0
load() {	# conns, duration
	tag=$((tag + 1))
	wrk -t1 -c"$1" -d"$2s" --latency -s "$lua" "$base/saml/bench/sso" -- "$cookie" \
	    https://sp.bench/sp https://sp.bench/acs "$base/saml/bench/sso" "$min_bytes" \
	    "$tag$RANDOM"
}
summ() {
	awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +90%/{p90=$2} /^ +99%/{p99=$2}
	     /^saml: [0-9]/{ok=$2; bad=$4 + $6 + $8}
	     /Socket errors/{sub(/^ +/, ""); sock="; " $0}
	     /first bad/{sub(/^saml: /, ""); first=$0}
	     END{printf "%s responses/s, p50 %s, p90 %s, p99 %s; %s Responses, %d bad%s%s\n",
	         rps, p50, p90, p99, ok, bad, sock, first ? " (" first ")" : ""}'
}
for n in $conns_list; do
	t0=$(cpu_ticks)
	m0=$(busy_ticks)
	out=$(load "$n" "$dur")
	t1=$(cpu_ticks)
	m1=$(busy_ticks)
	rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/{print $2}')
	nok=$(printf '%s\n' "$out" | awk '/^saml: [0-9]/{print $2}')
	printf 'SSO, %3d connections: %s\n' "$n" "$(printf '%s\n' "$out" | summ)"
	awk -v r="$rps" -v s="$signed" -v c="$rsa2" -v n="$nok" -v a="$t0" -v b="$t1" \
	    -v ma="$m0" -v mb="$m1" -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" 'BEGIN{
		g = n > 0 ? 1000 * (b - a) / hz / n : 0
		m = n > 0 ? 1000 * (mb - ma) / hz / n : 0
		printf "    %.0f signatures/s = %.0f%% of the 2-core RSA-2048 ceiling;", r * s,
		    (c > 0 ? 100 * r * s / c : 0)
		printf " gateway CPU %.2f ms per SSO\n", g
		# Where the cores went: the gateway, and the rest (wrk with its TLS,
		# redis-server, their kernel time) on the same cores.
		printf "    whole machine %.2f ms of CPU per SSO (gateway %.0f%%);", m,
		    (m > 0 ? 100 * g / m : 0)
		# An estimate, not a measurement: the gateway alone on every core.
		if (g > 0)
			printf " gateway alone on %d cores: %.0f SSOs/s = %.0f%% of the ceiling\n",
			    cores, 1000 * cores / g, (c > 0 ? 100 * s * 1000 * cores / g / c : 0)
		else
			printf "\n" }'
done
echo "worker RSS after the runs: $(rss) KiB"
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${PROFILE:-0}" = 1 ]; then
	set -- $conns_list
	wp=${worker_pids%% *}
	echo
	echo "== perf record -g on worker $wp, 10 s at $1 connections =="
	load "$1" 10 > "$tmp/prof-load.out" &
	lp=$!
	sleep 1
	perf record ${PERF_ARGS:--g} -o "$tmp/perf.data" -p "$wp" -- sleep 8 >/dev/null 2>&1 || true
	wait "$lp"
	echo "$(printf '%s\n' "$(cat "$tmp/prof-load.out")" | summ) (while profiled)"
	[ -z "${PERF_DATA:-}" ] || cp "$tmp/perf.data" "$PERF_DATA"
	echo "-- self time (all threads of the worker) --"
	perf report -i "$tmp/perf.data" --no-children --sort dso,symbol --stdio -g none \
	    2>/dev/null | grep -E '^ +[0-9]' | head -20 || true
	echo "-- including callees --"
	perf report -i "$tmp/perf.data" --children --sort symbol --stdio -g none 2>/dev/null |
	    grep -E '^ +[0-9]' | head -40 || true
fi

if [ "$rss_ssos" -gt 0 ]; then
	echo
	echo "== RSS run: $rss_ssos SSOs at $rss_conns connections, at most ${rss_max_s}s," \
	    "RSS of both workers every 10,000 =="
	echo "      SSOs  RSS KiB    s  bad"
	printf '%10d %8d %4d %4d\n' 0 "$(rss)" 0 0
	cpu0=$(cpu_ticks)
	tag=$((tag + 1))
	wrk -t1 -c"$rss_conns" -d"${rss_max_s}s" -s "$lua" "$base/saml/bench/sso" -- "$cookie" \
	    https://sp.bench/sp https://sp.bench/acs "$base/saml/bench/sso" "$min_bytes" \
	    "$tag$RANDOM" "$rss_ssos" "${worker_pids// /,}" > "$tmp/rss.out" 2>&1 &
	wp=$!
	# wrk waits out its -d after the script stops its thread: end it on "rss: end".
	while kill -0 "$wp" 2>/dev/null && ! grep -q '^rss: end' "$tmp/rss.out"; do sleep 1; done
	kill "$wp" 2>/dev/null || true
	wait "$wp" 2>/dev/null || true
	awk '/^rss: [0-9]/{printf "%10d %8d %4d %4d\n", $2, $5, $4, $3; n=$2; s=$4}
	     /^saml: [0-9]/{done=$2 + $4 + $6 + $8}
	     END{if (n < '"$rss_ssos"') printf "stopped at '"$rss_max_s"'s after %d answers\n",
	         done ? done : n; if (s > 0) printf "RSS run: %d SSOs in %d s, %.0f/s\n", n, s, n / s}' \
	    "$tmp/rss.out"
	n_done=$(awk '/^rss: [0-9]/{n=$2} END{print n + 0}' "$tmp/rss.out")
	echo "gateway CPU in the RSS run: $(awk -v a="$cpu0" -v b="$(cpu_ticks)" -v n="$n_done" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN{if (n > 0) printf "%.2f ms", 1000 * (b - a) / hz / n}')" \
	    "per SSO; load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi

if grep -qiE 'error|crash|exited|leak' "$tmp/serve.log"; then
	echo
	echo "gateway log (errors):"
	grep -iE 'error|crash|exited|leak' "$tmp/serve.log" | sort | uniq -c | sort -rn | head -10
fi
