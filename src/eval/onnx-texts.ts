/**
 * What the ONNX check reports, and which texts it embeds: the eval set when it is small, else
 * a sample that keeps each sampled query's relevant documents; the dataset's rows or a few
 * sample sentences when there is no eval set.
 */
import type { IrEvalSet } from '../data/ir-dataset.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';

/** The exported ONNX files, by the name the export panel shows (int8 = onnx/model_quantized.onnx, transformers.js dtype 'q8'). */
export type OnnxVerificationDtype = 'fp32' | 'fp16' | 'int8';

/** One exported ONNX file, run back through transformers.js and compared with the engine. */
export interface OnnxVerification {
  /** e.g. "onnx/model.onnx". */
  readonly file: string;
  readonly dtype: OnnxVerificationDtype;
  /** Texts embedded by both (queries and documents). */
  readonly texts: number;
  /** Largest |onnx - engine| over all embedding components of all texts. */
  readonly maxAbsDiff: number;
  /** Smallest cosine similarity between an ONNX embedding and the engine's. */
  readonly minCosine: number;
  /**
   * The same two over the texts that fit max_seq_length: the file's own accuracy. Longer texts
   * differ by design — transformers.js truncates without keeping [SEP] (and at the tokenizer's
   * model_max_length) — and are counted in the report's `truncatedTexts`.
   */
  readonly fittingMaxAbsDiff: number;
  readonly fittingMinCosine: number;
  /** The bound fittingMaxAbsDiff was held to (scaled by the largest embedding norm when not normalised). */
  readonly tolerance: number;
  /** fittingMaxAbsDiff within tolerance. */
  readonly ok: boolean;
  readonly message?: string;
  /** Retrieval metrics this file gives on the (sampled) eval set; absent without a retrieval eval set. */
  readonly metrics?: RetrievalMetrics;
  /** Loading the file and embedding every text. */
  readonly milliseconds: number;
}

export interface OnnxVerificationReport {
  readonly rows: readonly OnnxVerification[];
  /** The engine's own metrics on the same queries and documents; absent without a retrieval eval set. */
  readonly engineMetrics?: RetrievalMetrics;
  readonly queries: number;
  readonly documents: number;
  /** Texts longer than max_seq_length tokens (prompt and special tokens included), where transformers.js truncates differently. */
  readonly truncatedTexts: number;
  /** The engine's truncation length (sentence_bert_config max_seq_length) and transformers.js' (tokenizer_config model_max_length). */
  readonly maxSeqLength: number;
  readonly tokenizerMaxLength: number | null;
  /** True when the eval set was larger than the check's budget and a sample was used. */
  readonly sampled: boolean;
  /** Where the texts came from: "eval set", "eval set sample", "dataset rows", "sample sentences". */
  readonly source: string;
  /** How sentence vectors were taken from the pipeline, e.g. "transformers.js pooling 'mean', normalize". */
  readonly pooling: string;
  /** e.g. "onnxruntime-web (wasm, 1 thread)" or "onnxruntime-node". */
  readonly runtime: string;
}

/** How many texts (queries + documents) the check embeds with each file by default. */
export const DEFAULT_VERIFY_TEXTS = 200;

/** Sentences to compare on when there is no dataset yet. */
export const SAMPLE_SENTENCES = [
  'How do I reset my password?',
  'Open Settings, choose Account and press "Reset password".',
  'The museum is closed on Mondays.',
  'A quick brown fox jumps over the lazy dog.',
  'Shipping to Canada takes five to seven business days.',
  'Which payment methods do you accept?',
  'We accept Visa, Mastercard and PayPal.',
  'Die Katze schläft auf dem Sofa.',
  'Le train part à huit heures.',
  'Embeddings map sentences to vectors; similar meanings land close together.',
];

export interface VerificationTexts {
  readonly queries: string[];
  readonly corpus: string[];
  /** Per query, indices into `corpus`; absent when there is no retrieval eval set. */
  readonly relevant?: Set<number>[];
  readonly sampled: boolean;
  readonly source: string;
}

const spread = (n: number, k: number): number[] => Array.from({ length: Math.min(n, k) }, (_, i) => Math.floor((i * n) / Math.min(n, k)));

/**
 * The eval set whole when it fits `maxTexts`; otherwise evenly spread queries (a quarter of the
 * budget), all their relevant documents, and evenly spread other documents as distractors, so the
 * metrics still mean something. Without an eval set: the given texts (dataset rows), up to the budget.
 */
export function selectVerificationTexts(set: IrEvalSet | null, fallback: readonly string[], maxTexts = DEFAULT_VERIFY_TEXTS): VerificationTexts {
  if (!set || set.queries.length === 0) {
    const texts = fallback.length > 0 ? [...new Set(fallback)] : SAMPLE_SENTENCES;
    const picked = spread(texts.length, maxTexts).map((i) => texts[i]);
    return { queries: [], corpus: picked, sampled: picked.length < texts.length, source: fallback.length > 0 ? 'dataset rows' : 'sample sentences' };
  }
  if (set.queries.length + set.corpus.length <= maxTexts) {
    return { queries: [...set.queries], corpus: [...set.corpus], relevant: set.relevant.map((r) => new Set(r)), sampled: false, source: 'eval set' };
  }
  const queryIdx = spread(set.queries.length, Math.max(1, Math.floor(maxTexts / 4)));
  const docBudget = Math.max(1, maxTexts - queryIdx.length);
  const docs: number[] = [];
  const seen = new Set<number>();
  for (const q of queryIdx) {
    for (const d of [...set.relevant[q]].sort((a, b) => a - b)) {
      if (docs.length < docBudget && !seen.has(d)) (seen.add(d), docs.push(d));
    }
  }
  const others = set.corpus.map((_, i) => i).filter((i) => !seen.has(i));
  for (const i of spread(others.length, docBudget - docs.length)) docs.push(others[i]);
  const position = new Map(docs.map((d, i) => [d, i]));
  return {
    queries: queryIdx.map((q) => set.queries[q]),
    corpus: docs.map((d) => set.corpus[d]),
    relevant: queryIdx.map((q) => new Set([...set.relevant[q]].filter((d) => position.has(d)).map((d) => position.get(d)!))),
    sampled: true,
    source: 'eval set sample',
  };
}

// ---- the check ----------------------------------------------------------------------------------

