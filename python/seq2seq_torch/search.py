"""
Decoding, batched over inputs as src/model/search.ts does it: greedy (with the log-probabilities of
every step, for comparisons with the engine) and beam search (GNMT length penalty, an input is done
when K hypotheses have ended). Works with any architecture of architectures/.
"""
import torch

from .vocab import BOS, EOS


def pad_sources(seqs, device="cpu"):
    """Id lists -> (src [S,B] time-major, lengths [B] on the CPU); S is at least 1, as the engine pads."""
    S = max(1, max((len(s) for s in seqs), default=0))
    src = torch.zeros((S, len(seqs)), dtype=torch.long)
    for b, s in enumerate(seqs):
        if s:
            src[:len(s), b] = torch.tensor(s, dtype=torch.long)
    return src.to(device), torch.tensor([len(s) for s in seqs], dtype=torch.long)


@torch.no_grad()
def greedy(model, src, src_lens, max_len, keep_log_probs=False):
    """Greedy outputs (ids, </s> included when produced), their summed log-probability and, optionally,
    the full log-probability rows [steps, V] of each output (as float32 CPU tensors)."""
    state = model.encode(src, src_lens)
    B = src.shape[1]
    prev = torch.full((B,), BOS, dtype=torch.long, device=src.device)
    alive = [True] * B
    outs = [[] for _ in range(B)]
    scores = [0.0] * B
    rows = [[] for _ in range(B)]
    for _ in range(max_len):
        lp, state = model.step(prev, state)
        nxt = lp.argmax(-1)
        picked = lp.gather(1, nxt.unsqueeze(1)).squeeze(1).tolist()
        ids = nxt.tolist()
        lp_cpu = lp.float().cpu() if keep_log_probs else None
        for b in range(B):
            if not alive[b]:
                ids[b] = EOS
                continue
            outs[b].append(ids[b])
            scores[b] += picked[b]
            if keep_log_probs:
                rows[b].append(lp_cpu[b])
            if ids[b] == EOS:
                alive[b] = False
        if not any(alive):
            break
        prev = torch.tensor(ids, dtype=torch.long, device=src.device)
    result = {"ids": outs, "log_prob": scores}
    if keep_log_probs:
        result["log_probs"] = [torch.stack(r) if r else torch.zeros((0, 0)) for r in rows]
    return result


def length_penalty(n, alpha):
    return 1.0 if alpha == 0 else ((5 + n) / 6) ** alpha


@torch.no_grad()
def beam(model, src, src_lens, max_len, K=5, alpha=0.6):
    """The best hypothesis (ids, </s> included) of each input by beam search with width K."""
    state = model.encode(src, src_lens)
    B = src.shape[1]
    state = model.tile(state, torch.arange(B, device=src.device).repeat_interleave(K))
    beams = [[([], 0.0 if k == 0 else float("-inf")) for k in range(K)] for _ in range(B)]
    finished = [[] for _ in range(B)]
    done = [False] * B
    prev = torch.full((B * K,), BOS, dtype=torch.long, device=src.device)
    for step in range(max_len):
        lp, state = model.step(prev, state)
        V = lp.shape[1]
        base = torch.tensor([[hyp[1] for hyp in beams[b]] for b in range(B)], device=lp.device, dtype=lp.dtype)
        cand = (base.unsqueeze(-1) + lp.view(B, K, V)).view(B, K * V)
        top_lp, top_idx = cand.topk(min(2 * K, K * V), dim=1)
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
                    finished[b].append((ids, score, score / length_penalty(len(ids), alpha)))
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
        state = model.reorder(state, torch.tensor(reorder, dtype=torch.long, device=src.device))
        prev = torch.tensor(nxt, dtype=torch.long, device=src.device)
    out = []
    for b in range(B):
        hyps = finished[b] or [(ids, s, s / length_penalty(len(ids), alpha)) for ids, s in beams[b] if s > float("-inf")]
        out.append(max(hyps, key=lambda x: x[2])[0])
    return out
