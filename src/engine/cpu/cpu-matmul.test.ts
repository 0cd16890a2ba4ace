import { describe, expect, it } from 'vitest';
import { CpuBackend } from './cpu-backend.ts';
import { SeededRandom } from '../rng.ts';

/** The reference's definition: C[m, n] = Σ_k A[m, k]·B[k, n] in float64, k in order, rounded once. */
function tripleLoop(A: Float32Array, B: Float32Array, M: number, K: number, N: number, bias: Float32Array | null, start: Float32Array | null): Float32Array {
  const C = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += A[m * K + k] * B[k * N + n];
      const v = sum + (bias ? bias[n] : 0);
      C[m * N + n] = start ? start[m * N + n] + v : v;
    }
  }
  return C;
}

function transposed(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  return t;
}

describe('cpu backend matmul: the register-blocked loop is the triple loop bit for bit', () => {
  const backend = new CpuBackend();
  const rng = new SeededRandom(11);
  const random = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  // Ragged shapes (not multiples of 4) exercise every edge path; 1 is the degenerate case.
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [4, 4, 4], [9, 13, 6], [17, 33, 10], [8, 64, 12]];
  for (const [M, K, N] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${M}×${K}·${K}×${N}, transA ${transA}, transB ${transB}, with bias and accumulation`, async () => {
          const A = random(M * K), B = random(K * N), bias = random(N), start = random(M * N);
          const a = backend.fromFloat32(transA ? transposed(A, M, K) : A, transA ? [K, M] : [M, K]);
          const b = backend.fromFloat32(transB ? transposed(B, K, N) : B, transB ? [N, K] : [K, N]);
          const plain = await backend.read(backend.matmul(a, b, { transA, transB }));
          expect(Array.from(plain)).toEqual(Array.from(tripleLoop(A, B, M, K, N, null, null)));
          const out = backend.fromFloat32(start.slice(), [M, N]);
          backend.matmul(a, b, { transA, transB, bias: backend.fromFloat32(bias, [N]), out, accumulate: true });
          expect(Array.from(await backend.read(out))).toEqual(Array.from(tripleLoop(A, B, M, K, N, bias, start)));
        });
      }
    }
  }
});
