import type { DeviceMemory, Tensor } from '../engine/backend.ts';
import { Graph, Var } from '../engine/graph.ts';
import type { BertDims, SeedSource, TokenBatch } from './bert.ts';
import { computeLoss, type LossConfig } from './losses.ts';
import type { PromptedBatch, SentenceModel } from './sentence-model.ts';

/**
 * Gradient caching (GradCache; sentence-transformers' CachedMultipleNegativesRankingLoss and its
 * Cached* siblings): the loss sees the whole batch — every in-batch negative — while the encoder
 * only ever holds one mini-batch's activations.
 *
 *  1. Embed the full batch mini-batch by mini-batch without keeping a tape, drawing and storing
 *     each mini-batch's dropout seeds (GradCache's RandContext).
 *  2. Compute the loss on the full-batch embeddings held as leaf Vars and back-propagate to them:
 *     dL/d(embedding row) for every row.
 *  3. Re-run each mini-batch with a tape and the same seeds (so the same dropout masks) and seed
 *     its backward with its rows of that gradient; parameter gradients accumulate in the flat
 *     gradient buffer. The sum over mini-batches is exactly the full-batch gradient.
 *
 * Works for every loss whose value depends on the embeddings only (all of ours, Matryoshka too).
 * Mini-batches are ranges of rows of the flat batch (columns one after another), each trimmed to
 * its longest sequence; `miniBatchSize` counts texts, as sentence-transformers' `mini_batch_size`.
 */

/** Whether a forward pass must record to apply dropout (Graph skips dropout when not recording). */
function hasDropout(dims: BertDims): boolean {
  return dims.hiddenDropout > 0 || dims.attentionDropout > 0;
}

/** Rows [start, end) of a padded batch, trimmed to the longest of them (right padding). */
export function sliceTokenBatch(batch: TokenBatch, start: number, end: number): TokenBatch {
  const T = batch.seqLength;
  if (!(start >= 0 && end <= batch.batchSize && start < end)) throw new Error(`rows [${start}, ${end}) outside a batch of ${batch.batchSize}`);
  let longest = 1;
  for (let r = start; r < end; r++) {
    for (let t = T - 1; t >= longest; t--) {
      if (batch.attentionMask[r * T + t] !== 0) {
        longest = t + 1;
        break;
      }
    }
  }
  const rows = end - start;
  const take = (src: Int32Array) => {
    const out = new Int32Array(rows * longest);
    for (let r = 0; r < rows; r++) out.set(src.subarray((start + r) * T, (start + r) * T + longest), r * longest);
    return out;
  };
  return {
    batchSize: rows,
    seqLength: longest,
    inputIds: take(batch.inputIds),
    attentionMask: take(batch.attentionMask),
    tokenTypeIds: take(batch.tokenTypeIds),
  };
}

/** The mini-batches of a prompted batch: row ranges of at most `size` rows. */
export function miniBatches(input: PromptedBatch, size: number): { start: number; end: number; input: PromptedBatch }[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`mini-batch size must be a positive integer, got ${size}`);
  const rows = input.batch.batchSize;
  const out: { start: number; end: number; input: PromptedBatch }[] = [];
  for (let start = 0; start < rows; start += size) {
    const end = Math.min(start + size, rows);
    out.push({
      start,
      end,
      input: { batch: sliceTokenBatch(input.batch, start, end), promptLengths: input.promptLengths.slice(start, end) },
    });
  }
  return out;
}

/**
 * Persistent buffers for the cached embeddings, their gradients and the loss, reused across steps.
 * Passing one makes `recordCachedLossGradients` submit (`endStep`) after every mini-batch, so the
 * WebGPU buffer pool recycles each mini-batch's activations before the next — without it, a WebGPU
 * step keeps every buffer until its end and caching saves compute order but no memory. (The CPU
 * backend frees by garbage collection either way.) The returned loss is then a persistent tensor
 * that the next step overwrites: read it before recording the next step.
 */
export class GradCacheWorkspace {
  private capacity = 0;
  private embeddings: Tensor | null = null;
  private grads: Tensor | null = null;
  private lossTensor: Tensor | null = null;

  constructor(readonly backend: DeviceMemory) {}

