/**
 * Saved runs: recording a run as it trains (its record, weights and checkpoints, one save at a
 * time), the locks that keep two tabs from writing one run, and opening, resuming, listing and
 * deleting saved runs. Saves queue behind each other; `enqueue` adds one.
 */
import { decodeCheckpointFile, encodeCheckpointFile } from '../io/checkpoint-bytes.ts';
import type { Checkpoint } from '../model/checkpoint.ts';
import type { TrainingEvent } from '../shared/events.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import { RunLockedError } from '../storage/locks.ts';
import { newRunId, type RunRecord, type RunSummary } from '../storage/records.ts';
import { RunRecorder } from '../storage/run-recorder.ts';
import { decodeRunWeights, encodeRunWeights, type StudioStorage } from '../storage/studio-storage.ts';
import type { DatasetInfo, OpenedRun, ResumePlan, StorageStatus } from './protocol.ts';
import { NO_STORAGE, requireStorage, type StudioEnvironment } from './studio-environment.ts';
import { describeModelSource, type StudioLoading } from './studio-loading.ts';
import { messageOf, type WorkspaceHost } from './workspace-host.ts';

/** How long the checkpoint says it had trained, when it says so. */
export function checkpointSeconds(c: Checkpoint, fallback: number): number {
  const s = c.state.meta.trainingSeconds;
  return typeof s === 'number' && Number.isFinite(s) ? s : fallback;
}

export class RunPersistence {
  /** The run this tab holds the lock of. */
  currentRun: string | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** A checkpoint read and checked by prepareResume, for the resumeRun that follows. */
  private prepared: { id: string; checkpoint: Checkpoint } | null = null;

  constructor(
    private readonly host: WorkspaceHost,
    private readonly loading: StudioLoading,
    private readonly env: StudioEnvironment,
  ) {}

  get storage(): StudioStorage | null {
    return this.env.storage ?? null;
  }

  requireStorage(): StudioStorage {
    return requireStorage(this.env);
  }

  /** Runs a save after the ones queued before it. */
  enqueue(save: () => Promise<void>): void {
    this.saving = this.saving.then(save);
  }

  /** Resolves once the saves queued so far are done. */
  waitForSaves(): Promise<void> {
    return this.saving;
  }

