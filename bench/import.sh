#!/usr/bin/env bash
# Import throughput and peak memory of the real accident files, release build, on a
# fresh SQLite database (and on PostgreSQL when BENCH_PG_URL is set).
# Prints one line per run: file, backend, rows, seconds, rows/s, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p zhicha-api --bin zhicha
bin=target/release/zhicha
data=../shared/data
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

run() { # backend url profile file
  local out
  out=$( { /usr/bin/time -f 'peak_rss_kb=%M elapsed=%e' env DATABASE_URL="$2" "$bin" import accidents --profile "$3" "$4" >"$tmp/out" ; } 2>&1 | tail -n 1)
  local rows secs
  rows=$(grep -oE '[0-9]+ rows read' "$tmp/out" | cut -d' ' -f1)
  secs=$(echo "$out" | sed -E 's/.*elapsed=([0-9.]+).*/\1/')
  printf '%-34s %-9s rows=%-6s total=%5ss rows/s=%-7s %s\n' "$(basename "$4")" "$1" "$rows" "$secs" \
    "$(awk -v r="$rows" -v s="$secs" 'BEGIN{printf "%.0f", r/s}')" "$(echo "$out" | cut -d' ' -f1)"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(uname -sr)"
for f in osha-sir:osha_severe_injury_2015.csv msha:msha_accidents_sample_2000.csv; do
  rm -f "$tmp/b.db"
  run sqlite "sqlite://$tmp/b.db?mode=rwc" "${f%%:*}" "$data/${f#*:}"
  run sqlite-re "sqlite://$tmp/b.db?mode=rwc" "${f%%:*}" "$data/${f#*:}"
done
if [ -n "${BENCH_PG_URL:-}" ]; then
  db="bench_$(date +%s)"
  psql "$BENCH_PG_URL" -qc "create database $db"
  url="${BENCH_PG_URL%/*}/$db"
  run postgres "$url" osha-sir "$data/osha_severe_injury_2015.csv"
  run pg-re "$url" osha-sir "$data/osha_severe_injury_2015.csv"
  psql "$BENCH_PG_URL" -qc "drop database $db with (force)"
fi
