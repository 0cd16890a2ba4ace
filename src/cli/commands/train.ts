import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { formatReport, type LoadedTrainingData } from '../../data/load.ts';
import { loadTrainingFile } from '../../data/load-file.ts';
import { CHECKPOINT_DIR, CHECKPOINT_STATE_FILE, checkpointFiles, findCheckpointDir, readCheckpoint, writeCheckpoint } from '../../io/checkpoint-files.ts';
import { buildModelExport, trainingCardInfo } from '../../io/model-export.ts';
import { encodeRunRecord, RUN_RECORD_FILE, type RunRecordFile } from '../../io/run-record.ts';
import { recipeColumns } from '../../io/recipe.ts';
import { writeFolderAtomically } from '../../io/write-folder.ts';
import { trainingRunConfig } from '../../model/run-config.ts';
import { captureCheckpoint, type Checkpoint, CheckpointError, resumeTrainingRun } from '../../model/checkpoint.ts';
import type { LoadedModel } from '../../io/load-model.ts';
import { TrainingRun } from '../../model/training-run.ts';
import { choiceOption, numberOption, optionalString, parseOptions, requireString, UsageError } from '../args.ts';
import { loadModelDir, nodeBackend, requireFile } from '../node-runtime.ts';
import { BACKEND_PREFERENCES, type BackendPreference, isLossId, LOSS_NAMES, type LossId } from '../../shared/names.ts';
import { DEFAULT_TRAINING, TRAINER_DEFAULTS, type TrainingConfig } from '../../shared/settings.ts';

export const TRAIN_USAGE =
  'train --model DIR --data FILE.jsonl --loss mnrl|cosine|cosent|triplet [--matryoshka 384,256,128] [--epochs N | --steps N] ' +
  '[--batch-size B] [--lr X] [--warmup-steps N] [--scheduler linear|constant] [--weight-decay X] [--max-grad-norm X] ' +
  '[--adam-beta1 X] [--adam-beta2 X] [--adam-epsilon X] ' +
  '[--seed S] [--no-shuffle] [--prompt TEXT] [--mini-batch-size N] [--backend auto|wasm|webgpu|cpu] [--checkpoint-every N] --out DIR' +
  ' | train --resume DIR [--model DIR] [--data FILE] [--backend auto|wasm|webgpu|cpu] [--checkpoint-every N] [--out DIR]';

/** Options that define the run; a resumed run takes them from its checkpoint. */
const RUN_OPTIONS = [
  'loss', 'matryoshka', 'epochs', 'steps', 'batch-size', 'lr', 'warmup-steps', 'scheduler', 'weight-decay', 'max-grad-norm', 'seed', 'no-shuffle', 'prompt',
  'mini-batch-size', 'adam-beta1', 'adam-beta2', 'adam-epsilon',
] as const;

/** What the CLI keeps in a checkpoint's `meta` to resume with `--resume DIR` alone. */
interface TrainMeta {
  readonly command: 'train';
  readonly model: string;
  readonly data: string;
  readonly backend: BackendPreference;
  readonly checkpointEvery: number;
}

function readMeta(meta: Readonly<Record<string, unknown>>): Partial<TrainMeta> {
  const str = (k: string) => (typeof meta[k] === 'string' ? (meta[k] as string) : undefined);
  const backend = str('backend');
  return {
    model: str('model'),
    data: str('data'),
    backend: BACKEND_PREFERENCES.find((p) => p === backend),
    checkpointEvery: typeof meta.checkpointEvery === 'number' ? meta.checkpointEvery : undefined,
  };
}

/** Reads and validates a training file (JSONL, CSV/TSV, Parquet); nothing usable is a usage error. */
export async function readTrainingData(file: string): Promise<LoadedTrainingData> {
  await requireFile(file, 'data');
  let data: LoadedTrainingData;
  try {
    // A file-backed Blob: JSONL streams from disk, Parquet reads its row groups, CSV/TSV are read whole.
    data = await loadTrainingFile(file, await openAsBlob(file), { file, onProgress: terminalProgress(file) });
  } catch (e) {
    throw new UsageError(`--data: ${(e as Error).message}`);
  }
  if (data.report.issues.length > 0) process.stderr.write(`${formatReport(data.report)}\n`);
  if (!data.detection.ok) throw new UsageError(`--data: ${file}: ${data.detection.reason}`);
  if (data.examples.length === 0) throw new UsageError(`--data: ${file} has no valid rows`);
  return data;
}

