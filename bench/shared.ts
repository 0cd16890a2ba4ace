/**
 * What every benchmark target shares: the MiniLM-L6 shape, the result format bench/run.ts reads,
 * and the tokenizer stand-in (benchmarks feed token ids). Kept apart from the targets, whose
 * modules run their main() when imported.
 */
import type { BertDims } from '../src/model/bert.ts';
import type { BatchTokenizer } from '../src/model/sentence-model.ts';

export const MINILM_L6: BertDims = {
  vocabSize: 30522, hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536,
  maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropout: 0.1, attentionDropout: 0.1,
};

export interface TargetResult {
  target: string;
  adapter: string;
  fallback: boolean;
  features: string[];
  /** `op` is A·B unless noted (older result files have none). */
  matmul: { variant: string; shape: string; gflops: number; op?: string }[];
  /** `matmul` names the kernel when a run compared kernels (--compare-matmul); else the default. */
  training: { batch: number; seq: number; pairsPerSecond: number; msPerStep: number; steps: number; matmul?: string }[];
  encode: { batch: number; seq: number; sentencesPerSecond: number }[];
  /**
   * WebGPU only: the host's side of one MNRL 32×32 step — recording every dispatch and submitting
   * — timed with the GPU idle, and what the step holds. On a real GPU a step can never take less.
   */
  host?: { batch: number; seq: number; recordMsPerStep: number; dispatchesPerStep: number; copiesPerStep: number; submissionsPerStep: number };
  notes: string[];
}

/** Benchmarks feed token ids directly; text never enters, so no tokenizer is involved. */
export const NO_TOKENIZER: BatchTokenizer = {
  encodeBatch: () => {
    throw new Error('the benchmark passes token ids, not texts');
  },
  promptLength: () => 0,
  countTokens: () => {
    throw new Error('the benchmark passes token ids, not texts');
  },
};

/** Variant prefix of the constant-B MatMul row of bench/reference-target.ts; bench/run.ts tells the two A·B rows apart by it. */
export const PREPACKED = 'B prepacked:';
