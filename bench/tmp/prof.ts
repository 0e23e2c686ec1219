import { initBackend, tf } from '../../src/model/acceleration/backend';
import { kernels } from '../../src/model/acceleration/kernels';
import { DEFAULT_SETTINGS, mergeSettings } from '../../src/model/config';
import { Seq2SeqModel } from '../../src/model/network/seq2seq';
import { Vocabulary } from '../../src/model/data/tokenizer';
import { readPairs, makeBatches, padBatch } from '../../src/model/data/data';
import { encodeExamples } from '../../src/model/training/setup';
import { Adam, adamSettings } from '../../src/model/training/optimizer';
import { trainStep } from '../../src/model/training/steps';
import { BOS, EOS } from '../../src/model/data/tokenizer';
import { translate } from '../../src/model/decoding/translate';
(async () => {
  const backend = await initBackend();
  const d = Number(process.env.D ?? 256), L = Number(process.env.L ?? 3);
  const { pairs } = await readPairs('/work/shared/data/cmudict-g2p/train.tsv');
  const settings = mergeSettings(DEFAULT_SETTINGS, {
    model: { arch: 'transformer', dModel: d, heads: 4, ff: 4 * d, encLayers: L, decLayers: L, dropout: Number(process.env.DROP ?? 0), attentionDropout: 0 },
    train: { lrSchedule: 'inverse-sqrt', warmupSteps: 100, adamBeta2: 0.98 },
    source: { kind: 'char' }, target: { kind: 'word' },
  });
  const src = Vocabulary.build(pairs.slice(0, 20000).map((p) => p.source), settings.source);
  const tgt = Vocabulary.build(pairs.slice(0, 20000).map((p) => p.target), settings.target, true);
  const model = Seq2SeqModel.create(settings, src, tgt);
  const ex = encodeExamples(pairs, src, tgt, 64, []);
  const batches = makeBatches(ex, 64, 1, 0);
  const opt = new Adam(0.001, adamSettings(settings.train));
  console.log(backend, kernels().name, 'params', model.parameterCount);
  for (let i = 0; i < 5; i++) trainStep(model, opt, padBatch(ex, batches[i], BOS, EOS), i);
  const N = 20;
  let t0 = performance.now(); let samples = 0;
  for (let i = 5; i < 5 + N; i++) { const b = padBatch(ex, batches[i], BOS, EOS); samples += b.batch; trainStep(model, opt, b, i); }
  const ms = (performance.now() - t0) / N;
  console.log(`train: ${ms.toFixed(1)} ms/step, ${(samples / (ms * N / 1000)).toFixed(0)} samples/s`);
  const b = padBatch(ex, batches[40], BOS, EOS);
  const prof = await tf.profile(() => { trainStep(model, opt, b, 99); });
  const by = new Map<string, { n: number; ms: number }>();
  for (const k of prof.kernels) { const e = by.get(k.name) ?? { n: 0, ms: 0 }; e.n++; e.ms += (k.kernelTimeMs as number) || 0; by.set(k.name, e); }
  console.log('kernels', prof.kernels.length, [...by].sort((a, c) => c[1].ms - a[1].ms).slice(0, 16).map(([n, e]) => `${n} ${e.n}x ${e.ms.toFixed(1)}`).join(', '));
  const words = pairs.slice(0, 512).map((p) => p.source);
  await translate(model, words.slice(0, 64), { maxLength: 20 });
  t0 = performance.now();
  await translate(model, words, { maxLength: 20 });
  console.log(`greedy ${((performance.now() - t0) / words.length).toFixed(2)} ms/input`);
  t0 = performance.now();
  await translate(model, words.slice(0, 255), { strategy: 'beam', beamSize: 5, maxLength: 20 });
  console.log(`beam5 ${((performance.now() - t0) / 255).toFixed(2)} ms/input`);
})();
