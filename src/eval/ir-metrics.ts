/**
 * Retrieval metrics, computed the way sentence-transformers' `InformationRetrievalEvaluator`
 * computes them, so numbers shown in the studio can be compared with a Python run.
 *
 * Things we copy on purpose, even where a textbook would differ:
 * - Queries with no relevant documents are dropped before averaging (the evaluator filters them
 *   out of `queries_ids` in its constructor).
 * - precision@k divides by k even when fewer than k documents were retrieved.
 * - recall@k divides by |relevant| (not min(k, |relevant|)), so recall@1 < 1 with 2 relevant docs.
 * - MAP@k divides the sum of precisions by min(k, |relevant|).
 * - NDCG@k uses binary gains, DCG = Σ rel_i / log2(i + 2) over the first k hits, and an ideal DCG
 *   built from |relevant| ones (cut at k), including relevant ids that are not in the corpus.
 * - A query's own text in the corpus is NOT skipped (the evaluator only mentions BEIR's
 *   `corpus_id == query_id` skip in a comment and deliberately does not apply it).
 * - Cosine is `util.cos_sim`: each vector divided by max(‖v‖, 1e-12), then a dot product.
 * - Only the top max(k) hits per query are ever looked at (100 with the defaults, for MAP@100),
 *   so `computeRankings` must be called with topK >= IR_MAX_K to reproduce every number.
 *
 * Ties: the evaluator's order among equal scores is undefined (unsorted `torch.topk`, a heap of
 * (score, corpus_id) tuples, then a stable sort). We pick a deterministic rule instead: higher
 * score first, then lower corpus index first.
 */

export type Similarity = 'cosine' | 'dot';

/** One query's hits, best first. `corpusIndex[i]` scored `score[i]`. */
export interface Ranking {
  corpusIndex: Int32Array;
  score: Float32Array;
}

/** The sentence-transformers defaults. */
export const ACCURACY_AT_K = [1, 3, 5, 10] as const;
export const PRECISION_RECALL_AT_K = [1, 3, 5, 10] as const;
export const MRR_AT_K = 10;
export const NDCG_AT_K = 10;
export const MAP_AT_K = 100;
/** How many hits per query the metrics read; pass this as `topK` to `computeRankings`. */
export const IR_MAX_K = 100;

type K4 = (typeof ACCURACY_AT_K)[number];

export type IrMetricName =
  | `${Similarity}_accuracy@${K4}`
  | `${Similarity}_precision@${K4}`
  | `${Similarity}_recall@${K4}`
  | `${Similarity}_mrr@10`
  | `${Similarity}_ndcg@10`
  | `${Similarity}_map@100`;

/** Aggregate metrics for one similarity function, keyed exactly as sentence-transformers logs them. */
export type IrMetrics<S extends Similarity = Similarity> = {
  [K in IrMetricName as K extends `${S}_${string}` ? K : never]: number;
};

export interface PerQueryResult {
  /** Index into the `rankings` / `relevant` arrays given to `informationRetrievalMetrics`. */
  query: number;
  /** 1-based rank of the first relevant hit among the retrieved hits, or null if none was retrieved. */
  firstRelevantRank: number | null;
  /** 1 / firstRelevantRank over all retrieved hits (0 when none), unlike mrr@10 which stops at 10. */
  reciprocalRank: number;
  /** This query's contributions to the aggregates. */
  mrrAt10: number;
  ndcgAt10: number;
  apAt100: number;
  numRelevant: number;
}

export interface IrEvaluation<S extends Similarity = Similarity> {
  metrics: IrMetrics<S>;
  /** One entry per query that had at least one relevant document (the ones that were averaged). */
  perQuery: PerQueryResult[];
  /** Queries left out of the averages because their relevant set was empty (as the evaluator does). */
  skippedQueries: number[];
}

export interface IrMetricsOptions<S extends Similarity> {
  /** Prefix of every metric key, e.g. 'cosine' gives `cosine_ndcg@10`. Defaults to 'cosine'. */
  similarity?: S;
}

