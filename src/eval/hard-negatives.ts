/**
 * Hard-negative mining with sentence-transformers' `mine_hard_negatives` knobs, so a person who
 * knows them finds the same ones: for each (anchor, positive), the corpus documents the model
 * ranks close to the anchor that are not its positives, limited by rank range, score bounds and
 * margins, then the top few or a seeded random few. Exact search (every document is scored): at
 * the corpus sizes a browser holds it is fast enough, and `use_faiss` only trades accuracy for speed.
 */
import { SeededRandom } from '../engine/rng.ts';
import type { MiningOptions } from '../shared/settings.ts';

export interface MiningPair {
  /** Row of the anchor in `queries`. */
  readonly query: number;
  /** Row of the positive in `corpus`. */
  readonly positive: number;
  /** Corpus rows that are never negatives of this pair: all of the anchor's positives, the anchor's own text. */
  readonly exclude: ReadonlySet<number>;
}

export interface MinedNegative {
  readonly corpusIndex: number;
  readonly score: number;
  /** 0-based rank among the pair's candidates (non-excluded documents, best first). */
  readonly rank: number;
}

export interface MinedPair {
  readonly pair: MiningPair;
  readonly positiveScore: number;
  readonly negatives: readonly MinedNegative[];
}

/** Why options cannot be used, in the terms the person set them; null when they can. */
export function miningOptionsProblem(o: MiningOptions): string | null {
  if (!Number.isInteger(o.rangeMin) || o.rangeMin < 0) return 'range_min must be a whole number ≥ 0';
  if (o.rangeMax !== null && (!Number.isInteger(o.rangeMax) || o.rangeMax <= o.rangeMin)) return 'range_max must be a whole number above range_min';
  if (!Number.isInteger(o.numNegatives) || o.numNegatives < 1) return 'num_negatives must be a whole number ≥ 1';
  if (o.margin !== null && !Number.isFinite(o.margin)) return 'margin must be a number';
  if (o.relativeMargin !== null && !(o.relativeMargin >= 0 && o.relativeMargin < 1)) return 'relative_margin must be in [0, 1)';
  if (o.maxScore !== null && o.minScore !== null && o.minScore > o.maxScore) return 'min_score must not be above max_score';
  return null;
}

/** Cosine similarity of row a of `x` and row b of `y` (vectors of `dimension`). */
function cosine(x: Float32Array, a: number, y: Float32Array, b: number, dimension: number): number {
  let dot = 0, nx = 0, ny = 0;
  const xo = a * dimension, yo = b * dimension;
  for (let i = 0; i < dimension; i++) {
    const u = x[xo + i], v = y[yo + i];
    dot += u * v;
    nx += u * u;
    ny += v * v;
  }
  // util.cos_sim's guard: each norm at least 1e-12.
  return dot / (Math.max(Math.sqrt(nx), 1e-12) * Math.max(Math.sqrt(ny), 1e-12));
}

/**
 * Mines negatives for every pair. Scores are cosine similarities of the given embeddings.
 * `onProgress(done, total)` is called per pair and may return false to stop (an abort).
 */
export function mineHardNegatives(
  queries: Float32Array, corpus: Float32Array, dimension: number, pairs: readonly MiningPair[], options: MiningOptions,
  onProgress?: (done: number, total: number) => boolean | void,
): MinedPair[] {
  const problem = miningOptionsProblem(options);
  if (problem) throw new RangeError(problem);
  const docs = corpus.length / dimension;
  const rng = new SeededRandom(options.seed);
  const scores = new Float64Array(docs);
  const out: MinedPair[] = [];
  // Pairs of one anchor share its scores: compute them once per anchor.
  let scoredQuery = -1;
  for (let p = 0; p < pairs.length; p++) {
    const pair = pairs[p];
    if (pair.query !== scoredQuery) {
      for (let d = 0; d < docs; d++) scores[d] = cosine(queries, pair.query, corpus, d, dimension);
      scoredQuery = pair.query;
    }
    const positiveScore = scores[pair.positive];
    const ranked: number[] = [];
    for (let d = 0; d < docs; d++) if (!pair.exclude.has(d) && d !== pair.positive) ranked.push(d);
    ranked.sort((a, b) => scores[b] - scores[a] || a - b);
    const end = options.rangeMax === null ? ranked.length : Math.min(ranked.length, options.rangeMax);
    const eligible: MinedNegative[] = [];
    for (let rank = options.rangeMin; rank < end; rank++) {
      const d = ranked[rank], s = scores[d];
      if (options.maxScore !== null && s > options.maxScore) continue;
      if (options.minScore !== null && s < options.minScore) continue;
      if (options.margin !== null && s + options.margin > positiveScore) continue;
      if (options.relativeMargin !== null && s > positiveScore * (1 - options.relativeMargin)) continue;
      eligible.push({ corpusIndex: d, score: s, rank });
    }
    let negatives = eligible.slice(0, options.numNegatives);
    if (options.samplingStrategy === 'random' && eligible.length > options.numNegatives) {
      const picked = eligible.map((_, i) => i);
      rng.shuffle(picked);
      negatives = picked.slice(0, options.numNegatives).sort((a, b) => a - b).map((i) => eligible[i]);
    }
    out.push({ pair, positiveScore, negatives });
    if (onProgress?.(p + 1, pairs.length) === false) break;
  }
  return out;
}

