/** Pooling and the embedding heads (L2 normalisation, Matryoshka column slices, row dots). */
import { type Tensor, assertShape } from '../backend.ts';
import { CpuTensor, f32, i32, rowsCols, tensor } from './tensor.ts';

export function weightedPool(x: Tensor, weights: Tensor, batch: number): Tensor {
  const [rows, H] = rowsCols(x);
  const T = rows / batch;
  const v = f32(x), w = f32(weights);
  if (w.length !== rows) throw new Error(`weightedPool: ${w.length} weights for ${rows} tokens`);
  const out = new Float32Array(batch * H);
  const acc = new Float64Array(H);
  for (let b = 0; b < batch; b++) {
    acc.fill(0);
    for (let t = 0; t < T; t++) {
      const wt = w[b * T + t];
      if (wt === 0) continue;
      for (let h = 0; h < H; h++) acc[h] += wt * v[(b * T + t) * H + h];
    }
    for (let h = 0; h < H; h++) out[b * H + h] = acc[h];
  }
  return tensor([batch, H], out);
}

export function weightedPoolBackward(dy: Tensor, weights: Tensor, seqLength: number): Tensor {
  const [B, H] = rowsCols(dy);
  const d = f32(dy), w = f32(weights);
  const out = new Float32Array(B * seqLength * H);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < seqLength; t++) {
      const wt = w[b * seqLength + t];
      for (let h = 0; h < H; h++) out[(b * seqLength + t) * H + h] = wt * d[b * H + h];
    }
  }
  return tensor([B * seqLength, H], out);
}

export function maxPool(x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
  const [rows, H] = rowsCols(x);
  const T = rows / batch;
  const v = f32(x), m = f32(mask);
  const out = new Float32Array(batch * H);
  const arg = new Int32Array(batch * H);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < H; h++) {
      let best = -Infinity, bestT = 0;
      for (let t = 0; t < T; t++) {
        const val = m[b * T + t] !== 0 ? v[(b * T + t) * H + h] : -1e9;
        if (val > best) {
          best = val;
          bestT = t;
        }
      }
      out[b * H + h] = best;
      arg[b * H + h] = bestT;
    }
  }
  return { y: tensor([batch, H], out), argmax: new CpuTensor([batch, H], 'i32', arg) };
}

export function maxPoolBackward(dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
  const [B, H] = rowsCols(dy);
  const d = f32(dy), arg = i32(argmax);
  const out = new Float32Array(B * seqLength * H);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) out[(b * seqLength + arg[b * H + h]) * H + h] += d[b * H + h];
  }
  return tensor([B * seqLength, H], out);
}

export function l2Normalize(x: Tensor): { y: Tensor; norm: Tensor } {
  const [M, H] = rowsCols(x);
  const v = f32(x);
  const y = new Float32Array(M * H), norm = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let h = 0; h < H; h++) s += v[m * H + h] ** 2;
    const n = Math.sqrt(s);
    norm[m] = n;
    const inv = 1 / Math.max(n, 1e-12);
    for (let h = 0; h < H; h++) y[m * H + h] = v[m * H + h] * inv;
  }
  return { y: tensor([M, H], y), norm: tensor([M], norm) };
}

export function l2NormalizeBackward(dy: Tensor, y: Tensor, norm: Tensor): Tensor {
  const [M, H] = rowsCols(y);
  const d = f32(dy), yv = f32(y), n = f32(norm);
  const dx = new Float32Array(M * H);
  for (let m = 0; m < M; m++) {
    const inv = 1 / Math.max(n[m], 1e-12);
    // Below the clamp the op is a plain scaling, so no projection term.
    let dot = 0;
    if (n[m] > 1e-12) for (let h = 0; h < H; h++) dot += d[m * H + h] * yv[m * H + h];
    for (let h = 0; h < H; h++) dx[m * H + h] = inv * (d[m * H + h] - yv[m * H + h] * dot);
  }
  return tensor(y.shape, dx);
}

export function sliceColumns(x: Tensor, width: number): Tensor {
  const [M, H] = rowsCols(x);
  if (width > H) throw new Error(`sliceColumns: width ${width} > ${H} columns`);
  const v = f32(x);
  const out = new Float32Array(M * width);
  for (let m = 0; m < M; m++) out.set(v.subarray(m * H, m * H + width), m * width);
  return tensor([M, width], out);
}

export function sliceColumnsBackward(dy: Tensor, cols: number): Tensor {
  const [M, W] = rowsCols(dy);
  const d = f32(dy);
  const out = new Float32Array(M * cols);
  for (let m = 0; m < M; m++) out.set(d.subarray(m * W, m * W + W), m * cols);
  return tensor([M, cols], out);
}

export function rowDot(a: Tensor, b: Tensor): Tensor {
  const [M, H] = rowsCols(a);
  assertShape(b, [M, H], 'rowDot');
  const x = f32(a), y = f32(b);
  const out = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let h = 0; h < H; h++) s += x[m * H + h] * y[m * H + h];
    out[m] = s;
  }
  return tensor([M], out);
}
