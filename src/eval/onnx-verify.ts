/**
 * "What you evaluated is what you ship": the exported onnx/*.onnx files, loaded back the way their
 * users load them — transformers.js' feature-extraction pipeline (onnxruntime-web in the browser,
 * onnxruntime-node in Node) — and compared with the engine's own embeddings and retrieval metrics.
 *
 * Nothing leaves the page: the exported files are served to transformers.js from memory through
 * its custom-cache hook, remote models are off, and the page's worker points onnxruntime-web at
 * wasm files served from our own origin (see configureOnnxRuntime and studio.worker.ts).
 */
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { transformersJsPooling } from '../io/model-card.ts';
import { poolTokenStates } from '../model/token-states.ts';
import type { ProgressCallback } from '../shared/events.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';
import type { RetrievalSettings } from '../shared/settings.ts';
import type { OnnxVerification, OnnxVerificationDtype, OnnxVerificationReport, VerificationTexts } from './onnx-texts.ts';

type Transformers = typeof import('@huggingface/transformers');
export type TransformersEnv = Transformers['env'];

/** The files each dtype reads, as transformers.js names them (`dtype: 'q8'` → model_quantized.onnx). */
export const ONNX_VARIANTS: readonly { dtype: OnnxVerificationDtype; file: string; pipelineDtype: 'fp32' | 'fp16' | 'q8' }[] = [
  { dtype: 'fp32', file: 'onnx/model.onnx', pipelineDtype: 'fp32' },
  { dtype: 'fp16', file: 'onnx/model_fp16.onnx', pipelineDtype: 'fp16' },
  { dtype: 'int8', file: 'onnx/model_quantized.onnx', pipelineDtype: 'q8' },
];

/**
 * Largest |onnx − engine| a file may show on unit-length embeddings (scaled by the largest
 * embedding norm when the export does not normalise). fp32 is the same arithmetic in another
 * order; fp16 and int8 are what those formats cost on small BERTs (measured ~1e-4 and ~1e-3).
 */
export const ONNX_TOLERANCE: Readonly<Record<OnnxVerificationDtype, number>> = { fp32: 1e-3, fp16: 2e-2, int8: 5e-2 };



// ---- transformers.js, offline and from memory ---------------------------------------------------

/** Where transformers.js believes local models live; nothing is ever fetched from here. */
const MEMORY_ROOT = '/__embedding-studio-onnx__/';

const models = new Map<string, ReadonlyMap<string, Uint8Array>>();
let nextModel = 0;

/**
 * transformers.js asks its cache for a file under two keys: the local path
 * (`${localModelPath}${id}/${file}`) and the Hub URL it would have used (`…/${id}/resolve/main/${file}`),
 * and in Node it reads a hit back under the second. Both name the same in-memory file.
 */
function lookup(key: string): Uint8Array | undefined {
  const at = key.indexOf(MEMORY_ROOT);
  if (at >= 0) {
    const rest = key.slice(at + MEMORY_ROOT.length);
    const slash = rest.indexOf('/');
    return slash < 0 ? undefined : models.get(rest.slice(0, slash))?.get(rest.slice(slash + 1));
  }
  const hub = /\/(embedding-studio-export-\d+)\/resolve\/[^/]+\/(.+)$/.exec(key);
  return hub ? models.get(hub[1])?.get(decodeURIComponent(hub[2])) : undefined;
}

/** transformers.js' custom cache (the Web Cache API's match/put): answers from the in-memory exports only. */
const memoryCache = {
  async match(request: string): Promise<Response | undefined> {
    const bytes = lookup(String(request));
    if (!bytes) return undefined;
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
  },
  async put(): Promise<void> {
    // Nothing to keep: the files are already in memory.
  },
};

let setupHook: (() => void | Promise<void>) | null = null;
let runtime: Promise<Transformers> | null = null;

/**
 * Environment-specific onnxruntime settings, run once before transformers.js is first imported:
 * the browser worker sets onnxruntime-web's wasm paths to our own origin and the thread count
 * there, so transformers.js (which fills in a CDN path only when none is set) never picks one.
 * Call before the first verification.
 */
export function configureOnnxRuntime(setup: () => void | Promise<void>): void {
  setupHook = setup;
}

