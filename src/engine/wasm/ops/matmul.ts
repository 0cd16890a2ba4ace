/** The dense layer's ops: the blocked, packed GEMM and the bias gradient. */
import { type MatmulOptions, type Tensor, assertShape } from '../../backend.ts';
import { type WasmRuntime, rowsCols } from '../runtime.ts';

export function matmul(k: WasmRuntime, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const [ar, ac] = rowsCols(a);
  const [br, bc] = rowsCols(b);
  const transA = options.transA ?? false, transB = options.transB ?? false;
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) throw new Error(`matmul: inner dimensions differ (${K} vs ${Kb})`);
  const A = k.tensor(a, 'f32'), B = k.tensor(b, 'f32');
  const out = options.out ? k.tensor(options.out, 'f32') : k.alloc([M, N], 'f32', false);
  assertShape(out, [M, N], 'matmul output');
  const bias = options.bias ? k.tensor(options.bias, 'f32') : null;
  if (bias && bias.size !== N) throw new Error(`matmul: bias has ${bias.size} values, expected ${N}`);
  const accumulate = options.accumulate ?? false;
  if (M === 0 || N === 0) return out;
  if (K === 0) {
    // An empty sum: C = bias (or 0), or unchanged plus bias when accumulating.
    if (!accumulate) k.x.zeroBytes(out.ptr, M * N * 4);
    if (bias) for (let m = 0; m < M; m++) k.x.addScaled(out.ptr + m * N * 4, bias.ptr, out.ptr + m * N * 4, N, 1, 0, 1);
    return out;
  }
  const work = M * N * K;
  const threads = k.threadsFor(work);
  const packedBytes = Number(k.x.packedBBytes(K, N));
  const perThread = Number(k.x.threadScratchBytes(N));
  const scratch = k.scratch(packedBytes + threads * perThread);
  const packed = scratch, threadScratch = scratch + packedBytes;
  for (let k0 = 0; k0 < K; k0 += k.kc) {
    k.run('gemmPackB', [B.ptr, K, N, transB ? 1 : 0, k0, packed], threads);
    k.run('gemmBlock', [A.ptr, M, K, N, transA ? 1 : 0, k0, packed, out.ptr, accumulate ? 1 : 0, bias ? bias.ptr : 0, threadScratch], threads);
  }
  return out;
}

export function sumRows(k: WasmRuntime, x: Tensor, out: Tensor, accumulate: boolean): void {
  const [M, N] = rowsCols(x);
  const v = k.tensor(x, 'f32'), o = k.tensor(out, 'f32');
  if (o.size !== N) throw new Error(`sumRows: output has ${o.size} values, expected ${N}`);
  // Threads split columns: only worth it when there are enough of them.
  k.run('sumRows', [v.ptr, o.ptr, M, N, accumulate ? 1 : 0], N >= 64 ? k.threadsFor(M * N) : 1);
}
