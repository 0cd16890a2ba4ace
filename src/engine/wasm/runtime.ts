/**
 * What every wasm op stands on: the instantiated engine module, its memory and heap, the helper
 * threads, the step/persistent tensor allocation and the kernel dispatch (on one thread or
 * split over the pool). `WasmBackend` owns one; the op modules in ./ops take it as `k`.
 */
import { type DType, type Tensor, sizeOf } from '../backend.ts';
import { WasmHeap } from './heap.ts';
import type { ThreadPool } from './threads.ts';

/** Kernels that split their work as (…, thread, threads); the index is the pool's kernel number. */
export const THREADED_KERNELS = [
  'gemmPackB', 'gemmBlock', 'add', 'addScaled', 'scale', 'gelu', 'geluBackward', 'dropout', 'sumRows', 'sumSquares',
  'layerNorm', 'layerNormBackward', 'attention', 'attentionBackward', 'adamw', 'touchMemory',
] as const;
export type ThreadedKernel = (typeof THREADED_KERNELS)[number];

type Kernel = (...args: number[]) => number | void;
export type EngineExports = Record<ThreadedKernel | 'packedBBytes' | 'threadScratchBytes' | 'heapBase' | 'fill' | 'rowScale' | 'copyBytes'
  | 'zeroBytes' | 'copyColumns' | 'rowDot' | 'gather' | 'scatterAdd' | 'weightedPool' | 'weightedPoolBackward' | 'maxPool'
  | 'maxPoolBackward' | 'l2Normalize' | 'l2NormalizeBackward', Kernel> & { KC: WebAssembly.Global };

/** Below this many multiply-adds (or elements) a kernel runs on the calling thread alone. */
const PARALLEL_MIN_WORK = 1 << 15;

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

export function rowsCols(t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`expected a matrix, got shape [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1]];
}

/** [threshold, keepScale, seed] of the dropout hash test: keep ⇔ hash(seed, i) ≥ p·2^32. */
export function dropoutArgs(p: number, seed: number): [number, number, number] {
  if (p <= 0) return [0, 1, 0];
  if (p >= 1) throw new Error(`dropout ${p} must be below 1`);
  return [p * 2 ** 32, 1 / (1 - p), seed >>> 0];
}

export class WasmRuntime {
  readonly heap: WasmHeap;
  /** The GEMM's k-block (the module's KC). */
  readonly kc: number;
  private step = 0;
  private temps: { ptr: number; bytes: number }[] = [];
  private owned: { ptr: number; bytes: number }[] = [];
  /** The memory grew since the helpers last proved they see all of it. */
  private grown = false;
  private scratchPtr = 0;
  private scratchBytes = 0;
  private destroyed = false;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly x: EngineExports,
    private readonly pool: ThreadPool | null,
  ) {
    this.heap = new WasmHeap(memory, Number(x.heapBase()), () => (this.grown = true));
    this.kc = Number(x.KC.value);
  }

  get threads(): number {
    return this.pool?.size ?? 1;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ---- tensors -----------------------------------------------------------------------------------
  zeros(shape: readonly number[], dtype: DType = 'f32', persistent = false): WasmTensor {
    const t = this.alloc(shape, dtype, persistent);
    this.x.zeroBytes(t.ptr, t.size * 4);
    return t;
  }
  fromFloat32(data: Float32Array, shape: readonly number[], persistent = false): WasmTensor {
    const t = this.alloc(shape, 'f32', persistent);
    if (data.length !== t.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${t.size}`);
    this.f32(t).set(data);
    return t;
  }
  fromInt32(data: Int32Array, shape: readonly number[], persistent = false): WasmTensor {
    const t = this.alloc(shape, 'i32', persistent);
    if (data.length !== t.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${t.size}`);
    new Int32Array(this.memory.buffer, t.ptr, t.size).set(data);
    return t;
  }

  alloc(shape: readonly number[], dtype: DType, persistent: boolean): WasmTensor {
    if (this.destroyed) throw new Error('the wasm backend was destroyed');
    const size = sizeOf(shape);
    const bytes = size * 4;
    const ptr = this.heap.alloc(bytes);
    (persistent ? this.owned : this.temps).push({ ptr, bytes });
    return new WasmTensor(shape, dtype, ptr, persistent ? -1 : this.step);
  }

  /** A scratch range reused by every op (ops run one at a time); valid until the next op. */
  scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchBytes > 0) this.heap.release(this.scratchPtr, this.scratchBytes);
      this.scratchBytes = Math.ceil(bytes * 1.25);
      this.scratchPtr = this.heap.alloc(this.scratchBytes);
    }
    return this.scratchPtr;
  }

  tensor(t: Tensor, dtype?: DType): WasmTensor {
    if (!(t instanceof WasmTensor)) throw new Error(`wasm backend got a tensor of the ${t.backendName} backend`);
    if (dtype && t.dtype !== dtype) throw new Error(`expected an ${dtype} tensor`);
    if (t.step >= 0 && t.step !== this.step) throw new Error('wasm backend: a step-local tensor was used after endStep() recycled it (make it persistent to keep it)');
    return t;
  }

  f32(t: Tensor): Float32Array {
    const w = this.tensor(t, 'f32');
    return new Float32Array(this.memory.buffer, w.ptr, w.size);
  }

  // ---- the step and teardown ---------------------------------------------------------------------
  /** Recycle the step's temporaries; tensors of earlier steps are refused from now on. */
  endStep(): void {
    for (const { ptr, bytes } of this.temps) this.heap.release(ptr, bytes);
    this.temps = [];
    this.step++;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool?.close();
  }

  // ---- kernel dispatch ---------------------------------------------------------------------------
  threadsFor(work: number): number {
    return this.pool && work >= PARALLEL_MIN_WORK ? this.pool.size : 1;
  }

  /** An elementwise-style kernel split over threads when `work` is large enough. */
  par(kernel: ThreadedKernel, args: number[], work: number): void {
    this.run(kernel, args, this.threadsFor(work));
  }

  run(kernel: ThreadedKernel, args: number[], threads: number): void {
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
}
