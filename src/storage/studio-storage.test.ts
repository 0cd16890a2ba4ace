import { describe, expect, it } from 'vitest';
import { ParamLayout } from '../engine/params.ts';
import { MemoryLockManager, RunLocks } from './locks.ts';
import { MemoryDisk } from './memory-opfs.ts';
import { describeEstimate, StorageFullError } from './quota.ts';
import { newRunId, RUN_HISTORY_FORMAT } from './records.ts';
import { RunRecorder, type RunStart } from './run-recorder.ts';
import { memoryStores } from './stores.ts';
import { decodeRunWeights, encodeRunWeights, memoryStudioStorage, StudioStorage } from './studio-storage.ts';
import { RunFiles } from './opfs.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';

const CONFIG: TrainingConfig = {
  loss: 'mnrl', epochs: 1, batchSize: 4, learningRate: 1e-4, warmupSteps: 0, weightDecay: 0, maxSeqLength: 32,
  scheduler: 'constant', seed: 7, matryoshkaDims: [], evalEvery: 2,
};
const SETTINGS: RetrievalSettings = { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' };
const metrics = (mrr: number): RetrievalMetrics => ({ 'accuracy@1': mrr, 'recall@1': mrr, 'recall@5': mrr, 'recall@10': mrr, 'mrr@10': mrr, 'ndcg@10': mrr, 'map@100': mrr });

function start(id: string): RunStart {
  return {
    id,
    model: { name: 'tiny', source: { kind: 'builtin' }, parameters: 10, dimension: 4, layers: 1, fingerprint: 'abc' },
    dataset: { name: 'faq.jsonl', id: 'ds-1', rows: 10, trainRows: 8, evalRows: 2 },
    config: CONFIG,
    retrieval: SETTINGS,
    adapter: 'TypeScript on the CPU',
  };
}

/** A run that trained `steps` steps with a baseline and a final evaluation. */
function recorded(id: string, steps: number, clock: { t: number }) {
  const rec = new RunRecorder(start(id), () => clock.t);
  rec.onEvent({ type: 'state', state: 'running' });
  rec.onEvent({ type: 'eval', step: 0, metrics: metrics(0.2), movers: [] });
  for (let s = 1; s <= steps; s++) {
    clock.t += 1000;
    rec.onEvent({ type: 'step', step: s, totalSteps: steps, epoch: 0, loss: 2 / s, lr: 1e-4, pairsPerSecond: 4, etaSeconds: steps - s });
  }
  rec.onEvent({ type: 'eval', step: steps, metrics: metrics(0.5), movers: [] });
  rec.onEvent({ type: 'eval', step: steps, metrics: metrics(0.6), movers: [] });
  expect(rec.onEvent({ type: 'state', state: 'finished' })).toBe('finished');
  return rec;
}

describe('the run recorder', () => {
  it('keeps the loss curve, the evaluations, before/after and the training time without pauses', () => {
    const clock = { t: 1_000 };
    const rec = new RunRecorder(start('r'), () => clock.t);
    expect(rec.onEvent({ type: 'state', state: 'running' })).toBeNull();
    rec.onEvent({ type: 'eval', step: 0, metrics: metrics(0.1), movers: [] });
    clock.t += 2000;
    rec.onEvent({ type: 'step', step: 1, totalSteps: 3, epoch: 0, loss: 1.5, lr: 1e-4, pairsPerSecond: 1, etaSeconds: 2 });
    rec.onEvent({ type: 'step', step: 2, totalSteps: 3, epoch: 0, loss: Number.NaN, lr: 1e-4, pairsPerSecond: 1, etaSeconds: 1 });
    expect(rec.onEvent({ type: 'state', state: 'paused' })).toBe('paused');
    clock.t += 60_000;
    rec.onEvent({ type: 'state', state: 'running' });
    clock.t += 1000;
    rec.onEvent({ type: 'eval', step: 2, metrics: metrics(0.3), movers: [] });
    expect(rec.onEvent({ type: 'state', state: 'cancelled' })).toBe('cancelled');
    const r = rec.record();
    expect(r.lossCurve).toEqual([{ step: 1, loss: 1.5, lr: 1e-4 }]);
    expect(r.before?.['mrr@10']).toBe(0.1);
    expect(r.after?.['mrr@10']).toBe(0.3);
    expect(r.state).toBe('cancelled');
    expect(r.step).toBe(2);
    expect(r.durationSeconds).toBe(3);
    expect(r.seed).toBe(7);
  });
});

describe('studio storage', () => {
  it('saves, lists (newest first), exports and deletes runs with their weights', async () => {
    const disk = new MemoryDisk();
    const storage = memoryStudioStorage({ disk });
    const clock = { t: 1_000_000 };
    const a = recorded('run-a', 3, clock);
    clock.t += 10_000;
    const b = recorded('run-b', 5, clock);
    await storage.saveRun(a.record(), new Uint8Array(16).fill(1));
    const saved = await storage.saveRun(b.record(), new Uint8Array(32).fill(2));
    expect(saved.record.weights).toEqual({ file: 'runs/run-b/weights.safetensors', bytes: 32, step: 5 });

    const list = await storage.listRuns();
    expect(list.map((r) => r.id)).toEqual(['run-b', 'run-a']);
    expect(list[0]).toMatchObject({ modelName: 'tiny', datasetName: 'faq.jsonl', loss: 'mnrl', finalLoss: 2 / 5, step: 5, mrrBefore: 0.2, mrrAfter: 0.6, state: 'finished', hasWeights: true });

    const history = JSON.parse(await storage.exportRunHistory('run-a'));
    expect(history.format).toBe(RUN_HISTORY_FORMAT);
    expect(history.run.lossCurve).toHaveLength(3);
    expect(history.run.evalHistory.map((e: { step: number }) => e.step)).toEqual([0, 3]);
    expect(history.run.config).toEqual(CONFIG);
    expect(history.run.retrieval).toEqual(SETTINGS);

    expect(await storage.readRunWeights((await storage.getRun('run-a'))!)).toEqual(new Uint8Array(16).fill(1));
    await storage.deleteRun('run-a');
    expect((await storage.listRuns()).map((r) => r.id)).toEqual(['run-b']);
    expect(disk.paths()).toEqual(['runs/run-b/weights.safetensors']);
    await expect(storage.exportRunHistory('run-a')).rejects.toThrow(/not saved here/);
  });

  it('a full disk keeps the previous weights, still saves the record and says what happened', async () => {
    const disk = new MemoryDisk();
    const storage = memoryStudioStorage({ disk });
    const clock = { t: 0 };
    const rec = recorded('run-q', 2, clock);
    const first = await storage.saveRun(rec.record(), new Uint8Array(1000).fill(3));
    rec.weights = first.record.weights;
    disk.quota = disk.used + 500;
    const second = await storage.saveRun({ ...rec.record(), step: 9 }, new Uint8Array(1000).fill(4));
    expect(second.weightsProblem).toMatch(/Not enough storage space.*Runs panel.*untouched/s);
    const stored = (await storage.getRun('run-q'))!;
    expect(stored.step).toBe(9);
    expect(stored.weights).toEqual({ file: 'runs/run-q/weights.safetensors', bytes: 1000, step: 2 });
    expect(stored.weightsProblem).toBe(second.weightsProblem);
    expect(await storage.readRunWeights(stored)).toEqual(new Uint8Array(1000).fill(3));
    expect(await storage.estimate()).toMatchObject({ known: true, usage: 1000, quota: 1500, nearlyFull: true });
  });

  it('refuses to delete or write a run another tab has open', async () => {
    const manager = new MemoryLockManager();
    const stores = memoryStores();
    const disk = new MemoryDisk();
    const tab = (locks: RunLocks) => new StudioStorage({ stores: async () => stores, files: new RunFiles(async () => disk.root), locks, storageManager: null });
    const tabA = tab(new RunLocks(manager)), tabB = tab(new RunLocks(manager));
    const rec = recorded('run-l', 1, { t: 0 });
    await tabA.locks.hold('run-l');
    await tabA.saveRun(rec.record(), new Uint8Array(8));
    await expect(tabB.saveRun(rec.record(), new Uint8Array(8))).rejects.toThrow(/open in another tab/);
    await expect(tabB.deleteRun('run-l')).rejects.toThrow(/open in another tab/);
    expect(await tabB.getRun('run-l')).toBeDefined();
    tabA.locks.release('run-l');
    await Promise.resolve();
    await tabB.deleteRun('run-l');
    expect(await tabA.listRuns()).toEqual([]);
  });

  it('keeps one record per dataset file and restores the last one with its mapping and split', async () => {
    const clock = { t: 100 };
    const storage = memoryStudioStorage({ now: () => clock.t });
    const file = new TextEncoder().encode('{"query":"a","positive":"b"}\n');
    const first = await storage.saveDataset('faq.jsonl', file, null, { evalFraction: 0.2, seed: 1 });
    clock.t = 200;
    await storage.saveDataset('other.jsonl', new TextEncoder().encode('{"text":"x","label":1}\n'), null, { evalFraction: 0.1, seed: 2 });
    clock.t = 300;
    const again = await storage.saveDataset('faq.jsonl', file, { shape: 'pairs', columns: ['query', 'positive'] } as never, { evalFraction: 0.3, seed: 5 });
    expect(again.id).toBe(first.id);
    expect(again.added).toBe(100);
    const list = await storage.listDatasets();
    expect(list.map((d) => d.name)).toEqual(['faq.jsonl', 'other.jsonl']);
    expect('bytes' in list[0]).toBe(false);

    await storage.rememberModel({ kind: 'hub', repoId: 'sentence-transformers/all-MiniLM-L6-v2' });
    const session = await storage.lastSession();
    expect(session.model).toEqual({ kind: 'hub', repoId: 'sentence-transformers/all-MiniLM-L6-v2' });
    expect(session.dataset).toMatchObject({ id: first.id, name: 'faq.jsonl', split: { evalFraction: 0.3, seed: 5 } });
    const opened = await storage.openDataset(first.id);
    expect(new TextDecoder().decode(opened.bytes)).toBe('{"query":"a","positive":"b"}\n');
    await storage.deleteDataset(first.id);
    expect((await storage.lastSession()).dataset).toBeNull();
  });

  it('round-trips weights through safetensors by the model layout', () => {
    const layout = new ParamLayout([
      { name: 'emb', decay: true, members: [{ name: 'embeddings.word_embeddings.weight', shape: [3, 2] }] },
      { name: 'bias', decay: false, members: [{ name: 'encoder.layer.0.output.dense.bias', shape: [2] }] },
    ]);
    const params = new Float32Array(layout.totalSize);
    for (const e of layout.entries) for (let i = 0; i < e.size; i++) params[e.offset + i] = (e.offset + i) / 7;
    const bytes = encodeRunWeights(layout, params, { run: 'r' });
    expect(decodeRunWeights(layout, bytes)).toEqual(params);
    expect(() => encodeRunWeights(layout, new Float32Array(3))).toThrow(/3 values/);
  });

  it('describes the quota and warns when nearly full', () => {
    expect(describeEstimate(100, 1000, true)).toMatchObject({ available: 900, nearlyFull: true });
    const roomy = describeEstimate(1 << 20, 10 * (1 << 30), false);
    expect(roomy.nearlyFull).toBe(false);
    expect(roomy.warning).toBeNull();
    expect(describeEstimate(95, 100, null).warning).toMatch(/nearly full/);
    expect(new StorageFullError('x').name).toBe('StorageFullError');
    expect(newRunId(0, () => 0.5)).toBe('run-0-iiiiii');
  });
});
