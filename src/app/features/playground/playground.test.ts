import { describe, expect, it } from 'vitest';
import type { PreviewRow, SearchHit } from '../../../worker/protocol.ts';
import { evalQueriesFrom, metricRows, POOLING_OPTIONS, requestKey, sameSettings, settingsDiff, templateWarning } from './playground-selectors.ts';
import { describeMove, formatMove, rankMoves } from './rank-moves.ts';
import type { RetrievalMetrics } from '../../../shared/metrics.ts';
import { DEFAULT_RETRIEVAL } from '../../../shared/settings.ts';

const hit = (corpusIndex: number): SearchHit => ({ corpusIndex, text: `doc ${corpusIndex}`, score: 0, relevant: false });

describe('rankMoves', () => {
  it('reports up, down, same and new by corpus index', () => {
    const pinned = [hit(1), hit(2), hit(3), hit(4), hit(5)];
    const current = [hit(4), hit(2), hit(1), hit(9), hit(5)];
    const moves = rankMoves(pinned, current);
    expect(moves.map(formatMove)).toEqual(['↑3', '=', '↓2', 'new', '=']);
    expect(describeMove(moves[0])).toBe('up 3 from rank 4');
    expect(describeMove(moves[3])).toBe('new in the top results');
  });
  it('treats everything as new against an empty pinned list', () => {
    expect(rankMoves([], [hit(1), hit(2)]).map((m) => m.kind)).toEqual(['new', 'new']);
    expect(rankMoves([hit(1)], [])).toEqual([]);
  });
  it('uses the first occurrence when a pinned list repeats a document', () => {
    expect(rankMoves([hit(1), hit(1)], [hit(2), hit(1)]).map(formatMove)).toEqual(['new', '↓1']);
  });
});

describe('playground selectors', () => {
  const m = (x: number): RetrievalMetrics => ({ 'accuracy@1': x, 'recall@1': x, 'recall@5': x, 'recall@10': x, 'mrr@10': x, 'ndcg@10': x, 'map@100': x });
  it('builds metric rows with and without a baseline', () => {
    const rows = metricRows(m(0.5), m(0.25));
    expect(rows.map((r) => r.key)).toEqual(['mrr@10', 'ndcg@10', 'recall@1', 'recall@5', 'recall@10']);
    expect(rows[0]).toEqual({ key: 'mrr@10', label: 'MRR@10', value: 0.5, baseline: 0.25 });
    expect('baseline' in metricRows(m(0.5), undefined)[0]).toBe(false);
    expect(metricRows(null, null)[0]).toEqual({ key: 'mrr@10', label: 'MRR@10', value: null, baseline: null });
  });
  it('lists all six pooling modes', () => {
    expect(POOLING_OPTIONS.map((p) => p.value)).toEqual(['mean', 'cls', 'max', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken']);
  });
  it('keys requests independently of key order', () => {
    expect(requestKey({ a: 1, b: { c: 2, d: 3 } })).toBe(requestKey({ b: { d: 3, c: 2 }, a: 1 }));
  });
  it('changes the key when a nested setting changes', () => {
    const k = (pooling: string) => requestKey({ s: { ...DEFAULT_RETRIEVAL, pooling }, weights: 'base', revision: 1 });
    expect(k('mean')).not.toBe(k('cls'));
    expect(requestKey({ q: 'a', list: [1, 2] })).not.toBe(requestKey({ q: 'a', list: [2, 1] }));
  });
  it('compares and describes settings', () => {
    const other = { ...DEFAULT_RETRIEVAL, pooling: 'cls' as const, normalize: false, queryTemplate: 'query: {text}' };
    expect(sameSettings(DEFAULT_RETRIEVAL, { ...DEFAULT_RETRIEVAL })).toBe(true);
    expect(sameSettings(DEFAULT_RETRIEVAL, other)).toBe(false);
    expect(settingsDiff(DEFAULT_RETRIEVAL, other)).toEqual(['pooling mean → cls', 'normalize on → off', 'query template "{text}" → "query: {text}"']);
    expect(templateWarning('query: ')).toMatch(/prefix/);
    expect(templateWarning('query: {text}')).toBeNull();
  });
  it('collects distinct eval queries in order', () => {
    const row = (q: string, split: 'train' | 'eval'): PreviewRow => ({ line: 1, texts: [q, 'p'], split });
    expect(evalQueriesFrom([row('a', 'eval'), row('b', 'train'), row('c', 'eval'), row('a', 'eval')])).toEqual(['a', 'c']);
  });
});
