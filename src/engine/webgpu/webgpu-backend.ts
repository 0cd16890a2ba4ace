/**
 * `Backend` on WebGPU. Every op records into the recorder's one command encoder; nothing runs
 * until `endStep`, `read` (in a microtask) or `sync` submits. Kernel semantics follow the CPU
 * reference (../cpu) op for op; the kernels live in ./kernels and the ops that record them in
 * ./ops, one file per family. This file creates the backend and holds its device side: memory,
 * submission and error reporting, device loss.
 */
import type {
  AdamWOptions,
  AdapterDescription,
  AttentionResult,
  AttentionShape,
  Backend,
  DType,
  LayerNormResult,
  LossResult,
  MatmulOptions,
  ScatterIndex,
  Tensor,
} from '../backend.ts';
import { sizeOf } from '../backend.ts';
import { type WebGpuOptions, defaultMatmulVariant, describeAdapter, fixedSubgroupSize, requestAdapter, requestDevice } from './adapter.ts';
import { type MatmulVariant, type MatmulVariantName, matmulVariant, matmulVariants } from './kernels/matmul.ts';
import * as attention from './ops/attention.ts';
import * as elementwise from './ops/elementwise.ts';
import * as embedding from './ops/embedding.ts';
import * as layernorm from './ops/layernorm.ts';
import * as losses from './ops/losses.ts';
import * as matmul from './ops/matmul.ts';
import * as optimizer from './ops/optimizer.ts';
import * as pooling from './ops/pooling.ts';
import type { RecorderStats } from './recorder.ts';
import { WebGpuRuntime } from './runtime.ts';
import { WebGpuTensor, gpuTensor, rowsCols } from './tensor.ts';

export interface CreateWebGpuOptions extends WebGpuOptions {
  /** Force a matmul kernel instead of the per-adapter default (benchmarks, tests). */
  readonly matmulVariant?: MatmulVariantName;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly adapter: AdapterDescription;
  /** The matmul kernel in use; assign another entry of `matmulVariants` to switch. */
  matmulVariant: MatmulVariant;
  /** The recorder, allocation and dispatch every op runs on. */
  private readonly k: WebGpuRuntime;
  /** The first WebGPU error of a submission nobody awaited; `sync` reports it. */
  private firstError: string | null = null;
  private lostReason: string | null = null;
  private readonly lost: Promise<string>;

  constructor(
    readonly device: GPUDevice,
    adapter: AdapterDescription,
    variant: MatmulVariant,
    /** The device's one fixed subgroup size, or null (see fixedSubgroupSize). */
    readonly subgroupSize: number | null = null,
  ) {
    this.adapter = adapter;
    if (!this.supportsMatmulVariant(variant)) throw new Error(`matmul variant ${variant.name} does not run with subgroup size ${subgroupSize}`);
    this.matmulVariant = variant;
    this.k = new WebGpuRuntime(device, adapter.maxBufferSize, subgroupSize);
    this.lost = device.lost.then((info) => {
      const reason = `reason: ${info.reason ?? 'unknown'}`;
      this.lostReason = info.message ? `${info.message.replace(/[.\s]+$/, '')} (${reason})` : reason;
      return this.lostReason;
    });
  }

  /** Buffer pool and pipeline cache counters (tests check that steps recycle buffers). */
  stats(): RecorderStats {
    return this.k.rec.stats();
  }

  setMatmulVariant(name: MatmulVariantName): void {
    const v = matmulVariant(name);
    if (!this.supportsMatmulVariant(v)) throw new Error(`matmul variant ${name} does not run with this device's subgroup size (${this.subgroupSize ?? 'none fixed'})`);
    this.matmulVariant = v;
  }
  supportsMatmulVariant(v: MatmulVariant): boolean {
    return v.supports(this.subgroupSize);
  }

