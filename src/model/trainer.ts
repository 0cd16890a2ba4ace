import type { Tensor } from '../engine/backend.ts';
import { Graph, type Var } from '../engine/graph.ts';
import { AdamW, learningRateFactor, type ScheduleConfig } from '../engine/optimizer.ts';
import { SeededRandom } from '../engine/rng.ts';
import { GradCacheWorkspace, recordCachedLossGradients } from './cached-mnrl.ts';
import { computeLoss, type LossConfig } from './losses.ts';
import type { PromptedBatch, SentenceModel } from './sentence-model.ts';
import type { AdamWConfig } from '../shared/settings.ts';

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
  /**
   * The global gradient norm before clipping, read back late with the loss. NaN or Infinity when
   * the gradients (or the loss, or an earlier step of this trainer) were not finite.
   */
  readonly gradNorm: Promise<number>;
  /**
   * Whether the AdamW update was applied. false: the gradients or the loss were NaN/Inf (here or
   * in an earlier step), so the kernel skipped the update and weights and moments are unchanged.
   */
  readonly applied: Promise<boolean>;
}

/** A step recorded on the backend but not yet submitted. */
export interface RecordedStep {
  readonly lr: number;
  /** [1] the loss. */
  readonly loss: Tensor;
  /** [1] the guarded squared gradient norm (non-finite ⇔ the update was skipped). */
  readonly gradNormSquared: Tensor;
}

export interface TrainerOptions {
  readonly loss: LossConfig;
  readonly optimizer: AdamWConfig;
  readonly schedule: ScheduleConfig;
  readonly seed: number;
  /** Prompt per column index, e.g. ['query: ', 'passage: '] (the last one repeats). */
  readonly columnPrompts?: readonly string[];
  /**
   * Gradient caching (CachedMultipleNegativesRankingLoss' technique): texts per mini-batch when
   * the whole batch does not fit in memory; the loss still sees every in-batch negative.
   */
  readonly miniBatchSize?: number;
}

/**
 * One optimizer step per call: zero the gradients, embed every column of the batch in a single
 * forward pass, compute the loss, back-propagate, clip and update. On WebGPU all of it goes
 * into one submission and the loss is read back late.
 */
export class Trainer {
  readonly optimizer: AdamW;
  private dropoutRng: SeededRandom;

  constructor(
    readonly model: SentenceModel,
    readonly options: TrainerOptions,
  ) {
    this.optimizer = new AdamW(model.store, options.optimizer);
    this.dropoutRng = new SeededRandom(options.seed);
  }

  /** The dropout seed generator (one draw per dropout site per step). */
  get rng(): SeededRandom {
    return this.dropoutRng;
  }

  get stepsTaken(): number {
    return this.optimizer.stepsTaken;
  }

  /** Restores the dropout RNG and the optimizer's step count (resume from a checkpoint). */
  restoreState(state: { readonly stepsTaken: number; readonly dropoutRngState: number }): void {
    this.optimizer.setStepsTaken(state.stepsTaken);
    this.dropoutRng = new SeededRandom(state.dropoutRngState);
  }

  /** Records the step's loss (a [1] tensor) without submitting; for callers that add more work. */
  recordStep(batch: TrainingBatch): RecordedStep {
    const B = batch.columns[0]?.length ?? 0;
    if (B === 0) throw new Error('a training batch needs at least one example');
    for (const [i, col] of batch.columns.entries()) {
      if (col.length !== B) throw new Error(`column ${i} has ${col.length} texts, column 0 has ${B}`);
    }
    const prompts = this.options.columnPrompts ?? [];
    const promptOf = (c: number) => (prompts.length ? prompts[Math.min(c, prompts.length - 1)] : undefined);
    const miniBatch = this.options.miniBatchSize;
    if (miniBatch && miniBatch < B * batch.columns.length) {
      // Gradient caching splits one tokenized batch into mini-batches of rows.
      const texts = batch.columns.flat();
      const rowPrompts = batch.columns.flatMap((col, c) => col.map(() => promptOf(c)));
      return this.recordTokenizedStep(this.model.tokenize(texts, rowPrompts), batch.columns.length, batch.labels);
    }
    // Each column padded to its own longest text (queries are often far shorter than passages).
    const columns = batch.columns.map((col, c) => this.model.tokenize(col, col.map(() => promptOf(c))));
    this.optimizer.zeroGrad();
    const total = this.recordColumns(columns, batch.labels);
    return this.applyStep(total);
  }

