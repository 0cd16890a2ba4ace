import { ParamLayout } from '../engine/params.ts';
import { sizeClass } from '../engine/webgpu/pool.ts';
import { bertParamGroups, type BertDims } from './bert.ts';

/**
 * How many bytes one training step needs, counted from what bert.ts, graph.ts and the backends
 * allocate (every tensor is 4-byte f32 or i32):
 *
 * - parameters, gradients and both Adam moments: four flat buffers of the parameter layout;
 * - activations: every tensor a step makes. Nothing is freed inside a step — the tape's closures
 *   hold each forward output until `backward` finishes, and the gradients it makes hang off Vars the
 *   tape holds too; WebGPU's pool recycles step buffers only at `endStep` — so the peak is the sum
 *   of the step's forward outputs and backward temporaries;
 * - with gradient caching (`miniBatchSize`), the peak of one mini-batch's forward + backward or of
 *   the full-batch loss, plus the cached embeddings and their gradients. That assumes buffers are
 *   released between mini-batches: garbage collection does it on the CPU, a GradCacheWorkspace
 *   (endStep after each mini-batch) on WebGPU.
 *
 * The loss part is MultipleNegativesRankingLoss's (the widest: a [B, (columns−1)·B] logit matrix);
 * the others are smaller. WebGPU rounds each buffer up to its pool size class (≤ 25% more), which
 * the limit checks in `planBatch` use; totals count exact bytes.
 */

export interface TrainingShape {
  /** Examples per step (rows of each column). */
  readonly batchSize: number;
  /** Text columns per example (anchor, positive, negatives…). */
  readonly columns: number;
  /** Padded tokens per text. */
  readonly seqLength: number;
  /** Texts per encoder pass with gradient caching; absent = the whole batch in one pass. */
  readonly miniBatchSize?: number;
  /** Dropout active (default: the model's hidden dropout > 0). Adds one saved output per dropout. */
  readonly dropout?: boolean;
  /** A Normalize module after pooling (default true). */
  readonly normalize?: boolean;
}

export interface BufferSize {
  readonly name: string;
  readonly bytes: number;
}

export interface MemoryEstimate {
  readonly parameters: number;
  readonly gradients: number;
  /** Both Adam moments. */
  readonly optimizer: number;
  /** Activations and gradient temporaries at the step's peak (cache included when caching). */
  readonly activations: number;
  readonly total: number;
  /** The biggest single buffer: it must fit maxBufferSize and maxStorageBufferBindingSize. */
  readonly largestBuffer: BufferSize;
  /** Every buffer kind considered for `largestBuffer`, largest first. */
  readonly buffers: readonly BufferSize[];
}

const BYTES = 4;

function parameterFloats(dims: BertDims): number {
  return new ParamLayout(bertParamGroups(dims)).totalSize;
}

/** Floats one recorded forward + backward of the encoder (with pooling) allocates for `rows` texts. */
export function encoderStepFloats(dims: BertDims, rows: number, seqLength: number, dropout: boolean, normalize: boolean): number {
  const H = dims.hiddenSize, F = dims.intermediateSize, A = dims.numHeads, L = dims.numLayers, T = seqLength;
  const N = rows * T;
  const d = dropout ? 1 : 0;
  const attention = rows * A * T * T;
  // Embeddings: 3 gathers, 2 adds, LayerNorm (+ dropout); ids/positions/types, key mask, mean, rstd.
  const embeddingsForward = N * H * (6 + d) + 6 * N;
  // Per layer: qkv (3H); context, dense, add, LayerNorm, FFN output, add, LayerNorm (7H); 2 dropouts;
  // FFN pre/post GELU (2F); 2 × (mean, rstd); attention probabilities.
  const layerForward = N * H * (10 + 2 * d) + 2 * N * F + 4 * N + attention;
  // Backward: 2 LayerNorm dx, 4 residual-add copies, 3 linear dx (H) + dqkv (3H), 2 dropouts,
  // FFN dx and GELU dx (2F), the attention score gradient (WebGPU's dS; the CPU keeps one row).
  const layerBackward = N * H * (12 + 2 * d) + 2 * N * F + attention;
  const embeddingsBackward = N * H * (5 + d);
  const pooling = N + rows * H + (normalize ? rows * H + rows : 0) + N * H + (normalize ? rows * H : 0);
  return embeddingsForward + embeddingsBackward + L * (layerForward + layerBackward) + pooling;
}

/** Floats of the full-batch loss phase (MNRL: split, normalise, concatenate, logits; and back). */
export function lossPhaseFloats(dims: BertDims, batchSize: number, columns: number): number {
  const H = dims.hiddenSize, B = batchSize, rows = B * columns, C = Math.max(columns - 1, 1) * B;
  return 7 * rows * H + 4 * B * C + 6 * B;
}

