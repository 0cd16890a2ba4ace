/**
 * What every WebGPU op stands on: the recorder (one command encoder per step, the buffer pool,
 * the pipeline cache), tensor allocation within the adapter's limits and the two dispatch shapes
 * the ops share. `WebGpuBackend` owns one; the op modules in ./ops take it as `k`.
 */
import { type DType, sizeOf } from '../backend.ts';
import { type KernelSpec, grid1d } from './kernel.ts';
import { sumScaledKernel } from './kernels/reduce.ts';
import { type BufferRange, Recorder } from './recorder.ts';
import { WebGpuTensor } from './tensor.ts';

export class WebGpuRuntime {
  readonly rec: Recorder;

  constructor(
    readonly device: GPUDevice,
    /** The largest buffer the adapter allows, in bytes. */
    private readonly maxBufferSize: number,
    /** The device's one fixed subgroup size, or null (see fixedSubgroupSize). */
    readonly subgroupSize: number | null,
  ) {
    this.rec = new Recorder(device);
  }

  alloc(shape: readonly number[], dtype: DType = 'f32', persistent = false, zero = false, hostInts: Int32Array | null = null): WebGpuTensor {
    const bytes = sizeOf(shape) * 4;
    if (bytes > this.maxBufferSize) {
      throw new Error(`tensor [${shape.join(', ')}] needs ${bytes} bytes, above this adapter's maxBufferSize ${this.maxBufferSize}`);
    }
    const { buffer, fresh } = this.rec.storage.acquire(Math.max(4, bytes), !persistent);
    const t = new WebGpuTensor(shape, dtype, buffer, 0, persistent, hostInts);
    if (zero && !fresh) this.rec.clear(t);
    return t;
  }

  /** 1-D kernels whose first parameter is the thread count. */
  elementwise(spec: KernelSpec, params: readonly number[], buffers: readonly BufferRange[]): void {
    if (params[0] === 0) return;
    this.rec.run(spec, params, buffers, grid1d(params[0]));
  }

  /** [1] = factor · Σ x */
  mean(x: WebGpuTensor, factor: number): WebGpuTensor {
    const out = this.alloc([1]);
    this.rec.run(sumScaledKernel, [x.size, factor], [x, out], [1, 1, 1]);
    return out;
  }
}

/** keep ⇔ state / 2^32 ≥ p ⇔ state ≥ ceil(p · 2^32): exact in float64 and in u32 (2^32 = keep none). */
export function dropoutThreshold(p: number): number {
  return Math.ceil(p * 2 ** 32);
}
