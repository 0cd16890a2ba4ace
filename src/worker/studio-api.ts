import { unzipSync, zipSync } from 'fflate';
import type { LoadedTrainingData } from '../data/load.ts';
import type { ColumnMapping } from '../data/shape.ts';
import { type Backend } from '../engine/backend.ts';
import { loadSentenceModel, type ModelFiles } from '../io/load-model.ts';
import type {
  Comparison,
  DatasetInfo,
  EvalSummary,
  ExportResult,
  HubPushProgress,
  HubPushRequest,
  HubPushResult,
  MemoryPlanInfo,
  ModelInfo,
  ModelSource,
  OnnxVerificationReport,
  PreviewRow,
  ProgressCallback,
  ProjectionPoint,
  SearchHit,
  StepProbe,
} from './protocol.ts';
import { DeviceLostError, type TrainOptions, Workspace } from './workspace.ts';
import type { Checkpoint } from '../model/checkpoint.ts';
import { decodeCheckpointFile, encodeCheckpointFile } from '../io/checkpoint-bytes.ts';
import { RunLockedError } from '../storage/locks.ts';
import type { DatasetSummary, OpenedDataset, OpenedRun, RestorableSession, ResumePlan, RunRecord, RunSummary, StorageStatus, StoredModelSource } from './protocol.ts';
import { RunRecorder } from '../storage/run-recorder.ts';
import { newRunId } from '../storage/records.ts';
import { decodeRunWeights, encodeRunWeights, type StudioStorage } from '../storage/studio-storage.ts';

import type { PdfJsModule } from '../data/pdf/pdf-text.ts';
import { readDocument } from '../data/document.ts';
import { tripletsJsonl } from '../eval/hard-negatives.ts';
import { mineWithModel, type MiningSession } from './mining-session.ts';
import { RagCheck } from './rag-check.ts';
import type {
  BaselineSummary, ChunkSettings, MapMethod, MinedRow, MiningOptions, MiningSummary, RagAnswer, RagChunk, RagDocumentInfo, TripletDatasetResult,
} from './protocol-checks.ts';
import { BACKEND_LABELS, type BackendPreference } from '../shared/names.ts';
import type { BackendInfo, TrainingEvent, WeightsState } from '../shared/events.ts';
import { DEFAULT_CHUNK_SETTINGS, type RetrievalSettings, type TrainingConfig } from '../shared/settings.ts';
import type { EvalPoint } from '../shared/events.ts';
import type { SplitSettings } from '../shared/settings.ts';

/** The name a mined triplet dataset is loaded, saved and exported under. */
export const MINED_TRIPLETS_FILE = 'mined-triplets.jsonl';

/** What differs between the browser worker and Node: where backends, models and files come from. */
export interface StudioEnvironment {
  /** fallbackReason: why the backend is not WebGPU, when it is not. */
  createBackend(preference: BackendPreference): Promise<{ backend: Backend; fallbackReason?: string }>;
  resolveModel(source: ModelSource, onProgress: ProgressCallback, signal: AbortSignal): Promise<{ files: ModelFiles; name: string; randomWeights: boolean }>;
  /** A File/Blob is streamed (JSONL) with progress in bytes; bytes come from storage. */
  parseDataset(name: string, data: Uint8Array | Blob, mapping?: ColumnMapping, onProgress?: (loaded: number, total: number | null) => void): Promise<LoadedTrainingData>;
  /** Where runs, their weights and datasets are kept between visits; absent: nothing is kept. */
  storage?: StudioStorage;
  /** pdf.js, for PDFs dropped on the RAG check; absent: PDFs are refused. */
  pdfjs?: () => Promise<PdfJsModule>;
}

/** A model source as it can be remembered: no token, no file bytes. */
export function storedModelSource(source: ModelSource, name: string): StoredModelSource {
  switch (source.kind) {
    case 'builtin':
      return { kind: 'builtin' };
    case 'hub':
      return source.endpoint ? { kind: 'hub', repoId: source.repoId, endpoint: source.endpoint } : { kind: 'hub', repoId: source.repoId };
    default:
      return { kind: 'local', name };
  }
}

