// hubFiles(): a sentence-transformers model from the Hugging Face Hub (or a mirror) as
// ModelFiles, downloading into the cache what is not there yet.
//
// Order matters: modules.json first (it says where the Transformer and Pooling modules live),
// then config.json (together they tell "no such repo" from "no such file"), then the rest in
// parallel so every file's size — and so the overall total — is known early.

import type { ModelFiles } from '../load-model.ts';
import type { HubCache } from './cache.ts';
import { defaultHubCache } from './default-cache.ts';
import { fetchFile, type FetchContext, type HubFileResult } from './fetch-file.ts';
import { fileMissing, repoNotFound } from './http-errors.ts';
import {
  DEFAULT_HUB_ENDPOINT, DEFAULT_HUB_MODEL, DEFAULT_HUB_REVISION, cacheKey, hubLocation, normalizeRepoPath, type HubLocation,
} from './location.ts';
import { readManifest, writeManifest, type HubManifest } from './manifest.ts';

export interface HubProgress {
  /** The file these bytes belong to (repo path). */
  readonly file: string;
  /** Bytes of this file held so far (resumed bytes included). */
  readonly loaded: number;
  /** Its size, when the server announced it. */
  readonly total: number | null;
  /** Over every file being downloaded by this call. */
  readonly overallLoaded: number;
  /** Grows while files start (a file of unknown size counts as its loaded bytes). */
  readonly overallTotal: number;
}

export interface HubOptions {
  /** Default https://huggingface.co; e.g. https://hf-mirror.com behind a firewall. */
  endpoint?: string;
  /** Access token for private or gated models; sent as "Authorization: Bearer …", never stored. */
  token?: string | null;
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Where files are kept; default: a folder in Node, Cache Storage in browsers. */
  cache?: HubCache;
  /** Node folder cache root when `cache` is not given (default ~/.cache/embedding-studio/hub). */
  cacheDir?: string;
  signal?: AbortSignal;
  onProgress?: (event: HubProgress) => void;
  /** Resumes of a cut-off body within one call (default 3). */
  retries?: number;
  /** Wait before the n-th resume: n × this (default 500 ms). */
  retryDelayMs?: number;
  /** Ignore what the cache says about a finished download and ask the server again. */
  refresh?: boolean;
  /** Injectable for tests and for proxies; default globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface HubDownload {
  readonly endpoint: string;
  readonly repo: string;
  readonly revision: string;
  readonly cacheLocation: string;
  /** true: everything came from the cache and no request was made. */
  readonly fromCache: boolean;
  readonly weights: 'safetensors' | 'onnx';
  /** Repo path of the weights file (model.safetensors, 0_Transformer/model.safetensors, onnx/model.onnx). */
  readonly weightsPath: string;
  /** The repo has only ONNX weights: loadSentenceModel reads their initializers (see io/onnx/onnx-weights.ts). */
  readonly onnxOnly: boolean;
  readonly files: readonly HubFileResult[];
  /** Optional files the repo does not have. */
  readonly absent: readonly string[];
  readonly bytesTransferred: number;
}

export type HubModelFiles = ModelFiles & { readonly downloaded: HubDownload };

/** Transformer and Pooling folders from modules.json; anything unreadable is left for st-config to report. */
function modulePaths(text: string | null): { transformer: string; pooling: string | null } {
  const none = { transformer: '', pooling: null };
  if (text === null) return none;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return none;
  }
  if (!Array.isArray(json)) return none;
  const find = (kind: string): string | null => {
    const m = json.find((e): e is { type: string; path?: unknown } => typeof e?.type === 'string' && e.type.split('.').pop() === kind);
    if (!m) return null;
    const p = typeof m.path === 'string' ? m.path.replace(/^\.\/?/, '').replace(/\/+$/, '') : '';
    return p === '' ? '' : normalizeRepoPath(p);
  };
  return { transformer: find('Transformer') ?? '', pooling: find('Pooling') };
}

function joinRepo(dir: string, file: string): string {
  return dir === '' ? file : `${dir}/${file}`;
}

/** Runs tasks in parallel; the first failure cancels the others (their partials are kept). */
async function allOrCancel<T>(signal: AbortSignal | undefined, tasks: ((signal: AbortSignal) => Promise<T>)[]): Promise<T[]> {
  const inner = new AbortController();
  const linked = signal ? AbortSignal.any([signal, inner.signal]) : inner.signal;
  let first: { error: unknown } | null = null;
  const results = await Promise.all(
    tasks.map((t) =>
      t(linked).catch((error: unknown) => {
        first ??= { error };
        inner.abort(new Error('cancelled because another file failed'));
        return null;
      }),
    ),
  );
  if (first !== null) throw (first as { error: unknown }).error;
  return results as T[];
}

function modelFiles(loc: HubLocation, cache: HubCache, downloaded: HubDownload): HubModelFiles {
  const read = (path: string) => cache.get(cacheKey(loc, path));
  const decoder = new TextDecoder();
  return {
    name: loc.revision === DEFAULT_HUB_REVISION ? loc.repo : `${loc.repo}@${loc.revision}`,
    readText: async (path) => {
      const b = await read(path);
      return b === null ? null : decoder.decode(b);
    },
    readBytes: read,
    downloaded,
  };
}

