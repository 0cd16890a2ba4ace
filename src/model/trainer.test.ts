import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../engine/backend.ts';
import { loadTrainingJsonl } from '../data/load.ts';
import { folderFiles } from '../io/folder-files.ts';
import { sentenceTransformersFolder } from '../io/st-export.ts';
import { testBackends } from '../../test/support/backends.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import { captureCheckpoint } from './checkpoint.ts';
import { loadSentenceModel, type LoadedModel } from '../io/load-model.ts';
import { DEFAULT_LOSS } from './losses.ts';
import { Trainer, type TrainingBatch } from './trainer.ts';
import { NonFiniteTrainingError, TrainingRun, type TrainingRunConfig } from './training-run.ts';
import { TRAINER_DEFAULTS } from '../shared/settings.ts';

/**
 * The non-finite guard: a step whose loss or gradients are NaN/Inf changes no weight and no Adam
 * moment (decided on the device, no readback inside the step), the trainer reports it late, the
 * run stops with an error that says what to do, and nothing non-finite can be exported.
 */
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);
const backends = await testBackends();

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
const examples = HAVE_FIXTURES ? loadTrainingJsonl(readFileSync(SAMPLE, 'utf8')).examples.slice(0, 16) : [];
const batch: TrainingBatch = { columns: [0, 1].map((c) => examples.slice(0, 4).map((e) => e.texts[c])) };

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe.each(backends)('AdamW guard on $name', ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.destroy());

  it('skips the whole update when the squared norm is NaN or Inf, clipping on or off', async () => {
    backend = await create();
    const n = 300;
    const init = (k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k));
    for (const maxGradNorm of [0, 1]) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 4, 1e-3]) {
        const p = backend.fromFloat32(init(1), [n], true), g = backend.fromFloat32(init(2), [n], true);
        const m = backend.fromFloat32(init(3).map(Math.abs), [n], true), v = backend.fromFloat32(init(4).map(Math.abs), [n], true);
        const gn2 = backend.fromFloat32(Float32Array.of(bad), [1]);
        backend.adamw(p, g, m, v, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decayEnd: 100, step: 3, maxGradNorm, gradNormSquared: gn2 });
        const [pp, mm, vv] = await Promise.all([backend.read(p), backend.read(m), backend.read(v)]);
        backend.endStep();
        const unchanged = sameBits(pp, init(1)) && sameBits(mm, init(3).map(Math.abs)) && sameBits(vv, init(4).map(Math.abs));
        expect(unchanged, `gn2 ${bad}, maxGradNorm ${maxGradNorm}`).toBe(!Number.isFinite(bad));
      }
    }
  });
});

