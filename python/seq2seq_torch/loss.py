"""The training objective of src/model/loss.ts: cross-entropy over the real target tokens with
optional label smoothing ((1 - e) * nll + e * mean over the vocabulary of -log p), as sums, so that
processes can add their parts before dividing by the whole batch's token count."""
import torch.nn.functional as F


def token_loss_sum(logits, targets, label_smoothing=0.0):
    """(sum of per-token losses, number of correctly predicted tokens) of logits [N,V] against targets [N]."""
    loss = F.cross_entropy(logits.float(), targets, reduction="sum", label_smoothing=label_smoothing)
    correct = (logits.argmax(-1) == targets).sum()
    return loss, correct