  // ---- memory ----------------------------------------------------------------------------------
  zeros(shape: readonly number[], dtype: DType = 'f32', persistent = false): Tensor {
    return this.k.alloc(shape, dtype, persistent, true);
  }
  fromFloat32(data: Float32Array, shape: readonly number[], persistent = false): Tensor {
    const t = this.k.alloc(shape, 'f32', persistent, false);
    if (data.length !== t.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${t.size}`);
    this.k.rec.upload(t, data);
    return t;
  }
  fromInt32(data: Int32Array, shape: readonly number[], persistent = false): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`tensor data has ${data.length} elements, shape needs ${n}`);
    const t = this.k.alloc(shape, 'i32', persistent, false, Int32Array.from(data));
    this.k.rec.upload(t, data);
    return t;
  }
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const b = gpuTensor(base);
    const n = sizeOf(shape);
    if (!Number.isInteger(offset) || offset < 0 || offset + n > b.size) {
      throw new Error(`view [${offset}, ${offset + n}) outside a tensor of ${b.size}`);
    }
    return new WebGpuTensor(shape, 'f32', b.buffer, b.byteOffset + offset * 4, b.persistent);
  }
  /**
   * Staged: the data goes into a fresh buffer and a copy into the target is recorded in the
   * encoder, so it lands after the ops recorded before it and before those recorded after, as on
   * the CPU — without a submission (a direct queue.writeBuffer would overtake pending commands).
   */
  write(target: Tensor, data: Float32Array): void {
    const t = gpuTensor(target);
    if (data.length !== t.size) throw new Error(`write of ${data.length} values into a tensor of ${t.size}`);
    this.k.rec.writeInOrder(t, data);
  }
  async read(source: Tensor): Promise<Float32Array> {
    const t = gpuTensor(source, source.dtype);
    const bytes = await this.k.rec.read(t);
    return t.dtype === 'i32' ? Float32Array.from(new Int32Array(bytes)) : new Float32Array(bytes);
  }
  copy(source: Tensor, target: Tensor): void {
    if (target.size !== source.size) throw new Error(`copy: ${source.size} vs ${target.size} elements`);
    this.k.rec.copy(gpuTensor(source), gpuTensor(target));
  }
  copyRows(source: Tensor, sourceRow: number, target: Tensor, targetRow: number, rows: number): void {
    const [sr, cols] = rowsCols(source);
    const [tr, tc] = rowsCols(target);
    if (tc !== cols) throw new Error(`copyRows: ${cols} vs ${tc} columns`);
    if (sourceRow + rows > sr || targetRow + rows > tr) throw new Error('copyRows: rows out of range');
    const [src, dst] = [gpuTensor(source), gpuTensor(target)];
    const byteLength = rows * cols * 4;
    this.k.rec.copy(
      { buffer: src.buffer, byteOffset: src.byteOffset + sourceRow * cols * 4, byteLength },
      { buffer: dst.buffer, byteOffset: dst.byteOffset + targetRow * cols * 4, byteLength },
    );
  }

  // ---- device lifecycle ------------------------------------------------------------------------
  endStep(): void {
    void this.k.rec.endStep().then((e) => this.noteError(e));
  }
  async sync(): Promise<void> {
    // Error scopes resolve in submission order, so earlier endSteps have reported by now.
    const error = await this.k.rec.flush();
    this.noteError(error);
    await this.device.queue.onSubmittedWorkDone();
    const first = this.firstError;
    this.firstError = null;
    if (first) throw new Error(`WebGPU error: ${first}`);
  }
  destroy(): void {
    this.k.rec.destroy();
    this.device.destroy();
  }
  async deviceLost(waitMs = 0): Promise<string | null> {
    if (this.lostReason !== null || waitMs <= 0) return this.lostReason;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs)));
    try {
      return await Promise.race([this.lost, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- test hooks (BackendTestHooks) -----------------------------------------------------------
  loseDevice(): void {
    // What a driver reset does to us: the device goes, our buffers with it.
    this.device.destroy();
  }

  // ---- elementwise and activations (ops/elementwise.ts) -----------------------------------------
  fill(target: Tensor, value: number): void {
    elementwise.fill(this.k, target, value);
  }
  add(a: Tensor, b: Tensor): Tensor {
    return elementwise.add(this.k, a, b);
  }
  addInPlace(target: Tensor, source: Tensor, scale = 1): void {
    elementwise.addInPlace(this.k, target, source, scale);
  }
  scale(x: Tensor, factor: number): Tensor {
    return elementwise.scale(this.k, x, factor);
  }
  rowScale(x: Tensor, s: Tensor): Tensor {
    return elementwise.rowScale(this.k, x, s);
  }
  gelu(x: Tensor): Tensor {
    return elementwise.gelu(this.k, x);
  }
  geluBackward(dy: Tensor, x: Tensor): Tensor {
    return elementwise.geluBackward(this.k, dy, x);
  }
  dropout(x: Tensor, p: number, seed: number): Tensor {
    return elementwise.dropout(this.k, x, p, seed);
  }
  dropoutBackward(dy: Tensor, p: number, seed: number): Tensor {
    return elementwise.dropoutBackward(this.k, dy, p, seed);
  }

  // ---- dense (ops/matmul.ts) --------------------------------------------------------------------
  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    return matmul.matmul(this.k, this.matmulVariant, a, b, options);
  }
  sumRows(x: Tensor, out: Tensor, accumulate: boolean): void {
    matmul.sumRows(this.k, x, out, accumulate);
  }

  // ---- embeddings (ops/embedding.ts) ------------------------------------------------------------
  gather(table: Tensor, ids: Tensor): Tensor {
    return embedding.gather(this.k, table, ids);
  }
  scatterIndex(ids: Int32Array, numRows: number): ScatterIndex {
    return embedding.scatterIndex(this.k, ids, numRows);
  }
  scatterAdd(dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
    embedding.scatterAdd(this.k, dOut, index, dTable);
  }

  // ---- LayerNorm (ops/layernorm.ts) -------------------------------------------------------------
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
    return layernorm.layerNorm(this.k, x, gamma, beta, eps);
  }
  layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
    return layernorm.layerNormBackward(this.k, dy, x, gamma, mean, rstd, dGamma, dBeta);
  }

  // ---- attention (ops/attention.ts) -------------------------------------------------------------
  attention(qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
    return attention.attention(this.k, qkv, keyMask, shape);
  }
  attentionBackward(dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
    return attention.attentionBackward(this.k, dOut, qkv, probs, shape);
  }

  // ---- pooling and embedding heads (ops/pooling.ts) ---------------------------------------------
  weightedPool(x: Tensor, weights: Tensor, batch: number): Tensor {
    return pooling.weightedPool(this.k, x, weights, batch);
  }
  weightedPoolBackward(dy: Tensor, weights: Tensor, seqLength: number): Tensor {
    return pooling.weightedPoolBackward(this.k, dy, weights, seqLength);
  }
  maxPool(x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
    return pooling.maxPool(this.k, x, mask, batch);
  }
  maxPoolBackward(dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
    return pooling.maxPoolBackward(this.k, dy, argmax, seqLength);
  }
  l2Normalize(x: Tensor): { y: Tensor; norm: Tensor } {
    return pooling.l2Normalize(this.k, x);
  }
  l2NormalizeBackward(dy: Tensor, y: Tensor, norm: Tensor): Tensor {
    return pooling.l2NormalizeBackward(this.k, dy, y, norm);
  }
  sliceColumns(x: Tensor, width: number): Tensor {
    return pooling.sliceColumns(this.k, x, width);
  }
  sliceColumnsBackward(dy: Tensor, cols: number): Tensor {
    return pooling.sliceColumnsBackward(this.k, dy, cols);
  }
  rowDot(a: Tensor, b: Tensor): Tensor {
    return pooling.rowDot(this.k, a, b);
  }

  // ---- losses (ops/losses.ts) -------------------------------------------------------------------
  softmaxCrossEntropy(logits: Tensor, labels: Tensor, weight: number): LossResult {
    return losses.softmaxCrossEntropy(this.k, logits, labels, weight);
  }
  meanSquaredError(pred: Tensor, target: Tensor, weight: number): LossResult {
    return losses.meanSquaredError(this.k, pred, target, weight);
  }
  cosentLoss(scores: Tensor, labels: Tensor, weight: number): LossResult {
    return losses.cosentLoss(this.k, scores, labels, weight);
  }
  tripletLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
    return losses.tripletLoss(this.k, anchor, positive, negative, margin, weight);
  }

  // ---- optimizer (ops/optimizer.ts) -------------------------------------------------------------
  sumSquares(x: Tensor): Tensor {
    return optimizer.sumSquares(this.k, x);
  }
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, options: AdamWOptions): void {
    optimizer.adamw(this.k, params, grads, m, v, options);
  }

  private noteError(e: string | null): void {
    if (!e || this.firstError) return;
    this.firstError = e;
    console.error(`WebGPU error: ${e}`);
  }
}

export { matmulVariants };
export type { MatmulVariant, MatmulVariantName };

/** Throws, saying the CPU backend can be used, when no WebGPU adapter is available. */
export async function createWebGpuBackend(gpu: GPU, options: CreateWebGpuOptions = {}): Promise<WebGpuBackend> {
  const adapter = await requestAdapter(gpu, options);
  const device = await requestDevice(adapter);
  const subgroupSize = fixedSubgroupSize(adapter, device);
  const variant = matmulVariant(options.matmulVariant ?? defaultMatmulVariant(adapter, subgroupSize));
  // Errors outside a recording scope would otherwise vanish silently.
  device.addEventListener('uncapturederror', (e) => {
    console.error(`WebGPU uncaptured error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  return new WebGpuBackend(device, describeAdapter(adapter, device), variant, subgroupSize);
}
