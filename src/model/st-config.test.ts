import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES_DIR, haveFixtures } from '../../test/support/fixtures.ts';
import {
  ModelConfigError,
  parseBertConfig,
  parsePoolingConfig,
  poolingConfigToJson,
  readSentenceTransformerConfig,
  POOLING_MODES,
  type PoolingConfig,
  type ReadText,
} from './st-config.ts';

const MODEL_DIR = path.join(FIXTURES_DIR, 'tiny-bert/model');
// Skips with a message, or fails under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1.
const HAVE_FIXTURES = haveFixtures('tiny-bert/model/config.json', 'the config tests on the tiny-bert fixture');

function folderReader(dir: string): ReadText {
  return async (p) => {
    try {
      return await readFile(path.join(dir, p), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  };
}

/** An in-memory model folder; values are serialised unless already strings. */
function memoryReader(files: Record<string, unknown>): ReadText & { requested: string[] } {
  const requested: string[] = [];
  const fn = async (p: string) => {
    requested.push(p);
    if (!(p in files)) return null;
    const v = files[p];
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  return Object.assign(fn, { requested });
}

const BERT_CONFIG = {
  architectures: ['BertModel'],
  model_type: 'bert',
  hidden_size: 384,
  num_hidden_layers: 6,
  num_attention_heads: 12,
  intermediate_size: 1536,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  vocab_size: 30522,
  layer_norm_eps: 1e-12,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  pad_token_id: 0,
};

const ST_MODULES = [
  { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
  { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
];

describe.skipIf(!HAVE_FIXTURES)('readSentenceTransformerConfig on the tiny-bert fixture', () => {
  if (!HAVE_FIXTURES) console.warn(`[st-config.test] skipping fixture tests: ${MODEL_DIR} not found (../shared/fixtures absent)`);

  it('reads Transformer → mean Pooling → Normalize with max_seq_length 64', async () => {
    const cfg = await readSentenceTransformerConfig(folderReader(MODEL_DIR));
    expect(cfg.bert).toEqual({
      hiddenSize: 32,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      intermediateSize: 64,
      maxPositionEmbeddings: 128,
      typeVocabSize: 2,
      vocabSize: 400,
      layerNormEps: 1e-12,
      hiddenAct: 'gelu',
      hiddenDropoutProb: 0,
      attentionProbsDropoutProb: 0,
      padTokenId: 0,
    });
    expect(cfg.pooling).toEqual({ mode: 'mean', includePrompt: true });
    expect(cfg.normalize).toBe(true);
    expect(cfg.maxSeqLength).toBe(64);
    expect(cfg.doLowerCase).toBe(false);
    expect(cfg.prompts).toEqual({});
    expect(cfg.defaultPromptName).toBeNull();
    expect(cfg.similarity).toBe('cosine');
    expect(cfg.transformerPath).toBe('');
    expect(cfg.poolingPath).toBe('1_Pooling');
    expect(cfg.warnings).toEqual([]);
  });
});

describe('readSentenceTransformerConfig on synthetic folders', () => {
  it('a plain HF BERT folder (no modules.json) gets mean pooling, no normalize, max_seq_length ≤ 512', async () => {
    const cfg = await readSentenceTransformerConfig(memoryReader({ 'config.json': BERT_CONFIG }));
    expect(cfg.pooling).toEqual({ mode: 'mean', includePrompt: true });
    expect(cfg.normalize).toBe(false);
    expect(cfg.maxSeqLength).toBe(512);
    expect(cfg.poolingPath).toBeNull();
    const small = await readSentenceTransformerConfig(
      memoryReader({ 'config.json': { ...BERT_CONFIG, max_position_embeddings: 128 } }),
    );
    expect(small.maxSeqLength).toBe(128);
    const big = await readSentenceTransformerConfig(
      memoryReader({ 'config.json': { ...BERT_CONFIG, max_position_embeddings: 8192 } }),
    );
    expect(big.maxSeqLength).toBe(512);
  });

  it('reads the new pooling_mode key, include_prompt, prompts and similarity', async () => {
    const cfg = await readSentenceTransformerConfig(
      memoryReader({
        'modules.json': ST_MODULES.slice(0, 2),
        'config.json': BERT_CONFIG,
        '1_Pooling/config.json': { word_embedding_dimension: 384, pooling_mode: 'cls', include_prompt: false },
        'sentence_bert_config.json': { max_seq_length: 256, do_lower_case: true },
        'config_sentence_transformers.json': {
          prompts: { query: 'query: ', document: 'passage: ' },
          default_prompt_name: 'query',
          similarity_fn_name: 'dot',
        },
      }),
    );
    expect(cfg.pooling).toEqual({ mode: 'cls', includePrompt: false });
    expect(cfg.normalize).toBe(false);
    expect(cfg.maxSeqLength).toBe(256);
    expect(cfg.doLowerCase).toBe(true);
    expect(cfg.prompts).toEqual({ query: 'query: ', document: 'passage: ' });
    expect(cfg.defaultPromptName).toBe('query');
    expect(cfg.similarity).toBe('dot');
  });

  it('supports the older layout with the Transformer in 0_Transformer/', async () => {
    const reader = memoryReader({
      'modules.json': [
        { idx: 0, name: '0', path: '0_Transformer', type: 'sentence_transformers.models.Transformer' },
        { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      ],
      '0_Transformer/config.json': BERT_CONFIG,
      '0_Transformer/sentence_bert_config.json': { max_seq_length: 128 },
      '1_Pooling/config.json': { pooling_mode_max_tokens: true },
    });
    const cfg = await readSentenceTransformerConfig(reader);
    expect(cfg.transformerPath).toBe('0_Transformer');
    expect(cfg.maxSeqLength).toBe(128);
    expect(cfg.pooling.mode).toBe('max');
    expect(reader.requested).toContain('0_Transformer/config.json');
  });

  it('identifies modules by class name whatever the package path, and orders them by idx', async () => {
    const cfg = await readSentenceTransformerConfig(
      memoryReader({
        'modules.json': [
          { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.base.modules.Normalize' },
          { idx: 0, name: '0', path: '', type: 'sentence_transformers.base.modules.Transformer' },
          { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.base.modules.Pooling' },
        ],
        'config.json': BERT_CONFIG,
        '1_Pooling/config.json': { pooling_mode: 'mean' },
      }),
    );
    expect(cfg.normalize).toBe(true);
  });

  it('caps max_seq_length at max_position_embeddings with a warning', async () => {
    const cfg = await readSentenceTransformerConfig(
      memoryReader({ 'config.json': BERT_CONFIG, 'sentence_bert_config.json': { max_seq_length: 1024 } }),
    );
    expect(cfg.maxSeqLength).toBe(512);
    expect(cfg.warnings[0]).toMatch(/sentence_bert_config\.json: max_seq_length 1024 exceeds max_position_embeddings 512/);
  });

  it('maps the similarity function names sentence-transformers writes', async () => {
    for (const [name, want] of [['cosine', 'cosine'], ['dot', 'dot'], ['dot_product', 'dot'], ['euclidean', 'euclidean'], ['manhattan', 'manhattan']]) {
      const cfg = await readSentenceTransformerConfig(
        memoryReader({ 'config.json': BERT_CONFIG, 'config_sentence_transformers.json': { similarity_fn_name: name } }),
      );
      expect(cfg.similarity).toBe(want);
    }
    const nul = await readSentenceTransformerConfig(
      memoryReader({ 'config.json': BERT_CONFIG, 'config_sentence_transformers.json': { similarity_fn_name: null } }),
    );
    expect(nul.similarity).toBe('cosine');
  });

  describe('errors name the file and the field', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['missing config.json', {}, /^config\.json: file not found/],
      ['invalid JSON', { 'config.json': '{"hidden_size": ' }, /^config\.json: invalid JSON/],
      [
        'xlm-roberta',
        { 'config.json': { ...BERT_CONFIG, model_type: 'xlm-roberta', architectures: ['XLMRobertaModel'] } },
        /^config\.json: model_type "xlm-roberta" \(XLMRobertaModel\) is not supported; supported: BERT-family encoders \(model_type "bert"/,
      ],
      ['mpnet', { 'config.json': { ...BERT_CONFIG, model_type: 'mpnet', architectures: ['MPNetModel'] } }, /model_type "mpnet" \(MPNetModel\) is not supported; supported: BERT/],
      ['nomic_bert', { 'config.json': { ...BERT_CONFIG, model_type: 'nomic_bert', architectures: ['NomicBertModel'] } }, /model_type "nomic_bert" \(NomicBertModel\) is not supported/],
      [
        'no model_type, foreign architecture',
        { 'config.json': { ...BERT_CONFIG, model_type: undefined, architectures: ['MPNetModel'] } },
        /no "model_type" and architectures \["MPNetModel"\] are not BERT/,
      ],
      ['tanh GELU', { 'config.json': { ...BERT_CONFIG, hidden_act: 'gelu_new' } }, /^config\.json: "hidden_act" is "gelu_new"; only "gelu"/],
      ['relative positions', { 'config.json': { ...BERT_CONFIG, position_embedding_type: 'relative_key' } }, /"position_embedding_type" is "relative_key"/],
      ['missing hidden_size', { 'config.json': { ...BERT_CONFIG, hidden_size: undefined } }, /^config\.json: "hidden_size" is required/],
      ['string field', { 'config.json': { ...BERT_CONFIG, num_hidden_layers: '6' } }, /"num_hidden_layers" must be an integer, got "6"/],
      ['heads do not divide', { 'config.json': { ...BERT_CONFIG, num_attention_heads: 5 } }, /"hidden_size" \(384\) must be divisible by num_attention_heads \(5\)/],
      [
        'unsupported pipeline',
        {
          'config.json': BERT_CONFIG,
          'modules.json': [...ST_MODULES.slice(0, 2), { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' }],
        },
        /^modules\.json: module pipeline \[Transformer → Pooling → Dense\] is not supported; supported: Transformer → Pooling → optional Normalize/,
      ],
      ['modules.json not an array', { 'config.json': BERT_CONFIG, 'modules.json': { a: 1 } }, /^modules\.json: expected a JSON array/],
      [
        'pooling file missing',
        { 'config.json': BERT_CONFIG, 'modules.json': ST_MODULES },
        /^1_Pooling\/config\.json: file not found but modules\.json lists a Pooling module here/,
      ],
      [
        'bad pooling mode',
        { 'config.json': BERT_CONFIG, 'modules.json': ST_MODULES, '1_Pooling/config.json': { pooling_mode: 'median' } },
        /^1_Pooling\/config\.json: "pooling_mode" "median" is not one of mean, cls, max/,
      ],
      [
        'several old pooling keys',
        {
          'config.json': BERT_CONFIG,
          'modules.json': ST_MODULES,
          '1_Pooling/config.json': { pooling_mode_cls_token: true, pooling_mode_mean_tokens: true },
        },
        /several pooling modes are true \(pooling_mode_cls_token, pooling_mode_mean_tokens\)/,
      ],
      [
        'no pooling key',
        { 'config.json': BERT_CONFIG, 'modules.json': ST_MODULES, '1_Pooling/config.json': { word_embedding_dimension: 384 } },
        /^1_Pooling\/config\.json: no pooling mode set/,
      ],
      [
        'dimension mismatch',
        {
          'config.json': BERT_CONFIG,
          'modules.json': ST_MODULES,
          '1_Pooling/config.json': { word_embedding_dimension: 768, pooling_mode: 'mean' },
        },
        /"word_embedding_dimension" is 768 but config\.json hidden_size is 384/,
      ],
      [
        'bad max_seq_length',
        { 'config.json': BERT_CONFIG, 'sentence_bert_config.json': { max_seq_length: 0 } },
        /^sentence_bert_config\.json: "max_seq_length" must be ≥ 1, got 0/,
      ],
      [
        'unknown default prompt',
        { 'config.json': BERT_CONFIG, 'config_sentence_transformers.json': { prompts: { query: 'q: ' }, default_prompt_name: 'toString' } },
        /^config_sentence_transformers\.json: "default_prompt_name" is "toString" but prompts has no such entry \(has: query\)/,
      ],
      [
        'non-string prompt',
        { 'config.json': BERT_CONFIG, 'config_sentence_transformers.json': { prompts: { query: 3 } } },
        /"prompts\.query" must be a string/,
      ],
      [
        'unknown similarity',
        { 'config.json': BERT_CONFIG, 'config_sentence_transformers.json': { similarity_fn_name: 'toString' } },
        /"similarity_fn_name" "toString" is not one of cosine, dot, euclidean, manhattan/,
      ],
    ];
    for (const [label, files, pattern] of cases) {
      it(label, async () => {
        const err = await readSentenceTransformerConfig(memoryReader(files)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ModelConfigError);
        expect((err as Error).message).toMatch(pattern);
      });
    }
  });
});

describe('parsePoolingConfig', () => {
  it('reads every old boolean key', () => {
    const keys: [string, string][] = [
      ['pooling_mode_cls_token', 'cls'],
      ['pooling_mode_mean_tokens', 'mean'],
      ['pooling_mode_max_tokens', 'max'],
      ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len_tokens'],
      ['pooling_mode_weightedmean_tokens', 'weightedmean'],
      ['pooling_mode_lasttoken', 'lasttoken'],
    ];
    for (const [key, mode] of keys) {
      const others = Object.fromEntries(keys.map(([k]) => [k, false]));
      expect(parsePoolingConfig({ ...others, [key]: true }).mode).toBe(mode);
    }
  });

  it('lets pooling_mode override the boolean keys, as sentence-transformers does', () => {
    expect(parsePoolingConfig({ pooling_mode: 'lasttoken', pooling_mode_mean_tokens: true }).mode).toBe('lasttoken');
    expect(parsePoolingConfig({ pooling_mode: ['weightedmean'] }).mode).toBe('weightedmean');
    expect(() => parsePoolingConfig({ pooling_mode: ['mean', 'max'] })).toThrow(/"pooling_mode" must be one of/);
  });

  it('poolingConfigToJson writes the old keys and round-trips every mode', () => {
    for (const mode of POOLING_MODES) {
      for (const includePrompt of [true, false]) {
        const p: PoolingConfig = { mode, includePrompt };
        const json = poolingConfigToJson(p, 32);
        expect(Object.keys(json).sort()).toEqual(
          [
            'word_embedding_dimension',
            'pooling_mode_cls_token',
            'pooling_mode_mean_tokens',
            'pooling_mode_max_tokens',
            'pooling_mode_mean_sqrt_len_tokens',
            'pooling_mode_weightedmean_tokens',
            'pooling_mode_lasttoken',
            'include_prompt',
          ].sort(),
        );
        expect(Object.entries(json).filter(([k, v]) => k.startsWith('pooling_mode_') && v === true)).toHaveLength(1);
        expect(parsePoolingConfig(JSON.parse(JSON.stringify(json)), 'x', 32)).toEqual(p);
      }
    }
    expect(poolingConfigToJson({ mode: 'mean', includePrompt: true }, 384)).toEqual({
      word_embedding_dimension: 384,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    });
  });
});

describe('parseBertConfig', () => {
  it('fills transformers BertConfig defaults for optional fields', () => {
    const cfg = parseBertConfig({
      model_type: 'bert',
      hidden_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      intermediate_size: 128,
      vocab_size: 100,
    });
    expect(cfg).toMatchObject({
      maxPositionEmbeddings: 512,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      hiddenAct: 'gelu',
      hiddenDropoutProb: 0.1,
      attentionProbsDropoutProb: 0.1,
      padTokenId: 0,
    });
  });

  it('accepts old configs that have only BERT architectures', () => {
    const { model_type: _drop, ...rest } = BERT_CONFIG;
    expect(parseBertConfig({ ...rest, architectures: ['BertForMaskedLM'] }).hiddenSize).toBe(384);
  });
});
