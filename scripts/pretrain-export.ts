/**
 * `make:builtin-model -- --pretrain export [--out DIR] [--eval-only] [--stage N] [--hardware TEXT]`:
 * takes the pre-training run's last checkpoint, evaluates it on the held-out Debian packages
 * against BM25 and against the random initialisation, and writes the built-in model folder with
 * its card, its metrics, the data manifest, and a small held-out slice (with the metrics the model
 * gets on it) that a unit test re-checks against the committed weights.
 *
 * Earlier stages whose checkpoints are gone (a later stage started from the committed folder)
 * are carried from the committed eval_results.json (and its card, for what older exports did not
 * record there): their steps, rates, loss curve, hardware and held-out numbers.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseNodeBackend } from '../src/cli/node-runtime.ts';
import type { Backend } from '../src/engine/backend.ts';
import { bm25RetrievalScores, modelRetrievalScores, type RetrievalScores, type RetrievalSet, sliceRetrievalSet } from '../src/eval/retrieval-set.ts';
import { readCheckpoint } from '../src/io/checkpoint-files.ts';
import { folderFiles } from '../src/io/folder-files.ts';
import { writeSafetensors } from '../src/io/safetensors.ts';
import { writeFolderAtomically } from '../src/io/write-folder.ts';
import type { Checkpoint } from '../src/model/checkpoint.ts';
import { loadSentenceModel, type LoadedModel } from '../src/io/load-model.ts';
import { unpackWeights } from '../src/model/weights.ts';
import { BUILTIN_MODEL_DIR, bertConfigJson, builtinCardFrontMatter, sentenceFolderFiles } from './make-builtin-model.ts';
import { randomBertWeights } from '../src/model/init.ts';
import { INIT_DIR, INIT_SEED, MAX_SEQ_LENGTH, PRETRAIN_SHAPE, readPairs, RECIPE, STAGES, type Stage, stageNamed, TRAIN_FILE } from './pretrain-builtin.ts';
import { isCrossLingual } from './pretrain-mine.ts';
import { PRETRAIN_DIR } from './pretrain-data.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The slice the unit test re-evaluates: the model's numbers on it are recorded at export. */
export const SLICE_FILE = path.join(ROOT, 'test/data/builtin-heldout-slice.json');
export const EVAL_FILE = 'eval_results.json';
const SLICE_QUERIES = 60;
const SLICE_DISTRACTORS = 140;

export interface SliceFile {
  readonly note: string;
  readonly sets: readonly RetrievalSet[];
}

export interface StageRecord {
  readonly name: string;
  readonly steps: number;
  readonly of: number;
  readonly lr: number;
  readonly data: string;
  /** Tokens per text in training (older records: absent, meaning 64). */
  readonly seqLength?: number;
  /** Training rows in `data`, when known. */
  readonly rows?: number;
  /** The held-out numbers after this stage (at MAX_SEQ_LENGTH), when measured. */
  readonly heldOut?: Record<string, RetrievalScores>;
  /** True where the stage's checkpoint was gone and this record came from the committed folder. */
  readonly carried?: boolean;
}

export interface BuiltinEval {
  readonly model: string;
  /** Steps over all stages. */
  readonly steps: number;
  readonly stages: readonly StageRecord[];
  /** Loss over all stages, ~24 window means (older records: only in the card). */
  readonly curve?: readonly { step: number; loss: number }[];
  /** Where each stage ran (older records: only in the card). */
  readonly hardware?: string;
  readonly heldOut: Record<string, { model: RetrievalScores; bm25: RetrievalScores; random: RetrievalScores }>;
  /** The model this one replaced (random weights, 2 × 128), on the same held-out sets, when measured. */
  readonly previous?: Record<string, RetrievalScores>;
  /** The committed model's MRR@10 / NDCG@10 on each slice set, which a unit test recomputes. */
  readonly slice: Record<string, RetrievalScores>;
}

const readSet = (name: string): RetrievalSet => JSON.parse(readFileSync(path.join(PRETRAIN_DIR, name), 'utf8')) as RetrievalSet;

