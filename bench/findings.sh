#!/usr/bin/env bash
# Finding throughput on a release server with a fresh SQLite demo city: N findings
# reported (POST /mp/findings, submitted at once) one after another, then N more from
# four phones at once, then N assignments (POST /mp/findings/{id}/actions). Every write
# goes through the policy guard, the idempotency store, the state machine's history,
# the sync feed and the hash-chained audit trail. Prints writes/s and p50/p95/max.
# DATABASE_URL=postgres://… runs it on PostgreSQL (the database must be empty).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-400}
port=${PORT:-18091}
cargo build --release -q -p zhicha-api --bin zhicha
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
export ZHICHA_DATABASE__DATA_DIR="$tmp" ZHICHA_SECURITY__KEY_FILE="$tmp/keys.toml" ZHICHA_LOG__LEVEL=warn \
  ZHICHA_STORAGE__LOCAL_DIR="$tmp/objects" ZHICHA_LIMITS__REQUESTS_PER_MINUTE=1000000 ZHICHA_LIMITS__BURST=100000
if [ -n "${DATABASE_URL:-}" ]; then
  target/release/zhicha migrate up >/dev/null
  ZHICHA_DEMO__WECHAT_STANDIN_FORCE=true target/release/zhicha seed demo >/dev/null
  export ZHICHA_DEMO__WECHAT_STANDIN_FORCE=true
fi
target/release/zhicha serve --addr "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.2; done
base="localhost:$port"
login() { curl -s -XPOST "$base/mp/auth/login" -H 'content-type: application/json' -d "{\"code\":\"$1\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/'; }
officer=$(login demo-officer-e07)
me() { curl -s "$base/auth/me" -H "authorization: Bearer $1" | sed 's/.*"user_id":\([0-9]*\).*/\1/'; }
rp=$(me "$(login demo-rp-e07-1)")
export NPROC=$(nproc)
stats() {
  # Lines are "status seconds"; a write that did not succeed is counted, not timed.
  awk '$1 ~ /^2/ {print $2; next} {bad++} END {if (bad) print "FAILED " bad > "/dev/stderr"}' | sort -n |
    awk -v what="$1" -v wall="$2" '{a[NR]=$1*1000} END {printf "%s: n=%d ok, %.0f writes/s (wall, curl included), p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", what, NR, NR/wall, a[int(NR*0.5)], a[int(NR*0.95)], a[NR]}'
}
report() { # prefix count
  for i in $(seq 1 "$2"); do
    curl -s -o "$tmp/f-$1-$i.json" -w '%{http_code} %{time_total}\n' -XPOST "$base/mp/findings" -H "authorization: Bearer $officer" \
      -H "idempotency-key: bench-$1-$i-$RANDOM$RANDOM" -H 'content-type: application/json' \
      -d "{\"client_id\":\"bench-$1-$i\",\"location\":\"车间$i\",\"description\":\"防护罩缺失\",\"grade\":\"general\",\"accident_types\":[\"03\"],\"submit\":true}"
  done
}
echo "machine: $NPROC cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite}"
start=$(date +%s.%N); report seq "$n" >"$tmp/seq.txt"; end=$(date +%s.%N)
stats "report, sequential" "$(echo "$end - $start" | bc)" <"$tmp/seq.txt"
q=$((n / 4)); start=$(date +%s.%N)
phones=()
for p in 1 2 3 4; do report "par$p" "$q" >"$tmp/par$p.txt" & phones+=($!); done
wait "${phones[@]}"
end=$(date +%s.%N)
cat "$tmp"/par?.txt | stats "report, 4 phones at once" "$(echo "$end - $start" | bc)"
deadline=$(date -d '+14 days' +%F)
start=$(date +%s.%N)
for i in $(seq 1 "$n"); do
  id=$(sed 's/^{"id":\([0-9]*\).*/\1/' "$tmp/f-seq-$i.json")
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -XPOST "$base/mp/findings/$id/actions" -H "authorization: Bearer $officer" \
    -H "idempotency-key: assign-$i-$RANDOM$RANDOM" -H 'content-type: application/json' \
    -d "{\"version\":1,\"action\":\"assign\",\"assignee\":$rp,\"deadline\":\"$deadline\"}"
done >"$tmp/assign.txt"
end=$(date +%s.%N)
stats "assign, sequential" "$(echo "$end - $start" | bc)" <"$tmp/assign.txt"
