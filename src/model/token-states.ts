import { Graph } from '../engine/graph.ts';
import { poolingMask, poolingWeights } from './pooling.ts';
import type { SentenceModel } from './sentence-model.ts';
import type { PoolingModeName } from '../shared/names.ts';

/**
 * The encoder's last hidden states of each text, kept on the host. Pooling and normalisation
 * are cheap once these exist, so the playground can switch pooling modes over a whole corpus
 * without running the encoder again; only a prompt change needs a new encode.
 */
export interface TokenStates {
  readonly dimension: number;
  /** Per text: [tokens, dimension] for its real tokens (no padding). */
  readonly states: readonly Float32Array[];
  /** Per text: tokens covered by the prompt, [CLS] included. */
  readonly promptLengths: readonly number[];
}

export async function encodeTokenStates(
  model: SentenceModel,
  texts: readonly string[],
  prompt: string | undefined,
  options: { batchSize?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<TokenStates> {
  const H = model.dimension;
  const batchSize = options.batchSize ?? 32;
  const states: Float32Array[] = new Array(texts.length);
  const promptLengths: number[] = new Array(texts.length).fill(0);
  const order = texts.map((_, i) => i).sort((a, b) => texts[b].length - texts[a].length);
  let done = 0;
  for (let start = 0; start < texts.length; start += batchSize) {
    if (options.signal?.aborted) throw new DOMException('encoding cancelled', 'AbortError');
    const idx = order.slice(start, start + batchSize);
    const input = model.tokenize(idx.map((i) => texts[i]), idx.map(() => prompt));
    const g = new Graph(model.backend, false);
    const tokens = model.encoder.forward(g, input.batch, () => 0);
    const pending = model.backend.read(tokens.value);
    model.backend.endStep();
    const values = await pending;
    const T = input.batch.seqLength;
    idx.forEach((textIndex, row) => {
      let length = 0;
      for (let t = 0; t < T; t++) length += input.batch.attentionMask[row * T + t];
      states[textIndex] = values.slice(row * T * H, (row * T + length) * H);
      promptLengths[textIndex] = input.promptLengths[row] ?? 0;
    });
    done += idx.length;
    options.onProgress?.(done, texts.length);
  }
  return { dimension: H, states, promptLengths };
}

/** Sentence embeddings from cached token states, with the same rules as the pooling op. */
export function poolTokenStates(cache: TokenStates, mode: PoolingModeName, normalize: boolean, includePrompt: boolean): Float32Array {
  const H = cache.dimension;
  const out = new Float32Array(cache.states.length * H);
  cache.states.forEach((state, i) => {
    const T = state.length / H;
    const batch = { batchSize: 1, seqLength: T, inputIds: new Int32Array(T), attentionMask: new Int32Array(T).fill(1), tokenTypeIds: new Int32Array(T) };
    const mask = poolingMask(batch, [cache.promptLengths[i]], includePrompt);
    const row = out.subarray(i * H, i * H + H);
    if (mode === 'max') {
      row.fill(-Infinity);
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < H; h++) {
          const v = mask[t] !== 0 ? state[t * H + h] : -1e9;
          if (v > row[h]) row[h] = v;
        }
      }
    } else {
      const w = poolingWeights(mode, mask, 1, T);
      const acc = new Float64Array(H);
      for (let t = 0; t < T; t++) if (w[t] !== 0) for (let h = 0; h < H; h++) acc[h] += w[t] * state[t * H + h];
      row.set(acc);
    }
    if (normalize) {
      let s = 0;
      for (let h = 0; h < H; h++) s += row[h] * row[h];
      const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
      for (let h = 0; h < H; h++) row[h] *= inv;
    }
  });
  return out;
}
