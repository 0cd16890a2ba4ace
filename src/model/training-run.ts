import type { ScheduleConfig } from '../engine/optimizer.ts';
import { SeededRandom } from '../engine/rng.ts';
import type { LossConfig } from './losses.ts';
import type { SentenceModel } from './sentence-model.ts';
import { Trainer, type TrainingBatch } from './trainer.ts';
import type { AdamWConfig } from '../shared/settings.ts';
import type { SchedulerKind } from '../shared/names.ts';

/** A training example in sentence-transformers column order, with its score or label. */
export interface Example {
  readonly texts: readonly string[];
  readonly label?: number;
}

export interface TrainingRunConfig {
  readonly loss: LossConfig;
  readonly optimizer: AdamWConfig;
  readonly scheduler: SchedulerKind;
  readonly warmupSteps: number;
  readonly batchSize: number;
  /** Exactly one of epochs / maxSteps decides the length; maxSteps wins when both are set. */
  readonly epochs: number;
  readonly maxSteps?: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly columnPrompts?: readonly string[];
  /** Gradient caching mini-batch (texts); unset = the whole batch in one graph. */
  readonly miniBatchSize?: number;
}

export interface StepReport {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  readonly pairsPerSecond: number;
}

/** One point of the loss curve, as a checkpoint stores it. */
export interface LossPoint {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
}

/**
 * Everything besides tensors and config that a resumed run needs to continue exactly where this
 * one is: the optimizer step count, both RNG states, the position in the data and the curve.
 */
export interface TrainingProgress {
  /** Optimizer steps taken (= batches consumed = curve length). */
  readonly step: number;
  /** The Trainer's dropout-seed RNG state. */
  readonly dropoutRngState: number;
  /** The data-order RNG state now (after the current epoch's shuffle). */
  readonly orderRngState: number;
  /** 0-based epoch the next batch comes from (when `epochStartRngState` is not null). */
  readonly epoch: number;
  /**
   * The order RNG's state before the current epoch's shuffle, from which its order is rebuilt;
   * null when no epoch has started yet (step 0).
   */
  readonly epochStartRngState: number | null;
  /** Index into the current epoch's order where the next batch starts. */
  readonly cursor: number;
  readonly losses: readonly LossPoint[];
}

/** Steps in one epoch: the last, partial batch is kept (the Trainer's dataloader_drop_last=False). */
export function stepsPerEpoch(examples: number, batchSize: number): number {
  return Math.ceil(examples / batchSize);
}

/** Thrown when a step's loss or gradients are NaN or ±Inf; that step changed no weights. */
export class NonFiniteTrainingError extends Error {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly gradNorm: number,
    readonly lr: number,
  ) {
    const what = Number.isFinite(loss) ? `the gradient norm became ${gradNorm}` : `the loss became ${loss}`;
    super(
      `training stopped at step ${step}: ${what}; its update was skipped, so the weights are those after step ${step - 1}. ` +
        `Try a lower learning rate (it was ${lr}), or more warmup steps.`,
    );
    this.name = 'NonFiniteTrainingError';
  }
}

export interface RunOptions {
  /** Steps queued on the device before the oldest loss is awaited (default 2). */
  readonly inFlight?: number;
  readonly signal?: AbortSignal;
  /** Runs before each step with the number of steps done: the studio pauses and evaluates here (after `drain`). */
  readonly beforeStep?: (stepsDone: number, drain: () => Promise<void>) => Promise<void>;
  /**
   * Called with no step in flight (so `captureCheckpoint` works) after every `checkpointEvery`
   * steps, except at the end: the caller saves the final state after `run` returns. A run that
   * fails at a non-finite step never reaches the next call, so the last saved state stays good.
   */
  readonly checkpointEvery?: number;
  readonly onCheckpoint?: (stepsDone: number) => Promise<void>;
}

/**
 * The loop the CLI and the studio's worker both drive: seeded data order per epoch, batching,
 * the schedule, and the late loss readback (at most `inFlight` steps queued on the GPU). Its
 * progress can be captured between steps and restored into a new run (see checkpoint.ts).
 */