/**
 * As many English training pairs as the held-out set has queries (every 7th of train.jsonl whose
 * anchor is a plain short description), short description → long description: the held-out task
 * on packages the model has seen. Not recorded: printed beside the held-out numbers.
 */
function trainingFitSet(size: number): RetrievalSet {
  const pairs = readPairs(TRAIN_FILE).filter((p) => !isCrossLingual(p) && !p.anchor.includes(': '));
  const seen = new Set<string>();
  const picked: typeof pairs = [];
  for (let i = 0; picked.length < size && i < pairs.length; i += 7) {
    if (seen.has(pairs[i].positive)) continue;
    seen.add(pairs[i].positive);
    picked.push(pairs[i]);
  }
  return {
    name: 'training pairs (seen)', queries: picked.map((p, i) => ({ id: `q${i}`, text: p.anchor })), corpus: picked.map((p, i) => ({ id: `d${i}`, text: p.positive })),
    relevant: Object.fromEntries(picked.map((_, i) => [`q${i}`, [`d${i}`]])),
  };
}

/**
 * The folder whose vocabulary and config the weights go with: the random init where it is still
 * there, else the folder the first stage with a checkpoint started from (the same vocabulary).
 */
function baseDir(first: Stage): string {
  return existsSync(path.join(INIT_DIR, 'config.json')) ? INIT_DIR : first.model;
}

/** `params` null: the random initialisation, regenerated from its seed (the same weights `init` wrote). */
async function loadWith(backend: Backend, base: string, params: Float32Array | null, maxSeqLength: number): Promise<LoadedModel> {
  const loaded = await loadSentenceModel(folderFiles(base), backend);
  backend.write(loaded.model.store.params, params ?? randomBertWeights(loaded.layout, INIT_SEED));
  loaded.model.maxSeqLength = maxSeqLength;
  return loaded;
}

/** What the committed folder records of its stages (for those whose checkpoints are gone). */
function committedRecord(dir: string): BuiltinEval | null {
  const file = path.join(dir, EVAL_FILE);
  if (!existsSync(file)) return null;
  const ev = JSON.parse(readFileSync(file, 'utf8')) as BuiltinEval;
  const readme = existsSync(path.join(dir, 'README.md')) ? readFileSync(path.join(dir, 'README.md'), 'utf8') : '';
  const loss = /^Loss \(mean per window[^)]*\): (.*)\.$/m.exec(readme)?.[1];
  const curveFromCard = loss?.split(', ').map((p) => p.split(': ').map(Number)).map(([step, l]) => ({ step, loss: l }));
  const hardware = /^Hardware: (.*)$/m.exec(readme)?.[1];
  const last = ev.stages.at(-1);
  // Older records hold the held-out numbers only for the whole model: those are its last stage's.
  const stages = ev.stages.map((st) => (st === last && !st.heldOut ? { ...st, heldOut: Object.fromEntries(Object.entries(ev.heldOut).map(([k, r]) => [k, r.model])) } : st));
  return { ...ev, stages, curve: ev.curve ?? curveFromCard, hardware: ev.hardware ?? hardware };
}

const countLines = (file: string): number | undefined =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : undefined;

/** Encodes each distinct text once: both held-out sets share their corpus. */
function encoder(loaded: LoadedModel): (texts: readonly string[]) => Promise<Float32Array> {
  const cache = new Map<string, Float32Array>();
  const dim = loaded.model.dimension;
  return async (texts) => {
    const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
    if (missing.length) {
      const emb = await loaded.model.encode(missing, { batchSize: 64 });
      missing.forEach((t, i) => cache.set(t, emb.slice(i * dim, (i + 1) * dim)));
    }
    const out = new Float32Array(texts.length * dim);
    texts.forEach((t, i) => out.set(cache.get(t)!, i * dim));
    return out;
  };
}
const fmt = (s: RetrievalScores) => `MRR@10 ${s['mrr@10'].toFixed(4)} NDCG@10 ${s['ndcg@10'].toFixed(4)} R@10 ${s['recall@10'].toFixed(4)}`;

