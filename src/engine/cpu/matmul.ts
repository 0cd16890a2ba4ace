/** The dense layer's ops: the matrix product and the bias gradient. */
import { type MatmulOptions, type Tensor, assertShape } from '../backend.ts';
import { f32, rowsCols, tensor } from './tensor.ts';

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

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
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

export function sumRows(x: Tensor, out: Tensor, accumulate: boolean): void {
  const [M, N] = rowsCols(x);
  const v = f32(x), o = f32(out);
  if (o.length !== N) throw new Error(`sumRows: output has ${o.length} values, expected ${N}`);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let m = 0; m < M; m++) s += v[m * N + n];
    o[n] = accumulate ? o[n] + s : s;
  }
}
