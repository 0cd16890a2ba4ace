/**
 * The interface every backend implements, in parts: `DeviceMemory` (tensors and the device's
 * life) and `TensorOps` (the math, by family), with `BackendTestHooks` kept apart. Three
 * implementations must agree: `cpu` (plain TypeScript, the specification), `wasm` (SIMD
 * kernels) and `webgpu` (WGSL kernels).
 *
 * Conventions shared by all ops:
 * - Tensors are row-major and contiguous. Matrices are [rows, cols]; activations of a batch of
 *   sequences are [batch * seqLength, hidden].
 * - Ops return new tensors owned by the current step (see `endStep`) unless they write into an
 *   `out` argument. Ops named `…Backward` return the input gradient and *accumulate* parameter
 *   gradients into the tensors they are given, so a flat gradient buffer can be filled in place.
 * - No op reads data back to the host; `read` is the only way out and is asynchronous, so a
 *   WebGPU training step can be recorded into one submission.
 */
import type { AdapterDescription, BackendName } from '../shared/names.ts';

export type { AdapterDescription, BackendName };

export type DType = 'f32' | 'i32';

/** A backend-owned block of numbers. Backends downcast to their own subclass. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Number of elements (product of shape). */
  readonly size: number;
  /** Which backend made it; mixing tensors of two backends is an error. */
  readonly backendName: BackendName;
}

/** Row lists per distinct id, prepared on the host so embedding gradients need no atomics. */
export interface ScatterIndex {
  readonly numTokens: number;
  readonly numDistinct: number;
}

export interface MatmulOptions {
  /** Use Aᵀ: A is stored [K, M]. */
  readonly transA?: boolean;
  /** Use Bᵀ: B is stored [N, K] (the PyTorch Linear weight layout). */
  readonly transB?: boolean;
  /** [N], added to every row. */
  readonly bias?: Tensor;
  /** Write here instead of allocating; with `accumulate`, C += A·B. */
  readonly out?: Tensor;
  readonly accumulate?: boolean;
}

export interface LayerNormResult {
  readonly y: Tensor;
  /** [rows] saved for the backward pass. */
  readonly mean: Tensor;
  readonly rstd: Tensor;
}

export interface AttentionResult {
  /** [B*T, H] */
  readonly out: Tensor;
  /** [B, heads, T, T] softmax probabilities, saved for the backward pass. */
  readonly probs: Tensor;
}

export interface AttentionShape {
  readonly batch: number;
  readonly seqLength: number;
  readonly heads: number;
  /**
   * Dropout on the attention probabilities (BERT's attention_probs_dropout_prob), with the same
   * counter-based hash as `dropout`, indexed by the probability's position in [B, heads, T, T].
   * The stored `probs` stay undropped; both passes regenerate the mask from the seed.
   */
  readonly dropout?: { readonly p: number; readonly seed: number };
}

export interface LossResult {
  /** [1] the mean loss. */
  readonly loss: Tensor;
  /** Gradient of `weight * loss` with respect to each input, in input order. */
  readonly grads: readonly Tensor[];
}

export interface AdamWOptions {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Elements [0, decayEnd) get weight decay; the rest (biases, LayerNorm) do not. */
  readonly decayEnd: number;
  /** 1-based step number, for bias correction. */
  readonly step: number;
  /** Clip when > 0: gradients are scaled by min(1, maxGradNorm / (‖g‖ + 1e-6)). */
  readonly maxGradNorm: number;
  /** [1] the squared global gradient norm from `sumSquares`, required when clipping. */
  readonly gradNormSquared?: Tensor;
}

/**
 * The device side of a backend: what it is, its tensors (making them, views, moving numbers in
 * and out, device-side copies) and the life of the device (steps, synchronisation, teardown,
 * loss). Nothing here computes; code that only stores and moves tensors takes just this part.
 */
export interface DeviceMemory {
  readonly name: BackendName;
  readonly adapter: AdapterDescription;

