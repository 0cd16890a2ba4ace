import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { readCheckpoint } from '../io/checkpoint-files.ts';
import { buildIrEvalSet } from '../data/ir-dataset.ts';
import { loadTrainingJsonl } from '../data/load.ts';
import { cosineRow, metricsByHand } from '../../test/support/ir-by-hand.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR, maxRelativeError } from '../../test/support/tiny-bert.ts';
import { noWebGpuAdapter } from '../../test/support/webgpu.ts';
import { cli } from '../../test/support/run-cli.ts';

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
const STS = path.resolve('public/samples/sts-pairs.jsonl');


describe('command line: usage errors', () => {
  it('exits 2 with one line for an unknown command, a missing option and a bad number', async () => {
    for (const argv of [['frobnicate'], ['train', '--data', SAMPLE], ['train', '--model', 'x', '--data', SAMPLE, '--loss', 'mnrl', '--lr', 'fast', '--out', 'y']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await cli('train', '--data', SAMPLE)).stderr).toMatch(/--model is required/);
    expect((await cli('encode', '--model', 'm', '--input', 'i', '--out', 'o', '--backend', 'tpu')).stderr).toMatch(/--backend must be one of auto, wasm, webgpu, cpu, got "tpu"/);
    const train = ['train', '--model', 'm', '--data', SAMPLE, '--loss', 'mnrl', '--out', 'o'];
    expect((await cli(...train, '--adam-beta1', '1')).stderr).toMatch(/--adam-beta1 must be less than 1, got 1/);
    expect((await cli(...train, '--adam-beta2=-0.5')).stderr).toMatch(/--adam-beta2 must be at least 0, got -0.5/);
    expect((await cli(...train, '--adam-epsilon', '0')).stderr).toMatch(/--adam-epsilon must be greater than 0, got 0/);
  });
  it('names a missing model folder and a missing data file', async () => {
    const r = await cli('train', '--model', '/nonexistent/model', '--data', SAMPLE, '--loss', 'mnrl', '--out', '/tmp/x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--model: \/nonexistent\/model is not a folder/);
    const d = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', '/nonexistent.jsonl', '--loss', 'mnrl', '--out', '/tmp/x');
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--data: \/nonexistent.jsonl does not exist/);
  });
});

