import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTrainingJsonl } from '../data/load.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR } from '../../test/support/tiny-bert.ts';
import { metricsByHand } from '../../test/support/ir-by-hand.ts';
import { parseTemplate } from '../model/run-config.ts';
import { Workspace } from './workspace.ts';
import type { RetrievalMetrics } from '../shared/metrics.ts';
import type { RetrievalSettings, TrainingConfig } from '../shared/settings.ts';
import type { TrainingEvent, WeightsState } from '../shared/events.ts';

if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

const SETTINGS: RetrievalSettings = { pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' };
const CONFIG: TrainingConfig = {
  loss: 'mnrl', epochs: 1, batchSize: 8, learningRate: 2e-3, warmupSteps: 0, weightDecay: 0, maxSeqLength: 64,
  scheduler: 'constant', seed: 7, matryoshkaDims: [], evalEvery: 2,
};

async function workspace(): Promise<Workspace> {
  const ws = new Workspace(new CpuBackend());
  await ws.setModel(await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), ws.backend), { name: 'tiny-bert', randomWeights: true });
  const text = readFileSync('public/samples/support-faq.jsonl', 'utf8');
  ws.setDataset(loadTrainingJsonl(text, { file: 'support-faq.jsonl' }), { evalFraction: 0.3, seed: 1 });
  return ws;
}

/**
 * The metrics of every eval query's full ranking (from `search`, which shows people the same
 * ranking the metrics are computed on), recomputed with InformationRetrievalEvaluator's formulas.
 */
async function metricsFromRankings(ws: Workspace, settings: RetrievalSettings, weights: WeightsState): Promise<RetrievalMetrics> {
  const corpusSize = ws.datasetInfo().corpusSize;
  const ranked = [];
  for (const query of ws.evalQueries()) {
    const hits = await ws.search(query, settings, weights, corpusSize);
    expect(hits).toHaveLength(corpusSize);
    ranked.push({ hits: hits.map((h) => h.relevant), relevantCount: hits.filter((h) => h.relevant).length });
  }
  const m = metricsByHand(ranked);
  return {
    'accuracy@1': m.accuracyAt(1), 'recall@1': m.recallAt(1), 'recall@5': m.recallAt(5), 'recall@10': m.recallAt(10),
    'mrr@10': m.mrrAt10, 'ndcg@10': m.ndcgAt10, 'map@100': m.mapAt100,
  };
}

function expectSameMetrics(got: RetrievalMetrics, want: RetrievalMetrics, what: string): void {
  for (const key of Object.keys(want) as (keyof RetrievalMetrics)[]) expect(got[key], `${what}: ${key}`).toBeCloseTo(want[key], 9);
}

describe('prompt templates', () => {
  it('splits around {text} and treats a template without it as a prefix', () => {
    expect(parseTemplate('query: {text}')).toEqual({ prefix: 'query: ', suffix: '' });
    expect(parseTemplate('{text} [end]')).toEqual({ prefix: '', suffix: ' [end]' });
    expect(parseTemplate('passage: ')).toEqual({ prefix: 'passage: ', suffix: '' });
  });
});

