/**
 * What the page and the worker say about the checks beyond training (issue 16): hard-negative
 * mining, the map method, the RAG check on a document, and the BM25 baseline. Plain data only.
 */
import type { DocumentKind } from '../data/document.ts';
import type { ChunkSettings, MiningOptions } from '../shared/settings.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';
import type { WeightsState } from '../shared/events.ts';
export type { ChunkSettings, MiningOptions, SamplingStrategy } from '../shared/settings.ts';
export type { MapMethod } from '../shared/names.ts';

/** Base, fine-tuned (when there is one) and BM25 on the eval split, under one retrieval setting. */
export interface BaselineSummary {
  readonly bm25: RetrievalMetrics;
  readonly base: RetrievalMetrics;
  readonly trained: RetrievalMetrics | null;
  readonly bm25Milliseconds: number;
}

export interface MiningSummary {
  /** The weights the candidates were scored with. */
  readonly weights: WeightsState;
  readonly options: MiningOptions;
  readonly pairs: number;
  /** Table rows: one per (pair, negative). */
  readonly negatives: number;
  /** Pairs that found fewer than num_negatives negatives within the limits. */
  readonly shortPairs: number;
  readonly corpus: number;
  readonly milliseconds: number;
}

/** One row of the mining table: a candidate negative of one (anchor, positive) pair. */
export interface MinedRow {
  /** Row index in the table (0-based), stable for rejections. */
  readonly index: number;
  /** "pair:negative", the key a rejection names. */
  readonly key: string;
  readonly anchor: string;
  readonly positive: string;
  readonly negative: string;
  readonly positiveScore: number;
  readonly negativeScore: number;
  /** 0-based rank of the negative among the pair's candidates. */
  readonly rank: number;
}

export interface TripletDatasetResult {
  readonly name: string;
  readonly triplets: number;
  readonly rejected: number;
}

export interface RagDocumentInfo {
  readonly name: string;
  readonly kind: DocumentKind;
  readonly bytes: number;
  readonly characters: number;
  readonly pages?: number;
  readonly chunking: ChunkSettings;
  readonly chunks: number;
}

export interface RagChunk {
  readonly index: number;
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface RagHit {
  readonly chunk: number;
  readonly text: string;
  readonly score: number;
}

export interface RagAnswer {
  readonly question: string;
  readonly base: readonly RagHit[];
  /** Null before any fine-tuning. */
  readonly trained: readonly RagHit[] | null;
  readonly bm25: readonly RagHit[];
  readonly milliseconds: number;
}
