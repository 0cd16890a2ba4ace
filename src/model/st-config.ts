// Reads the JSON configuration of a sentence-transformers model folder (or a plain Hugging Face
// BERT folder) into one typed description of the pipeline Transformer → Pooling → [Normalize].
//
// Files are fetched through a callback so the same code serves the browser (Hub / OPFS / a
// dropped folder) and Node. Every error names the file and the field, because users will hit
// these with models we do not support and need to know why.

export type ReadText = (path: string) => Promise<string | null>;

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

export const POOLING_MODES = ['mean', 'cls', 'max', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

export interface PoolingConfig {
  mode: PoolingMode;
  /** false: positions covered by the prompt are excluded from pooling (instructor-style models). */
  includePrompt: boolean;
}

export type SimilarityFn = 'cosine' | 'dot' | 'euclidean' | 'manhattan';

export interface SentenceTransformerConfig {
  bert: BertConfig;
  pooling: PoolingConfig;
  normalize: boolean;
  maxSeqLength: number;
  /** sentence_bert_config.json `do_lower_case`: lowercase texts before tokenising. */
  doLowerCase: boolean;
  prompts: Record<string, string>;
  defaultPromptName: string | null;
  similarity: SimilarityFn;
  /** Folder of the Transformer module ('' for the model root; '0_Transformer' in older models). */
  transformerPath: string;
  /** Folder of the Pooling module, or null when modules.json is absent (defaults were used). */
  poolingPath: string | null;
  /** Things we accepted but adjusted; meant to be shown to the user. */
  warnings: string[];
}

/** 1_Pooling/config.json as sentence-transformers 2.x/3.x write it (the most widely read form). */
export interface PoolingConfigJson {
  word_embedding_dimension: number;
  pooling_mode_cls_token: boolean;
  pooling_mode_mean_tokens: boolean;
  pooling_mode_max_tokens: boolean;
  pooling_mode_mean_sqrt_len_tokens: boolean;
  pooling_mode_weightedmean_tokens: boolean;
  pooling_mode_lasttoken: boolean;
  include_prompt: boolean;
}

export class ModelConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ModelConfigError';
  }
}

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function joinPath(dir: string, file: string): string {
  const d = dir.replace(/^\.\/?/, '').replace(/\/+$/, '');
  return d === '' ? file : `${d}/${file}`;
}

