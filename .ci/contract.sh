#!/usr/bin/env bash
# Contract test: the served OpenAPI document against the server that serves it.
#
#   .ci/contract.sh [PATH_TO_ZHICHA]          (default target/debug/zhicha)
#
# Starts the binary on a free loopback port with a fresh SQLite database and the demo
# city, and runs schemathesis (`--checks all`) against /openapi.yaml as each of four
# callers, one after the other:
#
#   responsible  a responsible person of enterprise e01 (demo-rp-e01-1), with two findings
#                assigned to them and one not (.ci/contract_setup.py makes them first), with
#                the other responsible person of e01 (demo-rp-e01-2) as peer for findings
#                and their photos
#   officer      the safety officer of e01 (demo-officer-e01), with the officer of e02
#                (demo-officer-e02) as peer: the peer_isolation check of
#                .ci/contract_hooks.py replays each 2xx the officer gets on an /mp/ object
#                (and reads each object it creates) as the peer, which must get 404
#   bureau       the city HRSS bureau (hrss.city, password and TOTP)
#
# The run fails on any failure of the gating checks:
#
#   response_schema_conformance  an answer's body is not what the spec says
#   status_code_conformance      a status the spec does not list for the operation
#   positive_data_acceptance     a request the spec allows is refused (400/422)
#   unsupported_method           a method the path does not serve is not 405 with Allow
#   peer_isolation               the peer read or changed the caller's object
#
# on fewer than CONTRACT_MIN_CASES generated cases for a caller, on schemathesis errors
# (the server died, the spec does not load), a panic in the server's log, or a caller
# signed out during the run. Failures of the other checks are listed but do not fail the
# run.
#
# Configuration: .ci/schemathesis.toml; hooks and the peer check: .ci/contract_hooks.py
# (also a fresh Idempotency-Key per request, as the spec asks of clients).
#
# Needs python3 and schemathesis 4.32.5: .ci/run installs it in the virtual environment
# .ci/.venv (python3 -m venv .ci/.venv && .ci/.venv/bin/pip install 'schemathesis==4.32.5'),
# which this script uses when it is there (else schemathesis on PATH). Settings:
#   CONTRACT_MAX_EXAMPLES  examples per operation in the fuzzing phase (default 200)
#   CONTRACT_MIN_CASES     fewest generated cases per caller for a pass (default 1000)
#   CONTRACT_SEED          the generation seed (default 20261205)
#   CONTRACT_WORKERS       schemathesis workers (default 2)
#   CONTRACT_CALLERS       the runs, in order (default "responsible officer bureau")
#   CONTRACT_RESPONSIBLE_PEER_CODE  the responsible person's peer (default demo-rp-e01-2)
#   CONTRACT_PEER_CODE     the officer's peer's sign-in code (default demo-officer-e02); its
#                          own, demo-officer-e01, must make peer_isolation fail (a test of
#                          the check itself)
#   CONTRACT_KEEP          1: keep the temporary directory (database, server log, reports)
#   CONTRACT_CLIENT_LOOP   1: first run the generated TypeScript client's officer loop
#                          (clients/miniprogram/ci.sh) against the server
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bin=${1:-target/debug/zhicha}
[ -x "$bin" ] || { echo "contract: no executable at $bin (cargo build -p zhicha-api --bin zhicha)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
schemathesis=$root/.ci/.venv/bin/schemathesis
[ -x "$schemathesis" ] || schemathesis=$(command -v schemathesis) || {
  echo "contract: schemathesis is not installed (python3 -m venv .ci/.venv && .ci/.venv/bin/pip install 'schemathesis==4.32.5')" >&2
  exit 2
}

max_examples=${CONTRACT_MAX_EXAMPLES:-200}
min_cases=${CONTRACT_MIN_CASES:-1000}
seed=${CONTRACT_SEED:-20261205}
workers=${CONTRACT_WORKERS:-2}
read -r -a callers <<<"${CONTRACT_CALLERS:-responsible officer bureau}"
peer_code=${CONTRACT_PEER_CODE:-demo-officer-e02}
responsible_peer_code=${CONTRACT_RESPONSIBLE_PEER_CODE:-demo-rp-e01-2}
started=$(date +%s)

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${CONTRACT_KEEP:-0}" = 1 ]; then
    echo "contract: kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

# The server sees only the settings below: ZHICHA_* and DATABASE_URL of the calling
# environment are removed, and an empty config file stands in for a ./zhicha.toml.
: >"$tmp/zhicha.toml"
unset_env=()
for name in $(compgen -e); do
  case $name in ZHICHA_* | DATABASE_URL) unset_env+=(-u "$name") ;; esac
