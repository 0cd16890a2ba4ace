import type { AdamWConfig, SchedulerKind } from '../engine/optimizer.ts';
import { SeededRandom } from '../engine/rng.ts';
import type { LossConfig } from './losses.ts';
import type { SentenceModel } from './sentence-model.ts';
import { Trainer, type TrainingBatch } from './trainer.ts';

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
}

export interface StepReport {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  readonly pairsPerSecond: number;
}

/** Steps in one epoch: the last, partial batch is kept (the Trainer's dataloader_drop_last=False). */
export function stepsPerEpoch(examples: number, batchSize: number): number {
  return Math.ceil(examples / batchSize);
}

/**
 * The loop the CLI and the studio's worker both drive: seeded data order per epoch, batching,
 * the schedule, and the late loss readback (at most `inFlight` steps queued on the GPU).
 */
export class TrainingRun {
  readonly trainer: Trainer;
  readonly totalSteps: number;
  private readonly order: SeededRandom;

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
    this.trainer = new Trainer(model, {
      loss: config.loss,
      optimizer: config.optimizer,
      schedule: { kind: config.scheduler, warmupSteps: config.warmupSteps, totalSteps: this.totalSteps },
      seed: config.seed ^ 0x5eed,
      columnPrompts: config.columnPrompts,
    });
  }

  /** Batches in training order, epoch after epoch, until totalSteps. */
  *batches(): Generator<{ epoch: number; batch: TrainingBatch }> {
    const { batchSize, shuffle } = this.config;
    let produced = 0;
    for (let epoch = 0; produced < this.totalSteps; epoch++) {
      const idx = this.examples.map((_, i) => i);
      if (shuffle) this.order.shuffle(idx);
      for (let start = 0; start < idx.length && produced < this.totalSteps; start += batchSize) {
        const rows = idx.slice(start, start + batchSize).map((i) => this.examples[i]);
        const width = rows[0].texts.length;
        const columns = Array.from({ length: width }, (_, c) => rows.map((r) => r.texts[c]));
        const hasLabels = rows.every((r) => r.label !== undefined);
        yield { epoch: epoch + start / idx.length, batch: hasLabels ? { columns, labels: Float32Array.from(rows, (r) => r.label!) } : { columns } };
        produced++;
      }
    }
  }

  /**
   * Trains to the end, or until `signal` aborts. `beforeStep` runs before each step with the
   * number of steps done: the studio pauses there and evaluates there (after `drain`).
   */
  async run(
    onStep: (report: StepReport) => void,
    options: { inFlight?: number; signal?: AbortSignal; beforeStep?: (stepsDone: number, drain: () => Promise<void>) => Promise<void> } = {},
  ): Promise<void> {
    const inFlight = options.inFlight ?? 2;
    const queue: Promise<void>[] = [];
    const started = performance.now();
    let pairs = 0;
    const drain = async () => {
      await Promise.all(queue);
    };
    let done = 0;
    for (const { epoch, batch } of this.batches()) {
      if (options.signal?.aborted) break;
      if (options.beforeStep) await options.beforeStep(done, drain);
      if (options.signal?.aborted) break;
      done++;
      const { step, lr, loss } = this.trainer.step(batch);
      pairs += batch.columns[0].length;
      const pairsSoFar = pairs;
      const previous = queue.at(-1) ?? Promise.resolve();
      // Reports stay in step order even though losses resolve asynchronously.
      queue.push(
        Promise.all([previous, loss]).then(([, value]) => {
          if (!Number.isFinite(value)) throw new Error(`the loss became ${value} at step ${step}; try a lower learning rate`);
          onStep({ step, epoch: Number(epoch.toFixed(4)), loss: value, lr, pairsPerSecond: pairsSoFar / ((performance.now() - started) / 1000) });
        }),
      );
      if (queue.length > inFlight) await queue.shift();
    }
    await Promise.all(queue);
  }
}
