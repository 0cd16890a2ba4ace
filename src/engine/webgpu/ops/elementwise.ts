/** Elementwise ops and activations (GELU, dropout). */
import { type Tensor, assertShape } from '../../backend.ts';
import { addKernel, addScaledKernel, dropoutKernel, fillKernel, geluBackwardKernel, geluKernel, rowScaleKernel, scaleKernel } from '../kernels/elementwise.ts';
import { type WebGpuRuntime, dropoutThreshold } from '../runtime.ts';
import { gpuTensor, rowsCols } from '../tensor.ts';

export function fill(k: WebGpuRuntime, target: Tensor, value: number): void {
  const t = gpuTensor(target);
  if (value === 0) k.rec.clear(t);
  else k.elementwise(fillKernel, [t.size, value], [t]);
}

export function add(k: WebGpuRuntime, a: Tensor, b: Tensor): Tensor {
  assertShape(b, a.shape, 'add');
  const y = k.alloc(a.shape);
  k.elementwise(addKernel, [y.size], [gpuTensor(a), gpuTensor(b), y]);
  return y;
}

export function addInPlace(k: WebGpuRuntime, target: Tensor, source: Tensor, scale = 1): void {
  if (target.size !== source.size) throw new Error(`addInPlace: ${target.size} vs ${source.size} elements`);
  k.elementwise(addScaledKernel, [target.size, scale], [gpuTensor(source), gpuTensor(target)]);
}

export function scale(k: WebGpuRuntime, x: Tensor, factor: number): Tensor {
  const y = k.alloc(x.shape);
  k.elementwise(scaleKernel, [y.size, factor], [gpuTensor(x), y]);
  return y;
}

export function rowScale(k: WebGpuRuntime, x: Tensor, s: Tensor): Tensor {
  const [M, N] = rowsCols(x);
  if (s.size !== M) throw new Error(`rowScale: ${s.size} factors for ${M} rows`);
  const y = k.alloc(x.shape);
  k.elementwise(rowScaleKernel, [y.size, N], [gpuTensor(x), gpuTensor(s), y]);
  return y;
}

export function gelu(k: WebGpuRuntime, x: Tensor): Tensor {
  const y = k.alloc(x.shape);
  k.elementwise(geluKernel, [y.size], [gpuTensor(x), y]);
  return y;
}

export function geluBackward(k: WebGpuRuntime, dy: Tensor, x: Tensor): Tensor {
  const dx = k.alloc(x.shape);
  k.elementwise(geluBackwardKernel, [dx.size], [gpuTensor(dy), gpuTensor(x), dx]);
  return dx;
}

export function dropout(k: WebGpuRuntime, x: Tensor, p: number, seed: number): Tensor {
  return dropoutBackward(k, x, p, seed);
}

export function dropoutBackward(k: WebGpuRuntime, dy: Tensor, p: number, seed: number): Tensor {
  const src = gpuTensor(dy);
  const y = k.alloc(dy.shape);
  if (p <= 0) {
    k.rec.copy(src, y);
    return y;
  }
  const threshold = dropoutThreshold(p);
  const keepNone = threshold >= 2 ** 32 ? 1 : 0;
  k.elementwise(dropoutKernel, [y.size, seed >>> 0, keepNone ? 0 : threshold, keepNone, 1 / (1 - p)], [src, y]);
  return y;
}
