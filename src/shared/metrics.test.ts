import { describe, expect, it } from 'vitest';
import { upgradeRunRecord } from '../storage/records.ts';
import type { RunRecord } from '../storage/records.ts';
import { metricsFromEvaluator, readStoredMetrics, RETRIEVAL_METRIC_KEYS } from './metrics.ts';

const evaluatorRecord = Object.fromEntries(RETRIEVAL_METRIC_KEYS.map((k, i) => [`cosine_${k}`, i / 10]));

describe('retrieval metrics under one spelling', () => {
  it('come out of an evaluator record by its sentence-transformers keys', () => {
    const m = metricsFromEvaluator({ ...evaluatorRecord, 'cosine_precision@1': 0.9 });
    expect(m).toEqual(Object.fromEntries(RETRIEVAL_METRIC_KEYS.map((k, i) => [k, i / 10])));
    expect(m['mrr@10']).toBe(0.4);
  });

  it('refuse an evaluator record that lacks a key, naming it', () => {
    const { 'cosine_ndcg@10': _dropped, ...rest } = evaluatorRecord;
    expect(() => metricsFromEvaluator(rest)).toThrow('cosine_ndcg@10');
  });

  it('read runs saved under the old camelCase names, and today’s', () => {
    const legacy = { accuracyAt1: 0.1, recallAt1: 0.2, recallAt5: 0.3, recallAt10: 0.4, mrrAt10: 0.5, ndcgAt10: 0.6, mapAt100: 0.7 };
    const today = readStoredMetrics(legacy);
    expect(today).toEqual({ 'accuracy@1': 0.1, 'recall@1': 0.2, 'recall@5': 0.3, 'recall@10': 0.4, 'mrr@10': 0.5, 'ndcg@10': 0.6, 'map@100': 0.7 });
    expect(readStoredMetrics(today)).toEqual(today);
    expect(readStoredMetrics({ mrrAt10: 0.5 })).toBeNull();
    expect(readStoredMetrics(null)).toBeNull();
  });

  it('a saved run from before is upgraded as it is read', () => {
    const legacy = { accuracyAt1: 0.1, recallAt1: 0.2, recallAt5: 0.3, recallAt10: 0.4, mrrAt10: 0.5, ndcgAt10: 0.6, mapAt100: 0.7 };
    const old = { before: legacy, after: { ...legacy, mrrAt10: 0.8 }, evalHistory: [{ step: 0, metrics: legacy }, { step: 5, metrics: { broken: true } }] } as unknown as RunRecord;
    const run = upgradeRunRecord(old);
    expect(run.before?.['mrr@10']).toBe(0.5);
    expect(run.after?.['mrr@10']).toBe(0.8);
    expect(run.evalHistory).toEqual([{ step: 0, metrics: readStoredMetrics(legacy) }]);
  });
});