/**
 * Loss curve over all stages as ~24 points (mean of each window), for the card: the carried
 * stages' points as recorded, then the checkpointed stages' losses, windowed at the same rate.
 */
function curve(carried: readonly { step: number; loss: number }[], carriedSteps: number, done: readonly { stage: Stage; ck: Checkpoint }[]): { step: number; loss: number }[] {
  const pts: { step: number; loss: number }[] = [];
  let offset = carriedSteps;
  for (const { ck } of done) {
    for (const p of ck.state.losses) pts.push({ step: offset + p.step, loss: p.loss });
    offset += ck.state.step;
  }
  const w = Math.max(1, Math.ceil(offset / 24));
  // The committed curve may also hold stages that still have checkpoints (an earlier export of them):
  // those are measured again from their checkpoints, so only the carried stages' points are kept.
  const out = carried.filter((p) => p.step <= carriedSteps);
  for (let i = 0; i < pts.length; i += w) {
    const win = pts.slice(i, i + w);
    out.push({ step: win.at(-1)!.step, loss: win.reduce((a, p) => a + p.loss, 0) / win.length });
  }
  return out;
}

function card(ev: BuiltinEval, manifest: Record<string, unknown>, params: number, vocab: number): string {
  const counts = manifest.counts as Record<string, number>;
  const rows = Object.entries(ev.heldOut).map(([name, r]) =>
    `| ${name} (${r.model.queries} queries, ${r.model.corpus} docs) | ${r.model['mrr@10'].toFixed(3)} / ${r.model['ndcg@10'].toFixed(3)} | ${r.bm25['mrr@10'].toFixed(3)} / ${r.bm25['ndcg@10'].toFixed(3)} | ${r.random['mrr@10'].toFixed(3)} / ${r.random['ndcg@10'].toFixed(3)} |`).join('\n');
  const en = ev.heldOut['debian-heldout-en'];
  const zh = ev.heldOut['debian-heldout-zh2en'];
  const verdict = (r: typeof en) => (r.model['ndcg@10'] > r.bm25['ndcg@10'] ? 'beats' : 'loses to');
  return `${builtinCardFrontMatter(['license: other'])}

# Embedding Studio built-in model (pre-trained)

A small bilingual (English, Chinese) sentence-embedding model, **pre-trained by Embedding
Studio's own engine** (the WebAssembly SIMD backend, on a CPU) so that the studio works offline
from its first minute. It is a starting point for fine-tuning, not a general-purpose embedder:
it has seen only Debian package descriptions, ${RECIPE.batchSize * ev.steps} pairs' worth of them.

Fine-tune it like a pre-trained model: learning rate 2e-5–5e-5 (not the 1e-3 a random init needs).

## Model
- BERT encoder: hidden ${PRETRAIN_SHAPE.hiddenSize}, ${PRETRAIN_SHAPE.layers} layers, ${PRETRAIN_SHAPE.heads} heads, feed-forward ${PRETRAIN_SHAPE.intermediateSize}, ${PRETRAIN_SHAPE.maxPositions} positions; ${params.toLocaleString('en-US')} parameters; mean pooling, L2 normalisation, cosine similarity.
- Tokenizer: lowercase WordPiece, ${vocab} tokens, trained with \`src/model/wordpiece-trainer.ts\` on the training text plus \`public/corpus/\`; every Chinese character is its own token (BERT's basic tokenizer).
- Maximum sequence length ${MAX_SEQ_LENGTH}${trainedLength(ev) < MAX_SEQ_LENGTH ? ` (trained at ${trainedLength(ev)}: position embeddings past ${trainedLength(ev)} are untrained)` : ` (${ev.stages.map((s) => `${s.name} at ${s.seqLength ?? 64}`).join(', ')} tokens)`}.

## Data
Debian's package descriptions (bookworm main, -updates, -security), fetched with apt itself
(\`npm run pretrain:data\`; manifest in \`data_manifest.json\`): ${counts.trainPairs} training pairs from
${counts.trainPackages} packages — package name + short description → long description, and
${counts.trainPairsCrossLingual} cross-lingual pairs from the Debian Description Translation Project's zh_CN / zh_TW
translations (zh short → en long, zh short → zh long, en short → zh short); stage 2 adds the
translations paired the other ways round (${counts.stage2Pairs} pairs in all)${stage3Text(ev)}. Dictionary packages
(dict-*, wordnet*, gcide*, foldoc*) are excluded from training and evaluation alike.
${manifest.licence as string}

## Recipe
MultipleNegativesRankingLoss (scale 20, in-batch negatives), batch ${RECIPE.batchSize} through gradient caching
(mini-batches of ${RECIPE.miniBatchSize}), AdamW (weight decay 0.01, clip 1.0) with warm-up and linear decay, from BERT's random
initialisation (no MLM stage), ${ev.steps} steps in all (${(ev.steps * RECIPE.batchSize / counts.trainPairs).toFixed(2)} passes over the pairs):
${ev.stages.map((s) => `- ${s.name}: ${s.steps} of ${s.of} steps, peak lr ${s.lr}, ${s.seqLength ?? 64} tokens, on \`${s.data}\`${s.rows ? ` (${s.rows} rows)` : ''}${s.heldOut ? `; held-out MRR@10 / NDCG@10 after it: ${Object.entries(s.heldOut).map(([k, r]) => `${k.replace('debian-heldout-', '')} ${r['mrr@10'].toFixed(3)} / ${r['ndcg@10'].toFixed(3)}`).join(', ')}` : ''}`).join('\n')}

