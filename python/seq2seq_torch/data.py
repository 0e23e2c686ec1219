"""
Batches for one process: a DistributedSampler deals this process its share of the pairs (a new
shuffle each epoch through set_epoch; every share the same size), then the share is cut into
length buckets as the engine's makeBatches does (chunks of 50 batches sorted by length, batches in
shuffled order), so padding stays small and every process takes the same number of steps.
"""
import random

import numpy as np
import torch
from torch.utils.data.distributed import DistributedSampler

from .vocab import BOS, EOS


def process_batches(lengths, batch, seed, epoch, world=1, rank=0):
    """This process's batches (lists of example indices) for one epoch. lengths: [(src len, tgt len)]."""
    sampler = DistributedSampler(range(len(lengths)), num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=False)
    sampler.set_epoch(epoch)
    order = list(sampler)
    chunk = batch * 50
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: lengths[i])
        batches.extend(part[b:b + batch] for b in range(0, len(part), batch))
    random.Random((seed * 1000003 + epoch * 7919 + rank) & 0xFFFFFFFF).shuffle(batches)
    return batches


def steps_per_epoch(n, batch, world):
    per_process = -(-n // world)
    return -(-per_process // batch)


def is_open(example):
    """A generation chunk before the end of its file: (src, tgt, True, ...)."""
    return len(example) > 2 and example[2] is True


def target_tokens(example):
    """The tokens an example's loss counts: its target, and </s> unless it is open."""
    return len(example[1]) + (0 if is_open(example) else 1)


def pad_batch(examples, idx, device="cpu"):
    """(src [S,B], src lengths [B] on the CPU, tgt_in [T,B] = <s> y, tgt_out [T,B] = y </s>, target tokens).

    examples[i] is (src, tgt[, open, ...]); an open example (a generation chunk before the end of its
    file) learns no </s>: its tgt_out ends in padding, as the engine's batches do.
    """
    B = len(idx)
    S = max(1, max(len(examples[i][0]) for i in idx))
    T = max(len(examples[i][1]) for i in idx) + 1
    src = np.zeros((S, B), dtype=np.int64)
    tgt_in = np.zeros((T, B), dtype=np.int64)
    tgt_out = np.zeros((T, B), dtype=np.int64)
    lens = np.zeros(B, dtype=np.int64)
    tokens = 0
    for b, i in enumerate(idx):
        s, t = examples[i][0], examples[i][1]
        src[:len(s), b] = s
        lens[b] = len(s)
        tgt_in[0, b] = BOS
        tgt_in[1:len(t) + 1, b] = t
        tgt_out[:len(t), b] = t
        if not is_open(examples[i]):
            tgt_out[len(t), b] = EOS
        tokens += target_tokens(examples[i])
    as_t = lambda a: torch.from_numpy(a).to(device)
    return as_t(src), torch.from_numpy(lens), as_t(tgt_in), as_t(tgt_out), tokens
