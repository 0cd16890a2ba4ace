/**
 * What the page and the studio worker say to each other. Only plain data crosses: no tensors,
 * no embeddings beyond what a panel shows. Everything long reports progress and can be cancelled.
 */
import type { DataIssue, DataIssueCode } from '../data/jsonl.ts';
import type { ColumnMapping, ShapeId } from '../data/shape.ts';
import type { AdapterDescription } from '../engine/backend.ts';
import type { SchedulerKind } from '../engine/optimizer.ts';
import type { LossId } from '../model/losses.ts';
import type { PoolingModeName } from '../model/pooling.ts';

export type { BackendPreference } from '../engine/choose-backend.ts';

export interface BackendInfo {
  readonly adapter: AdapterDescription;
  /** Why the backend is not WebGPU, when it is not (a missing adapter, a measurement, a choice). */
  readonly fallbackReason?: string;
}

export type ModelSource =
  | { readonly kind: 'builtin' }
  | { readonly kind: 'hub'; readonly repoId: string; readonly endpoint?: string; readonly token?: string }
  | { readonly kind: 'zip'; readonly name: string; readonly bytes: Uint8Array }
  | { readonly kind: 'files'; readonly name: string; readonly files: Readonly<Record<string, Uint8Array>> };

export interface ModelInfo {
  readonly name: string;
  readonly architecture: string;
  readonly parameters: number;
  readonly dimension: number;
  readonly layers: number;
  readonly heads: number;
  readonly maxSeqLength: number;
  /** The position-embedding table's size: no sequence can be longer. */
  readonly maxPositions: number;
  readonly pooling: PoolingModeName;
  readonly includePrompt: boolean;
  readonly normalize: boolean;
  readonly prompts: Readonly<Record<string, string>>;
  readonly randomWeights: boolean;
  readonly warnings: readonly string[];
}

export interface DatasetInfo {
  readonly file: string;
  readonly shape: ShapeId | null;
  readonly shapeReason: string;
  readonly columns: readonly string[];
  readonly mapping: ColumnMapping | null;
  readonly losses: readonly LossId[];
  readonly rows: number;
  readonly totalLines: number;
  readonly skippedRows: number;
  /** The first issues (capped for transfer); `issueTotal` and `issueCounts` cover all of them. */
  readonly issues: readonly DataIssue[];
  readonly issueTotal: number;
  readonly issueCounts: Readonly<Partial<Record<DataIssueCode, number>>>;
  readonly trainRows: number;
  readonly evalRows: number;
  readonly evalQueries: number;
  readonly corpusSize: number;
}

export interface PreviewRow {
  readonly line: number;
  readonly texts: readonly string[];
  readonly label?: number;
  readonly split: 'train' | 'eval';
}

/** How texts become vectors for retrieval: what the playground varies. */
export interface RetrievalSettings {
  readonly pooling: PoolingModeName;
  readonly normalize: boolean;
  readonly includePrompt: boolean;
  /** Templates with {text}, e.g. "query: {text}". */
  readonly queryTemplate: string;
  readonly corpusTemplate: string;
}

export type WeightsState = 'base' | 'trained';

export interface SearchHit {
  readonly corpusIndex: number;
  readonly text: string;
  readonly score: number;
  readonly relevant: boolean;
}

export interface RetrievalMetrics {
  readonly accuracyAt1: number;
  readonly recallAt1: number;
  readonly recallAt5: number;
  readonly recallAt10: number;
  readonly mrrAt10: number;
  readonly ndcgAt10: number;
  readonly mapAt100: number;
}

export interface EvalSummary {
  readonly weights: WeightsState;
  readonly metrics: RetrievalMetrics;
  /** Per eval query: 1-based rank of its first relevant document (null: beyond top 100). */
  readonly firstRelevantRank: readonly (number | null)[];
  readonly milliseconds: number;
}

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

/** The memory a training step needs against the adapter's limits, shown before training. */
export interface MemoryPlanInfo {
  readonly parametersBytes: number;
  readonly gradientsBytes: number;
  readonly optimizerBytes: number;
  readonly activationsBytes: number;
  readonly totalBytes: number;
  readonly largestBuffer: { readonly name: string; readonly bytes: number };
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly budgetBytes: number;
  readonly fits: boolean;
  /** Texts per encoder pass when gradient caching is needed; null when the whole batch fits. */
  readonly miniBatchSize: number | null;
  readonly reason: string;
}

/** Training steps of a configuration timed on this device before a run (Workspace.probeStep). */
export interface StepProbe {
  /** The last timed step: what every step of the run should cost. */
  readonly stepMs: number;
  /** The first, which also compiled kernels and warmed caches. */
  readonly firstStepMs: number;
  readonly steps: number;
  readonly miniBatchSize: number | null;
}

export interface RankMover {
  readonly query: string;
  readonly before: number | null;
  readonly now: number | null;
  readonly delta: number;
}

