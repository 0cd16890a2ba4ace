/**
 * What the page and the studio worker say to each other. Only plain data crosses: no tensors,
 * no embeddings beyond what a panel shows. Everything long reports progress and can be cancelled.
 */
import type { DataIssue, DataIssueCode } from '../data/jsonl.ts';
import type { ColumnMapping, ShapeId } from '../data/shape.ts';
import type { WeightsState } from '../shared/events.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';
import type { LossId, PoolingModeName } from '../shared/names.ts';

// The page imports only this contract and src/shared: the data, storage and eval types it shows
// are re-exported here rather than imported from their layers.
export type { DataIssue, DataIssueCode } from '../data/jsonl.ts';
export type { ColumnMapping, ShapeId } from '../data/shape.ts';

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

export interface SearchHit {
  readonly corpusIndex: number;
  readonly text: string;
  readonly score: number;
  readonly relevant: boolean;
}

export interface EvalSummary {
  readonly weights: WeightsState;
  readonly metrics: RetrievalMetrics;
  /** Per eval query: 1-based rank of its first relevant document (null: beyond top 100). */
  readonly firstRelevantRank: readonly (number | null)[];
  readonly milliseconds: number;
}

/** The memory a training step needs against the adapter's limits, shown before training. */
export interface MemoryPlanInfo {
  readonly parametersBytes: number;
  readonly gradientsBytes: number;
  readonly optimizerBytes: number;
  readonly activationsBytes: number;
  readonly totalBytes: number;
  /**
   * Beside every step, for the whole session: the device-side copies of the weights that switching
   * between base, fine-tuned and a run's own weights uses (worker/weight-slots.ts). Not in totalBytes.
   */
  readonly weightCopiesBytes: number;
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

export type { ProgressCallback } from '../shared/events.ts';


// ---- saved runs and datasets (src/storage) ------------------------------------------------------------

export type { DatasetSummary, RunRecord, RunSummary, StoredModelSource } from '../storage/records.ts';
export type { StorageEstimateInfo } from '../storage/quota.ts';
export type { OnnxVerification, OnnxVerificationDtype, OnnxVerificationReport } from '../eval/onnx-texts.ts';
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
