/**
 * One studio session, as the worker and the Node tests drive it: a backend, a model with its
 * weight slots, a dataset with its split, and the jobs that work on them — retrieval, training,
 * export — each in its own module. This class only wires them together and keeps their shared
 * lifecycle (a new model or dataset resets what depended on the old one).
 */
import type { IrEvalSet } from '../data/ir-dataset.ts';
import type { LoadedTrainingData } from '../data/load.ts';
import type { TrainingExample } from '../data/shape.ts';
import type { Backend } from '../engine/backend.ts';
import type { ParamLayout } from '../engine/params.ts';
import type { CardDetails } from '../io/model-export.ts';
import type { LoadedModel } from '../io/load-model.ts';
import type { Checkpoint } from '../model/checkpoint.ts';
import type { ProgressCallback, TrainingEvent, WeightsState } from '../shared/events.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';
import type { MapMethod } from '../shared/names.ts';
import type { RetrievalSettings, SplitSettings, TrainingConfig } from '../shared/settings.ts';
import { sha256Hex } from '../storage/records.ts';
import { ExportJob } from './export-job.ts';
import { injectNonFinite } from './faults.ts';
import { JobGate } from './job-gate.ts';
import { LoadedDataset } from './loaded-dataset.ts';
import type {
  Comparison, DatasetInfo, EvalSummary, MemoryPlanInfo, ModelInfo, OnnxVerificationDtype, OnnxVerificationReport, PreviewRow, ProjectionPoint, SearchHit, StepProbe,
} from './protocol.ts';
import { type PooledEmbeddings, Retrieval } from './retrieval.ts';
import { Session } from './session.ts';
import { type TrainingSummary, type TrainOptions, TrainingSession } from './training-session.ts';
import { WeightSlots } from './weight-slots.ts';

export { DeviceLostError, type TrainOptions } from './training-session.ts';

function describeModel(loaded: LoadedModel, info: { name: string; randomWeights: boolean }): ModelInfo {
  const { model, config } = loaded;
  return {
    name: info.name,
    architecture: `BERT encoder, ${model.dims.numLayers} layers × ${model.dims.hiddenSize}`,
    parameters: loaded.layout.parameterCount,
    dimension: model.dimension,
    layers: model.dims.numLayers,
    heads: model.dims.numHeads,
    maxSeqLength: model.maxSeqLength,
    maxPositions: model.dims.maxPositions,
    pooling: model.pooling.mode,
    includePrompt: model.pooling.includePrompt,
    normalize: model.normalize,
    prompts: config.prompts,
    randomWeights: info.randomWeights,
    warnings: config.warnings,
  };
}

export class Workspace {
  private readonly session: Session;
  private readonly gate = new JobGate();
  private readonly retrieval: Retrieval;
  private readonly trainer: TrainingSession;
  private readonly exports: ExportJob;

  constructor(readonly backend: Backend) {
    this.session = new Session(backend);
    this.retrieval = new Retrieval(this.session, this.gate);
    this.trainer = new TrainingSession(this.session, this.retrieval, this.gate);
    this.exports = new ExportJob(this.session, this.retrieval, this.trainer, this.gate);
  }

  // ---- model and data -----------------------------------------------------------------------------

  async setModel(loaded: LoadedModel, info: { name: string; randomWeights: boolean }): Promise<ModelInfo> {
    const baseHost = await loaded.model.store.readParams();
    const modelInfo = describeModel(loaded, info);
    this.session.model = { loaded, info: modelInfo, slots: new WeightSlots(this.backend, loaded.model.store, baseHost, this.session.model?.slots) };
    this.retrieval.forgetAll();
    this.session.weightsVersion++;
    return modelInfo;
  }

  setDataset(data: LoadedTrainingData, split: SplitSettings): DatasetInfo {
    this.session.dataset = new LoadedDataset(data, split);
    this.retrieval.forgetAll();
    return this.datasetInfo();
  }

