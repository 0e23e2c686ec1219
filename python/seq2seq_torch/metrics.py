"""
Dev metrics as src/model/training/metrics.ts computes them (sacreBLEU's corpus BLEU with 13a
tokenisation and chrF2; token error rate PER and sequence error rate WER), kept as sufficient
statistics (sums) so that processes can add theirs with one all-reduce before the scores are taken.
"""
import math
import re

BLEU_ORDER = 4
CHRF_ORDER = 6
CHRF_BETA = 2


def tokenize_13a(line):
    s = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in s:
        s = s.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    s = f" {s} "
    s = re.sub(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])", r" \1 ", s)
    s = re.sub(r"([^0-9])([\.,])", r"\1 \2 ", s)
    s = re.sub(r"([\.,])([^0-9])", r" \1 \2", s)
    s = re.sub(r"([0-9])(-)", r"\1 \2 ", s)
    return s.split()


def _ngrams(tokens, n):
    counts = {}
    for i in range(len(tokens) - n + 1):
        g = tuple(tokens[i:i + n])
        counts[g] = counts.get(g, 0) + 1
    return counts


def bleu_stats(hyp, ref):
    """[hyp length, ref length, matches 1..4, totals 1..4] of one sentence pair."""
    h, r = tokenize_13a(hyp), tokenize_13a(ref)
    matches, totals = [], []
    for n in range(1, BLEU_ORDER + 1):
        hc, rc = _ngrams(h, n), _ngrams(r, n)
        matches.append(sum(min(c, rc.get(g, 0)) for g, c in hc.items()))
        totals.append(max(0, len(h) - n + 1))
    return [len(h), len(r)] + matches + totals


def bleu_from_stats(stats):
    sys_len, ref_len = stats[0], stats[1]
    matches, totals = stats[2:2 + BLEU_ORDER], stats[2 + BLEU_ORDER:2 + 2 * BLEU_ORDER]
    if all(m == 0 for m in matches) or sys_len == 0:
        return 0.0
    precisions, smooth = [], 1
    for m, t in zip(matches, totals):
        if t == 0:
            precisions.append(0.0)
        elif m == 0:
            smooth *= 2
            precisions.append(100 / (smooth * t))
        else:
            precisions.append(100 * m / t)
    if any(p == 0 for p in precisions):
        return 0.0
    bp = math.exp(1 - ref_len / sys_len) if sys_len < ref_len else 1.0
    return 100 * bp * math.exp(sum(math.log(p / 100) for p in precisions) / BLEU_ORDER)


def _char_ngrams(text, n):
    chars = list(re.sub(r"\s+", "", text))
    counts = {}
    for i in range(len(chars) - n + 1):
        g = "".join(chars[i:i + n])
        counts[g] = counts.get(g, 0) + 1
    return counts


def chrf_stats(hyp, ref):
    """[hyp n-grams, ref n-grams, matches] for each character order 1..6."""
    out = []
    for n in range(1, CHRF_ORDER + 1):
        hc, rc = _char_ngrams(hyp, n), _char_ngrams(ref, n)
        out += [sum(hc.values()), sum(rc.values()), sum(min(c, rc.get(g, 0)) for g, c in hc.items())]
    return out


def chrf_from_stats(stats):
    factor = CHRF_BETA * CHRF_BETA
    prec = rec = 0.0
    effective = 0
    for n in range(CHRF_ORDER):
        hyp, ref, match = stats[3 * n:3 * n + 3]
        if hyp > 0 and ref > 0:
            prec += match / hyp
            rec += match / ref
            effective += 1
    if effective == 0:
        return 0.0
    prec, rec = prec / effective, rec / effective
    return 100 * (1 + factor) * prec * rec / (factor * prec + rec) if prec + rec > 0 else 0.0


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i]
        for j in range(1, len(b) + 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])))
        prev = cur
    return prev[len(b)]


def error_stats(hyp_tokens, ref_tokens):
    """[edits, reference tokens, wrong outputs, outputs] of one output."""
    d = edit_distance(hyp_tokens, ref_tokens)
    return [d, len(ref_tokens), 1 if d > 0 else 0, 1]


def error_rates_from_stats(stats):
    edits, ref_len, wrong, n = stats
    return (100 * edits / ref_len if ref_len else 0.0), (100 * wrong / n if n else 0.0)