  // ---- tensors -------------------------------------------------------------------------------
  /** A zero-filled tensor. Persistent tensors (parameters, moments) outlive `endStep`. */
  zeros(shape: readonly number[], dtype?: DType, persistent?: boolean): Tensor;
  fromFloat32(data: Float32Array, shape: readonly number[], persistent?: boolean): Tensor;
  fromInt32(data: Int32Array, shape: readonly number[], persistent?: boolean): Tensor;
  /**
   * A view of `size(shape)` elements starting at element `offset` of a persistent tensor.
   * Any offset is correct. On WebGPU a view is bound to kernels in place only when `offset` is a
   * multiple of 64 (256 bytes, minStorageBufferOffsetAlignment); other views are staged through a
   * copy on every op that uses them (slow). Keep parameter views 64-aligned; packed neighbours
   * (query | key | value) should be bound as one aligned view.
   */
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor;
  /** Overwrite a tensor's contents from the host. */
  write(target: Tensor, data: Float32Array): void;
  /** Copy the contents out. Resolves after the work recorded so far has run. */
  read(source: Tensor): Promise<Float32Array>;
  /** target = source, on the device (same element count). */
  copy(source: Tensor, target: Tensor): void;
  /** target rows [targetRow, targetRow + rows) = source rows [sourceRow, …); both have the same columns. */
  copyRows(source: Tensor, sourceRow: number, target: Tensor, targetRow: number, rows: number): void;

  // ---- device lifecycle ------------------------------------------------------------------------
  /** Submit the step's work and recycle every non-persistent tensor made since the last call. */
  endStep(): void;
  /** Resolves when all submitted work has finished. */
  sync(): Promise<void>;
  /** Free every buffer (the backend is unusable afterwards). */
  destroy(): void;
  /**
   * Why the device is gone (a driver reset, a GPU process crash), or null while it works. A loss
   * may surface as a failed readback a moment before the device reports it: `waitMs` bounds
   * how long to wait for that report.
   */
  deviceLost(waitMs?: number): Promise<string | null>;
}

/** Elementwise ops and activations. */
export interface ElementwiseOps {
  fill(target: Tensor, value: number): void;
  add(a: Tensor, b: Tensor): Tensor;
  /** target += scale * source */
  addInPlace(target: Tensor, source: Tensor, scale?: number): void;
  scale(x: Tensor, factor: number): Tensor;
  /** out[i, :] = x[i, :] * s[i] for x [M, N], s [M]. */
  rowScale(x: Tensor, s: Tensor): Tensor;
  /** GELU with the exact erf form, as BERT's `gelu`. */
  gelu(x: Tensor): Tensor;
  geluBackward(dy: Tensor, x: Tensor): Tensor;
  /**
   * Inverted dropout with a counter-based RNG: element i is kept when hash(seed, i) ≥ p, so the
   * backward pass regenerates the mask from the seed instead of storing it.
   */
  dropout(x: Tensor, p: number, seed: number): Tensor;
  dropoutBackward(dy: Tensor, p: number, seed: number): Tensor;
}

/** Dense (linear) layers: the matrix product and the bias gradient. */
export interface DenseOps {
  matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor;
  /** out[n] (+)= Σ_m x[m, n] — the bias gradient. */
  sumRows(x: Tensor, out: Tensor, accumulate: boolean): void;
}

/** Embedding lookups and their gradient. */
export interface EmbeddingOps {
  /** table [V, H], ids i32 [N] → [N, H] */
  gather(table: Tensor, ids: Tensor): Tensor;
  scatterIndex(ids: Int32Array, numRows: number): ScatterIndex;
  /** dTable[ids[n]] += dOut[n] for every n */
  scatterAdd(dOut: Tensor, index: ScatterIndex, dTable: Tensor): void;
}

export interface LayerNormOps {
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult;
  /** Returns dx; dGamma and dBeta are accumulated. */
  layerNormBackward(
    dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor,
  ): Tensor;
}

