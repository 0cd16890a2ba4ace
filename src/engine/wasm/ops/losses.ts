/**
 * The losses: the CPU reference's own code on copies of their inputs. They are O(batch²) on a few
 * hundred numbers, a rounding error of a step's time next to the encoder, and this keeps one
 * definition of each.
 */
import type { LossResult, Tensor } from '../../backend.ts';
import * as reference from '../../cpu/losses.ts';
import { CpuTensor } from '../../cpu/tensor.ts';
import type { WasmRuntime } from '../runtime.ts';

export function softmaxCrossEntropy(k: WasmRuntime, logits: Tensor, labels: Tensor, weight: number): LossResult {
  return onReference(k, [logits, labels], ([z, y]) => reference.softmaxCrossEntropy(z, y, weight));
}

export function meanSquaredError(k: WasmRuntime, pred: Tensor, target: Tensor, weight: number): LossResult {
  return onReference(k, [pred, target], ([p, t]) => reference.meanSquaredError(p, t, weight));
}

export function cosentLoss(k: WasmRuntime, scores: Tensor, labels: Tensor, weight: number): LossResult {
  return onReference(k, [scores, labels], ([s, y]) => reference.cosentLoss(s, y, weight));
}

export function tripletLoss(k: WasmRuntime, anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
  return onReference(k, [anchor, positive, negative], ([a, p, n]) => reference.tripletLoss(a, p, n, margin, weight));
}

function onReference(k: WasmRuntime, inputs: Tensor[], loss: (inputs: Tensor[]) => LossResult): LossResult {
  const copies = inputs.map((t) => {
    const w = k.tensor(t);
    const data = w.dtype === 'i32'
      ? new Int32Array(k.memory.buffer, w.ptr, w.size).slice()
      : new Float32Array(k.memory.buffer, w.ptr, w.size).slice();
    return new CpuTensor(w.shape, w.dtype, data);
  });
  const result = loss(copies);
  const back = (t: Tensor) => {
    if (!(t instanceof CpuTensor) || !(t.data instanceof Float32Array)) throw new Error('reference loss returned a foreign tensor');
    return k.fromFloat32(t.data, t.shape);
  };
  return { loss: back(result.loss), grads: result.grads.map(back) };
}
