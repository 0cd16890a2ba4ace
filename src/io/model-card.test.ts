import { describe, expect, it } from 'vitest';
import { POOLING_MODES } from '../model/st-config.ts';
import { modelCard, transformersJsPooling, type ModelCardInfo } from './model-card.ts';

const info: ModelCardInfo = {
  modelId: 'me/tiny-e5',
  baseModel: 'intfloat/e5-small-v2',
  language: ['en'],
  license: 'mit',
  maxSeqLength: 128,
  dimension: 384,
  similarity: 'cosine',
  pooling: { mode: 'mean', includePrompt: true },
  normalize: true,
  prompts: { query: 'query: ', passage: 'passage: ' },
  defaultPromptName: 'query',
  exampleSentences: ['how do I bake bread?', 'Knead the dough | then let it rise.'],
  training: {
    dataset: { name: 'my-pairs.jsonl', size: 12345, columns: ['anchor', 'positive'], shape: '(anchor, positive) pairs', evalSize: 500 },
    loss: { name: 'MultipleNegativesRankingLoss', parameters: { scale: 20, similarity_fct: 'cos_sim' } },
    hyperparameters: { learning_rate: 2e-5, per_device_train_batch_size: 32, num_train_epochs: 1, warmup_ratio: 0.1, weight_decay: 0.01, max_grad_norm: 1, seed: 42 },
    steps: 386,
    epochs: 1,
    durationSeconds: 754.2,
    hardware: 'WebGPU (NVIDIA GeForce RTX 4070, adapter nvidia/ampere)',
    finalLoss: 0.123456789,
  },
  evaluation: { dataset: 'my-eval (500 queries)', metrics: [{ name: 'NDCG@10', before: 0.5, after: 0.625 }, { name: 'MRR@10', after: 0.6 }] },
};

describe('model card', () => {
  const card = modelCard(info);

  it('starts with the YAML front matter the Hub indexes', () => {
    const [, yaml] = card.split('---\n');
    for (const line of ['- sentence-transformers', '- sentence-similarity', '- feature-extraction', 'base_model: "intfloat/e5-small-v2"', 'pipeline_tag: sentence-similarity', 'library_name: sentence-transformers']) {
      expect(yaml).toContain(line);
    }
    expect(card.startsWith('---\ntags:\n')).toBe(true);
  });

  it('describes the model', () => {
    expect(card).toContain('- **Maximum Sequence Length:** 128 tokens');
    expect(card).toContain('- **Output Dimensionality:** 384 dimensions');
    expect(card).toContain('- **Similarity Function:** Cosine Similarity');
    expect(card).toContain('- **Pooling:** mean');
    expect(card).toContain('- **Normalize:** yes');
    expect(card).toContain('| query (default) | `query: ` |');
    expect(card).toContain("'pooling_mode_mean_tokens': True");
  });

  it('gives Python and transformers.js snippets with the exact prompts and pooling', () => {
    expect(card).toContain('model = SentenceTransformer("me/tiny-e5")');
    expect(card).toContain('model.encode(sentences, prompt="query: ")');
    expect(card).toContain('model.encode(sentences, prompt="passage: ")');
    expect(card).toContain("pipeline('feature-extraction', \"me/tiny-e5\", { dtype: 'fp32' })");
    expect(card).toContain(`extractor(sentences.map((s) => "query: " + s), { pooling: 'mean', normalize: true })`);
  });

  it('lists the training data, the loss with its arguments and every hyperparameter', () => {
    expect(card).toContain('- Size: 12,345 training samples, 500 evaluation samples');
    expect(card).toContain('- Shape: (anchor, positive) pairs');
    expect(card).toContain('<code>MultipleNegativesRankingLoss</code>');
    expect(card).toContain('"scale": 20');
    for (const k of Object.keys(info.training!.hyperparameters)) expect(card).toContain(`- \`${k}\`: `);
    expect(card).toContain('- `learning_rate`: 0.00002');
    expect(card).toContain('- Training time: 12 min 34 s');
    expect(card).toContain('- Hardware: WebGPU (NVIDIA GeForce RTX 4070');
  });

  it('tabulates before/after metrics', () => {
    expect(card).toContain('| NDCG@10 | 0.5000 | **0.6250** | +0.1250 |');
    expect(card).toContain('| MRR@10 | — | **0.6000** | — |');
  });

  it('leaves out sections it has no data for', () => {
    const bare = modelCard({ maxSeqLength: 64, dimension: 32, similarity: 'cosine', pooling: { mode: 'cls', includePrompt: true }, normalize: false });
    expect(bare).not.toContain('base_model:');
    expect(bare).not.toContain('## Training Details');
    expect(bare).not.toContain('## Evaluation');
    expect(bare).toContain("{ pooling: 'cls', normalize: false }");
  });

  it('says honestly which pooling modes the transformers.js pipeline cannot reproduce', () => {
    const supported = POOLING_MODES.filter((mode) => transformersJsPooling({ mode, includePrompt: true }, false).caveat === undefined);
    expect(supported).toEqual(['mean', 'cls']);
    expect(transformersJsPooling({ mode: 'lasttoken', includePrompt: true }, false)).toMatchObject({ pooling: 'last_token' });
    expect(transformersJsPooling({ mode: 'max', includePrompt: true }, false).pooling).toBeNull();
    expect(transformersJsPooling({ mode: 'mean', includePrompt: false }, true).pooling).toBeNull();
    const maxCard = modelCard({ ...info, pooling: { mode: 'max', includePrompt: true } });
    expect(maxCard).toContain("the transformers.js pipeline has no 'max' pooling");
    expect(maxCard).toContain("{ pooling: 'none' }");
  });
});