Trained with \`npm run make:builtin-model -- --pretrain train --stage N\` (the CLI's \`train\`, resumed with \`train --resume\`); each stage starts from the one before's output.

Hardware: ${ev.hardware ?? 'see bench/RESULTS.md'}

Loss (mean per window, steps counted over all stages): ${(ev.curve ?? []).map((p) => `${p.step}: ${p.loss.toFixed(2)}`).join(', ')}.

## Evaluation (held out, never trained on)
${counts.heldOutPackages} packages from ${counts.heldOutSources} whole source packages, chosen by a hash of the source name, and any
training pair sharing their text removed. Queries: the short description (en), or its Chinese translation
(zh → en); documents: the English long descriptions of all held-out packages. MRR@10 / NDCG@10:

| set | this model | BM25 (k1 1.2, b 0.75; Chinese by characters) | random init (same shape) |
|---|---|---|---|
${rows}

Honestly: on English it ${verdict(en)} BM25 (MRR@10 ${en.model['mrr@10'].toFixed(3)} vs ${en.bm25['mrr@10'].toFixed(3)}) — short descriptions
share their rare words with the long ones, which is what BM25 is made for, and ${ev.steps} CPU steps are
far from the compute dense retrievers need to pass it. From Chinese queries to English documents it
${verdict(zh)} BM25 (${zh.model['mrr@10'].toFixed(3)} vs ${zh.bm25['mrr@10'].toFixed(3)}); BM25 gets that far only through the Latin words (names,
acronyms) the Chinese queries contain. Both are far above random weights${ev.previous ? ` (the previous built-in model, random 2 × 128: en ${ev.previous['debian-heldout-en']?.['mrr@10'].toFixed(3)}, zh → en ${ev.previous['debian-heldout-zh2en']?.['mrr@10'].toFixed(3)})` : ''}.
The training loss drops sharply once a stage starts revisiting pairs it has seen (after step
${Math.floor(counts.trainPairs / RECIPE.batchSize)} of stage 1, and all through stage 2, a second pass); losses near 0.1 there
mean memorised pairs, so judge the model by the held-out numbers above.${lossText(ev)}

Regenerate: \`${regenerateCommand(ev)}\`
(stage 3 starts from stage 2's output, or from a copy of the committed folder where that is gone; stages 4 on from the committed folder, which the export before each wrote;
export then carries the earlier stages' records from the committed folder).
`;
}