/** util.normalize_embeddings uses F.normalize's default eps. */
const NORM_EPS = 1e-12;

/**
 * Scores every query against every document and keeps the `topK` best per query (best first).
 * Uses a bounded min-heap per query instead of sorting whole score rows: O(Q·N·dim + Q·N·log topK).
 */
export function computeRankings(
  queryEmb: Float32Array,
  corpusEmb: Float32Array,
  dim: number,
  topK: number,
  similarity: Similarity,
): Ranking[] {
  if (!Number.isInteger(dim) || dim <= 0) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  if (queryEmb.length % dim !== 0) {
    throw new RangeError(`queryEmb length ${queryEmb.length} is not a multiple of dim ${dim}`);
  }
  if (corpusEmb.length % dim !== 0) {
    throw new RangeError(`corpusEmb length ${corpusEmb.length} is not a multiple of dim ${dim}`);
  }
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a non-negative integer, got ${topK}`);

  const numQueries = queryEmb.length / dim;
  const numDocs = corpusEmb.length / dim;
  const k = Math.min(topK, numDocs);

  const q = similarity === 'cosine' ? normalizeRows(queryEmb, dim) : Float64Array.from(queryEmb);
  const c = similarity === 'cosine' ? normalizeRows(corpusEmb, dim) : Float64Array.from(corpusEmb);

  const heaps: TopKHeap[] = [];
  for (let i = 0; i < numQueries; i++) heaps.push(new TopKHeap(k));

  // A 4-query x 2-document register block: each loaded value feeds several multiply-adds, which
  // took 1,000 x 10,000 x 384 from ~22 s to ~6 s in Node 20 (one dot product at a time is
  // load-bound). Cache-blocking the corpus as well measured no further gain, so it is not done.
  if (k > 0) {
    for (let q0 = 0; q0 < numQueries; q0 += 4) {
      const qn = Math.min(4, numQueries - q0);
      // Missing rows of a ragged last block alias row q0; their results are simply not offered.
      const a0 = q0 * dim;
      const a1 = (qn > 1 ? q0 + 1 : q0) * dim;
      const a2 = (qn > 2 ? q0 + 2 : q0) * dim;
      const a3 = (qn > 3 ? q0 + 3 : q0) * dim;
      for (let d = 0; d < numDocs; d += 2) {
        const two = d + 1 < numDocs;
        const b0 = d * dim;
        const b1 = (two ? d + 1 : d) * dim;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
        for (let t = 0; t < dim; t++) {
          const c0 = c[b0 + t];
          const c1 = c[b1 + t];
          const x0 = q[a0 + t];
          const x1 = q[a1 + t];
          const x2 = q[a2 + t];
          const x3 = q[a3 + t];
          s00 += x0 * c0; s01 += x0 * c1;
          s10 += x1 * c0; s11 += x1 * c1;
          s20 += x2 * c0; s21 += x2 * c1;
          s30 += x3 * c0; s31 += x3 * c1;
        }
        // Rank on the float32 value we report, so the printed order and the scores agree.
        heaps[q0].offer(Math.fround(s00), d);
        if (two) heaps[q0].offer(Math.fround(s01), d + 1);
        if (qn > 1) {
          heaps[q0 + 1].offer(Math.fround(s10), d);
          if (two) heaps[q0 + 1].offer(Math.fround(s11), d + 1);
        }
        if (qn > 2) {
          heaps[q0 + 2].offer(Math.fround(s20), d);
          if (two) heaps[q0 + 2].offer(Math.fround(s21), d + 1);
        }
        if (qn > 3) {
          heaps[q0 + 3].offer(Math.fround(s30), d);
          if (two) heaps[q0 + 3].offer(Math.fround(s31), d + 1);
        }
      }
    }
  }
  return heaps.map((h) => h.drainSorted());
}

/**
 * Unit rows, rounded to float32 like torch's normalised tensors, but stored as float64 because V8
 * multiplies float64 loads noticeably faster than float32 ones in the hot loop.
 */
function normalizeRows(x: Float32Array, dim: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let off = 0; off < x.length; off += dim) {
    let ss = 0;
    for (let t = 0; t < dim; t++) ss += x[off + t] * x[off + t];
    const inv = 1 / Math.max(Math.sqrt(ss), NORM_EPS);
    for (let t = 0; t < dim; t++) out[off + t] = Math.fround(x[off + t] * inv);
  }
  return out;
}

/**
 * Keeps the k best (score, index) pairs. The root is the worst kept pair: lowest score, and among
 * equal scores the highest index, so that lower indices win ties. NaN scores never enter.
 */
class TopKHeap {
  private readonly scores: Float64Array;
  private readonly idx: Int32Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.idx = new Int32Array(capacity);
  }

  /** true when (sa, ia) ranks below (sb, ib). */
  private static worse(sa: number, ia: number, sb: number, ib: number): boolean {
    return sa < sb || (sa === sb && ia > ib);
  }

  offer(score: number, index: number): void {
    if (this.capacity === 0 || Number.isNaN(score)) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!TopKHeap.worse(score, index, this.scores[p], this.idx[p])) break;
        this.scores[i] = this.scores[p];
        this.idx[i] = this.idx[p];
        i = p;
      }
      this.scores[i] = score;
      this.idx[i] = index;
      return;
    }
    if (!TopKHeap.worse(this.scores[0], this.idx[0], score, index)) return;
    this.siftDown(score, index);
  }

  /** Replace the root with (score, index) and restore the heap. */
  private siftDown(score: number, index: number): void {
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && TopKHeap.worse(this.scores[r], this.idx[r], this.scores[l], this.idx[l])) m = r;
      if (!TopKHeap.worse(this.scores[m], this.idx[m], score, index)) break;
      this.scores[i] = this.scores[m];
      this.idx[i] = this.idx[m];
      i = m;
    }
    this.scores[i] = score;
    this.idx[i] = index;
  }

  /** Empties the heap into arrays ordered best first. */
  drainSorted(): Ranking {
    const n = this.size;
    const corpusIndex = new Int32Array(n);
    const score = new Float32Array(n);
    // Popping the worst element each time fills the output from the back.
    for (let out = n - 1; out >= 0; out--) {
      corpusIndex[out] = this.idx[0];
      score[out] = this.scores[0];
      const lastS = this.scores[this.size - 1];
      const lastI = this.idx[this.size - 1];
      this.size--;
      if (this.size > 0) this.siftDown(lastS, lastI);
    }
    return { corpusIndex, score };
  }
}

function dcgAtK(relevances: ArrayLike<number>, k: number): number {
  let dcg = 0;
  const n = Math.min(relevances.length, k);
  for (let i = 0; i < n; i++) dcg += relevances[i] / Math.log2(i + 2);
  return dcg;
}

function mean(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Aggregate and per-query retrieval metrics from rankings (best first, as `computeRankings` returns
 * them) and each query's relevant corpus indices. With no evaluable query every metric is NaN,
 * which is what numpy's mean of an empty list gives in the evaluator.
 */
export function informationRetrievalMetrics<S extends Similarity = 'cosine'>(
  rankings: readonly Ranking[],
  relevant: readonly ReadonlySet<number>[],
  opts: IrMetricsOptions<S> = {},
): IrEvaluation<S> {
  if (rankings.length !== relevant.length) {
    throw new RangeError(`got ${rankings.length} rankings but ${relevant.length} relevant sets`);
  }
  const sim = (opts.similarity ?? 'cosine') as S;

  const hitsAtK = new Map<number, number[]>(ACCURACY_AT_K.map((k) => [k, []]));
  const precisionAtK = new Map<number, number[]>(PRECISION_RECALL_AT_K.map((k) => [k, []]));
  const recallAtK = new Map<number, number[]>(PRECISION_RECALL_AT_K.map((k) => [k, []]));
  const mrr: number[] = [];
  const ndcg: number[] = [];
  const ap: number[] = [];
  const perQuery: PerQueryResult[] = [];
  const skippedQueries: number[] = [];

  for (let qi = 0; qi < rankings.length; qi++) {
    const rel = relevant[qi];
    if (rel.size === 0) {
      skippedQueries.push(qi);
      continue;
    }
    const hits = rankings[qi].corpusIndex;
    const isRel = new Uint8Array(hits.length);
    let firstRelevantRank: number | null = null;
    for (let i = 0; i < hits.length; i++) {
      if (rel.has(hits[i])) {
        isRel[i] = 1;
        if (firstRelevantRank === null) firstRelevantRank = i + 1;
      }
    }
    const correctInTop = (k: number): number => {
      let n = 0;
      const end = Math.min(k, isRel.length);
      for (let i = 0; i < end; i++) n += isRel[i];
      return n;
    };

    for (const k of ACCURACY_AT_K) {
      hitsAtK.get(k)!.push(firstRelevantRank !== null && firstRelevantRank <= k ? 1 : 0);
    }
    for (const k of PRECISION_RECALL_AT_K) {
      const c = correctInTop(k);
      precisionAtK.get(k)!.push(c / k);
      recallAtK.get(k)!.push(c / rel.size);
    }

    const mrrAt10 = firstRelevantRank !== null && firstRelevantRank <= MRR_AT_K ? 1 / firstRelevantRank : 0;
    mrr.push(mrrAt10);

    const ideal = new Uint8Array(rel.size).fill(1);
    const ndcgAt10 = dcgAtK(isRel, NDCG_AT_K) / dcgAtK(ideal, NDCG_AT_K);
    ndcg.push(ndcgAt10);

    let numCorrect = 0;
    let sumPrecisions = 0;
    const mapEnd = Math.min(MAP_AT_K, isRel.length);
    for (let i = 0; i < mapEnd; i++) {
      if (isRel[i]) {
        numCorrect++;
        sumPrecisions += numCorrect / (i + 1);
      }
    }
    const apAt100 = sumPrecisions / Math.min(MAP_AT_K, rel.size);
    ap.push(apAt100);

    perQuery.push({
      query: qi,
      firstRelevantRank,
      reciprocalRank: firstRelevantRank === null ? 0 : 1 / firstRelevantRank,
      mrrAt10,
      ndcgAt10,
      apAt100,
      numRelevant: rel.size,
    });
  }

  const out: Record<string, number> = {};
  for (const k of ACCURACY_AT_K) out[`${sim}_accuracy@${k}`] = mean(hitsAtK.get(k)!);
  for (const k of PRECISION_RECALL_AT_K) {
    out[`${sim}_precision@${k}`] = mean(precisionAtK.get(k)!);
    out[`${sim}_recall@${k}`] = mean(recallAtK.get(k)!);
  }
  out[`${sim}_mrr@${MRR_AT_K}`] = mean(mrr);
  out[`${sim}_ndcg@${NDCG_AT_K}`] = mean(ndcg);
  out[`${sim}_map@${MAP_AT_K}`] = mean(ap);

  return { metrics: out as IrMetrics<S>, perQuery, skippedQueries };
}

export interface RankMove {
  query: number;
  before: number | null;
  after: number | null;
  /** Positive when the first relevant hit moved up; unranked counts as rank topK + 1. */
  delta: number;
}

/**
 * Compares the first-relevant ranks of two evaluations of the same queries (e.g. before and after
 * fine-tuning), biggest movers first, for the "rank movers" table.
 */
export function rankMovers(
  before: readonly PerQueryResult[],
  after: readonly PerQueryResult[],
  unrankedAs: number = IR_MAX_K + 1,
): RankMove[] {
  const byQuery = new Map<number, PerQueryResult>();
  for (const r of before) byQuery.set(r.query, r);
  const moves: RankMove[] = [];
  for (const a of after) {
    const b = byQuery.get(a.query);
    if (!b) continue;
    const delta = (b.firstRelevantRank ?? unrankedAs) - (a.firstRelevantRank ?? unrankedAs);
    moves.push({ query: a.query, before: b.firstRelevantRank, after: a.firstRelevantRank, delta });
  }
  moves.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.query - y.query);
  return moves;
}
