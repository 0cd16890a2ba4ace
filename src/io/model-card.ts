import type { LoadedModel } from './load-model.ts';
import { poolingConfigToJson, type PoolingConfig, type PoolingMode, type SimilarityFn } from '../model/st-config.ts';

/**
 * README.md for an exported model, laid out like the cards sentence-transformers generates
 * (YAML front matter the Hub indexes, then Model Details / Usage / Training Details /
 * Evaluation), so people find the sections where they expect them.
 */

export type CardValue = string | number | boolean | null;

export interface TrainingDatasetInfo {
  /** Hub id or file name. */
  readonly name?: string;
  readonly size: number;
  /** Column names in order, e.g. ['anchor', 'positive', 'negative']. */
  readonly columns: readonly string[];
  /** How the rows are read, e.g. '(anchor, positive, negative) triplets'. */
  readonly shape?: string;
  readonly evalSize?: number;
}

export interface TrainingInfo {
  readonly dataset: TrainingDatasetInfo;
  /** sentence-transformers' class name, e.g. 'MultipleNegativesRankingLoss', with its arguments. */
  readonly loss: { readonly name: string; readonly parameters: Readonly<Record<string, CardValue>> };
  /** Every hyperparameter, under sentence-transformers' argument names where one exists. */
  readonly hyperparameters: Readonly<Record<string, CardValue>>;
  readonly steps?: number;
  readonly epochs?: number;
  readonly durationSeconds?: number;
  /** Where it ran, e.g. 'WebGPU (NVIDIA GeForce RTX 4070, adapter "nvidia" / "ampere")' or 'CPU (Node 20)'. */
  readonly hardware?: string;
  readonly finalLoss?: number;
}

export interface MetricRow {
  readonly name: string;
  readonly before?: number | null;
  readonly after: number;
}

export interface ModelCardInfo {
  /** Used in the snippets; defaults to a placeholder path. */
  readonly modelId?: string;
  readonly baseModel?: string | null;
  readonly language?: readonly string[];
  readonly license?: string;
  readonly maxSeqLength: number;
  readonly dimension: number;
  readonly similarity: SimilarityFn;
  readonly pooling: PoolingConfig;
  readonly normalize: boolean;
  readonly prompts?: Readonly<Record<string, string>>;
  readonly defaultPromptName?: string | null;
  /** Whether onnx/model{,_fp16,_quantized}.onnx are in the folder (default true), or which of them (fp32, fp16, int8). */
  readonly onnx?: boolean | readonly ('fp32' | 'fp16' | 'int8')[];
  readonly exampleSentences?: readonly string[];
  readonly training?: TrainingInfo;
  readonly evaluation?: { readonly dataset?: string; readonly metrics: readonly MetricRow[] };
  readonly studioVersion?: string;
}

export type TransformersJsPooling = 'mean' | 'cls' | 'last_token';

/**
 * What `pipeline('feature-extraction')` in transformers.js can reproduce. Its `pooling` option
 * knows only 'none' | 'mean' | 'cls' | 'first_token' | 'eos' | 'last_token', its mean pooling
 * counts every unmasked token (no prompt exclusion), and 'last_token' takes the last position,
 * which is padding when texts of different lengths share a call.
 */
export function transformersJsPooling(pooling: PoolingConfig, hasPrompts: boolean): { pooling: TransformersJsPooling | null; caveat?: string } {
  if (!pooling.includePrompt && hasPrompts && pooling.mode !== 'cls') {
    return { pooling: null, caveat: 'this model excludes prompt tokens from pooling (include_prompt = false), which the transformers.js pipeline cannot do' };
  }
  switch (pooling.mode) {
    case 'mean':
      return { pooling: 'mean' };
    case 'cls':
      return { pooling: 'cls' };
    case 'lasttoken':
      return { pooling: 'last_token', caveat: "transformers.js' last_token takes the last position, padding included: embed one text per call" };
    default:
      return { pooling: null, caveat: `the transformers.js pipeline has no '${pooling.mode}' pooling` };
  }
}

function hasOnnx(info: ModelCardInfo): boolean {
  return info.onnx === undefined || info.onnx === true || (Array.isArray(info.onnx) && info.onnx.length > 0);
}