export interface AttentionOps {
  /**
   * qkv [B*T, 3H] (query | key | value blocks per row), keyMask f32 [B, T] (1 = attend).
   * softmax(q·kᵀ / √d + (mask ? 0 : -∞)) · v per head.
   */
  attention(qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult;
  attentionBackward(dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor;
}

/** Pooling and embedding heads. */
export interface PoolingOps {
  /** x [B*T, H], weights [B, T] → [B, H]: Σ_t w[b,t] x[b,t]. Mean, CLS, last-token … are weights. */
  weightedPool(x: Tensor, weights: Tensor, batch: number): Tensor;
  weightedPoolBackward(dy: Tensor, weights: Tensor, seqLength: number): Tensor;
  /** Max over the tokens with mask 1 (others count as -1e9, as sentence-transformers does). */
  maxPool(x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor };
  maxPoolBackward(dy: Tensor, argmax: Tensor, seqLength: number): Tensor;
  /** y = x / max(‖x‖, 1e-12) per row; also returns the norms [rows]. */
  l2Normalize(x: Tensor): { y: Tensor; norm: Tensor };
  l2NormalizeBackward(dy: Tensor, y: Tensor, norm: Tensor): Tensor;
  /** The first `width` columns of x [rows, cols]. */
  sliceColumns(x: Tensor, width: number): Tensor;
  /** Places dy [rows, width] into the first columns of a zero [rows, cols]. */
  sliceColumnsBackward(dy: Tensor, cols: number): Tensor;
  /** [rows] Σ_j a[i,j] b[i,j] */
  rowDot(a: Tensor, b: Tensor): Tensor;
}

/** Terminal ops: each returns the loss and the gradients of weight·loss. */
export interface LossOps {
  /** mean_i CE(logits[i], label = labels[i]) */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor, weight: number): LossResult;
  /** mean_i (pred[i] - target[i])² */
  meanSquaredError(pred: Tensor, target: Tensor, weight: number): LossResult;
  /** log(1 + Σ_{label_i > label_j} exp(s_j - s_i)); scores already scaled. */
  cosentLoss(scores: Tensor, labels: Tensor, weight: number): LossResult;
  /** mean_i relu(‖a-p‖ - ‖a-n‖ + margin), euclidean. grads = [da, dp, dn]. */
  tripletLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult;
}

export interface OptimizerOps {
  /** [1] Σ x² (the global gradient norm squared when x is the flat gradient buffer). */
  sumSquares(x: Tensor): Tensor;
  /** One AdamW step over flat buffers (torch.optim.AdamW semantics, decoupled weight decay). */
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, options: AdamWOptions): void;
}

/** The math: every op a model, its losses and its optimizer record, by family. */
export interface TensorOps
  extends ElementwiseOps, DenseOps, EmbeddingOps, LayerNormOps, AttentionOps, PoolingOps, LossOps, OptimizerOps {}

/**
 * Hooks for tests and fault injection (the studio's "lose the GPU" fault), never used by
 * training. Optional on `Backend`: a backend without a device has no `loseDevice`.
 */
export interface BackendTestHooks {
  /** Fault injection: lose the device as a driver reset would. */
  loseDevice(): void;
}

/** A whole backend: its device and memory, the ops, and (where it has them) the test hooks. */
export interface Backend extends DeviceMemory, TensorOps, Partial<BackendTestHooks> {}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor dimension ${d} in [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertShape(t: Tensor, shape: readonly number[], what: string): void {
  if (!sameShape(t.shape, shape)) {
    throw new Error(`${what}: expected shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

/**
 * The dropout RNG shared by both backends: a PCG-style integer hash of (seed, index) mapped to
 * [0, 1). Both backends compute exactly this in 32-bit integer arithmetic so their masks agree.
 */
export function dropoutUniform(seed: number, index: number): number {
  let state = (Math.imul(index >>> 0, 747796405) + 2891336453 + Math.imul(seed >>> 0, 277803737)) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  state = ((word >>> 22) ^ word) >>> 0;
  return state / 4294967296;
}
