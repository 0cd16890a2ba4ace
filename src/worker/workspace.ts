import type { IrEvalSet } from '../data/ir-dataset.ts';
import { evalSplit } from '../data/eval-split.ts';
import type { LoadedTrainingData } from '../data/load.ts';
import type { TrainingExample } from '../data/shape.ts';
import type { Backend } from '../engine/backend.ts';
import { computeRankings, informationRetrievalMetrics, IR_MAX_K, type IrMetrics } from '../eval/ir-metrics.ts';
import { buildModelExport, trainingCardInfo, type CardDetails } from '../io/model-export.ts';
import { buildRecipe, recipeColumns } from '../io/recipe.ts';
import { MAP_LABELS, MAP_MAX_TEXTS, type MapMethod, mapTogether } from '../eval/maps.ts';
import { bm25Rankings } from './baselines.ts';
import { sentenceTransformersFolder } from '../io/st-export.ts';
import type { StudioRunDescription } from '../io/st-training-args.ts';
import type { LoadedModel } from '../io/load-model.ts';
import type { ParamLayout } from '../engine/params.ts';
import { sha256Hex } from '../storage/records.ts';
import { DEFAULT_LOSS } from '../model/losses.ts';
import { encodeTokenStates, poolTokenStates, type TokenStates } from '../model/token-states.ts';
import { estimateTrainingMemory, planBatch } from '../model/memory-estimate.ts';
import { captureCheckpoint, type Checkpoint, CheckpointError, checkCompatible, datasetFingerprint, restoreCheckpoint } from '../model/checkpoint.ts';
import { NonFiniteTrainingError, stepsPerEpoch, TrainingRun, type TrainingRunConfig } from '../model/training-run.ts';
import { selectVerificationTexts, verifyOnnxFiles } from '../eval/onnx-verify.ts';
import { yieldToEvents } from './yield-to-events.ts';
import type {
  Comparison,
  DatasetInfo,
  EvalSummary,
  MemoryPlanInfo,
  ModelInfo,
  OnnxVerificationDtype,
  OnnxVerificationReport,
  PreviewRow,
  ProgressCallback,
  ProjectionPoint,
  StepProbe,
  SearchHit,
} from './protocol.ts';
import { type RetrievalSettings, TRAINER_DEFAULTS, type TrainingConfig } from '../shared/settings.ts';
import type { RankMover, TrainingEvent, WeightsState } from '../shared/events.ts';
import { evaluatorKey, metricsFromEvaluator, type RetrievalMetricKey, type RetrievalMetrics } from '../shared/metrics.ts';
import type { EvalPoint } from '../shared/events.ts';

/** How a training run is driven beyond its config: resuming, and where its checkpoints go. */
export interface TrainOptions {
  /** Continue this checkpoint (taken from a run of the same model, data split and config). */
  readonly resume?: Checkpoint;
  /** The resumed run's evaluations up to its checkpoint (step 0, the base model, is measured again). */
  readonly resumeEvals?: readonly EvalPoint[];
  /** Training time the resumed run had already spent, in seconds. */
  readonly resumeSeconds?: number;
  /**
   * Gets every checkpoint taken (every `checkpointEvery` steps, on pause, on request). Training
   * goes on once it returns, so a slow save should be queued rather than awaited.
   */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => void | Promise<void>;
  /** Kept in each checkpoint's `meta` (the studio keeps the run id there). */
  readonly meta?: Readonly<Record<string, unknown>>;
  /** Pause before the first step (the run was paused when its device was lost). */
  readonly startPaused?: boolean;
}

/**
 * The GPU went away in the middle of a run. The run stopped with nothing applied after its last
 * checkpoint; whoever drives the workspace rebuilds the device and resumes from `checkpoint`.
 */
export class DeviceLostError extends Error {
  constructor(
    readonly reason: string,
    readonly checkpoint: Checkpoint | null,
  ) {
    super(`the GPU device was lost: ${reason}`);
    this.name = 'DeviceLostError';
  }
}

/** The engine's run config for a studio training config (the query / document template prefixes become column prompts). */
export function runConfigFor(config: TrainingConfig, settings: RetrievalSettings, miniBatchSize: number | null): TrainingRunConfig {
  const { prefix: queryPrefix } = parseTemplate(settings.queryTemplate);
  const { prefix: corpusPrefix } = parseTemplate(settings.corpusTemplate);
  return {
    loss: { ...DEFAULT_LOSS, id: config.loss, matryoshkaDims: config.matryoshkaDims },
    optimizer: {
      ...TRAINER_DEFAULTS,
      lr: config.learningRate,
      weightDecay: config.weightDecay,
      beta1: config.adamBeta1 ?? TRAINER_DEFAULTS.beta1,
      beta2: config.adamBeta2 ?? TRAINER_DEFAULTS.beta2,
      eps: config.adamEpsilon ?? TRAINER_DEFAULTS.eps,
    },
    scheduler: config.scheduler,
    warmupSteps: config.warmupSteps,
    batchSize: config.batchSize,
    epochs: config.epochs,
    shuffle: true,
    seed: config.seed,
    columnPrompts: queryPrefix || corpusPrefix ? [queryPrefix, corpusPrefix] : undefined,
    ...(miniBatchSize ? { miniBatchSize } : {}),
  };
}

/** A prompt template "query: {text}" split into what goes before and after the text. */
export function parseTemplate(template: string): { prefix: string; suffix: string } {
  const at = template.indexOf('{text}');
  if (at < 0) return { prefix: template, suffix: '' };
  return { prefix: template.slice(0, at), suffix: template.slice(at + '{text}'.length) };
}

interface DatasetState {
  readonly data: LoadedTrainingData;
  readonly train: TrainingExample[];
  readonly evalRows: TrainingExample[];
  readonly split: ('train' | 'eval')[];
  /** Queries = the eval split's anchors; corpus = every document in the file. */
  readonly evalSet: IrEvalSet | null;
}

interface TrainingControl {
  readonly abort: AbortController;
  paused: boolean;
  resume: (() => void) | null;
  /** Take a checkpoint before the next step (the page is being hidden). */
  checkpointRequested: boolean;
  /** Fault injection: spoil one weight before the next step, as a diverging run would. */
  poisonRequested: boolean;
}

