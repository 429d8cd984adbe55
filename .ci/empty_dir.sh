#!/usr/bin/env bash
# One binary: `zhicha serve` copied alone into an empty directory (no zhicha.toml, no
# rules/, no seeds/, no ZHICHA_* in its environment) starts the built-in demo city on
# SQLite under ./data, and a bureau account signs in (password and TOTP) and reads its
# dashboard. Prints PASS or FAIL with the server's log; exits 1 on failure.
#
#   bash .ci/empty_dir.sh BIN     BIN: a built `zhicha` (.ci/run passes the debug build);
#                                 EMPTY_DIR_TIMEOUT (default 300 s) bounds the start-up
# Needs: curl, python3.
set -euo pipefail

bin=$(realpath "${1:?usage: empty_dir.sh BIN}")
timeout_s=${EMPTY_DIR_TIMEOUT:-300}
tmp=$(mktemp -d /tmp/zhicha-empty.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL empty directory: $*" >&2
  echo "--- server output (last 40 lines)" >&2
  tail -n 40 "$tmp/server.log" >&2 || true
  exit 1
}

mkdir "$tmp/run"
cp "$bin" "$tmp/run/zhicha"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

# Nothing of the calling environment's configuration reaches the server.
unset_env=()
for name in $(compgen -e); do
  case $name in ZHICHA_* | DATABASE_URL) unset_env+=(-u "$name") ;; esac
done
(cd "$tmp/run" && exec env "${unset_env[@]}" ./zhicha serve --addr "127.0.0.1:$port") >"$tmp/server.log" 2>&1 &
server_pid=$!

deadline=$(( $(date +%s) + timeout_s ))
until curl -sf "$base/readyz" >/dev/null 2>&1; do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited"
  [ "$(date +%s)" -lt "$deadline" ] || fail "$base/readyz did not answer within $timeout_s s"
  sleep 0.5
done

grep -q "rules: built-in" "$tmp/server.log" || fail "the banner does not say the built-in rules are in force"
[ -f "$tmp/run/data/zhicha.db" ] || fail "no SQLite database at ./data/zhicha.db"

# The city HRSS bureau: password and a TOTP code from the secret the banner prints for
# a demo city loaded just now.
secret=$(awk '/username hrss.city / {getline; print $NF; exit}' "$tmp/server.log")
[ -n "$secret" ] || fail "no TOTP secret for hrss.city in the banner"
code=$(python3 - "$secret" <<'EOF'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1].upper() + "=" * (-len(sys.argv[1]) % 8))
digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
offset = digest[-1] & 0x0F
print("%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000))
EOF
)
token=$(curl -sS --fail-with-body -X POST "$base/auth/login" -H 'content-type: application/json' \
  -d "{\"username\":\"hrss.city\",\"password\":\"zhicha-demo\",\"totp\":\"$code\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') || fail "hrss.city could not sign in"

status=$(curl -s -o "$tmp/summary.json" -w '%{http_code}' -H "authorization: Bearer $token" "$base/gov/dashboard/summary")
[ "$status" = 200 ] || fail "GET /gov/dashboard/summary answered $status: $(head -c 400 "$tmp/summary.json")"
# The demo city is a programme in progress (demo.activity): attainment, the funnel,
# escalations and receipts all have something to show.
python3 - "$tmp/summary.json" <<'EOF' || fail "the dashboard shows no programme in progress: $(head -c 600 "$tmp/summary.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["found"] > 0 and s["rectified"] > 0 and s["overdue"] > 0, "funnel"
assert 0 < s["all_met"] < s["enterprises"], "attainment"
assert any(int(c["key"].split(":")[0]) >= 3 for c in s["escalations"]), "escalations"
assert sum(c["count"] for c in s["report_receipts"]) > 0, "receipts"
EOF

echo "PASS empty directory: $("$bin" --version) served the built-in demo city from $tmp/run (rules and demo built in, SQLite in ./data); hrss.city read /gov/dashboard/summary with the programme in progress"