  datasetInfo(): DatasetInfo {
    return this.session.requireDataset().info();
  }

  /** The eval split's queries, in the order evaluations report them. */
  evalQueries(): string[] {
    return [...(this.session.requireDataset().evalSet?.queries ?? [])];
  }

  rows(offset: number, count: number): PreviewRow[] {
    return this.session.requireDataset().rows(offset, count);
  }

  /** The eval split's retrieval set, or null when the data has none. */
  get evalSet(): IrEvalSet | null {
    return this.session.dataset?.evalSet ?? null;
  }

  /** Every row of the loaded dataset, train and eval. */
  datasetExamples(): readonly TrainingExample[] {
    return this.session.requireDataset().data.examples;
  }

  get currentModel(): ModelInfo | null {
    return this.session.model?.info ?? null;
  }

  get hasDataset(): boolean {
    return this.session.dataset !== null;
  }

  /** The loaded model's parameter layout (the table weights files are written and read by). */
  get paramLayout(): ParamLayout | null {
    return this.session.model?.loaded.layout ?? null;
  }

  /** Whether fine-tuned weights exist: the checks use them as "the current model". */
  get hasTrained(): boolean {
    return this.session.model?.slots.hasTrained ?? false;
  }

  get hasTrainedWeights(): boolean {
    return this.hasTrained;
  }

  /** Bumped whenever the model or its fine-tuned weights change, so caches outside the workspace know. */
  get weightsVersion(): number {
    return this.session.weightsVersion;
  }

  // ---- retrieval (src/worker/retrieval.ts) ----------------------------------------------------------

  search(query: string, settings: RetrievalSettings, weights: WeightsState, topK: number): Promise<SearchHit[]> {
    return this.retrieval.search(query, settings, weights, topK);
  }

  evaluate(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback): Promise<EvalSummary> {
    return this.retrieval.evaluate(settings, weights, onProgress);
  }

