/** Elementwise ops and activations (GELU, dropout) of the reference. */
import { type Tensor, assertShape, dropoutUniform } from '../backend.ts';
import { erf } from '../math.ts';
import { f32, rowsCols, tensor } from './tensor.ts';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function fill(target: Tensor, value: number): void {
  f32(target).fill(value);
}

export function add(a: Tensor, b: Tensor): Tensor {
  assertShape(b, a.shape, 'add');
  const x = f32(a), y = f32(b);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] + y[i];
  return tensor(a.shape, out);
}

export function addInPlace(target: Tensor, source: Tensor, scale = 1): void {
  if (target.size !== source.size) throw new Error(`addInPlace: ${target.size} vs ${source.size} elements`);
  const t = f32(target), s = f32(source);
  for (let i = 0; i < t.length; i++) t[i] += scale * s[i];
}

export function scale(x: Tensor, factor: number): Tensor {
  const v = f32(x);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * factor;
  return tensor(x.shape, out);
}

export function rowScale(x: Tensor, s: Tensor): Tensor {
  const [M, N] = rowsCols(x);
  const v = f32(x), f = f32(s);
  if (f.length !== M) throw new Error(`rowScale: ${f.length} factors for ${M} rows`);
  const out = new Float32Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[m * N + n] = v[m * N + n] * f[m];
  return tensor(x.shape, out);
}

export function gelu(x: Tensor): Tensor {
  const v = f32(x);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = 0.5 * v[i] * (1 + erf(v[i] * SQRT1_2));
  return tensor(x.shape, out);
}

export function geluBackward(dy: Tensor, x: Tensor): Tensor {
  const d = f32(dy), v = f32(x);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const z = v[i];
    const cdf = 0.5 * (1 + erf(z * SQRT1_2));
    out[i] = d[i] * (cdf + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z));
  }
  return tensor(x.shape, out);
}

export function dropout(x: Tensor, p: number, seed: number): Tensor {
  return dropoutBackward(x, p, seed);
}

export function dropoutBackward(dy: Tensor, p: number, seed: number): Tensor {
  const v = f32(dy);
  if (p <= 0) return tensor(dy.shape, Float32Array.from(v));
  const keepScale = 1 / (1 - p);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = dropoutUniform(seed, i) >= p ? v[i] * keepScale : 0;
  return tensor(dy.shape, out);
}
