import type { PoolingModeName } from '../../../shared/names.ts';
import type { RetrievalSettings } from '../../../shared/settings.ts';

/**
 * The `pooling` values transformers.js' feature-extraction pipeline accepts (v4.3.2,
 * src/pipelines/feature-extraction.js: none | mean | cls | first_token | eos | last_token).
 * A test reads that file so this list cannot silently drift.
 */
export const TRANSFORMERS_JS_POOLING = ['none', 'mean', 'cls', 'first_token', 'eos', 'last_token'] as const;
export type TransformersJsPooling = (typeof TRANSFORMERS_JS_POOLING)[number];

/** Our (sentence-transformers') pooling mode → the pipeline's option, where one means the same thing. */
export const PIPELINE_POOLING: Readonly<Partial<Record<PoolingModeName, TransformersJsPooling>>> = {
  mean: 'mean',
  cls: 'cls',
  lasttoken: 'last_token',
};

/** "query: {text}" → prefix "query: ", suffix "" (the worker saves only the prefix as a prompt). */
export function splitTemplate(template: string): { prefix: string; suffix: string } {
  const at = template.indexOf('{text}');
  if (at < 0) return { prefix: template, suffix: '' };
  return { prefix: template.slice(0, at), suffix: template.slice(at + '{text}'.length) };
}

export interface SnippetInput {
  readonly settings: RetrievalSettings;
  readonly modelName: string;
}

export interface Snippets {
  readonly python: string;
  readonly transformersJs: string;
  /** How the JS snippet reproduces the pooling: the pipeline's option, or pooling by hand. */
  readonly jsPath: 'pipeline' | 'pipeline-one-by-one' | 'manual';
  readonly notes: readonly string[];
}

/** A string literal valid in both Python and JavaScript. */
const lit = (s: string) => JSON.stringify(s);

function pythonSnippet(settings: RetrievalSettings): string {
  const q = splitTemplate(settings.queryTemplate), d = splitTemplate(settings.corpusTemplate);
  const texts = (name: string, suffix: string) => (suffix ? `[t + ${lit(suffix)} for t in ${name}]` : name);
  const promptArg = (prefix: string) => (prefix ? `, prompt=${lit(prefix)}` : '');
  const lines = [
    'from sentence_transformers import SentenceTransformer',
    '',
    'model = SentenceTransformer("path/to/model")  # the unzipped "model" folder',
    '',
    'queries = ["how do I reset my password?"]',
    'documents = ["Open Settings, then Security, and choose Reset password."]',
    '',
  ];
  if (q.prefix || d.prefix) {
    lines.push(
      `# The prompts are saved in config_sentence_transformers.json too: prompt_name=${q.prefix ? '"query"' : '"document"'} works as well.`,
    );
  }
  lines.push(
    `query_embeddings = model.encode(${texts('queries', q.suffix)}${promptArg(q.prefix)})`,
    `document_embeddings = model.encode(${texts('documents', d.suffix)}${promptArg(d.prefix)})`,
    `# Pooling "${settings.pooling}"${settings.includePrompt ? '' : ' (include_prompt=False)'}${settings.normalize ? ' and L2 normalisation are' : ' is'} part of the saved model.`,
    'scores = model.similarity(query_embeddings, document_embeddings)',
    'print(scores)',
  );
  return lines.join('\n');
}

const JS_HEADER = (imports: string) => [
  `import { ${imports} } from '@huggingface/transformers';`,
  '',
  "// Serve the unzipped folder as /models/model/ (or set env.localModelPath to where it lives).",
  "env.localModelPath = '/models/';",
  'env.allowRemoteModels = false;',
  '',
];

const DTYPE_COMMENT = "// dtype 'fp32' → onnx/model.onnx ('fp16' → onnx/model_fp16.onnx, 'q8' → onnx/model_quantized.onnx)";

const JS_TEXTS = [
  "const queries = ['how do I reset my password?'];",
  "const documents = ['Open Settings, then Security, and choose Reset password.'];",
];

function applyTemplate(name: string, prefix: string, suffix: string): string {
  if (!prefix && !suffix) return name;
  const parts = [prefix ? `${lit(prefix)} + ` : '', 't', suffix ? ` + ${lit(suffix)}` : ''].join('');
  return `${name}.map((t) => ${parts})`;
}