function transformers(): Promise<Transformers> {
  runtime ??= (async () => {
    await setupHook?.();
    const t = await import('@huggingface/transformers');
    const env = t.env;
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = MEMORY_ROOT;
    env.useBrowserCache = false;
    env.useFSCache = false;
    env.useCustomCache = true;
    env.customCache = memoryCache;
    // No pre-loading of the wasm into a cache / blob URL: onnxruntime fetches it itself, from our origin.
    env.useWasmCache = false;
    // A file transformers.js asks for that the export lacks (it probes optional configs) is a 404 here, never a request.
    const fetchOriginal = env.fetch;
    env.fetch = (input: string | URL, init?: RequestInit) =>
      String(input).includes(MEMORY_ROOT) ? Promise.resolve(new Response(null, { status: 404 })) : fetchOriginal(input, init);
    return t;
  })();
  runtime.catch(() => (runtime = null));
  return runtime;
}

function runtimeName(env: TransformersEnv): string {
  if (typeof process !== 'undefined' && process.release?.name === 'node') return 'onnxruntime-node';
  const threads = Number(env.backends.onnx?.wasm?.numThreads ?? 1) || 1;
  return `onnxruntime-web (wasm, ${threads} thread${threads === 1 ? '' : 's'})`;
}

// ---- which texts --------------------------------------------------------------------------------


export interface Affixes {
  readonly prefix: string;
  readonly suffix: string;
}

export interface OnnxVerifyInput {
  /** The exported folder (path → bytes), as sentenceTransformersFolder wrote it. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly settings: RetrievalSettings;
  /** The query and corpus templates split around {text} (Workspace's parseTemplate): prefix = the prompt. */
  readonly templates: { readonly query: Affixes; readonly corpus: Affixes };
  readonly texts: VerificationTexts;
  /** The engine's truncation length in tokens, special tokens included (SentenceModel.maxSeqLength). */
  readonly maxSeqLength: number;
  /** The engine's embeddings of `texts` under `settings`: [queries, D] and [corpus, D]. */
  readonly engine: { readonly queries: Float32Array; readonly corpus: Float32Array; readonly dimension: number };
  /** Retrieval metrics of a query/corpus embedding pair (needed with `texts.relevant`). */
  readonly score?: (queries: Float32Array, corpus: Float32Array, dimension: number) => RetrievalMetrics;
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
  /** Which files to check (default: all three). */
  readonly dtypes?: readonly OnnxVerificationDtype[];
  /** Texts per pipeline call when transformers.js pools (default 8). */
  readonly batchSize?: number;
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new DOMException('ONNX verification cancelled', 'AbortError');
}

