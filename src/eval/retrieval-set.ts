/**
 * A small retrieval set (queries, corpus, relevance) as sentence-transformers'
 * InformationRetrievalEvaluator takes it, and its MRR@10 / NDCG@10 for an embedding model or for
 * BM25, the same metric code either way.
 */

import { Bm25Index } from './bm25.ts';
import { computeRankings, informationRetrievalMetrics, IR_MAX_K, type Ranking } from './ir-metrics.ts';

export interface RetrievalSet {
  readonly name: string;
  readonly queries: readonly { readonly id: string; readonly text: string }[];
  readonly corpus: readonly { readonly id: string; readonly text: string }[];
  /** query id → the corpus ids relevant to it. */
  readonly relevant: Readonly<Record<string, readonly string[]>>;
}

export interface RetrievalScores {
  readonly 'mrr@10': number;
  readonly 'ndcg@10': number;
  readonly 'recall@10': number;
  readonly queries: number;
  readonly corpus: number;
}

/** Anything that turns texts into row-major [n, dim] embeddings. */
export type EncodeTexts = (texts: readonly string[]) => Promise<Float32Array>;

function scoresOf(set: RetrievalSet, rankings: readonly Ranking[]): RetrievalScores {
  const index = new Map(set.corpus.map((d, i) => [d.id, i]));
  const relevant = set.queries.map((q) => new Set((set.relevant[q.id] ?? []).map((id) => index.get(id) ?? -1)));
  const { metrics } = informationRetrievalMetrics(rankings, relevant);
  return {
    'mrr@10': metrics['cosine_mrr@10'],
    'ndcg@10': metrics['cosine_ndcg@10'],
    'recall@10': metrics['cosine_recall@10'],
    queries: set.queries.length,
    corpus: set.corpus.length,
  };
}

export async function modelRetrievalScores(set: RetrievalSet, encode: EncodeTexts, dim: number): Promise<RetrievalScores> {
  const q = await encode(set.queries.map((x) => x.text));
  const c = await encode(set.corpus.map((x) => x.text));
  return scoresOf(set, computeRankings(q, c, dim, IR_MAX_K, 'cosine'));
}

export function bm25RetrievalScores(set: RetrievalSet): RetrievalScores {
  const index = new Bm25Index(set.corpus.map((d) => d.text));
  return scoresOf(set, index.rank(set.queries.map((q) => q.text), IR_MAX_K));
}

/**
 * The first `queries` queries and a corpus of their relevant documents plus the first
 * `distractors` others: small enough for a unit test, still a ranking problem.
 */
export function sliceRetrievalSet(set: RetrievalSet, queries: number, distractors: number): RetrievalSet {
  const qs = set.queries.slice(0, queries);
  const wanted = new Set(qs.flatMap((q) => set.relevant[q.id] ?? []));
  let extra = 0;
  const corpus = set.corpus.filter((d) => wanted.has(d.id) || (extra < distractors && ++extra > 0));
  return { name: `${set.name}-slice`, queries: qs, corpus, relevant: Object.fromEntries(qs.map((q) => [q.id, [...(set.relevant[q.id] ?? [])]])) };
}
