/** What a training run reports as it goes: the same events reach the page, the CLI and saved runs. */
import type { RetrievalMetrics } from './metrics.ts';
import type { AdapterDescription } from './names.ts';

export interface BackendInfo {
  readonly adapter: AdapterDescription;
  /** Why the backend is not WebGPU, when it is not (a missing adapter, a measurement, a choice). */
  readonly fallbackReason?: string;
}

/** Which weights an evaluation or a search used: the loaded model's, or the fine-tuned ones. */
export type WeightsState = 'base' | 'trained';

export interface LossPoint {
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
}

export interface EvalPoint {
  readonly step: number;
  readonly metrics: RetrievalMetrics;
}

/** A query whose first relevant document moved in the ranking since the base model. */
export interface RankMover {
  readonly query: string;
  readonly before: number | null;
  readonly now: number | null;
  readonly delta: number;
}

export type RunState = 'running' | 'paused' | 'cancelled' | 'finished' | 'failed';

export type TrainingEvent =
  | { readonly type: 'step'; readonly step: number; readonly totalSteps: number; readonly epoch: number; readonly loss: number; readonly lr: number; readonly pairsPerSecond: number; readonly etaSeconds: number }
  | { readonly type: 'eval'; readonly step: number; readonly metrics: RetrievalMetrics; readonly movers: readonly RankMover[] }
  | { readonly type: 'state'; readonly state: RunState; readonly message?: string }
  /** A checkpoint was taken at `step`; `saved` says whether it reached storage (`message` says why not). */
  | { readonly type: 'checkpoint'; readonly step: number; readonly saved: boolean; readonly message?: string }
  /**
   * The run goes on from `step` with this history (a resumed run, or a rewind to the last
   * checkpoint after the device was lost): drop anything shown after it.
   */
  | { readonly type: 'history'; readonly step: number; readonly totalSteps: number; readonly losses: readonly LossPoint[]; readonly evals: readonly EvalPoint[] }
  /** The compute backend changed under a running job (the GPU was lost); `message` says what happened. */
  | { readonly type: 'backend'; readonly backend: BackendInfo; readonly message: string };

/** Progress of a long job: what it is doing, and how far along (done of total). */
export type ProgressCallback = (stage: string, done: number, total: number) => void;
