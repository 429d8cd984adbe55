#!/usr/bin/env bash
# Several instances, for real, on loopback: two `zhicha serve` (release build) behind
# HAProxy (round robin, health check GET /readyz, redispatch), one PostgreSQL primary
# (the machine's, 127.0.0.1:5432) with a streaming replica made here by pg_basebackup
# (hot standby on a free port, 5433 when free), Redis for the shared rate limits and
# cache, s3s-fs for the evidence store. It proves the multi-instance guarantees and
# prints PASS/FAIL per check, then a summary; it exits 1 on any failure.
#
#   a  both instances serve through the balancer, and requests land on both
#   b  idempotency is shared: one key sent to instance 1, then to instance 2, writes once
#   c  rate limits are shared: alternating instances, 429 after the one shared budget
#   d  instance 1 killed (-9) 3 s into a 10 s wrk load through HAProxy: every finding
#      acknowledged with a 2xx is in the database, none twice, the balancer carries on
#      (non-2xx reported as measured); d2: the writes left unanswered by the dead
#      instance, sent again with their keys as a phone would, are written exactly once
#   e  jobs run once across instances: audit sealing (chain verifies, no record sealed
#      twice), the rectification clock and its outbox (overdue marked once, reminders
#      queued and dispatched once), the start-up refit (one fit stored), the governance
#      sweep (one instance sweeps, the other logs that it skipped), the expert
#      dispatcher (each waiting task offered once)
#   f  the replica streams: how far it is behind under load (bound here: 1 s), and it
#      holds what the primary holds after the load; ZHICHA_DATABASE__REPLICA_URL points
#      the instances at it when the build knows that setting
#
# Two phases: the instances first run with a low rate limit (checks a-c), then are
# restarted together with a high one and short job intervals (checks d-f; the
# governance sweep's shortest interval is one minute, so this phase waits for it).
#
# Changes to the machine: if the primary's pg_hba.conf has no `host replication`
# entry for 127.0.0.1, one (trust, as the machine's other entries) is appended and the
# cluster reloaded (`pg_ctlcluster 15 main reload`); it is left in place (idempotent).
# Everything else is made under a temporary directory and removed at exit: the
# database zhicha_cluster_<random>, the replica (stopped, its directory deleted),
# HAProxy, s3s-fs, the instances, the Redis keys under this run's prefix.
#
#   bash .ci/cluster.sh [BIN] about 2 minutes on 2 cores (build not counted); BIN is a
#                             built `zhicha` to run (.ci/run passes the debug build),
#                             else the release build is made first; CLUSTER_TIMEOUT
#                             (default 300 s) kills the run and tears down; CLUSTER_KEEP=1
#                             keeps the temporary directory (logs, HAProxy config)
# Needs: PostgreSQL 15 server binaries, psql, redis-cli, haproxy, wrk, curl, python3,
# s3s-fs (`cargo install --locked s3s-fs@0.14.1 --features binary`, as .ci/run does).
set -euo pipefail
cd "$(dirname "$0")/.."

# The build may wait for the shared target directory's lock: it is not timed.
if [ -z "${CLUSTER_TIMED:-}" ]; then
  if [ -z "${1:-}" ]; then
    cargo build --release -q -p zhicha-api --bin zhicha
  fi
  # timeout signals its whole process group (wrk, psql, the servers) when time is up;
  # the EXIT trap below then tears everything down.
  CLUSTER_TIMED=1 exec timeout -k 30 "${CLUSTER_TIMEOUT:-300}" bash "$0" "$@"
fi

pg_bin=/usr/lib/postgresql/15/bin
pg_admin=postgres://postgres@127.0.0.1:5432/postgres
redis_url=redis://127.0.0.1:6379/0
bin=$(realpath "${1:-target/release/zhicha}")
started=$(date +%s)
for tool in psql redis-cli haproxy wrk curl python3 s3s-fs runuser "$pg_bin/pg_basebackup" "$pg_bin/pg_ctl"; do
  command -v "$tool" >/dev/null || { echo "cluster: $tool is missing" >&2; exit 2; }
done

run_id=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
db=zhicha_cluster_$run_id
db_url=postgres://postgres@127.0.0.1:5432/$db
prefix="zhicha_cluster_$run_id:"
tmp=$(mktemp -d /tmp/zhicha-cluster.XXXXXX)
chmod 755 "$tmp"
declare -A pid=()
db_made="" replica_dir=""

