/**
 * The studio worker's API: the page calls these through comlink. Each method is one user
 * action, handed to the module whose job it is — the workspace host (engine, device recovery),
 * loading, the training driver, saved runs, the checks and the export.
 */
import type { ColumnMapping } from '../data/shape.ts';
import type { BackendInfo, ProgressCallback, TrainingEvent, WeightsState } from '../shared/events.ts';
import type { BackendPreference, MapMethod } from '../shared/names.ts';
import type { ChunkSettings, MiningOptions, RetrievalSettings, SplitSettings, TrainingConfig } from '../shared/settings.ts';
import { ChecksApi } from './checks-api.ts';
import { ExportApi } from './export-api.ts';
import { type InjectedFault, loseDevice } from './faults.ts';
import type { BaselineSummary, MinedRow, MiningSummary, RagAnswer, RagChunk, RagDocumentInfo, TripletDatasetResult } from './protocol-checks.ts';
import type {
  Comparison, DatasetInfo, DatasetSummary, EvalSummary, ExportResult, HubPushProgress, HubPushRequest, HubPushResult, MemoryPlanInfo, ModelInfo, ModelSource,
  OnnxVerificationReport, OpenedDataset, OpenedRun, PreviewRow, ProjectionPoint, RestorableSession, ResumePlan, RunRecord, RunSummary, SearchHit, StepProbe,
  StorageStatus,
} from './protocol.ts';
import { RunPersistence } from './run-persistence.ts';
import type { StudioEnvironment } from './studio-environment.ts';
import { StudioLoading } from './studio-loading.ts';
import { TrainingDriver } from './training-driver.ts';
import { WorkspaceHost } from './workspace-host.ts';

export { MINED_TRIPLETS_FILE } from './checks-api.ts';
export type { InjectedFault } from './faults.ts';
export type { StudioEnvironment } from './studio-environment.ts';
export { describeModelSource, storedModelSource } from './studio-loading.ts';

export class StudioApi {
  private readonly host: WorkspaceHost;
  private readonly loading: StudioLoading;
  private readonly runs: RunPersistence;
  private readonly driver: TrainingDriver;
  private readonly checks: ChecksApi;
  private readonly exports: ExportApi;

  constructor(env: StudioEnvironment) {
    this.host = new WorkspaceHost(env);
    this.loading = new StudioLoading(this.host, env);
    this.runs = new RunPersistence(this.host, this.loading, env);
    this.driver = new TrainingDriver(this.host, this.runs);
    this.checks = new ChecksApi(this.host, this.loading, env);
    this.exports = new ExportApi(this.host);
  }

  // ---- engine ---------------------------------------------------------------------------------------
  init(preference: BackendPreference): Promise<BackendInfo> { return this.host.init(preference); }
  /** The backend now (it changes when a lost GPU is replaced). */
  backend(): BackendInfo | null { return this.host.backendInfo; }
  /** For the studio's fault-injection tests: lose the GPU device, or spoil a weight mid-run. */
  injectFault(kind: InjectedFault): void { return kind === 'non-finite' ? this.host.ws().injectNonFinite() : loseDevice(this.host.ws().backend); }

  // ---- model and data -------------------------------------------------------------------------------
  cancelLoad(): void { this.loading.cancelLoad(); }
  loadModel(source: ModelSource, onProgress: ProgressCallback): Promise<ModelInfo> { return this.loading.loadModel(source, onProgress); }
  loadDataset(name: string, data: Uint8Array | Blob, split: SplitSettings, mapping?: ColumnMapping, onProgress?: ProgressCallback): Promise<DatasetInfo> {
    return this.loading.loadDataset(name, data, split, mapping, onProgress);
  }
  setSplit(split: SplitSettings): DatasetInfo { return this.loading.setSplit(split); }
  rows(offset: number, count: number): PreviewRow[] { return this.host.ws().rows(offset, count); }
  evalQueries(): string[] { return this.host.ws().evalQueries(); }
  listDatasets(): Promise<DatasetSummary[]> { return this.loading.listDatasets(); }
  openDataset(id: string): Promise<OpenedDataset> { return this.loading.openDataset(id); }
  deleteDataset(id: string): Promise<void> { return this.loading.deleteDataset(id); }
  lastSession(): Promise<RestorableSession> { return this.loading.lastSession(); }

