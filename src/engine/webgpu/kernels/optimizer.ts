/** AdamW over flat buffers, with global-norm clipping read from the GPU (no readback). */
import { type KernelSpec, main1d } from '../kernel.ts';

/**
 * Scalars derived in float64 on the host exactly as the CPU derives them (decay factor,
 * lr / bias correction 1, √bias correction 2); the clip coefficient comes from gn2[0], the
 * squared gradient norm that `sumSquares` left on the GPU.
 */
export const adamwKernel: KernelSpec = {
  label: 'adamw',
  params: [
    ['n', 'u32'], ['decayEnd', 'u32'], ['clipOn', 'u32'], ['maxGradNorm', 'f32'], ['decayFactor', 'f32'],
    ['beta1', 'f32'], ['beta2', 'f32'], ['stepSize', 'f32'], ['bc2Sqrt', 'f32'], ['eps', 'f32'],
  ],
  buffers: [['p', 'read_write', 'f32'], ['g', 'read', 'f32'], ['m', 'read_write', 'f32'], ['v', 'read_write', 'f32'], ['gn2', 'read', 'f32']],
  body: main1d(
    'P.n',
    `  var clip = 1.0;
  if (P.clipOn != 0u) { clip = min(1.0, P.maxGradNorm / (sqrt(gn2[0]) + 1e-6)); }
  let gi = g[i] * clip;
  var pi = p[i];
  if (i < P.decayEnd) { pi = pi * P.decayFactor; }
  let mi = P.beta1 * m[i] + (1.0 - P.beta1) * gi;
  let vi = P.beta2 * v[i] + (1.0 - P.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = pi - (P.stepSize * mi) / (sqrt(vi) / P.bc2Sqrt + P.eps);`,
  ),
};
