#!/usr/bin/env bash
# Sign-in latency with production argon2id cost (19 MiB, 2 iterations): N sequential
# POST /auth/login of a demo account against a release server on a fresh SQLite demo
# city; then N mini-program sign-ins (POST /mp/auth/login through the WeChat stand-in,
# so WeChat's own latency is not in the figure). Prints p50, p90, p99 and max in ms.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-200}
cargo build --release -q -p zhicha-api --bin zhicha
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
ZHICHA_DATABASE__DATA_DIR="$tmp" ZHICHA_SECURITY__KEY_FILE="$tmp/keys.toml" ZHICHA_LOG__LEVEL=warn \
  ZHICHA_LIMITS__SIGN_IN_PER_MINUTE=100000 ZHICHA_LIMITS__REQUESTS_PER_MINUTE=100000 \
  target/release/zhicha serve --addr 127.0.0.1:18090 >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf localhost:18090/healthz >/dev/null && break; sleep 0.2; done
export NPROC=$(nproc)
stats() {
  sort -n | awk -v what="$1" '{a[NR]=$1*1000} END {printf "machine: %s cores; n=%d %s: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", ENVIRON["NPROC"], NR, what, a[int(NR*0.5)], a[int(NR*0.9)], a[int(NR*0.99)], a[NR]}'
}
time_post() {
  for _ in $(seq 1 "$n"); do
    curl -s -o /dev/null -w '%{time_total}\n' -XPOST "localhost:18090$1" -H 'content-type: application/json' -d "$2"
  done
}
time_post /auth/login '{"username":"service","password":"zhicha-demo"}' | stats "password sign-ins (argon2id)"
time_post /mp/auth/login '{"code":"demo-officer-e01"}' | stats "mini-program sign-ins (stand-in)"