/** Largest component difference, smallest row cosine, and the largest engine row norm, over the rows `include` keeps. */
export function compareEmbeddings(
  onnx: Float32Array, engine: Float32Array, dimension: number, include: (row: number) => boolean = () => true,
): { maxAbsDiff: number; minCosine: number; maxNorm: number } {
  if (onnx.length !== engine.length) throw new Error(`ONNX gave ${onnx.length / dimension} × ${dimension} values where the engine has ${engine.length / dimension}`);
  let maxAbsDiff = 0, minCosine = Infinity, maxNorm = 0;
  for (let r = 0; r < engine.length / dimension; r++) {
    if (!include(r)) continue;
    let dot = 0, na = 0, nb = 0;
    for (let h = r * dimension; h < (r + 1) * dimension; h++) {
      const a = onnx[h], b = engine[h];
      const d = Math.abs(a - b);
      if (!(d <= maxAbsDiff)) maxAbsDiff = Number.isNaN(d) ? NaN : d;
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    minCosine = Math.min(minCosine, dot / Math.max(Math.sqrt(na * nb), 1e-30));
    maxNorm = Math.max(maxNorm, Math.sqrt(nb));
  }
  return { maxAbsDiff, minCosine: minCosine === Infinity ? 1 : minCosine, maxNorm };
}

interface Embedder {
  readonly description: string;
  embed(texts: readonly string[], prefix: string, suffix: string, onDone: (n: number) => void, signal?: AbortSignal): Promise<Float32Array>;
}

/**
 * How a user of the export gets sentence vectors from the pipeline: its own pooling where
 * transformers.js has the mode (what the model card tells them to call), otherwise the token
 * embeddings (`pooling: 'none'`, one text per call so there is no padding) pooled with the
 * engine's rules. Prompts are prepended to the text, as the model card says.
 */
function embedder(extractor: FeatureExtractionPipeline, settings: RetrievalSettings, hasPrompts: boolean, batchSize: number): Embedder {
  const { pooling, caveat } = transformersJsPooling({ mode: settings.pooling, includePrompt: settings.includePrompt }, hasPrompts);
  if (pooling && !caveat) {
    return {
      description: `transformers.js pooling '${pooling}'${settings.normalize ? ', normalize' : ''}`,
      async embed(texts, prefix, suffix, onDone, signal) {
        const parts: Float32Array[] = [];
        for (let i = 0; i < texts.length; i += batchSize) {
          aborted(signal);
          const batch = texts.slice(i, i + batchSize).map((t) => prefix + t + suffix);
          const out = await extractor(batch, { pooling, normalize: settings.normalize });
          parts.push(Float32Array.from(out.data as ArrayLike<number>));
          out.dispose?.();
          onDone(batch.length);
        }
        const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) (all.set(p, at), (at += p.length));
        return all;
      },
    };
  }
  return {
    description: `token embeddings (pooling 'none') pooled as '${settings.pooling}'${settings.includePrompt ? '' : ' without the prompt'}${settings.normalize ? ', normalized' : ''}`,
    async embed(texts, prefix, suffix, onDone, signal) {
      // The prompt's tokens, [CLS] included and [SEP] not: what sentence-transformers masks when include_prompt is false.
      let promptLength = 0;
      if (prefix) {
        const encoded = await extractor.tokenizer(prefix, { add_special_tokens: true });
        promptLength = Math.max(0, (encoded.input_ids.dims.at(-1) ?? 1) - 1);
      }
      const states: Float32Array[] = [];
      let dimension = 0;
      for (const text of texts) {
        aborted(signal);
        const out = await extractor(prefix + text + suffix, { pooling: 'none' });
        dimension = out.dims.at(-1)!;
        states.push(Float32Array.from(out.data as ArrayLike<number>));
        out.dispose?.();
        onDone(1);
      }
      return poolTokenStates({ dimension, states, promptLengths: texts.map(() => promptLength) }, settings.pooling, settings.normalize, settings.includePrompt);
    },
  };
}

/**
 * Loads each exported ONNX file through transformers.js, embeds the texts, and compares with the
 * engine: largest component difference, smallest cosine, and the retrieval metrics it gives.
 * A file that fails to load or run becomes a failed row with the error, not an exception.
 */
/** Which inputs are longer than the engine's max_seq_length or transformers.js' model_max_length. */
async function longInputs(extractor: FeatureExtractionPipeline, inputs: readonly string[], maxSeqLength: number): Promise<{ long: boolean[]; tokenizerMaxLength: number | null }> {
  const tokenizer = extractor.tokenizer as FeatureExtractionPipeline['tokenizer'] & { model_max_length?: number };
  const tokenizerMaxLength = Number.isFinite(tokenizer.model_max_length) ? tokenizer.model_max_length! : null;
  const limit = Math.min(maxSeqLength, tokenizerMaxLength ?? Infinity);
  const long: boolean[] = [];
  for (const text of inputs) {
    const ids = (await tokenizer(text, { add_special_tokens: true, truncation: false })).input_ids;
    long.push((ids.dims.at(-1) ?? 0) > limit);
  }
  return { long, tokenizerMaxLength };
}

