import type { ScheduleConfig } from '../engine/optimizer.ts';
import type { ParamLayout } from '../engine/params.ts';
import type { SentenceModel } from './sentence-model.ts';
import { type Example, type LossPoint, TrainingRun, type TrainingRunConfig } from './training-run.ts';

/**
 * A training checkpoint as plain data: a JSON-able state plus three Float32Arrays (weights and
 * both Adam moments, in the flat ParamStore layout). Nothing here touches files, so the studio's
 * worker and the CLI share it; src/io/checkpoint-files.ts writes it to a folder atomically.
 *
 * Restoring it into a run built from the same model, examples and config continues exactly where
 * the captured run was: same data order, same dropout masks, same schedule, same moments — a
 * resumed run reproduces the uninterrupted loss curve.
 */

export const CHECKPOINT_FORMAT = 'embedding-studio-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface CheckpointState {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
  /** Optimizer steps taken = batches consumed = losses recorded. */
  readonly step: number;
  readonly totalSteps: number;
  /** The whole run config: loss, optimizer (AdamW), scheduler, batch size, seed, prompts … */
  readonly config: TrainingRunConfig;
  /** The learning-rate schedule the run computed from the config. */
  readonly schedule: ScheduleConfig;
  readonly optimizer: { readonly stepsTaken: number };
  readonly rng: {
    /** Trainer.rng: dropout seeds. */
    readonly dropout: number;
    /** The data-order RNG now. */
    readonly order: number;
  };
  readonly data: {
    readonly examples: number;
    /** Of the texts and labels in order, so a resume on different data is refused. */
    readonly fingerprint: string;
    /** 0-based epoch of the next batch. */
    readonly epoch: number;
    /** Order RNG state before the current epoch's shuffle (rebuilds its order); null at step 0. */
    readonly epochStartRngState: number | null;
    /** Where the next batch starts in the current epoch's order. */
    readonly cursor: number;
  };
  readonly model: {
    /** Flat buffer length (ParamLayout.totalSize) and a fingerprint of names, offsets and shapes. */
    readonly size: number;
    readonly layout: string;
    readonly maxSeqLength: number;
    readonly hiddenDropout: number;
    readonly attentionDropout: number;
  };
  /** The loss curve so far, one point per step. */
  readonly losses: readonly LossPoint[];
  /** Whatever the driver wants back on resume (the CLI keeps its paths and backend here). */
  readonly meta: Readonly<Record<string, unknown>>;
}

export interface CheckpointTensors {
  readonly params: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

export interface Checkpoint {
  readonly state: CheckpointState;
  readonly tensors: CheckpointTensors;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** 32-bit FNV-1a over strings, as 8 hex digits. */
function fnv1a(parts: Iterable<string>): string {
  let h = 0x811c9dc5;
  const mix = (code: number) => {
    h ^= code;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) mix(part.charCodeAt(i));
    mix(0x1f); // separator, so ["ab", "c"] and ["a", "bc"] differ
  }
  return h.toString(16).padStart(8, '0');
}

export function datasetFingerprint(examples: readonly Example[]): string {
  return fnv1a(
    (function* () {
      for (const e of examples) {
        yield* e.texts;
        yield e.label === undefined ? '' : String(e.label);
        yield '\u001e';
      }
    })(),
  );
}

export function layoutFingerprint(layout: ParamLayout): string {
  return fnv1a(layout.entries.map((e) => `${e.name}:${e.offset}:${e.shape.join('x')}:${e.decay ? 1 : 0}`));
}

/**
 * Captures a run between steps (no step in flight: call it from `onCheckpoint`, after `drain`,
 * or after `run` returns). Refuses weights that are not finite, so a saved checkpoint is good.
 */
export async function captureCheckpoint(run: TrainingRun, meta: Record<string, unknown> = {}): Promise<Checkpoint> {
  const p = run.progress();
  const { model } = run;
  const store = model.store;
  const { m, v } = store.adamMoments;
  const [params, mData, vData] = await Promise.all([store.readParams(), store.backend.read(m), store.backend.read(v)]);
  for (const [name, data] of [['weights', params], ['Adam moments', mData], ['Adam moments', vData]] as const) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) throw new CheckpointError(`the ${name} are not finite (NaN or Inf); refusing to save a checkpoint of them`);
    }
  }
  const state: CheckpointState = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    step: p.step,
    totalSteps: run.totalSteps,
    config: run.config,
    schedule: run.schedule,
    optimizer: { stepsTaken: run.trainer.stepsTaken },
    rng: { dropout: p.dropoutRngState, order: p.orderRngState },
    data: {
      examples: run.examples.length,
      fingerprint: datasetFingerprint(run.examples),
      epoch: p.epoch,
      epochStartRngState: p.epochStartRngState,
      cursor: p.cursor,
    },
    model: {
      size: store.layout.totalSize,
      layout: layoutFingerprint(store.layout),
      maxSeqLength: model.maxSeqLength,
      hiddenDropout: model.dims.hiddenDropout,
      attentionDropout: model.dims.attentionDropout,
    },
    losses: p.losses,
    meta,
  };
  // A deep, JSON-clean copy: the state must survive JSON.stringify/parse unchanged.
  return { state: JSON.parse(JSON.stringify(state)) as CheckpointState, tensors: { params, m: mData, v: vData } };
}

