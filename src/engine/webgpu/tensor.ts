import { type DType, type ScatterIndex, type Tensor, sizeOf } from '../backend.ts';
import type { BufferRange } from './recorder.ts';

export class WebGpuTensor implements Tensor, BufferRange {
  readonly backendName = 'webgpu' as const;
  readonly size: number;
  readonly byteLength: number;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly buffer: GPUBuffer,
    readonly byteOffset: number,
    /** Persistent tensors and their views survive `endStep`. */
    readonly persistent: boolean,
    /**
     * Host copy of uploaded i32 data (ids, labels): lets ops validate indices on the host the way
     * the CPU backend does, instead of a kernel reading out of range.
     */
    readonly hostInts: Int32Array | null = null,
  ) {
    this.size = sizeOf(shape);
    this.byteLength = this.size * 4;
  }
}

/**
 * CSR over distinct ids, kept on the host and uploaded (step-scoped) by each `scatterAdd`, so an
 * index stays valid across `endStep` like the CPU one.
 */
export class WebGpuScatterIndex implements ScatterIndex {
  readonly numTokens: number;
  readonly numDistinct: number;
  /** [distinct ids | offsets (numDistinct + 1) | token positions grouped by id] */
  readonly packed: Int32Array;
  constructor(ids: Int32Array, readonly numRows: number) {
    const byId = new Map<number, number[]>();
    ids.forEach((id, n) => {
      const list = byId.get(id);
      if (list) list.push(n);
      else byId.set(id, [n]);
    });
    this.numTokens = ids.length;
    this.numDistinct = byId.size;
    const D = byId.size;
    this.packed = new Int32Array(D + D + 1 + ids.length);
    let d = 0, pos = 2 * D + 1;
    for (const [id, tokens] of byId) {
      this.packed[d] = id;
      this.packed[D + d] = pos - (2 * D + 1);
      for (const t of tokens) this.packed[pos++] = t;
      d++;
    }
    this.packed[2 * D] = ids.length;
  }
}

export function gpuTensor(t: Tensor, dtype: DType = 'f32'): WebGpuTensor {
  if (!(t instanceof WebGpuTensor)) throw new Error(`webgpu backend got a tensor of the ${t.backendName} backend`);
  if (t.dtype !== dtype) throw new Error(`expected an ${dtype} tensor, got ${t.dtype}`);
  return t;
}

export function rowsCols(t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`expected a matrix, got shape [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1]];
}
