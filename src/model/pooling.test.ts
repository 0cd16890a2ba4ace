/**
 * Pooling against references written out here with plain loops from sentence-transformers'
 * Pooling.forward (models/Pooling.py), not from `poolingWeights`/`poolingMask`, which the
 * pipeline itself uses: mean_sqrt_len_tokens, weightedmean, lasttoken, and include_prompt=False
 * (which zeroes attention_mask[:, :prompt_length] before any mode looks at it). mean, cls and max
 * are compared with the library's own numbers in reference-parity.test.ts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../engine/backend.ts';
import { Graph } from '../engine/graph.ts';
import { folderFiles } from '../io/folder-files.ts';
import { testBackends } from '../../test/support/backends.ts';
import { HAVE_FIXTURES, TINY_BERT_MODEL_DIR, maxRelativeError } from '../../test/support/tiny-bert.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { encodeTokenStates, poolTokenStates } from './token-states.ts';
import type { PoolingModeName } from '../shared/names.ts';

type Hidden = { B: number; T: number; H: number; values: Float32Array; mask: Int32Array };

/** sentence-transformers: `attention_mask[:, :prompt_length] = 0` when include_prompt is False. */
function stMask(h: Hidden, promptLengths: readonly number[], includePrompt: boolean): number[][] {
  return Array.from({ length: h.B }, (_, b) =>
    Array.from({ length: h.T }, (_, t) => (!includePrompt && t < promptLengths[b] ? 0 : h.mask[b * h.T + t])),
  );
}

function token(h: Hidden, b: number, t: number, k: number): number {
  return h.values[(b * h.T + t) * h.H + k];
}

/** Pooling.forward for the modes below, one sentence at a time, in float64. */
function stPool(h: Hidden, mode: PoolingModeName, mask: number[][]): Float32Array {
  const out = new Float32Array(h.B * h.H);
  for (let b = 0; b < h.B; b++) {
    const m = mask[b];
    for (let k = 0; k < h.H; k++) {
      let value = 0;
      if (mode === 'mean' || mode === 'mean_sqrt_len_tokens') {
        // sum_embeddings / torch.clamp(sum_mask, min=1e-9), or / torch.sqrt(sum_mask)
        let sum = 0, count = 0;
        for (let t = 0; t < h.T; t++) {
          sum += token(h, b, t, k) * m[t];
          count += m[t];
        }
        value = mode === 'mean' ? sum / Math.max(count, 1e-9) : sum / Math.sqrt(Math.max(count, 1e-9));
      } else if (mode === 'weightedmean') {
        // weights = torch.arange(start=1, end=seq_len + 1): position-weighted over the mask
        let sum = 0, total = 0;
        for (let t = 0; t < h.T; t++) {
          sum += token(h, b, t, k) * m[t] * (t + 1);
          total += m[t] * (t + 1);
        }
        value = sum / Math.max(total, 1e-9);
      } else if (mode === 'lasttoken') {
        // values, indices = attention_mask.flip(1).max(1); where(values == 0, seq_len - 1, indices);
        // gather at seq_len - indices - 1: the last masked-in token, token 0 when there is none.
        let flipped = h.T - 1, found = false;
        for (let i = 0; i < h.T && !found; i++) if (m[h.T - 1 - i] > 0) [flipped, found] = [i, true];
        value = token(h, b, h.T - flipped - 1, k);
      } else if (mode === 'cls') {
        // token_embeddings[:, 0], whatever the mask says
        value = token(h, b, 0, k);
      } else {
        // token_embeddings[input_mask_expanded == 0] = -1e9, then max over tokens
        value = -Infinity;
        for (let t = 0; t < h.T; t++) value = Math.max(value, m[t] > 0 ? token(h, b, t, k) : -1e9);
      }
      out[b * h.H + k] = value;
    }
  }
  return out;
}

const backends = await testBackends();
// Texts of very different lengths, so padding and the prompt both matter.
const TEXTS = ['How do I return an item?', '退货流程', 'a', 'Mean pooling averages token vectors, and CLS pooling takes the first token.'];
const PROMPT = 'query: ';
const MODES: PoolingModeName[] = ['mean_sqrt_len_tokens', 'weightedmean', 'lasttoken', 'mean', 'cls', 'max'];

describe.skipIf(!HAVE_FIXTURES).each(backends)('pooling against plain-loop sentence-transformers references on $name', ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.destroy());

  it.each(MODES)('%s, with the prompt and with include_prompt=False, in the model pipeline and from cached token states', async (mode) => {
    backend ??= await create();
    const { model } = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    const input = model.tokenize(TEXTS, TEXTS.map(() => PROMPT));
    const { batchSize: B, seqLength: T } = input.batch;
    expect(Math.min(...input.promptLengths)).toBeGreaterThan(1); // [CLS] plus the prompt's own tokens
    const g = new Graph(backend, false);
    const tokens = model.encoder.forward(g, input.batch, () => 0);
    const hidden: Hidden = { B, T, H: model.dimension, values: await backend.read(tokens.value), mask: input.batch.attentionMask };
    backend.endStep();
    const cache = await encodeTokenStates(model, TEXTS, PROMPT, { batchSize: 3 });
    for (const includePrompt of [true, false]) {
      const want = stPool(hidden, mode, stMask(hidden, input.promptLengths, includePrompt));
      const pooled = model.embed(new Graph(backend, false), input, () => 0, { pooling: { mode, includePrompt }, normalize: false });
      const got = await backend.read(pooled.value);
      backend.endStep();
      expect(maxRelativeError(got, want), `pipeline, includePrompt=${includePrompt}`).toBeLessThan(1e-5);
      expect(maxRelativeError(poolTokenStates(cache, mode, false, includePrompt), want), `token states, includePrompt=${includePrompt}`).toBeLessThan(1e-5);
    }
    // The prompt switch must change the modes that average or take a max over tokens, or the
    // include_prompt=False half above would prove nothing (cls takes token 0 and lasttoken the
    // final [SEP] either way).
    if (mode !== 'cls' && mode !== 'lasttoken') {
      const withPrompt = stPool(hidden, mode, stMask(hidden, input.promptLengths, true));
      const without = stPool(hidden, mode, stMask(hidden, input.promptLengths, false));
      expect(maxRelativeError(without, withPrompt)).toBeGreaterThan(1e-3);
    }
  });
});
