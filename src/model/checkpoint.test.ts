import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { loadTrainingJsonl } from '../data/load.ts';
import { checkpointFiles, parseCheckpointFiles, readCheckpoint, writeCheckpoint } from '../io/checkpoint-files.ts';
import { folderFiles } from '../io/folder-files.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import { captureCheckpoint, type Checkpoint, CheckpointError, parseCheckpointState, resumeTrainingRun } from './checkpoint.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { DEFAULT_LOSS } from './losses.ts';
import { SentenceModel } from './sentence-model.ts';
import { type Example, type LossPoint, TrainingRun, type TrainingRunConfig } from './training-run.ts';
import { TRAINER_DEFAULTS } from '../shared/settings.ts';

/**
 * A run stopped at a checkpoint and resumed must reproduce the uninterrupted run: the same loss
 * curve (1e-4), the same final weights. Dropout is on, so the dropout RNG state matters, and the
 * run crosses epoch boundaries, so the data-order state and the position in the epoch matter.
 */
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
const examples: Example[] = HAVE_FIXTURES ? loadTrainingJsonl(readFileSync(SAMPLE, 'utf8')).examples.slice(0, 20) : [];

const CONFIG: TrainingRunConfig = {
  loss: { ...DEFAULT_LOSS, id: 'mnrl' },
  optimizer: { ...TRAINER_DEFAULTS, lr: 1e-3, weightDecay: 0.01 },
  scheduler: 'linear',
  warmupSteps: 2,
  batchSize: 8, // 20 examples: 3 steps per epoch (8, 8, 4)
  epochs: 1,
  maxSteps: 8,
  shuffle: true,
  seed: 7,
};

/** The tiny-bert fixture with dropout switched on (its config has 0). */
async function dropoutModel(backend: CpuBackend): Promise<SentenceModel> {
  const { model } = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
  return new SentenceModel(
    model.store, { ...model.dims, hiddenDropout: 0.1, attentionDropout: 0.1 }, model.tokenizer, model.pooling, model.normalize, 32,
  );
}

function expectSameCurve(got: readonly LossPoint[], want: readonly LossPoint[]): void {
  expect(got.map((p) => p.step)).toEqual(want.map((p) => p.step));
  got.forEach((p, i) => {
    expect(Math.abs(p.loss - want[i].loss), `loss at step ${p.step}`).toBeLessThanOrEqual(1e-4);
    expect(p.lr).toBe(want[i].lr);
    expect(p.epoch).toBe(want[i].epoch);
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe.skipIf(!HAVE_FIXTURES)('training checkpoints on the CPU backend (tiny-bert, dropout 0.1)', () => {
  const backend = new CpuBackend();
  let dir: string;
  let full: { curve: readonly LossPoint[]; params: Float32Array; checkpoints: Map<number, Checkpoint> };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'es-ckpt-'));
    const model = await dropoutModel(backend);
    const run = new TrainingRun(model, examples, CONFIG);
    const checkpoints = new Map<number, Checkpoint>();
    await run.run(() => {}, { checkpointEvery: 2, onCheckpoint: async (step) => void checkpoints.set(step, await captureCheckpoint(run, { note: 'test' })) });
    full = { curve: run.losses, params: await model.store.readParams(), checkpoints };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('captures every N steps, not at the end, with the whole state', () => {
    expect([...full.checkpoints.keys()]).toEqual([2, 4, 6]);
    const { state, tensors } = full.checkpoints.get(4)!;
    expect(state.step).toBe(4);
    expect(state.optimizer.stepsTaken).toBe(4);
    expect(state.totalSteps).toBe(8);
    expect(state.schedule).toEqual({ kind: 'linear', warmupSteps: 2, totalSteps: 8 });
    expect(state.config).toEqual(CONFIG);
    expect(state.data).toMatchObject({ examples: 20, epoch: 1, cursor: 8 });
    expect(state.model).toMatchObject({ hiddenDropout: 0.1, attentionDropout: 0.1, maxSeqLength: 32 });
    expect(state.losses.map((l) => l.loss)).toEqual(full.curve.slice(0, 4).map((l) => l.loss));
    expect(state.meta).toEqual({ note: 'test' });
    expect(tensors.params.length).toBe(tensors.m.length);
    expect(tensors.v.some((x) => x > 0)).toBe(true);
  });

  it.each([2, 4, 6])('resumes from step %i (through the files) and reproduces the uninterrupted curve and weights', async (at) => {
    const ckptDir = path.join(dir, `at-${at}`);
    await writeCheckpoint(ckptDir, full.checkpoints.get(at)!);
    const checkpoint = await readCheckpoint(ckptDir);
    const model = await dropoutModel(backend);
    const run = resumeTrainingRun(model, examples, checkpoint);
    const printed: number[] = [];
    await run.run((r) => printed.push(r.step));
    expect(printed).toEqual(Array.from({ length: 8 - at }, (_, i) => at + 1 + i));
    expectSameCurve(run.losses, full.curve);
    expect(maxAbsDiff(await model.store.readParams(), full.params)).toBeLessThan(1e-5);
  });

  it('depends on the restored dropout RNG (a wrong state gives a different curve)', async () => {
    const good = full.checkpoints.get(4)!;
    const bad: Checkpoint = { ...good, state: { ...good.state, rng: { ...good.state.rng, dropout: (good.state.rng.dropout + 1) >>> 0 } } };
    const run = resumeTrainingRun(await dropoutModel(backend), examples, bad);
    await run.run(() => {});
    const diff = Math.max(...run.losses.slice(4).map((p, i) => Math.abs(p.loss - full.curve[4 + i].loss)));
    expect(diff).toBeGreaterThan(1e-4);
  });

  it('round-trips through bytes exactly and refuses a different dataset or a foreign state.json', async () => {
    const c = full.checkpoints.get(4)!;
    const files = checkpointFiles(c);
    expect([...files.keys()].sort()).toEqual(['state.json', 'tensors.safetensors']);
    const back = parseCheckpointFiles(files.get('state.json')!, files.get('tensors.safetensors')!);
    expect(back.state).toEqual(c.state);
    expect(Buffer.from(back.tensors.params.buffer).equals(Buffer.from(c.tensors.params.buffer))).toBe(true);
    expect(Buffer.from(back.tensors.v.buffer).equals(Buffer.from(c.tensors.v.buffer))).toBe(true);

    const other = examples.slice(0, 19).concat([{ texts: ['a', 'b', 'c'] }]);
    const model = await dropoutModel(backend);
    expect(() => resumeTrainingRun(model, other, c)).toThrow(/different data/);
    expect(() => parseCheckpointState({ format: 'something-else' })).toThrow(CheckpointError);
    expect(() => parseCheckpointState({ ...c.state, version: 99 })).toThrow(/version 99/);
    expect((await readdir(dir)).every((n) => !n.includes('.partial-'))).toBe(true);
  });
});