function pipelineSnippet(settings: RetrievalSettings, pooling: TransformersJsPooling, oneByOne: boolean): string {
  const q = splitTemplate(settings.queryTemplate), d = splitTemplate(settings.corpusTemplate);
  const options = `{ pooling: '${pooling}', normalize: ${settings.normalize} }`;
  const lines = [
    ...JS_HEADER('env, pipeline, cos_sim'),
    DTYPE_COMMENT,
    "const extractor = await pipeline('feature-extraction', 'model', { dtype: 'fp32' });",
    '',
    ...JS_TEXTS,
  ];
  if (oneByOne) {
    lines.push(
      '',
      "// 'last_token' takes the last position of the padded batch: embed one text per call so it is",
      "// each text's own last token, as sentence-transformers' lasttoken pooling does.",
      'async function embed(texts) {',
      '  const out = [];',
      `  for (const text of texts) out.push((await extractor(text, ${options})).tolist()[0]);`,
      '  return out;',
      '}',
      `const queryEmbeddings = await embed(${applyTemplate('queries', q.prefix, q.suffix)});`,
      `const documentEmbeddings = await embed(${applyTemplate('documents', d.prefix, d.suffix)});`,
    );
  } else {
    lines.push(
      `const queryEmbeddings = (await extractor(${applyTemplate('queries', q.prefix, q.suffix)}, ${options})).tolist();`,
      `const documentEmbeddings = (await extractor(${applyTemplate('documents', d.prefix, d.suffix)}, ${options})).tolist();`,
    );
  }
  lines.push('const scores = queryEmbeddings.map((a) => documentEmbeddings.map((b) => cos_sim(a, b)));', 'console.log(scores);');
  return lines.join('\n');
}

function manualPoolingBody(mode: PoolingModeName): string[] {
  switch (mode) {
    case 'max':
      return [
        '    const v = new Float32Array(D).fill(-1e9);',
        '    for (let t = 0; t < T; t++) {',
        '      if (!m(b, t)) continue;',
        '      for (let d = 0; d < D; d++) v[d] = Math.max(v[d], h[(b * T + t) * D + d]);',
        '    }',
      ];
    case 'cls':
      return ['    const v = Float32Array.from(h.subarray(b * T * D, b * T * D + D));'];
    case 'lasttoken':
      return [
        '    let last = 0;',
        '    for (let t = 0; t < T; t++) if (m(b, t)) last = t;',
        '    const v = Float32Array.from(h.subarray((b * T + last) * D, (b * T + last) * D + D));',
      ];
    case 'mean':
    case 'mean_sqrt_len_tokens':
    case 'weightedmean': {
      const weight = mode === 'weightedmean' ? 'm(b, t) * (t + 1)' : 'm(b, t)';
      const divide = mode === 'mean_sqrt_len_tokens' ? 'Math.sqrt(Math.max(total, 1e-9))' : 'Math.max(total, 1e-9)';
      return [
        '    const v = new Float32Array(D);',
        '    let total = 0;',
        '    for (let t = 0; t < T; t++) {',
        `      const w = ${weight};`,
        '      if (!w) continue;',
        '      total += w;',
        '      for (let d = 0; d < D; d++) v[d] += w * h[(b * T + t) * D + d];',
        '    }',
        `    const denom = ${divide};`,
        '    for (let d = 0; d < D; d++) v[d] /= denom;',
      ];
    }
  }
}

