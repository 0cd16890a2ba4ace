import type { Tensor } from '../engine/backend.ts';
import { Graph } from '../engine/graph.ts';
import { AdamW, type AdamWConfig, learningRateFactor, type ScheduleConfig } from '../engine/optimizer.ts';
import { SeededRandom } from '../engine/rng.ts';
import { computeLoss, type LossConfig } from './losses.ts';
import type { PromptedBatch, SentenceModel } from './sentence-model.ts';

/** One training batch: texts per column (anchor, positive, negatives… or sentence1, sentence2). */
export interface TrainingBatch {
  readonly columns: readonly (readonly string[])[];
  /** Scores / labels for cosine and CoSENT. */
  readonly labels?: Float32Array;
}

export interface StepResult {
  readonly step: number;
  readonly lr: number;
  /** Resolves once the GPU has run the step; never awaited inside a step. */
  readonly loss: Promise<number>;
}

export interface TrainerOptions {
  readonly loss: LossConfig;
  readonly optimizer: AdamWConfig;
  readonly schedule: ScheduleConfig;
  readonly seed: number;
  /** Prompt per column index, e.g. ['query: ', 'passage: '] (the last one repeats). */
  readonly columnPrompts?: readonly string[];
}

/**
 * One optimizer step per call: zero the gradients, embed every column of the batch in a single
 * forward pass, compute the loss, back-propagate, clip and update. On WebGPU all of it goes
 * into one submission and the loss is read back late.
 */
export class Trainer {
  readonly optimizer: AdamW;
  readonly rng: SeededRandom;

  constructor(
    readonly model: SentenceModel,
    readonly options: TrainerOptions,
  ) {
    this.optimizer = new AdamW(model.store, options.optimizer);
    this.rng = new SeededRandom(options.seed);
  }

  get stepsTaken(): number {
    return this.optimizer.stepsTaken;
  }

  /** Records the step's loss (a [1] tensor) without submitting; for callers that add more work. */
  recordStep(batch: TrainingBatch): { lr: number; loss: Tensor } {
    const B = batch.columns[0]?.length ?? 0;
    if (B === 0) throw new Error('a training batch needs at least one example');
    for (const [i, col] of batch.columns.entries()) {
      if (col.length !== B) throw new Error(`column ${i} has ${col.length} texts, column 0 has ${B}`);
    }
    const prompts = this.options.columnPrompts ?? [];
    const promptOf = (c: number) => (prompts.length ? prompts[Math.min(c, prompts.length - 1)] : undefined);
    const texts = batch.columns.flat();
    const rowPrompts = batch.columns.flatMap((col, c) => col.map(() => promptOf(c)));
    return this.recordTokenizedStep(this.model.tokenize(texts, rowPrompts), batch.columns.length, batch.labels);
  }

  /**
   * The step on an already tokenized batch whose rows are the columns one after another
   * (all anchors, then all positives, …) — all columns go through the encoder in one pass.
   */
  recordTokenizedStep(input: PromptedBatch, columnCount: number, labels?: Float32Array): { lr: number; loss: Tensor } {
    const { model, options } = this;
    const backend = model.backend;
    const rows = input.batch.batchSize;
    if (rows % columnCount !== 0) throw new Error(`${rows} rows do not split into ${columnCount} columns`);
    const B = rows / columnCount;

    this.optimizer.zeroGrad();
    const g = new Graph(backend, true);
    const embeddings = model.embed(g, input, () => this.rng.nextUint32());
    const columns = g.splitRows(embeddings, Array.from({ length: columnCount }, () => B));
    const losses = computeLoss(g, options.loss, { columns, labels });
    g.backward(losses);

    let total = losses[0].value;
    if (losses.length > 1) {
      total = backend.zeros([1]);
      options.loss.matryoshkaDims.forEach((_, i) => backend.addInPlace(total, losses[i].value, options.loss.matryoshkaWeights?.[i] ?? 1));
    }
    const lr = options.optimizer.lr * learningRateFactor(options.schedule, this.optimizer.stepsTaken);
    this.optimizer.apply(lr);
    return { lr, loss: total };
  }

  /** Submits a recorded step and reads its loss back late. */
  finishStep(recorded: { lr: number; loss: Tensor }): StepResult {
    const value = this.model.backend.read(recorded.loss).then((v) => v[0]);
    this.model.backend.endStep();
    return { step: this.optimizer.stepsTaken, lr: recorded.lr, loss: value };
  }

  step(batch: TrainingBatch): StepResult {
    return this.finishStep(this.recordStep(batch));
  }
}
