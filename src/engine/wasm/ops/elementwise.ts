/** Elementwise ops and activations (GELU, dropout) on the wasm kernels. */
import { type Tensor, assertShape } from '../../backend.ts';
import { type WasmRuntime, dropoutArgs, rowsCols } from '../runtime.ts';

export function fill(k: WasmRuntime, target: Tensor, value: number): void {
  const t = k.tensor(target, 'f32');
  k.x.fill(t.ptr, t.size, value);
}

export function add(k: WasmRuntime, a: Tensor, b: Tensor): Tensor {
  assertShape(b, a.shape, 'add');
  const x = k.tensor(a, 'f32'), y = k.tensor(b, 'f32');
  const out = k.alloc(a.shape, 'f32', false);
  k.par('add', [x.ptr, y.ptr, out.ptr, x.size], x.size);
  return out;
}

export function addInPlace(k: WasmRuntime, target: Tensor, source: Tensor, scale = 1): void {
  if (target.size !== source.size) throw new Error(`addInPlace: ${target.size} vs ${source.size} elements`);
  const t = k.tensor(target, 'f32'), s = k.tensor(source, 'f32');
  k.par('addScaled', [t.ptr, s.ptr, t.ptr, t.size, scale], t.size);
}

export function scale(k: WasmRuntime, x: Tensor, factor: number): Tensor {
  const v = k.tensor(x, 'f32');
  const out = k.alloc(x.shape, 'f32', false);
  k.par('scale', [v.ptr, out.ptr, v.size, factor], v.size);
  return out;
}

export function rowScale(k: WasmRuntime, x: Tensor, s: Tensor): Tensor {
  const [M, N] = rowsCols(x);
  const v = k.tensor(x, 'f32'), f = k.tensor(s, 'f32');
  if (f.size !== M) throw new Error(`rowScale: ${f.size} factors for ${M} rows`);
  const out = k.alloc(x.shape, 'f32', false);
  k.x.rowScale(v.ptr, f.ptr, out.ptr, M, N);
  return out;
}

export function gelu(k: WasmRuntime, x: Tensor): Tensor {
  const v = k.tensor(x, 'f32');
  const out = k.alloc(x.shape, 'f32', false);
  k.par('gelu', [v.ptr, out.ptr, v.size], v.size * 16);
  return out;
}

export function geluBackward(k: WasmRuntime, dy: Tensor, x: Tensor): Tensor {
  const d = k.tensor(dy, 'f32'), v = k.tensor(x, 'f32');
  if (d.size !== v.size) throw new Error(`geluBackward: ${d.size} gradients for ${v.size} inputs`);
  const out = k.alloc(x.shape, 'f32', false);
  k.par('geluBackward', [d.ptr, v.ptr, out.ptr, v.size], v.size * 16);
  return out;
}

export function dropout(k: WasmRuntime, x: Tensor, p: number, seed: number): Tensor {
  return dropoutBackward(k, x, p, seed);
}

export function dropoutBackward(k: WasmRuntime, dy: Tensor, p: number, seed: number): Tensor {
  const v = k.tensor(dy, 'f32');
  const out = k.alloc(dy.shape, 'f32', false);
  if (p <= 0) {
    k.x.copyBytes(out.ptr, v.ptr, v.size * 4);
    return out;
  }
  // p = 1 drops everything (no hash reaches 2^32), as the reference's `uniform ≥ 1` never holds.
  if (p >= 1) {
    k.x.zeroBytes(out.ptr, v.size * 4);
    return out;
  }
  const [threshold, keepScale, s] = dropoutArgs(p, seed);
  k.par('dropout', [v.ptr, out.ptr, v.size, threshold, keepScale, s], v.size * 4);
  return out;
}
