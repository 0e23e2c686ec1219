#!/usr/bin/python3
"""
PyTorch reference for the Transformer section of `npm run bench` (bench/transformer.ts): the engine's
Transformer as the package python/seq2seq_torch defines it (architectures/transformer.py:
torch.nn.TransformerEncoderLayer / DecoderLayer with norm_first=True, weights one to one with our
model folders), trained on the same CMUdict batches in the same order as ours. Decoding from one of
our model folders (same weights, a key/value cache per decoder layer) is pytorch_ref.py's `decode`
mode, which serves every architecture of the package.

  /usr/bin/python3 bench/pytorch_transformer.py train --steps 30 [--warmup 5] [--threads 1] [--d-model 256 ...]

Prints one JSON object on stdout. Data, vocabularies, batch order and padding are pytorch_ref.py's
re-implementation of the engine's (the (B, S, T) of every step is fingerprinted so transformer.ts
can check that both sides saw the same batches). Training: masked mean cross-entropy with label
smoothing over the real target tokens (F.cross_entropy(label_smoothing=...): the engine's formula),
Adam betas (0.9, 0.98), eps 1e-8, the warm-up + inverse-square-root schedule, gradient-norm clipping
at 5. GFLOP/s counts the matrix multiplies of the real padded shapes (transformer_flops below; the
same formula as bench/transformer.ts).
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - reported to transformer.ts
    print(json.dumps({"error": "torch-missing", "hint": "apt-get install python3-torch libopenblas0-pthread"}))
    sys.exit(3)

import pytorch_ref as ref  # noqa: E402  the engine's data pipeline, line for line; puts python/ on the path
from seq2seq_torch.architectures import build_model  # noqa: E402


def transformer_flops(B, S, T, d, ff, enc, dec, V):
    """Matrix-multiply FLOPs of one forward pass on a padded batch (training = 3x)."""
    enc_layer = S * (4 * d * d + 2 * d * ff) + 2 * S * S * d
    dec_layer = T * (4 * d * d + 2 * d * d + 2 * d * ff) + S * 2 * d * d + 2 * T * T * d + 2 * T * S * d
    return 2 * B * (enc * enc_layer + dec * dec_layer + T * d * V)


def model_settings(args):
    return {"dModel": args.d_model, "heads": args.heads, "ff": args.ff, "encLayers": args.enc_layers, "decLayers": args.dec_layers,
            "dropout": 0.0, "attentionDropout": 0.0, "positions": "sinusoidal", "maxPositions": 256, "tieEmbeddings": True, "activation": "relu"}


def cmd_train(args):
    torch.manual_seed(args.seed)
    pairs = ref.read_pairs(args.data)
    src_lists = [ref.src_tokens(s) for s, _ in pairs]
    tgt_lists = [ref.tgt_tokens(t) for _, t in pairs]
    _, src_index = ref.build_vocab(src_lists)
    tgt_vocab, tgt_index = ref.build_vocab(tgt_lists)
    examples = [([src_index.get(c, ref.UNK) for c in s], [tgt_index.get(c, ref.UNK) for c in t])
                for s, t in zip(src_lists, tgt_lists) if len(s) <= args.max_len and len(t) <= args.max_len]
    V = len(tgt_vocab)
    model = build_model(dict(model_settings(args), arch="transformer"), len(src_index), V)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    warm = args.warmup_steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s + 1 < warm else (warm / (s + 1)) ** 0.5)
    batches = ref.make_batches(examples, args.batch, args.seed, 0)
    total = args.warmup + args.steps
    shapes, samples, tokens, flops, losses, step_ms = [], 0, 0, 0, [], []
    t_start = cpu_start = None
    for k in range(total):
        if k == args.warmup:
            t_start, cpu_start = time.perf_counter(), ref.cpu_seconds()
        t0 = time.perf_counter()
        src, lens, tgt_in, tgt_out, ntok, shape = ref.pad_batch(examples, batches[k])
        logits, targets = model(src, lens, tgt_in, tgt_out)
        loss = F.cross_entropy(logits, targets, label_smoothing=args.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        sched.step()
        lv = loss.item()
        if k >= args.warmup:
            step_ms.append((time.perf_counter() - t0) * 1000)
            B, S, T = shape
            shapes.append(shape)
            samples += B
            tokens += ntok
            flops += 3 * transformer_flops(B, S, T, args.d_model, args.ff, args.enc_layers, args.dec_layers, V)
            losses.append(lv)
    secs = time.perf_counter() - t_start
    print(json.dumps({
        "impl": "pytorch", "blas": ref.mapped_blas()[0], "cpu_per_wall": (ref.cpu_seconds() - cpu_start) / secs,
        "steps": args.steps, "warmup": args.warmup, "threads": torch.get_num_threads(),
        "samples_per_s": samples / secs, "target_tokens_per_s": tokens / secs, "ms_per_step": secs * 1000 / args.steps,
        "ms_per_step_median": statistics.median(step_ms), "gflops": flops / secs / 1e9, "peak_rss_mb": ref.peak_rss_mb(),
        "first_loss": losses[0], "last_loss": losses[-1], "target_vocab": V, "batches_fingerprint": ref.fingerprint(shapes),
    }))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["train"])
    p.add_argument("--data", default=ref.DEFAULT_TRAIN)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ff", type=int, default=1024)
    p.add_argument("--enc-layers", type=int, default=3)
    p.add_argument("--dec-layers", type=int, default=3)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--warmup-steps", type=int, default=100)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-len", type=int, default=64, help="longest training pair in tokens (the engine's train.maxLen)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cmd_train(args)


if __name__ == "__main__":
    main()