/**
 * The commands that rebuild the model from nothing: stages 1–3 fixed, then each model-mined stage
 * mined with the model before it, trained (a GPU stage through scripts/device-pretrain.sh) and
 * exported, so that the next one mines with it.
 */
function regenerateCommand(ev: BuiltinEval): string {
  const run = (args: string) => `npm run make:builtin-model -- --pretrain ${args}`;
  const steps = ['npm run pretrain:data', run('init'), run('train --stage 1'), run('train --stage 2'), run('mine'), run('train --stage 3')];
  const mined = ev.stages.slice(3);
  mined.forEach((record, i) => {
    const n = 4 + i;
    const onDevice = stageNamed(record.name)?.onDevice;
    steps.push(run(`mine-model --stage ${n}`));
    if (onDevice) steps.push(`scripts/pack-device-kit.sh --pretrain ${n}`, '(bash scripts/device-pretrain.sh on the GPU)', run(`import-device DIR --stage ${n}`));
    else steps.push(run(`train --stage ${n}`));
    steps.push(run(i === mined.length - 1 ? 'export --hardware TEXT' : `export --stage ${n}`));
  });
  return steps.join(' && ');
}

/**
 * The held-out numbers the committed record holds for a stage that still has its checkpoint but
 * is not the one exported (its weights are not re-evaluated): only when it is the same run, to the step.
 */
function measuredBefore(committed: BuiltinEval | null, name: string, steps: number): Record<string, RetrievalScores> | undefined {
  const record = committed?.stages.find((r) => r.name === name);
  return record && record.steps === steps ? record.heldOut : undefined;
}

const withHeldOut = (heldOut: Record<string, RetrievalScores> | undefined): { heldOut?: Record<string, RetrievalScores> } => (heldOut ? { heldOut } : {});

/** Why each stage from 3 on trains at a higher loss than the one before: one clause per stage, in order. */
const LOSS_CLAUSES = [
  ` Stage 3's loss is higher again
because each row brings a BM25-mined hard negative (a sibling package's description, mostly) besides the in-batch ones`,
  `, and stage 4's
higher still: its negatives are the ones the model itself ranked highest`,
  ' (and stage 5\'s, mined again with stage 4\'s model)',
  '; stage 6\'s (~0.9) more so, its cropped queries being a few words cut from the middle of a description',
];

function lossText(ev: BuiltinEval): string {
  const clauses = LOSS_CLAUSES.slice(0, Math.max(0, ev.stages.length - 2));
  return clauses.length > 0 ? `${clauses.join('')}.` : '';
}

/** The longest length any stage trained at: positions past it never learned. */
const trainedLength = (ev: BuiltinEval): number => Math.max(...ev.stages.map((s) => s.seqLength ?? 64));

function stage3Text(ev: BuiltinEval): string {
  const s3 = ev.stages[2];
  if (!s3) return '';
  return `; stage 3 gives each stage-2 pair one hard negative mined with BM25 over the training pairs
only (\`scripts/pretrain-mine.ts\`: drawn from the top 30 that are not the pair's positive; the query is the
anchor, or the positive where the two are in different scripts), each cross-lingual pair twice
with two negatives${s3.rows ? ` (${s3.rows} rows)` : ''}${stage4Text(ev)}`;
}

function stage4Text(ev: BuiltinEval): string {
  const later = ev.stages.slice(3);
  if (later.length === 0) return '';
  const [s4, ...rest] = later;
  return `; stage 4 mines again with the stage-3 model itself (\`scripts/pretrain-mine-model.ts\`): the same BM25
top 30 re-ranked by the model, the negative drawn from the model's own top 3 of them${s4.rows ? ` (${s4.rows} rows)` : ''}${rest.map((s) => `; ${s.name} ${stageNamed(s.name)?.cardNote ?? 'the same with the model before it'}`).join('')}`;
}

