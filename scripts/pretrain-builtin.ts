/**
 * Pre-trains the built-in model with our own engine, in resumable pieces:
 *
 *   npm run pretrain:data                                  # Debian descriptions → .cache/pretrain/
 *   npm run make:builtin-model -- --pretrain init          # vocabulary + random init → .cache/pretrain/init/
 *   npm run make:builtin-model -- --pretrain train [--stage 1|2]  # MNRL on wasm; run again to resume
 *   npm run make:builtin-model -- --pretrain mine          # BM25 hard negatives → train-stage3.jsonl
 *   npm run make:builtin-model -- --pretrain train --stage 3       # from stage 2's model (or the committed one), at 128 tokens
 *   npm run make:builtin-model -- --pretrain mine-model --stage 4..7   # negatives the model before mines (6, 7: and cropped queries)
 *   npm run make:builtin-model -- --pretrain train --stage 4|5|6   # from the committed folder, at 128 tokens
 *   npm run make:builtin-model -- --pretrain export        # last checkpoint → evaluate → public/models/builtin/
 *
 * Stage 7 is sized for a lent GPU: scripts/pretrain-device.ts says how it goes there and back.
 *
 * `train` runs the CLI's own `train` (so the run is exactly what a user can script), writing a
 * checkpoint every few steps; killed or interrupted, the same command continues it with
 * `train --resume`. `export` takes whatever checkpoint there is, so a run cut short still yields
 * a model (its card says how many steps it had).
 */

import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParamLayout } from '../src/engine/params.ts';
import { writeSafetensors } from '../src/io/safetensors.ts';
import { writeFolderAtomically } from '../src/io/write-folder.ts';
import { bertParamGroups } from '../src/model/bert.ts';
import { randomBertWeights } from '../src/model/init.ts';
import { bertDims } from '../src/io/load-model.ts';
import { parseBertConfig } from '../src/model/bert-config.ts';
import { unpackWeights } from '../src/model/weights.ts';
import { trainWordPiece } from '../src/model/wordpiece-trainer.ts';
import { BUILTIN_MODEL_DIR, bertConfigJson, type BertShape, readCorpus, sentenceFolderFiles } from './make-builtin-model.ts';
import { PRETRAIN_DIR, type Pair } from './pretrain-data.ts';
import { STAGE3_FILE } from './pretrain-mine.ts';
import { type CropOptions, STAGE4_FILE, STAGE5_FILE, STAGE6_FILE, STAGE7_FILE } from './pretrain-mine-model.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const INIT_DIR = path.join(PRETRAIN_DIR, 'init');
export const RUN_DIR = path.join(PRETRAIN_DIR, 'run');
export const TRAIN_FILE = path.join(PRETRAIN_DIR, 'train.jsonl');

/**
 * Chosen by what trains in about an hour on two shared CPU cores and by CI cost: the e2e suite
 * fine-tunes this model in headless Chromium (WebGPU on SwiftShader too), so compute per token
 * stays within ~4× the old 2 × 128 model's. Measured in bench/RESULTS.md.
 */
export const PRETRAIN_SHAPE: BertShape = { hiddenSize: 128, layers: 4, heads: 2, intermediateSize: 512, maxPositions: 128 };
/**
 * Stages 1 and 2 truncate at 64 tokens: the first sentences of a description carry its gist, and
 * halving the length doubles the steps the CPU budget buys. The exported model reads 128, and
 * stage 3 trains at 128 so that positions 64–127 learn too.
 */
export const TRAIN_SEQ_LENGTH = 64;
export const MAX_SEQ_LENGTH = 128;
/** ~14k WordPiece tokens: all Chinese characters the text has, then the most frequent merges. */
const VOCAB_SIZE = 14_000;
/** The random init's seed: export regenerates the same weights to compare against. */
export const INIT_SEED = 20261203;

/** The pre-training recipe: MNRL, in-batch negatives, big batches through gradient caching. */
export const RECIPE = { loss: 'mnrl', batchSize: 128, miniBatchSize: 64, scheduler: 'linear', checkpointEvery: 10 } as const;

