# env.sh - what every benchmark's set-up starts with (sourced): a temporary
# folder, a list of PIDs stopped on exit, free loopback ports, a
# redis-server on one of them ($rport, answering before this returns), a
# self-signed TLS certificate and a master key in the folder. The caller
# writes idgate.conf and starts the gateway.

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
    --logfile "$tmp/redis.log" &
pids+=($!)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$tmp/server.key" -out "$tmp/server.crt" 2>/dev/null
(umask 077; openssl rand -hex 32 > "$tmp/master.key")
for _ in $(seq 50); do redis-cli -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