const SIMILARITY_NAMES: Record<SimilarityFn, string> = {
  cosine: 'Cosine Similarity',
  dot: 'Dot Product',
  euclidean: 'Negative Euclidean Distance',
  manhattan: 'Negative Manhattan Distance',
};

const POOLING_NAMES: Record<PoolingMode, string> = {
  mean: 'mean of token embeddings',
  cls: '[CLS] token',
  max: 'max over token embeddings',
  mean_sqrt_len_tokens: 'sum of token embeddings / √length',
  weightedmean: 'position-weighted mean of token embeddings',
  lasttoken: 'last token',
};

/** JSON strings are valid YAML and Python/JS string literals, with every escape handled. */
const q = (s: string) => JSON.stringify(s);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (v: CardValue) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)).toString() : String(v));

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.round(seconds % 60);
  return h > 0 ? `${h} h ${m} min ${s} s` : m > 0 ? `${m} min ${s} s` : `${(Math.round(seconds * 10) / 10).toString()} s`;
}

function frontMatter(info: ModelCardInfo): string {
  const lines = ['---', 'tags:', '- sentence-transformers', '- sentence-similarity', '- feature-extraction', '- dense', '- embedding-studio'];
  if (hasOnnx(info)) lines.push('- onnx', '- transformers.js');
  if (info.baseModel) lines.push(`base_model: ${q(info.baseModel)}`);
  if (info.language?.length) lines.push('language:', ...info.language.map((l) => `- ${q(l)}`));
  if (info.license) lines.push(`license: ${q(info.license)}`);
  if (info.training?.dataset.name) lines.push('datasets:', `- ${q(info.training.dataset.name)}`);
  lines.push('pipeline_tag: sentence-similarity', 'library_name: sentence-transformers', '---');
  return lines.join('\n');
}

