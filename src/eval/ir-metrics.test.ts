import { describe, expect, it } from 'vitest';
import {
  IR_MAX_K,
  computeRankings,
  informationRetrievalMetrics,
  rankMovers,
  type Ranking,
} from './ir-metrics.ts';

function ranking(ids: number[]): Ranking {
  // Scores only need to be descending; the metrics read the order.
  return {
    corpusIndex: Int32Array.from(ids),
    score: Float32Array.from(ids.map((_, i) => 1 - i / 100)),
  };
}

const LOG2_3 = Math.log2(3);

describe('informationRetrievalMetrics (hand-computed, sentence-transformers formulas)', () => {
  // q0: single relevant doc at rank 2.
  // q1: two relevant docs at ranks 1 and 3.
  // q2: relevant doc never retrieved.
  // q3: no relevant docs at all -> dropped from the averages, like the evaluator's constructor does.
  const rankings = [
    ranking([5, 2, 7, 1, 8, 9, 10, 11, 12, 13, 14]),
    ranking([0, 9, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]),
    ranking([1, 2, 3]),
    ranking([0, 1]),
  ];
  const relevant = [new Set([2]), new Set([0, 3]), new Set([42]), new Set<number>()];
  const { metrics: m, perQuery, skippedQueries } = informationRetrievalMetrics(rankings, relevant);

  const q0 = { ndcg: 1 / LOG2_3, ap: 0.5 };
  const q1 = { ndcg: (1 + 1 / 2) / (1 + 1 / LOG2_3), ap: (1 + 2 / 3) / 2 };

  it('averages over the three queries that have relevant docs', () => {
    expect(skippedQueries).toEqual([3]);
    expect(perQuery.map((p) => p.query)).toEqual([0, 1, 2]);
  });

  it('accuracy@k counts queries with any relevant doc in the top k', () => {
    expect(m['cosine_accuracy@1']).toBeCloseTo(1 / 3, 12);
    expect(m['cosine_accuracy@3']).toBeCloseTo(2 / 3, 12);
    expect(m['cosine_accuracy@5']).toBeCloseTo(2 / 3, 12);
    expect(m['cosine_accuracy@10']).toBeCloseTo(2 / 3, 12);
  });

  it('precision@k divides by k; recall@k divides by |relevant|', () => {
    expect(m['cosine_precision@1']).toBeCloseTo((0 + 1 + 0) / 3, 12);
    expect(m['cosine_precision@3']).toBeCloseTo((1 / 3 + 2 / 3 + 0) / 3, 12);
    expect(m['cosine_precision@5']).toBeCloseTo((1 / 5 + 2 / 5 + 0) / 3, 12);
    expect(m['cosine_precision@10']).toBeCloseTo((1 / 10 + 2 / 10 + 0) / 3, 12);
    expect(m['cosine_recall@1']).toBeCloseTo((0 + 1 / 2 + 0) / 3, 12);
    expect(m['cosine_recall@3']).toBeCloseTo((1 + 1 + 0) / 3, 12);
    expect(m['cosine_recall@10']).toBeCloseTo(2 / 3, 12);
  });

  it('MRR@10, NDCG@10 (binary, log2(i+2)), MAP@100 (÷ min(k, |relevant|))', () => {
    expect(m['cosine_mrr@10']).toBeCloseTo((1 / 2 + 1 + 0) / 3, 12);
    expect(m['cosine_ndcg@10']).toBeCloseTo((q0.ndcg + q1.ndcg + 0) / 3, 12);
    expect(m['cosine_map@100']).toBeCloseTo((q0.ap + q1.ap + 0) / 3, 12);
    expect(q1.ndcg).toBeCloseTo(0.9197207891481876, 12);
  });

  it('reports per-query ranks for rank movers', () => {
    expect(perQuery[0]).toMatchObject({ firstRelevantRank: 2, reciprocalRank: 0.5, mrrAt10: 0.5, numRelevant: 1 });
    expect(perQuery[0].ndcgAt10).toBeCloseTo(q0.ndcg, 12);
    expect(perQuery[1]).toMatchObject({ firstRelevantRank: 1, reciprocalRank: 1, numRelevant: 2 });
    expect(perQuery[1].apAt100).toBeCloseTo(q1.ap, 12);
    expect(perQuery[2]).toMatchObject({ firstRelevantRank: null, reciprocalRank: 0, mrrAt10: 0, ndcgAt10: 0, apAt100: 0 });
  });

  it('has exactly the sentence-transformers keys', () => {
    expect(Object.keys(m).sort()).toEqual(
      [
        'cosine_accuracy@1', 'cosine_accuracy@3', 'cosine_accuracy@5', 'cosine_accuracy@10',
        'cosine_precision@1', 'cosine_precision@3', 'cosine_precision@5', 'cosine_precision@10',
        'cosine_recall@1', 'cosine_recall@3', 'cosine_recall@5', 'cosine_recall@10',
        'cosine_mrr@10', 'cosine_ndcg@10', 'cosine_map@100',
      ].sort(),
    );
    const dot = informationRetrievalMetrics(rankings, relevant, { similarity: 'dot' }).metrics;
    expect(dot['dot_ndcg@10']).toBe(m['cosine_ndcg@10']);
  });
});

