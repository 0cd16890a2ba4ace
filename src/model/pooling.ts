import type { Graph, Var } from '../engine/graph.ts';
import type { TokenBatch } from './bert.ts';
import type { PoolingModeName } from '../shared/names.ts';

/**
 * The tokens pooling may look at: the attention mask, minus the prompt's tokens (CLS included)
 * when include_prompt is false — sentence-transformers zeroes `attention_mask[:, :prompt_length]`.
 */
export function poolingMask(batch: TokenBatch, promptLengths: readonly number[], includePrompt: boolean): Float32Array {
  const { batchSize: B, seqLength: T } = batch;
  const mask = Float32Array.from(batch.attentionMask);
  if (includePrompt) return mask;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Math.min(promptLengths[b] ?? 0, T); t++) mask[b * T + t] = 0;
  }
  return mask;
}

/**
 * Every mode except max is a weighted sum of token vectors; the weights are computed here on the
 * host (the mask is host data), so one kernel serves five modes.
 */
export function poolingWeights(mode: Exclude<PoolingModeName, 'max'>, mask: Float32Array, batchSize: number, seqLength: number): Float32Array {
  const T = seqLength;
  const w = new Float32Array(batchSize * T);
  for (let b = 0; b < batchSize; b++) {
    const row = mask.subarray(b * T, b * T + T);
    switch (mode) {
      case 'cls':
        // sentence-transformers takes token 0 whatever the mask says.
        w[b * T] = 1;
        break;
      case 'lasttoken': {
        let last = -1;
        for (let t = 0; t < T; t++) if (row[t] !== 0) last = t;
        w[b * T + Math.max(last, 0)] = 1;
        break;
      }
      case 'mean':
      case 'mean_sqrt_len_tokens': {
        let count = 0;
        for (let t = 0; t < T; t++) count += row[t];
        const denom = mode === 'mean' ? Math.max(count, 1e-9) : Math.sqrt(Math.max(count, 1e-9));
        for (let t = 0; t < T; t++) w[b * T + t] = row[t] / denom;
        break;
      }
      case 'weightedmean': {
        let total = 0;
        for (let t = 0; t < T; t++) total += (t + 1) * row[t];
        const denom = Math.max(total, 1e-9);
        for (let t = 0; t < T; t++) w[b * T + t] = ((t + 1) * row[t]) / denom;
        break;
      }
    }
  }
  return w;
}

export function pool(g: Graph, tokens: Var, batch: TokenBatch, mode: PoolingModeName, mask: Float32Array): Var {
  const { batchSize: B, seqLength: T } = batch;
  const b = g.backend;
  if (mode === 'max') return g.maxPool(tokens, b.fromFloat32(mask, [B, T]), B, T);
  return g.weightedPool(tokens, b.fromFloat32(poolingWeights(mode, mask, B, T), [B, T]), B, T);
}