/** "the built-in model", "BAAI/bge-small-en-v1.5 from the Hub", … */
export function describeModelSource(source: StoredModelSource | null, name: string): string {
  if (!source) return name;
  if (source.kind === 'builtin') return 'the built-in model';
  if (source.kind === 'hub') return `${source.repoId} from the Hub`;
  return `${source.name} (from your own files)`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Faults the studio's own tests inject to prove that nothing is lost. */
export type InjectedFault = 'device-lost' | 'non-finite';

/** Device losses a run survives without getting past its checkpoint in between before it gives up. */
const MAX_DEVICE_RECOVERIES = 3;

/** Where a resumed run picks up: its checkpoint, its saved evaluations and training time. */
interface ResumeFrom {
  readonly checkpoint: Checkpoint;
  readonly evals: readonly EvalPoint[];
  readonly seconds: number;
}

/** How long the checkpoint says it had trained, when it says so. */
function checkpointSeconds(c: Checkpoint, fallback: number): number {
  const s = c.state.meta.trainingSeconds;
  return typeof s === 'number' && Number.isFinite(s) ? s : fallback;
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
  /** Persistence state: what the last model and dataset were, which run this tab holds, what failed. */
  private modelSource: StoredModelSource | null = null;
  private datasetRef: { id: string | null; name: string } | null = null;
  private currentRun: string | null = null;
  private saveProblem: string | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** What the loaded model was read from: a lost device is rebuilt from it. */
  private modelLoad: { files: ModelFiles; name: string; randomWeights: boolean } | null = null;
  private preference: BackendPreference = 'auto';
  private rebuilding: Promise<BackendInfo> | null = null;
  /**
   * What the page asked of the run being driven, kept across device rebuilds (when the
   * workspace has no run to tell): a cancel ends it, a pause holds it.
   */
  private intent: { cancelled: boolean; paused: boolean } | null = null;
  /** A checkpoint read and checked by prepareResume, for the resumeRun that follows. */
  private prepared: { id: string; checkpoint: Checkpoint } | null = null;
  /** The last hard-negative mining, until its triplets are used or it is mined again. */
  private mining: MiningSession | null = null;
  /** The RAG check's document. */
  private rag: RagCheck | null = null;

  constructor(private readonly env: StudioEnvironment) {}

  /** Resolves once a backend exists, so actions clicked before the engine started wait for it. */
  // Declared before `started`, whose initializer replaces it with the promise's resolver.
  private markStarted: () => void = () => {};
  private started: Promise<void> = new Promise((resolve) => (this.markStarted = resolve));
  private initializing: Promise<BackendInfo> | null = null;

  private async ready(): Promise<Workspace> {
    await this.started;
    if (this.rebuilding) await this.rebuilding;
    const ws = this.ws();
    // A device lost between runs (a driver reset while the tab sat idle) is rebuilt quietly,
    // once however many requests find it gone.
    if (!ws.isTraining && (await ws.backend.deviceLost()) !== null) {
      this.rebuilding ??= this.rebuildAfterDeviceLoss().finally(() => (this.rebuilding = null));
      await this.rebuilding;
      return this.ws();
    }
    return ws;
  }

  /**
   * Starts the engine once. The page may ask twice (React runs mount effects twice in development,
   * and `auto` takes seconds to probe): a second ask for the same preference gets the first one's
   * answer instead of a second backend, which would drop a model loaded into the first meanwhile.
   */
  init(preference: BackendPreference): Promise<BackendInfo> {
    if (this.initializing && this.preference === preference) return this.initializing;
    this.preference = preference;
    this.initializing = (async () => {
      this.workspace?.backend.destroy();
      const { backend, fallbackReason } = await this.env.createBackend(preference);
      this.workspace = new Workspace(backend);
      this.backendInfo = fallbackReason ? { adapter: backend.adapter, fallbackReason } : { adapter: backend.adapter };
      this.markStarted();
      return this.backendInfo;
    })();
    return this.initializing;
  }

  /** The backend now (it changes when a lost GPU is replaced). */
  backend(): BackendInfo | null {
    return this.backendInfo;
  }

  /**
   * A new device (or the CPU backend when WebGPU will not start again), with the model reloaded
   * from its files, the dataset and split set again and any fine-tuned weights carried over.
   */
  private async rebuildAfterDeviceLoss(): Promise<BackendInfo> {
    const old = this.ws();
    try {
      old.backend.destroy();
    } catch {
      // Already gone with the device.
    }
    const { backend, fallbackReason } = await this.env.createBackend(this.preference);
    const ws = new Workspace(backend);
    if (this.modelLoad) {
      const loaded = await loadSentenceModel(this.modelLoad.files, backend);
      await ws.setModel(loaded, { name: this.modelLoad.name, randomWeights: this.modelLoad.randomWeights });
      if (this.dataset) ws.setDataset(this.dataset, this.split);
      const trained = old.keptTrainedWeights();
      if (trained) ws.adoptTrainedWeights(trained.params, trained.training);
    }
    this.workspace = ws;
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
    const ws = await this.ready();
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    const { files, name, randomWeights } = await this.env.resolveModel(source, onProgress, abort.signal);
    onProgress('reading weights', 0, 1);
    const loaded = await loadSentenceModel(files, ws.backend);
    onProgress('reading weights', 1, 1);
    const info = await ws.setModel(loaded, { name, randomWeights });
    this.modelLoad = { files, name, randomWeights };
    if (this.dataset) ws.setDataset(this.dataset, this.split);
    this.modelSource = storedModelSource(source, name);
    await this.env.storage?.rememberModel(this.modelSource).catch((e: unknown) => this.noteSaveProblem('remembering the model', e));
    return info;
  }

  async loadDataset(name: string, data: Uint8Array | Blob, split: SplitSettings, mapping?: ColumnMapping, onProgress?: ProgressCallback): Promise<DatasetInfo> {
    await this.ready();
    const progress = onProgress && ((loaded: number, total: number | null) => onProgress(`reading ${name}`, loaded, total ?? loaded));
    this.dataset = await this.env.parseDataset(name, data, mapping, progress);
    this.split = split;
    const info = this.ws().setDataset(this.dataset, split);
    this.datasetRef = { id: null, name };
    // A file that yields no rows (unmapped columns, every row refused) is not kept: there is
    // nothing in it to come back to. Mapped again, it is saved then.
    if (this.env.storage && info.rows > 0) {
      try {
        // The store keeps bytes: a File is read whole (bytes, never text) only now, after parsing.
        const bytes = data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer());
        this.datasetRef = { id: (await this.env.storage.saveDataset(name, bytes, mapping ?? null, split)).id, name };
      } catch (e) {
        this.noteSaveProblem(`saving the dataset ${name}`, e);
      }
    }
    return info;
  }

  setSplit(split: SplitSettings): DatasetInfo {
    if (!this.dataset) throw new Error('load a dataset first');
    this.split = split;
    const id = this.datasetRef?.id;
    if (id && this.env.storage) void this.env.storage.updateDataset(id, { split }).catch((e: unknown) => this.noteSaveProblem('saving the split', e));
    return this.ws().setDataset(this.dataset, split);
  }

  rows(offset: number, count: number): PreviewRow[] {
    return this.ws().rows(offset, count);
  }

  evalQueries(): string[] {
    return this.ws().evalQueries();
  }

  async search(query: string, settings: RetrievalSettings, weights: WeightsState, topK: number): Promise<SearchHit[]> {
    return (await this.ready()).search(query, settings, weights, topK);
  }

  async evaluate(settings: RetrievalSettings, weights: WeightsState, onProgress?: ProgressCallback): Promise<EvalSummary> {
    return (await this.ready()).evaluate(settings, weights, onProgress);
  }

  memoryPlan(config: TrainingConfig): MemoryPlanInfo {
    return this.ws().memoryPlan(config);
  }

  /** Times a training step of this configuration here, before a run (the base weights are kept). */
  async probeStep(config: TrainingConfig, settings: RetrievalSettings): Promise<StepProbe> {
    return (await this.ready()).probeStep(config, settings);
  }

  /**
   * Trains; with storage, the run gets an id and a lock at the start and is saved (record and
   * weights) when it pauses, is cancelled, fails or finishes, and its checkpoints as they are
   * taken. A lost GPU is rebuilt (or replaced by the CPU backend) and the run goes on from its
   * last checkpoint. The promise settles once every save is done.
   */
  async train(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void): Promise<void> {
    const ws = await this.ready();
    const storage = this.env.storage;
    let recorder: RunRecorder | null = null;
    if (storage && !ws.isTraining) {
      try {
        recorder = await this.startRecording(storage, config, settings);
        // Recorded before the base model is measured: a reload from here on finds the run as
        // "interrupted", with its settings and dataset, to resume or restart.
        if (recorder) this.queueRunSave(storage, recorder, false);
      } catch (e) {
        this.noteSaveProblem('starting the run record (this run will not be saved)', e);
      }
    }
    return this.drive(config, settings, onEvent, recorder, null);
  }

  /**
   * Checks that a saved run can go on here and sets the studio up for it: the run must not be
   * open in another tab, the loaded model must be the one it started from, its dataset (when
   * saved) and split are loaded again, and its checkpoint must fit them.
   */
  async prepareResume(id: string): Promise<ResumePlan> {
    const storage = this.requireStorage();
    const ws = await this.ready();
    if (ws.isTraining) throw new Error('a training run is going: wait for it to end, or cancel it, before resuming another');
    // Only a probe: the lock is taken for good by resumeRun.
    await storage.locks.with(id, async () => undefined);
    const run = await storage.requireRun(id);
    if (!run.checkpoint) throw new Error(`run ${id} has no checkpoint to resume from${run.checkpointProblem ? ` (${run.checkpointProblem})` : ''}`);
    await this.requireRunModel(run);
    const checkpoint = await this.readCheckpoint(storage, run);
    let dataset: DatasetInfo | null = null;
    const split = run.dataset.split ?? this.split;
    if (run.dataset.id && this.datasetRef?.id !== run.dataset.id) {
      dataset = (await this.openDataset(run.dataset.id)).info;
    } else if (!this.dataset) {
      throw new Error(`This run trained on ${run.dataset.name}, which is not saved in this browser; load it in the Data panel, then resume.`);
    }
    if (split.evalFraction !== this.split.evalFraction || split.seed !== this.split.seed) dataset = this.setSplit(split);
    this.ws().checkCheckpointFits(checkpoint, run.dataset.name);
    this.prepared = { id, checkpoint };
    return { run, dataset, split };
  }

  /**
   * The run's checkpoint: the file the record names, or — when a crash came between swapping in
   * a newer file and writing the record — whichever complete copy is newest.
   */
  private async readCheckpoint(storage: StudioStorage, run: RunRecord): Promise<Checkpoint> {
    let best: Checkpoint | null = null;
    let problem = '';
    for (const bytes of await storage.files.readCheckpointCopies(run.id)) {
      try {
        const c = decodeCheckpointFile(bytes, `the checkpoint of run ${run.id}`);
        if (!best || c.state.step > best.state.step) best = c;
      } catch (e) {
        problem ||= messageOf(e);
      }
    }
    if (!best) throw new Error(`the checkpoint of run ${run.id} is missing or damaged${problem ? ` (${problem})` : ' (the browser may have cleared site data)'}`);
    return best;
  }

  /** Continues a saved run from its checkpoint (call prepareResume first); events as for train(). */
  async resumeRun(id: string, onEvent: (e: TrainingEvent) => void): Promise<void> {
    const storage = this.requireStorage();
    const ws = await this.ready();
    if (ws.isTraining) throw new Error('a training run is going: wait for it to end, or cancel it, before resuming another');
    await storage.locks.hold(id);
    let checkpoint: Checkpoint;
    let run: RunRecord;
    try {
      // Read under the lock: another tab may have moved it on before we took it.
      run = await storage.requireRun(id);
      await this.requireRunModel(run);
      checkpoint = this.prepared?.id === id ? this.prepared.checkpoint : await this.readCheckpoint(storage, run);
      ws.checkCheckpointFits(checkpoint, run.dataset.name);
    } catch (e) {
      if (this.currentRun !== id) storage.locks.release(id);
      throw e;
    } finally {
      this.prepared = null;
    }
    this.holdOnly(storage, id);
    const start = {
      id, model: run.model, dataset: run.dataset, config: run.config, retrieval: run.retrieval, adapter: ws.backend.adapter.summary,
    };
    const recorder = new RunRecorder(start, Date.now, run);
    return this.drive(run.config, run.retrieval, onEvent, recorder, {
      checkpoint, evals: run.evalHistory, seconds: checkpointSeconds(checkpoint, run.durationSeconds),
    });
  }

  /**
   * Saved runs that stopped before their end (a closed tab, a crash, a pause): those with a
   * checkpoint can go on from it, those without (a reload before the first one) can restart
   * with the same settings.
   */
  async resumableRuns(): Promise<RunSummary[]> {
    const storage = this.env.storage;
    if (!storage) return [];
    const out: RunSummary[] = [];
    for (const summary of await storage.listRuns()) {
      if (summary.state !== 'running' && summary.state !== 'paused') continue;
      // A paused run without a checkpoint is a finished story: it can be reopened, not resumed.
      if (summary.state === 'paused' && summary.checkpointStep === null) continue;
      if (summary.id === this.currentRun && this.workspace?.isTraining) continue;
      try {
        // Free of any other tab's lock: a run training elsewhere right now is not "interrupted".
        await storage.locks.with(summary.id, async () => undefined);
        out.push(summary);
      } catch (e) {
        if (!(e instanceof RunLockedError)) throw e;
      }
    }
    return out;
  }

  /** Whether there are fine-tuned weights to compare and export (a failed run keeps its last checkpoint's). */
  hasTrainedWeights(): boolean {
    return this.workspace?.hasTrainedWeights ?? false;
  }

  /** The page is being hidden: take a checkpoint before the next step. */
  requestCheckpoint(): void {
    this.workspace?.requestCheckpoint();
  }

  /** For the studio's fault-injection tests: lose the GPU device, or spoil a weight mid-run. */
  injectFault(kind: InjectedFault): void {
    const ws = this.ws();
    if (kind === 'non-finite') return ws.injectNonFinite();
    if (!ws.backend.loseDevice) throw new Error(`the ${ws.backend.name} backend has no device to lose`);
    ws.backend.loseDevice();
  }

  private async requireRunModel(run: RunRecord): Promise<void> {
    const ws = this.ws();
    const wanted = describeModelSource(run.model.source, run.model.name);
    const model = ws.currentModel;
    if (!model) throw new Error(`This run fine-tuned ${wanted}. Load that model in the Model panel first, then open the run again.`);
    if ((await ws.baseFingerprint()) !== run.model.fingerprint) {
      const other = model.name === run.model.name ? `${model.name} with other weights` : model.name;
      throw new Error(`This run fine-tuned ${wanted}, but the loaded model is ${other}; its weights only fit the model it started from. Load ${wanted} in the Model panel, then open the run again.`);
    }
  }

  /**
   * Runs the training loop, survives device losses, and keeps the recorder (when there is
   * storage) and the page informed. `resume` continues a checkpoint instead of starting afresh.
   */
  private async drive(
    config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void, recorder: RunRecorder | null, resume: ResumeFrom | null,
  ): Promise<void> {
    const storage = this.env.storage ?? null;
    // The evaluations so far, for a rewind after a device loss (a resume starts from its saved ones).
    const evals: EvalPoint[] = [...(resume?.evals ?? [])];
    const emit = (e: TrainingEvent) => {
      if (e.type === 'eval') {
        if (evals.length > 0 && evals[evals.length - 1].step === e.step) evals[evals.length - 1] = { step: e.step, metrics: e.metrics };
        else evals.push({ step: e.step, metrics: e.metrics });
      } else if (e.type === 'history') {
        evals.splice(0, evals.length, ...e.evals);
      }
      const changed = recorder?.onEvent(e) ?? null;
      onEvent(e);
      if (!recorder || !storage) return;
      if (changed === 'paused' || changed === 'cancelled' || changed === 'finished' || changed === 'failed') this.queueRunSave(storage, recorder, true);
    };
    let pendingCheckpoint: Checkpoint | null = null;
    const onCheckpoint = (c: Checkpoint) => {
      if (!recorder || !storage) {
        emit({ type: 'checkpoint', step: c.state.step, saved: false, message: 'kept in memory only: this studio has no browser storage' });
        return;
      }
      // Latest wins: a checkpoint still waiting behind a slow save is replaced, not queued.
      const queued = pendingCheckpoint !== null;
      pendingCheckpoint = c;
      if (queued) return;
      this.saving = this.saving.then(async () => {
        const latest = pendingCheckpoint!;
        pendingCheckpoint = null;
        emit(await this.persistCheckpoint(storage, recorder, latest));
      });
    };
    let from = resume;
    const intent = { cancelled: false, paused: false };
    this.intent = intent;
    let recoveries = 0;
    let recoveredAt = -1;
    try {
      for (;;) {
        const options: TrainOptions = {
          onCheckpoint,
          meta: recorder ? { runId: recorder.id } : {},
          startPaused: intent.paused,
          ...(from ? { resume: from.checkpoint, resumeEvals: from.evals, resumeSeconds: from.seconds } : {}),
        };
        // The workspace holds the checkpoint from here; dropping ours keeps one copy in memory.
        from = null;
        try {
          await this.ws().train(config, settings, emit, options);
          break;
        } catch (e) {
          if (!(e instanceof DeviceLostError)) throw e;
          const checkpoint = e.checkpoint;
          const step = checkpoint?.state.step ?? 0;
          // Losses count against the limit only while the run cannot get past its checkpoint.
          recoveries = step > recoveredAt ? 1 : recoveries + 1;
          recoveredAt = step;
          const info = await this.rebuildAfterDeviceLoss();
          const ws = this.ws();
          if (intent.cancelled || recoveries > MAX_DEVICE_RECOVERIES) {
            // Cancelled (or lost too often): end the run on what its checkpoint holds.
            if (checkpoint && step > 0) ws.adoptTrainedWeights(checkpoint.tensors.params, { config, seconds: checkpointSeconds(checkpoint, 0), steps: step });
            emit({ type: 'backend', backend: info, message: `${e.message}. ${intent.cancelled ? 'The run was cancelled' : `The device was lost ${recoveries} times without the run getting past step ${step}; training stopped`}${checkpoint && step > 0 ? `, keeping the weights of its checkpoint at step ${step}` : ''}.` });
            emit(intent.cancelled ? { type: 'state', state: 'cancelled' } : { type: 'state', state: 'failed', message: `${e.message}; lost ${recoveries} times in a row.` });
            if (!intent.cancelled) throw e;
            break;
          }
          const where = info.fallbackReason ? `WebGPU could not be started again (${info.fallbackReason}), so training goes on on the ${BACKEND_LABELS[info.adapter.backend]} backend` : `a new device was created on ${info.adapter.summary}`;
          emit({
            type: 'backend', backend: info,
            message: `${e.message}. ${where[0].toUpperCase()}${where.slice(1)}; the run goes on from ${step > 0 ? `its checkpoint at step ${step}` : 'the start (no checkpoint had been taken yet)'}.`,
          });
          from = checkpoint ? { checkpoint, evals: [...evals], seconds: checkpointSeconds(checkpoint, 0) } : null;
          if (!from) emit({ type: 'history', step: 0, totalSteps: 0, losses: [], evals: [] });
        }
      }
    } finally {
      this.intent = null;
      await this.saving;
    }
  }

  /** Queues a save of the run's record and weights, both taken now, before training can go on. */
  private queueRunSave(storage: StudioStorage, recorder: RunRecorder, withWeights: boolean): void {
    const ws = this.ws();
    const record = recorder.record();
    const params = withWeights ? ws.snapshotTrainedParams() : Promise.resolve(null);
    // A paused run's weights are the live ones; otherwise the kept ones (a failed run's: its last checkpoint's).
    const weightsStep = record.state === 'paused' ? record.step : (ws.training?.steps ?? record.step);
    this.saving = this.saving.then(() => this.persistRun(storage, recorder, record, params, weightsStep));
  }

  private async persistCheckpoint(storage: StudioStorage, recorder: RunRecorder, checkpoint: Checkpoint): Promise<TrainingEvent> {
    const step = checkpoint.state.step;
    try {
      const result = await storage.saveCheckpoint(recorder.record(), encodeCheckpointFile(checkpoint), step);
      recorder.checkpoint = result.record.checkpoint ?? null;
      recorder.checkpointProblem = result.checkpointProblem;
      if (result.checkpointProblem) {
        const kept = recorder.checkpoint ? ` The checkpoint of step ${recorder.checkpoint.step} is kept.` : '';
        return { type: 'checkpoint', step, saved: false, message: `${result.checkpointProblem}${kept}` };
      }
      return { type: 'checkpoint', step, saved: true };
    } catch (e) {
      return { type: 'checkpoint', step, saved: false, message: messageOf(e) };
    }
  }

  pause(): void {
    if (this.intent) this.intent.paused = true;
    this.ws().pause();
  }
  resume(): void {
    if (this.intent) this.intent.paused = false;
    this.ws().resume();
  }
  cancel(): void {
    if (this.intent) this.intent.cancelled = true;
    this.ws().cancel();
  }

  /** Cancels the running evaluate, compare or projection job. */
  cancelJob(): void {
    this.ws().cancelJob();
  }

  async compare(settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<Comparison> {
    return (await this.ready()).compare(settings, topK, onProgress);
  }

  async project(settings: RetrievalSettings, onProgress?: ProgressCallback, method: MapMethod = 'umap'): Promise<ProjectionPoint[]> {
    return (await this.ready()).project(settings, onProgress, undefined, method);
  }

  // ---- hard-negative mining, baselines, the RAG check (issue 16) -------------------------------------

  /** BM25, the base model and (when trained) the fine-tuned one on the eval split, under one setting. */
  async baselines(settings: RetrievalSettings, onProgress?: ProgressCallback): Promise<BaselineSummary> {
    const ws = await this.ready();
    const bm25 = ws.bm25Evaluate();
    const base = (await ws.evaluate(settings, 'base', onProgress)).metrics;
    const trained = ws.hasTrained ? (await ws.evaluate(settings, 'trained', onProgress)).metrics : null;
    return { bm25: bm25.metrics, base, trained, bm25Milliseconds: bm25.milliseconds };
  }

  /** Mines hard negatives for every (anchor, positive) row with the current model. Cancel with cancelJob. */
  async mine(settings: RetrievalSettings, options: MiningOptions, onProgress?: ProgressCallback): Promise<MiningSummary> {
    const ws = await this.ready();
    this.mining = await ws.runJob((signal) => mineWithModel(ws, settings, options, onProgress, signal));
    return this.mining.summary;
  }

  minedRows(offset: number, count: number): MinedRow[] {
    return this.requireMining().rows(offset, count);
  }

  /** The mined triplets without the rejected negatives, as JSONL (anchor, positive, negative). */
  minedTripletsJsonl(rejected: readonly string[]): string {
    return tripletsJsonl(this.requireMining().triplets(rejected));
  }

  /**
   * Makes the mined triplets (less the rejected ones) the loaded dataset, saved like a dropped
   * file, so Train trains on them (MultipleNegativesRankingLoss with a hard negative per row).
   */
  async useMinedTriplets(rejected: readonly string[]): Promise<{ info: DatasetInfo; result: TripletDatasetResult }> {
    const triplets = this.requireMining().triplets(rejected);
    if (triplets.length === 0) throw new Error('every mined negative was rejected: keep at least one, or mine again with other settings');
    const bytes = new TextEncoder().encode(tripletsJsonl(triplets));
    const info = await this.loadDataset(MINED_TRIPLETS_FILE, bytes, this.split);
    this.mining = null;
    return { info, result: { name: MINED_TRIPLETS_FILE, triplets: triplets.length, rejected: rejected.length } };
  }

  private requireMining(): MiningSession {
    if (!this.mining) throw new Error('mine hard negatives first');
    return this.mining;
  }

  /** Reads a dropped document (txt, md, PDF), chunks it and keeps it with the workspace. */
  async openDocument(name: string, bytes: Uint8Array, chunking: ChunkSettings = DEFAULT_CHUNK_SETTINGS, onProgress?: ProgressCallback): Promise<RagDocumentInfo> {
    const ws = await this.ready();
    const model = ws.currentModel;
    if (!model) throw new Error('load a model first');
    const pdfjs = this.env.pdfjs ?? (() => Promise.reject(new Error('PDFs cannot be read here: drop a .txt or .md')));
    const doc = await readDocument(name, bytes, pdfjs, (done, total) => onProgress?.(`reading ${name} (page ${done} of ${total})`, done, total));
    this.rag = new RagCheck(doc, chunking, model.dimension);
    await this.env.storage?.saveDocument({ name, bytes, chunking }).catch((e: unknown) => this.noteSaveProblem(`saving the document ${name}`, e));
    return this.rag.info();
  }

  async rechunkDocument(chunking: ChunkSettings): Promise<RagDocumentInfo> {
    const ws = await this.ready();
    const rag = this.requireDocument();
    const info = rag.rechunk(chunking, ws.currentModel?.dimension ?? 0);
    const storage = this.env.storage;
    if (storage) {
      const saved = await storage.lastDocument().catch(() => null);
      if (saved && saved.name === info.name) await storage.saveDocument({ ...saved, chunking }).catch((e: unknown) => this.noteSaveProblem('saving the chunk settings', e));
    }
    return info;
  }

  /** The open document, or the one saved with the workspace (read again), or null. */
  async ragDocument(): Promise<RagDocumentInfo | null> {
    if (this.rag) return this.rag.info();
    // Chunks are checked against the model's dimension: without a model, wait for one.
    if (!this.workspace?.currentModel) return null;
    const saved = await this.env.storage?.lastDocument().catch(() => null);
    if (!saved) return null;
    try {
      return await this.openDocument(saved.name, saved.bytes, saved.chunking);
    } catch {
      // A saved document that no longer opens (its limits changed) is not kept.
      await this.env.storage?.forgetDocument().catch(() => undefined);
      return null;
    }
  }

  ragChunks(offset: number, count: number): RagChunk[] {
    return this.requireDocument().chunkPage(offset, count);
  }

  async askDocument(question: string, settings: RetrievalSettings, topK: number, onProgress?: ProgressCallback): Promise<RagAnswer> {
    const ws = await this.ready();
    const rag = this.requireDocument();
    return ws.runJob((signal) => rag.ask(ws, question, settings, topK, onProgress, signal));
  }

  async closeDocument(): Promise<void> {
    this.rag = null;
    await this.env.storage?.forgetDocument().catch(() => undefined);
  }

  private requireDocument(): RagCheck {
    if (!this.rag) throw new Error('drop a document first');
    return this.rag;
  }

  /** The model as a zip of a sentence-transformers folder (with its model card), built whole in memory first. */
  async exportZip(settings: RetrievalSettings): Promise<ExportResult> {
    const files = await (await this.ready()).exportFolder(settings);
    const entries: Record<string, Uint8Array> = {};
    for (const [path, bytes] of files) entries[`model/${path}`] = bytes;
    return { zip: zipSync(entries, { level: 6 }), files: [...files.keys()], sizes: Object.fromEntries([...files].map(([p, b]) => [p, b.byteLength])) };
  }

  private pushAbort: AbortController | null = null;

  /**
   * Exports with these settings (the card naming the repo) and pushes the folder to the Hub
   * through @huggingface/hub. Rejects with the push's own message (HubPushError) when it fails;
   * cancelPush stops it. The token lives only in this call.
   */
  async pushToHub(settings: RetrievalSettings, request: HubPushRequest, onProgress?: (p: HubPushProgress) => void): Promise<HubPushResult> {
    if (this.pushAbort) throw new Error('a push is already going');
    const controller = new AbortController();
    this.pushAbort = controller;
    try {
      const files = await (await this.ready()).exportFolder(settings, { modelId: request.repo });
      const { pushToHub } = await import('../io/hub/push.ts');
      return await pushToHub({
        repo: request.repo, files, token: request.token, private: request.private, updateExisting: request.updateExisting,
        ...(request.hubUrl ? { hubUrl: request.hubUrl } : {}), signal: controller.signal, onProgress,
      });
    } finally {
      this.pushAbort = null;
    }
  }

  cancelPush(): void {
    this.pushAbort?.abort();
  }

  /** "Continue on GPUs": the sentence-transformers project for this config and data split, zipped under recipe/. */
  async recipeZip(config: TrainingConfig, settings: RetrievalSettings): Promise<ExportResult> {
    const source = this.modelSource;
    const files = await (await this.ready()).recipeFiles(config, settings, source?.kind === 'hub' ? source.repoId : null);
    const entries: Record<string, Uint8Array> = {};
    for (const [path, bytes] of files) entries[`recipe/${path}`] = bytes;
    return { zip: zipSync(entries, { level: 6 }), files: [...files.keys()], sizes: Object.fromEntries([...files].map(([p, b]) => [p, b.byteLength])) };
  }

  /**
   * Loads the exported ONNX files back through transformers.js and compares them with the engine
   * (see Workspace.verifyOnnx). Given the zip exportZip returned, it checks exactly those bytes;
   * without it, a fresh export with these settings. Cancel with cancelJob.
   */
  async verifyOnnx(settings: RetrievalSettings, onProgress?: ProgressCallback, zip?: Uint8Array): Promise<OnnxVerificationReport> {
    const ws = await this.ready();
    let files: Map<string, Uint8Array> | undefined;
    if (zip) {
      files = new Map();
      for (const [path, bytes] of Object.entries(unzipSync(zip))) if (path.startsWith('model/') && !path.endsWith('/')) files.set(path.slice('model/'.length), bytes);
    }
    return ws.verifyOnnx(settings, onProgress, files);
  }

  // ---- saved runs and datasets ------------------------------------------------------------------------

  private requireStorage(): StudioStorage {
    if (!this.env.storage) throw new Error('runs and datasets are not kept here (no browser storage)');
    return this.env.storage;
  }

  private noteSaveProblem(what: string, e: unknown): void {
    const m = messageOf(e);
    this.saveProblem = m.startsWith('Not enough storage') ? m : `${what} failed: ${m}`;
  }

  private async startRecording(storage: StudioStorage, config: TrainingConfig, settings: RetrievalSettings): Promise<RunRecorder | null> {
    const ws = this.ws();
    const model = ws.currentModel;
    if (!model || !ws.hasDataset) return null; // train() says what is missing
    const fingerprint = await ws.baseFingerprint();
    const id = newRunId();
    await storage.locks.hold(id);
    this.holdOnly(storage, id);
    const d = ws.datasetInfo();
    const totalSteps = Math.ceil(d.trainRows / config.batchSize) * config.epochs;
    return new RunRecorder({
      totalSteps,
      id,
      model: { name: model.name, source: this.modelSource, parameters: model.parameters, dimension: model.dimension, layers: model.layers, fingerprint },
      dataset: { name: d.file, id: this.datasetRef?.id ?? null, rows: d.rows, trainRows: d.trainRows, evalRows: d.evalRows, split: { ...this.split } },
      config,
      retrieval: settings,
      adapter: ws.backend.adapter.summary,
    });
  }

  /** Makes `id` this tab's current run: the previous one's lock is let go. */
  private holdOnly(storage: StudioStorage, id: string | null): void {
    if (this.currentRun && this.currentRun !== id) storage.locks.release(this.currentRun);
    this.currentRun = id;
  }

  private async persistRun(
    storage: StudioStorage, recorder: RunRecorder, record: RunRecord, params: Promise<Float32Array | null>, weightsStep = record.step,
  ): Promise<void> {
    try {
      const flat = await params;
      const layout = this.ws().paramLayout;
      const bytes = flat && layout ? encodeRunWeights(layout, flat, { run: record.id, step: String(weightsStep) }) : undefined;
      // Files saved by earlier saves of this run (the record was taken before they were).
      let current: RunRecord = recorder.weights ? { ...record, weights: recorder.weights } : record;
      if (recorder.checkpoint) current = { ...current, checkpoint: recorder.checkpoint };
      const result = await storage.saveRun(current, bytes, weightsStep);
      recorder.weights = result.record.weights;
      recorder.weightsProblem = result.weightsProblem;
      this.saveProblem = result.weightsProblem ?? null;
      // A run that ended does not resume: once its weights are safely saved, its checkpoint
      // (three times their size) is let go — the record first, so it never names a missing file.
      const ended = current.state === 'finished' || current.state === 'cancelled' || current.state === 'failed';
      if (ended && recorder.checkpoint && bytes && !result.weightsProblem) {
        await storage.saveRun({ ...result.record, checkpoint: null });
        recorder.checkpoint = null;
        await storage.deleteCheckpoint(record.id).catch(() => undefined);
      }
    } catch (e) {
      this.noteSaveProblem(`saving run ${record.id}`, e);
    }
  }

  /** Resolves once the saves of the current or last run are done. */
  waitForSaves(): Promise<void> {
    return this.saving;
  }

  async listRuns(): Promise<RunSummary[]> {
    return this.requireStorage().listRuns();
  }

  async getRun(id: string): Promise<RunRecord> {
    return this.requireStorage().requireRun(id);
  }

  /** The run's history (config, settings, curves, metrics; no weights) as a JSON document. */
  exportRunHistory(id: string): Promise<string> {
    return this.requireStorage().exportRunHistory(id);
  }

  /** Deletes a run and its weights; refused while it trains here or is open in another tab. */
  async deleteRun(id: string): Promise<void> {
    const storage = this.requireStorage();
    if (this.currentRun === id && this.ws().isTraining) throw new Error('this run is training: cancel it first, then delete it');
    // A save still queued for this run would write it back after the delete.
    await this.saving;
    await storage.deleteRun(id);
    if (this.currentRun === id) this.currentRun = null;
  }

  /**
   * Loads a saved run's weights as the fine-tuned weights, when the model it started from is the
   * one loaded (same base weights); otherwise says which model to load first.
   */
  async openRun(id: string): Promise<OpenedRun> {
    const storage = this.requireStorage();
    const ws = this.ws();
    if (ws.isTraining) throw new Error('a training run is going: wait for it to end, or cancel it, before opening another run');
    const run = await storage.requireRun(id);
    await this.requireRunModel(run);
    await storage.locks.hold(id);
    const notes: string[] = [];
    try {
      if (!run.weights && run.checkpoint) {
        // The final weights could not be saved (a full disk): the checkpoint's are the best there are.
        const checkpoint = await this.readCheckpoint(storage, run);
        ws.adoptTrainedWeights(checkpoint.tensors.params, { config: run.config, seconds: checkpointSeconds(checkpoint, run.durationSeconds), steps: checkpoint.state.step });
        notes.push(`This run's final weights could not be saved${run.weightsProblem ? ` (${run.weightsProblem})` : ''}; these are its checkpoint's, from step ${checkpoint.state.step}.`);
      } else {
        const bytes = await storage.readRunWeights(run);
        ws.adoptTrainedWeights(decodeRunWeights(ws.paramLayout!, bytes, run.weights?.file), { config: run.config, seconds: run.durationSeconds, steps: run.weights?.step ?? run.step });
      }
    } catch (e) {
      if (this.currentRun !== id) storage.locks.release(id);
      throw e;
    }
    this.holdOnly(storage, id);
    if (run.state === 'paused') notes.push(`The run was paused at step ${run.step} of ${run.totalSteps}: these are the weights it had reached.`);
    if (run.state === 'cancelled') notes.push(`The run was cancelled at step ${run.step} of ${run.totalSteps}: these are the weights it had reached.`);
    if (!ws.hasDataset) notes.push(`No dataset is loaded: load ${run.dataset.name} to compare before and after on its eval split.`);
    else if (ws.datasetInfo().file !== run.dataset.name) notes.push(`This run trained on ${run.dataset.name}; the loaded dataset is ${ws.datasetInfo().file}, so comparisons use that one.`);
    return { run, notes };
  }

  /** Quota and usage, whether the browser keeps the data, and the last save that failed. */
  async storageEstimate(): Promise<StorageStatus> {
    const storage = this.env.storage;
    if (!storage) return { known: false, usage: 0, quota: 0, available: 0, persisted: null, nearlyFull: false, warning: null, enabled: false, problem: 'runs and datasets are not kept here (no browser storage)', saveProblem: null };
    let problem: string | null = null;
    try {
      await storage.stores();
    } catch (e) {
      problem = messageOf(e);
    }
    return { ...(await storage.estimate()), enabled: problem === null, problem, saveProblem: this.saveProblem };
  }

  async listDatasets(): Promise<DatasetSummary[]> {
    return this.requireStorage().listDatasets();
  }

  /** Loads a saved dataset as if its file had been dropped again, with its mapping and split. */
  async openDataset(id: string): Promise<OpenedDataset> {
    const { summary, bytes } = await this.requireStorage().openDataset(id);
    this.dataset = await this.env.parseDataset(summary.name, bytes, summary.mapping ?? undefined);
    this.split = summary.split;
    this.datasetRef = { id, name: summary.name };
    return { info: this.ws().setDataset(this.dataset, this.split), dataset: summary };
  }

  async deleteDataset(id: string): Promise<void> {
    await this.requireStorage().deleteDataset(id);
    if (this.datasetRef?.id === id) this.datasetRef = { id: null, name: this.datasetRef.name };
  }

  /** What a reload can bring back: the last model choice and the last dataset. */
  async lastSession(): Promise<RestorableSession> {
    if (!this.env.storage) return { model: null, dataset: null };
    return this.env.storage.lastSession();
  }
}
