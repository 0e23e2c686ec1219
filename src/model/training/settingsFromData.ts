/**
 * Settings from the data: the tokeniser of each side, the profile the presets look at (pairs,
 * vocabularies, lengths), and the resolved settings (defaults, then the preset sized from the data,
 * then explicit overrides).
 */
import {
  chooseArchitecture, DEFAULT_SETTINGS, dropUndefined, mergeSettings, presetOverrides, validateSettings,
  type DataProfile, type PresetName, type Seq2SeqSettings, type SettingsOverrides, type TaskKind, type TokenizerSettings,
} from '../config';
import { readPairs, type Pair } from '../data/data';
import { chooseTokenizerKind, DEFAULT_SUBWORD_VOCAB, Vocabulary } from '../data/tokenizer';
import { buildTextVocabulary, splitCorpus } from '../generation/generationData';

function percentile95(lengths: number[]): number {
  if (!lengths.length) return 0;
  const s = [...lengths].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))];
}

/** What the presets look at, measured on (the first 5,000 of) the pairs with the tokenisers that will be used. */
export function profilePairs(pairs: Pair[], overrides?: SettingsOverrides): { profile: DataProfile; source: TokenizerSettings; target: TokenizerSettings } {
  const sample = pairs.slice(0, 5000);
  const merged = mergeSettings(DEFAULT_SETTINGS, overrides);
  // Each side's tokeniser: the user's kind, else chosen from the data; a subword vocabulary without an
  // explicit size gets DEFAULT_SUBWORD_VOCAB pieces (the general default of 20000 is meant for words).
  const sideSettings = (side: 'source' | 'target'): TokenizerSettings => {
    const kind = overrides?.[side]?.kind ?? chooseTokenizerKind(sample.map((p) => p[side]), pairs.length);
    const maxVocab = overrides?.[side]?.maxVocab ?? (kind === 'subword' ? DEFAULT_SUBWORD_VOCAB : merged[side].maxVocab);
    return { ...merged[side], kind, maxVocab };
  };
  const target = sideSettings('target');
  // A shared vocabulary is the target side's tokeniser on both sides (a different source given is an error of validateSettings).
  const shared = overrides?.model?.sharedVocab === true;
  const source = shared ? { ...target, ...dropUndefined(overrides?.source) } : sideSettings('source');
  // Probed with the tokenisers training will use (a subword vocabulary of 4000 pieces is not one of 20000).
  const probeT = Vocabulary.build(shared ? [...sample.map((p) => p.source), ...sample.map((p) => p.target)] : sample.map((p) => p.target), target);
  const probeS = shared ? probeT : Vocabulary.build(sample.map((p) => p.source), source);
  const profile: DataProfile = {
    pairs: pairs.length,
    sourceVocab: probeS.size,
    targetVocab: probeT.size,
    sourceLen95: percentile95(sample.map((p) => probeS.tokenize(p.source).length)),
    targetLen95: percentile95(sample.map((p) => probeT.tokenize(p.target).length)),
  };
  return { profile, source, target };
}

/** The profile of a data file (or a generation corpus), for showing what a preset will pick before training starts. */
export async function profileDataFile(file: string, task: TaskKind = 'pairs'): Promise<DataProfile> {
  if (task === 'generate') {
    const t = DEFAULT_SETTINGS.train;
    const split = await splitCorpus(file, undefined, t.devFraction, t.seed);
    const side = textSide(undefined);
    const vocab = await buildTextVocabulary(split.train, side);
    const chars = split.train.reduce((n, p) => n + p.source.chars, 0);
    return textProfile(Math.ceil(chars / t.chunk), vocab.size, t.window, t.chunk);
  }
  const read = await readPairs(file);
  return profilePairs(read.pairs).profile;
}

/**
 * A generation model's tokeniser when none is given: subwords, 2,000 pieces (measured on Python
 * source: per character, better than characters at the same steps, and cheaper per character of
 * text; README "Which architecture the presets choose").
 */
export const TEXT_TOKENIZER: Pick<TokenizerSettings, 'kind' | 'maxVocab'> = { kind: 'subword', maxVocab: 2000 };

/** A generation model's tokeniser settings (both sides read the same text): TEXT_TOKENIZER unless told otherwise. */
export function textSide(overrides: SettingsOverrides | undefined): TokenizerSettings {
  const merged = mergeSettings(DEFAULT_SETTINGS, overrides);
  const kind = overrides?.target?.kind ?? overrides?.source?.kind ?? TEXT_TOKENIZER.kind;
  const given = overrides?.target?.maxVocab ?? overrides?.source?.maxVocab;
  const maxVocab = given ?? (kind === 'subword' ? TEXT_TOKENIZER.maxVocab : merged.target.maxVocab);
  return { kind, lowercase: false, maxVocab };
}

/** What the presets look at for text: windows as pairs, the window and chunk as lengths. */
export function textProfile(windows: number, vocab: number, window: number, chunk: number): DataProfile {
  return { pairs: windows, sourceVocab: vocab, targetVocab: vocab, sourceLen95: window, targetLen95: chunk };
}

/**
 * Settings for a generation model: as resolveSettings, from the text's profile, the preset
 * choosing the architecture for text; the longest sequence is the window (or the chunk).
 */
export function resolveTextSettings(profile: DataProfile, side: TokenizerSettings, preset: PresetName, overrides: SettingsOverrides | undefined): Seq2SeqSettings {
  const merged = mergeSettings(DEFAULT_SETTINGS, { source: side, target: side },
    presetOverrides(preset, profile, overrides?.model?.arch ?? chooseArchitecture(profile, 'generate'), 'generate'), budgetOverrides(overrides), overrides);
  merged.train.maxLen = Math.max(merged.train.window, merged.train.chunk);
  if (merged.model.maxPositions < merged.train.maxLen + 2) merged.model.maxPositions = merged.train.maxLen + 2;
  return validateSettings(merged);
}

/**
 * With a time budget, the time is the limit: the preset's epochs and early stopping do not end the
 * run before it (the best epoch on dev is what is saved, so training on costs nothing but the time
 * given; the learning rate still halves on plateaus). Epochs or patience given explicitly still count.
 */
export function budgetOverrides(overrides: SettingsOverrides | undefined): SettingsOverrides | undefined {
  return (overrides?.train?.minutes ?? 0) > 0 ? { train: { epochs: 100_000, patience: 0 } } : undefined;
}

/**
 * Settings from defaults, the preset (sized from the data, for the architecture asked for or else the
 * one the data suggests), the time budget's rule, and explicit overrides, in that order.
 */
export function resolveSettings(pairs: Pair[], preset: PresetName, overrides: SettingsOverrides | undefined): Seq2SeqSettings {
  const { profile, source, target } = profilePairs(pairs, overrides);
  return validateSettings(mergeSettings(DEFAULT_SETTINGS, { source, target }, presetOverrides(preset, profile, overrides?.model?.arch), budgetOverrides(overrides), overrides));
}
