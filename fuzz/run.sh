#!/usr/bin/env bash
# Builds the parser fuzz targets once, then runs each in turn for a bounded time and
# prints what each ran. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz --locked`).
#
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_TARGETS    which targets, space-separated (default: all)
#   FUZZ_SANITIZER  none (default: the code is safe Rust; an instrumented build is
#                   faster and finds the panics and overflows that matter) or address
#   FUZZ_NO_BUILD   set to run the binaries already built
#
# New inputs found are added to corpus/<target> (kept between runs; only the seed-*
# files are committed); a crash is written to artifacts/<target>/ and the run fails
# after every target has had its turn. Logs: logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
targets=${FUZZ_TARGETS:-"exif photo accidents hazard_import rules multipart"}
# Debug assertions and overflow checks, so an arithmetic overflow is a crash.
if [[ -z "${FUZZ_NO_BUILD:-}" ]]; then
  cargo +nightly fuzz build --sanitizer "$sanitizer" --debug-assertions
fi
# The binaries are run directly, not through `cargo fuzz run`, which would build again
# before each target whenever a source file changed meanwhile.
bin=target/$(rustc -vV | sed -n 's/^host: //p')/release
mkdir -p logs
failed=()
summary=()
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  echo "== $t: ${seconds}s"
  # One worker: the machine's cores are shared. rss/timeout: a slow or hungry input
  # is a finding too.
  if "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"logs/$t.log" 2>&1; then
    status=ok
  else
    status=CRASH
    failed+=("$t")
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo '?')
  last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
  corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' <<<"$last" | cut -d' ' -f2 || echo '?')
  summary+=("$(printf '%-14s %-6s execs %-10s cov %-6s ft %-6s corpus %s' "$t" "$status" "$execs" "$cov" "$ft" "$corp")")
done
echo
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "crashed: ${failed[*]} (inputs under artifacts/, logs under logs/)" >&2
  exit 1
fi
