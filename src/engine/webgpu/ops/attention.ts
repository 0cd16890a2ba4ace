/** Multi-head self-attention, forward and backward: scores, softmax and output as separate passes. */
import type { AttentionResult, AttentionShape, Tensor } from '../../backend.ts';
import {
  attentionInputGradKernel, attentionOutKernel, attentionProbGradKernel, attentionScoreGradKernel, attentionScoresKernel,
  attentionSoftmaxKernel,
} from '../kernels/attention.ts';
import { type WebGpuRuntime, dropoutThreshold } from '../runtime.ts';
import { gpuTensor, rowsCols } from '../tensor.ts';

/**
 * [seed, threshold, keepScale] for attention-probability dropout: keep ⇔ hash ≥ ceil(p·2^32),
 * the exact integer form of the CPU's `dropoutUniform(seed, i) ≥ p`; p = 0 keeps everything.
 */
function dropoutParams(shape: AttentionShape): number[] {
  const p = shape.dropout?.p ?? 0;
  if (p <= 0) return [0, 0, 1];
  if (p >= 1) throw new Error(`attention dropout ${p} must be below 1`);
  return [shape.dropout!.seed >>> 0, Math.min(dropoutThreshold(p), 2 ** 32 - 1), 1 / (1 - p)];
}

export function attention(k: WebGpuRuntime, qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
  const { B, T, NH, H, D } = attentionShape(qkv, shape);
  const out = k.alloc([B * T, H]);
  const probs = k.alloc([B, NH, T, T]);
  const q = gpuTensor(qkv);
  const params = (n: number) => [n, T, NH, D, H, 1 / Math.sqrt(D)];
  k.elementwise(attentionScoresKernel, params(B * NH * T * T), [q, gpuTensor(keyMask), probs]);
  k.elementwise(attentionSoftmaxKernel, params(B * NH * T), [gpuTensor(keyMask), probs]);
  k.elementwise(attentionOutKernel, [...params(B * T * H), ...dropoutParams(shape)], [q, probs, out]);
  return { out, probs };
}

export function attentionBackward(k: WebGpuRuntime, dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
  const { B, T, NH, H, D } = attentionShape(qkv, shape);
  const dq = k.alloc(qkv.shape);
  const dS = k.alloc([B, NH, T, T]);
  const [d, q, p] = [gpuTensor(dOut), gpuTensor(qkv), gpuTensor(probs)];
  const params = (n: number) => [n, T, NH, D, H, 1 / Math.sqrt(D)];
  k.elementwise(attentionProbGradKernel, [...params(B * NH * T * T), ...dropoutParams(shape)], [d, q, dS]);
  k.elementwise(attentionScoreGradKernel, params(B * NH * T), [p, dS]);
  k.elementwise(attentionInputGradKernel, [...params(B * T * H), ...dropoutParams(shape)], [d, q, p, dS, dq]);
  return dq;
}

function attentionShape(qkv: Tensor, shape: AttentionShape): { B: number; T: number; NH: number; H: number; D: number } {
  const { batch: B, seqLength: T, heads: NH } = shape;
  const [rows, threeH] = rowsCols(qkv);
  if (rows !== B * T || threeH % (3 * NH) !== 0) {
    throw new Error(`attention: qkv [${rows}, ${threeH}] does not fit B=${B} T=${T} heads=${NH}`);
  }
  const H = threeH / 3;
  return { B, T, NH, H, D: H / NH };
}