describe.skipIf(!HAVE_FIXTURES).each(backends)('non-finite training steps on $name', ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.destroy());
  const load = async (): Promise<LoadedModel> => {
    const loaded = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    loaded.model.maxSeqLength = 16; // short rows keep the WebGPU (SwiftShader) runs quick
    return loaded;
  };

  it('a NaN weight makes the step report applied=false and change no weight or moment, here and after', async () => {
    backend = await create();
    const loaded = await load();
    const { model, layout } = loaded;
    const trainer = new Trainer(model, {
      loss: { ...DEFAULT_LOSS, id: 'mnrl' }, optimizer: { ...TRAINER_DEFAULTS, lr: 1e-3 },
      schedule: { kind: 'constant', warmupSteps: 0, totalSteps: 10 }, seed: 3,
    });
    const first = trainer.step(batch);
    expect(await first.applied).toBe(true);
    expect(Number.isFinite(await first.loss)).toBe(true);
    expect(await first.gradNorm).toBeGreaterThan(0);

    // Poison the word embedding of the first token ([CLS]) that every row of the batch uses.
    const cls = model.tokenize(batch.columns[0]).batch.inputIds[0];
    const entry = layout.entry('embeddings.word_embeddings.weight');
    const H = model.dims.hiddenSize;
    const poisoned = await model.store.readParams();
    poisoned.fill(Number.NaN, entry.offset + cls * H, entry.offset + (cls + 1) * H);
    backend.write(model.store.params, poisoned);
    const { m, v } = model.store.adamMoments;
    const [m0, v0] = await Promise.all([backend.read(m), backend.read(v)]);

    const bad = trainer.step(batch);
    expect(Number.isNaN(await bad.loss)).toBe(true);
    expect(await bad.applied).toBe(false);
    expect(Number.isFinite(await bad.gradNorm)).toBe(false);
    const after = await model.store.readParams();
    expect(sameBits(after, poisoned)).toBe(true);
    expect(sameBits(await backend.read(m), m0)).toBe(true);
    expect(sameBits(await backend.read(v), v0)).toBe(true);

    // The guard is sticky: later steps of this trainer skip too, even on clean weights.
    const clean = Float32Array.from(poisoned, (x) => (Number.isNaN(x) ? 0 : x));
    backend.write(model.store.params, clean);
    const later = trainer.step(batch);
    expect(await later.applied).toBe(false);
    expect(sameBits(await model.store.readParams(), clean)).toBe(true);
    trainer.optimizer.clearNonFiniteGuard();
    expect(await trainer.step(batch).applied).toBe(true);

    // Nothing non-finite leaves: the export and the checkpoint both refuse NaN weights.
    backend.write(model.store.params, poisoned);
    await expect(sentenceTransformersFolder(loaded, { onnx: false })).rejects.toThrow(/non-finite weights/);
  });

  it('a run with NaN weights stops at step 1 with the specific error, saving nothing', async () => {
    const loaded = await load();
    const poisoned = await loaded.model.store.readParams();
    poisoned[loaded.layout.entry('embeddings.LayerNorm.weight').offset] = Number.NaN;
    backend.write(loaded.model.store.params, poisoned);
    const run = new TrainingRun(loaded.model, examples, config(1e-3));
    await expect(captureCheckpoint(run)).rejects.toThrow(/weights are not finite/);
    const saved: number[] = [];
    const err = await run.run(() => {}, { checkpointEvery: 1, onCheckpoint: async (s) => void saved.push(s) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteTrainingError);
    expect((err as NonFiniteTrainingError).step).toBe(1);
    expect((err as Error).message).toMatch(/training stopped at step 1: the loss became NaN.*lower learning rate/);
    expect(saved).toEqual([]);
    expect(sameBits(await loaded.model.store.readParams(), poisoned)).toBe(true);
  });

  it('an absurd learning rate stops the run; the failing step and all after it changed no weights', async () => {
    const loaded = await load();
    const { model } = loaded;
    const run = new TrainingRun(model, examples, config(1e30));
    const snapshots: Promise<Float32Array>[] = [];
    const good: number[] = [];
    const err = await run
      .run((r) => good.push(r.step), {
        // Read without draining: the read is ordered after step `done` on every backend, and up
        // to two more steps are already queued when a bad loss is seen.
        beforeStep: async (done) => void snapshots.push(model.store.readParams()),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteTrainingError);
    const step = (err as NonFiniteTrainingError).step;
    expect(step).toBeGreaterThan(1);
    expect(good).toEqual(Array.from({ length: step - 1 }, (_, i) => i + 1));
    expect((err as Error).message).toMatch(new RegExp(`step ${step}: .*weights are those after step ${step - 1}.*lower learning rate \\(it was 1e\\+30\\)`));
    const lastGood = await snapshots[step - 1];
    expect(sameBits(await model.store.readParams(), lastGood)).toBe(true);
    expect(run.losses).toHaveLength(step - 1);
    expect(() => run.progress()).toThrow(/between steps/);
  });
});

function config(lr: number): TrainingRunConfig {
  return {
    loss: { ...DEFAULT_LOSS, id: 'mnrl' }, optimizer: { ...TRAINER_DEFAULTS, lr }, scheduler: 'constant', warmupSteps: 0,
    batchSize: 4, epochs: 1, maxSteps: 8, shuffle: true, seed: 5,
  };
}