  /**
   * The step on an already tokenized batch whose rows are the columns one after another
   * (all anchors, then all positives, …) — all columns go through the encoder in one pass.
   */
  recordTokenizedStep(input: PromptedBatch, columnCount: number, labels?: Float32Array): RecordedStep {
    const { model, options } = this;
    const backend = model.backend;
    const rows = input.batch.batchSize;
    if (rows % columnCount !== 0) throw new Error(`${rows} rows do not split into ${columnCount} columns`);
    const B = rows / columnCount;

    this.optimizer.zeroGrad();
    const total = options.miniBatchSize && options.miniBatchSize < rows
      ? recordCachedLossGradients(model, input, columnCount, options.loss, labels, options.miniBatchSize, () => this.rng.nextUint32(), {
          workspace: (this.gradCache ??= new GradCacheWorkspace(backend)),
        })
      : this.recordFullBatch(input, columnCount, B, labels);
    return this.applyStep(total);
  }

  private applyStep(total: Tensor): RecordedStep {
    const lr = this.options.optimizer.lr * learningRateFactor(this.options.schedule, this.optimizer.stepsTaken);
    // The update is skipped on the device when the gradients or the loss are not finite.
    const gradNormSquared = this.optimizer.apply(lr, [total]);
    return { lr, loss: total, gradNormSquared };
  }

  private gradCache: GradCacheWorkspace | null = null;

  /** Forward, loss and backward over the whole batch in one graph; returns the [1] loss. */
  private recordFullBatch(input: PromptedBatch, columnCount: number, B: number, labels?: Float32Array): Tensor {
    const { model, options } = this;
    const backend = model.backend;
    const g = new Graph(backend, true);
    const embeddings = model.embed(g, input, () => this.rng.nextUint32());
    const columns = g.splitRows(embeddings, Array.from({ length: columnCount }, () => B));
    return this.lossAndBackward(g, columns, labels);
  }

  /** Forward of each column at its own padded length, then the loss and backward in one graph. */
  private recordColumns(inputs: readonly PromptedBatch[], labels?: Float32Array): Tensor {
    const g = new Graph(this.model.backend, true);
    const columns = inputs.map((input) => this.model.embed(g, input, () => this.rng.nextUint32()));
    return this.lossAndBackward(g, columns, labels);
  }

  private lossAndBackward(g: Graph, columns: readonly Var[], labels?: Float32Array): Tensor {
    const { options } = this;
    const backend = this.model.backend;
    const losses = computeLoss(g, options.loss, { columns, labels });
    g.backward(losses);
    if (losses.length === 1) return losses[0].value;
    const total = backend.zeros([1]);
    options.loss.matryoshkaDims.forEach((_, i) => backend.addInPlace(total, losses[i].value, options.loss.matryoshkaWeights?.[i] ?? 1));
    return total;
  }

  /** Submits a recorded step and reads its loss and gradient norm back late. */
  finishStep(recorded: RecordedStep): StepResult {
    const backend = this.model.backend;
    const loss = backend.read(recorded.loss).then((v) => v[0]);
    const normSquared = backend.read(recorded.gradNormSquared).then((v) => v[0]);
    backend.endStep();
    const gradNorm = normSquared.then((n) => Math.sqrt(n));
    const applied = normSquared.then((n) => Number.isFinite(n));
    // Callers often await only the loss; a failed read must not also surface as unhandled here.
    gradNorm.catch(() => {});
    applied.catch(() => {});
    return { step: this.optimizer.stepsTaken, lr: recorded.lr, loss, gradNorm, applied };
  }

  step(batch: TrainingBatch): StepResult {
    return this.finishStep(this.recordStep(batch));
  }
}
