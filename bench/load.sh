#!/usr/bin/env bash
# Load benchmark: wrk (Debian's package, -t2) on loopback against a release server with
# the demo city, on SQLite and/or on PostgreSQL + Redis. For each database, rounds of
# DURATION seconds at each concurrency in CONNS:
#   - GET /healthz, the ceiling the other rounds are compared with;
#   - a checklist page: GET /mp/recommendations/{id}?page=1&per_page=20 of a fresh round;
#   - the findings list: GET /mp/findings?page=1&per_page=20;
#   - POST /mp/findings spread over the 30 demo enterprises (their officers in turn);
#   - POST /mp/findings into one enterprise first filled to PRELOAD findings (a fresh
#     enterprise for each concurrency, e08 then e09 …, so each round starts at PRELOAD);
#   - POST /mp/evidence, a 320x240 JPEG of a few KB (made by bench/load/photo.py);
#   - GET /gov/dashboard/summary as the city HRSS bureau (password + TOTP).
# One line per round: req/s, p50 and p99, non-2xx answers (by status for the writes),
# socket errors (timeouts included), req/s as a share of the ceiling at the same
# concurrency, and the server's RSS and peak RSS (VmHWM) after the round; at the end of
# each database its RSS 10 s after the last round. It prints figures and asserts
# nothing; .ci/run does not run it. The wrk scripts are in bench/load/.
#
#   bash bench/load.sh                       SQLite, and PostgreSQL when ZHICHA_TEST_PG_URL is set
#   DB=pg bash bench/load.sh                 PostgreSQL + Redis only (DB=sqlite|pg|both)
#   DURATION=3 CONNS=16 PRELOAD=200 bash bench/load.sh   a quick pass
# PostgreSQL: ZHICHA_TEST_PG_URL, an admin URL (default postgres://postgres@127.0.0.1:5432/postgres):
# a throw-away database zhicha_load_<random> is made and dropped at exit. Redis: REDIS_URL
# (default redis://127.0.0.1:6379/0); keys go under a throw-away prefix, deleted at exit.
# Needs wrk, curl, python3 with python3-cryptography (the bureau's TOTP), sqlite3, psql.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
read -r -a conns <<<"${CONNS:-16 64}"
port=${PORT:-18097}
preload=${PRELOAD:-2000}
settle=${SETTLE:-2}
timeout=${TIMEOUT:-10s}
case ${DB:-$([ -n "${ZHICHA_TEST_PG_URL:-}" ] && echo both || echo sqlite)} in
  sqlite) dbs=(sqlite) ;;
  pg) dbs=(pg) ;;
  both) dbs=(sqlite pg) ;;
  *) echo "load: DB must be sqlite, pg or both" >&2; exit 2 ;;
esac
pg_admin=${ZHICHA_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379/0}
# The database is chosen here, not by whatever the caller's shell holds.
unset DATABASE_URL ZHICHA_DATABASE__URL ZHICHA_CACHE__REDIS_URL

# BUILD=0 with BIN=path runs a binary as it is (a copy, while the shared tree is rebuilt).
[ "${BUILD:-1}" = 0 ] || cargo build --release -q -p zhicha-api --bin zhicha
bin=${BIN:-target/release/zhicha}
base="http://127.0.0.1:$port"
run_id=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
tmp=$(mktemp -d)
pid="" pg_db="" redis_prefix=""

