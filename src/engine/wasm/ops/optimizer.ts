/** The global gradient norm (per-thread float64 partials) and AdamW. */
import type { AdamWOptions, Tensor } from '../../backend.ts';
import type { WasmRuntime } from '../runtime.ts';

export function sumSquares(k: WasmRuntime, x: Tensor): Tensor {
  const v = k.tensor(x, 'f32');
  const threads = k.threadsFor(v.size);
  const partials = k.scratch(threads * 8);
  k.run('sumSquares', [v.ptr, v.size, partials], threads);
  const parts = new Float64Array(k.memory.buffer, partials, threads);
  let total = 0;
  for (const p of parts) total += p;
  return k.fromFloat32(Float32Array.of(total), [1]);
}

export function adamw(k: WasmRuntime, params: Tensor, grads: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
  const p = k.tensor(params, 'f32'), g = k.tensor(grads, 'f32'), mm = k.tensor(m, 'f32'), vv = k.tensor(v, 'f32');
  if (g.size !== p.size || mm.size !== p.size || vv.size !== p.size) throw new Error('adamw: parameters, gradients and moments differ in size');
  if (o.maxGradNorm > 0 && !o.gradNormSquared) throw new Error('adamw: clipping needs gradNormSquared');
  const gn2 = o.gradNormSquared ? k.f32(o.gradNormSquared)[0] : 0;
  // Non-finite guard: a NaN or ±Inf gradient norm skips the whole update (weights and moments).
  if (!Number.isFinite(gn2)) return;
  const clip = o.maxGradNorm > 0 ? Math.min(1, o.maxGradNorm / (Math.sqrt(gn2) + 1e-6)) : 1;
  const stepSize = o.lr / (1 - o.beta1 ** o.step);
  const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
  k.par('adamw', [p.ptr, g.ptr, mm.ptr, vv.ptr, p.size, o.decayEnd, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, clip, stepSize, bc2Sqrt], p.size * 4);
}