cleanup() {
  local rc=$?
  set +e
  for k in "${!pid[@]}"; do kill -9 "${pid[$k]}" 2>/dev/null; done
  for k in "${!pid[@]}"; do wait "${pid[$k]}" 2>/dev/null; done
  if [ -n "$replica_dir" ] && [ -f "$replica_dir/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$replica_dir" -m immediate -w stop >/dev/null 2>&1
  fi
  [ -n "$db_made" ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  redis-cli -u "$redis_url" --scan --pattern "$prefix*" 2>/dev/null | xargs -r redis-cli -u "$redis_url" del >/dev/null 2>&1
  if [ -n "${CLUSTER_KEEP:-}" ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "cluster: stopped (time limit or signal)" >&2; exit 124' TERM INT
# A step that cannot go on (set -e) says where, so an aborted run is not silent.
trap 'echo "cluster: aborted at line $LINENO: $BASH_COMMAND" >&2' ERR

passed=0 failed=0
results=()
check() { # NAME ok|fail DETAIL
  local word=PASS
  if [ "$2" = ok ]; then passed=$((passed + 1)); else word=FAIL; failed=$((failed + 1)); fi
  results+=("$word $1")
  printf '%s %s: %s\n' "$word" "$1" "$3"
}
note() { printf 'NOTE %s\n' "$*"; }
step() { printf '\n== %s (%d s)\n' "$*" "$(( $(date +%s) - started ))"; }
sql() { psql -XAtq "$db_url" -c "$1"; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# Five distinct ports: the sockets stay bound until all are picked, so the kernel cannot
# hand the same port out twice (separate free_port calls once gave s3s-fs and an
# instance the same one).
free_ports() {
  python3 -c 'import socket
n = int(__import__("sys").argv[1]); socks = []
for _ in range(n):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
read -r s3_port i1_port i2_port front_port stats_port <<<"$(free_ports 5)"
replica_port=5433
port_free "$replica_port" || replica_port=$(free_port)
front=http://127.0.0.1:$front_port

step "primary: replication entry in pg_hba.conf, database $db, migrate, seed the demo"
hba=$(psql -XAtq "$pg_admin" -c 'SHOW hba_file')
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+(all|postgres)[[:space:]]+127\.0\.0\.1/32' "$hba"; then
  printf '\n# Added by zhicha .ci/cluster.sh: streaming replicas on loopback.\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
  pg_ctlcluster 15 main reload
  sleep 1
  echo "appended a replication entry to $hba and reloaded the cluster"
fi
psql -q "$pg_admin" -c "CREATE DATABASE $db" >/dev/null
db_made=1
export ZHICHA_DATABASE__URL=$db_url ZHICHA_DATABASE__DATA_DIR=$tmp/data ZHICHA_DATABASE__MIGRATE_ON_START=false \
  ZHICHA_SECURITY__KEY_FILE=$tmp/keys.toml ZHICHA_DEMO__WECHAT_STANDIN_FORCE=true ZHICHA_DEMO__ACTIVITY=false \
  ZHICHA_CACHE__REDIS_URL=$redis_url ZHICHA_CACHE__KEY_PREFIX=$prefix \
  ZHICHA_STORAGE__BACKEND=s3 ZHICHA_STORAGE__S3__ENDPOINT=http://127.0.0.1:$s3_port \
  ZHICHA_STORAGE__S3__BUCKET=zhicha-evidence ZHICHA_STORAGE__S3__ACCESS_KEY_ID=zhicha-ci \
  ZHICHA_STORAGE__S3__SECRET_ACCESS_KEY=zhicha-ci-secret ZHICHA_STORAGE__S3__PATH_STYLE=true \
  ZHICHA_SERVER__SHUTDOWN_SECONDS=2 ZHICHA_REMINDERS__INTERVAL_SECONDS=5 ZHICHA_EXPERTS__INTERVAL_SECONDS=5 \
  ZHICHA_GOVERNANCE__INTERVAL_MINUTES=1 ZHICHA_LIMITS__SIGN_IN_PER_MINUTE=100000 \
  ZHICHA_LOG__LEVEL='info,zhicha_api::governance::job=debug,sea_orm_migration=warn,sqlx=warn'
mkdir -p "$tmp/data" "$tmp/ids" "$tmp/s3/zhicha-evidence"
"$bin" migrate up >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log"; exit 1; }
"$bin" seed demo >"$tmp/seed.log" 2>&1 || { cat "$tmp/seed.log"; exit 1; }

step "replica: pg_basebackup into $tmp/replica, hot standby on port $replica_port"
replica_dir=$tmp/replica
install -d -o postgres -g postgres -m 700 "$replica_dir"
install -o postgres -g postgres -m 644 /dev/null "$tmp/replica.log"
runuser -u postgres -- "$pg_bin/pg_basebackup" -h 127.0.0.1 -p 5432 -U postgres -D "$replica_dir" -R -X stream -c fast --no-sync
# A hot standby needs these at least as high as on the primary.
same_as_primary=$(psql -XAtq "$pg_admin" -c "SELECT name || ' = ' || setting FROM pg_settings WHERE name IN
  ('max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction')")
# Debian keeps the configuration outside the data directory: the replica gets its own.
runuser -u postgres -- sh -c "cat >'$replica_dir/postgresql.conf' <<EOF
port = $replica_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '/tmp'
hot_standby = on
shared_buffers = 32MB
# Thrown away at exit: no need to survive a crash of the machine.
fsync = off
$same_as_primary
EOF
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >'$replica_dir/pg_hba.conf'
: >'$replica_dir/pg_ident.conf'"
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$replica_dir" -l "$tmp/replica.log" -w -t 30 start >/dev/null
replica_url=postgres://postgres@127.0.0.1:$replica_port/$db
echo "replica in recovery: $(psql -XAtq "$replica_url" -c 'SELECT pg_is_in_recovery()' 2>&1)"

step "s3s-fs on $s3_port, HAProxy on $front_port (stats on $stats_port)"
s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key zhicha-ci --secret-key zhicha-ci-secret "$tmp/s3" \
  >"$tmp/s3s.log" 2>&1 &
pid[s3]=$!
sed -e "s/@FRONT@/$front_port/" -e "s/@I1@/$i1_port/" -e "s/@I2@/$i2_port/" -e "s/@STATS@/$stats_port/" \
  .ci/cluster/haproxy.cfg >"$tmp/haproxy.cfg"
haproxy -c -q -f "$tmp/haproxy.cfg"
haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
pid[haproxy]=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break; sleep 0.1; done

# The replica setting is being added to the service: set it when the configuration
# accepts it (unknown settings are refused).
if ZHICHA_DATABASE__REPLICA_URL=$replica_url "$bin" migrate status >/dev/null 2>"$tmp/replica-setting.txt"; then
  export ZHICHA_DATABASE__REPLICA_URL=$replica_url
  replica_setting="set (database.replica_url = the replica)"
else
  replica_setting="not set: this build refuses it ($({ grep -o 'unknown key[^(]*' "$tmp/replica-setting.txt" || tail -n 1 "$tmp/replica-setting.txt"; } | head -1 | sed 's/ *$//'))"
fi
echo "ZHICHA_DATABASE__REPLICA_URL $replica_setting"

start_instance() { # N PORT
  "$bin" serve --addr "127.0.0.1:$2" >>"$tmp/i$1.log" 2>&1 &
  pid[i$1]=$!
}
wait_ready() { # N PORT
  for _ in $(seq 1 150); do
    curl -sf "127.0.0.1:$2/readyz" >/dev/null 2>&1 && return 0
    kill -0 "${pid[i$1]}" 2>/dev/null || { echo "instance $1 exited:" >&2; tail -n 30 "$tmp/i$1.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "instance $1 not ready in 30 s" >&2; tail -n 30 "$tmp/i$1.log" >&2; exit 1
}
stop_instances() {
  local k
  for k in i1 i2; do [ -n "${pid[$k]:-}" ] && kill "${pid[$k]}" 2>/dev/null || true; done
  for k in i1 i2; do [ -n "${pid[$k]:-}" ] && { wait "${pid[$k]}" 2>/dev/null || true; unset "pid[$k]"; }; done
}
# HAProxy's view of a server: its status and how many answers it sent (CSV stats).
server_stat() { # SERVER FIELD
  curl -s "127.0.0.1:$stats_port/stats;csv" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
head = [h.lstrip("# ") for h in rows[0]]
for r in rows[1:]:
    if len(r) > 1 and r[0] == "zhicha" and r[1] == sys.argv[1]:
        print(r[head.index(sys.argv[2])])' "$1" "$2"
}
wait_balanced() {
  for _ in $(seq 1 60); do
    [ "$(server_stat i1 status)" = UP ] && [ "$(server_stat i2 status)" = UP ] && return 0
    sleep 0.25
  done
}
login() { # BASE CODE
  curl -sS --fail-with-body -XPOST "$1/mp/auth/login" -H 'content-type: application/json' -d "{\"code\":\"$2\"}" |
    json_field access_token
}
finding_body() { # CLIENT_ID
  printf '{"client_id":"%s","location":"车间","description":"防护罩缺失","grade":"general","accident_types":["03"],"submit":true}' "$1"
}
log_sum() { # PATTERN FIELD: the sum of FIELD: N over both logs' lines matching PATTERN
  cat "$tmp/i1.log" "$tmp/i2.log" | { grep -a "$1" || true; } | { grep -ao "$2: [0-9]*" || true; } |
    awk '{s += $2} END {print s + 0}'
}

# ---------------------------------------------------------------- phase 1: a, b, c
step "phase 1: two instances, shared rate limit of 6 a minute with a burst of 20 per caller"
limit_burst=20 limit_rpm=6
export ZHICHA_LIMITS__REQUESTS_PER_MINUTE=$limit_rpm ZHICHA_LIMITS__BURST=$limit_burst ZHICHA_RISK__REFIT_ON_START=false
phase1_at=$(sql "SELECT now()")
start_instance 1 "$i1_port"; start_instance 2 "$i2_port"
wait_ready 1 "$i1_port"; wait_ready 2 "$i2_port"
wait_balanced

ready=$(curl -s -o /dev/null -w '%{http_code}' "$front/readyz")
for _ in $(seq 1 20); do curl -s -o /dev/null "$front/healthz"; done
a1=$(server_stat i1 hrsp_2xx) a2=$(server_stat i2 hrsp_2xx)
if [ "$ready" = 200 ] && [ "${a1:-0}" -gt 0 ] && [ "${a2:-0}" -gt 0 ]; then
  check "a. both instances behind the balancer" ok "/readyz via HAProxy $ready; 2xx answered by i1 $a1, i2 $a2 (HAProxy stats)"
else
  check "a. both instances behind the balancer" fail "/readyz via HAProxy $ready; 2xx answered by i1 ${a1:-?}, i2 ${a2:-?}"
fi

officer=$(login "$front" demo-officer-e07)
key="cluster-$run_id-idem"
curl -s -D "$tmp/b1.h" -o "$tmp/b1.json" -XPOST "127.0.0.1:$i1_port/mp/findings" -H "authorization: Bearer $officer" \
  -H "idempotency-key: $key" -H 'content-type: application/json' -d "$(finding_body "idem-$run_id")"
curl -s -D "$tmp/b2.h" -o "$tmp/b2.json" -XPOST "127.0.0.1:$i2_port/mp/findings" -H "authorization: Bearer $officer" \
  -H "idempotency-key: $key" -H 'content-type: application/json' -d "$(finding_body "idem-$run_id")"
b1_status=$(head -1 "$tmp/b1.h" | awk '{print $2}') b2_status=$(head -1 "$tmp/b2.h" | awk '{print $2}')
b1_id=$(json_field id <"$tmp/b1.json" 2>/dev/null || echo none) b2_id=$(json_field id <"$tmp/b2.json" 2>/dev/null || echo none)
replayed=$({ grep -i '^idempotent-replayed:' "$tmp/b2.h" || true; } | tr -d '\r' | awk '{print $2}')
b_rows=$(sql "SELECT count(*) FROM findings WHERE client_id = 'idem-$run_id'")
detail="i1 $b1_status id $b1_id; i2 $b2_status id $b2_id Idempotent-Replayed: ${replayed:-absent}; rows in findings: $b_rows"
if [[ $b1_status == 2* ]] && [ "$b1_status" = "$b2_status" ] && [ "$b1_id" = "$b2_id" ] && [ "$replayed" = true ] && [ "$b_rows" = 1 ]; then
  check "b. idempotency shared" ok "$detail"
else
  check "b. idempotency shared" fail "$detail"
fi

# Work for the rectification clock: findings assigned now, whose deadline is moved two
# days back between the phases, so both instances' clocks find them overdue at once.
rp=$(curl -s "$front/auth/me" -H "authorization: Bearer $(login "$front" demo-rp-e07-1)" | json_field user_id)
overdue_n=0
for i in 1 2 3 4 5; do
  fid=$(curl -s -XPOST "$front/mp/findings" -H "authorization: Bearer $officer" -H "idempotency-key: cluster-$run_id-late-$i" \
    -H 'content-type: application/json' -d "$(finding_body "late-$run_id-$i")" | json_field id 2>/dev/null) || continue
  status=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$front/mp/findings/$fid/actions" -H "authorization: Bearer $officer" \
    -H "idempotency-key: cluster-$run_id-assign-$i" -H 'content-type: application/json' \
    -d "{\"version\":1,\"action\":\"assign\",\"assignee\":$rp,\"deadline\":\"$(date -d '+14 days' +%F)\"}")
  [[ $status == 2* ]] && overdue_n=$((overdue_n + 1))
done

# A caller of its own, so its bucket is fresh: 2 x burst requests one after another,
# alternating instances. Shared, one burst gets through, plus one request per instance
# (the first sight of a token is charged to the IP's bucket) and what refilled meanwhile
# (one every 10 s); kept per process it would be both bursts.
rl_token=$(login "$front" demo-officer-e01)
: >"$tmp/c.txt"
c_start=$(date +%s)
for i in $(seq 1 $((2 * limit_burst))); do
  port=$([ $((i % 2)) = 1 ] && echo "$i1_port" || echo "$i2_port")
  curl -s -o /dev/null -w "%{http_code}\n" "127.0.0.1:$port/mp/findings?page=1&per_page=1" \
    -H "authorization: Bearer $rl_token" >>"$tmp/c.txt"
done
c_took=$(( $(date +%s) - c_start + 1 ))
c_allowed=$(( limit_burst + 2 + c_took * limit_rpm / 60 + 1 ))
c_ok=$(grep -c '^2' "$tmp/c.txt" || true) c_429=$(grep -c '^429' "$tmp/c.txt" || true)
detail="$((2 * limit_burst)) requests alternating in ${c_took} s: $c_ok 2xx, $c_429 429 (shared budget $limit_burst, at most $c_allowed with the refill and first sights; per process it would be $((2 * limit_burst)))"
if [ "$c_429" -gt 0 ] && [ "$c_ok" -le "$c_allowed" ]; then
  check "c. rate limits shared" ok "$detail"
else
  check "c. rate limits shared" fail "$detail"
fi
stop_instances

# ---------------------------------------------------------------- phase 2: d, e, f
step "phase 2: both restarted together, limits out of the way, refit due at start-up"
# A write whose instance died unanswered may be taken over by a retry after 10 s (the
# least allowed), so the phones' retries below need not wait two minutes.
export ZHICHA_LIMITS__REQUESTS_PER_MINUTE=6000000 ZHICHA_LIMITS__BURST=1000000 ZHICHA_RISK__REFIT_ON_START=true \
  ZHICHA_IDEMPOTENCY__STALE_AFTER_SECONDS=10
# Buckets of the old shape would hold the new one back until they ran out.
redis-cli -u "$redis_url" --scan --pattern "${prefix}rl:*" | xargs -r redis-cli -u "$redis_url" del >/dev/null
overdue_n=$(sql "WITH late AS (UPDATE rectifications SET deadline = current_date - 2 WHERE status IN ('open', 'rejected')
  AND finding_id IN (SELECT id FROM findings WHERE client_id LIKE 'late-$run_id-%' AND state = 'to_rectify') RETURNING 1)
  SELECT count(*) FROM late")
echo "$overdue_n assigned findings now two days past their deadline"
# The clock's previous run three days back: the two-days-late deadlines fall inside its
# next window, so their overdue reminders are queued (once) and dispatched (once).
sql "UPDATE job_marks SET last_run_at = now() - interval '3 days' WHERE name = 'reminders'" >/dev/null
# Five tasks waiting for an expert: both dispatchers (every 5 s, started together) race
# for them.
tasks_n=$(sql "WITH t AS (INSERT INTO tasks (enterprise_id, kind, status, due_at) SELECT id, 'expert_visit', 'open',
  now() + interval '7 days' FROM enterprises ORDER BY id LIMIT 5 RETURNING 1) SELECT count(*) FROM t")
# Make the current fit stale (or none exists): each instance's start-up wants a refit.
sql "UPDATE risk_fits SET created_at = created_at - interval '3 days' WHERE state = 'current'" >/dev/null
phase2_at=$(sql "SELECT now()")
phase2_s=$(date +%s)
start_instance 1 "$i1_port"; start_instance 2 "$i2_port"
wait_ready 1 "$i1_port"; wait_ready 2 "$i2_port"
wait_balanced
echo "both up and UP in HAProxy after $(( $(date +%s) - phase2_s )) s"

: >"$tmp/officers.txt"
for i in $(seq -w 1 30); do login "$front" "demo-officer-e$i" >>"$tmp/officers.txt"; done

# Load while both sealers, clocks and dispatchers run (and before the first sweep).
wrk_round() { # TAG SECONDS
  mkdir -p "$tmp/ids/$1"
  wrk -t2 -c16 -d"$2s" --timeout 10s -s .ci/cluster/findings.lua "$front/mp/findings" \
    -- "$tmp/officers.txt" "$run_id-$1" "$tmp/ids/$1" >"$tmp/wrk-$1.txt" 2>&1 || true
}
load_line() { # TAG
  grep '^LOAD ' "$tmp/wrk-$1.txt" || { echo "LOAD none"; sed 's/^/    /' "$tmp/wrk-$1.txt" >&2; }
}
# How long the replica takes to replay what the primary has written so far, in ms (each
# poll is one psql connection, some 10-20 ms, more on a busy machine: an upper bound).
replica_catchup_ms() {
  local lsn t0
  lsn=$(psql -XAtq "$pg_admin" -c 'SELECT pg_current_wal_lsn()')
  t0=$(date +%s%N)
  for _ in $(seq 1 250); do
    if [ "$(psql -XAtq "$replica_url" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'" 2>/dev/null)" = t ]; then
      echo $(( ($(date +%s%N) - t0) / 1000000 )); return
    fi
    sleep 0.02
  done
  echo 99999
}
# PostgreSQL's own measure of staleness: replay_lag, from a commit flushed on the
# primary to the standby having applied it (sampled during the load; empty when idle).
replay_lag_ms() {
  psql -XAtq "$pg_admin" -c "SELECT coalesce(max(round(extract(epoch FROM replay_lag) * 1000)), 0) FROM pg_stat_replication"
}
wrk_round warm 8 &
warm_pid=$!
sleep 2
lags=()
for _ in 1 2 3 4 5 6 7 8 9 10; do lags+=("$(replay_lag_ms)"); sleep 0.4; done
wait "$warm_pid" || true
echo "warm-up load, both instances: $(load_line warm)"
echo "replica replay_lag under that load: ${lags[*]} ms"

step "waiting for the first governance sweep (one minute after start-up)"
sweeps() { cat "$tmp/i1.log" "$tmp/i2.log" | grep -a 'governance sweep' | grep -avc 'skipped\|failed' || true; }
skips() { cat "$tmp/i1.log" "$tmp/i2.log" | grep -ac 'governance sweep skipped' || true; }
while [ $(( $(date +%s) - phase2_s )) -lt 95 ]; do
  [ $(( $(sweeps) + $(skips) )) -ge 2 ] && break
  sleep 1
done
sleep 2
sweep_lines=$(for n in 1 2; do { grep -a 'governance sweep' "$tmp/i$n.log" || true; } | sed "s/^/    i$n: /"; done)
n_sweeps=$(sweeps) n_skips=$(skips)

step "d. instance 1 killed (-9) 3 s into a 10 s load through HAProxy"
wrk_round kill 10 &
wrk_pid=$!
sleep 3
kill -9 "${pid[i1]}"
wait "${pid[i1]}" 2>/dev/null || true
unset 'pid[i1]'
killed_at=$(date +%s.%N)
wait "$wrk_pid" || true
line=$(load_line kill)
echo "$line"
cat "$tmp/ids/kill"/ids-*.txt 2>/dev/null | grep -E '^[0-9]+$' | sort -u >"$tmp/acked.txt" || true
acked=$(wc -l <"$tmp/acked.txt")
acked_lines=$(cat "$tmp/ids/kill"/ids-*.txt 2>/dev/null | wc -l)
found=0
if [ "$acked" -gt 0 ]; then
  found=$(sql "SELECT count(*) FROM findings WHERE id IN ($(paste -sd, "$tmp/acked.txt"))")
fi
dupes=$(sql "SELECT count(*) FROM (SELECT client_id FROM findings WHERE client_id LIKE 'cl-$run_id-%'
  GROUP BY client_id HAVING count(*) > 1) d")
non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$line") sockerr=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<<"$line")
statuses=$(sed -n 's/.* statuses=\(.*\)$/\1/p' <<<"$line") requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")
i2_after=$(server_stat i2 status) i1_after=$(server_stat i1 status)
detail="$requests requests ($statuses), non-2xx $non2xx, socket errors $sockerr; $acked acknowledged ids ($acked_lines 2xx answers), $found of them in the database; client_ids written twice: $dupes; HAProxy now i1 $i1_after, i2 $i2_after"
if [ "$acked" -gt 0 ] && [ "$acked" = "$found" ] && [ "$acked" = "$acked_lines" ] && [ "$dupes" = 0 ] &&
   [ "$i2_after" = UP ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$front/readyz")" = 200 ]; then
  check "d. kill one instance mid-load" ok "$detail"
else
  check "d. kill one instance mid-load" fail "$detail"
fi
[ "${non2xx:-0}" -gt 0 ] && note "d: $non2xx non-2xx of $requests while instance 1 died (statuses $statuses)"

# The writes in flight on instance 1 when it died: their keys were claimed and never
# answered (a retry HAProxy sent to instance 2 meanwhile was told 409, still running).
# Once stale, the phone's retry with the same key and body runs them, exactly once.
sql "SELECT key FROM idempotency_keys WHERE key LIKE 'key-cl-$run_id-kill-%' AND response_status IS NULL" >"$tmp/unanswered.txt"
unanswered=$(wc -l <"$tmp/unanswered.txt")
if [ "$unanswered" -gt 0 ]; then
  sleep "$(awk -v k="$killed_at" -v n="$(date +%s.%N)" 'BEGIN {w = k + 11 - n; print (w > 0 ? w : 0)}')"
  officers=$(wc -l <"$tmp/officers.txt")
  : >"$tmp/retried.txt"
  while read -r key; do
    id=${key#key-} nth=${key##*-} rest=${key%-*}
    thread=${rest##*-}
    token=$(sed -n "$(( (nth + thread) % officers + 1 ))p" "$tmp/officers.txt")
    body=$(printf '{"client_id":"%s","location":"车间%d","description":"防护罩缺失","grade":"general","accident_types":["03"],"submit":true}' "$id" $((nth % 50)))
    code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$front/mp/findings" -H "authorization: Bearer $token" \
      -H "idempotency-key: $key" -H 'content-type: application/json' -d "$body")
    echo "$code $id" >>"$tmp/retried.txt"
  done <"$tmp/unanswered.txt"
  retried_ok=$(grep -c '^2' "$tmp/retried.txt" || true)
  retry_codes=$(awk '{print $1}' "$tmp/retried.txt" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')
  once=$(sql "SELECT count(*) FROM (SELECT client_id FROM findings WHERE client_id IN ($(awk '{printf "%s'\''%s'\''", (NR > 1 ? "," : ""), $2}' "$tmp/retried.txt"))
    GROUP BY client_id HAVING count(*) = 1) d")
  detail="$unanswered writes unanswered when instance 1 died; retried with their keys after 11 s: ${retry_codes% }; written exactly once: $once of $unanswered"
  if [ "$retried_ok" = "$unanswered" ] && [ "$once" = "$unanswered" ]; then
    check "d2. unanswered writes retried" ok "$detail"
  else
    check "d2. unanswered writes retried" fail "$detail"
  fi
else
  note "d2: no write was left unanswered by the killed instance"
fi

step "e. jobs once across instances"
# Audit: the sealer of the surviving instance drains what the load left waiting.
for _ in $(seq 1 50); do [ "$(sql 'SELECT count(*) FROM audit_unsealed')" = 0 ] && break; sleep 0.2; done
verify_rc=0
"$bin" audit verify >"$tmp/verify.txt" 2>&1 || verify_rc=$?
twice=$(sql "SELECT count(*) FROM (SELECT audit_id FROM audit_seal GROUP BY 1 HAVING count(*) > 1) d")
records=$(sql "SELECT count(*) FROM audit_log") sealed=$(sql "SELECT count(*) FROM audit_seal")
detail="audit verify exit $verify_rc: $(tr '\n' ' ' <"$tmp/verify.txt" | cut -c1-200); records $records, sealed $sealed, sealed twice $twice"
if [ "$verify_rc" = 0 ] && [ "$twice" = 0 ] && [ "$records" = "$sealed" ]; then
  check "e1. audit sealing (two sealers)" ok "$detail"
else
  check "e1. audit sealing (two sealers)" fail "$detail"
fi

# The rectification clock: the made-overdue findings went overdue once each, each
# queued one reminder, and every dispatched outbox row was counted by one instance.
if [ "$overdue_n" -gt 0 ]; then
  overdue_rows=$(sql "SELECT count(*) FROM findings WHERE state = 'overdue'")
  marked=$(log_sum 'rectification clock' marked_overdue)
  queued_log=$(log_sum 'rectification clock' queued)
  handled_log=$(( $(log_sum 'rectification clock' sent) + $(log_sum 'rectification clock' skipped) + $(log_sum 'rectification clock' failed) ))
  outbox_rows=$(sql "SELECT count(*) FROM outbox WHERE topic = 'rectification_reminder'")
  dispatched=$(sql "SELECT count(*) FROM outbox WHERE topic = 'rectification_reminder' AND dispatched_at IS NOT NULL")
  ran=$(for n in 1 2; do printf 'i%s %s, ' "$n" "$(grep -ac 'rectification clock' "$tmp/i$n.log")"; done)
  detail="$overdue_n made overdue; marked overdue by the instances $marked (findings overdue now $overdue_rows); reminders queued $queued_log (outbox rows $outbox_rows); dispatched rows $dispatched, counted by the instances $handled_log; clock lines: ${ran%, }"
  if [ "$marked" = "$overdue_n" ] && [ "$queued_log" = "$outbox_rows" ] && [ "$dispatched" = "$handled_log" ]; then
    check "e2. rectification clock and outbox" ok "$detail"
  else
    check "e2. rectification clock and outbox" fail "$detail"
  fi
else
  note "e2. rectification clock not exercised: the demo has no open rectification to make overdue"
fi

# The start-up refit: both instances found the fit stale at once; one refitted.
fits=$(sql "SELECT count(*) FROM risk_fits WHERE trigger = 'startup' AND created_at >= '$phase2_at'")
refit_lines=$(for n in 1 2; do { grep -a 'risk refit' "$tmp/i$n.log" || true; } | sed "s/^/    i$n: /"; done)
if [ "$fits" = 1 ]; then
  check "e3. start-up refit once" ok "1 start-up fit stored for the two instances"
else
  check "e3. start-up refit once" fail "$fits start-up fits stored by two instances started together (each found the fit stale; the freshness judged again under the refit lock, refit.rs unless_fresh, should have stopped the second)"
fi
[ -n "$refit_lines" ] && echo "$refit_lines"

# The governance sweep: its first round, one minute after both started together.
if [ $((n_sweeps + n_skips)) -lt 2 ]; then
  note "e4. governance sweep: only $n_sweeps sweep(s) and $n_skips skip(s) logged within 95 s of start-up"
  check "e4. governance sweep once per round" fail "the first round was not observed on both instances"
elif [ "$n_sweeps" = 1 ]; then
  check "e4. governance sweep once per round" ok "round 1: one instance swept, the other logged 'skipped: another instance holds it' (a round is marked in job_marks under the sweep's lock, so an instance ticking within half an interval of another's round skips it too)"
else
  check "e4. governance sweep once per round" fail "round 1: $n_sweeps sweeps ran (the advisory lock only keeps sweeps from overlapping)"
fi
echo "$sweep_lines"

# The expert dispatcher: each waiting task offered once, every offer counted by the
# one instance that made it.
offered_log=$(log_sum 'expert dispatcher' offered)
offers=$(sql "SELECT count(*) FROM task_dispatches")
offered_tasks=$(sql "SELECT count(DISTINCT task_id) FROM task_dispatches")
double=$(sql "SELECT count(*) FROM (SELECT task_id FROM task_dispatches WHERE status = 'offered' GROUP BY 1 HAVING count(*) > 1) d")
ran=$(for n in 1 2; do printf 'i%s %s, ' "$n" "$(grep -ac 'expert dispatcher' "$tmp/i$n.log")"; done)
detail="$tasks_n tasks waiting; offers $offers for $offered_tasks tasks, counted by the instances $offered_log; tasks with two open offers $double; dispatcher lines: ${ran%, }"
if [ "$tasks_n" -gt 0 ] && [ "$offers" = "$tasks_n" ] && [ "$offered_tasks" = "$tasks_n" ] && [ "$offered_log" = "$offers" ] && [ "$double" = 0 ]; then
  check "e5. expert dispatcher" ok "$detail"
else
  check "e5. expert dispatcher" fail "$detail"
fi

step "f. the replica"
streaming=$(psql -XAtq "$pg_admin" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
primary_findings=$(sql "SELECT count(*) FROM findings")
caught=$(replica_catchup_ms)
replica_findings=$(psql -XAtq "$replica_url" -c "SELECT count(*) FROM findings" 2>&1)
worst=$(printf '%s\n' "${lags[@]}" | sort -n | tail -1)
detail="streaming connections on the primary $streaming; findings primary $primary_findings, replica $replica_findings (caught up in $caught ms); replay_lag under the warm-up load: ${lags[*]} ms (bound for this check: 1000 ms)"
if [ "$streaming" -ge 1 ] && [ "$replica_findings" = "$primary_findings" ] && [ "$worst" -lt 1000 ]; then
  check "f. replica streams within 1 s" ok "$detail"
else
  check "f. replica streams within 1 s" fail "$detail"
fi
note "replica setting: ZHICHA_DATABASE__REPLICA_URL $replica_setting"

step "summary"
for r in "${results[@]}"; do echo "  $r"; done
printf 'cluster: %d passed, %d failed, %d s (build not counted)\n' "$passed" "$failed" "$(( $(date +%s) - started ))"
[ "$failed" = 0 ] || exit 1
