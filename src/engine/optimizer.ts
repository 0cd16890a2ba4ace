import type { Tensor } from './backend.ts';
import type { ParamStore } from './params.ts';
import type { AdamWConfig } from '../shared/settings.ts';
import type { SchedulerKind } from '../shared/names.ts';

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

/**
 * Runs AdamW over the flat buffers with no readback: the squared global gradient norm (every
 * step, for clipping and for the non-finite guard), a guard update, then the update itself.
 *
 * Non-finite guard: a persistent [1] tensor accumulates 0 · ‖g‖² and 0 · (each extra value such
 * as the loss), which stays exactly 0 while everything is finite and becomes NaN for good at the
 * first NaN or Inf. It is added to the step's ‖g‖² before the update, and the adamw kernels skip
 * the whole update when that value is not finite — so the step that went bad, and every step
 * recorded after it, leave weights and moments untouched. `apply` returns that guarded ‖g‖²
 * ([1], non-persistent) for the caller to read back late: finite ⇔ the update was applied.
 */
export class AdamW {
  private step = 0;
  private readonly guard: Tensor;

  constructor(
    private readonly store: ParamStore,
    readonly config: AdamWConfig,
  ) {
    store.enableTraining();
    // A new optimizer starts from zero moments, even on a store an earlier run trained.
    store.backend.fill(store.adamMoments.m, 0);
    store.backend.fill(store.adamMoments.v, 0);
    this.guard = store.backend.zeros([1], 'f32', true);
  }

  get stepsTaken(): number {
    return this.step;
  }

  /** Restores the step counter (resume from a checkpoint). */
  setStepsTaken(step: number): void {
    if (!Number.isInteger(step) || step < 0) throw new Error(`invalid optimizer step count ${step}`);
    this.step = step;
  }

  /** Clears the non-finite guard (after the caller has restored good weights). */
  clearNonFiniteGuard(): void {
    this.store.backend.fill(this.guard, 0);
  }

  zeroGrad(): void {
    this.store.backend.fill(this.store.grads, 0);
  }

  /**
   * Records one update at learning rate `lr`. `alsoFinite` ([1] tensors, e.g. the loss) must be
   * finite too for the update to apply. Returns the guarded squared gradient norm ([1]).
   */
  apply(lr: number, alsoFinite: readonly Tensor[] = []): Tensor {
    const { backend, grads, params, layout } = this.store;
    const c = this.config;
    this.step += 1;
    const gradNormSquared = backend.sumSquares(grads);
    // guard += 0·x is NaN once any x is NaN or ±Inf, and exactly 0 otherwise.
    backend.addInPlace(this.guard, gradNormSquared, 0);
    for (const t of alsoFinite) backend.addInPlace(this.guard, t, 0);
    backend.addInPlace(gradNormSquared, this.guard, 1);
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
    return gradNormSquared;
  }
}
