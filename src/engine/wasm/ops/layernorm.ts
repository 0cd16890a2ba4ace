/** LayerNorm, forward and backward (per-thread partial parameter gradients, added in thread order). */
import type { LayerNormResult, Tensor } from '../../backend.ts';
import { type WasmRuntime, rowsCols } from '../runtime.ts';

export function layerNorm(k: WasmRuntime, x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
  const [M, H] = rowsCols(x);
  const v = k.tensor(x, 'f32'), g = k.tensor(gamma, 'f32'), b = k.tensor(beta, 'f32');
  const y = k.alloc([M, H], 'f32', false), mean = k.alloc([M], 'f32', false), rstd = k.alloc([M], 'f32', false);
  k.run('layerNorm', [v.ptr, g.ptr, b.ptr, y.ptr, mean.ptr, rstd.ptr, M, H, eps], k.threadsFor(M * H * 8));
  return { y, mean, rstd };
}

export function layerNormBackward(k: WasmRuntime, dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
  const [M, H] = rowsCols(x);
  const d = k.tensor(dy, 'f32'), v = k.tensor(x, 'f32'), g = k.tensor(gamma, 'f32');
  const mu = k.tensor(mean, 'f32'), rs = k.tensor(rstd, 'f32');
  const dg = k.tensor(dGamma, 'f32'), db = k.tensor(dBeta, 'f32');
  const dx = k.alloc(x.shape, 'f32', false);
  const threads = k.threadsFor(M * H * 8);
  const partial = k.scratch(threads * 2 * H * 4);
  k.run('layerNormBackward', [d.ptr, v.ptr, g.ptr, mu.ptr, rs.ptr, dx.ptr, partial, M, H], threads);
  // Each thread's partial sums, added in thread order: the same result whatever the timing.
  for (let t = 0; t < threads; t++) {
    const p = partial + t * 2 * H * 4;
    k.x.addScaled(dg.ptr, p, dg.ptr, H, 1, 0, 1);
    k.x.addScaled(db.ptr, p + H * 4, db.ptr, H, 1, 0, 1);
  }
  return dx;
}
