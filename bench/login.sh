#!/usr/bin/env bash
# Sign-in latency with production argon2id cost (19 MiB, 2 iterations): N sequential
# POST /auth/login of a demo account against a release server on a fresh SQLite demo
# city. Prints p50, p90, p99 and max in milliseconds.
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
body='{"username":"service","password":"zhicha-demo"}'
for _ in $(seq 1 "$n"); do
  curl -s -o /dev/null -w '%{time_total}\n' -XPOST localhost:18090/auth/login -H 'content-type: application/json' -d "$body"
done | sort -n | awk '{a[NR]=$1*1000} END {printf "machine: %s cores; n=%d sign-ins: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", ENVIRON["NPROC"], NR, a[int(NR*0.5)], a[int(NR*0.9)], a[int(NR*0.99)], a[NR]}'