function details(info: ModelCardInfo): string {
  const prompts = Object.entries(info.prompts ?? {});
  const lines = [
    '## Model Details',
    '',
    '### Model Description',
    '- **Model Type:** Sentence Transformer',
    `- **Base model:** ${info.baseModel ? `[${info.baseModel}](https://huggingface.co/${info.baseModel})` : 'none (trained from the weights given)'}`,
    `- **Maximum Sequence Length:** ${info.maxSeqLength} tokens`,
    `- **Output Dimensionality:** ${info.dimension} dimensions`,
    `- **Similarity Function:** ${SIMILARITY_NAMES[info.similarity]}`,
    `- **Pooling:** ${info.pooling.mode} (${POOLING_NAMES[info.pooling.mode]}${info.pooling.includePrompt ? '' : ', prompt tokens excluded'})`,
    `- **Normalize:** ${info.normalize ? 'yes (unit-length embeddings)' : 'no'}`,
  ];
  if (info.language?.length) lines.push(`- **Language:** ${info.language.join(', ')}`);
  if (info.license) lines.push(`- **License:** ${info.license}`);
  if (prompts.length > 0) {
    lines.push('', '### Prompts', '', '| Name | Prompt |', '|:--|:--|');
    for (const [name, prompt] of prompts) lines.push(`| ${cell(name)}${name === info.defaultPromptName ? ' (default)' : ''} | \`${cell(prompt)}\` |`);
  }
  const py = (v: unknown) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  const poolingArgs = Object.entries(poolingConfigToJson(info.pooling, info.dimension)).map(([k, v]) => `'${k}': ${py(v)}`);
  lines.push(
    '',
    '### Full Model Architecture',
    '',
    '```',
    'SentenceTransformer(',
    `  (0): Transformer({'max_seq_length': ${info.maxSeqLength}, 'architecture': 'BertModel'})`,
    `  (1): Pooling({${poolingArgs.join(', ')}})`,
  );
  if (info.normalize) lines.push('  (2): Normalize()');
  lines.push(')', '```');
  return lines.join('\n');
}

function pythonUsage(info: ModelCardInfo, id: string, sentences: readonly string[]): string {
  const prompts = Object.entries(info.prompts ?? {});
  const lines = [
    '### Direct Usage (Sentence Transformers)',
    '',
    'First install the Sentence Transformers library:',
    '',
    '```bash',
    'pip install -U sentence-transformers',
    '```',
    '',
    'Then you can load this model and run inference.',
    '```python',
    'from sentence_transformers import SentenceTransformer',
    '',
    `model = SentenceTransformer(${q(id)})`,
    'sentences = [',
    ...sentences.map((s) => `    ${q(s)},`),
    ']',
  ];
  if (prompts.length > 0) {
    for (const [name, prompt] of prompts) lines.push(`${name}_embeddings = model.encode(sentences, prompt=${q(prompt)})  # the "${name}" prompt`);
    const first = prompts[0][0];
    lines.push(`print(${first}_embeddings.shape)`, `# [${sentences.length}, ${info.dimension}]`, '', `similarities = model.similarity(${first}_embeddings, ${first}_embeddings)`);
  } else {
    lines.push('embeddings = model.encode(sentences)', 'print(embeddings.shape)', `# [${sentences.length}, ${info.dimension}]`, '', 'similarities = model.similarity(embeddings, embeddings)');
  }
  lines.push('print(similarities)', '```');
  return lines.join('\n');
}

function jsUsage(info: ModelCardInfo, id: string, sentences: readonly string[]): string {
  const prompts = Object.entries(info.prompts ?? {});
  const { pooling, caveat } = transformersJsPooling(info.pooling, prompts.length > 0);
  const prefix = prompts.length > 0 ? prompts.find(([n]) => n === info.defaultPromptName) ?? prompts[0] : null;
  const texts = prefix ? `sentences.map((s) => ${q(prefix[1])} + s)` : 'sentences';
  const lines = [
    '### Direct Usage (Transformers.js)',
    '',
    '```bash',
    'npm i @huggingface/transformers',
    '```',
    '',
    '```js',
    "import { pipeline } from '@huggingface/transformers';",
    '',
    `// dtype picks the file: 'fp32' → onnx/model.onnx, 'fp16' → onnx/model_fp16.onnx, 'q8' → onnx/model_quantized.onnx`,
    `const extractor = await pipeline('feature-extraction', ${q(id)}, { dtype: 'fp32' });`,
    `const sentences = [${sentences.map(q).join(', ')}];`,
  ];
  if (prefix) lines.push(`// transformers.js does not add prompts itself: prepend the "${prefix[0]}" prompt by hand.`);
  if (pooling && !caveat) {
    lines.push(`const embeddings = await extractor(${texts}, { pooling: '${pooling}', normalize: ${info.normalize} });`, `console.log(embeddings.dims); // [${sentences.length}, ${info.dimension}]`);
  } else if (pooling) {
    lines.push(
      `// Note: ${caveat}.`,
      `const embeddings = await Promise.all(${texts}.map((s) => extractor(s, { pooling: '${pooling}', normalize: ${info.normalize} })));`,
    );
  } else {
    lines.push(
      `// Note: ${caveat}; take the token embeddings and pool them as sentence-transformers does.`,
      `const tokens = await extractor(${texts}, { pooling: 'none' }); // [batch, tokens, ${info.dimension}], padded`,
    );
  }
  lines.push('```');
  lines.push(
    '',
    `_Texts longer than ${info.maxSeqLength} tokens: transformers.js truncates them without keeping the final [SEP] token, ` +
      'where sentence-transformers keeps it, so their embeddings differ slightly; shorten long texts to get identical results._',
  );
  if (!hasOnnx(info)) lines.push('', '_This export has no `onnx/` folder; run the ONNX export before using it from transformers.js._');
  return lines.join('\n');
}

function training(t: TrainingInfo): string {
  const d = t.dataset;
  const lines = ['## Training Details', '', '### Training Dataset', ''];
  if (d.name) lines.push(`#### ${d.name}`, '');
  lines.push(`- Size: ${d.size.toLocaleString('en-US')} training samples${d.evalSize ? `, ${d.evalSize.toLocaleString('en-US')} evaluation samples` : ''}`);
  lines.push(`- Columns: ${d.columns.map((c) => `<code>${c}</code>`).join(', ')}`);
  if (d.shape) lines.push(`- Shape: ${d.shape}`);
  lines.push(`- Loss: <code>${t.loss.name}</code> with these parameters:`, '  ```json', ...JSON.stringify(t.loss.parameters, null, 4).split('\n').map((l) => `  ${l}`), '  ```');
  lines.push('', '### Training Hyperparameters', '');
  for (const [k, v] of Object.entries(t.hyperparameters)) lines.push(`- \`${k}\`: ${fmt(v)}`);
  const run: string[] = [];
  if (t.epochs !== undefined) run.push(`- Epochs: ${t.epochs}`);
  if (t.steps !== undefined) run.push(`- Steps: ${t.steps}`);
  if (t.finalLoss !== undefined) run.push(`- Final training loss: ${fmt(t.finalLoss)}`);
  if (t.durationSeconds !== undefined) run.push(`- Training time: ${duration(t.durationSeconds)}`);
  if (t.hardware) run.push(`- Hardware: ${t.hardware}`);
  if (run.length > 0) lines.push('', '### Training Run', '', ...run);
  return lines.join('\n');
}

function evaluation(e: NonNullable<ModelCardInfo['evaluation']>): string {
  const lines = ['## Evaluation', ''];
  if (e.dataset) lines.push(`Evaluated on ${e.dataset}.`, '');
  lines.push('| Metric | Before | After | Change |', '|:--|--:|--:|--:|');
  const n = (v: number) => v.toFixed(4);
  for (const m of e.metrics) {
    const before = m.before ?? null;
    lines.push(`| ${cell(m.name)} | ${before === null ? '—' : n(before)} | **${n(m.after)}** | ${before === null ? '—' : `${m.after - before >= 0 ? '+' : ''}${n(m.after - before)}`} |`);
  }
  return lines.join('\n');
}

export function modelCard(info: ModelCardInfo): string {
  const id = info.modelId ?? 'path/to/this-model';
  const sentences = info.exampleSentences?.length ? info.exampleSentences.slice(0, 3) : ['The weather is lovely today.', "It's so sunny outside!", 'He drove to the stadium.'];
  const base = info.baseModel ? ` based on ${info.baseModel}` : '';
  const intro =
    `This is a [sentence-transformers](https://www.SBERT.net) model${info.baseModel ? ` finetuned from [${info.baseModel}](https://huggingface.co/${info.baseModel})` : ''}` +
    ` with Embedding Studio. It maps sentences to a ${info.dimension}-dimensional dense vector space` +
    ' and can be used for semantic textual similarity, semantic search, paraphrase mining, classification, clustering, and more.';
  const sections = [
    frontMatter(info),
    '',
    `# SentenceTransformer${base}`,
    '',
    intro,
    '',
    details(info),
    '',
    '## Usage',
    '',
    pythonUsage(info, id, sentences),
    '',
    jsUsage(info, id, sentences),
  ];
  if (info.training) sections.push('', training(info.training));
  if (info.evaluation?.metrics.length) sections.push('', evaluation(info.evaluation));
  const dtypes = info.onnx === undefined || info.onnx === true ? ['fp32', 'fp16', 'int8'] : info.onnx === false ? [] : info.onnx;
  const layout = `sentence-transformers folder layout (safetensors weights)${dtypes.length > 0 ? `, with ONNX files (${dtypes.join(', ')}) for transformers.js` : ''}`;
  sections.push('', '## Framework Versions', '', `- Embedding Studio: ${info.studioVersion ?? '0.1.0'}`, `- Exported in the ${layout}`, '');
  return sections.join('\n');
}

/** The card fields a loaded model already knows (add training and evaluation to them). */
export function modelCardBasics(loaded: Pick<LoadedModel, 'model' | 'config'>): Pick<ModelCardInfo, 'maxSeqLength' | 'dimension' | 'similarity' | 'pooling' | 'normalize' | 'prompts' | 'defaultPromptName'> {
  const { model, config } = loaded;
  return {
    maxSeqLength: model.maxSeqLength,
    dimension: model.dimension,
    similarity: config.similarity,
    pooling: { mode: model.pooling.mode, includePrompt: model.pooling.includePrompt },
    normalize: model.normalize,
    prompts: config.prompts,
    defaultPromptName: config.defaultPromptName,
  };
}