/**
 * One studio session: a backend, a model with its base and trained weights, a dataset with its
 * split, and the caches that make the playground fast. It is the worker's state; the page only
 * sees the plain results it returns. Runs in Node as well, where the tests drive it.
 */
export class Workspace {
  private loaded: LoadedModel | null = null;
  private modelInfo: ModelInfo | null = null;
  private baseParams: Float32Array | null = null;
  private trainedParams: Float32Array | null = null;
  /** The training step `trainedParams` were taken at. */
  private trainedStep = 0;
  /** What the model's parameter buffer holds now; 'live' = a training run's weights. */
  private current: WeightsState | 'live' = 'base';
  /** A running (or paused) run's weights while the buffer shows base or trained weights. */
  private liveParams: Float32Array | null = null;
  private dataset: DatasetState | null = null;
  private readonly tokenStates = new Map<string, TokenStates>();
  private control: TrainingControl | null = null;
  private lastTraining: { config: TrainingConfig; seconds: number; steps: number } | null = null;
  /** The last run's retrieval metrics before and after (for the model card), and its final loss. */
  private lastOutcome: { before: RetrievalMetrics | null; after: RetrievalMetrics | null; finalLoss: number | null } | null = null;
  /** The encode in progress; the next one waits for it. */
  private encoding: Promise<unknown> = Promise.resolve();
  /** The running evaluate / compare / project jobs (training has its own control). */
  private readonly jobs = new Set<AbortController>();
  /** The same jobs' promises: a probe step waits for them (it borrows the weights). */
  private readonly running = new Set<Promise<unknown>>();
  /** A probe step in progress: it writes the weights, so everything that reads them waits. */
  private probing: Promise<unknown> | null = null;
  /** train() was called and has not set up its control yet: no probe may start now. */
  private trainStarting = false;

  constructor(readonly backend: Backend) {}

  // ---- model --------------------------------------------------------------------------------------