export class TrainingRun {
  readonly trainer: Trainer;
  readonly totalSteps: number;
  readonly schedule: ScheduleConfig;
  private order: SeededRandom;
  // Data position: the current epoch's order (null before the first batch) and the next start.
  private epochIndex = 0;
  private epochOrder: number[] | null = null;
  private epochStartRngState: number | null = null;
  private cursor = 0;
  private produced = 0;
  private readonly curve: LossPoint[] = [];

  constructor(
    readonly model: SentenceModel,
    readonly examples: readonly Example[],
    readonly config: TrainingRunConfig,
  ) {
    if (examples.length === 0) throw new Error('no training examples');
    const width = examples[0].texts.length;
    examples.forEach((e, i) => {
      if (e.texts.length !== width) throw new Error(`example ${i + 1} has ${e.texts.length} texts, the first has ${width}`);
    });
    const perEpoch = stepsPerEpoch(examples.length, config.batchSize);
    this.totalSteps = config.maxSteps ?? perEpoch * config.epochs;
    if (this.totalSteps < 1) throw new Error('training would run 0 steps');
    this.order = new SeededRandom(config.seed);
    this.schedule = { kind: config.scheduler, warmupSteps: config.warmupSteps, totalSteps: this.totalSteps };
    this.trainer = new Trainer(model, {
      loss: config.loss,
      optimizer: config.optimizer,
      schedule: this.schedule,
      seed: config.seed ^ 0x5eed,
      columnPrompts: config.columnPrompts,
      miniBatchSize: config.miniBatchSize,
    });
  }

  /** Steps whose batches have been handed out (recorded or about to be). */
  get stepsDone(): number {
    return this.produced;
  }

  /** The loss curve so far (steps whose loss has been read back). */
  get losses(): readonly LossPoint[] {
    return this.curve;
  }

  private epochOrderFrom(rng: SeededRandom): number[] {
    const idx = this.examples.map((_, i) => i);
    return this.config.shuffle ? rng.shuffle(idx) : idx;
  }

  /** The next batch in training order, or null after totalSteps. */
  nextBatch(): { epoch: number; batch: TrainingBatch } | null {
    if (this.produced >= this.totalSteps) return null;
    if (this.epochOrder === null || this.cursor >= this.epochOrder.length) {
      if (this.epochOrder !== null) this.epochIndex++;
      this.epochStartRngState = this.order.seedState;
      this.epochOrder = this.epochOrderFrom(this.order);
      this.cursor = 0;
    }
    const idx = this.epochOrder;
    const start = this.cursor;
    const rows = idx.slice(start, start + this.config.batchSize).map((i) => this.examples[i]);
    this.cursor = start + this.config.batchSize;
    this.produced++;
    const width = rows[0].texts.length;
    const columns = Array.from({ length: width }, (_, c) => rows.map((r) => r.texts[c]));
    const hasLabels = rows.every((r) => r.label !== undefined);
    const batch: TrainingBatch = hasLabels ? { columns, labels: Float32Array.from(rows, (r) => r.label!) } : { columns };
    return { epoch: this.epochIndex + start / idx.length, batch };
  }

  /** Batches in training order, epoch after epoch, until totalSteps. */
  *batches(): Generator<{ epoch: number; batch: TrainingBatch }> {
    for (let next = this.nextBatch(); next; next = this.nextBatch()) yield next;
  }

  /** The run's progress; only between steps, with nothing in flight (after `drain`). */
  progress(): TrainingProgress {
    if (this.curve.length !== this.produced) {
      throw new Error('a training run can be captured only between steps, with no step in flight');
    }
    return {
      step: this.produced,
      dropoutRngState: this.trainer.rng.seedState,
      orderRngState: this.order.seedState,
      epoch: this.epochIndex,
      epochStartRngState: this.epochOrder === null ? null : this.epochStartRngState,
      cursor: this.cursor,
      losses: this.curve.map((p) => ({ ...p })),
    };
  }

