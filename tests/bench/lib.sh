# lib.sh - shared start-up for the benchmarks (sourced): a redis-server and
# `idgate serve` on free loopback ports in a temporary folder, a tenant
# "bench" with one user, signed in once (session id in $sid, login-form
# CSRF pair in $csrf / $csrf_cookie). Everything started is stopped by PID
# on exit. Needs: bin, workers.

. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
hport=$(free_port)
cat > "$tmp/idgate.conf" <<CONF
listeners = ( { address = "127.0.0.1"; port = $hport; tls = true; cert = "server.crt"; key = "server.key"; } );
workers = $workers;
redis = { port = $rport; };
store = { sqlite_path = "idgate.db"; };
master_key_file = "master.key";
signin = { rate_limit_ip_per_min = 1000000; rate_limit_account_per_min = 1000000; };
log = { format = "json"; level = "warn"; access_log = ""; };
CONF
c="-c $tmp/idgate.conf"
"$bin" migrate $c >/dev/null
"$bin" tenant create --company-id bench --name Bench --contract 1000 $c >/dev/null
printf 'Bench-passw0rd!\n' > "$tmp/pw"
"$bin" user add --tenant bench --email user@bench.example --name Bench --password-file "$tmp/pw" $c >/dev/null
"$bin" serve $c 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 100); do curl -skf "https://127.0.0.1:$hport/readyz" >/dev/null && break; sleep 0.1; done

base="https://127.0.0.1:$hport"
jar=$tmp/jar
page=$(curl -sk -c "$jar" "$base/t/bench/login")
csrf=$(printf '%s' "$page" | grep -o 'name="csrf"[^>]*value="[^"]*"' | sed 's/.*value="//;s/"$//')
[ -n "$csrf" ] || csrf=$(printf '%s' "$page" | grep -o 'value="[^"]*"[^>]*name="csrf"' | sed 's/^value="//;s/".*//')
csrf_cookie=$(awk '$6=="__Host-idgate-csrf"{print $7}' "$jar")
curl -sk -b "$jar" -c "$jar" -o /dev/null -d "email=user@bench.example&password=Bench-passw0rd!&csrf=$csrf" "$base/t/bench/login"
sid=$(awk '$6=="__Host-idgate-bench"{print $7}' "$jar")
[ -n "$sid" ] || { echo "sign-in for the benchmark failed" >&2; cat "$tmp/serve.log" >&2; exit 1; }

rss() { local t=0; for p in $(pgrep -P "${pids[1]}"); do t=$((t + $(awk '/VmRSS/{print $2}' /proc/$p/status))); done; echo "$t"; }
summ() { awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{bad=$NF} END{printf "%s req/s, p50 %s, p99 %s%s\n", rps, p50, p99, bad ? ", non-2xx " bad : ""}'; }
