import { unzipSync, zipSync } from 'fflate';
import type { LoadedTrainingData } from '../data/load.ts';
import type { ColumnMapping } from '../data/shape.ts';
import type { Backend } from '../engine/backend.ts';
import { loadSentenceModel, type ModelFiles } from '../model/load-model.ts';
import type {
  BackendInfo, Comparison, DatasetInfo, EvalSummary, ExportResult, MemoryPlanInfo, ModelInfo, ModelSource, OnnxVerificationReport, PreviewRow,
  ProgressCallback, ProjectionPoint, RetrievalSettings, SearchHit, TrainingConfig, TrainingEvent, WeightsState,
} from './protocol.ts';
import { Workspace } from './workspace.ts';

/** What differs between the browser worker and Node: where backends, models and files come from. */
export interface StudioEnvironment {
  createBackend(preference: 'webgpu' | 'cpu'): Promise<{ backend: Backend; fallbackReason?: string }>;
  resolveModel(source: ModelSource, onProgress: ProgressCallback, signal: AbortSignal): Promise<{ files: ModelFiles; name: string; randomWeights: boolean }>;
  parseDataset(name: string, bytes: Uint8Array, mapping?: ColumnMapping): Promise<LoadedTrainingData>;
}

export interface SplitSettings {
  readonly evalFraction: number;
  readonly seed: number;
}

/**
 * The studio worker's API: the page calls these through comlink. Each method is one user
 * action; the Workspace holds the state between them.
 */
export class StudioApi {
  private workspace: Workspace | null = null;
  private backendInfo: BackendInfo | null = null;
  private dataset: LoadedTrainingData | null = null;
  private split: SplitSettings = { evalFraction: 0.2, seed: 42 };
  private loadAbort: AbortController | null = null;

  constructor(private readonly env: StudioEnvironment) {}

  async init(preference: 'webgpu' | 'cpu'): Promise<BackendInfo> {
    this.workspace?.backend.destroy();
    const { backend, fallbackReason } = await this.env.createBackend(preference);
    this.workspace = new Workspace(backend);
    this.backendInfo = fallbackReason ? { adapter: backend.adapter, fallbackReason } : { adapter: backend.adapter };
    return this.backendInfo;
  }

  private ws(): Workspace {
    if (!this.workspace) throw new Error('the studio worker is not initialised');
    return this.workspace;
  }

  /** Cancels a model download in progress (the partial files stay cached for a later resume). */
  cancelLoad(): void {
    this.loadAbort?.abort();
  }

  async loadModel(source: ModelSource, onProgress: ProgressCallback): Promise<ModelInfo> {
    const ws = this.ws();
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    const { files, name, randomWeights } = await this.env.resolveModel(source, onProgress, abort.signal);
    onProgress('reading weights', 0, 1);
    const loaded = await loadSentenceModel(files, ws.backend);
    onProgress('reading weights', 1, 1);
    const info = await ws.setModel(loaded, { name, randomWeights });
    if (this.dataset) ws.setDataset(this.dataset, this.split);
    return info;
  }

  async loadDataset(name: string, bytes: Uint8Array, split: SplitSettings, mapping?: ColumnMapping): Promise<DatasetInfo> {
    this.dataset = await this.env.parseDataset(name, bytes, mapping);
    this.split = split;
    return this.ws().setDataset(this.dataset, split);
  }

  setSplit(split: SplitSettings): DatasetInfo {
    if (!this.dataset) throw new Error('load a dataset first');
    this.split = split;
    return this.ws().setDataset(this.dataset, split);
  }

  rows(offset: number, count: number): PreviewRow[] {
    return this.ws().rows(offset, count);
  }

  evalQueries(): string[] {
    return this.ws().evalQueries();
  }

  search(query: string, settings: RetrievalSettings, weights: WeightsState, topK: number): Promise<SearchHit[]> {
    return this.ws().search(query, settings, weights, topK);
  }

  evaluate(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback): Promise<EvalSummary> {
    return this.ws().evaluate(settings, weights, onProgress);
  }

  memoryPlan(config: TrainingConfig): MemoryPlanInfo {
    return this.ws().memoryPlan(config);
  }

  train(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void): Promise<void> {
    return this.ws().train(config, settings, onEvent);
  }

  pause(): void {
    this.ws().pause();
  }
  resume(): void {
    this.ws().resume();
  }
  cancel(): void {
    this.ws().cancel();
  }

  /** Cancels the running evaluate, compare or projection job. */
  cancelJob(): void {
    this.ws().cancelJob();
  }

  compare(settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<Comparison> {
    return this.ws().compare(settings, topK, onProgress);
  }

  project(settings: RetrievalSettings, onProgress?: ProgressCallback): Promise<ProjectionPoint[]> {
    return this.ws().project(settings, onProgress);
  }

  /** The model as a zip of a sentence-transformers folder, built whole in memory first. */
  async exportZip(settings: RetrievalSettings): Promise<ExportResult> {
    const files = await this.ws().exportFolder(settings);
    const entries: Record<string, Uint8Array> = {};
    for (const [path, bytes] of files) entries[`model/${path}`] = bytes;
    return { zip: zipSync(entries, { level: 6 }), files: [...files.keys()] };
  }

  /**
   * Loads the exported ONNX files back through transformers.js and compares them with the engine
   * (see Workspace.verifyOnnx). Given the zip exportZip returned, it checks exactly those bytes;
   * without it, a fresh export with these settings. Cancel with cancelJob.
   */
  verifyOnnx(settings: RetrievalSettings, onProgress?: ProgressCallback, zip?: Uint8Array): Promise<OnnxVerificationReport> {
    let files: Map<string, Uint8Array> | undefined;
    if (zip) {
      files = new Map();
      for (const [path, bytes] of Object.entries(unzipSync(zip))) if (path.startsWith('model/') && !path.endsWith('/')) files.set(path.slice('model/'.length), bytes);
    }
    return this.ws().verifyOnnx(settings, onProgress, files);
  }
}
