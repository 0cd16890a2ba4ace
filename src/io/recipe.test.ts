import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOSS } from '../model/losses.ts';
import type { TrainingRunConfig } from '../model/training-run.ts';
import { buildRecipe, recipeColumns, RECIPE_REQUIREMENTS, type RecipeInput } from './recipe.ts';
import { stRunMapping } from './st-training-args.ts';
import { TRAINER_DEFAULTS } from '../shared/settings.ts';
import type { LossId } from '../shared/names.ts';

const HAVE_PYTHON = spawnSync('python3', ['--version']).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'es-recipe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SHAPE: Record<LossId, 'triplets' | 'pairs' | 'scored-pairs'> = { mnrl: 'triplets', triplet: 'triplets', cosine: 'scored-pairs', cosent: 'scored-pairs' };

function input(loss: LossId, o: { matryoshka: boolean; cached: boolean; scheduler: 'linear' | 'constant'; prompts: 'none' | 'prefix' | 'suffix'; includePrompt: boolean; normalize: boolean; evalEvery: number }): RecipeInput {
  const shape = SHAPE[loss];
  const scored = shape === 'scored-pairs';
  const train = scored
    ? [{ texts: ['a cat sits', 'a cat is sitting'], label: 0.9 }, { texts: ['rain "today"', 'stocks fell'], label: 0.1 }]
    : [{ texts: ['how to reset?', 'Open settings', 'Call us'] }, { texts: ['where is it', 'In the box', "It's gone\n"] }];
  const config: TrainingRunConfig = {
    loss: { ...DEFAULT_LOSS, id: loss, matryoshkaDims: o.matryoshka ? [32, 16] : [] },
    optimizer: { ...TRAINER_DEFAULTS, lr: 3e-5, weightDecay: 0.01 },
    scheduler: o.scheduler,
    warmupSteps: 10,
    batchSize: 8,
    epochs: 2,
    shuffle: true,
    seed: 7,
    ...(o.prompts !== 'none' ? { columnPrompts: ['query: ', 'passage: '] } : {}),
    ...(o.cached ? { miniBatchSize: 4 } : {}),
  };
  const suffix = o.prompts === 'suffix' ? ' (end)' : '';
  return {
    baseModel: 'sentence-transformers/all-MiniLM-L6-v2',
    run: { config, maxSeqLength: 128, columns: recipeColumns(shape, train[0].texts.length), evalEvery: o.evalEvery, checkpointEvery: o.evalEvery * 2, promptSuffixes: { query: suffix, document: '' } },
    pooling: { mode: o.includePrompt ? 'mean' : 'weightedmean', includePrompt: o.includePrompt },
    normalize: o.normalize,
    train,
    evalSet: scored ? null : { queries: ['how to reset?'], corpus: ['Open settings', 'Call us'], relevant: [new Set([0])] },
    templates: { query: { prefix: o.prompts === 'none' ? '' : 'query: ', suffix }, document: { prefix: o.prompts === 'none' ? '' : 'passage: ', suffix: '' } },
    studio: { losses: [{ step: 1, loss: 2.1 }] },
  };
}

function write(dir: string, files: Map<string, Uint8Array>): void {
  for (const [rel, bytes] of files) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), bytes);
  }
}

const text = (files: Map<string, Uint8Array>, name: string) => new TextDecoder().decode(files.get(name));

