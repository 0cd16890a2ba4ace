/**
 * LayerNorm: one workgroup per row with two-barrier reductions (two passes, mean then variance,
 * as the CPU does). The backward pass splits dx (per row) from dGamma/dBeta (per column, looping over
 * rows) so no two threads ever add into the same gradient element.
 */
import { type KernelSpec, flatReduce, main1d } from '../kernel.ts';

export const LN_WG = 64;

const ROW_MAIN = `@compute @workgroup_size(${LN_WG})
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) g: vec3<u32>) {
  let row = w.x + w.y * g.x;
  if (row >= P.M) { return; }
  let lid = l.x;
  let base = row * P.H;
  let Hf = f32(P.H);`;

export const layerNormKernel: KernelSpec = {
  label: 'layerNorm',
  params: [['M', 'u32'], ['H', 'u32'], ['eps', 'f32']],
  buffers: [
    ['x', 'read', 'f32'], ['gamma', 'read', 'f32'], ['beta', 'read', 'f32'],
    ['y', 'read_write', 'f32'], ['mean', 'read_write', 'f32'], ['rstd', 'read_write', 'f32'],
  ],
  body: `${flatReduce(LN_WG, 'rowSum')}
${ROW_MAIN}
  var s = 0.0;
  for (var h = lid; h < P.H; h = h + ${LN_WG}u) { s = s + x[base + h]; }
  let mu = rowSum(lid, s) / Hf;
  var q = 0.0;
  for (var h = lid; h < P.H; h = h + ${LN_WG}u) { let d = x[base + h] - mu; q = q + d * d; }
  let r = 1.0 / sqrt(rowSum(lid, q) / Hf + P.eps);
  if (lid == 0u) { mean[row] = mu; rstd[row] = r; }
  for (var h = lid; h < P.H; h = h + ${LN_WG}u) { y[base + h] = (x[base + h] - mu) * r * gamma[h] + beta[h]; }
}`,
};

export const layerNormBackwardKernel: KernelSpec = {
  label: 'layerNormBackward dx',
  params: [['M', 'u32'], ['H', 'u32']],
  buffers: [
    ['dy', 'read', 'f32'], ['x', 'read', 'f32'], ['gamma', 'read', 'f32'],
    ['mean', 'read', 'f32'], ['rstd', 'read', 'f32'], ['dx', 'read_write', 'f32'],
  ],
  body: `${flatReduce(LN_WG, 'rowSum')}
${ROW_MAIN}
  let mu = mean[row];
  let r = rstd[row];
  var sDn = 0.0;
  var sDnX = 0.0;
  for (var h = lid; h < P.H; h = h + ${LN_WG}u) {
    let dn = dy[base + h] * gamma[h];
    sDn = sDn + dn;
    sDnX = sDnX + dn * (x[base + h] - mu) * r;
  }
  let sumDn = rowSum(lid, sDn);
  let sumDnX = rowSum(lid, sDnX);
  for (var h = lid; h < P.H; h = h + ${LN_WG}u) {
    let xhat = (x[base + h] - mu) * r;
    let dn = dy[base + h] * gamma[h];
    dx[base + h] = r * (dn - sumDn / Hf - (xhat * sumDnX) / Hf);
  }
}`,
};

/** dGamma[h] += Σ_m dy·x̂, dBeta[h] += Σ_m dy; one thread per column. */
export const layerNormParamGradKernel: KernelSpec = {
  label: 'layerNormBackward dGamma dBeta',
  params: [['M', 'u32'], ['H', 'u32']],
  buffers: [
    ['dy', 'read', 'f32'], ['x', 'read', 'f32'], ['mean', 'read', 'f32'], ['rstd', 'read', 'f32'],
    ['dGamma', 'read_write', 'f32'], ['dBeta', 'read_write', 'f32'],
  ],
  body: main1d(
    'P.H',
    `  var sg = 0.0;
  var sb = 0.0;
  for (var m = 0u; m < P.M; m = m + 1u) {
    let d = dy[m * P.H + i];
    sg = sg + d * (x[m * P.H + i] - mean[m]) * rstd[m];
    sb = sb + d;
  }
  dGamma[i] = dGamma[i] + sg;
  dBeta[i] = dBeta[i] + sb;`,
  ),
};
