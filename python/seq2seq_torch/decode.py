"""
Greedy decoding with PyTorch from one of our model folders, on inputs given as source ids (Python
does not tokenise; the engine's `model.source.encode` gives the ids):

  python -m seq2seq_torch.decode --model DIR [--input FILE] [--max-len N] [--log-probs] [--batch 64]

Each input line is a JSON array of source ids; each output line is a JSON object
{"ids": [...], "log_prob": x} (ids end with </s> when it was produced), plus "log_probs", the full
log-probability row of every step, with --log-probs.
"""
import argparse
import json
import sys

import torch

from .model_io import load_model
from .search import greedy, pad_sources


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m seq2seq_torch.decode", description=__doc__.strip().split("\n\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--input", help="JSON lines of source id arrays (default: stdin)")
    p.add_argument("--max-len", type=int, default=None, help="longest output (default: train.maxLen + 2, as the engine's eval)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--log-probs", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, cfg, _ = load_model(args.model)
    max_len = args.max_len or cfg["settings"]["train"]["maxLen"] + 2
    src_max = 4 * cfg["settings"]["train"]["maxLen"]  # the engine's encodeSources cut
    if args.input:
        with open(args.input, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        lines = sys.stdin.read().splitlines()
    seqs = []
    for n, line in enumerate(lines, 1):
        try:
            ids = json.loads(line)
        except json.JSONDecodeError:
            raise SystemExit(f"{args.input or 'stdin'}: line {n} is not JSON (expected an array of source ids)")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise SystemExit(f"{args.input or 'stdin'}: line {n} is not an array of whole numbers")
        seqs.append(ids[:src_max])
    # Sorted by length into batches, as the engine's decodeAll does; results in input order.
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    results = [None] * len(seqs)
    for i in range(0, len(order), args.batch):
        idx = order[i:i + args.batch]
        src, lens = pad_sources([seqs[j] for j in idx])
        r = greedy(model, src, lens, max_len, keep_log_probs=args.log_probs)
        for k, j in enumerate(idx):
            row = {"ids": r["ids"][k], "log_prob": r["log_prob"][k]}
            if args.log_probs:
                row["log_probs"] = r["log_probs"][k].tolist()
            results[j] = row
    out = sys.stdout
    for row in results:
        out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
