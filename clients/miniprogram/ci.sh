#!/usr/bin/env bash
# The generated TypeScript client as a check that openapi.yaml serves client generators:
# install the pinned packages, generate src/schema.d.ts from ../../openapi.yaml and type-check
# the loop against it. With a base URL (a running server with the demo city), also build
# and run the safety officer's loop against it.
#
#   bash clients/miniprogram/ci.sh [BASE_URL]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

npm ci --no-audit --no-fund
npm run check

if [ -n "${1:-}" ]; then
  npm run build
  node dist/loop.js "$1"
fi