  evalEmbeddings(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<PooledEmbeddings> {
    return this.retrieval.evalEmbeddings(settings, weights, onProgress, signal);
  }

  embedTexts(
    texts: readonly string[], template: string, settings: RetrievalSettings, weights: WeightsState, label: string,
    onProgress?: ProgressCallback, signal?: AbortSignal, slice?: number,
  ): Promise<Float32Array> {
    return this.retrieval.embedTexts(texts, template, settings, weights, label, onProgress, signal, slice);
  }

  bm25Evaluate(): { metrics: RetrievalMetrics; firstRelevantRank: (number | null)[]; milliseconds: number } {
    return this.retrieval.bm25Evaluate();
  }

  compare(settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<Comparison> {
    return this.retrieval.compare(settings, topK, onProgress);
  }

  project(settings: RetrievalSettings, onProgress?: ProgressCallback, maxPoints?: number, method: MapMethod = 'umap'): Promise<ProjectionPoint[]> {
    return this.retrieval.project(settings, onProgress, maxPoints, method);
  }

  /** Runs work as a cancellable job (cancelJob stops it). */
  runJob<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.gate.job(work);
  }

  /** Stops the running evaluate, compare or projection; its promise rejects with an AbortError. */
  cancelJob(): void {
    this.gate.cancelAll();
  }

  // ---- training (src/worker/training-session.ts) ----------------------------------------------------

  memoryPlan(config: TrainingConfig): MemoryPlanInfo {
    return this.trainer.memoryPlan(config);
  }

  probeStep(config: TrainingConfig, settings: RetrievalSettings): Promise<StepProbe> {
    return this.trainer.probeStep(config, settings);
  }

  train(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void, options: TrainOptions = {}): Promise<void> {
    return this.trainer.train(config, settings, onEvent, options);
  }

  checkCheckpointFits(checkpoint: Checkpoint, datasetName: string): void {
    this.trainer.checkCheckpointFits(checkpoint, datasetName);
  }

  requestCheckpoint(): void {
    this.trainer.requestCheckpoint();
  }

  pause(): void {
    this.trainer.pause();
  }

  resume(): void {
    this.trainer.resume();
  }

  cancel(): void {
    this.trainer.cancel();
  }

  get isTraining(): boolean {
    return this.trainer.isTraining;
  }

  get training(): TrainingSummary | null {
    return this.trainer.summary;
  }

  /** Fault injection for the studio's tests: the next step sees a NaN weight. */
  injectNonFinite(): void {
    injectNonFinite(this.session, this.trainer);
  }

  // ---- export (src/worker/export-job.ts) ------------------------------------------------------------

  recipeFiles(config: TrainingConfig, settings: RetrievalSettings, baseModel: string | null): Promise<Map<string, Uint8Array>> {
    return this.exports.recipeFiles(config, settings, baseModel);
  }

  exportFolder(settings: RetrievalSettings, card: CardDetails = {}): Promise<Map<string, Uint8Array>> {
    return this.exports.exportFolder(settings, card);
  }

  verifyOnnx(
    settings: RetrievalSettings, onProgress?: ProgressCallback, files?: ReadonlyMap<string, Uint8Array>,
    options: { maxTexts?: number; dtypes?: readonly OnnxVerificationDtype[] } = {},
  ): Promise<OnnxVerificationReport> {
    return this.exports.verifyOnnx(settings, onProgress, files, options);
  }

  // ---- weights that outlive the session (saved runs, a rebuilt device) ------------------------------

  /**
   * The weights a run has reached: read while it is paused (the read starts at once, before
   * training can resume), else the fine-tuned weights, if any.
   */
  snapshotTrainedParams(): Promise<Float32Array | null> {
    const slots = this.session.model?.slots;
    if (!slots) return Promise.resolve(null);
    if (this.trainer.isPaused) return slots.readLive();
    return slots.readTrained();
  }

  /** A digest of the base weights: saved runs only fit the model they started from. */
  baseFingerprint(): Promise<string> {
    const base = this.session.model?.slots.baseHost;
    if (!base) return Promise.reject(new Error('load a model first'));
    let digest = BASE_FINGERPRINTS.get(base);
    if (!digest) {
      digest = sha256Hex(base, 32);
      BASE_FINGERPRINTS.set(base, digest);
    }
    return digest;
  }

  /** The fine-tuned weights (host copies) and how they were trained, to carry into a rebuilt workspace. */
  keptTrainedWeights(): { params: Float32Array; training: TrainingSummary | null } | null {
    const params = this.session.model?.slots.trainedOnHost ?? null;
    return params ? { params, training: this.trainer.summary } : null;
  }

  /** Makes saved weights (a reopened run) the fine-tuned weights, as if that run had just ended. */
  adoptTrainedWeights(params: Float32Array, training: TrainingSummary | null): void {
    if (this.trainer.isTraining) throw new Error('a training run is going: wait for it to end, or cancel it, before opening another run');
    const loaded = this.session.requireModel();
    const slots = this.session.requireSlots();
    if (params.length !== loaded.layout.totalSize) throw new Error(`the saved weights have ${params.length} values; the loaded model has ${loaded.layout.totalSize}`);
    if (training) {
      const maxSeqLength = Math.min(training.config.maxSeqLength, loaded.model.dims.maxPositions);
      if (loaded.model.maxSeqLength !== maxSeqLength) {
        loaded.model.maxSeqLength = maxSeqLength;
        this.retrieval.forgetAll();
      }
    }
    slots.setTrained(params, training?.steps ?? 0);
    this.retrieval.forgetTrained();
    this.trainer.summary = training;
  }
}

/** Base-weight digests, per parameter buffer (a new model load makes a new buffer). */
const BASE_FINGERPRINTS = new WeakMap<Float32Array, Promise<string>>();