async function readJson(readText: ReadText, file: string): Promise<JsonObject | unknown[] | null> {
  const text = await readText(file);
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(file, `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(value) && !Array.isArray(value)) throw new ModelConfigError(file, 'expected a JSON object');
  return value;
}

async function readObject(readText: ReadText, file: string): Promise<JsonObject | null> {
  const v = await readJson(readText, file);
  if (v !== null && !isObject(v)) throw new ModelConfigError(file, 'expected a JSON object');
  return v;
}

/** Typed field access that reports the file and field on a wrong type. */
class Fields {
  constructor(
    readonly file: string,
    readonly obj: JsonObject,
  ) {}

  fail(field: string, what: string): never {
    throw new ModelConfigError(this.file, `"${field}" ${what}`);
  }

  has(field: string): boolean {
    return this.obj[field] !== undefined && this.obj[field] !== null;
  }

  int(field: string, fallback?: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.obj[field];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.fail(field, 'is required');
      return fallback as number;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(field, `must be an integer, got ${JSON.stringify(v)}`);
    if ((v as number) < min) this.fail(field, `must be ≥ ${min}, got ${v}`);
    if ((v as number) > max) this.fail(field, `must be ≤ ${max}, got ${v}`);
    return v as number;
  }

  num(field: string, fallback: number, min: number, max: number): number {
    const v = this.obj[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number, got ${JSON.stringify(v)}`);
    if ((v as number) < min || (v as number) > max) this.fail(field, `must be in [${min}, ${max}], got ${v}`);
    return v as number;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.obj[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  }

  str(field: string): string | null {
    const v = this.obj[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${JSON.stringify(v)}`);
    return v as string;
  }
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

const OLD_POOLING_KEYS: readonly [string, PoolingMode][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len_tokens'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];

function isPoolingMode(s: string): s is PoolingMode {
  return (POOLING_MODES as readonly string[]).includes(s);
}

/**
 * 1_Pooling/config.json in either form. sentence-transformers lets `pooling_mode` override the
 * boolean keys, so we do too. Several active modes would concatenate vectors; we refuse that.
 */
export function parsePoolingConfig(json: unknown, file = '1_Pooling/config.json', hiddenSize?: number): PoolingConfig {
  if (!isObject(json)) throw new ModelConfigError(file, 'expected a JSON object');
  const f = new Fields(file, json);
  let mode: PoolingMode;

  const modeField = json.pooling_mode;
  if (modeField !== undefined && modeField !== null) {
    const names = Array.isArray(modeField) ? modeField : [modeField];
    if (names.length !== 1 || typeof names[0] !== 'string') {
      f.fail('pooling_mode', `must be one of ${POOLING_MODES.join(', ')}; got ${JSON.stringify(modeField)}`);
    }
    const name = names[0] as string;
    if (!isPoolingMode(name)) f.fail('pooling_mode', `"${name}" is not one of ${POOLING_MODES.join(', ')}`);
    mode = name as PoolingMode;
  } else {
    const active = OLD_POOLING_KEYS.filter(([key]) => f.bool(key, false));
    if (active.length === 0) {
      throw new ModelConfigError(file, `no pooling mode set (neither "pooling_mode" nor any of ${OLD_POOLING_KEYS.map((k) => k[0]).join(', ')})`);
    }
    if (active.length > 1) {
      throw new ModelConfigError(
        file,
        `several pooling modes are true (${active.map((k) => k[0]).join(', ')}); concatenated pooling is not supported`,
      );
    }
    mode = active[0][1];
  }

  if (hiddenSize !== undefined && f.has('word_embedding_dimension')) {
    const dim = f.int('word_embedding_dimension');
    if (dim !== hiddenSize) f.fail('word_embedding_dimension', `is ${dim} but config.json hidden_size is ${hiddenSize}`);
  }
  return { mode, includePrompt: f.bool('include_prompt', true) };
}

/** The old boolean-key form, which every sentence-transformers version and transformers.js read. */
export function poolingConfigToJson(pooling: PoolingConfig, dim: number): PoolingConfigJson {
  return {
    word_embedding_dimension: dim,
    pooling_mode_cls_token: pooling.mode === 'cls',
    pooling_mode_mean_tokens: pooling.mode === 'mean',
    pooling_mode_max_tokens: pooling.mode === 'max',
    pooling_mode_mean_sqrt_len_tokens: pooling.mode === 'mean_sqrt_len_tokens',
    pooling_mode_weightedmean_tokens: pooling.mode === 'weightedmean',
    pooling_mode_lasttoken: pooling.mode === 'lasttoken',
    include_prompt: pooling.includePrompt,
  };
}

interface ModuleEntry {
  kind: string;
  path: string;
}

/** modules.json: [{idx, name, path, type}] ordered by idx. */
function parseModules(json: unknown, file = 'modules.json'): ModuleEntry[] {
  if (!Array.isArray(json)) throw new ModelConfigError(file, 'expected a JSON array of modules');
  const entries = json.map((m, i) => {
    if (!isObject(m)) throw new ModelConfigError(file, `entry ${i} must be an object`);
    const f = new Fields(file, m);
    const type = f.str('type') ?? f.fail(`[${i}].type`, 'is required');
    const idx = m.idx === undefined ? i : f.int('idx', i, 0);
    // The package path differs across versions (models.Transformer, base.modules.Transformer, …);
    // the class name is what identifies the module.
    return { idx, kind: type.slice(type.lastIndexOf('.') + 1), path: f.str('path') ?? '' };
  });
  entries.sort((a, b) => a.idx - b.idx);
  return entries.map(({ kind, path }) => ({ kind, path }));
}

const SIMILARITY: Record<string, SimilarityFn> = {
  cosine: 'cosine',
  dot: 'dot',
  dot_product: 'dot',
  euclidean: 'euclidean',
  manhattan: 'manhattan',
};

export async function readSentenceTransformerConfig(readText: ReadText): Promise<SentenceTransformerConfig> {
  const warnings: string[] = [];

  const modulesJson = await readJson(readText, 'modules.json');
  let transformerPath = '';
  let poolingPath: string | null = null;
  let normalize = false;
  if (modulesJson !== null) {
    const modules = parseModules(modulesJson);
    const kinds = modules.map((m) => m.kind);
    const shapeOk =
      (kinds.length === 2 || (kinds.length === 3 && kinds[2] === 'Normalize')) &&
      kinds[0] === 'Transformer' &&
      kinds[1] === 'Pooling';
    if (!shapeOk) {
      throw new ModelConfigError(
        'modules.json',
        `module pipeline [${kinds.join(' → ')}] is not supported; supported: Transformer → Pooling → optional Normalize`,
      );
    }
    transformerPath = modules[0].path;
    poolingPath = modules[1].path;
    normalize = kinds.length === 3;
  }

  const configFile = joinPath(transformerPath, 'config.json');
  const configJson = await readObject(readText, configFile);
  if (configJson === null) throw new ModelConfigError(configFile, 'file not found (every model folder needs one)');
  const bert = parseBertConfig(configJson, configFile);

  let pooling: PoolingConfig = { mode: 'mean', includePrompt: true };
  if (poolingPath !== null) {
    const poolingFile = joinPath(poolingPath, 'config.json');
    const poolingJson = await readObject(readText, poolingFile);
    if (poolingJson === null) throw new ModelConfigError(poolingFile, 'file not found but modules.json lists a Pooling module here');
    pooling = parsePoolingConfig(poolingJson, poolingFile, bert.hiddenSize);
  }

  const defaultMaxSeq = Math.min(512, bert.maxPositionEmbeddings);
  let maxSeqLength = defaultMaxSeq;
  let doLowerCase = false;
  const sbertFile = joinPath(transformerPath, 'sentence_bert_config.json');
  const sbertJson = await readObject(readText, sbertFile);
  if (sbertJson !== null) {
    const f = new Fields(sbertFile, sbertJson);
    maxSeqLength = f.int('max_seq_length', defaultMaxSeq);
    doLowerCase = f.bool('do_lower_case', false);
    if (maxSeqLength > bert.maxPositionEmbeddings) {
      // Python would fail with an index error on the first long text; capping serves every text.
      warnings.push(
        `${sbertFile}: max_seq_length ${maxSeqLength} exceeds max_position_embeddings ` +
          `${bert.maxPositionEmbeddings}; using ${bert.maxPositionEmbeddings}`,
      );
      maxSeqLength = bert.maxPositionEmbeddings;
    }
  }

  let prompts: Record<string, string> = {};
  let defaultPromptName: string | null = null;
  let similarity: SimilarityFn = 'cosine';
  const stFile = 'config_sentence_transformers.json';
  const stJson = await readObject(readText, stFile);
  if (stJson !== null) {
    const f = new Fields(stFile, stJson);
    if (f.has('prompts')) {
      if (!isObject(stJson.prompts)) f.fail('prompts', 'must be an object of name → prompt text');
      prompts = {};
      for (const [name, text] of Object.entries(stJson.prompts as JsonObject)) {
        if (typeof text !== 'string') f.fail(`prompts.${name}`, `must be a string, got ${JSON.stringify(text)}`);
        prompts[name] = text as string;
      }
    }
    defaultPromptName = f.str('default_prompt_name');
    if (defaultPromptName !== null && !Object.hasOwn(prompts, defaultPromptName)) {
      f.fail('default_prompt_name', `is "${defaultPromptName}" but prompts has no such entry (has: ${Object.keys(prompts).join(', ') || 'none'})`);
    }
    const sim = f.str('similarity_fn_name');
    if (sim !== null) {
      similarity = Object.hasOwn(SIMILARITY, sim)
        ? SIMILARITY[sim]
        : f.fail('similarity_fn_name', `"${sim}" is not one of cosine, dot, euclidean, manhattan`);
    }
  }

  return {
    bert,
    pooling,
    normalize,
    maxSeqLength,
    doLowerCase,
    prompts,
    defaultPromptName,
    similarity,
    transformerPath,
    poolingPath,
    warnings,
  };
}
