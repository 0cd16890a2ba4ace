// Reads the JSON configuration of a sentence-transformers model folder (or a plain Hugging Face
// BERT folder) into one typed description of the pipeline Transformer → Pooling → [Normalize].
//
// Files are fetched through a callback so the same code serves the browser (Hub / OPFS / a
// dropped folder) and Node. Every error names the file and the field, because users will hit
// these with models we do not support and need to know why.

import { type BertConfig, parseBertConfig } from './bert-config.ts';
import { Fields, type JsonObject, ModelConfigError, isObject } from './config-fields.ts';
import { type PoolingConfig, parsePoolingConfig } from './pooling-config.ts';

// The parts, for the importers of this module.
export { BERT_DIM_LIMITS, type BertConfig, parseBertConfig } from './bert-config.ts';
export { ModelConfigError } from './config-fields.ts';
export {
  POOLING_MODES, type PoolingConfig, type PoolingConfigJson, type PoolingMode, parsePoolingConfig, poolingConfigToJson,
} from './pooling-config.ts';

export type ReadText = (path: string) => Promise<string | null>;

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
