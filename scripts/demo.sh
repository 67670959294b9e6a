#!/usr/bin/env bash
# demo.sh - installs what is missing, builds idgate, starts a local Redis on a
# free port when none answers on 127.0.0.1:6379, creates a demo tenant with
# users, and runs the gateway in the foreground (Ctrl-C stops everything).
# State lives in var/demo/ (delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIDGATE_WERROR=OFF -DIDGATE_TESTS=OFF >/dev/null
cmake --build build --target idgate -j"$(nproc)" >/dev/null
bin=$root/build/idgate

demo=$root/var/demo
umask 077   # the demo folder holds a master key, a database and a client secret
mkdir -p "$demo/tls"
if [ ! -f "$demo/tls/server.crt" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$demo/tls/server.key" -out "$demo/tls/server.crt" 2>/dev/null
fi
if [ ! -f "$demo/master.key" ]; then
  (umask 077; openssl rand -hex 32 > "$demo/master.key")
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p; for p in $(shuf -i 20000-60000 -n 50); do port_free "$p" && { echo "$p"; return; }; done; return 1; }

redis_pid=
redis_port=${IDGATE_REDIS_PORT:-6379}
if ! redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
  redis_port=$(pick_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$demo" --logfile "$demo/redis.log" &
  redis_pid=$!
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "started redis-server (pid $redis_pid) on 127.0.0.1:$redis_port"
fi
cleanup() { [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

http_port=${IDGATE_PORT:-8443}
port_free "$http_port" || http_port=$(pick_port)
device_port=${IDGATE_DEVICE_PORT:-8444}
{ port_free "$device_port" && [ "$device_port" != "$http_port" ]; } || device_port=$(pick_port)
sed -e "s/port = 8443;/port = $http_port;/" \
    -e "s/port = 8444;/port = $device_port;/" \
    -e "s#https://localhost:8443#https://localhost:$http_port#" \
    -e "s/redis = { host = \"127.0.0.1\"; port = 6379; };/redis = { host = \"127.0.0.1\"; port = $redis_port; };/" \
    -e "s#\.\./var/demo/#$demo/#g" \
    -e "s#\"holidays-override.txt\"#\"$root/conf/holidays-override.txt\"#" conf/idgate.conf > "$demo/idgate.conf"
conf=$demo/idgate.conf
"$bin" check-config -c "$conf"
"$bin" migrate -c "$conf" >/dev/null

pw=Demo-passw0rd!
if ! "$bin" tenant show demo -c "$conf" >/dev/null 2>&1; then
  "$bin" tenant create --company-id demo --name "Demo Corporation" --contract 20 -c "$conf" >/dev/null
  printf '%s\n' "$pw" > "$demo/pw.txt"
  for u in alice:Alice bob:Bob; do
    "$bin" user add --tenant demo --email "${u%%:*}@demo.example" --name "${u##*:}" \
      --password-file "$demo/pw.txt" -c "$conf" >/dev/null
  done
  rm -f "$demo/pw.txt"
  "$bin" group add --tenant demo staff -c "$conf" >/dev/null
  "$bin" group add-member --tenant demo staff alice@demo.example -c "$conf" >/dev/null
  "$bin" oidc client add --tenant demo --name "Demo OIDC app" --client-id demo-app \
    --redirect-uri "https://localhost:$http_port/demo-rp/callback" --json -c "$conf" \
    > "$demo/oidc-client.json"
  "$bin" oidc client assign --tenant demo demo-app --group staff -c "$conf" >/dev/null
fi
client_secret=$(grep -o '"client_secret": *"[^"]*"' "$demo/oidc-client.json" | sed 's/.*"\([^"]*\)"$/\1/')

cat <<TXT

  idgate demo
  -----------
  sign in:   https://localhost:$http_port/t/demo/login   (or https://localhost:$http_port/login, company ID "demo")
  users:     alice@demo.example / $pw    bob@demo.example / $pw
  OIDC:      issuer https://localhost:$http_port/oidc/demo  (discovery under /.well-known/openid-configuration)
             client_id demo-app, client_secret $client_secret, assigned to the staff group (alice)
  devices:   https://localhost:$http_port/t/demo/devices   device check listener: https://localhost:$device_port
             (turn the option on: $bin cert license --tenant demo --count 10 -c $conf)
  health:    https://localhost:$http_port/healthz   metrics: https://localhost:$http_port/metrics
  admin CLI: $bin user list --tenant demo -c $conf
  The TLS certificate is self-signed ($demo/tls/server.crt). Ctrl-C stops.

TXT
"$bin" serve -c "$conf"
