#!/usr/bin/env bash
# Trigger engine benchmark (issue 16): one evaluation of an enterprise holding 0, 2,000
# and 5,000 findings (plus accidents, visits, a report, a checkpoint and recorded
# escalations), release build, median of 5 in-process runs. Pure engine: no database.
#   bench/triggers.sh          this tree
#   bench/triggers.sh REV      this tree, then REV (a commit that has the benchmark,
#                              built in a temporary worktree) for a before/after
set -euo pipefail
cd "$(dirname "$0")/.."
filter=triggers::tests::scale::bench
run() { # label, crate dir, target dir
  echo "== $1"
  (cd "$2" && CARGO_TARGET_DIR="$3" cargo test -q --release -p zhicha-engine --lib "$filter" -- --ignored --nocapture 2>/dev/null) \
    | grep '^triggers:'
}
echo "machine: $(nproc) cores; $(uname -sr)"
run "this tree ($(git rev-parse --short HEAD)$(git diff --quiet -- engine || echo ', engine modified'))" . "$PWD/target"
if [ $# -ge 1 ]; then
  rev=$(git rev-parse --short "$1")
  wt=$(mktemp -d)
  trap 'git worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
  git worktree add -q --detach "$wt" "$rev"
  # Its own target directory: the shared one stays built for this tree.
  run "$rev" "$wt" "$PWD/target/bench-triggers-base"
fi