  // ---- retrieval ------------------------------------------------------------------------------------
  async search(query: string, settings: RetrievalSettings, weights: WeightsState, topK: number): Promise<SearchHit[]> { return (await this.host.ready()).search(query, settings, weights, topK); }
  async evaluate(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback): Promise<EvalSummary> { return (await this.host.ready()).evaluate(settings, weights, onProgress); }
  async compare(settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<Comparison> { return (await this.host.ready()).compare(settings, topK, onProgress); }
  async project(settings: RetrievalSettings, onProgress?: ProgressCallback, method: MapMethod = 'umap'): Promise<ProjectionPoint[]> { return (await this.host.ready()).project(settings, onProgress, undefined, method); }
  /** Cancels the running evaluate, compare or projection job. */
  cancelJob(): void { this.host.ws().cancelJob(); }

  // ---- training -------------------------------------------------------------------------------------
  memoryPlan(config: TrainingConfig): MemoryPlanInfo { return this.host.ws().memoryPlan(config); }
  /** Times a training step of this configuration here, before a run (the base weights are kept). */
  async probeStep(config: TrainingConfig, settings: RetrievalSettings): Promise<StepProbe> { return (await this.host.ready()).probeStep(config, settings); }
  train(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void): Promise<void> { return this.driver.train(config, settings, onEvent); }
  prepareResume(id: string): Promise<ResumePlan> { return this.runs.prepareResume(id); }
  resumeRun(id: string, onEvent: (e: TrainingEvent) => void): Promise<void> { return this.driver.resumeRun(id, onEvent); }
  pause(): void { this.driver.pause(); }
  resume(): void { this.driver.resume(); }
  cancel(): void { this.driver.cancel(); }
  /** The page is being hidden: take a checkpoint before the next step. */
  requestCheckpoint(): void { this.host.current?.requestCheckpoint(); }
  /** Whether there are fine-tuned weights to compare and export (a failed run keeps its last checkpoint's). */
  hasTrainedWeights(): boolean { return this.host.current?.hasTrainedWeights ?? false; }

  // ---- saved runs -----------------------------------------------------------------------------------
  resumableRuns(): Promise<RunSummary[]> { return this.runs.resumableRuns(); }
  waitForSaves(): Promise<void> { return this.runs.waitForSaves(); }
  listRuns(): Promise<RunSummary[]> { return this.runs.listRuns(); }
  getRun(id: string): Promise<RunRecord> { return this.runs.getRun(id); }
  exportRunHistory(id: string): Promise<string> { return this.runs.exportRunHistory(id); }
  deleteRun(id: string): Promise<void> { return this.runs.deleteRun(id); }
  openRun(id: string): Promise<OpenedRun> { return this.runs.openRun(id); }
  storageEstimate(): Promise<StorageStatus> { return this.runs.storageEstimate(); }

  // ---- checks: baselines, hard-negative mining, the RAG check ----------------------------------------
  baselines(settings: RetrievalSettings, onProgress?: ProgressCallback): Promise<BaselineSummary> { return this.checks.baselines(settings, onProgress); }
  mine(settings: RetrievalSettings, options: MiningOptions, onProgress?: ProgressCallback): Promise<MiningSummary> { return this.checks.mine(settings, options, onProgress); }
  minedRows(offset: number, count: number): MinedRow[] { return this.checks.minedRows(offset, count); }
  minedTripletsJsonl(rejected: readonly string[]): string { return this.checks.minedTripletsJsonl(rejected); }
  useMinedTriplets(rejected: readonly string[]): Promise<{ info: DatasetInfo; result: TripletDatasetResult }> { return this.checks.useMinedTriplets(rejected); }
  openDocument(name: string, bytes: Uint8Array, chunking?: ChunkSettings, onProgress?: ProgressCallback): Promise<RagDocumentInfo> { return this.checks.openDocument(name, bytes, chunking, onProgress); }
  rechunkDocument(chunking: ChunkSettings): Promise<RagDocumentInfo> { return this.checks.rechunkDocument(chunking); }
  ragDocument(): Promise<RagDocumentInfo | null> { return this.checks.ragDocument(); }
  ragChunks(offset: number, count: number): RagChunk[] { return this.checks.ragChunks(offset, count); }
  askDocument(question: string, settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<RagAnswer> { return this.checks.askDocument(question, settings, topK, onProgress); }
  closeDocument(): Promise<void> { return this.checks.closeDocument(); }

  // ---- export ---------------------------------------------------------------------------------------
  exportZip(settings: RetrievalSettings): Promise<ExportResult> { return this.exports.exportZip(settings); }
  pushToHub(settings: RetrievalSettings, request: HubPushRequest, onProgress?: (p: HubPushProgress) => void): Promise<HubPushResult> { return this.exports.pushToHub(settings, request, onProgress); }
  cancelPush(): void { this.exports.cancelPush(); }
  recipeZip(config: TrainingConfig, settings: RetrievalSettings): Promise<ExportResult> { return this.exports.recipeZip(config, settings); }
  verifyOnnx(settings: RetrievalSettings, onProgress?: ProgressCallback, zip?: Uint8Array): Promise<OnnxVerificationReport> { return this.exports.verifyOnnx(settings, onProgress, zip); }
}
