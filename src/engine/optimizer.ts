import type { ParamStore } from './params.ts';

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

export type SchedulerKind = 'linear' | 'constant';

export interface ScheduleConfig {
  readonly kind: SchedulerKind;
  readonly warmupSteps: number;
  readonly totalSteps: number;
}

/**
 * Learning-rate multiplier for the optimizer step that follows `completedSteps` steps, exactly as
 * transformers' get_linear_schedule_with_warmup / get_constant_schedule_with_warmup: the first
 * step of a warmup runs at 0.
 */
export function learningRateFactor(schedule: ScheduleConfig, completedSteps: number): number {
  const { warmupSteps, totalSteps } = schedule;
  if (completedSteps < warmupSteps) return completedSteps / Math.max(1, warmupSteps);
  if (schedule.kind === 'constant') return 1;
  return Math.max(0, (totalSteps - completedSteps) / Math.max(1, totalSteps - warmupSteps));
}

/** Runs AdamW over the flat buffers: at most two dispatches (norm, update), no readback. */
export class AdamW {
  private step = 0;

  constructor(
    private readonly store: ParamStore,
    readonly config: AdamWConfig,
  ) {
    store.enableTraining();
    // A new optimizer starts from zero moments, even on a store an earlier run trained.
    store.backend.fill(store.adamMoments.m, 0);
    store.backend.fill(store.adamMoments.v, 0);
  }

  get stepsTaken(): number {
    return this.step;
  }

  /** Restores the step counter (resume from a checkpoint). */
  setStepsTaken(step: number): void {
    this.step = step;
  }

  zeroGrad(): void {
    this.store.backend.fill(this.store.grads, 0);
  }

  apply(lr: number): void {
    const { backend, grads, params, layout } = this.store;
    const c = this.config;
    this.step += 1;
    const gradNormSquared = c.maxGradNorm > 0 ? backend.sumSquares(grads) : undefined;
    const { m, v } = this.store.adamMoments;
    backend.adamw(params, grads, m, v, {
      lr,
      beta1: c.beta1,
      beta2: c.beta2,
      eps: c.eps,
      weightDecay: c.weightDecay,
      decayEnd: c.decayAllParameters ? layout.totalSize : layout.decayEnd,
      step: this.step,
      maxGradNorm: c.maxGradNorm,
      gradNormSquared,
    });
  }
}