export interface Stage {
  readonly name: string;
  /** Starts from this folder (the random init, or the previous stage's output). */
  readonly model: string;
  readonly data: string;
  readonly out: string;
  readonly steps: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly seed: number;
  /** Tokens per text in training: what the `model` folder's sentence_bert_config.json says. */
  readonly seqLength: number;
  /** Folders to copy `model` from when it is not there yet, the first that has weights. */
  readonly startFrom?: readonly string[];
  /** Pairs per step and per forward pass where they differ from RECIPE's. */
  readonly batchSize?: number;
  readonly miniBatchSize?: number;
  /**
   * Trained on a lent GPU (scripts/device-pretrain.sh): `steps` is then the most it takes, and the
   * device measures its speed first and runs as many as fit its time, so the schedule spans the run.
   */
  readonly onDevice?: boolean;
  /** Steps between checkpoints where RECIPE's would cost too much (a GPU step is short, a checkpoint 30 MB). */
  readonly checkpointEvery?: number;
  /** What the model card says of the stage's data, after its name, where "the same with the model before it" is not all. */
  readonly cardNote?: string;
  /**
   * The stage's `data` is mined by the model before it (scripts/pretrain-mine-model.ts), with the
   * stage's seed drawing among the model's top 3; `crop` then crops a share of the queries.
   */
  readonly mined?: { readonly crop?: CropOptions };
}

/** Stage 2's output: what stage 3 starts from. Where that run is gone, the committed model is it. */
export const STAGE2_DIR = path.join(PRETRAIN_DIR, 'run-stage2');
export const STAGE3_START_DIR = path.join(PRETRAIN_DIR, 'stage3-start');

/** Sized by measured speed (bench/RESULTS.md) to about an hour on two shared cores. */
const STAGE3_STEPS = 280;
/** What fit the session's remaining ~50 minutes on the two shared cores (~8 s per step). */
const STAGE4_STEPS = 320;
export const STAGE4_START_DIR = path.join(PRETRAIN_DIR, 'stage4-start');
/** Stage 5: re-mined with stage 4's model, what was left of the session after it (~7 s per step). */
const STAGE5_STEPS = 150;
export const STAGE5_START_DIR = path.join(PRETRAIN_DIR, 'stage5-start');
/**
 * Stage 6: re-mined with stage 5's model, and 39% of the queries cropped from their positives; the
 * stage-5 model scored 0.96 MRR@10 on training pairs against 0.67 held out, so more passes over the
 * same pairs were no longer the way (stage 5: +0.001 on English for 16 minutes).
 */
const STAGE6_STEPS = 400;
export const STAGE6_START_DIR = path.join(PRETRAIN_DIR, 'stage6-start');
/**
 * Stage 7 is for a GPU: the same data recipe mined with stage 6's model; 256 pairs per step for
 * more in-batch negatives; at most 4 passes over its 67k rows, each query cropped or not as mined.
 */
const STAGE7_MAX_STEPS = 1050;
export const STAGE7_START_DIR = path.join(PRETRAIN_DIR, 'stage7-start');

/**
 * Stage 1 from random weights on every pair; stage 2 a second pass at a lower peak rate, on the
 * same pairs reshuffled plus the cross-lingual ones the other ways round (zh long → en long,
 * en short → zh long, zh short → en short), because Chinese is only 4% of the pairs. Stage 3
 * (scripts/pretrain-mine.ts) adds one BM25-mined hard negative per pair and trains at the model's
 * full 128 tokens (the folder it starts from reads 128), so positions 64–127 learn too.
 */
