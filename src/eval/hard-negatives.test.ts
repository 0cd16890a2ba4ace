import { describe, expect, it } from 'vitest';
import {
  type MiningPair,
  mineHardNegatives,
  minedTriplets,
  miningOptionsProblem,
  miningSet,
  negativeKey,
  tripletsJsonl,
} from './hard-negatives.ts';
import { DEFAULT_MINING_OPTIONS, type MiningOptions } from '../shared/settings.ts';

// One anchor along x; documents at known angles, so their cosines are known exactly:
// c0 0° (the positive), c1 10°, c2 30°, c3 60°, c4 90°, c5 120°, c6 0° (the anchor's own text),
// c7 5° (a second positive of the same anchor).
const deg = [0, 10, 30, 60, 90, 120, 0, 5];
const corpus = Float32Array.from(deg.flatMap((d) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)]));
const queries = Float32Array.from([1, 0]);
const pair: MiningPair = { query: 0, positive: 0, exclude: new Set([0, 6, 7]) };
const mine = (o: Partial<MiningOptions>) =>
  mineHardNegatives(queries, corpus, 2, [pair], { ...DEFAULT_MINING_OPTIONS, ...o })[0].negatives.map((n) => n.corpusIndex);

describe('mineHardNegatives (hand-made corpus, known answers)', () => {
  it('top: the closest non-positives, best first; never a positive or the anchor itself', () => {
    expect(mine({ numNegatives: 3 })).toEqual([1, 2, 3]);
  });
  it('range_min skips the closest candidates; range_max stops the search', () => {
    expect(mine({ rangeMin: 1 })).toEqual([2, 3, 4]);
    expect(mine({ rangeMax: 2 })).toEqual([1, 2]);
    expect(mine({ rangeMin: 2, rangeMax: 4, numNegatives: 5 })).toEqual([3, 4]);
  });
  it('margin: score + margin must not exceed the positive score', () => {
    // cos 10° = 0.985 > 1 - 0.1; cos 30° = 0.866 passes.
    expect(mine({ margin: 0.1 })).toEqual([2, 3, 4]);
  });
  it('relative_margin: score must not exceed positive · (1 - relative_margin)', () => {
    // Threshold 0.6: 0.985 and 0.866 go, 0.5, 0 and -0.5 stay.
    expect(mine({ relativeMargin: 0.4 })).toEqual([3, 4, 5]);
  });
  it('max_score and min_score bound the candidates', () => {
    expect(mine({ maxScore: 0.9 })).toEqual([2, 3, 4]);
    expect(mine({ minScore: 0.4, numNegatives: 5 })).toEqual([1, 2, 3]);
  });
  it('reports scores, ranks and the positive score', () => {
    const [m] = mineHardNegatives(queries, corpus, 2, [pair], { ...DEFAULT_MINING_OPTIONS, rangeMin: 1, numNegatives: 1 });
    expect(m.positiveScore).toBeCloseTo(1, 6);
    expect(m.negatives[0]).toMatchObject({ corpusIndex: 2, rank: 1 });
    expect(m.negatives[0].score).toBeCloseTo(Math.cos(Math.PI / 6), 6);
  });
  it('random: num_negatives of the eligible ones, the same for the same seed', () => {
    const a = mine({ samplingStrategy: 'random', numNegatives: 2, seed: 7 });
    expect(a).toHaveLength(2);
    for (const d of a) expect([1, 2, 3, 4, 5]).toContain(d);
    expect(mine({ samplingStrategy: 'random', numNegatives: 2, seed: 7 })).toEqual(a);
    const seen = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => mine({ samplingStrategy: 'random', numNegatives: 2, seed }).join()));
    expect(seen.size).toBeGreaterThan(1);
    // Random still obeys the rules: with relative_margin 0.4 only 3, 4, 5 are eligible.
    for (const d of mine({ samplingStrategy: 'random', numNegatives: 2, relativeMargin: 0.4 })) expect([3, 4, 5]).toContain(d);
  });
  it('refuses options that cannot work, in their names', () => {
    expect(miningOptionsProblem({ ...DEFAULT_MINING_OPTIONS, rangeMax: 0 })).toMatch(/range_max/);
    expect(miningOptionsProblem({ ...DEFAULT_MINING_OPTIONS, numNegatives: 0 })).toMatch(/num_negatives/);
    expect(miningOptionsProblem({ ...DEFAULT_MINING_OPTIONS, relativeMargin: 1 })).toMatch(/relative_margin/);
    expect(() => mine({ rangeMin: -1 })).toThrow(/range_min/);
  });
  it('stops when progress says so', () => {
    const pairs = [pair, pair, pair];
    const got = mineHardNegatives(queries, corpus, 2, pairs, DEFAULT_MINING_OPTIONS, (done) => done < 2);
    expect(got).toHaveLength(2);
  });
});

describe('miningSet and triplets', () => {
  const rows = [
    { texts: ['what is a cat', 'a cat is a small feline'] },
    { texts: ['what is a cat', 'cats purr'] },
    { texts: ['what is a dog', 'a dog barks', 'cats purr'] },
    { texts: ['what is a dog', 'what is a dog'] },
  ];
  it('excludes every positive of the anchor and its own text', () => {
    const set = miningSet(rows);
    expect(set.queries).toEqual(['what is a cat', 'what is a dog']);
    expect(set.corpus).toEqual(['a cat is a small feline', 'cats purr', 'a dog barks', 'what is a dog']);
    expect([...set.pairs[0].exclude].sort()).toEqual([0, 1]);
    expect([...set.pairs[2].exclude].sort()).toEqual([2, 3]);
  });
  it('refuses a row without a positive', () => {
    expect(() => miningSet([{ texts: ['alone'] }])).toThrow(/row 1 has no positive/);
  });
  it('writes one triplet per kept negative, without the rejected ones, as JSONL', () => {
    const set = miningSet(rows.slice(0, 3));
    const mined = [
      { pair: set.pairs[0], positiveScore: 1, negatives: [{ corpusIndex: 2, score: 0.5, rank: 0 }] },
      { pair: set.pairs[2], positiveScore: 1, negatives: [{ corpusIndex: 0, score: 0.4, rank: 0 }, { corpusIndex: 1, score: 0.3, rank: 1 }] },
    ];
    const triplets = minedTriplets(set, mined, new Set([negativeKey(1, 1)]));
    expect(triplets).toEqual([
      { anchor: 'what is a cat', positive: 'a cat is a small feline', negative: 'a dog barks' },
      { anchor: 'what is a dog', positive: 'a dog barks', negative: 'a cat is a small feline' },
    ]);
    const lines = tripletsJsonl(triplets).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines[1]).toEqual({ anchor: 'what is a dog', positive: 'a dog barks', negative: 'a cat is a small feline' });
    expect(tripletsJsonl([])).toBe('');
  });
});
