#!/usr/bin/python3
"""
PyTorch reference for `npm run bench` (bench/run.ts): the same encoder-decoder as Seq2Seq Studio's
engine (by default `cell lstm, layers 1, emb 64, hidden 256, bidirectional false, attention none,
dropout 0`; any of our RNN architectures with --model-settings JSON, as run.ts passes them), trained on
the same data in the same order, and decoded greedily and with beam 5.

Run it with Debian's interpreter (python3-torch 1.13 + libopenblas0-pthread):

  /usr/bin/python3 bench/pytorch_ref.py train  --steps 50 [--warmup 3] [--threads 2] [--data FILE] [--model-settings JSON] [--lr X]
  /usr/bin/python3 bench/pytorch_ref.py greedy [--model DIR] [--n 1000] [--max-len 20]
  /usr/bin/python3 bench/pytorch_ref.py beam5  [--model DIR] [--n 1000] [--max-len 20]
  /usr/bin/python3 bench/pytorch_ref.py decode [--model DIR] ...   (greedy + beam5 + one-line latency, one process)
  /usr/bin/python3 bench/pytorch_ref.py blas                        (which BLAS, 1024^3 matmul GFLOP/s)

Every mode prints one JSON object on stdout.

What is replicated from the engine (src/model/), so that both sides do the same work:
- data: `source<TAB>target`, trimmed; source = characters, target = whitespace-separated tokens;
  vocabularies with ids 0-3 = <pad> <s> </s> <unk>, then tokens by frequency (ties: first seen);
  pairs longer than 64 tokens on either side dropped (train.maxLen).
- order: makeBatches() with the same mulberry32 generator and seed (seed 1, epoch 0): shuffle, chunks
  of 50 batches sorted by (source length, target length), batches shuffled. padBatch(): time-major,
  source padded to the batch's longest source, target to its longest target + 1 (<s> y / y </s>).
  The (B, S, T) of every step is fingerprinted so run.ts can check that both sides saw the same batches.
- model: the package python/seq2seq_torch (our one PyTorch definition of the engine's models) with
  the given settings; by default embedding 64 -> LSTM 256 encoder (padding masked: packed sequence) ->
  its final (h, c) initialise the LSTM 256 decoder (teacher forcing) -> output layer on the real target
  tokens only (as the engine); dropout where the settings have it (PyTorch's own masks); mean
  cross-entropy over real target tokens; Adam lr 0.002 (betas 0.9/0.999, eps 1e-8); gradient-norm
  clipping at 5 (the engine's default clipNorm).
- decoding: inputs sorted by length and batched like translate() (greedy: 64 inputs per batch;
  beam 5: 51 inputs x 5 beams = 255 rows per batch, i.e. beam search batched over inputs);
  beam search with the GNMT length penalty ((5+len)/6)^0.6, finished when 5 hypotheses have ended
  (the engine's rule; seq2seq_torch.search). With --model DIR the weights are read from one of our
  model folders by seq2seq_torch (its weight mapping), so both sides decode with identical weights
  and produce (nearly) identical outputs and lengths.

run.ts works out the matrix-multiply FLOPs of the batches (the same for both sides) from their shapes.
"""
import argparse
import json
import os
import re
import resource
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - reported to run.ts, which prints install instructions
    print(json.dumps({"error": "torch-missing", "hint": "apt-get install python3-torch libopenblas0-pthread"}))
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from seq2seq_torch.architectures import build_model  # noqa: E402
from seq2seq_torch.model_io import load_model  # noqa: E402
from seq2seq_torch.search import beam, greedy  # noqa: E402
from seq2seq_torch.vocab import BOS, EOS, PAD, SPECIALS, UNK  # noqa: E402

DEFAULT_TRAIN = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "cmudict-g2p", "train.tsv"))
DEFAULT_DEV = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "cmudict-g2p", "dev.tsv"))
M32 = 0xFFFFFFFF


# ---- the engine's data pipeline, line for line ---------------------------------------------------

def read_pairs(path):
    pairs = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            line = line.rstrip("\n").rstrip("\r")
            if i == 0 and line.startswith("\ufeff"):
                line = line[1:]
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) < 2:
                continue
            s, t = cols[0].strip(), cols[1].strip()
            if s and t:
                pairs.append((s, t))
    return pairs


