import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR, maxRelativeError } from '../../test/support/tiny-bert.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { encodeTokenStates, poolTokenStates } from './token-states.ts';
import { POOLING_MODES } from '../shared/names.ts';

if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

describe.skipIf(!HAVE_FIXTURES)('pooling cached token states', () => {
  const texts = ['How do I return an item?', '退货流程', 'a', 'Mean pooling averages token vectors, and CLS pooling takes the first token.'];

  it.each(POOLING_MODES)('agrees with the model pipeline for %s pooling, with and without the prompt', async (mode) => {
    const { model } = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), new CpuBackend());
    for (const includePrompt of [true, false]) {
      const prompt = 'query: ';
      const cache = await encodeTokenStates(model, texts, prompt, { batchSize: 3 });
      const pooled = poolTokenStates(cache, mode, true, includePrompt);
      const direct = await model.encode(texts, { prompt, pooling: { mode, includePrompt }, normalize: true });
      expect(maxRelativeError(pooled, direct), `${mode} includePrompt=${includePrompt}`).toBeLessThan(1e-5);
    }
  });
});