export async function verifyOnnxFiles(input: OnnxVerifyInput): Promise<Omit<OnnxVerificationReport, 'engineMetrics'>> {
  const { files, settings, texts, engine, onProgress, signal } = input;
  const { prefix: qPrefix, suffix: qSuffix } = input.templates.query;
  const { prefix: cPrefix, suffix: cSuffix } = input.templates.corpus;
  const hasPrompts = Boolean((texts.queries.length > 0 && qPrefix) || cPrefix);
  const D = engine.dimension;
  const engineAll = new Float32Array(engine.queries.length + engine.corpus.length);
  engineAll.set(engine.queries, 0);
  engineAll.set(engine.corpus, engine.queries.length);
  const total = texts.queries.length + texts.corpus.length;
  if (engineAll.length !== total * D) throw new Error('the engine embeddings do not match the texts to verify');

  const t = await transformers();
  const id = `embedding-studio-export-${++nextModel}`;
  models.set(id, files);
  const rows: OnnxVerification[] = [];
  let pooling = '';
  let lengths: { long: boolean[]; tokenizerMaxLength: number | null } | null = null;
  const inputs = [...texts.queries.map((q) => qPrefix + q + qSuffix), ...texts.corpus.map((c) => cPrefix + c + cSuffix)];
  try {
    const variants = ONNX_VARIANTS.filter((v) => (input.dtypes ?? ONNX_VARIANTS.map((x) => x.dtype)).includes(v.dtype));
    for (const v of variants) {
      aborted(signal);
      const started = performance.now();
      const base = { file: v.file, dtype: v.dtype, texts: total };
      const failed = (message: string) => ({
        ...base, maxAbsDiff: NaN, minCosine: NaN, fittingMaxAbsDiff: NaN, fittingMinCosine: NaN, tolerance: ONNX_TOLERANCE[v.dtype], ok: false, message,
        milliseconds: performance.now() - started,
      });
      if (!files.has(v.file)) {
        rows.push(failed('not in the export'));
        continue;
      }
      const stage = `verifying ${v.file}`;
      onProgress?.(stage, 0, total);
      let extractor: FeatureExtractionPipeline | null = null;
      try {
        extractor = (await t.pipeline('feature-extraction', id, { dtype: v.pipelineDtype })) as FeatureExtractionPipeline;
        lengths ??= await longInputs(extractor, inputs, input.maxSeqLength);
        const how = embedder(extractor, settings, hasPrompts, input.batchSize ?? 8);
        pooling = how.description;
        let done = 0;
        const tick = (n: number) => onProgress?.(stage, (done += n), total);
        const queries = await how.embed(texts.queries, qPrefix, qSuffix, tick, signal);
        const corpus = await how.embed(texts.corpus, cPrefix, cSuffix, tick, signal);
        const onnxAll = new Float32Array(queries.length + corpus.length);
        onnxAll.set(queries, 0);
        onnxAll.set(corpus, queries.length);
        const { maxAbsDiff, minCosine, maxNorm } = compareEmbeddings(onnxAll, engineAll, D);
        const long = lengths.long;
        const fitting = compareEmbeddings(onnxAll, engineAll, D, (r) => !long[r]);
        const tolerance = ONNX_TOLERANCE[v.dtype] * (settings.normalize ? 1 : Math.max(1, maxNorm));
        const ok = fitting.maxAbsDiff <= tolerance;
        const row: OnnxVerification = {
          ...base, maxAbsDiff, minCosine, fittingMaxAbsDiff: fitting.maxAbsDiff, fittingMinCosine: fitting.minCosine, tolerance, ok,
          milliseconds: performance.now() - started,
          ...(ok ? {} : { message: Number.isNaN(fitting.maxAbsDiff) ? 'non-finite values' : `max |Δ| above ${tolerance.toExponential(0)}` }),
          ...(texts.relevant && input.score && texts.queries.length > 0 ? { metrics: input.score(queries, corpus, D) } : {}),
        };
        rows.push(row);
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        rows.push(failed((e as Error).message));
      } finally {
        await extractor?.dispose();
      }
    }
  } finally {
    models.delete(id);
  }
  return {
    rows, queries: texts.queries.length, documents: texts.corpus.length, sampled: texts.sampled, source: texts.source,
    truncatedTexts: lengths ? lengths.long.filter(Boolean).length : 0, maxSeqLength: input.maxSeqLength, tokenizerMaxLength: lengths?.tokenizerMaxLength ?? null,
    pooling: pooling || transformersJsPooling({ mode: settings.pooling, includePrompt: settings.includePrompt }, hasPrompts).pooling || settings.pooling,
    runtime: runtimeName(t.env),
  };
}
