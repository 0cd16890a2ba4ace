/** The reference backend's tensors and the accessors its ops share. */
import { type DType, type Tensor, sizeOf } from '../backend.ts';

/** A CPU tensor: a typed array the ops read and write directly. */
export class CpuTensor implements Tensor {
  readonly backendName = 'cpu' as const;
  readonly size: number;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly data: Float32Array | Int32Array,
  ) {
    this.size = sizeOf(shape);
    if (data.length !== this.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${this.size}`);
  }
}

export function f32(t: Tensor): Float32Array {
  if (!(t instanceof CpuTensor)) throw new Error(`cpu backend got a tensor of the ${t.backendName} backend`);
  if (!(t.data instanceof Float32Array)) throw new Error('expected an f32 tensor');
  return t.data;
}

export function i32(t: Tensor): Int32Array {
  if (!(t instanceof CpuTensor)) throw new Error(`cpu backend got a tensor of the ${t.backendName} backend`);
  if (!(t.data instanceof Int32Array)) throw new Error('expected an i32 tensor');
  return t.data;
}

export function rowsCols(t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`expected a matrix, got shape [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1]];
}

/** A fresh f32 tensor, zero-filled unless `data` is given (and then taken, not copied). */
export function tensor(shape: readonly number[], data?: Float32Array): CpuTensor {
  return new CpuTensor(shape, 'f32', data ?? new Float32Array(sizeOf(shape)));
}