/** The texts mining searches and the pairs it mines for, built from (anchor, positive[, …]) rows. */
export interface MiningSet {
  /** Distinct anchors. */
  readonly queries: readonly string[];
  /** Distinct positives and negatives of every row (sentence-transformers' default corpus). */
  readonly corpus: readonly string[];
  /** One per input row, in row order. */
  readonly pairs: readonly MiningPair[];
}

/**
 * Every row becomes a pair; an anchor's positives in any row, and documents identical to the
 * anchor, are never its negatives (they are the false negatives a person would reject anyway).
 */
export function miningSet(rows: readonly { readonly texts: readonly string[] }[]): MiningSet {
  const queries: string[] = [], corpus: string[] = [];
  const queryIndex = new Map<string, number>(), docIndex = new Map<string, number>();
  const doc = (t: string) => {
    let i = docIndex.get(t);
    if (i === undefined) docIndex.set(t, (i = corpus.push(t) - 1));
    return i;
  };
  const positivesOf = new Map<number, Set<number>>();
  const raw = rows.map((row, r) => {
    if (row.texts.length < 2) throw new RangeError(`row ${r + 1} has no positive: mining needs (anchor, positive) rows`);
    const [anchor, positive, ...negatives] = row.texts;
    let q = queryIndex.get(anchor);
    if (q === undefined) queryIndex.set(anchor, (q = queries.push(anchor) - 1));
    const p = doc(positive);
    for (const n of negatives) doc(n);
    let set = positivesOf.get(q);
    if (!set) positivesOf.set(q, (set = new Set()));
    set.add(p);
    return { query: q, positive: p };
  });
  const pairs = raw.map(({ query, positive }) => {
    const exclude = new Set(positivesOf.get(query));
    const same = docIndex.get(queries[query]);
    if (same !== undefined) exclude.add(same);
    return { query, positive, exclude };
  });
  return { queries, corpus, pairs };
}

export interface Triplet {
  readonly anchor: string;
  readonly positive: string;
  readonly negative: string;
}

/**
 * sentence-transformers' `as_triplets=True` output: one (anchor, positive, negative) row per
 * kept negative. `rejected` holds "pair:negative" keys (see negativeKey) a person turned down.
 */
export function minedTriplets(set: MiningSet, mined: readonly MinedPair[], rejected: ReadonlySet<string> = new Set()): Triplet[] {
  const out: Triplet[] = [];
  mined.forEach((m, p) =>
    m.negatives.forEach((n, k) => {
      if (rejected.has(negativeKey(p, k))) return;
      out.push({ anchor: set.queries[m.pair.query], positive: set.corpus[m.pair.positive], negative: set.corpus[n.corpusIndex] });
    }),
  );
  return out;
}

/** The key of the k-th negative of pair p, as rejections name it. */
export function negativeKey(pair: number, negative: number): string {
  return `${pair}:${negative}`;
}

/** JSONL with the column names sentence-transformers users write (anchor, positive, negative). */
export function tripletsJsonl(triplets: readonly Triplet[]): string {
  return triplets.map((t) => JSON.stringify({ anchor: t.anchor, positive: t.positive, negative: t.negative })).join('\n') + (triplets.length ? '\n' : '');
}
