#!/usr/bin/env bash
# Risk model benchmark: fit + score of every enterprise of the 2015 OSHA file and of a
# synthetic province (100,000 enterprises, 1,000,000 accidents), release build, with
# wall time and peak memory; then the same Poisson GLM fitted by statsmodels and
# scikit-learn on the same design matrix (venv under target/bench-venv), with the time
# ratio and the largest coefficient difference.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p zhicha-api --bin zhicha
bin=target/release/zhicha
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import statsmodels, sklearn' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy scipy statsmodels scikit-learn
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

run() { # label, then zhicha engine bench arguments
  local label=$1; shift
  /usr/bin/time -f 'peak_rss_kb=%M wall_s=%e' "$bin" engine bench --design-out "$tmp/$label.csv" "$@" >"$tmp/$label.out" 2>"$tmp/$label.time"
  local rss wall
  rss=$(grep -oE 'peak_rss_kb=[0-9]+' "$tmp/$label.time" | cut -d= -f2)
  wall=$(grep -oE 'wall_s=[0-9.]+' "$tmp/$label.time" | cut -d= -f2)
  echo "$label: end to end ${wall}s (process), peak RSS $((rss / 1024)) MiB; $(head -n 1 "$tmp/$label.out")"
  local fit_s coef
  fit_s=$(grep -oE 'fit_s=[0-9.e-]+' "$tmp/$label.out" | cut -d= -f2)
  coef=$(grep -oE 'coef=\[.*\]' "$tmp/$label.out" | cut -d= -f2)
  "$venv/bin/python" bench/engine_glm.py "$tmp/$label.csv" "$fit_s" "$coef" "$label"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(uname -sr)"
run osha-2015 --accidents ../shared/data/osha_severe_injury_2015.csv --profile osha-sir
run province --synthetic 100000:1000000
