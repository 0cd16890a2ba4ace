/**
 * Every setting the studio trains and retrieves with, and every default, in one place the page,
 * the worker, the CLI and the engine all import. Defaults are sentence-transformers' and the
 * Hugging Face Trainer's unless a comment says why not.
 */
import type { LossId, PoolingModeName, SchedulerKind } from './names.ts';

/** AdamW settings with the Hugging Face Trainer's defaults (which sentence-transformers uses). */
export interface AdamWConfig {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Trainer default: biases and LayerNorm weights get no decay. true = decay everything. */
  readonly decayAllParameters: boolean;
  /** 0 turns clipping off. */
  readonly maxGradNorm: number;
}

export const TRAINER_DEFAULTS: AdamWConfig = {
  lr: 5e-5,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  decayAllParameters: false,
  maxGradNorm: 1,
};

/** Learning rates the studio suggests when a folder does not say. */
export const SUGGESTED_LR = { random: 1e-3, pretrained: 5e-5 } as const;

/** How texts become vectors for retrieval: what the playground varies. */
export interface RetrievalSettings {
  readonly pooling: PoolingModeName;
  readonly normalize: boolean;
  readonly includePrompt: boolean;
  /** Templates with {text}, e.g. "query: {text}". */
  readonly queryTemplate: string;
  readonly corpusTemplate: string;
}

export const DEFAULT_RETRIEVAL: RetrievalSettings = {
  pooling: 'mean',
  normalize: true,
  includePrompt: true,
  queryTemplate: '{text}',
  corpusTemplate: '{text}',
};

export interface TrainingConfig {
  readonly loss: LossId;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly warmupSteps: number;
  readonly weightDecay: number;
  /**
   * AdamW's betas and epsilon under Hugging Face TrainingArguments' names (adam_beta1, adam_beta2,
   * adam_epsilon). Optional: settings and run records saved before they existed mean the Trainer's
   * defaults 0.9 / 0.999 / 1e-8 (TRAINER_DEFAULTS), which is what those runs trained with.
   */
  readonly adamBeta1?: number;
  readonly adamBeta2?: number;
  readonly adamEpsilon?: number;
  readonly maxSeqLength: number;
  readonly scheduler: SchedulerKind;
  readonly seed: number;
  readonly matryoshkaDims: readonly number[];
  /** Evaluate on the eval split every this many steps (0 = only at the end). */
  readonly evalEvery: number;
  /** Memory a step may use; a batch above it trains through gradient caching. */
  readonly memoryBudgetMiB?: number;
  /** Save a checkpoint every this many steps (0 = only on pause and when the tab is hidden). */
  readonly checkpointEvery?: number;
  /**
   * Also save one when this many seconds of training passed since the last (0 or unset = steps
   * only): on a slow device 50 steps can be an hour.
   */
  readonly checkpointSeconds?: number;
}

/** Steps between checkpoints unless chosen: often enough to lose little, rare enough to cost little. */
export const DEFAULT_CHECKPOINT_EVERY = 50;
/** Seconds between checkpoints unless chosen: a crash loses at most about this much training. */
export const DEFAULT_CHECKPOINT_SECONDS = 60;

export const DEFAULT_TRAINING: TrainingConfig = {
  loss: 'mnrl',
  epochs: 1,
  batchSize: 16,
  learningRate: TRAINER_DEFAULTS.lr,
  warmupSteps: 0,
  weightDecay: TRAINER_DEFAULTS.weightDecay,
  adamBeta1: TRAINER_DEFAULTS.beta1,
  adamBeta2: TRAINER_DEFAULTS.beta2,
  adamEpsilon: TRAINER_DEFAULTS.eps,
  maxSeqLength: 128,
  scheduler: 'linear',
  seed: 42,
  matryoshkaDims: [],
  evalEvery: 10,
  checkpointEvery: DEFAULT_CHECKPOINT_EVERY,
  checkpointSeconds: DEFAULT_CHECKPOINT_SECONDS,
};

/** A saved config with the fields added since it was saved filled in with their defaults. */
export function withTrainingDefaults(c: TrainingConfig): TrainingConfig {
  return { ...DEFAULT_TRAINING, ...c, checkpointEvery: c.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY, checkpointSeconds: c.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS };
}

/** Which rows become the eval split: a seeded fraction, so the same file splits the same way. */
export interface SplitSettings {
  readonly evalFraction: number;
  readonly seed: number;
}

export const DEFAULT_SPLIT: SplitSettings = { evalFraction: 0.2, seed: 42 };

export interface ChunkSettings {
  /** Characters per chunk, at most. */
  readonly size: number;
  /** Characters each chunk repeats from the end of the one before. */
  readonly overlap: number;
}

export const DEFAULT_CHUNK_SETTINGS: ChunkSettings = { size: 500, overlap: 50 };

export function chunkSettingsProblem(s: ChunkSettings): string | null {
  if (!Number.isInteger(s.size) || s.size < 20) return 'the chunk size must be a whole number of at least 20 characters';
  if (!Number.isInteger(s.overlap) || s.overlap < 0) return 'the overlap must be a whole number ≥ 0';
  if (s.overlap >= s.size / 2) return 'the overlap must be less than half the chunk size';
  return null;
}

export type SamplingStrategy = 'top' | 'random';

/** sentence-transformers' `mine_hard_negatives` knobs. */
export interface MiningOptions {
  /** Skip the first this many candidates (0-based rank among non-positives): the closest are often unlabelled positives. */
  readonly rangeMin: number;
  /** Look no further than this rank (exclusive); null: the whole corpus. */
  readonly rangeMax: number | null;
  /** A candidate must score at most positive - margin (sentence-transformers' `margin` / `absolute_margin`). */
  readonly margin: number | null;
  /** A candidate must score at most positive · (1 - relativeMargin). */
  readonly relativeMargin: number | null;
  /** Candidates scoring above this are dropped. */
  readonly maxScore: number | null;
  /** Candidates scoring below this are dropped. */
  readonly minScore: number | null;
  readonly numNegatives: number;
  readonly samplingStrategy: SamplingStrategy;
  /** For 'random'. */
  readonly seed: number;
}

/** sentence-transformers' defaults, with range_max bounded so the table stays readable. */
export const DEFAULT_MINING_OPTIONS: MiningOptions = {
  rangeMin: 0,
  rangeMax: 50,
  margin: null,
  relativeMargin: null,
  maxScore: null,
  minScore: null,
  numNegatives: 3,
  samplingStrategy: 'top',
  seed: 42,
};