export async function exportBuiltin(args: readonly string[]): Promise<void> {
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? path.resolve(args[outAt + 1]) : BUILTIN_MODEL_DIR;
  const hwAt = args.indexOf('--hardware');
  const hardwareArg = hwAt >= 0 ? args[hwAt + 1] : undefined;
  const evalOnly = args.includes('--eval-only');
  // The length the exported model reads; training ran at TRAIN_SEQ_LENGTH, so both are worth measuring.
  const seqAt = args.indexOf('--max-seq');
  const maxSeq = seqAt >= 0 ? Number(args[seqAt + 1]) : MAX_SEQ_LENGTH;
  // Every stage that has a checkpoint, in order; the model is the last one's weights. Stages
  // before the first checkpoint whose checkpoints are gone are carried from the committed record.
  const done: { stage: Stage; ck: Checkpoint }[] = [];
  const carried: StageRecord[] = [];
  const committed = committedRecord(BUILTIN_MODEL_DIR);
  // --stage N exports after stage N (to compare stages); otherwise the last stage that ran.
  const stageAt = args.indexOf('--stage');
  const lastStage = stageAt >= 0 ? Number(args[stageAt + 1]) : STAGES.length;
  for (const stage of STAGES.slice(0, lastStage)) {
    const dir = path.join(stage.out, 'checkpoint');
    if (existsSync(path.join(dir, 'state.json'))) {
      done.push({ stage, ck: await readCheckpoint(dir) });
      continue;
    }
    if (done.length > 0) break;
    const record = committed?.stages.find((r) => r.name === stage.name);
    if (record) carried.push({ ...record, seqLength: record.seqLength ?? stage.seqLength, carried: true });
  }
  if (done.length === 0) throw new Error('no pre-training checkpoint yet: run --pretrain train first');
  const firstDone = STAGES.indexOf(done[0].stage);
  if (carried.length !== firstDone) {
    throw new Error(`${done[0].stage.name} has a checkpoint, but of the stages before it only ${carried.length} of ${firstDone} have a checkpoint or a committed record`);
  }
  const ck = done.at(-1)!.ck;
  const base = baseDir(done[0].stage);
  const { backend } = await chooseNodeBackend('wasm');
  try {
    const sets = [readSet('heldout-en.json'), readSet('heldout-zh.json')];
    const trained = await loadWith(backend, base, ck.tensors.params, maxSeq);
    const random = await loadWith(backend, base, null, maxSeq);
    const heldOut: BuiltinEval['heldOut'] = {};
    const encodeTrained = encoder(trained);
    const encodeRandom = encoder(random);
    for (const set of sets) {
      const t0 = performance.now();
      const row = {
        model: await modelRetrievalScores(set, encodeTrained, trained.model.dimension),
        bm25: bm25RetrievalScores(set),
        random: await modelRetrievalScores(set, encodeRandom, random.model.dimension),
      };
      heldOut[set.name] = row;
      console.log(`${set.name}: model ${fmt(row.model)} | bm25 ${fmt(row.bm25)} | random ${fmt(row.random)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    // How much of the held-out gap is memorisation: the same task on pairs the model trained on.
    const fit = trainingFitSet(sets[0].queries.length);
    console.log(`${fit.name}: model ${fmt(await modelRetrievalScores(fit, encodeTrained, trained.model.dimension))} | bm25 ${fmt(bm25RetrievalScores(fit))}`);
    const prevAt = args.indexOf('--previous');
    // Without --previous, the committed record's (the model the pre-trained one replaced).
    let previous: Record<string, RetrievalScores> | undefined = carried.length > 0 ? committed?.previous : undefined;
    if (prevAt >= 0) {
      const prev = await loadSentenceModel(folderFiles(path.resolve(args[prevAt + 1])), backend);
      const encodePrev = encoder(prev);
      previous = {};
      for (const set of sets) previous[set.name] = await modelRetrievalScores(set, encodePrev, prev.model.dimension);
      console.log(`previous built-in: ${Object.entries(previous).map(([k, v]) => `${k} ${fmt(v)}`).join(' | ')}`);
    }
    if (evalOnly) return;
    // The card, the test and the folder all say MAX_SEQ_LENGTH; change that constant to export another.
    if (maxSeq !== MAX_SEQ_LENGTH) throw new Error(`--max-seq ${maxSeq} is for --eval-only; the export reads MAX_SEQ_LENGTH (${MAX_SEQ_LENGTH})`);

    const slices = sets.map((s) => sliceRetrievalSet(s, SLICE_QUERIES, SLICE_DISTRACTORS));
    const slice: BuiltinEval['slice'] = {};
    // Encoded afresh, exactly as the unit test encodes them (default batch size).
    for (const s of slices) slice[s.name] = await modelRetrievalScores(s, (t) => trained.model.encode(t), trained.model.dimension);
    const modelScores = Object.fromEntries(Object.entries(heldOut).map(([k, r]) => [k, r.model]));
    const stages: StageRecord[] = [
      ...carried,
      ...done.map(({ stage, ck: c }, i) => {
        const rows = countLines(stage.data);
        return {
          name: stage.name, steps: c.state.step, of: c.state.totalSteps, lr: stage.lr, data: path.relative(ROOT, stage.data), seqLength: stage.seqLength,
          ...(rows ? { rows } : {}),
          ...withHeldOut(i === done.length - 1 ? modelScores : measuredBefore(committed, stage.name, c.state.step)),
        };
      }),
    ];
    const carriedSteps = carried.reduce((n, x) => n + x.steps, 0);
    const before = carried.length > 0 ? committed?.hardware : undefined;
    // Exported twice over the same folder, the second run's record already ends with this stage's text.
    const hardware = [before, hardwareArg && before?.endsWith(hardwareArg) ? undefined : hardwareArg].filter(Boolean).join(' ') || 'see bench/RESULTS.md';
    const ev: BuiltinEval = {
      model: 'embedding-studio/builtin', steps: stages.reduce((n, x) => n + x.steps, 0), stages,
      curve: curve(carried.length > 0 ? committed?.curve ?? [] : [], carriedSteps, done), hardware, heldOut, ...(previous ? { previous } : {}), slice,
    };

    const initConfig = JSON.parse(readFileSync(path.join(base, 'config.json'), 'utf8')) as { vocab_size: number };
    const vocab = readFileSync(path.join(base, 'vocab.txt'), 'utf8').trimEnd().split('\n');
    const config = { ...bertConfigJson(initConfig.vocab_size, PRETRAIN_SHAPE) };
    const files = sentenceFolderFiles(vocab, config, PRETRAIN_SHAPE.hiddenSize, MAX_SEQ_LENGTH);
    // Says the weights are trained, so the studio suggests a fine-tuning learning rate (not 1e-3).
    const st = JSON.parse(new TextDecoder().decode(files.get('config_sentence_transformers.json'))) as Record<string, unknown>;
    files.set('config_sentence_transformers.json', new TextEncoder().encode(`${JSON.stringify({ ...st, embedding_studio: { pretrained: true, suggested_learning_rate: 5e-5 } }, null, 2)}\n`));
    files.set('model.safetensors', writeSafetensors(unpackWeights(trained.layout, ck.tensors.params), { format: 'pt' }));
    const manifest = JSON.parse(readFileSync(path.join(PRETRAIN_DIR, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    files.set('data_manifest.json', new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
    files.set(EVAL_FILE, new TextEncoder().encode(`${JSON.stringify(ev, null, 2)}\n`));
    const params = trained.layout.entries.reduce((n, e) => n + e.size, 0);
    files.set('README.md', new TextEncoder().encode(card(ev, manifest, params, vocab.length)));
    await writeFolderAtomically(out, files);
    await mkdir(path.dirname(SLICE_FILE), { recursive: true });
    const sliceFile: SliceFile = { note: 'Held-out Debian packages (never trained on), sliced by scripts/pretrain-export.ts; test: src/model/builtin-model.test.ts', sets: slices };
    writeFileSync(SLICE_FILE, `${JSON.stringify(sliceFile)}\n`);
    console.log(`wrote ${out} (${ev.steps} steps) and ${path.relative(ROOT, SLICE_FILE)}`);
  } finally {
    backend.destroy();
  }
}
