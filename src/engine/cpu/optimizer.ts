/** The global gradient norm and AdamW. */
import type { AdamWOptions, Tensor } from '../backend.ts';
import { f32, tensor } from './tensor.ts';

export function sumSquares(x: Tensor): Tensor {
  const v = f32(x);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return tensor([1], Float32Array.of(s));
}

export function adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
  const p = f32(params), g = f32(grads), mm = f32(m), vv = f32(v);
  if (o.maxGradNorm > 0 && !o.gradNormSquared) throw new Error('adamw: clipping needs gradNormSquared');
  const gn2 = o.gradNormSquared ? f32(o.gradNormSquared)[0] : 0;
  // Non-finite guard: a NaN or ±Inf gradient norm skips the whole update (weights and moments).
  if (!Number.isFinite(gn2)) return;
  let clip = 1;
  if (o.maxGradNorm > 0) clip = Math.min(1, o.maxGradNorm / (Math.sqrt(gn2) + 1e-6));
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  const stepSize = o.lr / bc1;
  const bc2Sqrt = Math.sqrt(bc2);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * clip;
    if (i < o.decayEnd) p[i] *= 1 - o.lr * o.weightDecay;
    mm[i] = o.beta1 * mm[i] + (1 - o.beta1) * gi;
    vv[i] = o.beta2 * vv[i] + (1 - o.beta2) * gi * gi;
    p[i] -= (stepSize * mm[i]) / (Math.sqrt(vv[i]) / bc2Sqrt + o.eps);
  }
}