describe.skipIf(!HAVE_FIXTURES)('command line on the tiny-bert fixture', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'es-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains with MNRL, prints one JSON line per step and saves a folder that reloads', async () => {
    const out = path.join(dir, 'trained');
    const r = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', SAMPLE, '--loss', 'mnrl', '--steps', '4', '--batch-size', '8', '--lr', '1e-3', '--warmup-steps', '1', '--out', out);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; lr: number });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    expect(steps[0].lr).toBe(0); // first warmup step runs at 0, as the HF scheduler does
    expect(steps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);

    const backend = new CpuBackend();
    const reloaded = await loadSentenceModel(folderFiles(out), backend);
    const base = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    expect(reloaded.model.pooling).toEqual(base.model.pooling);
    expect(reloaded.model.normalize).toBe(true);
    const texts = ['How do I return an item?', '退货流程'];
    const a = await reloaded.model.encode(texts);
    const b = await base.model.encode(texts);
    expect(maxRelativeError(a, b)).toBeGreaterThan(1e-4); // training changed the weights
  });

  it('gives the same losses with gradient caching (--mini-batch-size) as without', async () => {
    const run = async (extra: string[]) => {
      const r = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', SAMPLE, '--loss', 'mnrl', '--steps', '3', '--batch-size', '8', '--lr', '1e-3', '--out', path.join(dir, `cache${extra.length}`), ...extra);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
    };
    const plain = await run([]);
    const cached = await run(['--mini-batch-size', '5']);
    cached.forEach((loss, i) => expect(Math.abs(loss - plain[i])).toBeLessThan(1e-5));
  });

  it('trains CoSENT with Matryoshka dims on scored pairs and refuses a loss that does not fit', async () => {
    const r = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', STS, '--loss', 'cosent', '--matryoshka', '32,16', '--steps', '2', '--batch-size', '8', '--out', path.join(dir, 'cosent'));
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    const bad = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', STS, '--loss', 'mnrl', '--steps', '1', '--out', path.join(dir, 'nope'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/MultipleNegativesRankingLoss does not fit scored-pairs data; use cosine or cosent/);
  });

  it('encodes .txt input with a pooling override and evaluates retrieval', async () => {
    const input = path.join(dir, 'texts.txt');
    await writeFile(input, 'How do I return an item?\n\n退货流程\n');
    const out = path.join(dir, 'emb.json');
    const r = await cli('encode', '--model', TINY_BERT_MODEL_DIR, '--input', input, '--pooling', 'cls', '--normalize', '--out', out);
    expect(r.code).toBe(0);
    const written = JSON.parse(await readFile(out, 'utf8')) as { embeddings: number[][]; pooling: string; dimension: number };
    expect(written.pooling).toBe('cls');
    expect(written.embeddings).toHaveLength(2);
    expect(Math.hypot(...written.embeddings[0])).toBeCloseTo(1, 5);

    const e = await cli('eval', '--model', TINY_BERT_MODEL_DIR, '--data', SAMPLE);
    expect(e.code).toBe(0);
    const metrics = JSON.parse(e.stdout) as Record<string, number>;
    // The same numbers from a ranking made here: the model's embeddings, cosine by hand, sorted,
    // and InformationRetrievalEvaluator's formulas (test/support/ir-by-hand.ts).
    const set = buildIrEvalSet(loadTrainingJsonl(await readFile(SAMPLE, 'utf8')).examples);
    const { model } = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), new CpuBackend());
    const [q, c] = [await model.encode(set.queries), await model.encode(set.corpus)];
    const ranked = set.queries.map((_, i) => {
      const order = set.corpus.map((_, j) => ({ j, s: cosineRow(q, i, c, j, model.dimension) })).sort((a, b) => b.s - a.s);
      return { hits: order.map(({ j }) => set.relevant[i].has(j)), relevantCount: set.relevant[i].size };
    });
    const hand = metricsByHand(ranked);
    expect(metrics.queries).toBe(set.queries.length);
    expect(metrics.corpus).toBe(set.corpus.length);
    const want: Record<string, number> = {
      'cosine_accuracy@1': hand.accuracyAt(1), 'cosine_accuracy@5': hand.accuracyAt(5), 'cosine_precision@3': hand.precisionAt(3),
      'cosine_recall@10': hand.recallAt(10), 'cosine_mrr@10': hand.mrrAt10, 'cosine_ndcg@10': hand.ndcgAt10, 'cosine_map@100': hand.mapAt100,
    };
    for (const [key, value] of Object.entries(want)) expect(metrics[key], key).toBeCloseTo(value, 9);
    // A random model on 60 rows ranks better than chance and far from perfectly: the numbers can move.
    expect(hand.mrrAt10).toBeGreaterThan(0);
    expect(hand.mrrAt10).toBeLessThan(1);
  });

  it("passes --adam-beta1/--adam-beta2/--adam-epsilon to AdamW and keeps them in the checkpoint", async () => {
    const run = async (name: string, extra: string[]) => {
      const out = path.join(dir, name);
      const r = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', SAMPLE, '--loss', 'mnrl', '--steps', '4', '--batch-size', '8', '--lr', '1e-3', '--checkpoint-every', '4', '--out', out, ...extra);
      expect(r.code, r.stderr).toBe(0);
      return { losses: r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss), checkpoint: await readCheckpoint(path.join(out, 'checkpoint')) };
    };
    const defaults = await run('adam-default', []);
    const custom = await run('adam-custom', ['--adam-beta1', '0.5', '--adam-beta2', '0.9', '--adam-epsilon', '1e-3']);
    const saved = (c: typeof defaults.checkpoint) => {
      const o = c.state.config.optimizer;
      return [o.beta1, o.beta2, o.eps];
    };
    expect(saved(defaults.checkpoint)).toEqual([0.9, 0.999, 1e-8]); // TrainingArguments' defaults
    expect(saved(custom.checkpoint)).toEqual([0.5, 0.9, 1e-3]);
    // Same first loss (before any update), then other optimizer settings give another curve.
    expect(custom.losses[0]).toBeCloseTo(defaults.losses[0], 6);
    expect(Math.max(...custom.losses.slice(2).map((l, i) => Math.abs(l - defaults.losses[i + 2])))).toBeGreaterThan(1e-3);
    // A resumed run keeps the checkpoint's optimizer: the flags are refused there.
    const resumed = await cli('train', '--resume', path.join(dir, 'adam-custom'), '--adam-epsilon', '1e-6');
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toMatch(/drop --adam-epsilon/);
  });
});

// The CLI's --backend webgpu path, against its own CPU path: skipped without an adapter (visibly),
// an error under EMBEDDING_STUDIO_REQUIRE_WEBGPU=1.
const NO_WEBGPU = await noWebGpuAdapter("the CLI's --backend webgpu tests");

describe.skipIf(!HAVE_FIXTURES || NO_WEBGPU)('command line on --backend webgpu', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'es-cli-gpu-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('encodes and trains on webgpu with the numbers of --backend cpu', async () => {
    const input = path.join(dir, 'texts.txt');
    await writeFile(input, 'How do I return an item?\n退货流程\na\nMean pooling averages token vectors.\n');
    const encoded = async (backend: string) => {
      const out = path.join(dir, `emb-${backend}.json`);
      const r = await cli('encode', '--model', TINY_BERT_MODEL_DIR, '--input', input, '--normalize', '--backend', backend, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^backend: ${backend} `, 'm')); // the backend asked for, not a fallback
      return JSON.parse(await readFile(out, 'utf8')) as { embeddings: number[][] };
    };
    const [gpu, cpu] = [await encoded('webgpu'), await encoded('cpu')];
    expect(maxRelativeError(gpu.embeddings.flat(), cpu.embeddings.flat())).toBeLessThan(1e-5);

    const trained = async (backend: string) => {
      const r = await cli('train', '--model', TINY_BERT_MODEL_DIR, '--data', SAMPLE, '--loss', 'mnrl', '--steps', '3', '--batch-size', '8', '--lr', '1e-3', '--backend', backend, '--out', path.join(dir, `train-${backend}`));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^backend: ${backend} `, 'm'));
      return r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
    };
    const [gpuLosses, cpuLosses] = [await trained('webgpu'), await trained('cpu')];
    expect(gpuLosses).toHaveLength(3);
    gpuLosses.forEach((l, i) => expect(Math.abs(l - cpuLosses[i]), `step ${i + 1}`).toBeLessThan(1e-4));
  });
});
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);