done
# Rate limits far above what the fuzzer sends: a 429 would hide the answer under test.
env "${unset_env[@]}" \
  ZHICHA_CONFIG="$tmp/zhicha.toml" \
  ZHICHA_SERVER__ADDR="127.0.0.1:$port" \
  ZHICHA_DATABASE__URL="sqlite://$tmp/zhicha.db?mode=rwc" \
  ZHICHA_DATABASE__DATA_DIR="$tmp" \
  ZHICHA_STORAGE__LOCAL_DIR="$tmp/objects" \
  ZHICHA_LIMITS__REQUESTS_PER_MINUTE=1000000 \
  ZHICHA_LIMITS__BURST=1000000 \
  ZHICHA_LIMITS__SIGN_IN_PER_MINUTE=1000000 \
  ZHICHA_LOG__LEVEL=warn \
  ZHICHA_DEMO__ACTIVITY=false \
  "$bin" serve >"$tmp/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 120); do
  curl -sf "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "contract: the server exited" >&2; cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$base/readyz" >/dev/null || { echo "contract: $base/readyz never answered" >&2; tail -50 "$tmp/server.log" >&2; exit 1; }
echo "contract: $("$bin" --version) on $base, database $tmp/zhicha.db"

# The bureau's TOTP secret, printed by `serve` on the demo under its username.
totp_secret=$(awk '/username hrss.city / {getline; print $NF; exit}' "$tmp/server.log")
[ -n "$totp_secret" ] || { echo "contract: no TOTP secret for hrss.city in the server's output" >&2; exit 1; }

# POST JSON, print the access token of the answer.
sign_in() {
  curl -sS --fail-with-body -X POST "$base$1" -H 'content-type: application/json' -d "$2" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
officer_token=$(sign_in /mp/auth/login '{"code":"demo-officer-e01"}')
peer_token=$(sign_in /mp/auth/login "{\"code\":\"$peer_code\"}")
responsible_peer_token=$(sign_in /mp/auth/login "{\"code\":\"$responsible_peer_code\"}")
responsible_token=$(sign_in /mp/auth/login '{"code":"demo-rp-e01-1"}')
totp_code=$(python3 - "$totp_secret" <<'EOF'
import base64, hashlib, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1].upper() + "=" * (-len(sys.argv[1]) % 8))
digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
offset = digest[-1] & 0x0F
print("%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000))
EOF
)
bureau_token=$(sign_in /auth/login "{\"username\":\"hrss.city\",\"password\":\"zhicha-demo\",\"totp\":\"$totp_code\"}")

# The generated TypeScript client's officer loop first (CONTRACT_CLIENT_LOOP=1): a client
# built only from the spec signs in, pages a round by query, reports, rectifies, accepts
# and submits the report against this server.
if [ "${CONTRACT_CLIENT_LOOP:-0}" = 1 ]; then
  echo "contract: the generated client's loop (clients/miniprogram)"
  bash "$root/clients/miniprogram/ci.sh" "$base"
fi
python3 "$root/.ci/contract_setup.py" "$base" "$officer_token" "$responsible_token"

# Operations left out, for both callers:
# - POST /auth/logout ends the caller's session: every later request would be 401 and
#   test nothing.
# - POST /auth/refresh rotates a refresh token; the fuzzer has none of its own, and a
#   replayed one revokes every session of that sign-in (the caller's included).
# Nothing else can end the caller's own session: signing in again (/auth/login,
# /mp/auth/login) opens another session and leaves this one alone, the officer is already
# bound (a random binding code is refused), and account administration (/admin/users,
# unlock) is forbidden to both callers.
excluded=(--exclude-path /auth/logout --exclude-path /auth/refresh)

