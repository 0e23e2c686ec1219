#!/usr/bin/python3
"""
PyTorch reference for the Transformer section of `npm run bench` (bench/transformer.ts): the engine's
Transformer (bench/transformer_torch.py: torch.nn.TransformerEncoderLayer / DecoderLayer with
norm_first=True, weights mapped one to one) trained on the same CMUdict batches in the same order as
ours, and decoded greedily and with beam 5 from one of our model folders with a key/value cache.

  /usr/bin/python3 bench/pytorch_transformer.py train  --steps 40 [--warmup 5] [--threads 1] [--d-model 256 ...]
  /usr/bin/python3 bench/pytorch_transformer.py decode --model DIR [--n 1000] [--max-len 20] [--outputs]
  /usr/bin/python3 bench/pytorch_transformer.py logprobs --model DIR --input FILE   (per-step greedy log-probabilities, for parity checks)

Every mode prints one JSON object on stdout. Data, vocabularies, batch order and padding are
pytorch_ref.py's re-implementation of the engine's (same mulberry32 order; the (B, S, T) of every
step is fingerprinted so bench/transformer.ts can check both sides saw the same batches).

Training: masked mean cross-entropy with label smoothing 0.1 over the real target tokens
(F.cross_entropy(ignore_index=pad, label_smoothing=0.1): the engine's formula), Adam betas (0.9, 0.98),
eps 1e-8, the warm-up + inverse-square-root schedule, gradient-norm clipping at 5.
GFLOP/s counts the matrix multiplies of the real padded shapes (transformer_flops below; the same
formula as bench/transformer.ts).
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

import pytorch_ref as ref  # noqa: E402  the engine's data pipeline, line for line
from transformer_torch import BOS, EOS, PAD, TransformerSeq2Seq  # noqa: E402


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
    model = TransformerSeq2Seq.from_settings(model_settings(args), len(src_index), V)
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


# ---- decoding ---------------------------------------------------------------------------------------

def read_folder(model_dir):
    """(TransformerSeq2Seq with the folder's weights, source index, target tokens)."""
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(model_dir, "tokenizers.json"), encoding="utf-8") as f:
        toks = json.load(f)
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    weights = {}
    for group in manifest["weightsManifest"]:
        blob = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        flat = torch.frombuffer(bytearray(blob), dtype=torch.float32)
        off = 0
        for spec in group["weights"]:
            n = 1
            for x in spec["shape"]:
                n *= x
            weights[spec["name"]] = flat[off:off + n].reshape(spec["shape"]).clone()
            off += n
    m = cfg["settings"]["model"]
    if m.get("arch") != "transformer":
        raise SystemExit(f"{model_dir}: not a Transformer model folder")
    model = TransformerSeq2Seq.from_settings(m, len(toks["source"]["tokens"]), len(toks["target"]["tokens"]))
    model.load_engine(weights, model_dir)
    model.eval()
    return model, {t: i for i, t in enumerate(toks["source"]["tokens"])}, toks["target"]["tokens"], cfg["settings"]["train"]["maxLen"]


def encode_texts(texts, src_index, max_len):
    seqs = [[src_index.get(c, ref.UNK) for c in ref.src_tokens(t)][:max_len] for t in texts]
    S = max(1, max(len(s) for s in seqs))
    src = torch.zeros((S, len(seqs)), dtype=torch.long)
    for b, s in enumerate(seqs):
        if s:
            src[:len(s), b] = torch.tensor(s, dtype=torch.long)
    return src


@torch.no_grad()
def greedy(model, src, max_len, keep_log_probs=False):
    state = model.encode(src)
    B = src.shape[1]
    prev = torch.full((B,), BOS, dtype=torch.long)
    alive = torch.ones(B, dtype=torch.bool)
    outs = [[] for _ in range(B)]
    rows = [[] for _ in range(B)]
    for _ in range(max_len):
        lp, state = model.step(prev, state)
        nxt = lp.argmax(-1)
        nl, al = nxt.tolist(), alive.tolist()
        for b in range(B):
            if al[b]:
                outs[b].append(nl[b])
                if keep_log_probs:
                    rows[b].append(lp[b].tolist())
        nxt = torch.where(alive, nxt, torch.full_like(nxt, EOS))
        alive = alive & (nxt != EOS)
        prev = nxt
        if not bool(alive.any()):
            break
    return outs, rows


