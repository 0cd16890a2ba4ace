/** The losses: each returns the mean loss and the gradients of weight·loss. */
import type { LossResult, Tensor } from '../backend.ts';
import { f32, i32, rowsCols, tensor } from './tensor.ts';

export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, weight: number): LossResult {
  const [B, C] = rowsCols(logits);
  const z = f32(logits), y = i32(labels);
  const d = new Float32Array(B * C);
  let total = 0;
  for (let b = 0; b < B; b++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, z[b * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[b * C + c] - max);
    const lse = max + Math.log(s);
    const label = y[b];
    if (label < 0 || label >= C) throw new Error(`softmaxCrossEntropy: label ${label} outside ${C} classes`);
    total += lse - z[b * C + label];
    for (let c = 0; c < C; c++) {
      const p = Math.exp(z[b * C + c] - lse);
      d[b * C + c] = (weight * (p - (c === label ? 1 : 0))) / B;
    }
  }
  return { loss: tensor([1], Float32Array.of(total / B)), grads: [tensor([B, C], d)] };
}

export function meanSquaredError(pred: Tensor, target: Tensor, weight: number): LossResult {
  const p = f32(pred), t = f32(target);
  if (p.length !== t.length) throw new Error(`meanSquaredError: ${p.length} predictions, ${t.length} targets`);
  const n = p.length;
  const d = new Float32Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = p[i] - t[i];
    s += e * e;
    d[i] = (weight * 2 * e) / n;
  }
  return { loss: tensor([1], Float32Array.of(s / n)), grads: [tensor(pred.shape, d)] };
}

export function cosentLoss(scores: Tensor, labels: Tensor, weight: number): LossResult {
  const s = f32(scores), y = f32(labels);
  const n = s.length;
  // logsumexp over {0} ∪ {s_i - s_j : y_i < y_j}
  let max = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (y[i] < y[j]) max = Math.max(max, s[i] - s[j]);
  let z = Math.exp(-max);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (y[i] < y[j]) z += Math.exp(s[i] - s[j] - max);
  const loss = max + Math.log(z);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!(y[i] < y[j])) continue;
      const p = Math.exp(s[i] - s[j] - loss);
      d[i] += p;
      d[j] -= p;
    }
  }
  const grad = new Float32Array(n);
  for (let i = 0; i < n; i++) grad[i] = weight * d[i];
  return { loss: tensor([1], Float32Array.of(loss)), grads: [tensor(scores.shape, grad)] };
}

export function tripletLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
  const [B, H] = rowsCols(anchor);
  const a = f32(anchor), p = f32(positive), n = f32(negative);
  const da = new Float32Array(B * H), dp = new Float32Array(B * H), dn = new Float32Array(B * H);
  // torch.pairwise_distance adds eps = 1e-6 to the difference before the norm.
  const eps = 1e-6;
  let total = 0;
  for (let b = 0; b < B; b++) {
    let sp = 0, sn = 0;
    for (let h = 0; h < H; h++) {
      sp += (a[b * H + h] - p[b * H + h] + eps) ** 2;
      sn += (a[b * H + h] - n[b * H + h] + eps) ** 2;
    }
    const distP = Math.sqrt(sp), distN = Math.sqrt(sn);
    const l = distP - distN + margin;
    if (l <= 0) continue;
    total += l;
    for (let h = 0; h < H; h++) {
      const gp = distP > 0 ? (a[b * H + h] - p[b * H + h] + eps) / distP : 0;
      const gn = distN > 0 ? (a[b * H + h] - n[b * H + h] + eps) / distN : 0;
      const c = weight / B;
      da[b * H + h] = c * (gp - gn);
      dp[b * H + h] = -c * gp;
      dn[b * H + h] = c * gn;
    }
  }
  return {
    loss: tensor([1], Float32Array.of(total / B)),
    grads: [tensor([B, H], da), tensor([B, H], dp), tensor([B, H], dn)],
  };
}