# run NAME TOKEN [PEER_TOKEN [PEER_PATHS]]: one schemathesis run as one caller, its reports
# in $tmp/NAME; with a peer, the peer_isolation probes are logged in $tmp/NAME/peer.log.
run() {
  local name=$1 token=$2 peer=${3:-} peer_paths=${4:-} dir="$tmp/$1"
  mkdir -p "$dir"
  local cmd=("$schemathesis" --config-file "$root/.ci/schemathesis.toml" run "$base/openapi.yaml"
    --checks all
    -H "Authorization: Bearer $token"
    "${excluded[@]}"
    --max-examples "$max_examples" --seed "$seed" --workers "$workers"
    --generation-database none
    --request-timeout 30
    --no-color
    --report ndjson,junit --report-dir "$dir")
  printf '\n==> schemathesis as %s:' "$name"
  printf ' %q' "${cmd[@]}" | sed "s/$token/\$TOKEN/"
  echo
  local run_started
  run_started=$(date +%s)
  # Schemathesis runs in the temporary directory, where it keeps its own files; its exit
  # status is not the verdict (see summarise).
  (cd "$dir" && SCHEMATHESIS_HOOKS="$root/.ci/contract_hooks.py" CONTRACT_PEER_TOKEN="$peer" CONTRACT_PEER_PATHS="$peer_paths" \
    CONTRACT_PEER_LOG="${peer:+$dir/peer.log}" "${cmd[@]}") >"$dir/schemathesis.log" 2>&1 || true
  echo "$(($(date +%s) - run_started))" >"$dir/seconds"
  sed -n '/= SUMMARY =/,$p' "$dir/schemathesis.log"
  # A run that signed its caller out tested little after that point: it fails.
  curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/auth/me" >"$dir/me.status" || true
}
for caller in "${callers[@]}"; do
  case $caller in
    responsible) run responsible "$responsible_token" "$responsible_peer_token" '^/mp/(findings|evidence)(/|$)' ;;
    officer) run officer "$officer_token" "$peer_token" ;;
    bureau) run bureau "$bureau_token" ;;
    *) echo "contract: unknown caller $caller (responsible, officer, bureau)" >&2; exit 2 ;;
  esac
done

kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=

# The verdict: failures of each check per caller, grouped by operation, each with one
# reproduction. Exit 1 when a contract check failed or schemathesis reported an error.
set +e
python3 - "$tmp" "$base" "$min_cases" "${callers[@]}" <<'EOF'
import base64, collections, glob, json, os, shlex, sys

