/** Pooling and the embedding heads (L2 normalisation, Matryoshka column slices, row dots). */
import { type Tensor, assertShape } from '../../backend.ts';
import { grid1d } from '../kernel.ts';
import { sliceColumnsBackwardKernel, sliceColumnsKernel } from '../kernels/elementwise.ts';
import {
  l2NormalizeBackwardKernel, l2NormalizeKernel, maxPoolBackwardKernel, maxPoolKernel, rowDotKernel,
  weightedPoolBackwardKernel, weightedPoolKernel,
} from '../kernels/pooling.ts';
import type { WebGpuRuntime } from '../runtime.ts';
import { gpuTensor, rowsCols } from '../tensor.ts';

export function weightedPool(k: WebGpuRuntime, x: Tensor, weights: Tensor, batch: number): Tensor {
  const [rows, H] = rowsCols(x);
  if (weights.size !== rows) throw new Error(`weightedPool: ${weights.size} weights for ${rows} tokens`);
  const y = k.alloc([batch, H]);
  k.elementwise(weightedPoolKernel, [y.size, rows / batch, H], [gpuTensor(x), gpuTensor(weights), y]);
  return y;
}

export function weightedPoolBackward(k: WebGpuRuntime, dy: Tensor, weights: Tensor, seqLength: number): Tensor {
  const [B, H] = rowsCols(dy);
  const dx = k.alloc([B * seqLength, H]);
  k.elementwise(weightedPoolBackwardKernel, [dx.size, seqLength, H], [gpuTensor(dy), gpuTensor(weights), dx]);
  return dx;
}

export function maxPool(k: WebGpuRuntime, x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
  const [rows, H] = rowsCols(x);
  const y = k.alloc([batch, H]);
  const argmax = k.alloc([batch, H], 'i32');
  k.elementwise(maxPoolKernel, [y.size, rows / batch, H], [gpuTensor(x), gpuTensor(mask), y, argmax]);
  return { y, argmax };
}

export function maxPoolBackward(k: WebGpuRuntime, dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
  const [B, H] = rowsCols(dy);
  const dx = k.alloc([B * seqLength, H]);
  k.elementwise(maxPoolBackwardKernel, [dx.size, seqLength, H], [gpuTensor(dy), gpuTensor(argmax, 'i32'), dx]);
  return dx;
}

export function l2Normalize(k: WebGpuRuntime, x: Tensor): { y: Tensor; norm: Tensor } {
  const [M, H] = rowsCols(x);
  const y = k.alloc([M, H]), norm = k.alloc([M]);
  k.rec.run(l2NormalizeKernel, [M, H], [gpuTensor(x), y, norm], grid1d(M));
  return { y, norm };
}

export function l2NormalizeBackward(k: WebGpuRuntime, dy: Tensor, y: Tensor, norm: Tensor): Tensor {
  const [M, H] = rowsCols(y);
  const dx = k.alloc([M, H]);
  k.rec.run(l2NormalizeBackwardKernel, [M, H], [gpuTensor(dy), gpuTensor(y), gpuTensor(norm), dx], grid1d(M));
  return dx;
}

export function sliceColumns(k: WebGpuRuntime, x: Tensor, width: number): Tensor {
  const [M, H] = rowsCols(x);
  if (width > H) throw new Error(`sliceColumns: width ${width} > ${H} columns`);
  const y = k.alloc([M, width]);
  k.elementwise(sliceColumnsKernel, [y.size, width, H], [gpuTensor(x), y]);
  return y;
}

export function sliceColumnsBackward(k: WebGpuRuntime, dy: Tensor, cols: number): Tensor {
  const [M, W] = rowsCols(dy);
  const dx = k.alloc([M, cols]);
  k.elementwise(sliceColumnsBackwardKernel, [dx.size, W, cols], [gpuTensor(dy), dx]);
  return dx;
}

export function rowDot(k: WebGpuRuntime, a: Tensor, b: Tensor): Tensor {
  const [M, H] = rowsCols(a);
  assertShape(b, [M, H], 'rowDot');
  const out = k.alloc([M]);
  k.rec.run(rowDotKernel, [M, H], [gpuTensor(a), gpuTensor(b), out], grid1d(M));
  return out;
}