def src_tokens(s):
    return list(s)


def tgt_tokens(t):
    return t.split()


def build_vocab(token_lists):
    counts = {}
    for toks in token_lists:
        for tok in toks:
            counts[tok] = counts.get(tok, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first appearance
    tokens = SPECIALS + [t for t, _ in ranked]
    return tokens, {t: i for i, t in enumerate(tokens)}


def imul(a, b):
    return (a * b) & M32


def mulberry32(seed):
    state = [seed & M32]

    def random():
        state[0] = (state[0] + 0x6D2B79F5) & M32
        t = state[0]
        t = imul(t ^ (t >> 15), t | 1)
        t = t ^ ((t + imul(t ^ (t >> 7), t | 61)) & M32)
        return ((t ^ (t >> 14)) & M32) / 4294967296.0

    return random


def shuffle_in_place(arr, random):
    for i in range(len(arr) - 1, 0, -1):
        j = int(random() * (i + 1))
        arr[i], arr[j] = arr[j], arr[i]
    return arr


def make_batches(examples, batch_size, seed, epoch):
    random = mulberry32((seed * 1000003 + epoch * 7919) & M32)
    order = shuffle_in_place(list(range(len(examples))), random)
    chunk = batch_size * 50
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: (len(examples[i][0]), len(examples[i][1])))
        for b in range(0, len(part), batch_size):
            batches.append(part[b:b + batch_size])
    return shuffle_in_place(batches, random)


def pad_batch(examples, idx):
    B = len(idx)
    S = max(1, max(len(examples[i][0]) for i in idx))
    T = max(len(examples[i][1]) for i in idx) + 1
    src = torch.zeros((S, B), dtype=torch.long)
    tgt_in = torch.zeros((T, B), dtype=torch.long)
    tgt_out = torch.zeros((T, B), dtype=torch.long)
    lens = torch.zeros(B, dtype=torch.long)
    tokens = 0
    for b, i in enumerate(idx):
        s, t = examples[i]
        src[:len(s), b] = torch.tensor(s, dtype=torch.long)
        lens[b] = len(s)
        tgt_in[0, b] = BOS
        if t:
            tgt_in[1:len(t) + 1, b] = torch.tensor(t, dtype=torch.long)
            tgt_out[:len(t), b] = torch.tensor(t, dtype=torch.long)
        tgt_out[len(t), b] = EOS
        tokens += len(t) + 1
    return src, lens, tgt_in, tgt_out, tokens, (B, S, T)


def fingerprint(shapes):
    """FNV-1a over the (B, S, T) of every step: equal on both sides when the batches are the same."""
    h = 0x811C9DC5
    for shape in shapes:
        for x in shape:
            h = ((h ^ x) * 0x01000193) & M32
    return "%08x" % h


# ---- the model: seq2seq_torch with the bench's settings -------------------------------------------

def model_settings(args):
    """--model-settings JSON (the engine's ModelSettings), or the default bench model."""
    if args.model_settings:
        return json.loads(args.model_settings)
    return {"cell": "lstm", "layers": 1, "bidirectional": False, "emb": args.emb, "hidden": args.hidden, "attention": "none", "dropout": 0.0}


