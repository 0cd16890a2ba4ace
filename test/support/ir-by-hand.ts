/**
 * Retrieval metrics written out from sentence-transformers' InformationRetrievalEvaluator
 * (compute_metrics), independently of src/eval: tests compare the studio's and the CLI's numbers
 * with these on rankings they make themselves.
 */

/** One query: its ranked hits (true = relevant), best first, and how many relevant documents it has. */
export interface RankedQuery {
  readonly hits: readonly boolean[];
  readonly relevantCount: number;
}

export interface HandMetrics {
  readonly accuracyAt: (k: number) => number;
  readonly precisionAt: (k: number) => number;
  readonly recallAt: (k: number) => number;
  readonly mrrAt10: number;
  readonly ndcgAt10: number;
  readonly mapAt100: number;
}

export function metricsByHand(queries: readonly RankedQuery[]): HandMetrics {
  const mean = (f: (q: RankedQuery) => number) => queries.reduce((s, q) => s + f(q), 0) / queries.length;
  const hitsIn = (q: RankedQuery, k: number) => q.hits.slice(0, k).filter(Boolean).length;
  return {
    accuracyAt: (k) => mean((q) => (hitsIn(q, k) > 0 ? 1 : 0)),
    precisionAt: (k) => mean((q) => hitsIn(q, k) / k),
    recallAt: (k) => mean((q) => hitsIn(q, k) / q.relevantCount),
    // 1 / rank of the first relevant hit within the top 10, else 0
    mrrAt10: mean((q) => {
      const first = q.hits.slice(0, 10).indexOf(true);
      return first < 0 ? 0 : 1 / (first + 1);
    }),
    // binary relevance; DCG = Σ rel_i / log2(i + 2); the ideal puts min(relevant, 10) hits first
    ndcgAt10: mean((q) => {
      let dcg = 0, ideal = 0;
      q.hits.slice(0, 10).forEach((rel, i) => (dcg += rel ? 1 / Math.log2(i + 2) : 0));
      for (let i = 0; i < Math.min(q.relevantCount, 10); i++) ideal += 1 / Math.log2(i + 2);
      return dcg / ideal;
    }),
    // Σ precision at each relevant hit within the top 100, over min(relevant, 100)
    mapAt100: mean((q) => {
      let found = 0, sum = 0;
      q.hits.slice(0, 100).forEach((rel, i) => {
        if (rel) sum += ++found / (i + 1);
      });
      return sum / Math.min(q.relevantCount, 100);
    }),
  };
}

/** Cosine similarity of two rows of flat [n, dim] arrays, in float64. */
export function cosineRow(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let dot = 0, na = 0, nb = 0;
  for (let k = 0; k < dim; k++) {
    const x = a[i * dim + k], y = b[j * dim + k];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}