describe('informationRetrievalMetrics edge cases', () => {
  it('counts relevant docs beyond k in the ideal DCG only up to k, and in recall fully', () => {
    // 12 relevant docs, all retrieved in the first 12 positions.
    const ids = Array.from({ length: 12 }, (_, i) => i);
    const { metrics: m } = informationRetrievalMetrics([ranking(ids)], [new Set(ids)]);
    expect(m['cosine_ndcg@10']).toBeCloseTo(1, 12);
    expect(m['cosine_recall@10']).toBeCloseTo(10 / 12, 12);
    expect(m['cosine_precision@10']).toBe(1);
    expect(m['cosine_map@100']).toBeCloseTo(1, 12);
  });

  it('keeps dividing precision by k when the corpus is smaller than k', () => {
    const { metrics: m } = informationRetrievalMetrics([ranking([1, 0])], [new Set([0])]);
    expect(m['cosine_precision@10']).toBeCloseTo(0.1, 12);
    expect(m['cosine_precision@3']).toBeCloseTo(1 / 3, 12);
    expect(m['cosine_mrr@10']).toBe(0.5);
  });

  it('MAP@100 only reads the first 100 hits', () => {
    const ids = Array.from({ length: 150 }, (_, i) => i);
    const { metrics: m } = informationRetrievalMetrics([ranking(ids)], [new Set([120])]);
    expect(m['cosine_map@100']).toBe(0);
  });

  it('gives NaN averages with no evaluable queries (numpy mean of an empty list)', () => {
    const { metrics: m } = informationRetrievalMetrics([ranking([0])], [new Set<number>()]);
    expect(m['cosine_ndcg@10']).toBeNaN();
  });

  it('rejects mismatched inputs', () => {
    expect(() => informationRetrievalMetrics([ranking([0])], [])).toThrow(/1 rankings but 0/);
  });
});

function bruteForce(q: Float32Array, c: Float32Array, dim: number, topK: number, sim: 'cosine' | 'dot'): Ranking[] {
  const nq = q.length / dim;
  const nd = c.length / dim;
  // Independent of the implementation's helper, but the same float32 rounding of unit vectors.
  const unit = (x: Float32Array) => {
    const y = new Float32Array(x.length);
    for (let off = 0; off < x.length; off += dim) {
      const n = Math.max(Math.hypot(...x.subarray(off, off + dim)), 1e-12);
      for (let t = 0; t < dim; t++) y[off + t] = x[off + t] / n;
    }
    return y;
  };
  if (sim === 'cosine') {
    q = unit(q);
    c = unit(c);
  }
  const out: Ranking[] = [];
  for (let i = 0; i < nq; i++) {
    const scored: { d: number; s: number }[] = [];
    for (let d = 0; d < nd; d++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += q[i * dim + t] * c[d * dim + t];
      scored.push({ d, s: Math.fround(s) });
    }
    scored.sort((a, b) => b.s - a.s || a.d - b.d);
    const top = scored.slice(0, topK);
    out.push({ corpusIndex: Int32Array.from(top.map((x) => x.d)), score: Float32Array.from(top.map((x) => x.s)) });
  }
  return out;
}