export function estimateTrainingMemory(dims: BertDims, shape: TrainingShape): MemoryEstimate {
  const { batchSize, columns, seqLength } = shape;
  for (const [k, v] of Object.entries({ batchSize, columns, seqLength })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer, got ${v}`);
  }
  const dropout = shape.dropout ?? dims.hiddenDropout > 0;
  const normalize = shape.normalize ?? true;
  const rows = batchSize * columns;
  const m = shape.miniBatchSize;
  if (m !== undefined && (!Number.isInteger(m) || m < 1)) throw new Error(`miniBatchSize must be a positive integer, got ${m}`);
  const caching = m !== undefined && m < rows;
  const passRows = caching ? m : rows;
  const H = dims.hiddenSize, T = seqLength;

  const params = parameterFloats(dims) * BYTES;
  const loss = lossPhaseFloats(dims, batchSize, columns);
  let activationFloats: number;
  if (caching) {
    // Cached embeddings and their gradients live through the step; a re-run also slices [m, H].
    const cache = 2 * rows * H;
    activationFloats = cache + Math.max(encoderStepFloats(dims, m, T, dropout, normalize) + m * H, loss);
  } else {
    activationFloats = encoderStepFloats(dims, rows, T, dropout, normalize) + loss;
  }
  const activations = activationFloats * BYTES;

  const C = Math.max(columns - 1, 1) * batchSize;
  const buffers: BufferSize[] = [
    { name: 'flat parameters (and each of gradients, Adam m, Adam v)', bytes: params },
    { name: `attention probabilities [${passRows}·${dims.numHeads} heads, ${T}, ${T}]`, bytes: passRows * dims.numHeads * T * T * BYTES },
    { name: `FFN activations [${passRows}·${T}, ${dims.intermediateSize}]`, bytes: passRows * T * dims.intermediateSize * BYTES },
    { name: `fused qkv [${passRows}·${T}, ${3 * H}]`, bytes: passRows * T * 3 * H * BYTES },
    { name: `similarity logits [${batchSize}, ${C}]`, bytes: batchSize * C * BYTES },
    { name: `batch embeddings [${rows}, ${H}]`, bytes: rows * H * BYTES },
  ].sort((a, b) => b.bytes - a.bytes);
  return {
    parameters: params,
    gradients: params,
    optimizer: 2 * params,
    activations,
    total: 4 * params + activations,
    largestBuffer: buffers[0],
    buffers,
  };
}

export interface MemoryLimits {
  /** GPUAdapter limits (the CPU backend reports 2^31). */
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  /** What the step may use in all (device memory to spare, or a user's setting). */
  readonly budgetBytes: number;
}

export interface BatchPlan {
  /** Whether the step fits at all (whole, or with `miniBatchSize`). */
  readonly fits: boolean;
  /** Texts per encoder pass when the full batch does not fit; null when it does, or nothing does. */
  readonly miniBatchSize: number | null;
  readonly reason: string;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/** Why an estimate does not fit, or null when it does. */
function overLimit(e: MemoryEstimate, limits: MemoryLimits): string | null {
  const bufferLimit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const big = e.buffers.find((b) => sizeClass(b.bytes) > bufferLimit);
  if (big) return `${big.name} takes ${mib(sizeClass(big.bytes))}, above the ${mib(bufferLimit)} buffer limit`;
  if (e.total > limits.budgetBytes) return `needs ${mib(e.total)}, above the ${mib(limits.budgetBytes)} budget`;
  return null;
}

/**
 * Whether a batch fits; when the whole batch does not, the largest gradient-caching mini-batch
 * that does (texts per encoder pass, as sentence-transformers' `mini_batch_size`).
 */
export function planBatch(dims: BertDims, limits: MemoryLimits, request: Omit<TrainingShape, 'miniBatchSize'>): BatchPlan {
  const whole = estimateTrainingMemory(dims, request);
  const wholeProblem = overLimit(whole, limits);
  if (!wholeProblem) return { fits: true, miniBatchSize: null, reason: `the full batch fits (${mib(whole.total)})` };
  const rows = request.batchSize * request.columns;
  const at = (m: number) => overLimit(estimateTrainingMemory(dims, { ...request, miniBatchSize: m }), limits);
  const smallest = rows > 1 ? at(1) : wholeProblem;
  if (smallest !== null) {
    return { fits: false, miniBatchSize: null, reason: `the full batch ${wholeProblem}; even mini-batches of one text: ${smallest}` };
  }
  // Largest m in [1, rows − 1] that fits: memory grows with m.
  let lo = 1, hi = rows - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (at(mid) === null) lo = mid;
    else hi = mid - 1;
  }
  const cached = estimateTrainingMemory(dims, { ...request, miniBatchSize: lo });
  return {
    fits: true,
    miniBatchSize: lo,
    reason: `the full batch ${wholeProblem}; gradient caching with mini-batches of ${lo} texts needs ${mib(cached.total)}` +
      ` (largest buffer: ${cached.largestBuffer.name}, ${mib(cached.largestBuffer.bytes)})`,
  };
}
