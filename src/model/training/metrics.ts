/**
 * Evaluation metrics: corpus BLEU as sacreBLEU computes it by default (13a tokenisation, up to
 * 4-grams, exponential smoothing, brevity penalty over the corpus), chrF (sacreBLEU defaults:
 * character 6-grams, beta 2, white space removed, statistics summed over the corpus, precision and
 * recall averaged over the effective orders before one F-beta), and edit
 * distance based phoneme/token error rate. All scores are percentages (0-100).
 */

/** The mteval-v13a tokeniser sacreBLEU uses by default. */
export function tokenize13a(line: string): string[] {
  let s = line.replace(/<skipped>/g, '').replace(/-\n/g, '').replace(/\n/g, ' ');
  if (s.includes('&')) {
    s = s.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  }
  s = ` ${s} `;
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return s.split(/\s+/).filter(Boolean);
}

function ngramCounts(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0001');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

export interface BleuResult { score: number; precisions: number[]; bp: number; sysLen: number; refLen: number }

/** Corpus BLEU with one reference per hypothesis. */
export function corpusBleu(hypotheses: string[], references: string[], maxOrder = 4): BleuResult {
  if (hypotheses.length !== references.length) throw new Error('corpusBleu: hypotheses and references differ in number');
  const matches = new Array(maxOrder).fill(0);
  const totals = new Array(maxOrder).fill(0);
  let sysLen = 0;
  let refLen = 0;
  for (let k = 0; k < hypotheses.length; k++) {
    const h = tokenize13a(hypotheses[k]);
    const r = tokenize13a(references[k]);
    sysLen += h.length;
    refLen += r.length;
    for (let n = 1; n <= maxOrder; n++) {
      const hc = ngramCounts(h, n);
      const rc = ngramCounts(r, n);
      for (const [g, c] of hc) matches[n - 1] += Math.min(c, rc.get(g) ?? 0);
      totals[n - 1] += Math.max(0, h.length - n + 1);
    }
  }
  // sacreBLEU 2.x stops early when nothing matches at all: the score is 0, not a smoothed value.
  if (matches.every((m) => m === 0)) return { score: 0, precisions: matches.map(() => 0), bp: 0, sysLen, refLen };
  const precisions: number[] = [];
  let smoothK = 1;
  for (let n = 0; n < maxOrder; n++) {
    if (totals[n] === 0) { precisions.push(0); continue; }
    if (matches[n] === 0) {
      smoothK *= 2;
      precisions.push(100 / (smoothK * totals[n]));
    } else {
      precisions.push((100 * matches[n]) / totals[n]);
    }
  }
  if (sysLen === 0) return { score: 0, precisions, bp: 0, sysLen, refLen };
  const bp = sysLen < refLen ? Math.exp(1 - refLen / sysLen) : 1;
  if (precisions.some((p) => p === 0)) return { score: 0, precisions, bp, sysLen, refLen };
  const logAvg = precisions.reduce((a, p) => a + Math.log(p / 100), 0) / maxOrder;
  return { score: 100 * bp * Math.exp(logAvg), precisions, bp, sysLen, refLen };
}

function charNgramCounts(text: string, n: number): Map<string, number> {
  const chars = Array.from(text.replace(/\s+/g, ''));
  const m = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const key = chars.slice(i, i + n).join('');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/** Corpus chrF (sacreBLEU default: chrF2, character order 6, no word n-grams). */
export function corpusChrf(hypotheses: string[], references: string[], order = 6, beta = 2): number {
  const stats = new Array(order * 3).fill(0);
  for (let k = 0; k < hypotheses.length; k++) {
    for (let n = 1; n <= order; n++) {
      const hc = charNgramCounts(hypotheses[k], n);
      const rc = charNgramCounts(references[k], n);
      let hyp = 0; let ref = 0; let match = 0;
      for (const c of hc.values()) hyp += c;
      for (const c of rc.values()) ref += c;
      for (const [g, c] of hc) match += Math.min(c, rc.get(g) ?? 0);
      stats[3 * (n - 1)] += hyp;
      stats[3 * (n - 1) + 1] += ref;
      stats[3 * (n - 1) + 2] += match;
    }
  }
  // sacreBLEU 2.x default (eps_smoothing off): average precision and recall over the orders for
  // which both sides have n-grams (the effective order), then one F-beta of the averages.
  const factor = beta * beta;
  let avgPrec = 0;
  let avgRec = 0;
  let effective = 0;
  for (let n = 0; n < order; n++) {
    const [hyp, ref, match] = [stats[3 * n], stats[3 * n + 1], stats[3 * n + 2]];
    if (hyp > 0 && ref > 0) {
      avgPrec += match / hyp;
      avgRec += match / ref;
      effective++;
    }
  }
  if (effective === 0) return 0;
  avgPrec /= effective;
  avgRec /= effective;
  return avgPrec + avgRec > 0 ? (100 * (1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec) : 0;
}

/** Levenshtein distance between token sequences. */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Token error rate (PER for phonemes): total edit distance over total reference tokens; and WER as the
 * share of outputs that are not exactly the reference. Both in percent.
 */
export function errorRates(hypTokens: string[][], refTokens: string[][]): { per: number; wer: number } {
  let edits = 0;
  let refLen = 0;
  let wrong = 0;
  for (let k = 0; k < hypTokens.length; k++) {
    const d = editDistance(hypTokens[k], refTokens[k]);
    edits += d;
    refLen += refTokens[k].length;
    if (d > 0) wrong++;
  }
  return {
    per: refLen ? (100 * edits) / refLen : 0,
    wer: hypTokens.length ? (100 * wrong) / hypTokens.length : 0,
  };
}