export type TrainingEvent =
  | { readonly type: 'step'; readonly step: number; readonly totalSteps: number; readonly epoch: number; readonly loss: number; readonly lr: number; readonly pairsPerSecond: number; readonly etaSeconds: number }
  | { readonly type: 'eval'; readonly step: number; readonly metrics: RetrievalMetrics; readonly movers: readonly RankMover[] }
  | { readonly type: 'state'; readonly state: 'running' | 'paused' | 'cancelled' | 'finished' | 'failed'; readonly message?: string }
  /** A checkpoint was taken at `step`; `saved` says whether it reached storage (`message` says why not). */
  | { readonly type: 'checkpoint'; readonly step: number; readonly saved: boolean; readonly message?: string }
  /**
   * The run goes on from `step` with this history (a resumed run, or a rewind to the last
   * checkpoint after the device was lost): drop anything shown after it.
   */
  | { readonly type: 'history'; readonly step: number; readonly totalSteps: number; readonly losses: readonly HistoryLossPoint[]; readonly evals: readonly HistoryEvalPoint[] }
  /** The compute backend changed under a running job (the GPU was lost); `message` says what happened. */
  | { readonly type: 'backend'; readonly backend: BackendInfo; readonly message: string };

export interface HistoryLossPoint {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
}

export interface HistoryEvalPoint {
  readonly step: number;
  readonly metrics: RetrievalMetrics;
}

export interface QueryComparison {
  readonly query: string;
  readonly rankBefore: number | null;
  readonly rankAfter: number | null;
  readonly topBefore: readonly SearchHit[];
  readonly topAfter: readonly SearchHit[];
  /** The query's relevant documents and their 1-based ranks before and after (null: beyond the top 100). */
  readonly relevant: readonly RelevantRank[];
}

export interface RelevantRank {
  readonly corpusIndex: number;
  readonly text: string;
  readonly rankBefore: number | null;
  readonly rankAfter: number | null;
}

export interface Comparison {
  readonly before: RetrievalMetrics;
  readonly after: RetrievalMetrics;
  /** BM25 (keyword search) on the same eval split: what fine-tuning has to beat. */
  readonly bm25?: RetrievalMetrics;
  readonly queries: readonly QueryComparison[];
}

export interface ProjectionPoint {
  readonly text: string;
  readonly kind: 'query' | 'document';
  /** Index of the query group (a query and its relevant documents share one). */
  readonly group: number;
  readonly before: readonly [number, number];
  readonly after: readonly [number, number];
}

export interface ExportResult {
  readonly zip: Uint8Array;
  readonly files: readonly string[];
  /** Each file's size in bytes (uncompressed), by path. */
  readonly sizes: Readonly<Record<string, number>>;
}

/** Where and how to push the export; the token is used for this push only and never kept. */
export interface HubPushRequest {
  readonly repo: string;
  readonly token: string;
  readonly private: boolean;
  /** Add a commit to a repo that already exists (otherwise an existing name is refused). */
  readonly updateExisting: boolean;
  /** https://huggingface.co unless a mirror is named. */
  readonly hubUrl?: string;
}

export type { PushProgress as HubPushProgress, PushResult as HubPushResult, PushErrorCode as HubPushErrorCode } from '../io/hub/push.ts';

export type ProgressCallback = (stage: string, done: number, total: number) => void;

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

// ---- saved runs and datasets (src/storage) ------------------------------------------------------------

export type { DatasetSummary, EvalPoint as SavedEvalPoint, LossPoint, RunRecord, RunSummary, StoredModelSource } from '../storage/records.ts';
export type { StorageEstimateInfo } from '../storage/quota.ts';
type StorageEstimateInfoBase = import('../storage/quota.ts').StorageEstimateInfo;

/** How much room the studio has, and whether it can keep anything at all. */
export interface StorageStatus extends StorageEstimateInfoBase {
  /** False where runs and datasets cannot be kept (no IndexedDB, Node). */
  readonly enabled: boolean;
  /** Why storage is off, when it is. */
  readonly problem: string | null;
  /** The last save that failed (a full disk, above all), until one succeeds. */
  readonly saveProblem: string | null;
}

export interface OpenedRun {
  readonly run: import('../storage/records.ts').RunRecord;
  /** What the person should know: another dataset loaded, a paused run, … */
  readonly notes: readonly string[];
}

export interface RestorableSession {
  readonly model: import('../storage/records.ts').StoredModelSource | null;
  readonly dataset: import('../storage/records.ts').DatasetSummary | null;
}

/** A saved run made ready to go on: its record, and the dataset info when resuming changed the dataset or split. */
export interface ResumePlan {
  readonly run: import('../storage/records.ts').RunRecord;
  readonly dataset: DatasetInfo | null;
  readonly split: { readonly evalFraction: number; readonly seed: number };
}

export interface OpenedDataset {
  readonly info: DatasetInfo;
  readonly dataset: import('../storage/records.ts').DatasetSummary;
}
