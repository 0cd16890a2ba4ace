/** The dense layer's ops: the matrix product (the variant chosen per adapter) and the bias gradient. */
import { type MatmulOptions, type Tensor, assertShape } from '../../backend.ts';
import { grid1d } from '../kernel.ts';
import type { MatmulVariant } from '../kernels/matmul.ts';
import { sumRowsKernel } from '../kernels/reduce.ts';
import type { WebGpuRuntime } from '../runtime.ts';
import { gpuTensor, rowsCols } from '../tensor.ts';

export function matmul(k: WebGpuRuntime, variant: MatmulVariant, a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const [ar, ac] = rowsCols(a);
  const [br, bc] = rowsCols(b);
  const M = options.transA ? ac : ar;
  const K = options.transA ? ar : ac;
  const Kb = options.transB ? bc : br;
  const N = options.transB ? br : bc;
  if (K !== Kb) throw new Error(`matmul: inner dimensions differ (${K} vs ${Kb})`);
  const out = options.out ? gpuTensor(options.out) : k.alloc([M, N]);
  assertShape(out, [M, N], 'matmul output');
  const bias = options.bias ? gpuTensor(options.bias) : null;
  if (bias && bias.size !== N) throw new Error(`matmul: bias has ${bias.size} values, expected ${N}`);
  if (M * N === 0) return out;
  const [ga, gb] = [gpuTensor(a), gpuTensor(b)];
  const vec4 = ga.byteOffset % 16 === 0 && gb.byteOffset % 16 === 0;
  const { spec, groups } = variant.pick({ M, N, K, transA: options.transA ?? false, transB: options.transB ?? false, vec4 }, k.subgroupSize);
  k.rec.run(spec, [M, N, K, bias ? 1 : 0, options.accumulate ? 1 : 0], [ga, gb, bias ?? k.rec.dummy, out], groups);
  return out;
}

export function sumRows(k: WebGpuRuntime, x: Tensor, out: Tensor, accumulate: boolean): void {
  const [M, N] = rowsCols(x);
  if (out.size !== N) throw new Error(`sumRows: output has ${out.size} values, expected ${N}`);
  k.rec.run(sumRowsKernel, [M, N, accumulate ? 1 : 0], [gpuTensor(x), gpuTensor(out)], grid1d(N));
}
