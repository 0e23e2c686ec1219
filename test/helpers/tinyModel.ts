/** Small real models for tests: built from generated pairs, with random (seeded) weights unless trained. */
import { initBackend } from '../../src/model/acceleration/backend';
import { DEFAULT_SETTINGS, mergeSettings, type SettingsOverrides } from '../../src/model/config';
import { Seq2SeqModel } from '../../src/model/network/seq2seq';
import { Vocabulary } from '../../src/model/data/tokenizer';

export async function tinyModel(overrides: SettingsOverrides = {}, sourceTexts = ['abc', 'cab', 'bca'], targetTexts = ['xy', 'yx']): Promise<Seq2SeqModel> {
  await initBackend();
  const settings = mergeSettings(DEFAULT_SETTINGS, {
    model: { emb: 8, hidden: 16, layers: 1, bidirectional: false, attention: 'luong', dropout: 0 },
    train: { seed: 7, maxLen: 20 },
  }, overrides);
  const src = Vocabulary.build(sourceTexts, settings.source);
  const tgt = Vocabulary.build(targetTexts, settings.target);
  return Seq2SeqModel.create(settings, src, tgt);
}

/** Reverse-a-string task (JoeyNMT's toy): deterministic pairs over a small alphabet. */
export function reversePairs(n: number, seed = 1): string[] {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + Math.floor(rand() * 5);
    let w = '';
    for (let j = 0; j < len; j++) w += 'abcdef'[Math.floor(rand() * 6)];
    lines.push(`${w}\t${[...w].reverse().join('')}`);
  }
  return lines;
}