def load_engine_model(model_dir):
    """Our model folder -> (model with the same weights, source index, target tokens, model settings)."""
    model, cfg, toks = load_model(model_dir)
    src_index = {t: i for i, t in enumerate(toks["source"]["tokens"])}
    return model, src_index, toks["target"]["tokens"], cfg["settings"]["model"]


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def mapped_blas():
    """The BLAS/LAPACK libraries this process has mapped (call after a matmul), and their kind."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if any(k in path.lower() for k in ("blas", "lapack", "mkl")):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    names = sorted(libs)
    kind = "openblas" if any("openblas" in p for p in names) else ("mkl" if any("mkl" in p for p in names) else ("reference" if names else "unknown"))
    return kind, names


def blas_info():
    """Which BLAS library the process really mapped (the Debian alternatives link decides), and its speed."""
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    torch.mm(a, b)
    kind, names = mapped_blas()
    reps = 8
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    dt = time.perf_counter() - t0
    return {
        "blas": kind,
        "blas_libraries": names,
        "build_blas_info": (re.search(r"BLAS_INFO=(\w+)", torch.__config__.show()) or [None, None])[1],
        "matmul_1024_gflops": round(reps * 2 * 1024 ** 3 / dt / 1e9, 1),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }


# ---- modes --------------------------------------------------------------------------------------

def cmd_train(args):
    torch.manual_seed(args.seed)
    pairs = read_pairs(args.data)
    src_lists = [src_tokens(s) for s, _ in pairs]
    tgt_lists = [tgt_tokens(t) for _, t in pairs]
    _, src_index = build_vocab(src_lists)
    tgt_vocab, tgt_index = build_vocab(tgt_lists)
    examples = []
    for s, t in zip(src_lists, tgt_lists):
        if len(s) > args.max_len or len(t) > args.max_len:
            continue
        examples.append(([src_index.get(c, UNK) for c in s], [tgt_index.get(c, UNK) for c in t]))
    V = len(tgt_vocab)
    model = build_model(model_settings(args), len(src_index), V)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    batches = make_batches(examples, args.batch, args.seed, 0)
    total = args.warmup + args.steps
    if total > len(batches):
        raise SystemExit(f"pytorch_ref.py: only {len(batches)} batches in one epoch; ask for fewer steps")
    shapes, samples, tokens, losses = [], 0, 0, []
    step_ms = []
    t_start = None
    for k in range(total):
        if k == args.warmup:
            t_start = time.perf_counter()
            cpu_start = cpu_seconds()
        t0 = time.perf_counter()
        src, lens, tgt_in, tgt_out, ntok, shape = pad_batch(examples, batches[k])
        logits, targets = model(src, lens, tgt_in, tgt_out)
        loss = F.cross_entropy(logits, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(trainable, args.clip)
        opt.step()
        lv = loss.item()
        if k >= args.warmup:
            step_ms.append((time.perf_counter() - t0) * 1000)
            B, S, T = shape
            shapes.append(shape)
            samples += B
            tokens += ntok
            losses.append(lv)
    secs = time.perf_counter() - t_start
    cpu = cpu_seconds() - cpu_start
    out = {
        "blas": mapped_blas()[0],
        "cpu_per_wall": cpu / secs,
        "impl": "pytorch",
        "steps": args.steps,
        "warmup": args.warmup,
        "threads": torch.get_num_threads(),
        "samples_per_s": samples / secs,
        "target_tokens_per_s": tokens / secs,
        "ms_per_step": secs * 1000 / args.steps,
        "ms_per_step_median": statistics.median(step_ms),
        "peak_rss_mb": peak_rss_mb(),
        "first_loss": losses[0],
        "last_loss": losses[-1],
        "target_vocab": V,
        "batches_fingerprint": fingerprint(shapes),
        "padded_src_tokens": sum(B * S for B, S, _ in shapes),
        "padded_tgt_tokens": sum(B * T for B, _, T in shapes),
    }
    print(json.dumps(out))


def decode_inputs(args):
    pairs = read_pairs(args.dev)[: args.n]
    return [s for s, _ in pairs]


def model_for_decoding(args):
    if args.model:
        model, src_index, tgt_vocab, _ = load_engine_model(args.model)
        return model, src_index, tgt_vocab, "engine-weights"
    torch.manual_seed(args.seed)
    pairs = read_pairs(args.data)
    _, src_index = build_vocab([src_tokens(s) for s, _ in pairs])
    tgt_vocab, _ = build_vocab([tgt_tokens(t) for _, t in pairs])
    return build_model(model_settings(args), len(src_index), len(tgt_vocab)), src_index, tgt_vocab, "random"


def encode_batch(texts, src_index, max_len=64):
    seqs = [[src_index.get(c, UNK) for c in src_tokens(t)][:max_len] or [PAD] for t in texts]
    S = max(len(s) for s in seqs)
    src = torch.zeros((S, len(seqs)), dtype=torch.long)
    for b, s in enumerate(seqs):
        src[:len(s), b] = torch.tensor(s, dtype=torch.long)
    lens = torch.tensor([max(1, len(s)) for s in seqs], dtype=torch.long)
    return src, lens


def greedy_batch(model, texts, src_index, max_len):
    src, lens = encode_batch(texts, src_index)
    return greedy(model, src, lens, max_len)["ids"]


def beam_batch(model, texts, src_index, max_len, K=5, alpha=0.6):
    src, lens = encode_batch(texts, src_index)
    return beam(model, src, lens, max_len, K, alpha)


def run_decoding(model, texts, src_index, tgt_vocab, strategy, max_len):
    """translate()'s batching: inputs sorted by length, 64 per batch (beam: 51 inputs x 5 beams)."""
    batch = 64 if strategy == "greedy" else max(8, 256 // 5)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outputs = [None] * len(texts)
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            chunk = [texts[j] for j in idx]
            res = greedy_batch(model, chunk, src_index, max_len) if strategy == "greedy" else beam_batch(model, chunk, src_index, max_len)
            for j, ids in zip(idx, res):
                outputs[j] = ids
    secs = time.perf_counter() - t0
    lengths = []
    texts_out = []
    for ids in outputs:
        toks = []
        for i in ids:
            if i == EOS:
                break
            toks.append(tgt_vocab[i])
        lengths.append(len(toks))
        texts_out.append(" ".join(toks))
    return {
        "ms_per_input": secs * 1000 / len(texts),
        "inputs": len(texts),
        "batch": batch,
        "mean_output_tokens": sum(lengths) / len(lengths),
        "outputs": texts_out,
        "peak_rss_mb": peak_rss_mb(),  # the process's peak so far (greedy, then beam 5, then one line)
    }


def one_line_latency(model, text, src_index, max_len, reps):
    times = []
    with torch.no_grad():
        for _ in range(5):  # untimed warm-up, as run.ts does for ours
            beam_batch(model, [text], src_index, max_len)
        for _ in range(reps):
            t0 = time.perf_counter()
            beam_batch(model, [text], src_index, max_len)
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def cmd_decode(args, which):
    model, src_index, tgt_vocab, weights = model_for_decoding(args)
    model.eval()
    texts = decode_inputs(args)
    out = {"impl": "pytorch", "weights": weights, "threads": torch.get_num_threads(), "max_len": args.max_len}
    # One untimed pass over a batch warms the allocator and kernels, as run.ts does for ours.
    with torch.no_grad():
        greedy_batch(model, texts[:64], src_index, args.max_len)
        if which == "beam5":
            beam_batch(model, texts[:8], src_index, args.max_len)
    if which in ("greedy", "decode"):
        out["greedy"] = run_decoding(model, texts, src_index, tgt_vocab, "greedy", args.max_len)
    if which in ("beam5", "decode"):
        out["beam5"] = run_decoding(model, texts, src_index, tgt_vocab, "beam5", args.max_len)
    if which == "decode":
        out["single_line_beam5_ms"] = one_line_latency(model, args.line, src_index, args.max_len, args.reps)
        out["single_line_peak_rss_mb"] = peak_rss_mb()
    if not args.outputs:
        for k in ("greedy", "beam5"):
            if k in out:
                out[k].pop("outputs")
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["train", "greedy", "beam5", "decode", "blas"])
    p.add_argument("--data", default=DEFAULT_TRAIN)
    p.add_argument("--dev", default=DEFAULT_DEV)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--emb", type=int, default=64)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--model-settings", dest="model_settings", default=None, help="the engine's model settings as JSON (overrides --emb/--hidden)")
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-len", type=int, default=20, help="decoding: longest output in tokens")
    p.add_argument("--train-max-len", dest="max_len_train", type=int, default=64)
    p.add_argument("--model", default=None, help="decode with the weights of one of our model folders")
    p.add_argument("--n", type=int, default=1000, help="dev inputs to decode")
    p.add_argument("--line", default="supercalifragilistic", help="the one input for interactive latency")
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--outputs", action="store_true", help="include decoded texts in the JSON")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.mode == "blas":
        print(json.dumps(blas_info()))
    elif args.mode == "train":
        args.max_len = args.max_len_train
        cmd_train(args)
    else:
        cmd_decode(args, args.mode)


if __name__ == "__main__":
    main()
