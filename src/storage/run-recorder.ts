/**
 * Folds a training run's events into the record that is saved: the loss curve, the evaluations,
 * the state and the training time (pauses excluded). Pure: the clock is injected.
 */
import type { RunDataset, RunModel, RunRecord, RunWeights } from './records.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import type { EvalPoint, LossPoint, RunState, TrainingEvent } from '../shared/events.ts';

export interface RunStart {
  readonly id: string;
  readonly model: RunModel;
  readonly dataset: RunDataset;
  readonly config: TrainingConfig;
  readonly retrieval: RetrievalSettings;
  readonly adapter: string;
  /** The steps the run plans, known before its first step (a record saved at the start says it). */
  readonly totalSteps?: number;
}

export class RunRecorder {
  readonly id: string;
  readonly created: number;
  private readonly lossCurve: LossPoint[] = [];
  private readonly evals: EvalPoint[] = [];
  private state: RunState = 'running';
  private message: string | undefined;
  private step = 0;
  private totalSteps = 0;
  private trainedMs = 0;
  private runningSince: number | null = null;
  weights: RunWeights | null = null;
  weightsProblem: string | undefined;
  checkpoint: RunWeights | null = null;
  checkpointProblem: string | undefined;

  /** `from`: a saved run this recorder continues (a resume): its curves, time and files carry on. */
  constructor(private readonly start: RunStart, private readonly now: () => number = Date.now, from?: RunRecord) {
    this.id = start.id;
    this.created = from?.created ?? now();
    this.totalSteps = start.totalSteps ?? 0;
    if (from) {
      this.lossCurve.push(...from.lossCurve);
      this.evals.push(...from.evalHistory);
      this.step = from.step;
      this.totalSteps = from.totalSteps;
      this.trainedMs = from.durationSeconds * 1000;
      this.state = from.state;
      this.weights = from.weights;
      this.checkpoint = from.checkpoint ?? null;
    }
  }

  /** The start this recorder was made with (a resume passes it on). */
  get runStart(): RunStart {
    return this.start;
  }

  get currentState(): RunState {
    return this.state;
  }

  get currentStep(): number {
    return this.step;
  }

  /** Returns the new state when the event changed it (the moments a run is saved). */
  onEvent(e: TrainingEvent): RunState | null {
    switch (e.type) {
      case 'step':
        this.step = e.step;
        this.totalSteps = e.totalSteps;
        if (Number.isFinite(e.loss)) this.lossCurve.push({ step: e.step, loss: e.loss, lr: e.lr });
        return null;
      case 'eval': {
        const last = this.evals[this.evals.length - 1];
        // A re-evaluation at the same step (the final one) replaces the earlier point.
        if (last && last.step === e.step) this.evals[this.evals.length - 1] = { step: e.step, metrics: e.metrics };
        else this.evals.push({ step: e.step, metrics: e.metrics });
        return null;
      }
      case 'state': {
        const t = this.now();
        if (e.state === 'running') {
          this.runningSince ??= t;
        } else if (this.runningSince !== null) {
          this.trainedMs += t - this.runningSince;
          this.runningSince = null;
        }
        const changed = this.state !== e.state;
        this.state = e.state;
        this.message = e.message;
        return changed ? e.state : null;
      }
      case 'history': {
        // The run goes on from e.step: later points belong to a timeline that was thrown away.
        this.lossCurve.length = 0;
        this.lossCurve.push(...e.losses.map((l) => ({ step: l.step, loss: l.loss, lr: l.lr })));
        this.evals.length = 0;
        this.evals.push(...e.evals.map((v) => ({ step: v.step, metrics: v.metrics })));
        this.step = e.step;
        this.totalSteps = e.totalSteps;
        return null;
      }
      case 'checkpoint':
      case 'backend':
        return null;
    }
  }

  record(): RunRecord {
    const now = this.now();
    const running = this.runningSince !== null ? now - this.runningSince : 0;
    const evals = [...this.evals];
    const before = evals.length > 0 && evals[0].step === 0 ? evals[0].metrics : null;
    const lastEval = evals.length > 0 ? evals[evals.length - 1] : null;
    const after = lastEval && lastEval.step > 0 ? lastEval.metrics : null;
    const r: RunRecord = {
      id: this.id,
      created: this.created,
      updated: now,
      model: this.start.model,
      dataset: this.start.dataset,
      config: this.start.config,
      retrieval: this.start.retrieval,
      seed: this.start.config.seed,
      lossCurve: [...this.lossCurve],
      evalHistory: evals,
      before,
      after,
      state: this.state,
      step: this.step,
      totalSteps: this.totalSteps,
      durationSeconds: (this.trainedMs + running) / 1000,
      adapter: this.start.adapter,
      weights: this.weights,
    };
    const extra: { message?: string; weightsProblem?: string; checkpoint?: RunWeights; checkpointProblem?: string } = {};
    if (this.message) extra.message = this.message;
    if (this.weightsProblem) extra.weightsProblem = this.weightsProblem;
    if (this.checkpoint) extra.checkpoint = this.checkpoint;
    if (this.checkpointProblem) extra.checkpointProblem = this.checkpointProblem;
    return { ...r, ...extra };
  }
}
