import type { RankMover, TrainingEvent } from '../../../shared/events.ts';
import type { RetrievalMetrics } from '../../../shared/metrics.ts';
import type { TrainingConfig } from '../../../shared/settings.ts';

/** 'pausing' and 'cancelling': asked for, until the worker answers at the next step boundary. */
export type RunStatus = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'cancelling' | 'cancelled' | 'finished' | 'failed';

export interface EvalPoint {
  readonly step: number;
  readonly metrics: RetrievalMetrics;
}

/** One training run as the page sees it: plain numbers, appended to as events arrive. */
export interface RunState {
  readonly status: RunStatus;
  readonly message: string | null;
  readonly config: TrainingConfig | null;
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly lr: number;
  readonly pairsPerSecond: number;
  readonly etaSeconds: number | null;
  readonly lossSteps: readonly number[];
  readonly lossValues: readonly number[];
  readonly evals: readonly EvalPoint[];
  readonly movers: readonly RankMover[];
  /** The latest checkpoint the worker took, and whether it reached the browser's storage. */
  readonly checkpoint: { readonly step: number; readonly saved: boolean; readonly message: string | null } | null;
  /** Something that happened to the run that it survived (the GPU was lost and rebuilt). */
  readonly notice: string | null;
  /** How long the run took, once it ended (the closing summary says it). */
  readonly seconds: number | null;
}

export const IDLE_RUN: RunState = {
  status: 'idle', message: null, config: null, step: 0, totalSteps: 0, epoch: 0, lr: 0, pairsPerSecond: 0, etaSeconds: null,
  lossSteps: [], lossValues: [], evals: [], movers: [], checkpoint: null, notice: null, seconds: null,
};

export function isActive(status: RunStatus): boolean {
  return status === 'starting' || status === 'running' || status === 'pausing' || status === 'paused' || status === 'cancelling';
}

export function isTerminal(status: RunStatus): boolean {
  return status === 'finished' || status === 'cancelled' || status === 'failed';
}

/** Folds a batch of events into the state; loss arrays are copied once per batch, not per event. */
export function applyEvents(state: RunState, events: readonly TrainingEvent[]): RunState {
  if (events.length === 0) return state;
  let next: { -readonly [K in keyof RunState]: RunState[K] } = { ...state };
  // The curve is the earlier points plus this batch's; a 'history' event replaces the earlier ones.
  let baseSteps = state.lossSteps;
  let baseLosses = state.lossValues;
  let steps: number[] = [];
  let losses: number[] = [];
  let evals: EvalPoint[] | null = null;
  let rewound = false;
  for (const e of events) {
    switch (e.type) {
      case 'history':
        baseSteps = e.losses.map((p) => p.step);
        baseLosses = e.losses.map((p) => p.loss);
        steps = [];
        losses = [];
        rewound = true;
        evals = e.evals.map((v) => ({ step: v.step, metrics: v.metrics }));
        next.step = e.step;
        if (e.totalSteps > 0) next.totalSteps = e.totalSteps;
        next.lr = e.losses.length > 0 ? e.losses[e.losses.length - 1].lr : next.lr;
        break;
      case 'checkpoint':
        next.checkpoint = { step: e.step, saved: e.saved, message: e.message ?? null };
        break;
      case 'backend':
        next.notice = e.message;
        break;
      case 'step':
        next.step = e.step;
        next.totalSteps = e.totalSteps;
        next.epoch = e.epoch;
        next.lr = e.lr;
        next.pairsPerSecond = e.pairsPerSecond;
        next.etaSeconds = e.etaSeconds;
        if (Number.isFinite(e.loss)) {
          steps.push(e.step);
          losses.push(e.loss);
        }
        break;
      case 'eval':
        evals ??= [...next.evals];
        // A re-evaluation at the same step (the final one) replaces the earlier point.
        if (evals.length > 0 && evals[evals.length - 1].step === e.step) evals[evals.length - 1] = { step: e.step, metrics: e.metrics };
        else evals.push({ step: e.step, metrics: e.metrics });
        next.movers = e.movers;
        break;
      case 'state':
        // A pause/cancel request is only answered by the worker's event; 'pausing'/'cancelling' stay until then.
        if (next.status === 'cancelling' && (e.state === 'running' || e.state === 'paused')) break;
        if (next.status === 'pausing' && e.state === 'running') break;
        next.status = e.state;
        next.message = e.message ?? null;
        if (e.state === 'finished' || e.state === 'cancelled') next.etaSeconds = 0;
        break;
    }
  }
  if (steps.length > 0 || rewound) next = { ...next, lossSteps: [...baseSteps, ...steps], lossValues: [...baseLosses, ...losses] };
  if (evals) next.evals = evals;
  return next;
}

/**
 * Exponential moving average with bias correction (TensorBoard's smoothing), so a noisy per-batch
 * loss shows its trend from the first step.
 */
export function smoothLoss(values: readonly number[], weight = 0.9): number[] {
  const out: number[] = new Array(values.length);
  let avg = 0;
  for (let i = 0; i < values.length; i++) {
    avg = weight * avg + (1 - weight) * values[i];
    out[i] = avg / (1 - weight ** (i + 1));
  }
  return out;
}
