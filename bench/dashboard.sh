#!/usr/bin/env bash
# Dashboard latency on PostgreSQL with a synthetic province (ENTERPRISES=50000,
# FINDINGS=5000000, ACCIDENTS=150000 by default; the roll-up as the writes keep it): city
# summary, province summary (cold: the region's cache invalidated before each call; and
# cached) and enterprise list pages, N=100 HTTP calls each; the province's analysis
# report and the dashboard page, N_SLOW=20 cold calls and N cached. Needs ZHICHA_TEST_PG_URL (an admin
# URL; a throw-away database is made and dropped). Prints p50/p95/max.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ZHICHA_TEST_PG_URL:=postgres://postgres@127.0.0.1:5432/postgres}"
export ZHICHA_TEST_PG_URL
cargo test --release --locked -q -p zhicha-tests --test it -- --ignored --exact dashboard_bench::bench_dashboard --nocapture 2>&1 |
  grep -E '^(synthetic|machine|city|province|enterprise|analysis|dashboard)'
