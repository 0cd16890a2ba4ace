/**
 * `Backend` on WebAssembly SIMD128, optionally multi-threaded: the fast CPU path. Tensors are
 * byte ranges of one WebAssembly memory (shared with helper threads when SharedArrayBuffer is
 * available); kernels are the AssemblyScript functions in ./assembly, op for op the loops of
 * cpu-backend.ts. Like WebGPU, a step's non-persistent tensors are recycled by `endStep`, and
 * using one afterwards is an error.
 *
 * The four losses run the reference's own code on copies of their inputs: they are O(batch²)
 * on a few hundred numbers, a rounding error of a step's time next to the encoder.
 */
import {
  type AdamWOptions,
  type AdapterDescription,
  type AttentionResult,
  type AttentionShape,
  type Backend,
  type DType,
  type LayerNormResult,
  type LossResult,
  type MatmulOptions,
  type ScatterIndex,
  type Tensor,
  assertShape,
  sizeOf,
} from '../backend.ts';
import { CpuBackend } from '../cpu/cpu-backend.ts';
import { CpuTensor } from '../cpu/tensor.ts';
import { WasmHeap } from './heap.ts';
import { engineBuild, engineModule, hasRelaxedSimd } from './module.ts';
import { ThreadPool, type ThreadSpawner } from './threads.ts';

/** Kernels that split their work as (…, thread, threads); the index is the pool's kernel number. */
const THREADED_KERNELS = [
  'gemmPackB', 'gemmBlock', 'add', 'addScaled', 'scale', 'gelu', 'geluBackward', 'dropout', 'sumRows', 'sumSquares',
  'layerNorm', 'layerNormBackward', 'attention', 'attentionBackward', 'adamw', 'touchMemory',
] as const;
type ThreadedKernel = (typeof THREADED_KERNELS)[number];

type Kernel = (...args: number[]) => number | void;
type EngineExports = Record<ThreadedKernel | 'packedBBytes' | 'threadScratchBytes' | 'heapBase' | 'fill' | 'rowScale' | 'copyBytes'
  | 'zeroBytes' | 'copyColumns' | 'rowDot' | 'gather' | 'scatterAdd' | 'weightedPool' | 'weightedPoolBackward' | 'maxPool'
  | 'maxPoolBackward' | 'l2Normalize' | 'l2NormalizeBackward', Kernel> & { KC: WebAssembly.Global };

/** Below this many multiply-adds (or elements) a kernel runs on the calling thread alone. */
const PARALLEL_MIN_WORK = 1 << 15;

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

export class WasmTensor implements Tensor {
  readonly backendName = 'wasm' as const;
  readonly size: number;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** Byte offset in the backend's memory. */
    readonly ptr: number,
    /** The step that made it (temporaries), or -1 for persistent tensors and their views. */
    readonly step: number,
  ) {
    this.size = sizeOf(shape);
  }
}

class WasmScatterIndex implements ScatterIndex {
  readonly numTokens: number;
  readonly numDistinct: number;
  constructor(readonly ids: Int32Array, readonly numRows: number) {
    this.numTokens = ids.length;
    this.numDistinct = new Set(ids).size;
  }
}

