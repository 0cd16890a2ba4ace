import { describe, expect, it } from 'vitest';
import type { ProjectionPoint, QueryComparison } from '../../../worker/protocol.ts';
import { metricDeltas, queryRows, sortQueryRows, summarizeMoves } from './per-query.ts';
import { easeInOut, groupColor, hoverText, interpolate, queryLinks, sharedBounds } from './projection.ts';
import type { RetrievalMetrics } from '../../../shared/metrics.ts';

const q = (query: string, rankBefore: number | null, rankAfter: number | null): QueryComparison => ({ query, rankBefore, rankAfter, topBefore: [], topAfter: [], relevant: [] });

describe('per-query rows', () => {
  const rows = queryRows([q('a', 5, 1), q('b', 1, 3), q('c', 2, 2), q('d', null, 10), q('e', 4, null), q('f', 3, 2)]);

  it('measures gain as places moved up, a missing rank counting as 101', () => {
    expect(rows.map((r) => r.gain)).toEqual([4, -2, 0, 91, -97, 1]);
  });
  it('sorts by gain: biggest wins, then unchanged, then regressions', () => {
    expect(sortQueryRows(rows, 'gain').map((r) => r.query)).toEqual(['d', 'a', 'f', 'c', 'b', 'e']);
  });
  it('sorts by loss: biggest regressions first', () => {
    expect(sortQueryRows(rows, 'loss').map((r) => r.query)).toEqual(['e', 'b', 'c', 'f', 'a', 'd']);
  });
  it('keeps dataset order for ties and for "order"', () => {
    const tied = queryRows([q('x', 3, 1), q('y', 4, 2), q('z', 2, 2)]);
    expect(sortQueryRows(tied, 'gain').map((r) => r.query)).toEqual(['x', 'y', 'z']);
    expect(sortQueryRows(sortQueryRows(rows, 'loss'), 'order').map((r) => r.query)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
  it('does not mutate its input and counts moves', () => {
    const copy = [...rows];
    sortQueryRows(rows, 'loss');
    expect(rows).toEqual(copy);
    expect(summarizeMoves(rows)).toEqual({ improved: 3, regressed: 2, unchanged: 1 });
  });
});

describe('metricDeltas', () => {
  const m = (v: number, over: Partial<RetrievalMetrics> = {}): RetrievalMetrics => ({ 'accuracy@1': v, 'recall@1': v, 'recall@5': v, 'recall@10': v, 'mrr@10': v, 'ndcg@10': v, 'map@100': v, ...over });
  it('lists the seven metrics with direction', () => {
    const d = metricDeltas({ before: m(0.5), after: m(0.6, { 'recall@1': 0.4, 'map@100': 0.50001 }) });
    expect(d.map((r) => r.label)).toEqual(['MRR@10', 'NDCG@10', 'MAP@100', 'Recall@1', 'Recall@5', 'Recall@10', 'Accuracy@1']);
    expect(d[0].direction).toBe('up');
    expect(d[0].delta).toBeCloseTo(0.1);
    expect(d.find((r) => r.key === 'recall@1')!.direction).toBe('down');
    expect(d.find((r) => r.key === 'map@100')!.direction).toBe('same');
  });
});

describe('projection', () => {
  const p = (before: [number, number], after: [number, number], group = 0): ProjectionPoint => ({ text: 't', kind: 'query', group, before, after });
  const pts = [p([0, 0], [10, -10]), p([2, 4], [2, 4])];

  it('interpolates linearly and clamps t', () => {
    expect(interpolate(pts, 0)).toEqual({ x: [0, 2], y: [0, 4] });
    expect(interpolate(pts, 1)).toEqual({ x: [10, 2], y: [-10, 4] });
    expect(interpolate(pts, 0.5)).toEqual({ x: [5, 2], y: [-5, 4] });
    expect(interpolate(pts, 7)).toEqual(interpolate(pts, 1));
    expect(interpolate(pts, -1)).toEqual(interpolate(pts, 0));
    expect(interpolate(pts, Number.NaN)).toEqual(interpolate(pts, 0));
  });
  it('frames before and after together', () => {
    const b = sharedBounds(pts, 0);
    expect(b).toEqual({ x: [0, 10], y: [-10, 4] });
    const padded = sharedBounds(pts, 0.1);
    expect(padded.x[0]).toBeCloseTo(-1);
    expect(padded.y[1]).toBeCloseTo(5.4);
    expect(sharedBounds([])).toEqual({ x: [-1, 1], y: [-1, 1] });
  });
  it('eases from 0 to 1 symmetrically', () => {
    expect(easeInOut(0)).toBe(0);
    expect(easeInOut(1)).toBe(1);
    expect(easeInOut(0.5)).toBeCloseTo(0.5);
    expect(easeInOut(0.25) + easeInOut(0.75)).toBeCloseTo(1);
  });
  it('greys group -1 and cycles the palette', () => {
    expect(groupColor(-1, ['a', 'b'], 'grey')).toBe('grey');
    expect(groupColor(3, ['a', 'b'], 'grey')).toBe('b');
  });
  it('escapes and wraps hover text', () => {
    const h = hoverText({ text: '<b>x</b> ' + 'word '.repeat(20), kind: 'document', group: -1, before: [0, 0], after: [0, 0] }, 60, 20);
    expect(h.startsWith('<b>document</b><br>&lt;b&gt;x&lt;/b&gt;')).toBe(true);
    expect(h).toContain('…');
    expect(h.split('<br>').length).toBeGreaterThan(2);
  });
});

describe('queryLinks', () => {
  it('joins each query to the documents of its group and nothing else', () => {
    const p = (kind: 'query' | 'document', group: number): ProjectionPoint => ({ text: '', kind, group, before: [0, 0], after: [0, 0] });
    const points = [p('query', 0), p('query', 1), p('document', 1), p('document', 0), p('document', -1), p('document', 0)];
    const x = [0, 1, 2, 3, 4, 5], y = [10, 11, 12, 13, 14, 15];
    expect(queryLinks(points, x, y)).toEqual({ x: [0, 3, null, 0, 5, null, 1, 2, null], y: [10, 13, null, 10, 15, null, 11, 12, null] });
  });
});