  /** A new run's record and lock, before it takes a step; null when there is nothing to train yet. */
  async startRecording(storage: StudioStorage, config: TrainingConfig, settings: RetrievalSettings): Promise<RunRecorder | null> {
    const ws = this.host.ws();
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
      model: { name: model.name, source: this.host.modelSource, parameters: model.parameters, dimension: model.dimension, layers: model.layers, fingerprint },
      dataset: { name: d.file, id: this.host.datasetRef?.id ?? null, rows: d.rows, trainRows: d.trainRows, evalRows: d.evalRows, split: { ...this.host.split } },
      config,
      retrieval: settings,
      adapter: ws.backend.adapter.summary,
    });
  }

  /** Makes `id` this tab's current run: the previous one's lock is let go. */
  holdOnly(storage: StudioStorage, id: string | null): void {
    if (this.currentRun && this.currentRun !== id) storage.locks.release(this.currentRun);
    this.currentRun = id;
  }

  /** Queues a save of the run's record and weights, both taken now, before training can go on. */
  queueRunSave(storage: StudioStorage, recorder: RunRecorder, withWeights: boolean): void {
    const ws = this.host.ws();
    const record = recorder.record();
    const params = withWeights ? ws.snapshotTrainedParams() : Promise.resolve(null);
    // A paused run's weights are the live ones; otherwise the kept ones (a failed run's: its last checkpoint's).
    const weightsStep = record.state === 'paused' ? record.step : (ws.training?.steps ?? record.step);
    this.enqueue(() => this.persistRun(storage, recorder, record, params, weightsStep));
  }

  private async persistRun(storage: StudioStorage, recorder: RunRecorder, record: RunRecord, params: Promise<Float32Array | null>, weightsStep: number): Promise<void> {
    try {
      const flat = await params;
      const layout = this.host.ws().paramLayout;
      const bytes = flat && layout ? encodeRunWeights(layout, flat, { run: record.id, step: String(weightsStep) }) : undefined;
      // Files saved by earlier saves of this run (the record was taken before they were).
      let current: RunRecord = recorder.weights ? { ...record, weights: recorder.weights } : record;
      if (recorder.checkpoint) current = { ...current, checkpoint: recorder.checkpoint };
      const result = await storage.saveRun(current, bytes, weightsStep);
      recorder.weights = result.record.weights;
      recorder.weightsProblem = result.weightsProblem;
      this.host.saveProblem = result.weightsProblem ?? null;
      // A run that ended does not resume: once its weights are safely saved, its checkpoint
      // (three times their size) is let go — the record first, so it never names a missing file.
      const ended = current.state === 'finished' || current.state === 'cancelled' || current.state === 'failed';
      if (ended && recorder.checkpoint && bytes && !result.weightsProblem) {
        await storage.saveRun({ ...result.record, checkpoint: null });
        recorder.checkpoint = null;
        await storage.deleteCheckpoint(record.id).catch(() => undefined);
      }
    } catch (e) {
      this.host.noteSaveProblem(`saving run ${record.id}`, e);
    }
  }

  async persistCheckpoint(storage: StudioStorage, recorder: RunRecorder, checkpoint: Checkpoint): Promise<TrainingEvent> {
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

  /**
   * The run's checkpoint: the file the record names, or — when a crash came between swapping in
   * a newer file and writing the record — whichever complete copy is newest.
   */
  async readCheckpoint(storage: StudioStorage, run: RunRecord): Promise<Checkpoint> {
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

  async requireRunModel(run: RunRecord): Promise<void> {
    const ws = this.host.ws();
    const wanted = describeModelSource(run.model.source, run.model.name);
    const model = ws.currentModel;
    if (!model) throw new Error(`This run fine-tuned ${wanted}. Load that model in the Model panel first, then open the run again.`);
    if ((await ws.baseFingerprint()) !== run.model.fingerprint) {
      const other = model.name === run.model.name ? `${model.name} with other weights` : model.name;
      throw new Error(`This run fine-tuned ${wanted}, but the loaded model is ${other}; its weights only fit the model it started from. Load ${wanted} in the Model panel, then open the run again.`);
    }
  }

  /**
   * Checks that a saved run can go on here and sets the studio up for it: the run must not be
   * open in another tab, the loaded model must be the one it started from, its dataset (when
   * saved) and split are loaded again, and its checkpoint must fit them.
   */
  async prepareResume(id: string): Promise<ResumePlan> {
    const storage = this.requireStorage();
    const ws = await this.host.ready();
    if (ws.isTraining) throw new Error('a training run is going: wait for it to end, or cancel it, before resuming another');
    // Only a probe: the lock is taken for good by resumeRun.
    await storage.locks.with(id, async () => undefined);
    const run = await storage.requireRun(id);
    if (!run.checkpoint) throw new Error(`run ${id} has no checkpoint to resume from${run.checkpointProblem ? ` (${run.checkpointProblem})` : ''}`);
    await this.requireRunModel(run);
    const checkpoint = await this.readCheckpoint(storage, run);
    let dataset: DatasetInfo | null = null;
    const split = run.dataset.split ?? this.host.split;
    if (run.dataset.id && this.host.datasetRef?.id !== run.dataset.id) {
      dataset = (await this.loading.openDataset(run.dataset.id)).info;
    } else if (!this.host.dataset) {
      throw new Error(`This run trained on ${run.dataset.name}, which is not saved in this browser; load it in the Data panel, then resume.`);
    }
    if (split.evalFraction !== this.host.split.evalFraction || split.seed !== this.host.split.seed) dataset = this.loading.setSplit(split);
    this.host.ws().checkCheckpointFits(checkpoint, run.dataset.name);
    this.prepared = { id, checkpoint };
    return { run, dataset, split };
  }

  forgetPrepared(): void {
    this.prepared = null;
  }

  /** The checkpoint prepareResume read for this run, once; else read again. */
  async takePrepared(storage: StudioStorage, run: RunRecord): Promise<Checkpoint> {
    const prepared = this.prepared?.id === run.id ? this.prepared.checkpoint : null;
    this.prepared = null;
    return prepared ?? this.readCheckpoint(storage, run);
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
      if (summary.id === this.currentRun && this.host.current?.isTraining) continue;
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

  /** Saved runs, newest first; the one training in this tab says so (its record reads "running" like an interrupted one). */
  async listRuns(): Promise<RunSummary[]> {
    const training = this.host.current?.isTraining ? this.currentRun : null;
    return (await this.requireStorage().listRuns()).map((r) => (r.id === training ? { ...r, trainingHere: true } : r));
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
    if (this.currentRun === id && this.host.ws().isTraining) throw new Error('this run is training: cancel it first, then delete it');
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
    const ws = this.host.ws();
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
    if (!storage) return { known: false, usage: 0, quota: 0, available: 0, persisted: null, nearlyFull: false, warning: null, enabled: false, problem: NO_STORAGE, saveProblem: null };
    let problem: string | null = null;
    try {
      await storage.stores();
    } catch (e) {
      problem = messageOf(e);
    }
    return { ...(await storage.estimate()), enabled: problem === null, problem, saveProblem: this.host.saveProblem };
  }
}
