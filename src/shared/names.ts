/**
 * The names both sides of the worker boundary use for the studio's choices, under
 * sentence-transformers' own spellings where it has one. Plain data only: this folder imports
 * nothing, so the page can name a loss or a backend without loading the engine.
 */

/** sentence-transformers' loss classes, by the id the studio, its CLI and its saved runs use. */
export const LOSS_NAMES = {
  mnrl: 'MultipleNegativesRankingLoss',
  cosine: 'CosineSimilarityLoss',
  cosent: 'CoSENTLoss',
  triplet: 'TripletLoss',
} as const;
export type LossId = keyof typeof LOSS_NAMES;

export function isLossId(value: string): value is LossId {
  return Object.hasOwn(LOSS_NAMES, value);
}

/** sentence-transformers' Pooling modes, under its own names. */
export const POOLING_MODES = ['mean', 'cls', 'max', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'] as const;
export type PoolingModeName = (typeof POOLING_MODES)[number];

export function isPoolingMode(value: string): value is PoolingModeName {
  return (POOLING_MODES as readonly string[]).includes(value);
}

/** transformers' get_linear_schedule_with_warmup / get_constant_schedule_with_warmup. */
export type SchedulerKind = 'linear' | 'constant';

export type BackendName = 'cpu' | 'wasm' | 'webgpu';
export type BackendPreference = 'auto' | BackendName;
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'wasm', 'webgpu', 'cpu'];

/** How a person reads each backend's name in messages and badges. */
export const BACKEND_LABELS: Readonly<Record<BackendName, string>> = { cpu: 'CPU', wasm: 'WebAssembly', webgpu: 'WebGPU' };

export interface AdapterDescription {
  readonly backend: BackendName;
  /** e.g. "nvidia hopper", "google swiftshader (fallback)", "TypeScript on the CPU". */
  readonly summary: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly isFallbackAdapter: boolean;
  readonly features: readonly string[];
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
}

/** The 2-D map methods, apart from their libraries so the page can name them without loading them. */
export type MapMethod = 'umap' | 'tsne' | 'pca';
export const MAP_METHODS: readonly MapMethod[] = ['umap', 'tsne', 'pca'];
export const MAP_LABELS: Readonly<Record<MapMethod, string>> = { umap: 'UMAP', tsne: 't-SNE', pca: 'PCA' };
