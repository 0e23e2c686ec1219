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
  if (settings.model.sharedVocab) {
    const joint = Vocabulary.build([...sourceTexts, ...targetTexts], settings.target);
    return Seq2SeqModel.create(settings, joint, joint);
  }
  const src = Vocabulary.build(sourceTexts, settings.source);
  const tgt = Vocabulary.build(targetTexts, settings.target);
  return Seq2SeqModel.create(settings, src, tgt);
}

/** A small Transformer (2 + 2 layers, d 16, 4 heads) with the tinyModel vocabularies. */
export async function tinyTransformer(overrides: SettingsOverrides = {}, sourceTexts?: string[], targetTexts?: string[]): Promise<Seq2SeqModel> {
  return tinyModel(mergeOverrides({
    model: { arch: 'transformer', dModel: 16, heads: 4, ff: 32, encLayers: 2, decLayers: 2, dropout: 0, attentionDropout: 0 },
  }, overrides), sourceTexts, targetTexts);
}

function mergeOverrides(a: SettingsOverrides, b: SettingsOverrides): SettingsOverrides {
  return { model: { ...a.model, ...b.model }, train: { ...a.train, ...b.train }, source: { ...a.source, ...b.source }, target: { ...a.target, ...b.target } };
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