/**
 * The model `repoId` as ModelFiles read from the cache, downloading what is missing first.
 * Throws HubError (see errors.ts for the kinds) or, when cancelled, the signal's reason.
 */
export async function hubFiles(repoId: string = DEFAULT_HUB_MODEL, options: HubOptions = {}): Promise<HubModelFiles> {
  const loc = hubLocation(repoId, options.endpoint ?? DEFAULT_HUB_ENDPOINT, options.revision ?? DEFAULT_HUB_REVISION);
  const cache = options.cache ?? (await defaultHubCache(options.cacheDir));
  const summary = { endpoint: loc.endpoint, repo: loc.repo, revision: loc.revision, cacheLocation: cache.location };

  if (!options.refresh) {
    const m = await readManifest(cache, loc);
    if (m !== null && (await Promise.all(m.files.map((f) => cache.has(cacheKey(loc, f))))).every(Boolean)) {
      const files = m.files.map((path): HubFileResult => ({ path, size: null, etag: null, source: 'cache', verified: 'none', bytesTransferred: 0 }));
      return modelFiles(loc, cache, {
        ...summary, fromCache: true, weights: m.weights, weightsPath: m.weightsPath, onnxOnly: m.weights === 'onnx', files, absent: m.absent, bytesTransferred: 0,
      });
    }
  }
  if (options.refresh) {
    // Stale complete files would otherwise be taken as cache hits file by file.
    const m = await readManifest(cache, loc);
    for (const f of m?.files ?? []) await cache.delete(cacheKey(loc, f));
  }

  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const progress = new Map<string, { loaded: number; total: number | null }>();
  const base: Omit<FetchContext, 'signal'> = {
    loc,
    cache,
    fetch: fetchImpl,
    token: options.token ? options.token.trim() : null,
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 500,
    onBytes: (file, loaded, total) => {
      progress.set(file, { loaded, total });
      if (!options.onProgress) return;
      let overallLoaded = 0;
      let overallTotal = 0;
      for (const p of progress.values()) {
        overallLoaded += p.loaded;
        overallTotal += p.total ?? p.loaded;
      }
      options.onProgress({ file, loaded, total, overallLoaded, overallTotal });
    },
  };
  const ctx: FetchContext = { ...base, signal: options.signal };
  const results: HubFileResult[] = [];
  const absent: string[] = [];
  const get = async (c: FetchContext, path: string, optional: boolean): Promise<HubFileResult | null> => {
    const r = await fetchFile(c, path, optional);
    if (r === null) absent.push(path);
    else results.push(r);
    return r;
  };

  const modules = await get(ctx, 'modules.json', true);
  const modulesBytes = modules === null ? null : await cache.get(cacheKey(loc, 'modules.json'));
  const paths = modulePaths(modulesBytes === null ? null : new TextDecoder().decode(modulesBytes));
  const at = (f: string) => joinRepo(paths.transformer, f);

  const config = await get(ctx, at('config.json'), true);
  if (config === null) {
    const rc = { loc, file: at('config.json'), hasToken: base.token !== null };
    // Neither file: the repo itself is missing (or private). modules.json without its config: a broken repo.
    throw modules === null ? repoNotFound(rc, 404) : fileMissing(rc);
  }

  let weights: { kind: 'safetensors' | 'onnx'; path: string } = { kind: 'safetensors', path: at('model.safetensors') };
  const required = [at('tokenizer.json'), ...(paths.pooling === null ? [] : [joinRepo(paths.pooling, 'config.json')])];
  const optional = [
    at('tokenizer_config.json'), at('special_tokens_map.json'), at('vocab.txt'), at('sentence_bert_config.json'), 'config_sentence_transformers.json',
  ];
  await allOrCancel(options.signal, [
    ...required.map((p) => (signal: AbortSignal) => get({ ...base, signal }, p, false)),
    ...optional.map((p) => (signal: AbortSignal) => get({ ...base, signal }, p, true)),
    async (signal: AbortSignal) => {
      const c = { ...base, signal };
      if ((await get(c, weights.path, true)) !== null) return null;
      // transformers.js-style repos may carry only ONNX weights; the loader reads their initializers.
      weights = { kind: 'onnx', path: 'onnx/model.onnx' };
      if ((await get(c, weights.path, true)) !== null) return null;
      throw fileMissing({ loc, file: at('model.safetensors'), hasToken: base.token !== null }, `weights (neither ${at('model.safetensors')} nor onnx/model.onnx)`);
    },
  ]);

  const manifest: HubManifest = {
    version: 1, endpoint: loc.endpoint, repo: loc.repo, revision: loc.revision,
    weights: weights.kind, weightsPath: weights.path, files: results.map((r) => r.path), absent,
  };
  await writeManifest(cache, loc, manifest);

  return modelFiles(loc, cache, {
    ...summary,
    fromCache: results.every((r) => r.source === 'cache'),
    weights: weights.kind,
    weightsPath: weights.path,
    onnxOnly: weights.kind === 'onnx',
    files: results,
    absent,
    bytesTransferred: results.reduce((n, r) => n + r.bytesTransferred, 0),
  });
}

