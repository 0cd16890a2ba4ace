/** Multi-head self-attention, forward and backward, split over (batch, head) pairs. */
import type { AttentionResult, AttentionShape, Tensor } from '../../backend.ts';
import { type WasmRuntime, dropoutArgs, rowsCols } from '../runtime.ts';

export function attention(k: WasmRuntime, qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
  const { batch: B, seqLength: T, heads: NH } = shape;
  const [rows, threeH] = rowsCols(qkv);
  if (rows !== B * T || threeH % (3 * NH) !== 0) throw new Error(`attention: qkv [${rows}, ${threeH}] does not fit B=${B} T=${T} heads=${NH}`);
  const H = threeH / 3, D = H / NH;
  const q = k.tensor(qkv, 'f32'), mask = k.tensor(keyMask, 'f32');
  if (mask.size !== B * T) throw new Error(`attention: key mask has ${mask.size} values, expected ${B * T}`);
  const out = k.alloc([B * T, H], 'f32', false);
  const probs = k.alloc([B, NH, T, T], 'f32', false);
  const [threshold, keepScale, seed] = dropoutArgs(shape.dropout?.p ?? 0, shape.dropout?.seed ?? 0);
  const threads = Math.min(B * NH, k.threadsFor(B * NH * T * T * D));
  const scratch = k.scratch(threads * T * 4);
  k.run('attention', [q.ptr, mask.ptr, out.ptr, probs.ptr, B, T, NH, D, threshold, keepScale, seed, scratch], threads);
  return { out, probs };
}

export function attentionBackward(k: WasmRuntime, dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
  const { batch: B, seqLength: T, heads: NH } = shape;
  const [, threeH] = rowsCols(qkv);
  const H = threeH / 3, D = H / NH;
  const d = k.tensor(dOut, 'f32'), q = k.tensor(qkv, 'f32'), P = k.tensor(probs, 'f32');
  const dq = k.alloc(qkv.shape, 'f32', false);
  const [threshold, keepScale, seed] = dropoutArgs(shape.dropout?.p ?? 0, shape.dropout?.seed ?? 0);
  const threads = Math.min(B * NH, k.threadsFor(B * NH * T * T * D));
  const scratch = k.scratch(threads * T * 4);
  k.run('attentionBackward', [d.ptr, q.ptr, P.ptr, dq.ptr, B, T, NH, D, threshold, keepScale, seed, scratch], threads);
  return dq;
}
