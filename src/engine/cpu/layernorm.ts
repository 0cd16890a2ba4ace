/** LayerNorm, forward and backward. */
import type { LayerNormResult, Tensor } from '../backend.ts';
import { f32, rowsCols, tensor } from './tensor.ts';

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
  const [M, H] = rowsCols(x);
  const v = f32(x), g = f32(gamma), b = f32(beta);
  const y = new Float32Array(M * H), mean = new Float32Array(M), rstd = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let h = 0; h < H; h++) s += v[m * H + h];
    const mu = s / H;
    let q = 0;
    for (let h = 0; h < H; h++) q += (v[m * H + h] - mu) ** 2;
    const r = 1 / Math.sqrt(q / H + eps);
    mean[m] = mu;
    rstd[m] = r;
    for (let h = 0; h < H; h++) y[m * H + h] = (v[m * H + h] - mu) * r * g[h] + b[h];
  }
  return { y: tensor([M, H], y), mean: tensor([M], mean), rstd: tensor([M], rstd) };
}

export function layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
  const [M, H] = rowsCols(x);
  const d = f32(dy), v = f32(x), g = f32(gamma), mu = f32(mean), rs = f32(rstd);
  const dg = f32(dGamma), db = f32(dBeta);
  const dx = new Float32Array(M * H);
  const dgAcc = new Float64Array(H), dbAcc = new Float64Array(H);
  for (let m = 0; m < M; m++) {
    let sumDn = 0, sumDnX = 0;
    for (let h = 0; h < H; h++) {
      const xhat = (v[m * H + h] - mu[m]) * rs[m];
      const dn = d[m * H + h] * g[h];
      sumDn += dn;
      sumDnX += dn * xhat;
      dgAcc[h] += d[m * H + h] * xhat;
      dbAcc[h] += d[m * H + h];
    }
    for (let h = 0; h < H; h++) {
      const xhat = (v[m * H + h] - mu[m]) * rs[m];
      const dn = d[m * H + h] * g[h];
      dx[m * H + h] = rs[m] * (dn - sumDn / H - (xhat * sumDnX) / H);
    }
  }
  for (let h = 0; h < H; h++) {
    dg[h] += dgAcc[h];
    db[h] += dbAcc[h];
  }
  return tensor(x.shape, dx);
}
