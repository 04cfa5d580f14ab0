#!/usr/bin/env bash
# Rebuilds the vendored editor bundle from src/editor.js (run after changing
# it or upgrading CodeMirror): npm ci && bash build.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
[ -d node_modules ] || npm ci --no-audit --no-fund
node_modules/.bin/esbuild src/editor.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=eof --outfile=../../crates/cjm-server/assets/editor.bundle.js
