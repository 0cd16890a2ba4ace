import type { LoadedModel } from './load-model.ts';
import { poolingConfigToJson } from '../model/st-config.ts';
import { unpackWeights } from '../model/weights.ts';
import { writeSafetensors } from './safetensors.ts';
import { ONNX_FILES, writeBertOnnx, type OnnxDtype } from './onnx/bert-onnx.ts';

export interface ExportOptions {
  /** Prompts to store in config_sentence_transformers.json (e.g. {query: "query: "}). */
  readonly prompts?: Record<string, string>;
  readonly defaultPromptName?: string | null;
  /** The model card; written as README.md when given. */
  readonly modelCard?: string;
  /**
   * ONNX files for transformers.js: true (default) = onnx/model.onnx, model_fp16.onnx and
   * model_quantized.onnx; a list = those dtypes only; false or [] = none.
   */
  readonly onnx?: boolean | readonly OnnxDtype[];
}

export const ALL_ONNX_DTYPES: readonly OnnxDtype[] = ['fp32', 'fp16', 'int8'];

/** The ONNX dtypes an `onnx` option asks for, in file order. */
export function onnxDtypes(onnx: boolean | readonly OnnxDtype[] | undefined): OnnxDtype[] {
  if (onnx === undefined || onnx === true) return [...ALL_ONNX_DTYPES];
  if (onnx === false) return [];
  return ALL_ONNX_DTYPES.filter((d) => onnx.includes(d));
}

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/**
 * A sentence-transformers folder as path → bytes, in the layout most Hub models use
 * (Transformer at the root → 1_Pooling → 2_Normalize), readable by old and new
 * sentence-transformers and by our own loader. Callers write it atomically.
 */
export async function sentenceTransformersFolder(loaded: LoadedModel, options: ExportOptions = {}): Promise<Map<string, Uint8Array>> {
  const { model, layout, config } = loaded;
  const params = await model.store.readParams();
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i])) throw new Error('the model has non-finite weights (NaN or Inf); refusing to export it');
  }
  const files = new Map<string, Uint8Array>();
  const enc = new TextEncoder();
  for (const [name, text] of loaded.transformerFiles) files.set(name, enc.encode(text));
  files.set('model.safetensors', writeSafetensors(unpackWeights(layout, params), { format: 'pt' }));
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  if (model.normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
  files.set('modules.json', json(modules));
  files.set('1_Pooling/config.json', json(poolingConfigToJson(model.pooling, model.dimension)));
  // sentence-transformers writes an empty config for Normalize; it also keeps the folder.
  if (model.normalize) files.set('2_Normalize/config.json', json({}));
  files.set('sentence_bert_config.json', json({ max_seq_length: model.maxSeqLength, do_lower_case: config.doLowerCase }));
  files.set(
    'config_sentence_transformers.json',
    json({
      __version__: { sentence_transformers: '5.1.0', embedding_studio: '0.1.0' },
      prompts: options.prompts ?? config.prompts,
      default_prompt_name: options.defaultPromptName ?? config.defaultPromptName,
      similarity_fn_name: config.similarity,
    }),
  );
  if (options.modelCard) files.set('README.md', enc.encode(options.modelCard));
  for (const dtype of onnxDtypes(options.onnx)) files.set(ONNX_FILES[dtype], writeBertOnnx(layout, params, model.dims, dtype));
  return files;
}
