import type { Backend } from '../engine/backend.ts';
import { ParamLayout, ParamStore } from '../engine/params.ts';
import { readOnnxWeights } from './onnx/onnx-weights.ts';
import { parseSafetensors } from './safetensors.ts';
import { bertParamGroups, type BertDims } from '../model/bert.ts';
import { SentenceModel } from '../model/sentence-model.ts';
import { ModelConfigError, readSentenceTransformerConfig, type BertConfig, type SentenceTransformerConfig } from '../model/st-config.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import { packWeights } from '../model/weights.ts';

/** Where a model's files come from: a folder, a zip, the Hub cache. null = file absent. */
export interface ModelFiles {
  readonly name: string;
  readText(path: string): Promise<string | null>;
  readBytes(path: string): Promise<Uint8Array | null>;
}

export interface LoadedModel {
  readonly model: SentenceModel;
  readonly config: SentenceTransformerConfig;
  readonly tokenizer: TextTokenizer;
  readonly layout: ParamLayout;
  /** The Transformer module's own text files (config, tokenizer), kept verbatim for export. */
  readonly transformerFiles: ReadonlyMap<string, string>;
  /** Which file the weights came from (path inside the model) and how it stored them. */
  readonly weightsSource: WeightsSource;
}

export interface WeightsSource {
  readonly format: 'safetensors' | 'onnx';
  readonly path: string;
  /** ONNX only: the stored dtypes, e.g. ["FLOAT16"] or ["FLOAT", "INT8 (DequantizeLinear)"]. */
  readonly storage?: readonly string[];
}

/** ONNX files read when a model has no model.safetensors, best precision first (transformers.js' names). */
export const ONNX_WEIGHT_FILES = ['onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx'] as const;

/** Files copied as they are into an exported model (whichever of them the source has). */
export const TRANSFORMER_TEXT_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'] as const;

export function bertDims(c: BertConfig): BertDims {
  return {
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numHiddenLayers,
    numHeads: c.numAttentionHeads,
    intermediateSize: c.intermediateSize,
    maxPositions: c.maxPositionEmbeddings,
    typeVocabSize: c.typeVocabSize,
    layerNormEps: c.layerNormEps,
    hiddenDropout: c.hiddenDropoutProb,
    attentionDropout: c.attentionProbsDropoutProb,
  };
}

async function readJson(files: ModelFiles, path: string): Promise<unknown> {
  const text = await files.readText(path);
  if (text === null) throw new Error(`${files.name}: ${path} is missing`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${files.name}/${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Reads a sentence-transformers (or plain Hugging Face BERT) folder onto a backend. */
export async function loadSentenceModel(files: ModelFiles, backend: Backend): Promise<LoadedModel> {
  let config: SentenceTransformerConfig;
  try {
    config = await readSentenceTransformerConfig((p) => files.readText(p));
  } catch (e) {
    // Config errors name the file inside the model; say which model too.
    if (!(e instanceof ModelConfigError)) throw e;
    const prefix = `${e.file}: `;
    throw new ModelConfigError(`${files.name}/${e.file}`, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message);
  }
  const dims = bertDims(config.bert);
  // Older models keep the transformer's files in a module folder such as 0_Transformer/.
  const at = (p: string) => (config.transformerPath ? `${config.transformerPath}/${p}` : p);
  const tokenizerConfig = (await files.readText(at('tokenizer_config.json'))) === null ? {} : await readJson(files, at('tokenizer_config.json'));
  const tokenizer = new TextTokenizer(await readJson(files, at('tokenizer.json')), tokenizerConfig, { doLowerCase: config.doLowerCase });
  if (tokenizer.vocabSize > dims.vocabSize) {
    throw new Error(`${files.name}: the tokenizer has ${tokenizer.vocabSize} tokens but the embedding matrix only ${dims.vocabSize} rows`);
  }
  const layout = new ParamLayout(bertParamGroups(dims));
  const weights = await readWeights(files, at, layout);
  if (weights.source.format === 'onnx') config = { ...config, warnings: [...config.warnings, onnxWarning(weights.source)] };
  const store = new ParamStore(backend, layout, weights.values);
  const maxSeqLength = Math.min(config.maxSeqLength, dims.maxPositions);
  const model = new SentenceModel(store, dims, tokenizer, config.pooling, config.normalize, maxSeqLength);
  const transformerFiles = new Map<string, string>();
  for (const f of TRANSFORMER_TEXT_FILES) {
    const text = await files.readText(at(f));
    if (text !== null) transformerFiles.set(f, text);
  }
  return { model, config, tokenizer, layout, transformerFiles, weightsSource: weights.source };
}

/**
 * model.safetensors when there is one; otherwise the initializers of an ONNX export (a
 * transformers.js-only repo), mapped to the same parameter names.
 */
async function readWeights(files: ModelFiles, at: (p: string) => string, layout: ParamLayout): Promise<{ values: Float32Array; source: WeightsSource }> {
  const safetensors = at('model.safetensors');
  const bytes = await files.readBytes(safetensors);
  if (bytes) {
    const parsed = parseSafetensors(bytes, `${files.name}/${safetensors}`);
    return { values: packWeights(layout, parsed.tensors, `${files.name}/${safetensors}`), source: { format: 'safetensors', path: safetensors } };
  }
  // The onnx/ folder sits at the repo root in transformers.js layouts, even beside a 0_Transformer/.
  const candidates = [...new Set([...ONNX_WEIGHT_FILES, ...ONNX_WEIGHT_FILES.map(at)])];
  for (const path of candidates) {
    const onnx = await files.readBytes(path);
    if (!onnx) continue;
    const source = `${files.name}/${path}`;
    const read = readOnnxWeights(onnx, source);
    try {
      return { values: packWeights(layout, read.tensors, source), source: { format: 'onnx', path, storage: read.storage } };
    } catch (e) {
      if (!(e instanceof Error) || !/missing tensor/.test(e.message)) throw e;
      const why = read.contribOps.length > 0
        ? `the graph uses ${read.contribOps.slice(0, 4).join(', ')} (an onnxruntime-optimized export), whose fused weights are not read; use the plain export`
        : 'ONNX weights are matched by name, and Linear weights by following each MatMul to the bias added to its output';
      throw new Error(`${e.message} (${why})`);
    }
  }
  throw new Error(`${files.name}: no weights found: neither ${safetensors} nor ${ONNX_WEIGHT_FILES.join(' / ')}`);
}

function onnxWarning(source: WeightsSource): string {
  const storage = source.storage?.join(' + ') ?? 'FLOAT';
  const precision = source.storage?.some((s) => s !== 'FLOAT' && s !== 'DOUBLE')
    ? ' They carry the reduced precision they were stored in; fine-tuning starts from those rounded values.'
    : '';
  return `Weights were read from the ONNX file ${source.path} (initializers stored as ${storage}): this model has no model.safetensors.${precision} Exports write model.safetensors.`;
}
