/**
 * Drives a training run for the page: starts or resumes it, records it (when there is storage),
 * survives lost GPU devices by rebuilding and going on from the last checkpoint, and carries the
 * page's pause and cancel across those rebuilds.
 */
import type { Checkpoint } from '../model/checkpoint.ts';
import type { EvalPoint, TrainingEvent } from '../shared/events.ts';
import { BACKEND_LABELS } from '../shared/names.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import { RunRecorder } from '../storage/run-recorder.ts';
import { checkpointSeconds, type RunPersistence } from './run-persistence.ts';
import type { WorkspaceHost } from './workspace-host.ts';
import { DeviceLostError, type TrainOptions } from './workspace.ts';

/** Device losses a run survives without getting past its checkpoint in between before it gives up. */
const MAX_DEVICE_RECOVERIES = 3;

/** Where a resumed run picks up: its checkpoint, its saved evaluations and training time. */
interface ResumeFrom {
  readonly checkpoint: Checkpoint;
  readonly evals: readonly EvalPoint[];
  readonly seconds: number;
}

export class TrainingDriver {
  /**
   * What the page asked of the run being driven, kept across device rebuilds (when the
   * workspace has no run to tell): a cancel ends it, a pause holds it.
   */
  private intent: { cancelled: boolean; paused: boolean } | null = null;

  constructor(
    private readonly host: WorkspaceHost,
    private readonly runs: RunPersistence,
  ) {}

  /**
   * Trains; with storage, the run gets an id and a lock at the start and is saved (record and
   * weights) when it pauses, is cancelled, fails or finishes, and its checkpoints as they are
   * taken. A lost GPU is rebuilt (or replaced by the CPU backend) and the run goes on from its
   * last checkpoint. The promise settles once every save is done.
   */
  async train(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void): Promise<void> {
    const ws = await this.host.ready();
    const storage = this.runs.storage;
    let recorder: RunRecorder | null = null;
    if (storage && !ws.isTraining) {
      try {
        recorder = await this.runs.startRecording(storage, config, settings);
        // Recorded before the base model is measured: a reload from here on finds the run as
        // "interrupted", with its settings and dataset, to resume or restart.
        if (recorder) this.runs.queueRunSave(storage, recorder, false);
      } catch (e) {
        this.host.noteSaveProblem('starting the run record (this run will not be saved)', e);
      }
    }
    return this.drive(config, settings, onEvent, recorder, null);
  }

  /** Continues a saved run from its checkpoint (call prepareResume first); events as for train(). */
  async resumeRun(id: string, onEvent: (e: TrainingEvent) => void): Promise<void> {
    const storage = this.runs.requireStorage();
    const ws = await this.host.ready();
    if (ws.isTraining) throw new Error('a training run is going: wait for it to end, or cancel it, before resuming another');
    await storage.locks.hold(id);
    let checkpoint: Checkpoint;
    let run;
    try {
      // Read under the lock: another tab may have moved it on before we took it.
      run = await storage.requireRun(id);
      await this.runs.requireRunModel(run);
      checkpoint = await this.runs.takePrepared(storage, run);
      ws.checkCheckpointFits(checkpoint, run.dataset.name);
    } catch (e) {
      if (this.runs.currentRun !== id) storage.locks.release(id);
      throw e;
    } finally {
      this.runs.forgetPrepared();
    }
    this.runs.holdOnly(storage, id);
    const start = {
      id, model: run.model, dataset: run.dataset, config: run.config, retrieval: run.retrieval, adapter: ws.backend.adapter.summary,
    };
    const recorder = new RunRecorder(start, Date.now, run);
    return this.drive(run.config, run.retrieval, onEvent, recorder, {
      checkpoint, evals: run.evalHistory, seconds: checkpointSeconds(checkpoint, run.durationSeconds),
    });
  }

  pause(): void {
    if (this.intent) this.intent.paused = true;
    this.host.ws().pause();
  }

  resume(): void {
    if (this.intent) this.intent.paused = false;
    this.host.ws().resume();
  }

  cancel(): void {
    if (this.intent) this.intent.cancelled = true;
    this.host.ws().cancel();
  }

  /**
   * Runs the training loop, survives device losses, and keeps the recorder (when there is
   * storage) and the page informed. `resume` continues a checkpoint instead of starting afresh.
   */
  private async drive(
    config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void, recorder: RunRecorder | null, resume: ResumeFrom | null,
  ): Promise<void> {
    const storage = this.runs.storage;
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
      if (changed === 'paused' || changed === 'cancelled' || changed === 'finished' || changed === 'failed') this.runs.queueRunSave(storage, recorder, true);
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
      this.runs.enqueue(async () => {
        const latest = pendingCheckpoint!;
        pendingCheckpoint = null;
        emit(await this.runs.persistCheckpoint(storage, recorder, latest));
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
          await this.host.ws().train(config, settings, emit, options);
          break;
        } catch (e) {
          if (!(e instanceof DeviceLostError)) throw e;
          const checkpoint = e.checkpoint;
          const step = checkpoint?.state.step ?? 0;
          // Losses count against the limit only while the run cannot get past its checkpoint.
          recoveries = step > recoveredAt ? 1 : recoveries + 1;
          recoveredAt = step;
          const info = await this.host.rebuildAfterDeviceLoss();
          const ws = this.host.ws();
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
      await this.runs.waitForSaves();
    }
  }
}
