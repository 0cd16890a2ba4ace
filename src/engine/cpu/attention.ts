/** Multi-head self-attention over packed query | key | value rows, forward and backward. */
import { type AttentionResult, type AttentionShape, type Tensor, dropoutUniform } from '../backend.ts';
import { f32, rowsCols, tensor } from './tensor.ts';

/** The attention-probability dropout factor (0 or 1/(1-p)) of each element, by its index. */
function probsDropout(shape: AttentionShape): (index: number) => number {
  const p = shape.dropout?.p ?? 0;
  if (p <= 0) return () => 1;
  const seed = shape.dropout!.seed, keepScale = 1 / (1 - p);
  return (index) => (dropoutUniform(seed, index) >= p ? keepScale : 0);
}

export function attention(qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
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

export function attentionBackward(dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
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