/** Checks a run (built from the checkpoint's config) and its model against a checkpoint; throws a CheckpointError saying what differs. */
export function checkCompatible(run: TrainingRun, c: Checkpoint): void {
  const { state, tensors } = c;
  const store = run.model.store;
  const fail = (what: string): never => {
    throw new CheckpointError(`cannot resume from this checkpoint: ${what}`);
  };
  if (state.model.size !== store.layout.totalSize || state.model.layout !== layoutFingerprint(store.layout)) {
    fail(`it was saved from a model with a different parameter layout (${state.model.size} values) than this one (${store.layout.totalSize})`);
  }
  for (const [name, t] of Object.entries(tensors)) {
    if (t.length !== store.layout.totalSize) fail(`tensor ${name} has ${t.length} values, the model needs ${store.layout.totalSize}`);
  }
  const dims = run.model.dims;
  if (state.model.hiddenDropout !== dims.hiddenDropout || state.model.attentionDropout !== dims.attentionDropout) {
    fail(
      `it was trained with dropout ${state.model.hiddenDropout}/${state.model.attentionDropout} (hidden/attention), ` +
        `this model has ${dims.hiddenDropout}/${dims.attentionDropout}`,
    );
  }
  if (state.data.examples !== run.examples.length || state.data.fingerprint !== datasetFingerprint(run.examples)) {
    fail(`it was trained on different data (${state.data.examples} examples, fingerprint ${state.data.fingerprint}; now ${run.examples.length} examples)`);
  }
  if (state.totalSteps !== run.totalSteps) fail(`it runs ${state.totalSteps} steps, this run ${run.totalSteps}`);
  if (state.optimizer.stepsTaken !== state.step) fail(`optimizer step ${state.optimizer.stepsTaken} differs from the run's step ${state.step}`);
}

/** Restores weights, moments and progress into a fresh run built with the checkpoint's config. */
export function restoreCheckpoint(run: TrainingRun, checkpoint: Checkpoint): void {
  checkCompatible(run, checkpoint);
  const { state, tensors } = checkpoint;
  const store = run.model.store;
  const backend = store.backend;
  run.restoreProgress({
    step: state.step,
    dropoutRngState: state.rng.dropout,
    orderRngState: state.rng.order,
    epoch: state.data.epoch,
    epochStartRngState: state.data.epochStartRngState,
    cursor: state.data.cursor,
    losses: state.losses,
  });
  run.model.maxSeqLength = state.model.maxSeqLength;
  backend.write(store.params, tensors.params);
  backend.write(store.adamMoments.m, tensors.m);
  backend.write(store.adamMoments.v, tensors.v);
  run.trainer.optimizer.clearNonFiniteGuard();
}

/** A run that continues a checkpoint: its config, then its weights, moments, RNGs and position. */
export function resumeTrainingRun(model: SentenceModel, examples: readonly Example[], checkpoint: Checkpoint): TrainingRun {
  const run = new TrainingRun(model, examples, checkpoint.state.config);
  restoreCheckpoint(run, checkpoint);
  return run;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates parsed state.json: the shape, not the numbers' meaning (restore checks those). */
export function parseCheckpointState(raw: unknown, source = 'state.json'): CheckpointState {
  const fail = (what: string): never => {
    throw new CheckpointError(`${source}: ${what}`);
  };
  if (!isRecord(raw)) return fail('not a JSON object');
  if (raw.format !== CHECKPOINT_FORMAT) fail(`not an Embedding Studio checkpoint (format ${JSON.stringify(raw.format)})`);
  if (raw.version !== CHECKPOINT_VERSION) fail(`checkpoint version ${String(raw.version)} is not supported (this build reads ${CHECKPOINT_VERSION})`);
  const int = (v: unknown, what: string) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${what} must be a non-negative integer`);
    return v as number;
  };
  int(raw.step, 'step');
  int(raw.totalSteps, 'totalSteps');
  for (const key of ['config', 'schedule', 'optimizer', 'rng', 'data', 'model', 'meta'] as const) {
    if (!isRecord(raw[key])) fail(`"${key}" must be an object`);
  }
  const rng = raw.rng as Record<string, unknown>;
  int(rng.dropout, 'rng.dropout');
  int(rng.order, 'rng.order');
  const data = raw.data as Record<string, unknown>;
  int(data.examples, 'data.examples');
  int(data.epoch, 'data.epoch');
  int(data.cursor, 'data.cursor');
  if (data.epochStartRngState !== null) int(data.epochStartRngState, 'data.epochStartRngState');
  if (typeof data.fingerprint !== 'string') fail('data.fingerprint must be a string');
  const model = raw.model as Record<string, unknown>;
  int(model.size, 'model.size');
  int(model.maxSeqLength, 'model.maxSeqLength');
  const config = raw.config as Record<string, unknown>;
  for (const key of ['loss', 'optimizer'] as const) if (!isRecord(config[key])) fail(`config.${key} must be an object`);
  int(config.batchSize, 'config.batchSize');
  int((raw.optimizer as Record<string, unknown>).stepsTaken, 'optimizer.stepsTaken');
  if (!Array.isArray(raw.losses)) fail('"losses" must be an array');
  for (const [i, l] of (raw.losses as unknown[]).entries()) {
    if (!isRecord(l) || typeof l.loss !== 'number' || typeof l.step !== 'number') fail(`losses[${i}] must be {step, loss, …}`);
  }
  return raw as unknown as CheckpointState;
}