  /** Views of [rows, width] over the persistent buffers, grown when a batch needs more. */
  buffers(rows: number, width: number): { embeddings: Tensor; grads: Tensor; loss: Tensor } {
    const b = this.backend;
    const need = rows * width;
    if (need > this.capacity || !this.embeddings || !this.grads) {
      // Backends free persistent tensors only on destroy: grow rarely (by doubling).
      this.capacity = Math.max(need, 2 * this.capacity);
      this.embeddings = b.zeros([this.capacity], 'f32', true);
      this.grads = b.zeros([this.capacity], 'f32', true);
    }
    this.lossTensor ??= b.zeros([1], 'f32', true);
    return { embeddings: b.view(this.embeddings, 0, [rows, width]), grads: b.view(this.grads, 0, [rows, width]), loss: this.lossTensor };
  }
}

export interface CachedLossOptions {
  /** Submit after every mini-batch and keep the cache in these persistent buffers (WebGPU memory). */
  readonly workspace?: GradCacheWorkspace;
}

/**
 * Records one gradient-cached loss evaluation: parameter gradients are *accumulated* into the
 * model's flat gradient buffer (the caller zeroes them before and applies the optimizer after).
 * `input` holds the whole batch, rows = columns one after another (all anchors, all positives, …).
 * Returns the loss, a [1] tensor (the weighted sum over Matryoshka dimensions when there are some).
 */
export function recordCachedLossGradients(
  model: SentenceModel,
  input: PromptedBatch,
  columnCount: number,
  loss: LossConfig,
  labels: Float32Array | undefined,
  miniBatchSize: number,
  nextSeed: SeedSource,
  options: CachedLossOptions = {},
): Tensor {
  const backend = model.backend;
  if (!model.store.training) throw new Error('gradient caching needs a model with training enabled');
  const rows = input.batch.batchSize;
  if (rows === 0 || rows % columnCount !== 0) throw new Error(`${rows} rows do not split into ${columnCount} columns`);
  const B = rows / columnCount;
  const H = model.dimension;
  const parts = miniBatches(input, miniBatchSize);
  const workspace = options.workspace;
  if (workspace && workspace.backend !== backend) throw new Error('the gradient-cache workspace belongs to another backend');
  const cache = workspace?.buffers(rows, H);
  const submit = () => {
    if (workspace) backend.endStep();
  };

  // 1. Embeddings of every mini-batch without a tape, remembering the dropout seeds drawn.
  //    Graph applies dropout only when recording, so a model with dropout records into a graph
  //    that is dropped right away (its tape is never run and goes with it).
  const recordFirstPass = hasDropout(model.dims);
  const seeds: number[][] = [];
  const embeddings = cache?.embeddings ?? backend.zeros([rows, H]);
  for (const part of parts) {
    const drawn: number[] = [];
    const g = new Graph(backend, recordFirstPass);
    const emb = model.embed(g, part.input, () => {
      const s = nextSeed();
      drawn.push(s);
      return s;
    });
    backend.copyRows(emb.value, 0, embeddings, part.start, part.end - part.start);
    seeds.push(drawn);
    submit();
  }

  // 2. The loss on the full batch, back-propagated to the embeddings only.
  const lossGraph = new Graph(backend, true);
  const leaf = new Var(embeddings, null, true);
  const columns = lossGraph.splitRows(leaf, Array.from({ length: columnCount }, () => B));
  const losses = computeLoss(lossGraph, loss, { columns, labels });
  lossGraph.backward(losses);
  let total = losses[0].value;
  if (losses.length > 1) {
    total = backend.zeros([1]);
    loss.matryoshkaDims.forEach((_, i) => backend.addInPlace(total, losses[i].value, loss.matryoshkaWeights?.[i] ?? 1));
  }
  let embeddingGrads = leaf.grad;
  if (cache) {
    if (embeddingGrads) backend.copy(embeddingGrads, cache.grads);
    else backend.fill(cache.grads, 0);
    backend.copy(total, cache.loss);
    embeddingGrads = cache.grads;
    total = cache.loss;
    submit();
  }
  // A loss that ignores the embeddings leaves no gradient: nothing reaches the parameters.
  if (!embeddingGrads) return total;

  // 3. Each mini-batch again, recorded, with its own seeds replayed and its slice of the gradient.
  parts.forEach((part, i) => {
    const drawn = seeds[i];
    let at = 0;
    const replay = () => {
      if (at >= drawn.length) throw new Error('gradient caching: the re-run drew more dropout seeds than the first pass');
      return drawn[at++];
    };
    const g = new Graph(backend, true);
    const emb = model.embed(g, part.input, replay);
    if (at !== drawn.length) throw new Error('gradient caching: the re-run drew fewer dropout seeds than the first pass');
    const n = part.end - part.start;
    const grad = backend.zeros([n, H]);
    backend.copyRows(embeddingGrads, part.start, grad, 0, n);
    g.backwardFrom([{ v: emb, grad }]);
    submit();
  });
  return total;
}
