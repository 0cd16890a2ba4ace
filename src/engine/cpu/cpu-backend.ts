import {
  type AdamWOptions,
  type AdapterDescription,
  type AttentionResult,
  type AttentionShape,
  type Backend,
  type DType,
  type LayerNormResult,
  type LossResult,
  type MatmulOptions,
  type ScatterIndex,
  type Tensor,
  assertShape,
  dropoutUniform,
  sizeOf,
} from '../backend.ts';
import { erf } from '../math.ts';

/** The specification backend: clear loops, float64 accumulation wherever a sum can be long. */
export class CpuTensor implements Tensor {
  readonly backendName = 'cpu' as const;
  readonly size: number;
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly data: Float32Array | Int32Array,
  ) {
    this.size = sizeOf(shape);
    if (data.length !== this.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${this.size}`);
  }
}

class CpuScatterIndex implements ScatterIndex {
  readonly numTokens: number;
  readonly numDistinct: number;
  constructor(readonly ids: Int32Array, readonly numRows: number) {
    this.numTokens = ids.length;
    this.numDistinct = new Set(ids).size;
  }
}

function f32(t: Tensor): Float32Array {
  if (!(t instanceof CpuTensor)) throw new Error(`cpu backend got a tensor of the ${t.backendName} backend`);
  if (!(t.data instanceof Float32Array)) throw new Error('expected an f32 tensor');
  return t.data;
}

function i32(t: Tensor): Int32Array {
  if (!(t instanceof CpuTensor)) throw new Error(`cpu backend got a tensor of the ${t.backendName} backend`);
  if (!(t.data instanceof Int32Array)) throw new Error('expected an i32 tensor');
  return t.data;
}

function rowsCols(t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`expected a matrix, got shape [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1]];
}

function tensor(shape: readonly number[], data?: Float32Array): CpuTensor {
  return new CpuTensor(shape, 'f32', data ?? new Float32Array(sizeOf(shape)));
}

/** Contiguous [rows, cols] copy of x or of xᵀ. */
function materialize(x: Float32Array, rows: number, cols: number, transposed: boolean): Float32Array {
  if (!transposed) return x;
  // x is stored [cols, rows]
  const out = new Float32Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) out[r * cols + c] = x[c * rows + r];
  }
  return out;
}

/**
 * C = A·Btᵀ (+ bias) (+ C) for A [M, K] and Bt [N, K]. Each C element is a float64 sum over k in
 * order, rounded to float32 once — the plain triple loop's result bit for bit; 4×4 blocks of C
 * share each loaded value of A and Bt across 16 sums held in locals, which is what makes it fast.
 */
function dotProductGemm(A: Float32Array, Bt: Float32Array, C: Float32Array, M: number, N: number, K: number, bias: Float32Array | null, accumulate: boolean): void {
  const store = (m: number, n: number, sum: number) => {
    const v = sum + (bias ? bias[n] : 0);
    C[m * N + n] = accumulate ? C[m * N + n] + v : v;
  };
  const M4 = M - (M % 4), N4 = N - (N % 4);
  for (let m = 0; m < M4; m += 4) {
    const a0 = m * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let n = 0; n < N4; n += 4) {
      const b0 = n * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const y0 = Bt[b0 + k], y1 = Bt[b1 + k], y2 = Bt[b2 + k], y3 = Bt[b3 + k];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      store(m, n, s00); store(m, n + 1, s01); store(m, n + 2, s02); store(m, n + 3, s03);
      store(m + 1, n, s10); store(m + 1, n + 1, s11); store(m + 1, n + 2, s12); store(m + 1, n + 3, s13);
      store(m + 2, n, s20); store(m + 2, n + 1, s21); store(m + 2, n + 2, s22); store(m + 2, n + 3, s23);
      store(m + 3, n, s30); store(m + 3, n + 1, s31); store(m + 3, n + 2, s32); store(m + 3, n + 3, s33);
    }
  }
  // The ragged edges: rows below M4 for every column, columns beyond N4 for the blocked rows.
  const single = (m: number, n: number) => {
    let sum = 0;
    for (let k = 0, a = m * K, b = n * K; k < K; k++) sum += A[a + k] * Bt[b + k];
    store(m, n, sum);
  };
  for (let m = 0; m < M4; m++) for (let n = N4; n < N; n++) single(m, n);
  for (let m = M4; m < M; m++) for (let n = 0; n < N; n++) single(m, n);
}

