/** The global gradient norm and AdamW. */
import type { AdamWOptions, Tensor } from '../../backend.ts';
import { adamwKernel } from '../kernels/optimizer.ts';
import { partialGroups, sumSquaresPartialKernel } from '../kernels/reduce.ts';
import type { WebGpuRuntime } from '../runtime.ts';
import { gpuTensor } from '../tensor.ts';

export function sumSquares(k: WebGpuRuntime, x: Tensor): Tensor {
  const n = x.size;
  const groups = partialGroups(n);
  const partial = k.alloc([groups]);
  k.rec.run(sumSquaresPartialKernel, [n], [gpuTensor(x), partial], [groups, 1, 1]);
  return k.mean(partial, 1);
}

export function adamw(k: WebGpuRuntime, params: Tensor, grads: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
  const n = params.size;
  if (grads.size !== n || m.size !== n || v.size !== n) throw new Error('adamw: params, grads and moments differ in size');
  const clip = o.maxGradNorm > 0;
  if (clip && !o.gradNormSquared) throw new Error('adamw: clipping needs gradNormSquared');
  // With a norm given, the kernel also skips the whole update when it is NaN or ±Inf.
  const guard = o.gradNormSquared !== undefined;
  const gn2 = o.gradNormSquared ? gpuTensor(o.gradNormSquared) : k.rec.dummy;
  const stepSize = o.lr / (1 - o.beta1 ** o.step);
  const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
  const decayEnd = Math.max(0, Math.min(n, o.decayEnd));
  k.elementwise(
    adamwKernel,
    [n, decayEnd, clip ? 1 : 0, guard ? 1 : 0, o.maxGradNorm, 1 - o.lr * o.weightDecay, o.beta1, o.beta2, stepSize, bc2Sqrt, o.eps],
    [gpuTensor(params), gpuTensor(grads), gpuTensor(m), gpuTensor(v), gn2],
  );
}