export const STAGES: readonly Stage[] = [
  { name: 'stage 1', model: INIT_DIR, data: TRAIN_FILE, out: RUN_DIR, steps: 520, lr: 1e-3, warmupSteps: 30, seed: 14, seqLength: TRAIN_SEQ_LENGTH },
  { name: 'stage 2', model: RUN_DIR, data: path.join(PRETRAIN_DIR, 'train-stage2.jsonl'), out: STAGE2_DIR, steps: 360, lr: 3e-4, warmupSteps: 10, seed: 15, seqLength: TRAIN_SEQ_LENGTH },
  {
    name: 'stage 3', model: STAGE3_START_DIR, data: STAGE3_FILE, out: path.join(PRETRAIN_DIR, 'run-stage3'), steps: STAGE3_STEPS, lr: 1.5e-4, warmupSteps: 10, seed: 16, seqLength: MAX_SEQ_LENGTH,
    startFrom: [STAGE2_DIR, BUILTIN_MODEL_DIR],
  },
  {
    name: 'stage 4', model: STAGE4_START_DIR, data: STAGE4_FILE, out: path.join(PRETRAIN_DIR, 'run-stage4'), steps: STAGE4_STEPS, lr: 1e-4, warmupSteps: 10, seed: 17, seqLength: MAX_SEQ_LENGTH,
    startFrom: [BUILTIN_MODEL_DIR], mined: {},
  },
  {
    name: 'stage 5', model: STAGE5_START_DIR, data: STAGE5_FILE, out: path.join(PRETRAIN_DIR, 'run-stage5'), steps: STAGE5_STEPS, lr: 7e-5, warmupSteps: 10, seed: 18, seqLength: MAX_SEQ_LENGTH,
    startFrom: [BUILTIN_MODEL_DIR], mined: {},
  },
  {
    name: 'stage 6', model: STAGE6_START_DIR, data: STAGE6_FILE, out: path.join(PRETRAIN_DIR, 'run-stage6'), steps: STAGE6_STEPS, lr: 1e-4, warmupSteps: 10, seed: 19, seqLength: MAX_SEQ_LENGTH,
    startFrom: [BUILTIN_MODEL_DIR], mined: { crop: { share: 0.5, seed: 61 } },
    cardNote: 'the same with the model before it, then half of the English rows got as query a 4–12 word span of one sentence of their own positive that their negative does not contain (`scripts/pretrain-crop.ts`: it makes the model match the words a query shares with its document)',
  },
  {
    name: 'stage 7', model: STAGE7_START_DIR, data: STAGE7_FILE, out: path.join(PRETRAIN_DIR, 'run-stage7'), steps: STAGE7_MAX_STEPS, lr: 1e-4, warmupSteps: 30, seed: 20, seqLength: MAX_SEQ_LENGTH,
    startFrom: [BUILTIN_MODEL_DIR], mined: { crop: { share: 0.5, seed: 62 } }, batchSize: 256, miniBatchSize: 128, onDevice: true, checkpointEvery: 50,
    cardNote: 'the same as stage 6 with the model before it, on a GPU',
  },
];