describe('the Continue-on-GPUs recipe', () => {
  it.skipIf(!HAVE_PYTHON)('compiles (python3 -m py_compile) for every loss × option combination', () => {
    const scripts: string[] = [];
    for (const loss of ['mnrl', 'cosine', 'cosent', 'triplet'] as const) {
      for (const matryoshka of [false, true]) for (const cached of [false, true]) for (const scheduler of ['linear', 'constant'] as const) {
        for (const prompts of ['none', 'prefix', 'suffix'] as const) for (const includePrompt of [true, false]) for (const normalize of [true, false]) {
          const dir = path.join(work, `${loss}-${scripts.length}`);
          write(dir, buildRecipe(input(loss, { matryoshka, cached, scheduler, prompts, includePrompt, normalize, evalEvery: scripts.length % 2 ? 0 : 5 })));
          scripts.push(path.join(dir, 'train.py'));
        }
      }
    }
    expect(scripts).toHaveLength(4 * 2 * 2 * 2 * 3 * 2 * 2);
    // One interpreter for all of them; it exits non-zero (and names the file) at the first syntax error.
    const r = spawnSync('python3', ['-m', 'py_compile', ...scripts], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!HAVE_PYTHON)('the compile check does catch a broken script', () => {
    const bad = path.join(work, 'bad.py');
    writeFileSync(bad, 'def main(:\n    pass\n');
    expect(spawnSync('python3', ['-m', 'py_compile', bad]).status).not.toBe(0);
  });

  it('spells the loss, Matryoshka, the optimizer and the prompts out in train.py', () => {
    const files = buildRecipe(input('mnrl', { matryoshka: true, cached: false, scheduler: 'constant', prompts: 'prefix', includePrompt: false, normalize: true, evalEvery: 5 }));
    const py = text(files, 'train.py');
    expect(py).toContain('losses.MatryoshkaLoss(model, losses.MultipleNegativesRankingLoss(model, scale=20.0, gather_across_devices=WORLD_SIZE > 1), matryoshka_dims=[32, 16], matryoshka_weights=[1.0, 1.0])');
    expect(py).toContain('BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"');
    expect(py).toContain('POOLING_MODE = "weightedmean"');
    expect(py).toContain('INCLUDE_PROMPT = False');
    expect(py).toContain('COLUMNS = ["anchor", "positive", "negative"]');
    expect(py).toContain('TRAIN_PROMPTS = {"anchor": "query: ", "positive": "passage: ", "negative": "passage: "}');
    expect(py).toContain('MODEL_PROMPTS = {"query": "query: ", "document": "passage: "}');
    expect(py).toContain('lr_scheduler_type="constant_with_warmup"');
    expect(py).toContain('learning_rate=0.00003');
    expect(py).toContain('weight_decay=0.01');
    expect(py).toContain('adam_epsilon=1e-8');
    expect(py).toContain('max_grad_norm=1.0');
    expect(py).toContain('seed=7');
    expect(py).toContain('GLOBAL_BATCH_SIZE = 8');
    expect(py).toContain('EVAL_STEPS = 5');
    expect(text(files, 'requirements.txt').trim().split('\n')).toEqual([...RECIPE_REQUIREMENTS]);
    for (const line of RECIPE_REQUIREMENTS) expect(line).toMatch(/^[a-z-]+==\d+\.\d+\.\d+$/);
  });

  it('maps gradient caching to CachedMultipleNegativesRankingLoss, and says so where ST has no cached loss', () => {
    const cached = buildRecipe(input('mnrl', { matryoshka: false, cached: true, scheduler: 'linear', prompts: 'none', includePrompt: true, normalize: true, evalEvery: 0 }));
    expect(text(cached, 'train.py')).toContain('return losses.CachedMultipleNegativesRankingLoss(model, scale=20.0, mini_batch_size=4)');
    const cosent = buildRecipe(input('cosent', { matryoshka: false, cached: true, scheduler: 'linear', prompts: 'none', includePrompt: true, normalize: true, evalEvery: 0 }));
    expect(text(cosent, 'train.py')).toContain('return losses.CoSENTLoss(model, scale=20.0)');
    expect(text(cosent, 'README.md')).toMatch(/has none for CoSENTLoss/);
    const triplet = buildRecipe(input('triplet', { matryoshka: false, cached: false, scheduler: 'linear', prompts: 'none', includePrompt: true, normalize: false, evalEvery: 0 }));
    expect(text(triplet, 'train.py')).toContain('losses.TripletLoss(model, distance_metric=losses.TripletDistanceMetric.EUCLIDEAN, triplet_margin=5.0)');
    expect(text(triplet, 'train.py')).toContain('NORMALIZE = False');
  });

  it('names options with no sentence-transformers equivalent in the README instead of dropping them', () => {
    const base = input('mnrl', { matryoshka: false, cached: false, scheduler: 'linear', prompts: 'suffix', includePrompt: true, normalize: true, evalEvery: 0 });
    const files = buildRecipe({ ...base, run: { ...base.run, config: { ...base.run.config, shuffle: false, optimizer: { ...base.run.config.optimizer, decayAllParameters: true } } } });
    const readme = text(files, 'README.md');
    expect(readme).toMatch(/Shuffling was off in the studio/);
    expect(readme).toMatch(/decayed every weight/);
    expect(readme).toMatch(/put text after \{text\} \(" \(end\)"\)/);
    expect(readme).toContain('accelerate launch --config_file accelerate_config.yaml --num_processes N train.py');
    expect(readme).toContain('torchrun --nproc_per_node N train.py');
    expect(readme).toContain('| learning rate | 0.00003 | `learning_rate` |');
    expect(stRunMapping(base.run).notes.some((n) => /Shuffling/.test(n))).toBe(false);
  });

  it('writes the training rows and the eval set the studio used, text for text', () => {
    const files = buildRecipe(input('mnrl', { matryoshka: false, cached: false, scheduler: 'linear', prompts: 'suffix', includePrompt: true, normalize: true, evalEvery: 0 }));
    const rows = text(files, 'data/train.jsonl').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows).toEqual([
      { anchor: 'how to reset?', positive: 'Open settings', negative: 'Call us' },
      { anchor: 'where is it', positive: 'In the box', negative: "It's gone\n" },
    ]);
    expect(Object.keys(rows[0])).toEqual(['anchor', 'positive', 'negative']);
    const ev = JSON.parse(text(files, 'data/eval.json')) as { queries: Record<string, string>; corpus: Record<string, string>; relevant_docs: Record<string, string[]> };
    // The studio evaluates "query: {text} (end)": the prefix goes in as the prompt, the suffix with the text.
    expect(ev).toEqual({ queries: { q0: 'how to reset? (end)' }, corpus: { d0: 'Open settings', d1: 'Call us' }, relevant_docs: { q0: ['d0'] } });
    const scored = buildRecipe(input('cosine', { matryoshka: false, cached: false, scheduler: 'linear', prompts: 'none', includePrompt: true, normalize: true, evalEvery: 0 }));
    expect(text(scored, 'data/train.jsonl').split('\n')[0]).toBe('{"sentence1":"a cat sits","sentence2":"a cat is sitting","score":0.9}');
    expect(scored.has('data/eval.json')).toBe(false);
  });

  it('refuses data that does not fit its columns, with the row named', () => {
    const base = input('cosine', { matryoshka: false, cached: false, scheduler: 'linear', prompts: 'none', includePrompt: true, normalize: true, evalEvery: 0 });
    expect(() => buildRecipe({ ...base, train: [{ texts: ['a', 'b'] }] })).toThrow(/row 0 has no score/);
    expect(() => buildRecipe({ ...base, train: [] })).toThrow(/training split is empty/);
    expect(() => recipeColumns('labeled-texts', 1)).toThrow(/no loss trains/);
  });
});

// Python's own JSON reader agrees with what train.py's json.loads will see (unicode, quotes, newlines).
it.skipIf(!HAVE_PYTHON)('the data files parse in Python', () => {
  const dir = path.join(work, 'parse');
  write(dir, buildRecipe(input('mnrl', { matryoshka: false, cached: false, scheduler: 'linear', prompts: 'prefix', includePrompt: true, normalize: true, evalEvery: 0 })));
  const out = execFileSync('python3', ['-c', `import json,sys; rows=[json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]; print(rows[1]["negative"].endswith("\\n"), len(json.load(open(sys.argv[2]))["corpus"]))`, path.join(dir, 'data/train.jsonl'), path.join(dir, 'data/eval.json')], { encoding: 'utf8' });
  expect(out.trim()).toBe('True 2');
});
