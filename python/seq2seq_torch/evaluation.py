"""Dev scores of one process's share of the dev pairs, as sums (see metrics.py) for one all-reduce:
teacher-forced loss and accuracy, then greedy outputs against the references by PER/WER and BLEU/chrF."""
import math

import torch

from . import metrics
from .data import pad_batch
from .loss import token_loss_sum
from .search import greedy, pad_sources
from .vocab import detokenize, ids_to_tokens

N_SUMS = 4 + 4 + 2 + 2 * metrics.BLEU_ORDER + 3 * metrics.CHRF_ORDER


@torch.no_grad()
def dev_sums(model, dev, decode_count, max_len, target_vocab, batch, device, world=1, rank=0):
    """(sums, samples). dev: [(src, tgt, open, source text, target text)]; this process takes every world-th pair."""
    model.eval()
    mine = dev[rank::world]
    loss = correct = tokens = 0.0
    order = sorted(range(len(mine)), key=lambda i: (len(mine[i][0]), len(mine[i][1])))
    for i in range(0, len(order), batch):
        src, lens, tgt_in, tgt_out, ntok = pad_batch(mine, order[i:i + batch], device)
        logits, targets = model(src, lens, tgt_in, tgt_out)
        l, c = token_loss_sum(logits, targets)
        loss, correct, tokens = loss + l.item(), correct + c.item(), tokens + ntok
    err, bleu, chrf = [0] * 4, [0] * (2 + 2 * metrics.BLEU_ORDER), [0] * (3 * metrics.CHRF_ORDER)
    decoded = [row for k, row in enumerate(mine) if k * world + rank < decode_count]
    samples = []
    tokens_list = target_vocab["tokens"]
    order = sorted(range(len(decoded)), key=lambda i: len(decoded[i][0]))
    predictions = [None] * len(decoded)
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        src, lens = pad_sources([decoded[j][0] for j in idx], device)
        for j, ids in zip(idx, greedy(model, src, lens, max_len)["ids"]):
            predictions[j] = ids
    for (src, tgt, _open, source, target), ids in zip(decoded, predictions):
        hyp_tokens = ids_to_tokens(ids, tokens_list)
        text = detokenize(hyp_tokens, target_vocab)
        err = [a + b for a, b in zip(err, metrics.error_stats(hyp_tokens, ids_to_tokens(tgt, tokens_list)))]
        bleu = [a + b for a, b in zip(bleu, metrics.bleu_stats(text, target))]
        chrf = [a + b for a, b in zip(chrf, metrics.chrf_stats(text, target))]
        if len(samples) < 4:
            samples.append({"source": source, "reference": target, "prediction": text})
    return [loss, correct, tokens, float(len(mine))] + err + bleu + chrf, samples


def dev_metrics(sums):
    """The engine's DevMetrics record from all processes' summed dev_sums."""
    loss, correct, tokens = sums[0], sums[1], sums[2]
    err = sums[4:8]
    bleu = sums[8:8 + 2 + 2 * metrics.BLEU_ORDER]
    chrf = sums[8 + 2 + 2 * metrics.BLEU_ORDER:]
    mean_loss = loss / tokens if tokens else 0.0
    per, wer = metrics.error_rates_from_stats(err)
    return {
        "loss": mean_loss,
        "accuracy": 100 * correct / tokens if tokens else 0.0,
        "perplexity": math.exp(min(mean_loss, 50)),
        "bleu": metrics.bleu_from_stats(bleu),
        "chrf": metrics.chrf_from_stats(chrf),
        "per": per,
        "wer": wer,
    }
