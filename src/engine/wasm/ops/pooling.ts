/** Pooling and the embedding heads (L2 normalisation, Matryoshka column slices, row dots). */
import { type Tensor, assertShape } from '../../backend.ts';
import { type WasmRuntime, rowsCols } from '../runtime.ts';

export function weightedPool(k: WasmRuntime, x: Tensor, weights: Tensor, batch: number): Tensor {
  const [rows, H] = rowsCols(x);
  const v = k.tensor(x, 'f32'), w = k.tensor(weights, 'f32');
  if (w.size !== rows) throw new Error(`weightedPool: ${w.size} weights for ${rows} tokens`);
  const out = k.alloc([batch, H], 'f32', false);
  k.x.weightedPool(v.ptr, w.ptr, out.ptr, batch, rows / batch, H);
  return out;
}

export function weightedPoolBackward(k: WasmRuntime, dy: Tensor, weights: Tensor, seqLength: number): Tensor {
  const [B, H] = rowsCols(dy);
  const d = k.tensor(dy, 'f32'), w = k.tensor(weights, 'f32');
  const out = k.alloc([B * seqLength, H], 'f32', false);
  k.x.weightedPoolBackward(d.ptr, w.ptr, out.ptr, B, seqLength, H);
  return out;
}

export function maxPool(k: WasmRuntime, x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
  const [rows, H] = rowsCols(x);
  const v = k.tensor(x, 'f32'), m = k.tensor(mask, 'f32');
  const y = k.alloc([batch, H], 'f32', false), argmax = k.alloc([batch, H], 'i32', false);
  k.x.maxPool(v.ptr, m.ptr, y.ptr, argmax.ptr, batch, rows / batch, H);
  return { y, argmax };
}

export function maxPoolBackward(k: WasmRuntime, dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
  const [B, H] = rowsCols(dy);
  const d = k.tensor(dy, 'f32'), arg = k.tensor(argmax, 'i32');
  const out = k.alloc([B * seqLength, H], 'f32', false);
  k.x.maxPoolBackward(d.ptr, arg.ptr, out.ptr, B, seqLength, H);
  return out;
}

export function l2Normalize(k: WasmRuntime, x: Tensor): { y: Tensor; norm: Tensor } {
  const [M, H] = rowsCols(x);
  const v = k.tensor(x, 'f32');
  const y = k.alloc([M, H], 'f32', false), norm = k.alloc([M], 'f32', false);
  k.x.l2Normalize(v.ptr, y.ptr, norm.ptr, M, H);
  return { y, norm };
}

export function l2NormalizeBackward(k: WasmRuntime, dy: Tensor, y: Tensor, norm: Tensor): Tensor {
  const [M, H] = rowsCols(y);
  const d = k.tensor(dy, 'f32'), yv = k.tensor(y, 'f32'), n = k.tensor(norm, 'f32');
  const dx = k.alloc(y.shape, 'f32', false);
  k.x.l2NormalizeBackward(d.ptr, yv.ptr, n.ptr, dx.ptr, M, H);
  return dx;
}

export function sliceColumns(k: WasmRuntime, x: Tensor, width: number): Tensor {
  const [M, H] = rowsCols(x);
  if (width > H) throw new Error(`sliceColumns: width ${width} > ${H} columns`);
  const v = k.tensor(x, 'f32');
  const out = k.alloc([M, width], 'f32', false);
  k.x.copyColumns(v.ptr, H, out.ptr, width, M, width);
  return out;
}

export function sliceColumnsBackward(k: WasmRuntime, dy: Tensor, cols: number): Tensor {
  const [M, W] = rowsCols(dy);
  if (W > cols) throw new Error(`sliceColumnsBackward: width ${W} > ${cols} columns`);
  const d = k.tensor(dy, 'f32');
  const out = k.zeros([M, cols]);
  k.x.copyColumns(d.ptr, W, out.ptr, cols, M, W);
  return out;
}

export function rowDot(k: WasmRuntime, a: Tensor, b: Tensor): Tensor {
  const [M, H] = rowsCols(a);
  assertShape(b, [M, H], 'rowDot');
  const x = k.tensor(a, 'f32'), y = k.tensor(b, 'f32');
  const out = k.alloc([M], 'f32', false);
  k.x.rowDot(x.ptr, y.ptr, out.ptr, M, H);
  return out;
}