/** The attention-probability dropout factor (0 or 1/(1-p)) of each element, by its index. */
function probsDropout(shape: AttentionShape): (index: number) => number {
  const p = shape.dropout?.p ?? 0;
  if (p <= 0) return () => 1;
  const seed = shape.dropout!.seed, keepScale = 1 / (1 - p);
  return (index) => (dropoutUniform(seed, index) >= p ? keepScale : 0);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly adapter: AdapterDescription = {
    backend: 'cpu',
    summary: 'TypeScript on the CPU (reference backend)',
    vendor: 'cpu',
    architecture: 'typescript',
    isFallbackAdapter: false,
    features: [],
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 31,
  };

  zeros(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const n = sizeOf(shape);
    return new CpuTensor(shape, dtype, dtype === 'f32' ? new Float32Array(n) : new Int32Array(n));
  }
  fromFloat32(data: Float32Array, shape: readonly number[]): Tensor {
    return new CpuTensor(shape, 'f32', Float32Array.from(data));
  }
  fromInt32(data: Int32Array, shape: readonly number[]): Tensor {
    return new CpuTensor(shape, 'i32', Int32Array.from(data));
  }
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const data = f32(base);
    const n = sizeOf(shape);
    if (offset < 0 || offset + n > data.length) throw new Error(`view [${offset}, ${offset + n}) outside a tensor of ${data.length}`);
    return new CpuTensor(shape, 'f32', data.subarray(offset, offset + n));
  }
  write(target: Tensor, data: Float32Array): void {
    const t = f32(target);
    if (data.length !== t.length) throw new Error(`write of ${data.length} values into a tensor of ${t.length}`);
    t.set(data);
  }
  read(source: Tensor): Promise<Float32Array> {
    if (source instanceof CpuTensor && source.data instanceof Int32Array) return Promise.resolve(Float32Array.from(source.data));
    return Promise.resolve(Float32Array.from(f32(source)));
  }
  endStep(): void {}
  sync(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): void {}
  async deviceLost(): Promise<string | null> {
    return null;
  }

  fill(target: Tensor, value: number): void {
    f32(target).fill(value);
  }
  add(a: Tensor, b: Tensor): Tensor {
    assertShape(b, a.shape, 'add');
    const x = f32(a), y = f32(b);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] + y[i];
    return tensor(a.shape, out);
  }
  addInPlace(target: Tensor, source: Tensor, scale = 1): void {
    if (target.size !== source.size) throw new Error(`addInPlace: ${target.size} vs ${source.size} elements`);
    const t = f32(target), s = f32(source);
    for (let i = 0; i < t.length; i++) t[i] += scale * s[i];
  }
  scale(x: Tensor, factor: number): Tensor {
    const v = f32(x);
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = v[i] * factor;
    return tensor(x.shape, out);
  }
  copy(source: Tensor, target: Tensor): void {
    if (target.size !== source.size) throw new Error(`copy: ${source.size} vs ${target.size} elements`);
    f32(target).set(f32(source));
  }

  rowScale(x: Tensor, s: Tensor): Tensor {
    const [M, N] = rowsCols(x);
    const v = f32(x), f = f32(s);
    if (f.length !== M) throw new Error(`rowScale: ${f.length} factors for ${M} rows`);
    const out = new Float32Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[m * N + n] = v[m * N + n] * f[m];
    return tensor(x.shape, out);
  }
  copyRows(source: Tensor, sourceRow: number, target: Tensor, targetRow: number, rows: number): void {
    const [sr, cols] = rowsCols(source);
    const [tr, tc] = rowsCols(target);
    if (tc !== cols) throw new Error(`copyRows: ${cols} vs ${tc} columns`);
    if (sourceRow + rows > sr || targetRow + rows > tr) throw new Error('copyRows: rows out of range');
    f32(target).set(f32(source).subarray(sourceRow * cols, (sourceRow + rows) * cols), targetRow * cols);
  }

  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const [ar, ac] = rowsCols(a);
    const [br, bc] = rowsCols(b);
    const M = options.transA ? ac : ar;
    const K = options.transA ? ar : ac;
    const Kb = options.transB ? bc : br;
    const N = options.transB ? br : bc;
    if (K !== Kb) throw new Error(`matmul: inner dimensions differ (${K} vs ${Kb})`);
    const A = materialize(f32(a), M, K, options.transA ?? false);
    // B as [N, K], so every C element is a dot product of two contiguous rows. Linear layers store
    // their weight [out, in] and multiply by its transpose: that B is already in this layout.
    const Bt = options.transB ? f32(b) : materialize(f32(b), N, K, true);
    const out = options.out ?? tensor([M, N]);
    assertShape(out, [M, N], 'matmul output');
    const bias = options.bias ? f32(options.bias) : null;
    if (bias && bias.length !== N) throw new Error(`matmul: bias has ${bias.length} values, expected ${N}`);
    dotProductGemm(A, Bt, f32(out), M, N, K, bias, options.accumulate ?? false);
    return out;
  }
  sumRows(x: Tensor, out: Tensor, accumulate: boolean): void {
    const [M, N] = rowsCols(x);
    const v = f32(x), o = f32(out);
    if (o.length !== N) throw new Error(`sumRows: output has ${o.length} values, expected ${N}`);
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += v[m * N + n];
      o[n] = accumulate ? o[n] + s : s;
    }
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    const [V, H] = rowsCols(table);
    const t = f32(table), idx = i32(ids);
    const out = new Float32Array(idx.length * H);
    for (let n = 0; n < idx.length; n++) {
      const id = idx[n];
      if (id < 0 || id >= V) throw new Error(`gather: id ${id} outside a table of ${V} rows`);
      out.set(t.subarray(id * H, id * H + H), n * H);
    }
    return tensor([idx.length, H], out);
  }
  scatterIndex(ids: Int32Array, numRows: number): ScatterIndex {
    for (const id of ids) if (id < 0 || id >= numRows) throw new Error(`scatterIndex: id ${id} outside ${numRows} rows`);
    return new CpuScatterIndex(Int32Array.from(ids), numRows);
  }
  scatterAdd(dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
    if (!(index instanceof CpuScatterIndex)) throw new Error('cpu backend got a foreign scatter index');
    const [, H] = rowsCols(dTable);
    const d = f32(dOut), t = f32(dTable);
    for (let n = 0; n < index.ids.length; n++) {
      const row = index.ids[n] * H;
      for (let h = 0; h < H; h++) t[row + h] += d[n * H + h];
    }
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
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
  layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
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
  gelu(x: Tensor): Tensor {
    const v = f32(x);
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = 0.5 * v[i] * (1 + erf(v[i] * SQRT1_2));
    return tensor(x.shape, out);
  }
  geluBackward(dy: Tensor, x: Tensor): Tensor {
    const d = f32(dy), v = f32(x);
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const z = v[i];
      const cdf = 0.5 * (1 + erf(z * SQRT1_2));
      out[i] = d[i] * (cdf + z * INV_SQRT_2PI * Math.exp(-0.5 * z * z));
    }
    return tensor(x.shape, out);
  }
  dropout(x: Tensor, p: number, seed: number): Tensor {
    return this.dropoutBackward(x, p, seed);
  }
  dropoutBackward(dy: Tensor, p: number, seed: number): Tensor {
    const v = f32(dy);
    if (p <= 0) return tensor(dy.shape, Float32Array.from(v));
    const keepScale = 1 / (1 - p);
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = dropoutUniform(seed, i) >= p ? v[i] * keepScale : 0;
    return tensor(dy.shape, out);
  }

  attention(qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
    const { batch: B, seqLength: T, heads: NH } = shape;
    const [rows, threeH] = rowsCols(qkv);
    if (rows !== B * T || threeH % (3 * NH) !== 0) throw new Error(`attention: qkv [${rows}, ${threeH}] does not fit B=${B} T=${T} heads=${NH}`);
    const H = threeH / 3, D = H / NH;
    const q = f32(qkv), mask = f32(keyMask);
    const scale = 1 / Math.sqrt(D);
    const keep = probsDropout(shape);
    const out = new Float32Array(B * T * H);
    const probs = new Float32Array(B * NH * T * T);
    const scores = new Float64Array(T);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        for (let i = 0; i < T; i++) {
          const qOff = (b * T + i) * threeH + h * D;
          let max = -Infinity;
          for (let j = 0; j < T; j++) {
            if (mask[b * T + j] === 0) {
              scores[j] = -Infinity;
              continue;
            }
            const kOff = (b * T + j) * threeH + H + h * D;
            let s = 0;
            for (let d = 0; d < D; d++) s += q[qOff + d] * q[kOff + d];
            scores[j] = s * scale;
            if (scores[j] > max) max = scores[j];
          }
          let z = 0;
          for (let j = 0; j < T; j++) {
            const e = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max);
            scores[j] = e;
            z += e;
          }
          const pOff = ((b * NH + h) * T + i) * T;
          const oOff = (b * T + i) * H + h * D;
          for (let j = 0; j < T; j++) {
            const pj = z > 0 ? scores[j] / z : 0;
            probs[pOff + j] = pj;
            const used = pj * keep(pOff + j);
            if (used === 0) continue;
            const vOff = (b * T + j) * threeH + 2 * H + h * D;
            for (let d = 0; d < D; d++) out[oOff + d] += used * q[vOff + d];
          }
        }
      }
    }
    return { out: tensor([B * T, H], out), probs: tensor([B, NH, T, T], probs) };
  }
  attentionBackward(dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
    const { batch: B, seqLength: T, heads: NH } = shape;
    const [, threeH] = rowsCols(qkv);
    const H = threeH / 3, D = H / NH;
    const q = f32(qkv), P = f32(probs), dO = f32(dOut);
    const scale = 1 / Math.sqrt(D);
    const keep = probsDropout(shape);
    const dq = new Float32Array(B * T * threeH);
    const dP = new Float64Array(T);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        for (let i = 0; i < T; i++) {
          const pOff = ((b * NH + h) * T + i) * T;
          const oOff = (b * T + i) * H + h * D;
          let dot = 0;
          for (let j = 0; j < T; j++) {
            const vOff = (b * T + j) * threeH + 2 * H + h * D;
            let s = 0;
            for (let d = 0; d < D; d++) s += dO[oOff + d] * q[vOff + d];
            // Through the dropout: the softmax output's gradient is the dropped one's times the mask.
            const k = keep(pOff + j);
            dP[j] = s * k;
            dot += dP[j] * P[pOff + j];
            // dV[j] += P̃[i,j] dO[i]
            const used = P[pOff + j] * k;
            if (used !== 0) for (let d = 0; d < D; d++) dq[vOff + d] += used * dO[oOff + d];
          }
          const qOff = (b * T + i) * threeH + h * D;
          for (let j = 0; j < T; j++) {
            const pij = P[pOff + j];
            if (pij === 0) continue;
            const dS = pij * (dP[j] - dot) * scale;
            const kOff = (b * T + j) * threeH + H + h * D;
            for (let d = 0; d < D; d++) {
              dq[qOff + d] += dS * q[kOff + d];
              dq[kOff + d] += dS * q[qOff + d];
            }
          }
        }
      }
    }
    return tensor(qkv.shape, dq);
  }

  weightedPool(x: Tensor, weights: Tensor, batch: number): Tensor {
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
  weightedPoolBackward(dy: Tensor, weights: Tensor, seqLength: number): Tensor {
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
  maxPool(x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
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
  maxPoolBackward(dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
    const [B, H] = rowsCols(dy);
    const d = f32(dy), arg = i32(argmax);
    const out = new Float32Array(B * seqLength * H);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) out[(b * seqLength + arg[b * H + h]) * H + h] += d[b * H + h];
    }
    return tensor([B * seqLength, H], out);
  }
  l2Normalize(x: Tensor): { y: Tensor; norm: Tensor } {
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
  l2NormalizeBackward(dy: Tensor, y: Tensor, norm: Tensor): Tensor {
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
  sliceColumns(x: Tensor, width: number): Tensor {
    const [M, H] = rowsCols(x);
    if (width > H) throw new Error(`sliceColumns: width ${width} > ${H} columns`);
    const v = f32(x);
    const out = new Float32Array(M * width);
    for (let m = 0; m < M; m++) out.set(v.subarray(m * H, m * H + width), m * width);
    return tensor([M, width], out);
  }
  sliceColumnsBackward(dy: Tensor, cols: number): Tensor {
    const [M, W] = rowsCols(dy);
    const d = f32(dy);
    const out = new Float32Array(M * cols);
    for (let m = 0; m < M; m++) out.set(d.subarray(m * W, m * W + W), m * cols);
    return tensor([M, cols], out);
  }
  rowDot(a: Tensor, b: Tensor): Tensor {
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

  softmaxCrossEntropy(logits: Tensor, labels: Tensor, weight: number): LossResult {
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
  meanSquaredError(pred: Tensor, target: Tensor, weight: number): LossResult {
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
  cosentLoss(scores: Tensor, labels: Tensor, weight: number): LossResult {
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
  tripletLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
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

  sumSquares(x: Tensor): Tensor {
    const v = f32(x);
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    return tensor([1], Float32Array.of(s));
  }
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
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
}
