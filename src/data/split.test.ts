import { describe, expect, it } from 'vitest';
import type { TrainingExample } from './shape.ts';
import { splitByQuery } from './split.ts';

const rows: TrainingExample[] = [];
for (let q = 0; q < 20; q++) for (let p = 0; p < (q % 3) + 1; p++) rows.push({ texts: [`q${q}`, `p${q}-${p}`] });

describe('splitByQuery', () => {
  it('is deterministic for a seed and different across seeds', () => {
    const a = splitByQuery(rows, { evalFraction: 0.25, seed: 42 });
    const b = splitByQuery(rows, { evalFraction: 0.25, seed: 42 });
    const c = splitByQuery(rows, { evalFraction: 0.25, seed: 43 });
    expect(a).toEqual(b);
    expect(a.evalIndex).not.toEqual(c.evalIndex);
  });

  it('never puts one query on both sides and splits whole queries by the fraction', () => {
    const s = splitByQuery(rows, { evalFraction: 0.25, seed: 1 });
    const trainQ = new Set(s.train.map((r) => r.texts[0]));
    const evalQ = new Set(s.eval.map((r) => r.texts[0]));
    expect([...evalQ].filter((q) => trainQ.has(q))).toEqual([]);
    expect(evalQ.size).toBe(5);
    expect(s.train.length + s.eval.length).toBe(rows.length);
    expect([...s.trainIndex, ...s.evalIndex].sort((x, y) => x - y)).toEqual(rows.map((_, i) => i));
    // Original order is kept inside each part.
    expect(s.evalIndex).toEqual([...s.evalIndex].sort((x, y) => x - y));
  });

  it('keeps both sides non-empty for small fractions, and honours 0 and 1', () => {
    expect(splitByQuery(rows.slice(0, 3), { evalFraction: 0.01, seed: 0 }).eval.length).toBeGreaterThan(0);
    expect(splitByQuery(rows.slice(0, 3), { evalFraction: 0.99, seed: 0 }).train.length).toBeGreaterThan(0);
    expect(splitByQuery(rows, { evalFraction: 0, seed: 0 }).eval).toEqual([]);
    expect(splitByQuery(rows, { evalFraction: 1, seed: 0 }).train).toEqual([]);
    expect(() => splitByQuery(rows, { evalFraction: 1.5, seed: 0 })).toThrow(/between 0 and 1/);
  });

  it('accepts a custom grouping key', () => {
    const s = splitByQuery(rows, { evalFraction: 0.5, seed: 3, groupKey: (e) => e.texts[0].slice(0, 2) });
    const evalGroups = new Set(s.eval.map((r) => r.texts[0].slice(0, 2)));
    expect(s.train.every((r) => !evalGroups.has(r.texts[0].slice(0, 2)))).toBe(true);
  });
});
