import { describe, expect, it } from 'vitest';
import type { RunRecord, StorageStatus } from '../../../worker/protocol.ts';
import { historyFileName, lossLabel, metricRows, mrrChange, settingRows, storageLine, toggleSelection, usageFraction } from './runs-format.ts';
import type { RetrievalMetrics } from '../../../shared/metrics.ts';

const m = (x: number): RetrievalMetrics => ({ 'accuracy@1': x, 'recall@1': x, 'recall@5': x, 'recall@10': x, 'mrr@10': x, 'ndcg@10': x, 'map@100': x });

function run(id: string, patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id, created: 0, updated: 0,
    model: { name: 'BAAI/bge-small-en-v1.5', source: { kind: 'hub', repoId: 'BAAI/bge-small-en-v1.5' }, parameters: 1, dimension: 384, layers: 12, fingerprint: 'f' },
    dataset: { name: 'faq.jsonl', id: null, rows: 10, trainRows: 8, evalRows: 2 },
    config: { loss: 'mnrl', epochs: 1, batchSize: 16, learningRate: 5e-5, warmupSteps: 0, weightDecay: 0, maxSeqLength: 128, scheduler: 'linear', seed: 42, matryoshkaDims: [], evalEvery: 10 },
    retrieval: { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' },
    seed: 42, lossCurve: [{ step: 1, loss: 1.25, lr: 5e-5 }], evalHistory: [], before: m(0.4), after: m(0.5), state: 'finished', step: 1, totalSteps: 1,
    durationSeconds: 75, adapter: 'nvidia hopper', weights: null,
    ...patch,
  };
}

describe('the runs panel', () => {
  it('formats a run line', () => {
    expect(mrrChange({ mrrBefore: 0.4123, mrrAfter: 0.5 })).toBe('0.412 → 0.500');
    expect(mrrChange({ mrrBefore: null, mrrAfter: null })).toBe('—');
    expect(lossLabel({ loss: 'mnrl', finalLoss: 0.5 })).toBe('MultipleNegativesRankingLoss 0.5000');
    expect(historyFileName({ id: 'run-1', modelName: 'BAAI/bge small' })).toBe('run-1-BAAI-bge-small.json');
  });

  it('keeps at most two runs picked for comparison', () => {
    expect(toggleSelection([], 'a')).toEqual(['a']);
    expect(toggleSelection(['a', 'b'], 'c')).toEqual(['b', 'c']);
    expect(toggleSelection(['a', 'b'], 'a')).toEqual(['b']);
  });

  it('puts two runs side by side and flags what differs', () => {
    const a = run('a');
    const b = run('b', { config: { ...a.config, learningRate: 1e-4 }, after: m(0.45), lossCurve: [] });
    const settings = settingRows(a, b);
    expect(settings.find((r) => r.label === 'Learning rate')).toEqual({ label: 'Learning rate', a: '0.00005', b: '0.0001', differs: true });
    expect(settings.find((r) => r.label === 'Model')?.differs).toBe(false);
    expect(settings.find((r) => r.label === 'Final loss')).toMatchObject({ a: '1.2500', b: '—' });
    const metrics = metricRows(a, b);
    expect(metrics[0]).toEqual({ key: 'mrr@10', label: 'MRR@10', aBefore: 0.4, aAfter: 0.5, bBefore: 0.4, bAfter: 0.45, better: 'a' });
    expect(metricRows(a, run('c', { after: null }))[0].better).toBeNull();
  });

  it('says how much storage is used and warns when nearly full', () => {
    const base: StorageStatus = { known: true, usage: 900 * 2 ** 20, quota: 1024 * 2 ** 20, available: 124 * 2 ** 20, persisted: false, nearlyFull: true, warning: 'Storage is nearly full', enabled: true, problem: null, saveProblem: null };
    const line = storageLine(base);
    expect(line.text).toBe('900.0 MiB used, 124.0 MiB available (quota 1.0 GiB) · the browser may clear it under storage pressure');
    expect(line.tone).toBe('warn');
    expect(line.warning).toMatch(/nearly full/);
    expect(usageFraction(base)).toBeCloseTo(900 / 1024);
    expect(storageLine({ ...base, enabled: false, problem: 'this browser has no IndexedDB' }).text).toMatch(/Nothing is kept.*no IndexedDB/);
    expect(storageLine({ ...base, persisted: true, nearlyFull: false, warning: null }).tone).toBe('ok');
  });
});
