/**
 * `Backend` on WebAssembly SIMD128, optionally multi-threaded: the fast CPU path. Tensors are
 * byte ranges of one WebAssembly memory (shared with helper threads when SharedArrayBuffer is
 * available); kernels are the AssemblyScript functions in ./assembly, op for op the loops of
 * the CPU reference (../cpu). Like WebGPU, a step's non-persistent tensors are recycled by
 * `endStep`, and using one afterwards is an error.
 *
 * This file creates the backend and holds its device side; runtime.ts owns the module, memory,
 * heap and threads, and ./ops holds the ops by family (the losses run the reference's own code on
 * copies of their inputs, see ops/losses.ts).
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
import { engineBuild, engineModule, hasRelaxedSimd } from './module.ts';
import * as attention from './ops/attention.ts';
import * as elementwise from './ops/elementwise.ts';
import * as embedding from './ops/embedding.ts';
import * as layernorm from './ops/layernorm.ts';
import * as losses from './ops/losses.ts';
import * as matmul from './ops/matmul.ts';
import * as optimizer from './ops/optimizer.ts';
import * as pooling from './ops/pooling.ts';
import { type EngineExports, THREADED_KERNELS, WasmRuntime, WasmTensor, rowsCols } from './runtime.ts';
import { ThreadPool, type ThreadSpawner } from './threads.ts';

export interface CreateWasmOptions {
  /** Threads in all, the caller's included; 1 (the default without a spawner) runs single-threaded. */
  readonly threads?: number;
  /** Starts helper threads (Node worker_threads or Web Workers); needed for threads > 1. */
  readonly spawn?: ThreadSpawner;
  /** Why threads were not used, shown in the adapter summary (e.g. the page is not cross-origin isolated). */
  readonly singleThreadReason?: string;
  /** Use the relaxed-SIMD build (fused multiply-add); default: where the runtime validates it. */
  readonly relaxedSimd?: boolean;
}

export async function createWasmBackend(options: CreateWasmOptions = {}): Promise<WasmBackend> {
  const wanted = Math.max(1, Math.floor(options.threads ?? 1));
  const threaded = wanted > 1 && options.spawn !== undefined && typeof SharedArrayBuffer !== 'undefined';
  const relaxed = options.relaxedSimd ?? hasRelaxedSimd();
  const module = await engineModule(engineBuild(threaded, relaxed));
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: threaded } as WebAssembly.MemoryDescriptor);
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: () => { throw new Error('wasm kernel aborted'); } } });
  const exports = instance.exports as unknown as EngineExports;
  let pool: ThreadPool | null = null;
  let reason = options.singleThreadReason ?? null;
  if (threaded) {
    try {
      pool = await ThreadPool.start(options.spawn!, module, memory, THREADED_KERNELS, wanted - 1);
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
  } else if (wanted > 1 && !reason) {
    reason = typeof SharedArrayBuffer === 'undefined' ? 'SharedArrayBuffer is unavailable here' : 'no way to start threads here';
  }
  return new WasmBackend(memory, exports, pool, reason, relaxed);
}

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly adapter: AdapterDescription;
  /** The module, memory, heap, threads and kernel dispatch every op runs on. */
  private readonly k: WasmRuntime;

  constructor(
    memory: WebAssembly.Memory,
    exports: EngineExports,
    pool: ThreadPool | null,
    /** Why it runs on one thread when more were asked for. */
    readonly singleThreadReason: string | null,
    /** Whether the GEMM uses relaxed SIMD's fused multiply-add. */
    readonly relaxedSimd = false,
  ) {
    this.k = new WasmRuntime(memory, exports, pool);
    const threads = this.threads;
    this.adapter = {
      backend: 'wasm',
      summary: `WebAssembly SIMD${relaxedSimd ? ' (relaxed, FMA)' : ''} on the CPU, ${threads} thread${threads === 1 ? '' : 's'}${singleThreadReason ? ` (${singleThreadReason})` : ''}`,
      vendor: 'cpu',
      architecture: 'wasm-simd128',
      isFallbackAdapter: false,
      features: ['simd128', ...(relaxedSimd ? ['relaxed-simd'] : []), ...(threads > 1 ? ['threads'] : [])],
      maxBufferSize: 2 ** 32,
      maxStorageBufferBindingSize: 2 ** 32,
    };
  }

  get threads(): number {
    return this.k.threads;
  }

  /** Bytes of the wasm memory in use now and at most (tests, memory plans). */
  memoryUsage(): { liveBytes: number; peakBytes: number; memoryBytes: number } {
    return this.k.heap.usage();
  }

  // ---- memory ----------------------------------------------------------------------------------
  zeros(shape: readonly number[], dtype: DType = 'f32', persistent = false): Tensor {
    return this.k.zeros(shape, dtype, persistent);
  }
  fromFloat32(data: Float32Array, shape: readonly number[], persistent = false): Tensor {
    return this.k.fromFloat32(data, shape, persistent);
  }
  fromInt32(data: Int32Array, shape: readonly number[], persistent = false): Tensor {
    return this.k.fromInt32(data, shape, persistent);
  }
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const b = this.k.tensor(base);
    if (b.dtype !== 'f32') throw new Error('expected an f32 tensor');
    const n = sizeOf(shape);
    if (offset < 0 || offset + n > b.size) throw new Error(`view [${offset}, ${offset + n}) outside a tensor of ${b.size}`);
    return new WasmTensor(shape, 'f32', b.ptr + offset * 4, b.step);
  }
  write(target: Tensor, data: Float32Array): void {
    const t = this.k.f32(target);
    if (data.length !== t.length) throw new Error(`write of ${data.length} values into a tensor of ${t.length}`);
    t.set(data);
  }
  read(source: Tensor): Promise<Float32Array> {
    const t = this.k.tensor(source);
    if (t.dtype === 'i32') return Promise.resolve(Float32Array.from(new Int32Array(this.k.memory.buffer, t.ptr, t.size)));
    return Promise.resolve(this.k.f32(t).slice());
  }
  copy(source: Tensor, target: Tensor): void {
    if (target.size !== source.size) throw new Error(`copy: ${source.size} vs ${target.size} elements`);
    const s = this.k.tensor(source, 'f32'), t = this.k.tensor(target, 'f32');
    this.k.x.copyBytes(t.ptr, s.ptr, s.size * 4);
  }
  copyRows(source: Tensor, sourceRow: number, target: Tensor, targetRow: number, rows: number): void {
    const [sr, cols] = rowsCols(source);
    const [tr, tc] = rowsCols(target);
    if (tc !== cols) throw new Error(`copyRows: ${cols} vs ${tc} columns`);
    if (sourceRow + rows > sr || targetRow + rows > tr) throw new Error('copyRows: rows out of range');
    const s = this.k.tensor(source, 'f32'), t = this.k.tensor(target, 'f32');
    this.k.x.copyBytes(t.ptr + targetRow * cols * 4, s.ptr + sourceRow * cols * 4, rows * cols * 4);
  }

  // ---- device lifecycle --------------------------------------------------------------------------
  endStep(): void {
    this.k.endStep();
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): void {
    this.k.destroy();
  }
  async deviceLost(): Promise<string | null> {
    return this.k.isDestroyed ? 'the wasm backend was destroyed' : null;
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
    return matmul.matmul(this.k, a, b, options);
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

  // ---- losses: the reference on copies (ops/losses.ts) ------------------------------------------
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
}