stop_server() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
cleanup() {
  stop_server
  if [ -n "$pg_db" ]; then psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  if [ -n "$redis_prefix" ]; then
    redis-cli -u "$redis_url" --scan --pattern "$redis_prefix*" 2>/dev/null | xargs -r redis-cli -u "$redis_url" del >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Every client of the benchmark is on one address; the limits would measure themselves.
export ZHICHA_LOG__LEVEL=warn ZHICHA_RISK__REFIT_ON_START=false \
  ZHICHA_LIMITS__REQUESTS_PER_MINUTE=100000000 ZHICHA_LIMITS__BURST=10000000 ZHICHA_LIMITS__SIGN_IN_PER_MINUTE=100000

json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
login() {
  curl -sS --fail-with-body -XPOST "$base/mp/auth/login" -H 'content-type: application/json' -d "{\"code\":\"$1\"}" |
    json_field access_token
}
# POST as a signed-in caller, with a fresh Idempotency-Key; BODY may be empty.
post() { # TOKEN PATH [BODY]
  curl -sS --fail-with-body -XPOST "$base$2" -H "authorization: Bearer $1" \
    -H "idempotency-key: setup-$run_id-$RANDOM$RANDOM$RANDOM" -H 'content-type: application/json' ${3:+-d "$3"}
}
finding_body() { # CLIENT_ID
  printf '{"client_id":"%s","location":"车间","description":"防护罩缺失","grade":"general","accident_types":["03"],"submit":true}' "$1"
}
findings_total() { # TOKEN
  curl -sS --fail-with-body "$base/mp/findings?page=1&per_page=1" -H "authorization: Bearer $1" | json_field total
}
mem() { awk '/^VmRSS/ {r = $2} /^VmHWM/ {h = $2} END {printf "rss %d MB, peak %d MB", r / 1024, h / 1024}' "/proc/$pid/status"; }

declare -A ceiling
# One wrk round and its line. round DB LABEL C URL_PATH SCRIPT [wrk options] [-- script arguments]
round() {
  local db=$1 label=$2 c=$3 path=$4 script=$5
  shift 5
  local out="$tmp/wrk-$db-$c-${label//[^a-z0-9]/_}.txt"
  local opts=() args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift && args=("$@")
  wrk -t2 -c"$c" -d"${duration}s" --timeout "$timeout" --latency -s "bench/load/$script" "${opts[@]}" "$base$path" \
    -- "${args[@]}" >"$out" 2>&1 || true
  local line; line=$(grep '^LOAD ' "$out" || true)
  if [ -z "$line" ]; then
    printf '%-6s %-40s c=%-3s wrk gave no result:\n' "$db" "$label" "$c"; sed 's/^/    /' "$out"; return
  fi
  # LOAD requests=… seconds=… p50_us=… p99_us=… non2xx=… socket_errors=… statuses=…
  local -A f
  local kv
  for kv in ${line#LOAD }; do f[${kv%%=*}]=${kv#*=}; done
  local rps; rps=$(awk -v n="${f[requests]}" -v s="${f[seconds]}" 'BEGIN {printf "%.1f", n / s}')
  [ "$label" = "GET /healthz" ] && ceiling[$c]=$rps
  local share; share=$(awk -v r="$rps" -v t="${ceiling[$c]:-0}" 'BEGIN {if (t > 0) printf "%.2f%%", 100 * r / t; else printf "n/a"}')
  local statuses=""
  [ "${f[statuses]}" != "-" ] && statuses="  statuses ${f[statuses]}"
  printf '%-6s %-40s c=%-3s %9s req/s  p50 %8.1f ms  p99 %8.1f ms  non-2xx %-5s socket errors %-4s %7s of ceiling  %s%s\n' \
    "$db" "$label" "$c" "$rps" "$(awk -v u="${f[p50_us]}" 'BEGIN {print u / 1000}')" \
    "$(awk -v u="${f[p99_us]}" 'BEGIN {print u / 1000}')" "${f[non2xx]}" "${f[socket_errors]}" "$share" "$(mem)" "$statuses"
  sleep "$settle"
}

# Fills the officer's enterprise up to PRELOAD findings (submitted), four at a time.
fill() { # DB ENTERPRISE TOKEN
  local have need start
  have=$(findings_total "$3")
  need=$((preload - have))
  start=$(date +%s.%N)
  rm -f "$tmp/fill.txt"
  if [ "$need" -gt 0 ]; then
    seq 1 "$need" | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -XPOST "$base/mp/findings" \
      -H "authorization: Bearer $3" -H "idempotency-key: fill-$run_id-$2-{}" -H 'content-type: application/json' \
      -d "$(finding_body "fill-$run_id-$2-NUMBER" | sed 's/NUMBER/{}/')" | sort | uniq -c | awk '{printf " %s=%s", $2, $1}' >"$tmp/fill.txt"
  fi
  printf '%-6s filled enterprise %s from %d to %d findings in %.0f s (4 at a time, statuses:%s)\n' "$1" "$2" "$have" \
    "$(findings_total "$3")" "$(echo "$(date +%s.%N) - $start" | bc)" "$(cat "$tmp/fill.txt" 2>/dev/null)"
}

# The city HRSS bureau's access token: password and a TOTP code from its sealed secret,
# opened with this run's key file. Prints nothing when it cannot sign in.
bureau_token() { # SEALED_SECRET KEY_FILE
  local code
  code=$(python3 bench/load/totp.py "$2" "$1" 2>"$tmp/totp.err") || return 0
  curl -s -XPOST "$base/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"hrss.city\",\"password\":\"zhicha-demo\",\"totp\":\"$code\"}" | json_field access_token 2>/dev/null || true
}

run() { # sqlite | pg
  local db=$1 dir="$tmp/$1" sealed
  mkdir -p "$dir"
  export ZHICHA_DATABASE__DATA_DIR="$dir" ZHICHA_SECURITY__KEY_FILE="$dir/keys.toml" ZHICHA_STORAGE__LOCAL_DIR="$dir/objects"
  if [ "$db" = pg ]; then
    pg_db="zhicha_load_$run_id"
    psql -q "$pg_admin" -c "CREATE DATABASE $pg_db" >/dev/null
    local pg_url
    pg_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$pg_admin" "$pg_db")
    redis_prefix="zhicha_load_$run_id:"
    export ZHICHA_DATABASE__URL="$pg_url" ZHICHA_DEMO__WECHAT_STANDIN_FORCE=true \
      ZHICHA_CACHE__REDIS_URL="$redis_url" ZHICHA_CACHE__KEY_PREFIX="$redis_prefix"
    "$bin" migrate up >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
    "$bin" seed demo >"$dir/seed.log" 2>&1 || { cat "$dir/seed.log" >&2; exit 1; }
  fi
  "$bin" serve --addr "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "load: the server exited" >&2; cat "$dir/serve.log" >&2; exit 1; }
    sleep 0.2
  done
  if [ "$db" = pg ]; then
    echo "pg     PostgreSQL $(psql -Atq "$pg_admin" -c 'SHOW server_version') (database $pg_db), Redis $(redis-cli -u "$redis_url" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p'), $(mem)"
    sealed=$(psql -Atq "$pg_url" -c "SELECT totp_secret FROM users WHERE username = 'hrss.city'")
  else
    echo "sqlite SQLite file on $(df -T "$dir" | awk 'NR == 2 {print $2}'), demo loaded by serve, $(mem)"
    sealed=$(sqlite3 "$dir/zhicha.db" "SELECT totp_secret FROM users WHERE username = 'hrss.city'")
  fi

  # Callers and what they read: the 30 officers with one finding each (photo owners),
  # a fresh recommendation round of e07, the bureau.
  local i token finding officer round_id bureau
  : >"$tmp/officers.txt"
  for i in $(seq -w 1 30); do
    token=$(login "demo-officer-e$i")
    finding=$(post "$token" /mp/findings "$(finding_body "owner-$run_id-$i")" | json_field id)
    echo "$token $finding" >>"$tmp/officers.txt"
  done
  officer=$(login demo-officer-e07)
  round_id=$(post "$officer" /mp/recommendations | json_field id)
  bureau=$(bureau_token "$sealed" "$ZHICHA_SECURITY__KEY_FILE")
  python3 bench/load/photo.py "$tmp/photo.jpg"
  printf '%-6s setup: checklist round %s of e07 (%s items, %s bytes a page of 20), 30 officers with a finding each, bureau %s\n' \
    "$db" "$round_id" \
    "$(curl -sS "$base/mp/recommendations/$round_id?page=1&per_page=1" -H "authorization: Bearer $officer" | json_field total)" \
    "$(curl -sS -o /dev/null -w '%{size_download}' "$base/mp/recommendations/$round_id?page=1&per_page=20" -H "authorization: Bearer $officer")" \
    "$([ -n "$bureau" ] && echo "signed in" || echo "NOT signed in")"

  local c
  for c in "${conns[@]}"; do round "$db" "GET /healthz" "$c" /healthz get.lua; done
  for c in "${conns[@]}"; do
    round "$db" "GET /mp/recommendations/{id} (20 items)" "$c" "/mp/recommendations/$round_id?page=1&per_page=20" get.lua \
      -H "Authorization: Bearer $officer"
  done
  for c in "${conns[@]}"; do
    round "$db" "GET /mp/findings (20)" "$c" "/mp/findings?page=1&per_page=20" get.lua -H "Authorization: Bearer $officer"
  done
  for c in "${conns[@]}"; do
    round "$db" "POST /mp/findings, 30 enterprises" "$c" /mp/findings findings.lua -- "$tmp/officers.txt" "$run_id-s$c"
  done
  local k=08 one
  for c in "${conns[@]}"; do
    one=$(login "demo-officer-e$k")
    echo "$one" >"$tmp/one.txt"
    fill "$db" "e$k" "$one"
    round "$db" "POST /mp/findings, e$k holding $(findings_total "$one")" "$c" /mp/findings findings.lua \
      -- "$tmp/one.txt" "$run_id-o$c"
    k=$(printf '%02d' $((10#$k + 1)))
  done
  for c in "${conns[@]}"; do
    round "$db" "POST /mp/evidence ($(stat -c %s "$tmp/photo.jpg") B JPEG)" "$c" /mp/evidence photo.lua \
      -- "$tmp/officers.txt" "$(( (run_id + c) % 4294967296 ))" "$tmp/photo.jpg"
  done
  if [ -n "$bureau" ]; then
    for c in "${conns[@]}"; do
      round "$db" "GET /gov/dashboard/summary (hrss.city)" "$c" /gov/dashboard/summary get.lua -H "Authorization: Bearer $bureau"
    done
  else
    printf '%-6s GET /gov/dashboard/summary not measured: the bureau hrss.city could not sign in (%s)\n' "$db" \
      "$(head -c 200 "$tmp/totp.err" 2>/dev/null)"
  fi
  sleep 10
  printf '%-6s 10 s after the last round: %s\n' "$db" "$(mem)"
  if [ "$db" = pg ]; then
    printf '%-6s Redis keys %s* at the end: %s\n' "$db" "$redis_prefix" \
      "$(redis-cli -u "$redis_url" --scan --pattern "$redis_prefix*" | wc -l)"
  fi
  stop_server
  if [ "$db" = pg ]; then
    psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
    pg_db=""
    unset ZHICHA_DATABASE__URL ZHICHA_DEMO__WECHAT_STANDIN_FORCE ZHICHA_CACHE__REDIS_URL ZHICHA_CACHE__KEY_PREFIX
  fi
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) -t2, ${duration} s per round, c in ${conns[*]}; databases: ${dbs[*]}; $("$bin" --version);" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start (other work on the machine skews every figure)"
for db in "${dbs[@]}"; do run "$db"; done
