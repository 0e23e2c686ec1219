#!/usr/bin/env bash
# Trains the small model the extension ships (samples/model) from the shipped sample data with our
# own CLI. Fixed epochs and seed (no time budget), so the result does not depend on machine speed.
set -euo pipefail
cd "$(dirname "$0")/.."
node esbuild.mjs
rm -rf samples/model.tmp
node dist/cli.js train --data samples/g2p-sample.tsv --out samples/model.tmp --preset fast --epochs 25 --patience 0 --seed 1 --quiet
rm -rf samples/model.tmp/checkpoint   # a shipped model is not resumed; keep the package small
rm -rf samples/model && mv samples/model.tmp samples/model
du -sh samples/model
echo hello | node dist/cli.js translate --model samples/model
