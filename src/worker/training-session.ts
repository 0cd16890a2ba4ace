/**
 * A fine-tuning run on the session: its memory plan and probe steps before, then the loop with
 * its evaluations, checkpoints, pause / resume / cancel, and what it leaves behind (the trained
 * weights, or on failure the last good ones). Evaluations during the run switch weights on the
 * device (WeightSlots): nothing is read back to the host until the run ends.
 */
import { IR_MAX_K } from '../eval/ir-metrics.ts';
import { captureCheckpoint, type Checkpoint, CheckpointError, checkCompatible, datasetFingerprint, restoreCheckpoint } from '../model/checkpoint.ts';
import { runConfigFor } from '../model/run-config.ts';
import { stepsPerEpoch, TrainingRun } from '../model/training-run.ts';
import type { EvalPoint, RankMover, TrainingEvent } from '../shared/events.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import type { JobGate } from './job-gate.ts';
import { memoryPlanFor } from './memory-plan.ts';
import type { EvalSummary, MemoryPlanInfo, StepProbe } from './protocol.ts';
import type { Retrieval } from './retrieval.ts';
import type { Session } from './session.ts';
import { failureMessage } from './training-failure.ts';
import { yieldToEvents } from './yield-to-events.ts';

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

/** How the last run trained: what the model card, the recipe and saved runs report. */
export interface TrainingSummary {
  readonly config: TrainingConfig;
  readonly seconds: number;
  readonly steps: number;
}

