#!/usr/bin/env bash
# The figures of README "Training on a cluster (PyTorch DDP)", on this machine:
#   1. training samples/s of python/seq2seq_torch on 1 process (1 and 2 threads) and on 2 processes
#      (DDP over Gloo, 1 thread each), on the CMUdict job with the default (balanced) settings;
#   2. held-out CMUdict PER/WER (dev.tsv, 5,000 words, greedy) after MINUTES of 2-process DDP training,
#      next to our engine's `seq2seq train --minutes MINUTES` on the same data and settings.
# Needs a quiet machine: about 2 x MINUTES + 5 minutes. Usage:
#   bash bench/ddp.sh [OUT_DIR]              (MINUTES=10 STEPS=400 by default; DATA=../shared/data/cmudict-g2p)
#   MINUTES=1 STEPS=60 bash bench/ddp.sh     a short check that everything runs
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-$(cd .. && pwd)/shared/data/cmudict-g2p}
MINUTES=${MINUTES:-10}
STEPS=${STEPS:-400}
OUT=${1:-$(mktemp -d /tmp/seq2seq-ddp-XXXXXX)}
PY=/usr/bin/python3
export PYTHONPATH=python
mkdir -p "$OUT"
node esbuild.mjs >/dev/null
field() { "$PY" -c "import json,sys; d=json.loads([l for l in sys.stdin.read().splitlines() if l.startswith('{')][-1]); print(d$1)"; }

echo "== job: $DATA/train.tsv (dev: 5 % held out, as seq2seq train does) -> $OUT/job"
node dist/cli.js export-job --data "$DATA/train.tsv" --out "$OUT/job"

echo "== 1. samples/s over $STEPS steps (train_samples_per_s: the steps alone, without dev evaluation)"
speed() { # folder name, label, then the command's arguments
  local dir="$OUT/speed-$1" label=$2; shift 2
  rm -rf "$dir"
  local json
  json=$("$@" "$OUT/job" --out "$dir" --max-steps "$STEPS" --max-dev-decode 100 --checkpoint-minutes 0 --quiet --json)
  printf '%-26s %8.0f samples/s\n' "$label" "$(echo "$json" | field "['train_samples_per_s']")"
}
speed 1p1t "1 process, 1 thread" "$PY" -m seq2seq_torch.train --threads 1
speed 1p2t "1 process, 2 threads" "$PY" -m seq2seq_torch.train --threads 2
speed 2p1t "2 processes x 1 thread" "$PY" -m seq2seq_torch.launch --standalone --nproc-per-node 2 -m seq2seq_torch.train --threads 1

echo "== 2. $MINUTES minutes: PyTorch DDP on 2 processes, then our engine; both scored on $DATA/dev.tsv"
rm -rf "$OUT/ddp-model" "$OUT/engine-model"
"$PY" -m seq2seq_torch.launch --standalone --nproc-per-node 2 -m seq2seq_torch.train "$OUT/job" --out "$OUT/ddp-model" --minutes "$MINUTES" --quiet --json | tail -1 > "$OUT/ddp-train.json"
node dist/cli.js train --data "$DATA/train.tsv" --out "$OUT/engine-model" --minutes "$MINUTES" --quiet --json | tail -1 > "$OUT/engine-train.json"
for m in ddp engine; do
  node dist/cli.js eval --model "$OUT/$m-model" --data "$DATA/dev.tsv" --json > "$OUT/$m-eval.json"
  printf '%-8s steps %6s  samples/s %6.0f  PER %5.2f %%  WER %5.2f %%\n' "$m" \
    "$(field "['steps']" < "$OUT/$m-train.json")" "$(field "['samples_per_s']" < "$OUT/$m-train.json")" \
    "$(field "['per']" < "$OUT/$m-eval.json")" "$(field "['wer']" < "$OUT/$m-eval.json")"
done
echo "(files in $OUT)"