@torch.no_grad()
def beam(model, src, max_len, K=5, alpha=0.6):
    """Beam search batched over inputs, the engine's rules (pytorch_ref.beam_batch), with the caches reordered."""
    B = src.shape[1]
    state = model.tile(model.encode(src), torch.arange(B).repeat_interleave(K))
    beams = [[([], 0.0 if k == 0 else float("-inf")) for k in range(K)] for _ in range(B)]
    finished = [[] for _ in range(B)]
    done = [False] * B
    prev = torch.full((B * K,), BOS, dtype=torch.long)
    for step in range(max_len):
        lp, state = model.step(prev, state)
        V = lp.shape[1]
        base = torch.tensor([[h[1] for h in beams[b]] for b in range(B)])
        cand = (base.unsqueeze(-1) + lp.view(B, K, V)).view(B, K * V)
        top_lp, top_idx = cand.topk(2 * K, dim=1)
        top_lp, top_idx = top_lp.tolist(), top_idx.tolist()
        reorder = list(range(B * K))
        nxt = [EOS] * (B * K)
        last = step == max_len - 1
        for b in range(B):
            if done[b]:
                continue
            new = []
            for score, flat in zip(top_lp[b], top_idx[b]):
                if len(new) >= K or score == float("-inf"):
                    break
                k, v = divmod(flat, V)
                ids = beams[b][k][0] + [v]
                if v == EOS or last:
                    finished[b].append((ids, score, score / ref.length_penalty(len(ids), alpha)))
                    if len(finished[b]) >= K:
                        break
                    continue
                reorder[b * K + len(new)] = b * K + k
                nxt[b * K + len(new)] = v
                new.append((ids, score))
            while len(new) < K:
                new.append(([], float("-inf")))
            beams[b] = new
            if len(finished[b]) >= K or all(s == float("-inf") for _, s in new):
                done[b] = True
        if all(done):
            break
        state = model.reorder(state, torch.tensor(reorder, dtype=torch.long))
        prev = torch.tensor(nxt, dtype=torch.long)
    out = []
    for b in range(B):
        hyps = finished[b] or [(ids, s, s / ref.length_penalty(len(ids), alpha)) for ids, s in beams[b] if s > float("-inf")]
        out.append(max(hyps, key=lambda x: x[2])[0])
    return out


def run_decoding(model, texts, src_index, tgt_vocab, strategy, max_len, src_max):
    batch = 64 if strategy == "greedy" else max(8, 256 // 5)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outputs = [None] * len(texts)
    t0 = time.perf_counter()
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        src = encode_texts([texts[j] for j in idx], src_index, src_max)
        res = greedy(model, src, max_len)[0] if strategy == "greedy" else beam(model, src, max_len)
        for j, ids in zip(idx, res):
            outputs[j] = ids
    secs = time.perf_counter() - t0
    texts_out, lengths = [], []
    for ids in outputs:
        toks = [tgt_vocab[i] for i in (ids[:ids.index(EOS)] if EOS in ids else ids)]
        lengths.append(len(toks))
        texts_out.append(" ".join(toks))
    return {"ms_per_input": secs * 1000 / len(texts), "inputs": len(texts), "batch": batch,
            "mean_output_tokens": sum(lengths) / len(lengths), "outputs": texts_out}


def cmd_decode(args):
    model, src_index, tgt_vocab, train_max = read_folder(args.model)
    texts = [s for s, _ in ref.read_pairs(args.dev)[: args.n]]
    src_max = 4 * train_max
    out = {"impl": "pytorch", "kv_cache": True, "threads": torch.get_num_threads(), "max_len": args.max_len}
    greedy(model, encode_texts(texts[:64], src_index, src_max), args.max_len)  # untimed warm-up
    beam(model, encode_texts(texts[:8], src_index, src_max), args.max_len)
    out["greedy"] = run_decoding(model, texts, src_index, tgt_vocab, "greedy", args.max_len, src_max)
    out["beam5"] = run_decoding(model, texts, src_index, tgt_vocab, "beam5", args.max_len, src_max)
    times = []
    for r in range(5 + args.reps):
        t0 = time.perf_counter()
        beam(model, encode_texts([args.line], src_index, src_max), args.max_len)
        if r >= 5:
            times.append((time.perf_counter() - t0) * 1000)
    out["single_line_beam5_ms"] = statistics.median(times)
    if not args.outputs:
        for k in ("greedy", "beam5"):
            out[k].pop("outputs")
    out["peak_rss_mb"] = ref.peak_rss_mb()
    print(json.dumps(out))


def cmd_logprobs(args):
    model, src_index, tgt_vocab, train_max = read_folder(args.model)
    with open(args.input, encoding="utf-8") as f:
        texts = [l.rstrip("\n") for l in f if l.strip()]
    outs, rows = greedy(model, encode_texts(texts, src_index, 4 * train_max), args.max_len, keep_log_probs=True)
    print(json.dumps({"ids": outs, "log_probs": rows}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["train", "decode", "logprobs"])
    p.add_argument("--data", default=ref.DEFAULT_TRAIN)
    p.add_argument("--dev", default=ref.DEFAULT_DEV)
    p.add_argument("--steps", type=int, default=40)
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
    p.add_argument("--max-len", type=int, default=20, help="decoding: longest output in tokens")
    p.add_argument("--train-max-len", dest="train_max_len", type=int, default=64)
    p.add_argument("--model", default=None)
    p.add_argument("--input", default=None)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--line", default="supercalifragilistic")
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--outputs", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.mode == "train":
        args.max_len = args.train_max_len
        cmd_train(args)
    elif args.mode == "decode":
        cmd_decode(args)
    else:
        cmd_logprobs(args)


if __name__ == "__main__":
    main()