/** The last run's retrieval metrics before and after, and its final loss. */
export interface TrainingOutcome {
  readonly before: RetrievalMetrics | null;
  readonly after: RetrievalMetrics | null;
  readonly finalLoss: number | null;
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

interface RunControl {
  readonly abort: AbortController;
  paused: boolean;
  resume: (() => void) | null;
  /** Take a checkpoint before the next step (the page is being hidden). */
  checkpointRequested: boolean;
}

/** Test-only: runs before a step when set (worker/faults.ts sets it for the fault-injection tests). */
export type StepHook = (drain: () => Promise<void>) => Promise<void>;

/** The queries whose first relevant document moved most since the base model. */
function rankMovers(queries: readonly string[], baseline: EvalSummary, now: EvalSummary): RankMover[] {
  return queries
    .map((query, i) => {
      const before = baseline.firstRelevantRank[i], after = now.firstRelevantRank[i];
      return { query, before, now: after, delta: (before ?? IR_MAX_K + 1) - (after ?? IR_MAX_K + 1) };
    })
    .filter((m) => m.delta !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
    .slice(0, 10);
}

export class TrainingSession {
  private control: RunControl | null = null;
  /** train() was called and has not set up its control yet: no probe may start now. */
  private starting = false;
  summary: TrainingSummary | null = null;
  outcome: TrainingOutcome | null = null;
  stepHook: StepHook | null = null;

  constructor(
    private readonly session: Session,
    private readonly retrieval: Retrieval,
    private readonly gate: JobGate,
  ) {}

  get isTraining(): boolean {
    return this.control !== null;
  }

  get isPaused(): boolean {
    return this.control?.paused ?? false;
  }

  /** What a step of this configuration needs against the adapter's limits (see memory-plan.ts). */
  memoryPlan(config: TrainingConfig): MemoryPlanInfo {
    return memoryPlanFor(this.session.requireModel().model, this.session.requireDataset(), this.session.backend.adapter, config);
  }

  private checkFits(config: TrainingConfig, hint: string): MemoryPlanInfo {
    const d = this.session.requireDataset();
    if (!d.data.losses.includes(config.loss)) throw new Error(`the ${config.loss} loss does not fit this dataset's shape`);
    const memory = this.memoryPlan(config);
    if (!memory.fits) throw new Error(`this batch does not fit in memory: ${memory.reason}${hint}`);
    return memory;
  }

  /**
   * Times training steps of this configuration on this device, before a run: two steps on the
   * base weights (the first pays for compiling and warming up), then the base weights go back.
   * What the page's estimate of a run's duration is built from.
   */
  probeStep(config: TrainingConfig, settings: RetrievalSettings): Promise<StepProbe> {
    return this.gate.probe(() => (this.control || this.starting ? 'a training run is going' : null), () => this.probeNow(config, settings));
  }

  private async probeNow(config: TrainingConfig, settings: RetrievalSettings): Promise<StepProbe> {
    const { model } = this.session.requireModel();
    const slots = this.session.requireSlots();
    const d = this.session.requireDataset();
    const memory = this.checkFits(config, '');
    slots.use('base');
    const maxSeqLength = model.maxSeqLength;
    model.maxSeqLength = Math.min(config.maxSeqLength, model.dims.maxPositions);
    const steps = Math.min(2, stepsPerEpoch(d.train.length, config.batchSize) * config.epochs);
    const run = new TrainingRun(model, d.train, { ...runConfigFor(config, settings, memory.miniBatchSize), maxSteps: steps });
    const times: number[] = [];
    let mark = performance.now();
    slots.beginLive();
    try {
      // inFlight 0: each step's loss is awaited before the next, so each time is one whole step.
      await run.run(() => {
        const now = performance.now();
        times.push(now - mark);
        mark = now;
      }, { inFlight: 0 });
    } finally {
      model.maxSeqLength = maxSeqLength;
      slots.endLive('base');
    }
    return { stepMs: times[times.length - 1], firstStepMs: times[0], steps: times.length, miniBatchSize: memory.miniBatchSize };
  }

  async train(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void, options: TrainOptions = {}): Promise<void> {
    if (this.control || this.starting) throw new Error('a training run is already going');
    // Set at once: a probe asked for from now on refuses; one already going is waited for.
    this.starting = true;
    try {
      await this.gate.afterProbe();
      return await this.trainNow(config, settings, onEvent, options);
    } finally {
      this.starting = false;
    }
  }

  private async trainNow(config: TrainingConfig, settings: RetrievalSettings, onEvent: (e: TrainingEvent) => void, options: TrainOptions): Promise<void> {
    const { model } = this.session.requireModel();
    const slots = this.session.requireSlots();
    const d = this.session.requireDataset();
    const memory = this.checkFits(config, '; lower the batch size or the max length');
    // A new run starts from the base weights: fine-tuning twice would compare the wrong "before".
    slots.use('base');
    slots.clearTrained();
    this.summary = null;
    this.outcome = null;
    this.retrieval.forgetTrained();
    const seqLength = Math.min(config.maxSeqLength, model.dims.maxPositions);
    if (model.maxSeqLength !== seqLength) {
      model.maxSeqLength = seqLength;
      this.retrieval.forgetAll();
    }

    const resume = options.resume ?? null;
    // A resumed run keeps its own config (it was taken from this same one; exactness matters more).
    const run = new TrainingRun(model, d.train, resume?.state.config ?? runConfigFor(config, settings, memory.miniBatchSize));
    // A checkpoint that does not fit (other data, model or config) is refused before anything changes.
    if (resume) checkCompatible(run, resume);
    const control: RunControl = { abort: new AbortController(), paused: options.startPaused ?? false, resume: null, checkpointRequested: false };
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
      const baseline = d.evalSet ? await this.retrieval.evaluateNow(settings, 'base') : null;
      slots.use('base');
      if (resume) restoreCheckpoint(run, resume);
      slots.beginLive();
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
      /** Evaluates the run's weights now (copied into the trained slot first, unless they are there already). */
      const evaluateAt = async (step: number, capture = true) => {
        if (!baseline || !d.evalSet) return;
        if (capture) {
          slots.captureTrained(step);
          this.retrieval.forgetTrained();
        }
        const now = await this.retrieval.evaluateNow(settings, 'trained');
        this.outcome = { before: baseline.metrics, after: now.metrics, finalLoss: run.losses.at(-1)?.loss ?? null };
        onEvent({ type: 'eval', step, metrics: now.metrics, movers: rankMovers(d.evalSet.queries, baseline, now) });
      };
      /** With nothing in flight: snapshot weights, moments, RNGs and data position, and hand it on. */
      const checkpoint = async (reason: 'interval' | 'pause' | 'request') => {
        if (lastCheckpoint && lastCheckpoint.state.step === run.stepsDone && reason !== 'interval') return;
        slots.resumeLive();
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
          checkpointEvery: everySteps,
          onCheckpoint: () => checkpoint('interval'),
          beforeStep: async (done, drain) => {
            // A step boundary: let a Pause or Cancel sent during the last step be heard now.
            await yieldToEvents();
            if (control.abort.signal.aborted) return;
            if (config.evalEvery > 0 && done > startStep && done % config.evalEvery === 0) {
              await drain();
              await evaluateAt(done);
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
            slots.resumeLive();
            const hook = this.stepHook;
            if (hook) await hook(drain);
          },
        },
      );
      const cancelled = control.abort.signal.aborted;
      slots.captureTrained(run.trainer.stepsTaken);
      slots.endLive('trained');
      this.retrieval.forgetTrained();
      // The one host read of a run: what saving it and surviving a lost device need.
      await slots.readTrained();
      this.summary = { config, seconds: trainingSeconds(), steps: run.trainer.stepsTaken };
      this.outcome = { before: baseline?.metrics ?? null, after: null, finalLoss: run.losses.at(-1)?.loss ?? null };
      if (!cancelled) await evaluateAt(run.trainer.stepsTaken, false);
      onEvent({ type: 'state', state: cancelled ? 'cancelled' : 'finished' });
    } catch (e) {
      const lost = await this.session.backend.deviceLost(1000);
      if (lost !== null) {
        // Nothing on this device can be trusted or read any more; the caller rebuilds it.
        slots.forgetDevice();
        throw new DeviceLostError(lost, lastCheckpoint);
      }
      // A run that never took a step changed nothing: the caller reports the error.
      if (!stepping) {
        slots.endLive('base');
        throw e;
      }
      // A failed run must not leave half-updated weights behind as "trained": keep the last good
      // checkpoint's weights (or the last evaluated ones, or none).
      const kept = lastCheckpoint && lastCheckpoint.state.step > 0 ? lastCheckpoint : null;
      if (kept) {
        slots.setTrained(kept.tensors.params, kept.state.step);
        this.retrieval.forgetTrained();
        this.summary = { config, seconds: trainingSeconds(), steps: kept.state.step };
      } else if (slots.hasTrained) {
        this.summary = { config, seconds: trainingSeconds(), steps: slots.trainedStep };
      }
      slots.endLive(slots.hasTrained ? 'trained' : 'base');
      // Kept on the host too, as a finished run's are: they must outlive a later device loss.
      await slots.readTrained();
      onEvent({ type: 'state', state: 'failed', message: failureMessage(e, kept ? { checkpointStep: kept.state.step } : slots.hasTrained ? { evalStep: slots.trainedStep } : {}) });
      throw e;
    } finally {
      this.control = null;
      // A fault asked for too late to hit this run must not hit the next one.
      this.stepHook = null;
    }
  }

  /**
   * Whether a checkpoint can go on with the loaded model and dataset split, said in the user's
   * terms; the exact check (config, RNG states) runs again when training starts.
   */
  checkCheckpointFits(checkpoint: Checkpoint, datasetName: string): void {
    const loaded = this.session.requireModel();
    const d = this.session.requireDataset();
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
}