/** "reading big.jsonl: 42%" on an interactive stderr for files over 16 MiB; nothing otherwise (logs stay clean). */
function terminalProgress(file: string): ((loaded: number, total: number | null) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (loaded, total) => {
    if (!total || total < 16 * 1024 * 1024) return;
    process.stderr.write(loaded < total ? `\rreading ${file}: ${Math.floor((loaded / total) * 100)}%` : `\r\x1b[K`);
  };
}

function parseDims(raw: string | undefined, hidden: number): number[] {
  if (raw === undefined) return [];
  const dims = raw.split(',').map((s) => Number(s.trim()));
  if (dims.some((d) => !Number.isInteger(d) || d < 1 || d > hidden)) {
    throw new UsageError(`--matryoshka must be comma-separated integers in 1..${hidden}, got "${raw}"`);
  }
  return dims;
}

export async function runTrain(argv: readonly string[]): Promise<void> {
  const v = parseOptions(argv, {
    model: { type: 'string' }, data: { type: 'string' }, loss: { type: 'string' }, matryoshka: { type: 'string' },
    epochs: { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' },
    'warmup-steps': { type: 'string' }, scheduler: { type: 'string' }, 'weight-decay': { type: 'string' },
    'max-grad-norm': { type: 'string' }, seed: { type: 'string' }, 'no-shuffle': { type: 'boolean' },
    prompt: { type: 'string' }, backend: { type: 'string' }, out: { type: 'string' }, 'mini-batch-size': { type: 'string' },
    'checkpoint-every': { type: 'string' }, resume: { type: 'string' },
    'adam-beta1': { type: 'string' }, 'adam-beta2': { type: 'string' }, 'adam-epsilon': { type: 'string' },
  }, 'train');
  const checkpointEveryOption = v['checkpoint-every'] === undefined ? undefined : numberOption(v, 'checkpoint-every', 0, { integer: true, min: 1 });
  const resumeDir = optionalString(v, 'resume');
  if (resumeDir !== undefined) return resumeTrain(v, resumeDir, checkpointEveryOption);

  const modelDir = requireString(v, 'model', 'train');
  const dataFile = requireString(v, 'data', 'train');
  const out = requireString(v, 'out', 'train');
  const lossName = requireString(v, 'loss', 'train');
  if (!isLossId(lossName)) throw new UsageError(`--loss must be one of ${Object.keys(LOSS_NAMES).join(', ')}, got "${lossName}"`);
  const lossId: LossId = lossName;
  if (v.epochs !== undefined && v.steps !== undefined) throw new UsageError('train: give --epochs or --steps, not both');
  const epochs = numberOption(v, 'epochs', DEFAULT_TRAINING.epochs, { integer: true, min: 1 });
  const maxSteps = v.steps === undefined ? undefined : numberOption(v, 'steps', 1, { integer: true, min: 1 });
  const batchSize = numberOption(v, 'batch-size', DEFAULT_TRAINING.batchSize, { integer: true, min: 1 });
  const lr = numberOption(v, 'lr', DEFAULT_TRAINING.learningRate, { min: 0, minExclusive: true });
  const warmupSteps = numberOption(v, 'warmup-steps', DEFAULT_TRAINING.warmupSteps, { integer: true, min: 0 });
  const scheduler = choiceOption(v, 'scheduler', ['linear', 'constant'] as const, DEFAULT_TRAINING.scheduler);
  const weightDecay = numberOption(v, 'weight-decay', TRAINER_DEFAULTS.weightDecay, { min: 0 });
  const maxGradNorm = numberOption(v, 'max-grad-norm', TRAINER_DEFAULTS.maxGradNorm, { min: 0 });
  // TrainingArguments' adam_beta1 / adam_beta2 / adam_epsilon, with its defaults. A beta of 1 would
  // make the bias correction divide by zero; an epsilon of 0 divides by zero on a zero gradient.
  const beta1 = numberOption(v, 'adam-beta1', TRAINER_DEFAULTS.beta1, { min: 0, max: 1, maxExclusive: true });
  const beta2 = numberOption(v, 'adam-beta2', TRAINER_DEFAULTS.beta2, { min: 0, max: 1, maxExclusive: true });
  const eps = numberOption(v, 'adam-epsilon', TRAINER_DEFAULTS.eps, { min: 0, minExclusive: true });
  const seed = numberOption(v, 'seed', DEFAULT_TRAINING.seed, { integer: true, min: 0 });
  const backendKind = choiceOption(v, 'backend', BACKEND_PREFERENCES, 'auto');
  const prompt = optionalString(v, 'prompt');
  // Gradient caching: texts per forward pass; the loss still sees the whole batch.
  const miniBatchSize = v['mini-batch-size'] === undefined ? undefined : numberOption(v, 'mini-batch-size', 0, { integer: true, min: 1 });

  const data = await readTrainingData(dataFile);
  if (!data.losses.includes(lossId)) {
    const shape = data.detection.ok ? data.detection.mapping.shape : 'unknown';
    throw new UsageError(`--loss ${lossId}: ${LOSS_NAMES[lossId]} does not fit ${shape} data; use ${data.losses.join(' or ') || 'another dataset'}`);
  }
  const backend = await nodeBackend(backendKind);
  try {
    const loaded = await loadModelDir(modelDir, backend);
    const config: TrainingConfig = {
      loss: lossId, epochs, batchSize, learningRate: lr, warmupSteps, weightDecay, adamBeta1: beta1, adamBeta2: beta2, adamEpsilon: eps,
      maxSeqLength: loaded.model.maxSeqLength, scheduler, seed, evalEvery: 0,
      matryoshkaDims: parseDims(optionalString(v, 'matryoshka'), loaded.model.dimension),
    };
    const run = new TrainingRun(loaded.model, data.examples, trainingRunConfig(config, {
      columnPrompts: prompt === undefined ? undefined : [prompt], miniBatchSize, maxSteps, shuffle: v['no-shuffle'] !== true, maxGradNorm,
    }));
    const meta: TrainMeta = { command: 'train', model: path.resolve(modelDir), data: path.resolve(dataFile), backend: backendKind, checkpointEvery: checkpointEveryOption ?? 0 };
    await trainAndSave(run, loaded, out, meta, data);
  } finally {
    backend.destroy();
  }
}

/** `train --resume DIR`: everything from the checkpoint; paths and backend may be overridden. */
async function resumeTrain(v: Record<string, string | boolean | undefined>, resumeDir: string, checkpointEveryOption: number | undefined): Promise<void> {
  const given = RUN_OPTIONS.filter((k) => v[k] !== undefined);
  if (given.length > 0) {
    throw new UsageError(`train --resume continues the saved run with its own settings; drop --${given.join(', --')}`);
  }
  const ckptDir = await findCheckpointDir(resumeDir);
  if (!ckptDir) throw new UsageError(`--resume: ${resumeDir} holds no checkpoint (${CHECKPOINT_STATE_FILE} or ${CHECKPOINT_DIR}/${CHECKPOINT_STATE_FILE}); train with --checkpoint-every N`);
  let checkpoint: Checkpoint;
  try {
    checkpoint = await readCheckpoint(ckptDir);
  } catch (e) {
    throw new UsageError(`--resume: ${(e as Error).message}`);
  }
  const saved = readMeta(checkpoint.state.meta);
  const modelDir = optionalString(v, 'model') ?? saved.model;
  const dataFile = optionalString(v, 'data') ?? saved.data;
  if (!modelDir) throw new UsageError('--resume: the checkpoint does not name its model; give --model DIR');
  if (!dataFile) throw new UsageError('--resume: the checkpoint does not name its data; give --data FILE');
  const backendKind = choiceOption(v, 'backend', BACKEND_PREFERENCES, saved.backend ?? 'auto');
  const checkpointEvery = checkpointEveryOption ?? saved.checkpointEvery ?? 0;
  // An output folder holds its checkpoint in checkpoint/; a checkpoint folder given directly sits in one.
  const out = optionalString(v, 'out') ?? (path.resolve(ckptDir) === path.resolve(resumeDir) ? path.dirname(path.resolve(ckptDir)) : resumeDir);

  const data = await readTrainingData(dataFile);
  const backend = await nodeBackend(backendKind);
  try {
    const loaded = await loadModelDir(modelDir, backend);
    let run: TrainingRun;
    try {
      run = resumeTrainingRun(loaded.model, data.examples, checkpoint);
    } catch (e) {
      if (e instanceof CheckpointError) throw new UsageError(`--resume: ${e.message}`);
      throw e;
    }
    process.stderr.write(`resuming ${ckptDir} at step ${checkpoint.state.step} of ${run.totalSteps}\n`);
    const meta: TrainMeta = { command: 'train', model: path.resolve(modelDir), data: path.resolve(dataFile), backend: backendKind, checkpointEvery };
    await trainAndSave(run, loaded, out, meta, data);
  } finally {
    backend.destroy();
  }
}

/**
 * Runs to the end printing one JSON line per step, writing OUT/checkpoint/ atomically every
 * `meta.checkpointEvery` steps, then writes OUT (the model, plus the final checkpoint) in one
 * atomic swap. A non-finite step stops the run with an error before anything else is written,
 * so the last checkpoint on disk stays the last good one.
 */
async function trainAndSave(run: TrainingRun, loaded: LoadedModel, out: string, meta: TrainMeta, data: LoadedTrainingData): Promise<void> {
  const every = meta.checkpointEvery;
  const startStep = run.stepsDone;
  const started = performance.now();
  await run.run((r) => process.stdout.write(`${JSON.stringify({ step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr })}\n`), {
    checkpointEvery: every,
    onCheckpoint: async () => writeCheckpoint(path.join(out, CHECKPOINT_DIR), await captureCheckpoint(run, { ...meta })),
  });
  const seconds = (performance.now() - started) / 1000;
  const backend = loaded.model.backend;
  // The card's Training Details and the run record that `export --recipe` reads come from the same facts.
  const shape = data.detection.ok ? data.detection.mapping.shape : null;
  const columns = shape && shape !== 'labeled-texts' ? recipeColumns(shape, data.examples[0]?.texts.length ?? 2) : [];
  const record: RunRecordFile = {
    version: 1, baseModel: meta.model, data: meta.data, dataShape: shape, columns, rows: data.examples.length, config: run.config,
    maxSeqLength: loaded.model.maxSeqLength, steps: run.stepsDone, seconds, hardware: backend.adapter.summary,
    losses: run.losses.map(({ step, loss }) => ({ step, loss })),
  };
  const training = trainingCardInfo(
    { config: run.config, maxSeqLength: loaded.model.maxSeqLength, columns },
    { name: path.basename(meta.data), size: data.examples.length, ...(shape ? { shape } : {}) },
    { steps: run.stepsDone, seconds, finalLoss: run.losses.at(-1)?.loss, hardware: backend.adapter.summary },
  );
  const { files } = await buildModelExport(loaded, { card: { training } });
  files.set(RUN_RECORD_FILE, encodeRunRecord(record));
  if (every > 0) {
    for (const [name, bytes] of checkpointFiles(await captureCheckpoint(run, { ...meta }), `${CHECKPOINT_DIR}/`)) files.set(name, bytes);
  }
  await writeFolderAtomically(out, files);
  process.stderr.write(`trained ${run.totalSteps - startStep} steps in ${seconds.toFixed(1)} s on ${backend.adapter.summary}; saved ${out}\n`);
}
