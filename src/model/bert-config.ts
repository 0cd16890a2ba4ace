// config.json of a BERT encoder (transformers' BertConfig): the dimensions, activation and
// dropouts the encoder is built with, checked against what this engine implements.

import { Fields, ModelConfigError, isObject } from './config-fields.ts';

export interface BertConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  vocabSize: number;
  layerNormEps: number;
  /** Only the exact (erf) GELU is implemented; config.json's "gelu" means that in transformers. */
  hiddenAct: 'gelu';
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  padTokenId: number;
}

const SUPPORTED_MODELS =
  'supported: BERT-family encoders (model_type "bert": BertModel, BertForMaskedLM, BertForPreTraining, …)';

/** Largest accepted value of each config.json dimension. */
export const BERT_DIM_LIMITS = {
  hidden_size: 65_536,
  num_hidden_layers: 512,
  intermediate_size: 1 << 20,
  max_position_embeddings: 1 << 20,
  type_vocab_size: 65_536,
  vocab_size: 10_000_000,
} as const;

/** config.json of a BERT encoder; defaults are transformers' BertConfig defaults. */
export function parseBertConfig(json: unknown, file = 'config.json'): BertConfig {
  if (!isObject(json)) throw new ModelConfigError(file, 'expected a JSON object');
  const f = new Fields(file, json);

  const modelType = f.str('model_type');
  const architectures = Array.isArray(json.architectures)
    ? json.architectures.filter((a): a is string => typeof a === 'string')
    : [];
  if (modelType !== null) {
    if (modelType !== 'bert') {
      throw new ModelConfigError(
        file,
        `model_type "${modelType}"${architectures.length ? ` (${architectures.join(', ')})` : ''} is not supported; ${SUPPORTED_MODELS}`,
      );
    }
  } else {
    // Very old exports lack model_type; the architecture names are then the only evidence.
    const foreign = architectures.filter((a) => !a.startsWith('Bert'));
    if (architectures.length === 0 || foreign.length > 0) {
      throw new ModelConfigError(
        file,
        `no "model_type" and architectures ${JSON.stringify(architectures)} are not BERT; ${SUPPORTED_MODELS}`,
      );
    }
  }

  const hiddenAct = f.str('hidden_act') ?? 'gelu';
  if (hiddenAct !== 'gelu') {
    f.fail('hidden_act', `is "${hiddenAct}"; only "gelu" (exact erf GELU) is supported`);
  }
  const positionType = f.str('position_embedding_type');
  if (positionType !== null && positionType !== 'absolute') {
    f.fail('position_embedding_type', `is "${positionType}"; only "absolute" is supported`);
  }

  // Upper bounds far above any BERT (large: 1024 hidden, 24 layers, 4096 intermediate), so a
  // corrupt or hostile config fails here instead of sizing parameter tables from its numbers.
  const B = BERT_DIM_LIMITS;
  const hiddenSize = f.int('hidden_size', undefined, 1, B.hidden_size);
  const numAttentionHeads = f.int('num_attention_heads', undefined, 1, B.hidden_size);
  if (hiddenSize % numAttentionHeads !== 0) {
    f.fail('hidden_size', `(${hiddenSize}) must be divisible by num_attention_heads (${numAttentionHeads})`);
  }

  return {
    hiddenSize,
    numHiddenLayers: f.int('num_hidden_layers', undefined, 1, B.num_hidden_layers),
    numAttentionHeads,
    intermediateSize: f.int('intermediate_size', undefined, 1, B.intermediate_size),
    maxPositionEmbeddings: f.int('max_position_embeddings', 512, 1, B.max_position_embeddings),
    typeVocabSize: f.int('type_vocab_size', 2, 1, B.type_vocab_size),
    vocabSize: f.int('vocab_size', undefined, 1, B.vocab_size),
    layerNormEps: f.num('layer_norm_eps', 1e-12, Number.MIN_VALUE, 1),
    hiddenAct: 'gelu',
    hiddenDropoutProb: f.num('hidden_dropout_prob', 0.1, 0, 1),
    attentionProbsDropoutProb: f.num('attention_probs_dropout_prob', 0.1, 0, 1),
    padTokenId: f.int('pad_token_id', 0, 0),
  };
}