  /** Puts a fresh run (same config and examples) at a captured position. Tensors are the caller's. */
  restoreProgress(p: TrainingProgress): void {
    if (this.produced !== 0) throw new Error('progress can only be restored into a run that has not started');
    if (!Number.isInteger(p.step) || p.step < 0 || p.step > this.totalSteps) {
      throw new Error(`checkpoint step ${p.step} is outside this run's 0..${this.totalSteps} steps`);
    }
    if (p.losses.length !== p.step) throw new Error(`checkpoint has ${p.losses.length} losses for ${p.step} steps`);
    if (p.epochStartRngState === null) {
      if (p.step !== 0) throw new Error('checkpoint has steps but no epoch order');
      this.epochOrder = null;
      this.epochStartRngState = null;
    } else {
      const rng = new SeededRandom(p.epochStartRngState);
      this.epochOrder = this.epochOrderFrom(rng);
      if (rng.seedState !== p.orderRngState >>> 0) throw new Error('checkpoint data-order state is inconsistent (different data or shuffle setting?)');
      this.epochStartRngState = p.epochStartRngState;
      if (!Number.isInteger(p.cursor) || p.cursor < 0 || p.cursor > this.epochOrder.length + this.config.batchSize) {
        throw new Error(`checkpoint cursor ${p.cursor} is outside an epoch of ${this.epochOrder.length} examples`);
      }
    }
    this.order = new SeededRandom(p.orderRngState);
    this.epochIndex = p.epoch;
    this.cursor = p.cursor;
    this.produced = p.step;
    this.curve.length = 0;
    this.curve.push(...p.losses.map((l) => ({ ...l })));
    this.trainer.restoreState({ stepsTaken: p.step, dropoutRngState: p.dropoutRngState });
  }

  /**
   * Trains to the end, or until `signal` aborts. `beforeStep` runs before each step with the
   * number of steps done: the studio pauses there and evaluates there (after `drain`). Stops with
   * a NonFiniteTrainingError at the first step whose loss or gradients are NaN/Inf; that step and
   * any recorded after it changed no weights (the optimizer's guard).
   */
  async run(onStep: (report: StepReport) => void, options: RunOptions = {}): Promise<void> {
    const inFlight = options.inFlight ?? 2;
    const every = options.checkpointEvery ?? 0;
    const queue: Promise<void>[] = [];
    const started = performance.now();
    let pairs = 0;
    const drain = async () => {
      await Promise.all(queue);
    };
    const baseLr = this.config.optimizer.lr;
    const startStep = this.produced;
    try {
      for (;;) {
        if (this.produced >= this.totalSteps || options.signal?.aborted) break;
        const done = this.produced;
        if (options.onCheckpoint && every > 0 && done > startStep && done % every === 0) {
          await drain();
          await options.onCheckpoint(done);
        }
        if (options.beforeStep) await options.beforeStep(done, drain);
        if (options.signal?.aborted) break;
        const next = this.nextBatch();
        if (!next) break;
        const { epoch, batch } = next;
        const { step, lr, loss, gradNorm, applied } = this.trainer.step(batch);
        pairs += batch.columns[0].length;
        const pairsSoFar = pairs;
        const previous = queue.at(-1) ?? Promise.resolve();
        // Reports stay in step order even though losses resolve asynchronously.
        const report = Promise.all([previous, loss, gradNorm, applied]).then(([, value, norm, ok]) => {
          if (!Number.isFinite(value) || !ok) throw new NonFiniteTrainingError(step, value, norm, baseLr);
          const point = { step, epoch: Number(epoch.toFixed(4)), loss: value, lr, gradNorm: norm };
          this.curve.push(point);
          onStep({ ...point, pairsPerSecond: pairsSoFar / ((performance.now() - started) / 1000) });
        });
        // Awaited below or in drain; later steps of a failed run reject too and must not go unhandled.
        report.catch(() => {});
        queue.push(report);
        if (queue.length > inFlight) await queue.shift();
      }
      await Promise.all(queue);
    } finally {
      // Whatever happened, let the device finish before the caller reads or frees anything.
      await Promise.allSettled(queue);
    }
  }
}
