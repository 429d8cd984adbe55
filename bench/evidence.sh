#!/usr/bin/env bash
# Photo upload throughput: N multipart POST /mp/evidence of a 3000×2000 JPEG (about
# 1.5 MB) against a release server on a fresh SQLite demo city with the local store,
# first one at a time, then C at once. Each upload is checked, decoded, re-encoded as
# a 1600-px display copy, stored twice (fsync'd) and recorded. Prints photos/s and
# p50/p95/max latency, with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-40}
c=${C:-4}
port=${PORT:-18091}
cargo build --release -q -p zhicha-api --bin zhicha
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
ZHICHA_DATABASE__DATA_DIR="$tmp" ZHICHA_SECURITY__KEY_FILE="$tmp/keys.toml" ZHICHA_LOG__LEVEL=warn \
  ZHICHA_STORAGE__LOCAL_DIR="$tmp/objects" ZHICHA_RISK__REFIT_ON_START=false \
  ZHICHA_LIMITS__SIGN_IN_PER_MINUTE=100000 ZHICHA_LIMITS__REQUESTS_PER_MINUTE=100000 ZHICHA_LIMITS__BURST=10000 \
  target/release/zhicha serve --addr 127.0.0.1:$port >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf localhost:$port/healthz >/dev/null && break; sleep 0.2; done
base="http://localhost:$port"

# A photo-like JPEG (noise compresses like a real scene, not like a flat fill), made by
# an ignored test of the tests crate so no image tool is needed.
ZHICHA_BENCH_PHOTO="$tmp/photo.jpg" cargo test -q -p zhicha-tests --test it -- --ignored --exact evidence::bench_photo >/dev/null
bytes=$(stat -c %s "$tmp/photo.jpg")

json_field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
token=$(curl -sf -XPOST "$base/mp/auth/login" -H 'content-type: application/json' -d '{"code":"demo-officer-e01"}' | json_field access_token)
user=$(curl -sf "$base/auth/me" -H "authorization: Bearer $token" | json_field user_id)
enterprise=$(curl -sf "$base/mp/enterprise" -H "authorization: Bearer $token" | json_field id)
# The finding the photos belong to (POST /mp/findings is not in this build): one row in SQL.
finding=$(python3 - "$tmp/zhicha.db" "$enterprise" "$user" <<'PY'
import sqlite3, sys, datetime
db = sqlite3.connect(sys.argv[1])
now = datetime.datetime.now(datetime.timezone.utc).isoformat()
cur = db.execute(
    "INSERT INTO findings (created_at, updated_at, enterprise_id, location, description, grade, accident_types,"
    " state, reported_by, version, origin) VALUES (?, ?, ?, '车间', '基准测试隐患', 'general', '[\"03\"]',"
    " 'to_rectify', ?, 1, 'self')", (now, now, int(sys.argv[2]), int(sys.argv[3])))
db.commit()
print(cur.lastrowid)
PY
)

one() {
  local id; id=$(cat /proc/sys/kernel/random/uuid)
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -XPOST "$base/mp/evidence" \
    -H "authorization: Bearer $token" -H "idempotency-key: bench-$id" \
    -F client_id="$id" -F owner_kind=finding -F owner_id="$finding" -F phase=before \
    -F "file=@$tmp/photo.jpg;type=image/jpeg"
}
export -f one; export base token finding tmp

report() {
  local what=$1 wall=$2 file=$3
  local bad; bad=$(awk '$1 != 201' "$file" | wc -l)
  awk '{print $2}' "$file" | sort -n | awk -v what="$what" -v wall="$wall" -v bad="$bad" \
    '{a[NR]=$1*1000} END {printf "%s: n=%d (%d not 201) in %.2f s = %.2f photos/s; latency p50 %.0f ms, p95 %.0f ms, max %.0f ms\n", what, NR, bad, wall, NR/wall, a[int(NR*0.5+0.5)], a[int(NR*0.95+0.5)], a[NR]}'
}

one >/dev/null  # warm-up
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB; photo ${bytes} bytes 3000x2000 JPEG; N=$n"
start=$(date +%s.%N)
for _ in $(seq 1 "$n"); do one; done >"$tmp/seq.txt"
report "sequential" "$(echo "$(date +%s.%N) - $start" | bc)" "$tmp/seq.txt"
start=$(date +%s.%N)
seq 1 "$n" | xargs -P "$c" -I{} bash -c one >"$tmp/par.txt"
report "concurrency $c" "$(echo "$(date +%s.%N) - $start" | bc)" "$tmp/par.txt"
