import type { Backend } from '../engine/backend.ts';
import { ParamLayout, ParamStore } from '../engine/params.ts';
import { parseSafetensors } from '../io/safetensors.ts';
import { bertParamGroups, type BertDims } from './bert.ts';
import { SentenceModel } from './sentence-model.ts';
import { ModelConfigError, readSentenceTransformerConfig, type BertConfig, type SentenceTransformerConfig } from './st-config.ts';
import { TextTokenizer } from './tokenizer.ts';
import { packWeights } from './weights.ts';

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
}

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
  const bytes = await files.readBytes(at('model.safetensors'));
  if (!bytes) throw new Error(`${files.name}: model.safetensors is missing (only safetensors weights are read here)`);
  const weights = parseSafetensors(bytes, `${files.name}/model.safetensors`);
  const layout = new ParamLayout(bertParamGroups(dims));
  const store = new ParamStore(backend, layout, packWeights(layout, weights.tensors, `${files.name}/model.safetensors`));
  const maxSeqLength = Math.min(config.maxSeqLength, dims.maxPositions);
  const model = new SentenceModel(store, dims, tokenizer, config.pooling, config.normalize, maxSeqLength);
  const transformerFiles = new Map<string, string>();
  for (const f of TRANSFORMER_TEXT_FILES) {
    const text = await files.readText(at(f));
    if (text !== null) transformerFiles.set(f, text);
  }
  return { model, config, tokenizer, layout, transformerFiles };
}