function rowsCols(t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`expected a matrix, got shape [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1]];
}

/** [threshold, keepScale, seed] of the dropout hash test: keep ⇔ hash(seed, i) ≥ p·2^32. */
function dropoutArgs(p: number, seed: number): [number, number, number] {
  if (p <= 0) return [0, 1, 0];
  if (p >= 1) throw new Error(`dropout ${p} must be below 1`);
  return [p * 2 ** 32, 1 / (1 - p), seed >>> 0];
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
  private readonly heap: WasmHeap;
  private readonly reference = new CpuBackend();
  private readonly kc: number;
  private step = 0;
  private temps: { ptr: number; bytes: number }[] = [];
  private owned: { ptr: number; bytes: number }[] = [];
  /** The memory grew since the helpers last proved they see all of it. */
  private grown = false;
  private scratchPtr = 0;
  private scratchBytes = 0;
  private destroyed = false;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly x: EngineExports,
    private readonly pool: ThreadPool | null,
    /** Why it runs on one thread when more were asked for. */
    readonly singleThreadReason: string | null,
    /** Whether the GEMM uses relaxed SIMD's fused multiply-add. */
    readonly relaxedSimd = false,
  ) {
    this.heap = new WasmHeap(memory, Number(x.heapBase()), () => (this.grown = true));
    this.kc = Number(x.KC.value);
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
    return this.pool?.size ?? 1;
  }

  /** Bytes of the wasm memory in use now and at most (tests, memory plans). */
  memoryUsage(): { liveBytes: number; peakBytes: number; memoryBytes: number } {
    return this.heap.usage();
  }

  // ---- memory ----------------------------------------------------------------------------------
  zeros(shape: readonly number[], dtype: DType = 'f32', persistent = false): Tensor {
    const t = this.alloc(shape, dtype, persistent);
    this.x.zeroBytes(t.ptr, t.size * 4);
    return t;
  }
  fromFloat32(data: Float32Array, shape: readonly number[], persistent = false): Tensor {
    const t = this.alloc(shape, 'f32', persistent);
    if (data.length !== t.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${t.size}`);
    this.f32(t).set(data);
    return t;
  }
  fromInt32(data: Int32Array, shape: readonly number[], persistent = false): Tensor {
    const t = this.alloc(shape, 'i32', persistent);
    if (data.length !== t.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${t.size}`);
    new Int32Array(this.memory.buffer, t.ptr, t.size).set(data);
    return t;
  }
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const b = this.tensor(base);
    if (b.dtype !== 'f32') throw new Error('expected an f32 tensor');
    const n = sizeOf(shape);
    if (offset < 0 || offset + n > b.size) throw new Error(`view [${offset}, ${offset + n}) outside a tensor of ${b.size}`);
    return new WasmTensor(shape, 'f32', b.ptr + offset * 4, b.step);
  }
  write(target: Tensor, data: Float32Array): void {
    const t = this.f32(target);
    if (data.length !== t.length) throw new Error(`write of ${data.length} values into a tensor of ${t.length}`);
    t.set(data);
  }
  read(source: Tensor): Promise<Float32Array> {
    const t = this.tensor(source);
    if (t.dtype === 'i32') return Promise.resolve(Float32Array.from(new Int32Array(this.memory.buffer, t.ptr, t.size)));
    return Promise.resolve(this.f32(t).slice());
  }
  endStep(): void {
    for (const { ptr, bytes } of this.temps) this.heap.release(ptr, bytes);
    this.temps = [];
    this.step++;
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool?.close();
  }
  async deviceLost(): Promise<string | null> {
    return this.destroyed ? 'the wasm backend was destroyed' : null;
  }

  // ---- elementwise ---------------------------------------------------------------------------
  fill(target: Tensor, value: number): void {
    const t = this.tensor(target, 'f32');
    this.x.fill(t.ptr, t.size, value);
  }
  add(a: Tensor, b: Tensor): Tensor {
    assertShape(b, a.shape, 'add');
    const x = this.tensor(a, 'f32'), y = this.tensor(b, 'f32');
    const out = this.alloc(a.shape, 'f32', false);
    this.par('add', [x.ptr, y.ptr, out.ptr, x.size], x.size);
    return out;
  }
  addInPlace(target: Tensor, source: Tensor, scale = 1): void {
    if (target.size !== source.size) throw new Error(`addInPlace: ${target.size} vs ${source.size} elements`);
    const t = this.tensor(target, 'f32'), s = this.tensor(source, 'f32');
    this.par('addScaled', [t.ptr, s.ptr, t.ptr, t.size, scale], t.size);
  }
  scale(x: Tensor, factor: number): Tensor {
    const v = this.tensor(x, 'f32');
    const out = this.alloc(x.shape, 'f32', false);
    this.par('scale', [v.ptr, out.ptr, v.size, factor], v.size);
    return out;
  }
  copy(source: Tensor, target: Tensor): void {
    if (target.size !== source.size) throw new Error(`copy: ${source.size} vs ${target.size} elements`);
    const s = this.tensor(source, 'f32'), t = this.tensor(target, 'f32');
    this.x.copyBytes(t.ptr, s.ptr, s.size * 4);
  }
  rowScale(x: Tensor, s: Tensor): Tensor {
    const [M, N] = rowsCols(x);
    const v = this.tensor(x, 'f32'), f = this.tensor(s, 'f32');
    if (f.size !== M) throw new Error(`rowScale: ${f.size} factors for ${M} rows`);
    const out = this.alloc(x.shape, 'f32', false);
    this.x.rowScale(v.ptr, f.ptr, out.ptr, M, N);
    return out;
  }
  copyRows(source: Tensor, sourceRow: number, target: Tensor, targetRow: number, rows: number): void {
    const [sr, cols] = rowsCols(source);
    const [tr, tc] = rowsCols(target);
    if (tc !== cols) throw new Error(`copyRows: ${cols} vs ${tc} columns`);
    if (sourceRow + rows > sr || targetRow + rows > tr) throw new Error('copyRows: rows out of range');
    const s = this.tensor(source, 'f32'), t = this.tensor(target, 'f32');
    this.x.copyBytes(t.ptr + targetRow * cols * 4, s.ptr + sourceRow * cols * 4, rows * cols * 4);
  }

  // ---- dense ---------------------------------------------------------------------------------
  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const [ar, ac] = rowsCols(a);
    const [br, bc] = rowsCols(b);
    const transA = options.transA ?? false, transB = options.transB ?? false;
    const M = transA ? ac : ar;
    const K = transA ? ar : ac;
    const Kb = transB ? bc : br;
    const N = transB ? br : bc;
    if (K !== Kb) throw new Error(`matmul: inner dimensions differ (${K} vs ${Kb})`);
    const A = this.tensor(a, 'f32'), B = this.tensor(b, 'f32');
    const out = options.out ? this.tensor(options.out, 'f32') : this.alloc([M, N], 'f32', false);
    assertShape(out, [M, N], 'matmul output');
    const bias = options.bias ? this.tensor(options.bias, 'f32') : null;
    if (bias && bias.size !== N) throw new Error(`matmul: bias has ${bias.size} values, expected ${N}`);
    const accumulate = options.accumulate ?? false;
    if (M === 0 || N === 0) return out;
    if (K === 0) {
      // An empty sum: C = bias (or 0), or unchanged plus bias when accumulating.
      if (!accumulate) this.x.zeroBytes(out.ptr, M * N * 4);
      if (bias) for (let m = 0; m < M; m++) this.x.addScaled(out.ptr + m * N * 4, bias.ptr, out.ptr + m * N * 4, N, 1, 0, 1);
      return out;
    }
    const work = M * N * K;
    const threads = this.threadsFor(work);
    const packedBytes = Number(this.x.packedBBytes(K, N));
    const perThread = Number(this.x.threadScratchBytes(N));
    const scratch = this.scratch(packedBytes + threads * perThread);
    const packed = scratch, threadScratch = scratch + packedBytes;
    for (let k0 = 0; k0 < K; k0 += this.kc) {
      this.run('gemmPackB', [B.ptr, K, N, transB ? 1 : 0, k0, packed], threads);
      this.run('gemmBlock', [A.ptr, M, K, N, transA ? 1 : 0, k0, packed, out.ptr, accumulate ? 1 : 0, bias ? bias.ptr : 0, threadScratch], threads);
    }
    return out;
  }
  sumRows(x: Tensor, out: Tensor, accumulate: boolean): void {
    const [M, N] = rowsCols(x);
    const v = this.tensor(x, 'f32'), o = this.tensor(out, 'f32');
    if (o.size !== N) throw new Error(`sumRows: output has ${o.size} values, expected ${N}`);
    // Threads split columns: only worth it when there are enough of them.
    this.run('sumRows', [v.ptr, o.ptr, M, N, accumulate ? 1 : 0], N >= 64 ? this.threadsFor(M * N) : 1);
  }

  // ---- embeddings ------------------------------------------------------------------------------
  gather(table: Tensor, ids: Tensor): Tensor {
    const [V, H] = rowsCols(table);
    const t = this.tensor(table, 'f32'), idx = this.tensor(ids, 'i32');
    const view = new Int32Array(this.memory.buffer, idx.ptr, idx.size);
    for (const id of view) if (id < 0 || id >= V) throw new Error(`gather: id ${id} outside a table of ${V} rows`);
    const out = this.alloc([idx.size, H], 'f32', false);
    this.x.gather(t.ptr, idx.ptr, out.ptr, idx.size, H);
    return out;
  }
  scatterIndex(ids: Int32Array, numRows: number): ScatterIndex {
    for (const id of ids) if (id < 0 || id >= numRows) throw new Error(`scatterIndex: id ${id} outside ${numRows} rows`);
    return new WasmScatterIndex(Int32Array.from(ids), numRows);
  }
  scatterAdd(dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
    if (!(index instanceof WasmScatterIndex)) throw new Error('wasm backend got a foreign scatter index');
    const [, H] = rowsCols(dTable);
    const d = this.tensor(dOut, 'f32'), t = this.tensor(dTable, 'f32');
    const ids = this.fromInt32(index.ids, [index.ids.length]) as WasmTensor;
    this.x.scatterAdd(d.ptr, ids.ptr, t.ptr, index.ids.length, H);
  }

  // ---- normalisation and activations ------------------------------------------------------------
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
    const [M, H] = rowsCols(x);
    const v = this.tensor(x, 'f32'), g = this.tensor(gamma, 'f32'), b = this.tensor(beta, 'f32');
    const y = this.alloc([M, H], 'f32', false), mean = this.alloc([M], 'f32', false), rstd = this.alloc([M], 'f32', false);
    this.run('layerNorm', [v.ptr, g.ptr, b.ptr, y.ptr, mean.ptr, rstd.ptr, M, H, eps], this.threadsFor(M * H * 8));
    return { y, mean, rstd };
  }
  layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
    const [M, H] = rowsCols(x);
    const d = this.tensor(dy, 'f32'), v = this.tensor(x, 'f32'), g = this.tensor(gamma, 'f32');
    const mu = this.tensor(mean, 'f32'), rs = this.tensor(rstd, 'f32');
    const dg = this.tensor(dGamma, 'f32'), db = this.tensor(dBeta, 'f32');
    const dx = this.alloc(x.shape, 'f32', false);
    const threads = this.threadsFor(M * H * 8);
    const partial = this.scratch(threads * 2 * H * 4);
    this.run('layerNormBackward', [d.ptr, v.ptr, g.ptr, mu.ptr, rs.ptr, dx.ptr, partial, M, H], threads);
    // Each thread's partial sums, added in thread order: the same result whatever the timing.
    for (let t = 0; t < threads; t++) {
      const p = partial + t * 2 * H * 4;
      this.x.addScaled(dg.ptr, p, dg.ptr, H, 1, 0, 1);
      this.x.addScaled(db.ptr, p + H * 4, db.ptr, H, 1, 0, 1);
    }
    return dx;
  }
  gelu(x: Tensor): Tensor {
    const v = this.tensor(x, 'f32');
    const out = this.alloc(x.shape, 'f32', false);
    this.par('gelu', [v.ptr, out.ptr, v.size], v.size * 16);
    return out;
  }
  geluBackward(dy: Tensor, x: Tensor): Tensor {
    const d = this.tensor(dy, 'f32'), v = this.tensor(x, 'f32');
    if (d.size !== v.size) throw new Error(`geluBackward: ${d.size} gradients for ${v.size} inputs`);
    const out = this.alloc(x.shape, 'f32', false);
    this.par('geluBackward', [d.ptr, v.ptr, out.ptr, v.size], v.size * 16);
    return out;
  }
  dropout(x: Tensor, p: number, seed: number): Tensor {
    return this.dropoutBackward(x, p, seed);
  }
  dropoutBackward(dy: Tensor, p: number, seed: number): Tensor {
    const v = this.tensor(dy, 'f32');
    const out = this.alloc(dy.shape, 'f32', false);
    if (p <= 0) {
      this.x.copyBytes(out.ptr, v.ptr, v.size * 4);
      return out;
    }
    // p = 1 drops everything (no hash reaches 2^32), as the reference's `uniform ≥ 1` never holds.
    if (p >= 1) {
      this.x.zeroBytes(out.ptr, v.size * 4);
      return out;
    }
    const [threshold, keepScale, s] = dropoutArgs(p, seed);
    this.par('dropout', [v.ptr, out.ptr, v.size, threshold, keepScale, s], v.size * 4);
    return out;
  }

  // ---- attention -----------------------------------------------------------------------------
  attention(qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
    const { batch: B, seqLength: T, heads: NH } = shape;
    const [rows, threeH] = rowsCols(qkv);
    if (rows !== B * T || threeH % (3 * NH) !== 0) throw new Error(`attention: qkv [${rows}, ${threeH}] does not fit B=${B} T=${T} heads=${NH}`);
    const H = threeH / 3, D = H / NH;
    const q = this.tensor(qkv, 'f32'), mask = this.tensor(keyMask, 'f32');
    if (mask.size !== B * T) throw new Error(`attention: key mask has ${mask.size} values, expected ${B * T}`);
    const out = this.alloc([B * T, H], 'f32', false);
    const probs = this.alloc([B, NH, T, T], 'f32', false);
    const [threshold, keepScale, seed] = dropoutArgs(shape.dropout?.p ?? 0, shape.dropout?.seed ?? 0);
    const threads = Math.min(B * NH, this.threadsFor(B * NH * T * T * D));
    const scratch = this.scratch(threads * T * 4);
    this.run('attention', [q.ptr, mask.ptr, out.ptr, probs.ptr, B, T, NH, D, threshold, keepScale, seed, scratch], threads);
    return { out, probs };
  }
  attentionBackward(dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
    const { batch: B, seqLength: T, heads: NH } = shape;
    const [, threeH] = rowsCols(qkv);
    const H = threeH / 3, D = H / NH;
    const d = this.tensor(dOut, 'f32'), q = this.tensor(qkv, 'f32'), P = this.tensor(probs, 'f32');
    const dq = this.alloc(qkv.shape, 'f32', false);
    const [threshold, keepScale, seed] = dropoutArgs(shape.dropout?.p ?? 0, shape.dropout?.seed ?? 0);
    const threads = Math.min(B * NH, this.threadsFor(B * NH * T * T * D));
    const scratch = this.scratch(threads * T * 4);
    this.run('attentionBackward', [d.ptr, q.ptr, P.ptr, dq.ptr, B, T, NH, D, threshold, keepScale, seed, scratch], threads);
    return dq;
  }

  // ---- pooling and embedding heads ------------------------------------------------------------
  weightedPool(x: Tensor, weights: Tensor, batch: number): Tensor {
    const [rows, H] = rowsCols(x);
    const v = this.tensor(x, 'f32'), w = this.tensor(weights, 'f32');
    if (w.size !== rows) throw new Error(`weightedPool: ${w.size} weights for ${rows} tokens`);
    const out = this.alloc([batch, H], 'f32', false);
    this.x.weightedPool(v.ptr, w.ptr, out.ptr, batch, rows / batch, H);
    return out;
  }
  weightedPoolBackward(dy: Tensor, weights: Tensor, seqLength: number): Tensor {
    const [B, H] = rowsCols(dy);
    const d = this.tensor(dy, 'f32'), w = this.tensor(weights, 'f32');
    const out = this.alloc([B * seqLength, H], 'f32', false);
    this.x.weightedPoolBackward(d.ptr, w.ptr, out.ptr, B, seqLength, H);
    return out;
  }
  maxPool(x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
    const [rows, H] = rowsCols(x);
    const v = this.tensor(x, 'f32'), m = this.tensor(mask, 'f32');
    const y = this.alloc([batch, H], 'f32', false), argmax = this.alloc([batch, H], 'i32', false);
    this.x.maxPool(v.ptr, m.ptr, y.ptr, argmax.ptr, batch, rows / batch, H);
    return { y, argmax };
  }
  maxPoolBackward(dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
    const [B, H] = rowsCols(dy);
    const d = this.tensor(dy, 'f32'), arg = this.tensor(argmax, 'i32');
    const out = this.alloc([B * seqLength, H], 'f32', false);
    this.x.maxPoolBackward(d.ptr, arg.ptr, out.ptr, B, seqLength, H);
    return out;
  }
  l2Normalize(x: Tensor): { y: Tensor; norm: Tensor } {
    const [M, H] = rowsCols(x);
    const v = this.tensor(x, 'f32');
    const y = this.alloc([M, H], 'f32', false), norm = this.alloc([M], 'f32', false);
    this.x.l2Normalize(v.ptr, y.ptr, norm.ptr, M, H);
    return { y, norm };
  }
  l2NormalizeBackward(dy: Tensor, y: Tensor, norm: Tensor): Tensor {
    const [M, H] = rowsCols(y);
    const d = this.tensor(dy, 'f32'), yv = this.tensor(y, 'f32'), n = this.tensor(norm, 'f32');
    const dx = this.alloc(y.shape, 'f32', false);
    this.x.l2NormalizeBackward(d.ptr, yv.ptr, n.ptr, dx.ptr, M, H);
    return dx;
  }
  sliceColumns(x: Tensor, width: number): Tensor {
    const [M, H] = rowsCols(x);
    if (width > H) throw new Error(`sliceColumns: width ${width} > ${H} columns`);
    const v = this.tensor(x, 'f32');
    const out = this.alloc([M, width], 'f32', false);
    this.x.copyColumns(v.ptr, H, out.ptr, width, M, width);
    return out;
  }
  sliceColumnsBackward(dy: Tensor, cols: number): Tensor {
    const [M, W] = rowsCols(dy);
    if (W > cols) throw new Error(`sliceColumnsBackward: width ${W} > ${cols} columns`);
    const d = this.tensor(dy, 'f32');
    const out = this.zeros([M, cols]) as WasmTensor;
    this.x.copyColumns(d.ptr, W, out.ptr, cols, M, W);
    return out;
  }
  rowDot(a: Tensor, b: Tensor): Tensor {
    const [M, H] = rowsCols(a);
    assertShape(b, [M, H], 'rowDot');
    const x = this.tensor(a, 'f32'), y = this.tensor(b, 'f32');
    const out = this.alloc([M], 'f32', false);
    this.x.rowDot(x.ptr, y.ptr, out.ptr, M, H);
    return out;
  }

  // ---- losses: the reference's code on copies (see the file comment) --------------------------------
  softmaxCrossEntropy(logits: Tensor, labels: Tensor, weight: number): LossResult {
    return this.onReference([logits, labels], ([z, y]) => this.reference.softmaxCrossEntropy(z, y, weight));
  }
  meanSquaredError(pred: Tensor, target: Tensor, weight: number): LossResult {
    return this.onReference([pred, target], ([p, t]) => this.reference.meanSquaredError(p, t, weight));
  }
  cosentLoss(scores: Tensor, labels: Tensor, weight: number): LossResult {
    return this.onReference([scores, labels], ([s, y]) => this.reference.cosentLoss(s, y, weight));
  }
  tripletLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
    return this.onReference([anchor, positive, negative], ([a, p, n]) => this.reference.tripletLoss(a, p, n, margin, weight));
  }

  // ---- optimizer -------------------------------------------------------------------------------
  sumSquares(x: Tensor): Tensor {
    const v = this.tensor(x, 'f32');
    const threads = this.threadsFor(v.size);
    const partials = this.scratch(threads * 8);
    this.run('sumSquares', [v.ptr, v.size, partials], threads);
    const parts = new Float64Array(this.memory.buffer, partials, threads);
    let total = 0;
    for (const p of parts) total += p;
    return this.fromFloat32(Float32Array.of(total), [1]);
  }
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
    const p = this.tensor(params, 'f32'), g = this.tensor(grads, 'f32'), mm = this.tensor(m, 'f32'), vv = this.tensor(v, 'f32');
    if (g.size !== p.size || mm.size !== p.size || vv.size !== p.size) throw new Error('adamw: parameters, gradients and moments differ in size');
    if (o.maxGradNorm > 0 && !o.gradNormSquared) throw new Error('adamw: clipping needs gradNormSquared');
    const gn2 = o.gradNormSquared ? this.f32(o.gradNormSquared)[0] : 0;
    // Non-finite guard: a NaN or ±Inf gradient norm skips the whole update (weights and moments).
    if (!Number.isFinite(gn2)) return;
    const clip = o.maxGradNorm > 0 ? Math.min(1, o.maxGradNorm / (Math.sqrt(gn2) + 1e-6)) : 1;
    const stepSize = o.lr / (1 - o.beta1 ** o.step);
    const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
    this.par('adamw', [p.ptr, g.ptr, mm.ptr, vv.ptr, p.size, o.decayEnd, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, clip, stepSize, bc2Sqrt], p.size * 4);
  }

  // ---- internals -------------------------------------------------------------------------------
  private alloc(shape: readonly number[], dtype: DType, persistent: boolean): WasmTensor {
    if (this.destroyed) throw new Error('the wasm backend was destroyed');
    const size = sizeOf(shape);
    const bytes = size * 4;
    const ptr = this.heap.alloc(bytes);
    (persistent ? this.owned : this.temps).push({ ptr, bytes });
    return new WasmTensor(shape, dtype, ptr, persistent ? -1 : this.step);
  }

  /** A scratch range reused by every op (ops run one at a time); valid until the next op. */
  private scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchBytes > 0) this.heap.release(this.scratchPtr, this.scratchBytes);
      this.scratchBytes = Math.ceil(bytes * 1.25);
      this.scratchPtr = this.heap.alloc(this.scratchBytes);
    }
    return this.scratchPtr;
  }

  private tensor(t: Tensor, dtype?: DType): WasmTensor {
    if (!(t instanceof WasmTensor)) throw new Error(`wasm backend got a tensor of the ${t.backendName} backend`);
    if (dtype && t.dtype !== dtype) throw new Error(`expected an ${dtype} tensor`);
    if (t.step >= 0 && t.step !== this.step) throw new Error('wasm backend: a step-local tensor was used after endStep() recycled it (make it persistent to keep it)');
    return t;
  }

  private f32(t: Tensor): Float32Array {
    const w = this.tensor(t, 'f32');
    return new Float32Array(this.memory.buffer, w.ptr, w.size);
  }

  private threadsFor(work: number): number {
    return this.pool && work >= PARALLEL_MIN_WORK ? this.pool.size : 1;
  }

  /** An elementwise-style kernel split over threads when `work` is large enough. */
  private par(kernel: ThreadedKernel, args: number[], work: number): void {
    this.run(kernel, args, this.threadsFor(work));
  }

  private run(kernel: ThreadedKernel, args: number[], threads: number): void {
    const fn = this.x[kernel];
    if (threads <= 1 || !this.pool) {
      fn(...args, 0, 1);
      return;
    }
    if (this.grown) this.syncGrownMemory();
    this.pool.run(THREADED_KERNELS.indexOf(kernel), args, threads, () => fn(...args, 0, threads));
  }

  /**
   * A shared memory's growth reaches the other threads' instances asynchronously (V8 updates
   * them on an interrupt), so a helper handed a kernel right after a grow can still check bounds
   * against the old size and trap mid-write. Before any kernel touches the new range, every helper
   * reads the memory's last byte until none traps.
   */
  private syncGrownMemory(): void {
    const pool = this.pool!;
    const last = this.memory.buffer.byteLength - 1;
    for (let attempt = 0; ; attempt++) {
      try {
        pool.run(THREADED_KERNELS.indexOf('touchMemory'), [last], this.threads, () => this.x.touchMemory(last, 0, this.threads));
        break;
      } catch (error) {
        if (attempt >= 10_000) throw error;
      }
    }
    this.grown = false;
  }

  private onReference(inputs: Tensor[], loss: (inputs: Tensor[]) => LossResult): LossResult {
    const copies = inputs.map((t) => {
      const w = this.tensor(t);
      const data = w.dtype === 'i32'
        ? new Int32Array(this.memory.buffer, w.ptr, w.size).slice()
        : new Float32Array(this.memory.buffer, w.ptr, w.size).slice();
      return new CpuTensor(w.shape, w.dtype, data);
    });
    const result = loss(copies);
    const back = (t: Tensor) => {
      if (!(t instanceof CpuTensor) || !(t.data instanceof Float32Array)) throw new Error('reference loss returned a foreign tensor');
      return this.fromFloat32(t.data, t.shape);
    };
    return { loss: back(result.loss), grads: result.grads.map(back) };
  }
}