  async setModel(loaded: LoadedModel, info: { name: string; randomWeights: boolean }): Promise<ModelInfo> {
    this.loaded = loaded;
    this.baseParams = await loaded.model.store.readParams();
    this.trainedParams = null;
    this.current = 'base';
    this.tokenStates.clear();
    this.weightsVersion++;
    const { model, config } = loaded;
    this.modelInfo = {
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
    return this.modelInfo;
  }

  private requireModel(): LoadedModel {
    if (!this.loaded) throw new Error('load a model first');
    return this.loaded;
  }

  get hasTrainedWeights(): boolean {
    return this.trainedParams !== null;
  }

  private async useWeights(state: WeightsState): Promise<void> {
    if (state === this.current) return;
    const params = state === 'base' ? this.baseParams : this.trainedParams;
    if (!params) throw new Error('there are no fine-tuned weights yet: train first');
    const store = this.requireModel().model.store;
    // A playground query during a paused run must not overwrite the run's weights.
    if (this.current === 'live') this.liveParams = await store.readParams();
    this.backend.write(store.params, params);
    this.current = state;
  }

  /** Puts a run's own weights back before its next step. */
  private resumeLiveWeights(): void {
    if (this.current === 'live') return;
    if (!this.liveParams) throw new Error('the training run lost its weights');
    this.backend.write(this.requireModel().model.store.params, this.liveParams);
    this.current = 'live';
  }

  // ---- data ---------------------------------------------------------------------------------------

  setDataset(data: LoadedTrainingData, split: { evalFraction: number; seed: number }): DatasetInfo {
    const shape = data.detection.ok ? data.detection.mapping.shape : null;
    const { train, eval: evalRows, evalIndex, evalSet } = evalSplit(data.examples, shape, split);
    const sides: ('train' | 'eval')[] = data.examples.map(() => 'train');
    for (const i of evalIndex) sides[i] = 'eval';
    this.dataset = { data, train, evalRows, split: sides, evalSet };
    this.tokenStates.clear();
    return this.datasetInfo();
  }

  datasetInfo(): DatasetInfo {
    const d = this.requireDataset();
    const det = d.data.detection;
    return {
      file: d.data.report.file,
      shape: det.ok ? det.mapping.shape : null,
      shapeReason: det.reason,
      columns: det.columns,
      mapping: det.ok ? det.mapping : null,
      losses: d.data.losses,
      rows: d.data.examples.length,
      totalLines: d.data.report.totalLines,
      skippedRows: d.data.report.skippedRows,
      issues: d.data.report.issues.slice(0, 500),
      issueTotal: d.data.report.issues.length,
      issueCounts: d.data.report.countsByCode,
      trainRows: d.train.length,
      evalRows: d.evalRows.length,
      evalQueries: d.evalSet?.queries.length ?? 0,
      corpusSize: d.evalSet?.corpus.length ?? 0,
    };
  }

  /** The eval split's queries, in the order evaluations report them. */
  evalQueries(): string[] {
    return [...(this.requireDataset().evalSet?.queries ?? [])];
  }

  rows(offset: number, count: number): PreviewRow[] {
    const d = this.requireDataset();
    return d.data.examples.slice(offset, offset + count).map((e, i) => {
      const row: PreviewRow = { line: d.data.lines[offset + i], texts: e.texts, split: d.split[offset + i] };
      return e.label === undefined ? row : { ...row, label: e.label };
    });
  }

  private requireDataset(): DatasetState {
    if (!this.dataset) throw new Error('load a dataset first');
    return this.dataset;
  }

  private requireEvalSet(): IrEvalSet {
    const set = this.requireDataset().evalSet;
    if (!set) throw new Error('retrieval needs (query, positive[, negative]) rows and a non-empty eval split');
    return set;
  }

  // ---- retrieval ------------------------------------------------------------------------------------

  /** Token states of a text list under a template and weights; eval sets are cached, ad-hoc queries not. */
  private async statesFor(
    texts: readonly string[], role: 'query' | 'corpus' | 'adhoc', template: string, weights: WeightsState, onProgress?: ProgressCallback,
    signal?: AbortSignal,
  ): Promise<TokenStates> {
    const { prefix, suffix } = parseTemplate(template);
    const key = `${weights}\u0000${role}\u0000${template}`;
    const hit = role === 'adhoc' ? undefined : this.tokenStates.get(key);
    if (hit) return hit;
    // One encode at a time: two at once (the playground's metrics and the BM25 table's) would
    // interleave their steps on one backend and swap each other's weights.
    const run = this.encoding.then(async () => {
      const again = role === 'adhoc' ? undefined : this.tokenStates.get(key);
      if (again) return again;
      await this.useWeights(weights);
      const model = this.requireModel().model;
      const states = await encodeTokenStates(model, suffix ? texts.map((t) => t + suffix) : texts, prefix || undefined, {
        signal,
        onProgress: (done, total) => onProgress?.(`embedding ${role === 'corpus' ? 'documents' : 'queries'}`, done, total),
      });
      if (role !== 'adhoc') this.tokenStates.set(key, states);
      return states;
    });
    this.encoding = run.catch(() => undefined);
    return run;
  }

  private async embeddings(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback, signal?: AbortSignal) {
    const set = this.requireEvalSet();
    const q = await this.statesFor(set.queries, 'query', settings.queryTemplate, weights, onProgress, signal);
    const c = await this.statesFor(set.corpus, 'corpus', settings.corpusTemplate, weights, onProgress, signal);
    return {
      queries: poolTokenStates(q, settings.pooling, settings.normalize, settings.includePrompt),
      corpus: poolTokenStates(c, settings.pooling, settings.normalize, settings.includePrompt),
      dimension: q.dimension,
    };
  }

  private async afterProbe(): Promise<void> {
    while (this.probing) await this.probing.catch(() => undefined);
  }

  async search(query: string, settings: RetrievalSettings, weights: WeightsState, topK: number): Promise<SearchHit[]> {
    await this.afterProbe();
    const set = this.requireEvalSet();
    const { corpus, dimension } = await this.embeddings(settings, weights);
    const states = await this.statesFor([query], 'adhoc', settings.queryTemplate, weights);
    const q = poolTokenStates(states, settings.pooling, settings.normalize, settings.includePrompt);
    const [ranking] = computeRankings(q, corpus, dimension, topK, 'cosine');
    const queryIndex = set.queries.indexOf(query);
    const relevant = queryIndex >= 0 ? set.relevant[queryIndex] : new Set<number>();
    return Array.from(ranking.corpusIndex, (c, i) => ({ corpusIndex: c, text: set.corpus[c], score: ranking.score[i], relevant: relevant.has(c) }));
  }

  // ---- for the checks in their own modules (mining, RAG check, baselines) ---------------------------

  /** The eval split's retrieval set, or null when the data has none. */
  get evalSet(): IrEvalSet | null {
    return this.dataset?.evalSet ?? null;
  }

  /** Every row of the loaded dataset, train and eval. */
  datasetExamples(): readonly TrainingExample[] {
    return this.requireDataset().data.examples;
  }

  /** Whether fine-tuned weights exist: the checks use them as "the current model". */
  get hasTrained(): boolean {
    return this.trainedParams !== null;
  }

  /** Pooled eval-set embeddings under a setting (the cached ones the playground uses). */
  evalEmbeddings(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback, signal?: AbortSignal) {
    return this.embeddings(settings, weights, onProgress, signal);
  }

  /**
   * Pooled embeddings of any texts (document chunks, mining corpora), encoded a slice at a time
   * so the token states held at once stay small; nothing is cached.
   */
  async embedTexts(
    texts: readonly string[], template: string, settings: RetrievalSettings, weights: WeightsState, label: string,
    onProgress?: ProgressCallback, signal?: AbortSignal, slice = 256,
  ): Promise<Float32Array> {
    const D = this.requireModel().model.dimension;
    const out = new Float32Array(texts.length * D);
    for (let start = 0; start < texts.length; start += slice) {
      if (signal?.aborted) throw new DOMException('cancelled', 'AbortError');
      const part = texts.slice(start, start + slice);
      const states = await this.statesFor(part, 'adhoc', template, weights, (_, done) => onProgress?.(label, start + done, texts.length), signal);
      out.set(poolTokenStates(states, settings.pooling, settings.normalize, settings.includePrompt), start * D);
    }
    onProgress?.(label, texts.length, texts.length);
    return out;
  }

  /** BM25 (keyword search) on the eval split, scored like the models. */
  bm25Evaluate(): { metrics: RetrievalMetrics; firstRelevantRank: (number | null)[]; milliseconds: number } {
    const set = this.requireEvalSet();
    const { rankings, milliseconds } = bm25Rankings(set);
    const result = informationRetrievalMetrics(rankings, set.relevant, { similarity: 'cosine' });
    const firstRelevantRank: (number | null)[] = set.queries.map(() => null);
    for (const r of result.perQuery) firstRelevantRank[r.query] = r.firstRelevantRank;
    return { metrics: metricsFromEvaluator(result.metrics), firstRelevantRank, milliseconds };
  }

  /** Runs work as a cancellable job (cancelJob stops it). */
  runJob<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.asJob(work);
  }

  /** Stops the running evaluate, compare or projection; its promise rejects with an AbortError. */
  cancelJob(): void {
    for (const job of this.jobs) job.abort();
  }

