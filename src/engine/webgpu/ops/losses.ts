/** The losses: each returns the mean loss and the gradients of weight·loss. */
import type { LossResult, Tensor } from '../../backend.ts';
import { grid1d } from '../kernel.ts';
import { cosentKernel, crossEntropyKernel, tripletKernel } from '../kernels/losses.ts';
import { partialGroups, scaledDifferenceKernel, squaredErrorPartialKernel } from '../kernels/reduce.ts';
import type { WebGpuRuntime } from '../runtime.ts';
import { gpuTensor, rowsCols } from '../tensor.ts';

export function softmaxCrossEntropy(k: WebGpuRuntime, logits: Tensor, labels: Tensor, weight: number): LossResult {
  const [B, C] = rowsCols(logits);
  const lab = gpuTensor(labels, 'i32');
  if (lab.hostInts) {
    for (const l of lab.hostInts) if (l < 0 || l >= C) throw new Error(`softmaxCrossEntropy: label ${l} outside ${C} classes`);
  }
  const rowLoss = k.alloc([B]), d = k.alloc([B, C]);
  k.rec.run(crossEntropyKernel, [B, C, weight / B], [gpuTensor(logits), lab, rowLoss, d], grid1d(B));
  return { loss: k.mean(rowLoss, 1 / B), grads: [d] };
}

export function meanSquaredError(k: WebGpuRuntime, pred: Tensor, target: Tensor, weight: number): LossResult {
  const n = pred.size;
  if (target.size !== n) throw new Error(`meanSquaredError: ${n} predictions, ${target.size} targets`);
  const [p, t] = [gpuTensor(pred), gpuTensor(target)];
  const d = k.alloc(pred.shape);
  k.elementwise(scaledDifferenceKernel, [n, (2 * weight) / n], [p, t, d]);
  const groups = partialGroups(n);
  const partial = k.alloc([groups]);
  k.rec.run(squaredErrorPartialKernel, [n], [p, t, partial], [groups, 1, 1]);
  return { loss: k.mean(partial, 1 / n), grads: [d] };
}

export function cosentLoss(k: WebGpuRuntime, scores: Tensor, labels: Tensor, weight: number): LossResult {
  const loss = k.alloc([1]), d = k.alloc(scores.shape);
  k.rec.run(cosentKernel, [scores.size, weight], [gpuTensor(scores), gpuTensor(labels), loss, d], [1, 1, 1]);
  return { loss, grads: [d] };
}

export function tripletLoss(k: WebGpuRuntime, anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
  const [B, H] = rowsCols(anchor);
  const rowLoss = k.alloc([B]);
  const grads = [k.alloc([B, H]), k.alloc([B, H]), k.alloc([B, H])];
  k.rec.run(
    tripletKernel,
    [B, H, margin, weight / B],
    [gpuTensor(anchor), gpuTensor(positive), gpuTensor(negative), rowLoss, ...grads],
    grid1d(B),
  );
  return { loss: k.mean(rowLoss, 1 / B), grads };
}