export function readPairs(file = TRAIN_FILE): Pair[] {
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Pair);
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** The vocabulary sees the pre-training text and the studio's own corpus (the Playground samples). */
async function init(): Promise<void> {
  const pairs = readPairs();
  const texts = [...pairs.flatMap((p) => [p.anchor, p.positive]), ...readCorpus()];
  const t0 = performance.now();
  const vocab = trainWordPiece(texts, { vocabSize: VOCAB_SIZE });
  console.log(`vocabulary: ${vocab.length} tokens in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const config = bertConfigJson(vocab.length, PRETRAIN_SHAPE);
  const dims = bertDims(parseBertConfig(config));
  const layout = new ParamLayout(bertParamGroups(dims));
  const files = sentenceFolderFiles(vocab, config, dims.hiddenSize, TRAIN_SEQ_LENGTH);
  files.set('model.safetensors', writeSafetensors(unpackWeights(layout, randomBertWeights(layout, INIT_SEED)), { format: 'pt' }));
  await writeFolderAtomically(INIT_DIR, files);
  console.log(`wrote ${INIT_DIR} (${layout.entries.reduce((n, e) => n + e.size, 0)} parameters)`);
}

/** The stage `--stage N` names in `args`, else stage `fallback`. */
export function stageByNumber(args: readonly string[], fallback = 1): Stage {
  const at = args.indexOf('--stage');
  const stage = STAGES[(at >= 0 ? Number(args[at + 1]) : fallback) - 1];
  if (!stage) throw new Error(`--stage must be 1..${STAGES.length}`);
  return stage;
}

/** The stage's number, as `--stage` takes it. */
export const stageNumber = (stage: Stage): number => STAGES.indexOf(stage) + 1;

/** The stage a record of the model card names, if it is one of STAGES. */
export const stageNamed = (name: string): Stage | undefined => STAGES.find((s) => s.name === name);

/** Copies the folder a stage starts from into `stage.model` when it is not there yet. */
export function prepareStart(stage: Stage): void {
  if (!stage.startFrom || existsSync(path.join(stage.model, 'model.safetensors'))) return;
  const from = stage.startFrom.find((d) => existsSync(path.join(d, 'model.safetensors')));
  if (!from) throw new Error(`${stage.name}: none of ${stage.startFrom.join(', ')} exists`);
  cpSync(from, stage.model, { recursive: true, filter: (src) => path.basename(src) !== 'checkpoint' });
  console.error(`${stage.name}: starts from a copy of ${path.relative(ROOT, from)} in ${path.relative(ROOT, stage.model)}`);
}

/** The CLI's `train` arguments that start a stage: here, and (with its own paths) on a lent GPU. */
export function stageTrainArgs(stage: Stage, where: { model: string; data: string; out: string; backend: 'wasm' | 'webgpu'; steps?: number | string }): string[] {
  return [
    'train', '--model', where.model, '--data', where.data, '--loss', RECIPE.loss, '--steps', String(where.steps ?? stage.steps),
    '--batch-size', String(stage.batchSize ?? RECIPE.batchSize), '--mini-batch-size', String(stage.miniBatchSize ?? RECIPE.miniBatchSize), '--lr', String(stage.lr),
    '--warmup-steps', String(stage.warmupSteps), '--scheduler', RECIPE.scheduler, '--seed', String(stage.seed),
    '--backend', where.backend, '--checkpoint-every', String(stage.checkpointEvery ?? RECIPE.checkpointEvery), '--out', where.out,
  ];
}

/**
 * One piece of a stage: starts it, or resumes it from its last checkpoint. A resume names this
 * machine's model and data, since a checkpoint made on a lent GPU names that machine's paths.
 */
function train(args: readonly string[]): Promise<number> {
  const stage = stageByNumber(args);
  const resume = existsSync(path.join(stage.out, 'checkpoint', 'state.json'));
  if (!resume && stage.onDevice && !args.includes('--here')) {
    throw new Error(`${stage.name} is sized for a GPU: run it with scripts/device-pretrain.sh (see its header), or here on the CPU with --here`);
  }
  if (!resume) {
    prepareStart(stage);
    const st = JSON.parse(readFileSync(path.join(stage.model, 'sentence_bert_config.json'), 'utf8')) as { max_seq_length: number };
    if (st.max_seq_length !== stage.seqLength) throw new Error(`${stage.name} trains at ${stage.seqLength} tokens, but ${stage.model} reads ${st.max_seq_length}`);
  }
  const cli = resume
    ? ['train', '--resume', stage.out, '--model', stage.model, '--data', stage.data, '--backend', 'wasm']
    : stageTrainArgs(stage, { model: stage.model, data: stage.data, out: stage.out, backend: 'wasm' });
  console.error(`${stage.name}: ${resume ? 'resuming' : 'starting'}: embedding-studio ${cli.join(' ')}`);
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/cli/main.ts'), ...cli], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

export async function pretrainMain(args: readonly string[]): Promise<void> {
  const [cmd, ...rest] = args;
  if (cmd === 'init') return init();
  if (cmd === 'train') {
    process.exitCode = await train(rest);
    return;
  }
  if (cmd === 'mine') {
    const { mineStage3 } = await import('./pretrain-mine.ts');
    return mineStage3();
  }
  if (cmd === 'mine-model') {
    const target = stageByNumber(rest, 4);
    if (!target.mined) throw new Error(`mine-model --stage must be one of ${STAGES.filter((s) => s.mined).map((s) => stageNumber(s)).join(', ')}`);
    const before = STAGES[stageNumber(target) - 2].name;
    // The committed folder holds the last exported stage: it must be the one just before.
    const ev = JSON.parse(readFileSync(path.join(BUILTIN_MODEL_DIR, 'eval_results.json'), 'utf8')) as { stages: { name: string }[] };
    if (ev.stages.at(-1)?.name !== before) throw new Error(`mine-model --stage ${stageNumber(target)} mines with ${before}'s model, but ${path.relative(ROOT, BUILTIN_MODEL_DIR)} holds ${ev.stages.at(-1)?.name ?? 'no stage'}: export ${before} first`);
    const { mineWithModel } = await import('./pretrain-mine-model.ts');
    return mineWithModel(BUILTIN_MODEL_DIR, target.data, target.seed, target.mined.crop);
  }
  if (cmd === 'device-kit' || cmd === 'import-device') {
    const { writeDeviceStage, importDeviceRun } = await import('./pretrain-device.ts');
    return cmd === 'device-kit' ? writeDeviceStage(rest) : importDeviceRun(rest);
  }
  if (cmd === 'export') {
    const { exportBuiltin } = await import('./pretrain-export.ts');
    return exportBuiltin(rest);
  }
  throw new Error('usage: make:builtin-model -- --pretrain init | train [--stage 1..7] [--here] | mine | mine-model [--stage 4..7] | device-kit --stage 7 --kit DIR | import-device DIR --stage 7 | export');
}

export { json as jsonBytes };