describe.skipIf(!HAVE_FIXTURES)('the studio workspace', () => {
  it('splits the data by query and builds the retrieval set from every document', async () => {
    const ws = await workspace();
    const info = ws.datasetInfo();
    expect(info.shape).toBe('triplets');
    expect(info.trainRows + info.evalRows).toBe(info.rows);
    expect(info.evalQueries).toBeGreaterThan(0);
    expect(info.corpusSize).toBeGreaterThan(info.evalQueries);
    expect(ws.rows(0, 5).every((r) => r.texts.length === 3)).toBe(true);
  });

  it('ranks the corpus for a query and changes the metrics when pooling or prompts change', async () => {
    const ws = await workspace();
    const hits = await ws.search('How do I return an item?', SETTINGS, 'base', 5);
    expect(hits).toHaveLength(5);
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[4].score);
    const mean = await ws.evaluate(SETTINGS, 'base');
    const cls = await ws.evaluate({ ...SETTINGS, pooling: 'cls' }, 'base');
    const prompted = await ws.evaluate({ ...SETTINGS, queryTemplate: 'query: {text}' }, 'base');
    expect(mean.metrics['mrr@10']).not.toBe(cls.metrics['mrr@10']);
    expect(mean.metrics['ndcg@10']).not.toBe(prompted.metrics['ndcg@10']);
    // The numbers themselves, against the rankings recomputed by hand, for two settings.
    expectSameMetrics(mean.metrics, await metricsFromRankings(ws, SETTINGS, 'base'), 'mean pooling');
    expectSameMetrics(prompted.metrics, await metricsFromRankings(ws, { ...SETTINGS, queryTemplate: 'query: {text}' }, 'base'), 'with a query prompt');
    // A random model on ~18 queries: better than nothing, far from perfect (so the metrics can move).
    expect(mean.metrics['mrr@10']).toBeGreaterThan(0);
    expect(mean.metrics['mrr@10']).toBeLessThan(1);
  });

  it('trains with progress, evaluations, pause and resume, then compares before and after and exports', async () => {
    const ws = await workspace();
    const events: TrainingEvent[] = [];
    let paused = false;
    await ws.train(CONFIG, SETTINGS, (e) => {
      events.push(e);
      if (e.type === 'step' && e.step === 1) ws.pause();
      if (e.type === 'state' && e.state === 'paused') {
        paused = true;
        setTimeout(() => ws.resume(), 10);
      }
    });
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.length).toBe(Math.ceil(ws.datasetInfo().trainRows / CONFIG.batchSize));
    expect(paused).toBe(true);
    expect(events.filter((e) => e.type === 'eval').length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)).toEqual({ type: 'state', state: 'finished' });
    const comparison = await ws.compare(SETTINGS, 5);
    expect(comparison.queries.length).toBe(ws.datasetInfo().evalQueries);
    expectSameMetrics(comparison.before, await metricsFromRankings(ws, SETTINGS, 'base'), 'before');
    expectSameMetrics(comparison.after, await metricsFromRankings(ws, SETTINGS, 'trained'), 'after');
    // Six MNRL steps on the train split (CPU, seeded: deterministic) help the held-out queries:
    // MRR@10 0.464 -> 0.547 and NDCG@10 0.578 -> 0.654 when measured.
    expect(comparison.after['mrr@10']).toBeGreaterThan(comparison.before['mrr@10'] + 0.02);
    expect(comparison.after['ndcg@10']).toBeGreaterThan(comparison.before['ndcg@10']);
    expect(comparison.queries[0].topBefore).toHaveLength(5);
    const points = await ws.project(SETTINGS);
    expect(points.filter((p) => p.kind === 'query')).toHaveLength(ws.datasetInfo().evalQueries);
    expect(points.some((p) => p.before[0] !== p.after[0])).toBe(true);
    const files = await ws.exportFolder(SETTINGS);
    expect([...files.keys()]).toEqual(expect.arrayContaining(['model.safetensors', 'modules.json', '1_Pooling/config.json', 'config.json', 'tokenizer.json']));
  });

  it('plans memory against the adapter limits and switches to gradient caching when the batch is too big', async () => {
    const ws = await workspace();
    const roomy = ws.memoryPlan(CONFIG);
    expect(roomy.fits).toBe(true);
    expect(roomy.miniBatchSize).toBeNull();
    expect(roomy.totalBytes).toBe(roomy.parametersBytes + roomy.gradientsBytes + roomy.optimizerBytes + roomy.activationsBytes);
    expect(roomy.weightCopiesBytes).toBe(3 * roomy.parametersBytes);
    const tight = ws.memoryPlan({ ...CONFIG, batchSize: 64, memoryBudgetMiB: 2 });
    expect(tight.fits).toBe(true);
    expect(tight.miniBatchSize).toBeGreaterThan(0);
    expect(tight.miniBatchSize).toBeLessThan(64 * 3);
    const events: TrainingEvent[] = [];
    await ws.train({ ...CONFIG, batchSize: 64, memoryBudgetMiB: 2, evalEvery: 0 }, SETTINGS, (e) => events.push(e));
    expect(events.at(-1)).toEqual({ type: 'state', state: 'finished' });
    expect(() => ws.memoryPlan({ ...CONFIG, memoryBudgetMiB: 0.001 })).not.toThrow();
    expect(ws.memoryPlan({ ...CONFIG, memoryBudgetMiB: 0.001 }).fits).toBe(false);
  });

  it('keeps a paused run intact while the playground looks at the base weights', async () => {
    const losses = async (usePlaygroundWhilePaused: boolean) => {
      const ws = await workspace();
      const seen: number[] = [];
      await ws.train({ ...CONFIG, evalEvery: 0 }, SETTINGS, (e) => {
        if (e.type === 'step') seen.push(e.loss);
        if (usePlaygroundWhilePaused && e.type === 'step' && e.step === 2) ws.pause();
        if (e.type === 'state' && e.state === 'paused') {
          void (async () => {
            await ws.search('How do I return an item?', SETTINGS, 'base', 3);
            await ws.evaluate({ ...SETTINGS, pooling: 'cls' }, 'base');
            ws.resume();
          })();
        }
      });
      return seen;
    };
    const plain = await losses(false);
    const interrupted = await losses(true);
    expect(interrupted).toEqual(plain);
  });

  it("trains with the Train panel's Adam betas and epsilon", async () => {
    const losses = async (adam: Partial<TrainingConfig>) => {
      const ws = await workspace();
      const seen: number[] = [];
      await ws.train({ ...CONFIG, evalEvery: 0, ...adam }, SETTINGS, (e) => e.type === 'step' && seen.push(e.loss));
      return seen;
    };
    const defaults = await losses({});
    const explicit = await losses({ adamBeta1: 0.9, adamBeta2: 0.999, adamEpsilon: 1e-8 });
    expect(explicit).toEqual(defaults); // absent fields mean the Trainer's defaults
    // Each setting on its own changes the curve: each is wired through, not only one of them.
    for (const adam of [{ adamBeta1: 0.5 }, { adamBeta2: 0.9 }, { adamEpsilon: 1e-3 }]) {
      const custom = await losses(adam);
      expect(custom[0]).toBeCloseTo(defaults[0], 6); // the first loss comes before any update
      const moved = Math.max(...custom.slice(2).map((l, i) => Math.abs(l - defaults[i + 2])));
      console.info(`Adam ${JSON.stringify(adam)}: loss curve moved by up to ${moved.toExponential(2)}`);
      expect(moved, JSON.stringify(adam)).toBeGreaterThan(1e-3);
    }
  });

  it('cancels a run and keeps the weights it reached', async () => {
    const ws = await workspace();
    const states: string[] = [];
    await ws.train({ ...CONFIG, evalEvery: 0, epochs: 3 }, SETTINGS, (e) => {
      if (e.type === 'step' && e.step === 2) ws.cancel();
      if (e.type === 'state') states.push(e.state);
    });
    expect(states.at(-1)).toBe('cancelled');
    expect(ws.training?.steps).toBeLessThanOrEqual(4);
    expect(ws.hasTrainedWeights).toBe(true);
  });
});
