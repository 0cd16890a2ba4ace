/**
 * What the studio keeps between visits, as plain data: saved datasets, training runs and a few
 * session facts. Weights live in files (see opfs.ts); everything here is small enough for
 * IndexedDB and crosses the worker boundary as is.
 */
import type { ColumnMapping } from '../data/shape.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import type { EvalPoint, LossPoint, RunState } from '../shared/events.ts';
import { readStoredMetrics, type RetrievalMetrics } from '../shared/metrics.ts';

/** A model source that can be loaded again without the user: never a token, never file bytes. */
export type StoredModelSource =
  | { readonly kind: 'builtin' }
  | { readonly kind: 'hub'; readonly repoId: string; readonly endpoint?: string }
  /** A zip or a folder: only its name is kept; the user has to bring the files again. */
  | { readonly kind: 'local'; readonly name: string };

export interface DatasetRecord {
  /** A digest of the file's bytes: the same file loaded twice is one record. */
  readonly id: string;
  readonly name: string;
  readonly bytes: Blob;
  readonly size: number;
  readonly mapping: ColumnMapping | null;
  readonly split: { readonly evalFraction: number; readonly seed: number };
  /** Epoch milliseconds. */
  readonly added: number;
  readonly lastUsed: number;
}

/** A dataset record without its bytes: what lists show. */
export type DatasetSummary = Omit<DatasetRecord, 'bytes'>;

export interface RunModel {
  readonly name: string;
  readonly source: StoredModelSource | null;
  readonly parameters: number;
  readonly dimension: number;
  readonly layers: number;
  /** A digest of the base weights: a run's weights only fit the model it started from. */
  readonly fingerprint: string;
}

export interface RunDataset {
  readonly name: string;
  /** The saved dataset's id, when it was saved. */
  readonly id: string | null;
  readonly rows: number;
  readonly trainRows: number;
  readonly evalRows: number;
  /** The train/eval split the run used (a resume rebuilds the same training rows from it). */
  readonly split?: { readonly evalFraction: number; readonly seed: number };
}

export interface RunWeights {
  readonly file: string;
  readonly bytes: number;
  /** The step the saved weights were taken at. */
  readonly step: number;
}

export interface RunRecord {
  readonly id: string;
  /** Epoch milliseconds. */
  readonly created: number;
  readonly updated: number;
  readonly model: RunModel;
  readonly dataset: RunDataset;
  readonly config: TrainingConfig;
  readonly retrieval: RetrievalSettings;
  readonly seed: number;
  readonly lossCurve: readonly LossPoint[];
  readonly evalHistory: readonly EvalPoint[];
  /** The base model's metrics (step 0) and the last evaluation's. */
  readonly before: RetrievalMetrics | null;
  readonly after: RetrievalMetrics | null;
  readonly state: RunState;
  readonly message?: string;
  readonly step: number;
  readonly totalSteps: number;
  /** Training time, pauses excluded. */
  readonly durationSeconds: number;
  /** The compute adapter the run trained on, e.g. "nvidia hopper" or "TypeScript on the CPU". */
  readonly adapter: string;
  /** The saved weights, or null when none were saved (failed run, or the disk was full). */
  readonly weights: RunWeights | null;
  /** Why the weights could not be saved, when they could not. */
  readonly weightsProblem?: string;
  /** The last training checkpoint saved (weights, Adam moments, RNG and data position): what a resume starts from. */
  readonly checkpoint?: RunWeights | null;
  /** Why the latest checkpoint could not be saved (the earlier one, if any, is kept). */
  readonly checkpointProblem?: string;
}

/** One line of the run list: everything but the curves. */
export interface RunSummary {
  readonly id: string;
  readonly created: number;
  readonly updated: number;
  readonly modelName: string;
  readonly datasetName: string;
  readonly loss: TrainingConfig['loss'];
  readonly finalLoss: number | null;
  readonly step: number;
  readonly totalSteps: number;
  readonly mrrBefore: number | null;
  readonly mrrAfter: number | null;
  readonly state: RunState;
  readonly durationSeconds: number;
  readonly hasWeights: boolean;
  readonly weightsBytes: number;
  /** The step of the saved checkpoint, or null when there is none. */
  readonly checkpointStep: number | null;
  /** Set by the studio worker on the run this tab is training right now (its record says "running" too). */
  readonly trainingHere?: boolean;
}

/**
 * A run as saved by any version of the studio, in today's shape: runs saved before the metrics
 * had one spelling kept them as mrrAt10 and the like.
 */
export function upgradeRunRecord(r: RunRecord): RunRecord {
  const metrics = (m: RetrievalMetrics | null | undefined): RetrievalMetrics | null => (m ? readStoredMetrics(m) : null);
  return {
    ...r,
    before: metrics(r.before),
    after: metrics(r.after),
    evalHistory: r.evalHistory.flatMap((p) => {
      const m = metrics(p.metrics);
      return m ? [{ step: p.step, metrics: m }] : [];
    }),
  };
}

export function summarizeRun(r: RunRecord): RunSummary {
  const last = r.lossCurve.length > 0 ? r.lossCurve[r.lossCurve.length - 1] : null;
  return {
    id: r.id,
    created: r.created,
    updated: r.updated,
    modelName: r.model.name,
    datasetName: r.dataset.name,
    loss: r.config.loss,
    finalLoss: last ? last.loss : null,
    step: r.step,
    totalSteps: r.totalSteps,
    mrrBefore: r.before?.['mrr@10'] ?? null,
    mrrAfter: r.after?.['mrr@10'] ?? null,
    state: r.state,
    durationSeconds: r.durationSeconds,
    // A checkpoint holds weights too: a run whose final save failed reopens from it.
    hasWeights: r.weights !== null || (r.checkpoint ?? null) !== null,
    weightsBytes: r.weights?.bytes ?? 0,
    checkpointStep: r.checkpoint?.step ?? null,
  };
}

export const RUN_HISTORY_FORMAT = 'embedding-studio.run-history';

/** A run's history as a JSON document a person (or a notebook) can read: no weights. */
export function runHistoryJson(r: RunRecord): string {
  return JSON.stringify({ format: RUN_HISTORY_FORMAT, version: 1, exported: new Date().toISOString(), run: { ...r, createdIso: new Date(r.created).toISOString() } }, null, 2);
}

/** Run ids sort by creation time and never collide across tabs. */
export function newRunId(now: number = Date.now(), random: () => number = Math.random): string {
  const rand = Array.from({ length: 6 }, () => Math.floor(random() * 36).toString(36)).join('');
  return `run-${now.toString(36)}-${rand}`;
}

/** Lowercase hex SHA-256 of some bytes (Web Crypto: the worker and Node both have it). */
export async function sha256Hex(bytes: ArrayBufferView | ArrayBuffer, chars = 64): Promise<string> {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('').slice(0, chars);
}