function manualSnippet(settings: RetrievalSettings): string {
  const q = splitTemplate(settings.queryTemplate), d = splitTemplate(settings.corpusTemplate);
  const mode = settings.pooling;
  const excludePrompt = !settings.includePrompt;
  const lines = [
    ...JS_HEADER('AutoModel, AutoTokenizer, env, cos_sim'),
    "const tokenizer = await AutoTokenizer.from_pretrained('model');",
    DTYPE_COMMENT,
    "const model = await AutoModel.from_pretrained('model', { dtype: 'fp32' });",
    '',
    `// sentence-transformers' Pooling(pooling_mode="${mode}"${excludePrompt ? ', include_prompt=False' : ''})${settings.normalize ? ' + Normalize()' : ''},`,
    "// done by hand: the feature-extraction pipeline has no such pooling option.",
    `async function embed(texts, prompt = '', suffix = '') {`,
    '  const inputs = tokenizer(texts.map((t) => prompt + t + suffix), { padding: true, truncation: true });',
    '  const { last_hidden_state } = await model(inputs);',
    '  const [B, T, D] = last_hidden_state.dims;',
    '  const h = last_hidden_state.data;',
    '  const mask = inputs.attention_mask.data;',
  ];
  if (excludePrompt) {
    lines.push(
      "  // include_prompt=False: the prompt's tokens (with [CLS]) are left out of the pooling.",
      '  const promptLength = prompt ? tokenizer(prompt).input_ids.dims[1] - 1 : 0;',
      '  const m = (b, t) => (t < promptLength ? 0 : Number(mask[b * T + t]));',
    );
  } else {
    lines.push('  const m = (b, t) => Number(mask[b * T + t]);');
  }
  lines.push('  const out = [];', '  for (let b = 0; b < B; b++) {', ...manualPoolingBody(mode));
  if (settings.normalize) {
    lines.push('    const norm = Math.max(Math.hypot(...v), 1e-12);', '    for (let d = 0; d < D; d++) v[d] /= norm;');
  }
  lines.push(
    '    out.push(Array.from(v));',
    '  }',
    '  return out;',
    '}',
    '',
    ...JS_TEXTS,
    `const queryEmbeddings = await embed(queries${q.prefix || q.suffix ? `, ${lit(q.prefix)}` : ''}${q.suffix ? `, ${lit(q.suffix)}` : ''});`,
    `const documentEmbeddings = await embed(documents${d.prefix || d.suffix ? `, ${lit(d.prefix)}` : ''}${d.suffix ? `, ${lit(d.suffix)}` : ''});`,
    'const scores = queryEmbeddings.map((a) => documentEmbeddings.map((b) => cos_sim(a, b)));',
    'console.log(scores);',
  );
  return lines.join('\n');
}

/** Usage snippets that reproduce THIS model's pooling, normalisation and prompts exactly. */
export function generateSnippets({ settings }: SnippetInput): Snippets {
  const q = splitTemplate(settings.queryTemplate), d = splitTemplate(settings.corpusTemplate);
  const hasPrompt = q.prefix !== '' || d.prefix !== '';
  const notes: string[] = [];
  const pipelinePooling = PIPELINE_POOLING[settings.pooling];
  // The pipeline pools over every token the mask allows; with include_prompt=False sentence-transformers
  // leaves the prompt out, which only matters for modes that look at more than one position.
  const promptMatters = !settings.includePrompt && hasPrompt && settings.pooling === 'mean';
  let jsPath: Snippets['jsPath'];
  let transformersJs: string;
  if (pipelinePooling && !promptMatters) {
    jsPath = settings.pooling === 'lasttoken' ? 'pipeline-one-by-one' : 'pipeline';
    transformersJs = pipelineSnippet(settings, pipelinePooling, jsPath === 'pipeline-one-by-one');
    if (jsPath === 'pipeline-one-by-one') {
      notes.push("transformers.js' 'last_token' pooling takes the batch's last position, a padding token for shorter texts; the snippet embeds one text per call.");
    }
  } else {
    jsPath = 'manual';
    transformersJs = manualSnippet(settings);
    notes.push(
      pipelinePooling
        ? "transformers.js' pipeline cannot leave the prompt out of mean pooling (include_prompt=False): the snippet pools the token embeddings itself."
        : `Pooling "${settings.pooling}" is not available in transformers.js' feature-extraction pipeline (it offers ${TRANSFORMERS_JS_POOLING.join(', ')}): the snippet pools the token embeddings itself.`,
    );
  }
  if (q.suffix || d.suffix) {
    notes.push('A template text after {text} is not saved in the model (sentence-transformers prompts are prefixes only): the snippets append it by hand.');
  }
  if (hasPrompt) notes.push(`Saved prompts: ${[q.prefix && `query = ${lit(q.prefix)}`, d.prefix && `document = ${lit(d.prefix)}`].filter(Boolean).join(', ')}.`);
  return { python: pythonSnippet(settings), transformersJs, jsPath, notes };
}
