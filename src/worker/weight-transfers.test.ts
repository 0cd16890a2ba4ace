/**
 * Evaluations during a run switch weights on the device (WeightSlots): counted here, as the
 * bind-group test counts bind groups, so a change that starts moving the whole parameter
 * vector to the host and back for each evaluation fails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTrainingJsonl } from '../data/load.ts';
import type { Backend, Tensor } from '../engine/backend.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import type { TrainingEvent } from '../shared/events.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import { HAVE_FIXTURES, TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import { Workspace } from './workspace.ts';

const SETTINGS: RetrievalSettings = { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' };
const CONFIG: TrainingConfig = {
  loss: 'mnrl', epochs: 1, batchSize: 8, learningRate: 2e-3, warmupSteps: 0, weightDecay: 0, maxSeqLength: 64,
  scheduler: 'constant', seed: 7, matryoshkaDims: [], evalEvery: 0, checkpointEvery: 0, checkpointSeconds: 0,
};

/** Host reads and writes of whole parameter vectors (tensors of `size` values) through a backend. */
function countingBackend(inner: Backend): { backend: Backend; counts: { reads: number; writes: number; anyReads: number; allocations: number }; watch(size: number): void } {
  const counts = { reads: 0, writes: 0, anyReads: 0, allocations: 0 };
  let watched = -1;
  const backend = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key === 'read') return (t: Tensor) => (counts.anyReads++, t.size === watched && counts.reads++, target.read(t));
      if (key === 'zeros') return (shape: readonly number[], ...rest: unknown[]) => ((shape.reduce((a, b) => a * b, 1) === watched && counts.allocations++), (target.zeros as (...a: unknown[]) => Tensor)(shape, ...rest));
      if (key === 'write') return (t: Tensor, data: Float32Array) => ((t.size === watched && counts.writes++), target.write(t, data));
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { backend, counts, watch: (size) => (watched = size) };
}

async function trainCounting(evalEvery: number, pageEvaluatedFirst = true): Promise<{ reads: number; writes: number; evals: number; steps: number; readsBeforeBaseline: number }> {
  const { backend, counts, watch } = countingBackend(new CpuBackend());
  const ws = new Workspace(backend);
  const loaded = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
  await ws.setModel(loaded, { name: 'tiny-bert', randomWeights: true });
  ws.setDataset(loadTrainingJsonl(readFileSync('public/samples/support-faq.jsonl', 'utf8'), { file: 'support-faq.jsonl' }), { evalFraction: 0.3, seed: 1 });
  // The page's own evaluation of the base model, before Train is pressed.
  if (pageEvaluatedFirst) await ws.evaluate(SETTINGS, 'base');
  watch(loaded.layout.totalSize);
  let evals = 0;
  let steps = 0;
  let readsBeforeBaseline = -1;
  const startReads = counts.anyReads;
  await ws.train({ ...CONFIG, evalEvery }, SETTINGS, (e: TrainingEvent) => {
    if (e.type === 'eval' && e.step === 0) readsBeforeBaseline = counts.anyReads - startReads;
    if (e.type === 'eval') evals++;
    if (e.type === 'step') steps++;
  });
  return { reads: counts.reads, writes: counts.writes, evals, steps, readsBeforeBaseline };
}

describe.skipIf(!HAVE_FIXTURES)('weights during a run', () => {
  it('an evaluation during training moves no weights between host and device', async () => {
    const quiet = await trainCounting(0);
    const busy = await trainCounting(1);
    console.info(`steps ${busy.steps}: ${busy.evals} evaluations, ${busy.reads} full reads, ${busy.writes} full writes (without evaluations: ${quiet.reads} / ${quiet.writes})`);
    expect(busy.evals).toBeGreaterThanOrEqual(busy.steps); // step 0, every step, the end
    expect(busy.steps).toBeGreaterThan(3);
    // The one read of a run: its weights kept on the host when it ends (saving, device loss).
    expect(busy.reads).toBe(1);
    expect(busy.writes).toBe(0);
    expect(quiet).toMatchObject({ reads: 1, writes: 0 });
  });

  it("a run starts from the page's own evaluation of the base model instead of encoding the eval set again", async () => {
    const after = await trainCounting(0);
    const alone = await trainCounting(0, false);
    expect(after.readsBeforeBaseline).toBe(0);
    expect(alone.readsBeforeBaseline).toBeGreaterThan(0);
  });

  it('runs and reloads of the model reuse the device copies instead of allocating new ones', async () => {
    const { backend, counts, watch } = countingBackend(new CpuBackend());
    const ws = new Workspace(backend);
    const load = async () => ws.setModel(await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend), { name: 'tiny-bert', randomWeights: true });
    await load();
    ws.setDataset(loadTrainingJsonl(readFileSync('public/samples/support-faq.jsonl', 'utf8'), { file: 'support-faq.jsonl' }), { evalFraction: 0.3, seed: 1 });
    watch(ws.paramLayout!.totalSize);
    const run = () => ws.train({ ...CONFIG, evalEvery: 1 }, SETTINGS, () => {});
    await run();
    const afterFirst = counts.allocations;
    await run();
    await load();
    await run();
    expect(afterFirst).toBeGreaterThan(0); // the trained and live copies, on first use
    // The second model's own gradient and Adam moment buffers (its ParamStore), and no weight copy.
    expect(counts.allocations).toBe(afterFirst + 3);
  });
});
