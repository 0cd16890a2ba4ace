/** AdamW over flat buffers, with global-norm clipping read from the GPU (no readback). */
import { type KernelSpec, main1d } from '../kernel.ts';

/**
 * Scalars derived in float64 on the host exactly as the CPU derives them (decay factor,
 * lr / bias correction 1, √bias correction 2); the clip coefficient comes from gn2[0], the
 * squared gradient norm that `sumSquares` left on the GPU.
 *
 * With `guardOn`, a NaN or ±Inf gn2[0] skips the whole update (weights and both moments), so a
 * bad step changes nothing without a readback. The test looks at the bits (exponent all ones)
 * because WGSL lets compilers assume floats are finite and fold `x != x` away; the two float
 * comparisons are kept as well for compilers that honour them.
 */
export const adamwKernel: KernelSpec = {
  label: 'adamw',
  params: [
    ['n', 'u32'], ['decayEnd', 'u32'], ['clipOn', 'u32'], ['guardOn', 'u32'], ['maxGradNorm', 'f32'], ['decayFactor', 'f32'],
    ['beta1', 'f32'], ['beta2', 'f32'], ['stepSize', 'f32'], ['bc2Sqrt', 'f32'], ['eps', 'f32'],
  ],
  buffers: [['p', 'read_write', 'f32'], ['g', 'read', 'f32'], ['m', 'read_write', 'f32'], ['v', 'read_write', 'f32'], ['gn2', 'read', 'f32']],
  body: main1d(
    'P.n',
    `  let s = gn2[0];
  if (P.guardOn != 0u) {
    let nonFinite = (bitcast<u32>(s) & 0x7f800000u) == 0x7f800000u || s != s || abs(s) > 3.4028234e38;
    if (nonFinite) { return; }
  }
  var clip = 1.0;
  if (P.clipOn != 0u) { clip = min(1.0, P.maxGradNorm / (sqrt(s) + 1e-6)); }
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
