/**
 * The studio's export and recipe against sentence-transformers itself: SentenceTransformer(path)
 * loads our export and embeds as our engine does (to 1e-5), and the recipe's train.py runs two
 * steps. Needs `import sentence_transformers` to work (the NVIDIA machine in DEVELOPERS.md has it);
 * skipped, with a message, where it does not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalSplit } from '../data/eval-split.ts';
import { loadTrainingJsonl } from '../data/load.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { loadSentenceModel } from './load-model.ts';
import { DEFAULT_LOSS } from '../model/losses.ts';
import { TrainingRun } from '../model/training-run.ts';
import { HAVE_FIXTURES, TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import { folderFiles } from './folder-files.ts';
import { buildModelExport } from './model-export.ts';
import { buildRecipe, recipeColumns } from './recipe.ts';
import { writeFolderAtomically } from './write-folder.ts';
import { TRAINER_DEFAULTS } from '../shared/settings.ts';

const probe = spawnSync('python3', ['-c', 'import sentence_transformers, sys; sys.stdout.write(sentence_transformers.__version__)'], { encoding: 'utf8' });
const HAVE_ST = probe.status === 0;
if (!HAVE_ST) console.warn('sentence-transformers is not importable by python3 here: skipping the sentence-transformers interop tests (they run on the GPU machine)');
if (!HAVE_FIXTURES) console.warn('tiny-bert fixtures missing: skipping the sentence-transformers interop tests');

const work = mkdtempSync(path.join(tmpdir(), 'es-st-interop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const SAMPLE = path.resolve('public/samples/support-faq.jsonl');

describe.skipIf(!HAVE_ST || !HAVE_FIXTURES)(`sentence-transformers ${probe.stdout} reads what the studio writes`, () => {
  it('SentenceTransformer(path) embeds our export as our engine does, to 1e-5', async () => {
    const backend = new CpuBackend();
    const loaded = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    const dir = path.join(work, 'export');
    await writeFolderAtomically(dir, (await buildModelExport(loaded, { onnx: false })).files);
    const sentences = ['How do I return an item?', 'The weather is lovely today.', 'Öffnungszeiten am Wochenende'];
    const ours = await loaded.model.encode(sentences);
    const py = spawnSync('python3', ['-c', [
      'import json, sys',
      'from sentence_transformers import SentenceTransformer',
      'm = SentenceTransformer(sys.argv[1], device="cpu")',
      'print(json.dumps(m.encode(json.loads(sys.argv[2])).tolist()))',
    ].join('\n'), dir, JSON.stringify(sentences)], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const theirs = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as number[][];
    const D = loaded.model.dimension;
    let max = 0;
    theirs.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - ours[i * D + j])))));
    console.info(`sentence-transformers ${probe.stdout} vs engine: max |Δ| ${max.toExponential(2)}`);
    expect(max).toBeLessThanOrEqual(1e-5);
  });

  it('the recipe trains two steps with SentenceTransformerTrainer', async () => {
    const backend = new CpuBackend();
    const loaded = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    const data = loadTrainingJsonl(readFileSync(SAMPLE, 'utf8'), { file: 'support-faq.jsonl' });
    const split = evalSplit(data.examples, 'triplets', { evalFraction: 0.2, seed: 42 });
    const config = {
      loss: { ...DEFAULT_LOSS, id: 'mnrl' as const, matryoshkaDims: [] }, optimizer: { ...TRAINER_DEFAULTS, lr: 1e-4 }, scheduler: 'linear' as const,
      warmupSteps: 0, batchSize: 8, epochs: 1, maxSteps: 2, shuffle: true, seed: 42,
    };
    const run = new TrainingRun(loaded.model, split.train, config);
    const ours: number[] = [];
    await run.run((r) => ours.push(r.loss));
    const dir = path.join(work, 'recipe');
    await writeFolderAtomically(dir, buildRecipe({
      baseModel: TINY_BERT_MODEL_DIR, run: { config, maxSeqLength: loaded.model.maxSeqLength, columns: recipeColumns('triplets', 3) },
      pooling: loaded.model.pooling, normalize: loaded.model.normalize, train: split.train, evalSet: split.evalSet,
      templates: { query: { prefix: '', suffix: '' }, document: { prefix: '', suffix: '' } },
    }));
    const r = spawnSync('python3', [path.join(dir, 'train.py'), '--max-steps', '2', '--output-dir', path.join(dir, 'out')], { encoding: 'utf8', env: { ...process.env, CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES ?? '' } });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const losses = JSON.parse(readFileSync(path.join(dir, 'out/losses.json'), 'utf8')) as { step: number; loss: number }[];
    console.info(`2-step losses: sentence-transformers ${losses.map((l) => l.loss.toFixed(4)).join(', ')}; studio ${ours.map((l) => l.toFixed(4)).join(', ')}`);
    expect(losses.map((l) => l.step)).toEqual([1, 2]);
    expect(losses.every((l) => Number.isFinite(l.loss) && l.loss > 0)).toBe(true);
  });
});
