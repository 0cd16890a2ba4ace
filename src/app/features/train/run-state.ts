import type { RankMover, RetrievalMetrics, TrainingConfig, TrainingEvent } from '../../../worker/protocol.ts';

export type RunStatus = 'idle' | 'starting' | 'running' | 'paused' | 'cancelling' | 'cancelled' | 'finished' | 'failed';

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
}

export const IDLE_RUN: RunState = {
  status: 'idle', message: null, config: null, step: 0, totalSteps: 0, epoch: 0, lr: 0, pairsPerSecond: 0, etaSeconds: null,
  lossSteps: [], lossValues: [], evals: [], movers: [],
};

export function isActive(status: RunStatus): boolean {
  return status === 'starting' || status === 'running' || status === 'paused' || status === 'cancelling';
}

export function isTerminal(status: RunStatus): boolean {
  return status === 'finished' || status === 'cancelled' || status === 'failed';
}

/** Folds a batch of events into the state; loss arrays are copied once per batch, not per event. */
export function applyEvents(state: RunState, events: readonly TrainingEvent[]): RunState {
  if (events.length === 0) return state;
  let next: { -readonly [K in keyof RunState]: RunState[K] } = { ...state };
  const steps: number[] = [];
  const losses: number[] = [];
  let evals: EvalPoint[] | null = null;
  for (const e of events) {
    switch (e.type) {
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
        // A pause/cancel request is only answered by the worker's event; 'cancelling' stays until then.
        if (!(next.status === 'cancelling' && (e.state === 'running' || e.state === 'paused'))) next.status = e.state;
        next.message = e.message ?? null;
        if (e.state === 'finished' || e.state === 'cancelled') next.etaSeconds = 0;
        break;
    }
  }
  if (steps.length > 0) next = { ...next, lossSteps: [...state.lossSteps, ...steps], lossValues: [...state.lossValues, ...losses] };
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