  private async asJob<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // Inline, so nothing runs between the last check and the job being counted.
    while (this.probing) await this.probing.catch(() => undefined);
    const controller = new AbortController();
    this.jobs.add(controller);
    const job = work(controller.signal);
    this.running.add(job);
    try {
      return await job;
    } finally {
      this.running.delete(job);
      this.jobs.delete(controller);
    }
  }

  async evaluate(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback): Promise<EvalSummary> {
    return this.asJob((signal) => this.evaluateNow(settings, weights, onProgress, signal));
  }

  private async evaluateNow(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback, signal?: AbortSignal): Promise<EvalSummary> {
    const started = performance.now();
    const set = this.requireEvalSet();
    const { queries, corpus, dimension } = await this.embeddings(settings, weights, onProgress, signal);
    const rankings = computeRankings(queries, corpus, dimension, IR_MAX_K, 'cosine');
    const result = informationRetrievalMetrics(rankings, set.relevant, { similarity: 'cosine' });
    const firstRelevantRank: (number | null)[] = set.queries.map(() => null);
    for (const r of result.perQuery) firstRelevantRank[r.query] = r.firstRelevantRank;
    return { weights, metrics: metricsFromEvaluator(result.metrics), firstRelevantRank, milliseconds: performance.now() - started };
  }

  // ---- training -------------------------------------------------------------------------------------

  /**
   * What a step of this configuration needs (at the longest allowed sequence) against the
   * adapter's buffer limits and the memory budget, and the gradient-caching mini-batch to use
   * when the whole batch does not fit.
   */
  memoryPlan(config: TrainingConfig): MemoryPlanInfo {
    const { model } = this.requireModel();
    const d = this.requireDataset();
    const columns = d.data.examples[0]?.texts.length ?? 2;
    const seqLength = Math.min(config.maxSeqLength, model.dims.maxPositions);
    const { maxBufferSize, maxStorageBufferBindingSize } = this.backend.adapter;
    const budgetBytes = (config.memoryBudgetMiB ?? 2048) * 1024 * 1024;
    const shape = { batchSize: config.batchSize, columns, seqLength, normalize: model.normalize };
    const plan = planBatch(model.dims, { maxBufferSize, maxStorageBufferBindingSize, budgetBytes }, shape);
    const e = estimateTrainingMemory(model.dims, plan.miniBatchSize ? { ...shape, miniBatchSize: plan.miniBatchSize } : shape);
    return {
      parametersBytes: e.parameters, gradientsBytes: e.gradients, optimizerBytes: e.optimizer, activationsBytes: e.activations,
      totalBytes: e.total, largestBuffer: e.largestBuffer, maxBufferSize, maxStorageBufferBindingSize, budgetBytes,
      fits: plan.fits, miniBatchSize: plan.miniBatchSize, reason: plan.reason,
    };
  }

  /**
   * Times training steps of this configuration on this device, before a run: two steps on the
   * base weights (the first pays for compiling and warming up), then the base weights go back.
   * What the page's estimate of a run's duration is built from.
   */
  async probeStep(config: TrainingConfig, settings: RetrievalSettings): Promise<StepProbe> {
    for (;;) {
      if (this.probing) await this.probing.catch(() => undefined);
      else if (this.running.size > 0) await Promise.allSettled([...this.running]);
      else break;
    }
    if (this.control || this.trainStarting) throw new Error('a training run is going');
    const probe = this.probeNow(config, settings);
    this.probing = probe;
    try {
      return await probe;
    } finally {
      if (this.probing === probe) this.probing = null;
    }
  }

  private async probeNow(config: TrainingConfig, settings: RetrievalSettings): Promise<StepProbe> {
    const { model } = this.requireModel();
    const d = this.requireDataset();
    if (!d.data.losses.includes(config.loss)) throw new Error(`the ${config.loss} loss does not fit this dataset's shape`);
    const memory = this.memoryPlan(config);
    if (!memory.fits) throw new Error(`this batch does not fit in memory: ${memory.reason}`);
    await this.useWeights('base');
    const maxSeqLength = model.maxSeqLength;
    model.maxSeqLength = Math.min(config.maxSeqLength, model.dims.maxPositions);
    const steps = Math.min(2, stepsPerEpoch(d.train.length, config.batchSize) * config.epochs);
    const run = new TrainingRun(model, d.train, { ...runConfigFor(config, settings, memory.miniBatchSize), maxSteps: steps });
    const times: number[] = [];
    let mark = performance.now();
    try {
      // inFlight 0: each step's loss is awaited before the next, so each time is one whole step.
      await run.run(() => {
        const now = performance.now();
        times.push(now - mark);
        mark = now;
      }, { inFlight: 0 });
    } finally {
      model.maxSeqLength = maxSeqLength;
      this.backend.write(model.store.params, this.baseParams!);
      this.current = 'base';
    }
    return { stepMs: times[times.length - 1], firstStepMs: times[0], steps: times.length, miniBatchSize: memory.miniBatchSize };
  }

  async train(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void, options: TrainOptions = {}): Promise<void> {
    if (this.control || this.trainStarting) throw new Error('a training run is already going');
    // Set at once: a probe asked for from now on refuses; one already going is waited for.
    this.trainStarting = true;
    try {
      await this.afterProbe();
      return await this.trainNow(config, settings, onEvent, options);
    } finally {
      this.trainStarting = false;
    }
  }

  private async trainNow(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void, options: TrainOptions): Promise<void> {
    const loaded = this.requireModel();
    const d = this.requireDataset();
    if (!d.data.losses.includes(config.loss)) throw new Error(`the ${config.loss} loss does not fit this dataset's shape`);
    const memory = this.memoryPlan(config);
    if (!memory.fits) throw new Error(`this batch does not fit in memory: ${memory.reason}; lower the batch size or the max length`);
    const model = loaded.model;
    // A new run starts from the base weights: fine-tuning twice would compare the wrong "before".
    await this.useWeights('base');
    this.trainedParams = null;
    this.lastTraining = null;
    this.lastOutcome = null;
    this.forgetTrainedStates();
    model.maxSeqLength = Math.min(config.maxSeqLength, model.dims.maxPositions);

    const resume = options.resume ?? null;
    // A resumed run keeps its own config (it was taken from this same one; exactness matters more).
    const run = new TrainingRun(model, d.train, resume?.state.config ?? runConfigFor(config, settings, memory.miniBatchSize));
    // A checkpoint that does not fit (other data, model or config) is refused before anything changes.
    if (resume) checkCompatible(run, resume);
    const control: TrainingControl = {
      abort: new AbortController(), paused: options.startPaused ?? false, resume: null, checkpointRequested: false, poisonRequested: false,
    };
    this.control = control;
    let lastCheckpoint: Checkpoint | null = resume;
    // Until the first step, a failure leaves the run as it was (a resume that cannot start stays resumable).
    let stepping = false;
    const priorSeconds = options.resumeSeconds ?? 0;
    const started = performance.now();
    let pausedMs = 0;
    const trainingSeconds = () => priorSeconds + (performance.now() - started - pausedMs) / 1000;
    const everySteps = config.checkpointEvery ?? 0;
    const everySeconds = config.checkpointSeconds ?? 0;
    /** Training seconds at the last checkpoint taken (or at the start). */
    let checkpointedAt = priorSeconds;
    try {
      const baseline = d.evalSet ? await this.evaluateNow(settings, 'base') : null;
      await this.useWeights('base');
      if (resume) {
        restoreCheckpoint(run, resume);
        this.liveParams = resume.tensors.params;
      } else {
        this.liveParams = this.baseParams;
      }
      this.current = 'live';
      const startStep = run.stepsDone;
      onEvent({ type: 'state', state: 'running' });
      if (baseline) onEvent({ type: 'eval', step: 0, metrics: baseline.metrics, movers: [] });
      if (resume) {
        const evals = [
          ...(baseline ? [{ step: 0, metrics: baseline.metrics }] : []),
          ...(options.resumeEvals ?? []).filter((e) => e.step > 0 && e.step <= startStep),
        ];
        onEvent({ type: 'history', step: startStep, totalSteps: run.totalSteps, losses: run.losses.map(({ step, loss, lr }) => ({ step, loss, lr })), evals });
      }
      const evaluateNow = async (step: number) => {
        if (!baseline || !d.evalSet) return;
        this.trainedParams = await model.store.readParams();
        this.trainedStep = step;
        this.forgetTrainedStates();
        const now = await this.evaluateNow(settings, 'trained');
        this.lastOutcome = { before: baseline.metrics, after: now.metrics, finalLoss: run.losses.at(-1)?.loss ?? null };
        const movers: RankMover[] = d.evalSet.queries
          .map((query, i) => {
            const before = baseline.firstRelevantRank[i], after = now.firstRelevantRank[i];
            return { query, before, now: after, delta: (before ?? IR_MAX_K + 1) - (after ?? IR_MAX_K + 1) };
          })
          .filter((m) => m.delta !== 0)
          .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
          .slice(0, 10);
        onEvent({ type: 'eval', step, metrics: now.metrics, movers });
      };
      /** With nothing in flight: snapshot weights, moments, RNGs and data position, and hand it on. */
      const checkpoint = async (reason: 'interval' | 'pause' | 'request') => {
        if (lastCheckpoint && lastCheckpoint.state.step === run.stepsDone && reason !== 'interval') return;
        this.resumeLiveWeights();
        let taken: Checkpoint;
        try {
          taken = await captureCheckpoint(run, { ...options.meta, reason, trainingSeconds: trainingSeconds() });
        } catch (e) {
          // Non-finite weights: the next step reports the divergence; the last good checkpoint stays.
          // Anything else (a lost device) ends the run below.
          if (!(e instanceof CheckpointError)) throw e;
          onEvent({ type: 'checkpoint', step: run.stepsDone, saved: false, message: e.message });
          return;
        }
        lastCheckpoint = taken;
        checkpointedAt = trainingSeconds();
        await options.onCheckpoint?.(taken);
      };
      stepping = true;
      await run.run(
        (r) => {
          const elapsed = (performance.now() - started - pausedMs) / 1000;
          const rate = (r.step - startStep) / Math.max(elapsed, 1e-9);
          onEvent({
            type: 'step', step: r.step, totalSteps: run.totalSteps, epoch: r.epoch, loss: r.loss, lr: r.lr,
            pairsPerSecond: ((r.step - startStep) * config.batchSize) / Math.max(elapsed, 1e-9), etaSeconds: (run.totalSteps - r.step) / rate,
          });
        },
        {
          signal: control.abort.signal,
          checkpointEvery: config.checkpointEvery ?? 0,
          onCheckpoint: () => checkpoint('interval'),
          beforeStep: async (done, drain) => {
            // A step boundary: let a Pause or Cancel sent during the last step be heard now.
            await yieldToEvents();
            if (control.abort.signal.aborted) return;
            if (config.evalEvery > 0 && done > startStep && done % config.evalEvery === 0) {
              await drain();
              await evaluateNow(done);
            }
            // Checkpoints on: the first comes after the first step (a reload soon after Start loses
            // little), then every N steps (run.run) or every T seconds, whichever comes first.
            const checkpointing = everySteps > 0 || everySeconds > 0;
            const firstStep = done === 1 && startStep === 0;
            const overdue = everySeconds > 0 && done > startStep && trainingSeconds() - checkpointedAt >= everySeconds;
            if (checkpointing && (firstStep || overdue) && lastCheckpoint?.state.step !== done) {
              await drain();
              await checkpoint('interval');
            }
            if (control.checkpointRequested) {
              control.checkpointRequested = false;
              await drain();
              await checkpoint('request');
            }
            if (control.paused) {
              await drain();
              await checkpoint('pause');
              // Resumed or cancelled while the checkpoint was being taken: no pause to wait out.
              if (control.paused && !control.abort.signal.aborted) {
                const pausedAt = performance.now();
                onEvent({ type: 'state', state: 'paused' });
                await new Promise<void>((resolve) => (control.resume = resolve));
                pausedMs += performance.now() - pausedAt;
                onEvent({ type: 'state', state: 'running' });
              }
            }
            this.resumeLiveWeights();
            if (control.poisonRequested) {
              control.poisonRequested = false;
              await drain();
              await this.poisonOneWeight();
            }
          },
        },
      );
      const cancelled = control.abort.signal.aborted;
      this.resumeLiveWeights();
      this.trainedParams = await model.store.readParams();
      this.weightsVersion++;
      this.trainedStep = run.trainer.stepsTaken;
      this.current = 'trained';
      this.liveParams = null;
      this.lastTraining = { config, seconds: trainingSeconds(), steps: run.trainer.stepsTaken };
      this.lastOutcome = { before: baseline?.metrics ?? null, after: null, finalLoss: run.losses.at(-1)?.loss ?? null };
      if (!cancelled) await evaluateNow(run.trainer.stepsTaken);
      onEvent({ type: 'state', state: cancelled ? 'cancelled' : 'finished' });
    } catch (e) {
      const lost = await this.backend.deviceLost(1000);
      this.liveParams = null;
      if (lost !== null) {
        // Nothing on this device can be trusted or read any more; the caller rebuilds it.
        this.current = 'base';
        throw new DeviceLostError(lost, lastCheckpoint);
      }
      this.backend.write(model.store.params, this.baseParams!);
      this.current = 'base';
      // A run that never took a step changed nothing: the caller reports the error.
      if (!stepping) throw e;
      // A failed run must not leave half-updated weights behind as "trained": keep the last good
      // checkpoint's weights (or the last evaluated ones, or none).
      let message = (e as Error).message;
      const kept = lastCheckpoint && lastCheckpoint.state.step > 0 ? lastCheckpoint : null;
      if (kept) {
        this.trainedParams = kept.tensors.params;
        this.forgetTrainedStates();
        this.lastTraining = { config, seconds: trainingSeconds(), steps: kept.state.step };
      } else if (this.trainedParams) {
        this.lastTraining = { config, seconds: trainingSeconds(), steps: this.trainedStep };
      }
      const keptText = kept
        ? `The run keeps the weights of its last good checkpoint, step ${kept.state.step}.`
        : this.trainedParams
          ? `The run keeps the weights of its last evaluation, step ${this.trainedStep}.`
          : 'No weights were kept (no checkpoint or evaluation had been taken yet).';
      if (e instanceof NonFiniteTrainingError) {
        const what = Number.isFinite(e.loss) ? `the gradient norm became ${e.gradNorm}` : `the loss became ${e.loss}`;
        message = `Training stopped at step ${e.step}: ${what}, so that step was not applied. ${keptText} Try a lower learning rate (it was ${e.lr}), or more warmup steps.`;
      } else {
        message = `${message} ${keptText}`;
      }
      if (this.trainedParams) {
        this.backend.write(model.store.params, this.trainedParams);
        this.current = 'trained';
      }
      onEvent({ type: 'state', state: 'failed', message });
      throw e;
    } finally {
      this.control = null;
    }
  }

  /** Fault injection: a NaN in the embeddings' LayerNorm scale, which every token passes through. */
  private async poisonOneWeight(): Promise<void> {
    const loaded = this.requireModel();
    const entry = loaded.layout.entries.find((e) => e.name.endsWith('LayerNorm.weight')) ?? loaded.layout.entries[0];
    const params = await loaded.model.store.readParams();
    params[entry.offset] = Number.NaN;
    this.backend.write(loaded.model.store.params, params);
  }

  /**
   * Whether a checkpoint can go on with the loaded model and dataset split, said in the user's
   * terms; the exact check (config, RNG states) runs again when training starts.
   */
  checkCheckpointFits(checkpoint: Checkpoint, datasetName: string): void {
    const loaded = this.requireModel();
    const d = this.requireDataset();
    const { data, model } = checkpoint.state;
    if (model.size !== loaded.layout.totalSize) {
      throw new CheckpointError(`this run's checkpoint was saved from a model with ${model.size} parameter values; the loaded model has ${loaded.layout.totalSize}`);
    }
    if (data.examples !== d.train.length || data.fingerprint !== datasetFingerprint(d.train)) {
      throw new CheckpointError(
        `this run trained on other rows (${data.examples} training examples; the loaded dataset's training split has ${d.train.length}). ` +
          `Load ${datasetName}, the file it trained on, with the split it used, then resume.`,
      );
    }
  }

  /** Asks the running training for a checkpoint before its next step (the page is about to be hidden). */
  requestCheckpoint(): void {
    if (this.control) this.control.checkpointRequested = true;
  }

  /** Fault injection for the studio's tests: the next step sees a NaN weight. */
  injectNonFinite(): void {
    if (!this.control) throw new Error('no training run is going');
    this.control.poisonRequested = true;
  }

  /** Bumped whenever the model or its fine-tuned weights change, so caches outside the workspace know. */
  weightsVersion = 0;

  private forgetTrainedStates(): void {
    this.weightsVersion++;
    for (const key of [...this.tokenStates.keys()]) if (key.startsWith('trained')) this.tokenStates.delete(key);
  }

  pause(): void {
    if (this.control) this.control.paused = true;
  }

  resume(): void {
    if (!this.control) return;
    this.control.paused = false;
    this.control.resume?.();
    this.control.resume = null;
  }

  cancel(): void {
    if (!this.control) return;
    this.control.abort.abort();
    this.resume();
  }

  // ---- compare and export -------------------------------------------------------------------------

  compare(settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<Comparison> {
    return this.asJob((signal) => this.compareNow(settings, topK, signal, onProgress));
  }

  private async compareNow(settings: RetrievalSettings, topK: number, signal: AbortSignal, onProgress?: ProgressCallback): Promise<Comparison> {
    const set = this.requireEvalSet();
    const side = async (weights: WeightsState) => {
      const { queries, corpus, dimension } = await this.embeddings(settings, weights, onProgress, signal);
      const rankings = computeRankings(queries, corpus, dimension, IR_MAX_K, 'cosine');
      const result = informationRetrievalMetrics(rankings, set.relevant, { similarity: 'cosine' });
      return { rankings, result };
    };
    const before = await side('base');
    const after = await side('trained');
    const rankOf = (r: typeof before, q: number) => r.result.perQuery.find((p) => p.query === q)?.firstRelevantRank ?? null;
    const hits = (r: typeof before, q: number): SearchHit[] =>
      Array.from(r.rankings[q].corpusIndex.subarray(0, topK), (c, i) => ({
        corpusIndex: c, text: set.corpus[c], score: r.rankings[q].score[i], relevant: set.relevant[q].has(c),
      }));
    const rankIn = (r: typeof before, q: number, c: number) => {
      const at = r.rankings[q].corpusIndex.indexOf(c);
      return at < 0 ? null : at + 1;
    };
    return {
      before: metricsFromEvaluator(before.result.metrics),
      after: metricsFromEvaluator(after.result.metrics),
      bm25: this.bm25Evaluate().metrics,
      queries: set.queries.map((query, q) => ({
        query, rankBefore: rankOf(before, q), rankAfter: rankOf(after, q), topBefore: hits(before, q), topAfter: hits(after, q),
        relevant: [...set.relevant[q]].map((c) => ({ corpusIndex: c, text: set.corpus[c], rankBefore: rankIn(before, q, c), rankAfter: rankIn(after, q, c) })),
      })),
    };
  }

  /**
   * Queries and documents before and after fine-tuning, in one UMAP, t-SNE or PCA frame. Coloured
   * by query group: a query and its relevant documents share one; other documents get -1.
   */
  project(settings: RetrievalSettings, onProgress?: ProgressCallback, maxPoints?: number, method: MapMethod = 'umap'): Promise<ProjectionPoint[]> {
    return this.asJob((signal) => this.projectNow(settings, signal, onProgress, maxPoints ?? MAP_MAX_TEXTS[method], method));
  }

  private async projectNow(
    settings: RetrievalSettings, signal: AbortSignal, onProgress: ProgressCallback | undefined, maxPoints: number, method: MapMethod,
  ): Promise<ProjectionPoint[]> {
    const set = this.requireEvalSet();
    const before = await this.embeddings(settings, 'base', onProgress, signal);
    const after = await this.embeddings(settings, this.trainedParams ? 'trained' : 'base', onProgress, signal);
    const D = before.dimension;
    const docGroup = new Map<number, number>();
    set.relevant.forEach((docs, q) => docs.forEach((d) => docGroup.has(d) || docGroup.set(d, q)));
    const queries = set.queries.slice(0, Math.min(set.queries.length, Math.floor(maxPoints / 3)));
    const docs = set.corpus.map((_, i) => i).slice(0, Math.max(0, maxPoints - queries.length));
    const pick = (emb: { queries: Float32Array; corpus: Float32Array }) => {
      const out = new Float32Array((queries.length + docs.length) * D);
      queries.forEach((_, q) => out.set(emb.queries.subarray(q * D, q * D + D), q * D));
      docs.forEach((d, j) => out.set(emb.corpus.subarray(d * D, d * D + D), (queries.length + j) * D));
      return out;
    };
    const { before: b, after: a } = await mapTogether(method, pick(before), pick(after), D, {
      // The fit stops when its progress callback returns false.
      onProgress: (done, total) => {
        onProgress?.(`projecting with ${MAP_LABELS[method]}`, done, total);
        return !signal.aborted;
      },
    });
    if (signal.aborted) throw new DOMException('projection cancelled', 'AbortError');
    const point = (i: number, text: string, kind: 'query' | 'document', group: number): ProjectionPoint => ({
      text, kind, group, before: [b[2 * i], b[2 * i + 1]], after: [a[2 * i], a[2 * i + 1]],
    });
    return [
      ...queries.map((q, i) => point(i, q, 'query', i)),
      ...docs.map((d, j) => point(queries.length + j, set.corpus[d], 'document', docGroup.get(d) ?? -1)),
    ];
  }

  /**
   * What the model card says about this model beyond its config: how it was trained (the last
   * run's config, data, time, loss) and its retrieval metrics before and after.
   */
  private cardDetails(settings: RetrievalSettings, card: CardDetails): CardDetails {
    const t = this.trainedParams ? this.lastTraining : null;
    const d = this.dataset;
    if (!t || !d) return card;
    const shape = d.data.detection.ok ? d.data.detection.mapping.shape : null;
    const columns = shape && shape !== 'labeled-texts' ? recipeColumns(shape, d.train[0]?.texts.length ?? 2) : [];
    const run = this.runDescription(t.config, settings, columns);
    const o = this.lastOutcome;
    const training = trainingCardInfo(
      run,
      { name: d.data.report.file, size: d.train.length, evalSize: d.evalRows.length, ...(shape ? { shape } : {}) },
      { steps: t.steps, seconds: t.seconds, ...(o?.finalLoss != null ? { finalLoss: o.finalLoss } : {}), hardware: this.backend.adapter.summary },
    );
    const cardMetrics: readonly RetrievalMetricKey[] = ['mrr@10', 'ndcg@10', 'map@100', 'accuracy@1', 'recall@10'];
    const after = o?.after;
    const evaluation = after
      ? { dataset: `the eval split of ${d.data.report.file} (${d.evalSet?.queries.length ?? 0} queries, ${d.evalSet?.corpus.length ?? 0} documents)`, metrics: cardMetrics.map((k) => ({ name: evaluatorKey(k), before: o.before?.[k] ?? null, after: after[k] })) }
      : undefined;
    return { ...card, training, ...(evaluation ? { evaluation } : {}) };
  }

  private runDescription(config: TrainingConfig, settings: RetrievalSettings, columns: readonly string[]): StudioRunDescription {
    const memory = this.memoryPlan(config);
    return {
      config: runConfigFor(config, settings, memory.miniBatchSize),
      maxSeqLength: Math.min(config.maxSeqLength, this.requireModel().model.dims.maxPositions),
      columns,
      evalEvery: config.evalEvery,
      checkpointEvery: config.checkpointEvery ?? 0,
      promptSuffixes: { query: parseTemplate(settings.queryTemplate).suffix, document: parseTemplate(settings.corpusTemplate).suffix },
    };
  }

  /**
   * "Continue on GPUs": the sentence-transformers project that reproduces a run of `config` on
   * this dataset split, from `baseModel` (a Hub id, or "base_model" with the base weights beside it).
   */
  async recipeFiles(config: TrainingConfig, settings: RetrievalSettings, baseModel: string | null): Promise<Map<string, Uint8Array>> {
    const loaded = this.requireModel();
    const d = this.requireDataset();
    const shape = d.data.detection.ok ? d.data.detection.mapping.shape : null;
    if (!shape || shape === 'labeled-texts') throw new Error('no loss trains on this dataset, so there is no run to continue');
    if (!d.data.losses.includes(config.loss)) throw new Error(`the ${config.loss} loss does not fit this dataset's shape`);
    const columns = recipeColumns(shape, d.train[0]?.texts.length ?? 2);
    const t = this.lastTraining;
    const files = buildRecipe({
      baseModel: baseModel ?? 'base_model',
      run: this.runDescription(config, settings, columns),
      pooling: { mode: settings.pooling, includePrompt: settings.includePrompt },
      normalize: settings.normalize,
      train: d.train,
      evalSet: d.evalSet,
      templates: { query: parseTemplate(settings.queryTemplate), document: parseTemplate(settings.corpusTemplate) },
      ...(t && this.lastOutcome
        ? { studio: { metrics: { ...(this.lastOutcome.after ?? {}) }, note: `the studio's run: ${t.steps} steps in ${t.seconds.toFixed(1)} s on ${this.backend.adapter.summary}` } }
        : {}),
    });
    if (baseModel === null) {
      // Not on the Hub (built-in or the person's own files): the base weights travel with the recipe.
      await this.useWeights('base');
      for (const [rel, bytes] of await sentenceTransformersFolder(loaded, { onnx: false })) files.set(`base_model/${rel}`, bytes);
    }
    return files;
  }

  /** The fine-tuned (or, before training, the base) model as sentence-transformers files, with its model card. */
  async exportFolder(settings: RetrievalSettings, card: CardDetails = {}): Promise<Map<string, Uint8Array>> {
    const loaded = this.requireModel();
    await this.useWeights(this.trainedParams ? 'trained' : 'base');
    const model = loaded.model;
    const saved = { pooling: model.pooling, normalize: model.normalize };
    model.pooling = { mode: settings.pooling, includePrompt: settings.includePrompt };
    model.normalize = settings.normalize;
    try {
      const prompts: Record<string, string> = { ...loaded.config.prompts };
      const q = parseTemplate(settings.queryTemplate).prefix, c = parseTemplate(settings.corpusTemplate).prefix;
      if (q) prompts.query = q;
      if (c) prompts.document = c;
      return (await buildModelExport(loaded, { prompts, card: this.cardDetails(settings, card) })).files;
    } finally {
      model.pooling = saved.pooling;
      model.normalize = saved.normalize;
    }
  }

  /**
   * "What you evaluated is what you ship": runs the exported ONNX files (the given folder, or a
   * fresh export with these settings) through transformers.js on the eval texts — the whole eval
   * set, or a sample of about `maxTexts` queries and documents — and compares their embeddings and
   * retrieval metrics with the engine's, on the weights the export holds.
   */
  verifyOnnx(
    settings: RetrievalSettings, onProgress?: ProgressCallback, files?: ReadonlyMap<string, Uint8Array>,
    options: { maxTexts?: number; dtypes?: readonly OnnxVerificationDtype[] } = {},
  ): Promise<OnnxVerificationReport> {
    return this.asJob(async (signal) => {
      this.requireModel();
      const weights: WeightsState = this.trainedParams ? 'trained' : 'base';
      const set = this.dataset?.evalSet ?? null;
      const fallback = this.dataset ? this.dataset.data.examples.flatMap((e) => e.texts) : [];
      const texts = selectVerificationTexts(set, fallback, options.maxTexts);
      onProgress?.('exporting', 0, 1);
      const exported = files ?? (await this.exportFolder(settings));
      const engineStates = async (list: readonly string[], template: string, label: string) => {
        const states = await this.statesFor(list, 'adhoc', template, weights, (_, done, total) => onProgress?.(label, done, total), signal);
        return poolTokenStates(states, settings.pooling, settings.normalize, settings.includePrompt);
      };
      const engine =
        set && texts.source === 'eval set'
          ? await this.embeddings(settings, weights, onProgress, signal)
          : {
              queries: await engineStates(texts.queries, settings.queryTemplate, 'engine: embedding queries'),
              corpus: await engineStates(texts.corpus, settings.corpusTemplate, 'engine: embedding documents'),
              dimension: this.requireModel().model.dimension,
            };
      const score = (q: Float32Array, c: Float32Array, dimension: number) =>
        metricsFromEvaluator(informationRetrievalMetrics(computeRankings(q, c, dimension, IR_MAX_K, 'cosine'), texts.relevant!, { similarity: 'cosine' }).metrics);
      const report = await verifyOnnxFiles({
        files: exported, settings, texts, engine, score, onProgress, signal, dtypes: options.dtypes, maxSeqLength: this.requireModel().model.maxSeqLength,
        templates: { query: parseTemplate(settings.queryTemplate), corpus: parseTemplate(settings.corpusTemplate) },
      });
      return texts.relevant && texts.queries.length > 0 ? { ...report, engineMetrics: score(engine.queries, engine.corpus, engine.dimension) } : report;
    });
  }

  get training(): { config: TrainingConfig; seconds: number; steps: number } | null {
    return this.lastTraining;
  }

  // ---- saved runs (the studio API persists them; see src/storage) ---------------------------------

  /** The loaded model's parameter layout (the table weights files are written and read by). */
  get paramLayout(): ParamLayout | null {
    return this.loaded?.layout ?? null;
  }

  get currentModel(): ModelInfo | null {
    return this.modelInfo;
  }

  get isTraining(): boolean {
    return this.control !== null;
  }

  get hasDataset(): boolean {
    return this.dataset !== null;
  }

  /**
   * The weights a run has reached: read from the model while it is paused (the read starts at
   * once, before training can resume), else the fine-tuned weights, if any.
   */
  snapshotTrainedParams(): Promise<Float32Array | null> {
    if (this.control?.paused && this.loaded) return this.loaded.model.store.readParams();
    return Promise.resolve(this.trainedParams);
  }

  /** A digest of the base weights: saved runs only fit the model they started from. */
  baseFingerprint(): Promise<string> {
    const base = this.baseParams;
    if (!base) return Promise.reject(new Error('load a model first'));
    let digest = BASE_FINGERPRINTS.get(base);
    if (!digest) {
      digest = sha256Hex(base, 32);
      BASE_FINGERPRINTS.set(base, digest);
    }
    return digest;
  }

  /** The fine-tuned weights (host copies) and how they were trained, to carry into a rebuilt workspace. */
  keptTrainedWeights(): { params: Float32Array; training: { config: TrainingConfig; seconds: number; steps: number } | null } | null {
    return this.trainedParams ? { params: this.trainedParams, training: this.lastTraining } : null;
  }

  /** Makes saved weights (a reopened run) the fine-tuned weights, as if that run had just ended. */
  adoptTrainedWeights(params: Float32Array, training: { config: TrainingConfig; seconds: number; steps: number } | null): void {
    if (this.control) throw new Error('a training run is going: wait for it to end, or cancel it, before opening another run');
    const loaded = this.requireModel();
    if (params.length !== loaded.layout.totalSize) throw new Error(`the saved weights have ${params.length} values; the loaded model has ${loaded.layout.totalSize}`);
    if (training) {
      const maxSeqLength = Math.min(training.config.maxSeqLength, loaded.model.dims.maxPositions);
      if (loaded.model.maxSeqLength !== maxSeqLength) {
        loaded.model.maxSeqLength = maxSeqLength;
        this.tokenStates.clear();
      }
    }
    this.trainedParams = params;
    this.trainedStep = training?.steps ?? 0;
    this.forgetTrainedStates();
    if (this.current === 'trained') this.backend.write(loaded.model.store.params, params);
    this.lastTraining = training;
  }
}

/** Base-weight digests, per parameter buffer (a new model load makes a new buffer). */
const BASE_FINGERPRINTS = new WeakMap<Float32Array, Promise<string>>();