GATING = ["response_schema_conformance", "status_code_conformance", "positive_data_acceptance", "unsupported_method", "peer_isolation"]
tmp, base, min_cases, callers = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
bad = False
table = {}
cases = {}
for caller in callers:
    files = glob.glob(f"{tmp}/{caller}/ndjson-*.ndjson")
    if not files:
        print(f"\n{caller}: schemathesis wrote no report; its output:")
        print(open(f"{tmp}/{caller}/schemathesis.log").read()[-4000:])
        bad = True
        continue
    failures = {}  # check -> operation -> [count, reproduction]
    errors, complete = [], False
    for line in open(files[0]):
        event = json.loads(line)
        (kind, data), = event.items()
        if kind == "EngineFinished":
            complete = True
        if kind == "NonFatalError" or kind == "FatalError":
            value = data.get("value") if isinstance(data.get("value"), dict) else {}
            errors.append(f"{data.get('label', '')} ({data.get('phase')}): {value.get('type')}: {value.get('message')}")
        if kind != "ScenarioFinished":
            continue
        rec = data["recorder"]
        cases[caller] = cases.get(caller, 0) + len(rec.get("cases", {}))
        for case_id, checks in rec.get("checks", {}).items():
            for check in checks:
                if check["status"] != "failure":
                    continue
                info = check["failure_info"]["failure"]
                op = info.get("operation") or rec["label"]
                slot = failures.setdefault(check["name"], {}).setdefault(op, [0, None])
                slot[0] += 1
                if slot[1] is None:
                    it = rec["interactions"].get(case_id)
                    if it:
                        req, res = it["request"], it["response"] or {}
                        body = req.get("body")
                        body = base64.b64decode(body["$base64"]).decode("utf-8", "replace") if body else None
                        args = ["curl", "-sS", "-X", req["method"], req["uri"].replace(base, "$BASE")]
                        for k, vs in req["headers"].items():
                            if k.lower() in ("content-type", "idempotency-key"):
                                args += ["-H", f"{k}: {vs[0]}"]
                        content = (res.get("content") or {}).get("$base64")
                        raw = base64.b64decode(content) if content else b""
                        answer = raw.decode("utf-8", "replace")[:300]
                        if "\ufffd" in answer or any(c < " " and c not in "\t\n\r" for c in answer):
                            answer = f"<{len(raw)} bytes, not text>"
                        repro = " ".join(shlex.quote(a) if not a.startswith("$BASE") else '"' + a + '"' for a in args)
                        repro += ' -H "Authorization: Bearer $TOKEN"'
                        if body is not None:
                            repro += " --data-binary " + shlex.quote(body[:400])
                        slot[1] = (repro, res.get("status_code"), answer, info.get("message", "").splitlines()[0] if info.get("message") else "")
    table[caller] = failures
    print(f"\n==> {caller}: failures by check")
    for check in sorted(set(GATING) | set(failures)):
        ops = failures.get(check, {})
        mark = "contract" if check in GATING else "reported"
        print(f"  {check:<30} {sum(n for n, _ in ops.values()):>5} failing cases in {len(ops):>3} operations ({mark})")
    for check in sorted(failures):
        print(f"\n  -- {check} ({caller})")
        for op, (n, repro) in sorted(failures[check].items()):
            print(f"  {op}: {n}")
            if repro:
                cmd, status, answer, message = repro
                print(f"      {message}")
                print(f"      {cmd}")
                print(f"      -> {status} {answer}")
        if check in GATING and failures[check]:
            bad = True
    if errors:
        bad = True
        print(f"\n  schemathesis errors ({caller}):")
        for e in errors:
            print(f"    {e}")
    if not complete:
        bad = True
        print(f"\n  the {caller} run did not finish")
    if cases.get(caller, 0) < min_cases:
        bad = True
        print(f"\n  the {caller} run generated {cases.get(caller, 0)} cases, fewer than {min_cases}")
    peer_log = f"{tmp}/{caller}/peer.log"
    if os.path.exists(peer_log):
        probes = [line.split(" ", 1) for line in open(peer_log).read().splitlines()]
        by_status = collections.Counter(status for status, _ in probes)
        routes = len({route for _, route in probes})
        print(f"\n  peer probes ({caller}): {len(probes)} requests on {routes} distinct paths; answers "
              + ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
    me = open(f"{tmp}/{caller}/me.status").read().strip() if os.path.exists(f"{tmp}/{caller}/me.status") else "?"
    if me != "200":
        bad = True
        print(f"\n  the {caller} was signed out during the run (GET /auth/me answered {me})")

# A panic in a handler drops the connection; schemathesis may count that as a network
# error it retries rather than a failure, so the server's log decides: any panic fails.
log = open(f"{tmp}/server.log", encoding="utf-8", errors="replace").read().splitlines()
panics = [f"{line.strip()} {log[i + 1].strip() if i + 1 < len(log) else ''}" for i, line in enumerate(log) if "panicked at" in line]
if panics:
    bad = True
    print(f"\n==> the server panicked {len(panics)} times:")
    for p in sorted(set(panics)):
        print(f"  {p}")

print("\n==> summary (gating checks: failing cases)")
print("  " + " " * 30 + "".join(f"{c:>12}" for c in callers))
for check in GATING:
    print(f"  {check:<30}" + "".join(f"{sum(n for n, _ in table.get(c, {}).get(check, {}).values()):>12}" for c in callers))
print(f"  {'generated cases (min ' + str(min_cases) + ')':<30}" + "".join(f"{cases.get(c, 0):>12}" for c in callers))
seconds = [open(f"{tmp}/{c}/seconds").read().strip() if os.path.exists(f"{tmp}/{c}/seconds") else "?" for c in callers]
print(f"  {'seconds':<30}" + "".join(f"{s:>12}" for s in seconds))
sys.exit(1 if bad else 0)
EOF
verdict=$?
set -e
echo "contract: $(( $(date +%s) - started ))s, $([ $verdict = 0 ] && echo passed || echo FAILED)"
exit $verdict
