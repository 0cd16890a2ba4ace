import { readFile } from 'node:fs/promises';
import { formatReport, type LoadedTrainingData } from '../../data/load.ts';
import { loadTrainingFile } from '../../data/load-file.ts';
import { TRAINER_DEFAULTS } from '../../engine/optimizer.ts';
import { sentenceTransformersFolder } from '../../io/st-export.ts';
import { writeFolderAtomically } from '../../io/write-folder.ts';
import { DEFAULT_LOSS, isLossId, LOSS_NAMES, type LossId } from '../../model/losses.ts';
import { TrainingRun } from '../../model/training-run.ts';
import { choiceOption, numberOption, optionalString, parseOptions, requireString, UsageError } from '../args.ts';
import { loadModelDir, nodeBackend, requireFile } from '../node-runtime.ts';

export const TRAIN_USAGE =
  'train --model DIR --data FILE.jsonl --loss mnrl|cosine|cosent|triplet [--matryoshka 384,256,128] [--epochs N | --steps N] ' +
  '[--batch-size B] [--lr X] [--warmup-steps N] [--scheduler linear|constant] [--weight-decay X] [--max-grad-norm X] ' +
  '[--seed S] [--no-shuffle] [--prompt TEXT] [--backend cpu|webgpu] --out DIR';

/** Reads and validates a training file (JSONL, CSV/TSV, Parquet); nothing usable is a usage error. */
export async function readTrainingData(file: string): Promise<LoadedTrainingData> {
  await requireFile(file, 'data');
  let data: LoadedTrainingData;
  try {
    data = await loadTrainingFile(file, new Uint8Array(await readFile(file)), { file });
  } catch (e) {
    throw new UsageError(`--data: ${(e as Error).message}`);
  }
  if (data.report.issues.length > 0) process.stderr.write(`${formatReport(data.report)}\n`);
  if (!data.detection.ok) throw new UsageError(`--data: ${file}: ${data.detection.reason}`);
  if (data.examples.length === 0) throw new UsageError(`--data: ${file} has no valid rows`);
  return data;
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
    prompt: { type: 'string' }, backend: { type: 'string' }, out: { type: 'string' },
  }, 'train');
  const modelDir = requireString(v, 'model', 'train');
  const dataFile = requireString(v, 'data', 'train');
  const out = requireString(v, 'out', 'train');
  const lossName = requireString(v, 'loss', 'train');
  if (!isLossId(lossName)) throw new UsageError(`--loss must be one of ${Object.keys(LOSS_NAMES).join(', ')}, got "${lossName}"`);
  const lossId: LossId = lossName;
  if (v.epochs !== undefined && v.steps !== undefined) throw new UsageError('train: give --epochs or --steps, not both');
  const epochs = numberOption(v, 'epochs', 1, { integer: true, min: 1 });
  const maxSteps = v.steps === undefined ? undefined : numberOption(v, 'steps', 1, { integer: true, min: 1 });
  const batchSize = numberOption(v, 'batch-size', 16, { integer: true, min: 1 });
  const lr = numberOption(v, 'lr', TRAINER_DEFAULTS.lr, { min: 0, minExclusive: true });
  const warmupSteps = numberOption(v, 'warmup-steps', 0, { integer: true, min: 0 });
  const scheduler = choiceOption(v, 'scheduler', ['linear', 'constant'] as const, 'linear');
  const weightDecay = numberOption(v, 'weight-decay', TRAINER_DEFAULTS.weightDecay, { min: 0 });
  const maxGradNorm = numberOption(v, 'max-grad-norm', TRAINER_DEFAULTS.maxGradNorm, { min: 0 });
  const seed = numberOption(v, 'seed', 42, { integer: true, min: 0 });
  const backendKind = choiceOption(v, 'backend', ['cpu', 'webgpu'] as const, 'cpu');
  const prompt = optionalString(v, 'prompt');

  const data = await readTrainingData(dataFile);
  if (!data.losses.includes(lossId)) {
    const shape = data.detection.ok ? data.detection.mapping.shape : 'unknown';
    throw new UsageError(`--loss ${lossId}: ${LOSS_NAMES[lossId]} does not fit ${shape} data; use ${data.losses.join(' or ') || 'another dataset'}`);
  }
  const backend = await nodeBackend(backendKind);
  try {
    const loaded = await loadModelDir(modelDir, backend);
    const run = new TrainingRun(loaded.model, data.examples, {
      loss: { ...DEFAULT_LOSS, id: lossId, matryoshkaDims: parseDims(optionalString(v, 'matryoshka'), loaded.model.dimension) },
      optimizer: { ...TRAINER_DEFAULTS, lr, weightDecay, maxGradNorm },
      scheduler,
      warmupSteps,
      batchSize,
      epochs,
      maxSteps,
      shuffle: v['no-shuffle'] !== true,
      seed,
      columnPrompts: prompt === undefined ? undefined : [prompt],
    });
    const started = performance.now();
    await run.run((r) => process.stdout.write(`${JSON.stringify({ step: r.step, epoch: r.epoch, loss: r.loss, lr: r.lr })}\n`));
    const seconds = (performance.now() - started) / 1000;
    await writeFolderAtomically(out, await sentenceTransformersFolder(loaded));
    process.stderr.write(`trained ${run.totalSteps} steps in ${seconds.toFixed(1)} s on ${backend.adapter.summary}; saved ${out}\n`);
  } finally {
    backend.destroy();
  }
}