function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('computeRankings', () => {
  it('computes cosine as util.cos_sim does and dot as a plain dot product', () => {
    const q = Float32Array.from([3, 4]);
    const c = Float32Array.from([4, 3, 0, 0, 6, 8]);
    const [cos] = computeRankings(q, c, 2, 3, 'cosine');
    expect(Array.from(cos.corpusIndex)).toEqual([2, 0, 1]);
    expect(cos.score[0]).toBeCloseTo(1, 6);
    expect(cos.score[1]).toBeCloseTo(0.96, 6);
    expect(cos.score[2]).toBe(0); // zero vector: divided by eps, not NaN
    const [dot] = computeRankings(q, c, 2, 2, 'dot');
    expect(Array.from(dot.corpusIndex)).toEqual([2, 0]);
    expect(Array.from(dot.score)).toEqual([50, 24]);
  });

  it('breaks ties by lower corpus index, including at the top-k cut', () => {
    // Docs 1, 2, 4 are identical; doc 3 is the best.
    const q = Float32Array.from([1, 0]);
    const c = Float32Array.from([0, 1, 1, 1, 1, 1, 2, 0, 1, 1]);
    const [r] = computeRankings(q, c, 2, 3, 'dot');
    expect(Array.from(r.corpusIndex)).toEqual([3, 1, 2]);
    expect(Array.from(r.score)).toEqual([2, 1, 1]);
  });

  it("does not skip a document identical to the query (the query's own text)", () => {
    const q = Float32Array.from([0.2, 0.9, -0.1]);
    const c = Float32Array.from([0.1, 0.1, 0.1, 0.2, 0.9, -0.1]);
    const [r] = computeRankings(q, c, 3, 2, 'cosine');
    expect(r.corpusIndex[0]).toBe(1);
    expect(r.score[0]).toBeCloseTo(1, 6);
  });

  it('returns min(topK, corpus size) hits and handles topK = 0 and empty inputs', () => {
    const q = Float32Array.from([1, 0, 0, 1]);
    const c = Float32Array.from([1, 0, 0, 1]);
    expect(computeRankings(q, c, 2, IR_MAX_K, 'dot').map((r) => r.corpusIndex.length)).toEqual([2, 2]);
    expect(computeRankings(q, c, 2, 0, 'dot')[0].corpusIndex.length).toBe(0);
    expect(computeRankings(new Float32Array(0), c, 2, 5, 'dot')).toEqual([]);
    expect(computeRankings(q, new Float32Array(0), 2, 5, 'dot')[1].corpusIndex.length).toBe(0);
  });

  it('matches a full sort on random data (with duplicated rows to force ties)', () => {
    const rnd = seededRandom(7);
    const dim = 7;
    const nq = 37;
    const nd = 503;
    const q = Float32Array.from({ length: nq * dim }, () => rnd() * 2 - 1);
    const c = Float32Array.from({ length: nd * dim }, () => Math.round((rnd() * 2 - 1) * 4) / 4);
    for (let d = 0; d < 40; d++) c.copyWithin((d + 100) * dim, d * dim, (d + 1) * dim);
    for (const sim of ['cosine', 'dot'] as const) {
      for (const k of [1, 10, 100, 600]) {
        const got = computeRankings(q, c, dim, k, sim);
        const want = bruteForce(q, c, dim, k, sim);
        for (let i = 0; i < nq; i++) {
          expect(Array.from(got[i].corpusIndex)).toEqual(Array.from(want[i].corpusIndex));
          expect(Array.from(got[i].score)).toEqual(Array.from(want[i].score));
        }
      }
    }
  });

  it('validates shapes', () => {
    expect(() => computeRankings(new Float32Array(3), new Float32Array(4), 2, 1, 'dot')).toThrow(/queryEmb length 3/);
    expect(() => computeRankings(new Float32Array(2), new Float32Array(4), 0, 1, 'dot')).toThrow(/dim/);
  });

  it('feeds informationRetrievalMetrics end to end', () => {
    // Two queries; each is closest to its own relevant doc.
    const q = Float32Array.from([1, 0, 0, 1]);
    const c = Float32Array.from([0.9, 0.1, 0.1, 0.9, -1, 0]);
    const rankings = computeRankings(q, c, 2, IR_MAX_K, 'cosine');
    const { metrics } = informationRetrievalMetrics(rankings, [new Set([0]), new Set([1])]);
    expect(metrics['cosine_accuracy@1']).toBe(1);
    expect(metrics['cosine_ndcg@10']).toBe(1);
  });
});

describe('rankMovers', () => {
  it('orders by the size of the move and treats unranked as topK + 1', () => {
    const before = informationRetrievalMetrics(
      [ranking([1, 2, 0]), ranking([5, 6]), ranking([0])],
      [new Set([0]), new Set([9]), new Set([0])],
    ).perQuery;
    const after = informationRetrievalMetrics(
      [ranking([0, 1, 2]), ranking([9, 5]), ranking([0])],
      [new Set([0]), new Set([9]), new Set([0])],
    ).perQuery;
    const moves = rankMovers(before, after);
    expect(moves.map((m) => [m.query, m.before, m.after, m.delta])).toEqual([
      [1, null, 1, IR_MAX_K],
      [0, 3, 1, 2],
      [2, 1, 1, 0],
    ]);
  });
});
