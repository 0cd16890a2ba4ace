import { describe, expect, it } from 'vitest';
import { HAVE_FIXTURES } from '../../test/support/tiny-bert.ts';
import { CONFIG, crashedProfile, type Profile, profile, SETTINGS, tab, withData } from '../../test/support/studio-profile.ts';
import type { TrainingEvent } from '../shared/events.ts';

describe.skipIf(!HAVE_FIXTURES)('the studio keeps runs and datasets', () => {
  it('saves a run when it pauses and when it finishes, reopens it in another tab, and refuses a second writer', async () => {
    const p = profile();
    const a = await tab(p);
    await withData(a);
    expect((await a.api.listDatasets()).map((d) => d.name)).toEqual(['support-faq.jsonl']);
    expect(await a.api.lastSession()).toMatchObject({ model: { kind: 'hub', repoId: 'test/tiny-bert' }, dataset: { name: 'support-faq.jsonl', split: { evalFraction: 0.3, seed: 1 } } });

    const events: TrainingEvent[] = [];
    let listedWhilePaused: ReturnType<typeof a.api.listRuns> | null = null;
    await a.api.train(CONFIG, SETTINGS, (e) => {
      events.push(e);
      if (e.type === 'step' && e.step === 1) a.api.pause();
      if (e.type === 'state' && e.state === 'paused') {
        listedWhilePaused = a.api.listRuns();
        setTimeout(() => a.api.resume(), 5);
      }
    });
    // While it trains, the Runs list shows it as training here, not as an interrupted run.
    // (Its record reads "running" or, once the pause is saved, "paused".)
    expect((await listedWhilePaused!).map((r) => r.trainingHere)).toEqual([true]);
    // Recorded at the start; the pause took a checkpoint; once the final weights are saved the record lets it go.
    expect(a.saved).toEqual(['running', 'paused+weights', 'finished+weights', 'finished']);
    const [summary] = await a.api.listRuns();
    const steps = events.filter((e) => e.type === 'step').length;
    expect(summary).toMatchObject({ modelName: 'test/tiny-bert', datasetName: 'support-faq.jsonl', loss: 'mnrl', step: steps, totalSteps: steps, state: 'finished', hasWeights: true });
    expect(summary.trainingHere).toBeUndefined();
    expect(summary.mrrBefore).not.toBeNull();
    expect(summary.mrrAfter).not.toBe(summary.mrrBefore);
    expect(p.disk.paths()).toEqual([`runs/${summary.id}/weights.safetensors`]);
    const history = JSON.parse(await a.api.exportRunHistory(summary.id));
    expect(history.run.lossCurve).toHaveLength(steps);
    expect(history.run.evalHistory[0].step).toBe(0);
    expect(history.run.config).toEqual(CONFIG);
    expect(history.run.model.source).toEqual({ kind: 'hub', repoId: 'test/tiny-bert' });
    // The Hub token is never kept.
    expect(JSON.stringify(history)).not.toContain('secret');
    expect(JSON.stringify(await a.api.lastSession())).not.toContain('secret');

    // A second tab (a reload while the first is still open): the run is the first tab's.
    const b = await tab(p);
    await withData(b);
    await expect(b.api.openRun(summary.id)).rejects.toThrow(/open in another tab/);
    await expect(b.api.deleteRun(summary.id)).rejects.toThrow(/open in another tab/);

    // The first tab moves on to another run (cancelled: its weights are kept too) and lets go.
    await a.api.train({ ...CONFIG, evalEvery: 0 }, SETTINGS, (e) => {
      if (e.type === 'step' && e.step === 1) a.api.cancel();
    });
    expect(a.saved.slice(4)).toEqual(['running', 'cancelled+weights']);
    const opened = await b.api.openRun(summary.id);
    expect(opened.run.id).toBe(summary.id);
    expect(opened.notes).toEqual([]);
    // The reopened weights give back the metrics the run ended with.
    const after = await b.api.evaluate(SETTINGS, 'trained');
    expect(after.metrics['mrr@10']).toBeCloseTo(summary.mrrAfter!, 6);
    const before = await b.api.evaluate(SETTINGS, 'base');
    expect(before.metrics['mrr@10']).toBeCloseTo(summary.mrrBefore!, 6);

    await b.api.deleteRun(summary.id);
    expect((await a.api.listRuns()).map((r) => r.state)).toEqual(['cancelled']);
    expect(p.disk.paths()).toHaveLength(1);
  });

  it('records a run the moment it starts: a crash before its first checkpoint leaves an interrupted run to restart', async () => {
    const p = profile();
    const a = await tab(p);
    await withData(a);
    let crashed: Profile | null = null;
    const steps: number[] = [];
    await a.api.train({ ...CONFIG, evalEvery: 0, checkpointEvery: 0, checkpointSeconds: 0 }, SETTINGS, (e) => {
      // The tab dies while the first step trains: no checkpoint exists yet.
      if (e.type === 'state' && e.state === 'running' && !crashed) crashed = crashedProfile(p);
      if (e.type === 'step') steps.push(e.step);
    });
    const b = await tab(crashed!);
    await withData(b);
    const [offered, ...others] = await b.api.resumableRuns();
    expect(others).toEqual([]);
    expect(offered).toMatchObject({ state: 'running', step: 0, totalSteps: steps.length, checkpointStep: null, datasetName: 'support-faq.jsonl' });
    // Its settings are there to restart with.
    expect((await b.api.getRun(offered.id)).config).toMatchObject({ batchSize: CONFIG.batchSize, learningRate: CONFIG.learningRate });
  });

  it('checkpoints after the first step, then every T seconds when that comes before every N steps', async () => {
    const a = await tab(profile());
    await withData(a);
    const taken: number[] = [];
    await a.api.train({ ...CONFIG, epochs: 2, evalEvery: 0, checkpointEvery: 1000, checkpointSeconds: 1e-6 }, SETTINGS, (e) => {
      if (e.type === 'checkpoint' && e.saved) taken.push(e.step);
    });
    expect(taken[0]).toBe(1);
    // Every boundary is "overdue" at a microsecond interval; the final state is saved as weights, not a checkpoint.
    expect(taken.length).toBeGreaterThan(3);
    expect(taken).toEqual([...taken].sort((x, y) => x - y));
  });

  it('keeps only datasets that yield rows: broken and unmapped files are not saved', async () => {
    const a = await tab(profile());
    await a.api.loadModel({ kind: 'builtin' }, () => {});
    const split = { evalFraction: 0.2, seed: 1 };
    await expect(a.api.loadDataset('empty.jsonl', new Uint8Array(), split)).rejects.toThrow(/empty file/);
    await expect(a.api.loadDataset('model.jsonl', Uint8Array.from({ length: 9000 }, (_, i) => (i * 131) % 256), split)).rejects.toThrow(/not a text file \(looks binary/);
    const unmapped = new TextEncoder().encode('{"question":"q1","answer":"a1"}\n{"question":"q2","answer":"a2"}\n');
    expect((await a.api.loadDataset('odd.jsonl', unmapped, split)).rows).toBe(0);
    expect(await a.api.listDatasets()).toEqual([]);
    // Mapped by hand it yields rows, and is kept.
    const mapped = await a.api.loadDataset('odd.jsonl', unmapped, split, { shape: 'pairs', anchor: 'question', positive: 'answer' });
    expect(mapped.rows).toBe(2);
    expect((await a.api.listDatasets()).map((d) => d.name)).toEqual(['odd.jsonl']);
  });

  it('explains instead of opening a run of another model', async () => {
    const p = profile();
    const a = await tab(p);
    await withData(a);
    await a.api.train({ ...CONFIG, evalEvery: 0 }, SETTINGS, () => {});
    const [run] = await a.api.listRuns();
    const c = await tab(p);
    await expect(c.api.openRun(run.id)).rejects.toThrow(/This run fine-tuned test\/tiny-bert from the Hub. Load that model in the Model panel first/);
    await c.api.loadModel({ kind: 'builtin' }, () => {});
    await expect(c.api.openRun(run.id)).rejects.toThrow(/but the loaded model is built-in \(pre-trained, en \+ zh\).*Load test\/tiny-bert from the Hub in the Model panel/);
  });

  it('a full disk keeps the run record, says so, and the earlier weights stay readable', async () => {
    const p = profile();
    const a = await tab(p);
    await withData(a);
    let step = 0, pausedAt = -1;
    await a.api.train({ ...CONFIG, evalEvery: 0 }, SETTINGS, (e) => {
      if (e.type === 'step') step = e.step;
      if (e.type === 'step' && e.step === 1) a.api.pause();
      if (e.type === 'state' && e.state === 'paused') {
        pausedAt = step;
        // Nearly nothing left once the pause's weights are written.
        setTimeout(() => void a.api.waitForSaves().then(() => {
          p.disk.quota = p.disk.used + 4096;
          a.api.resume();
        }), 5);
      }
    });
    const [run] = await a.api.listRuns();
    const record = await a.api.getRun(run.id);
    expect(record.state).toBe('finished');
    expect(pausedAt).toBeGreaterThan(0);
    expect(pausedAt).toBeLessThan(record.step);
    expect(record.weights?.step).toBe(pausedAt);
    expect(record.weightsProblem).toMatch(/Not enough storage space/);
    const status = await a.api.storageEstimate();
    expect(status).toMatchObject({ enabled: true, nearlyFull: true });
    expect(status.saveProblem).toMatch(/Not enough storage space.*untouched/);
    // Reopening gives the weights saved at the pause.
    const b = await tab(p);
    await withData(b);
    // The first tab still holds its run; once it lets go, the second may open it.
    await expect(b.api.openRun(run.id)).rejects.toThrow(/open in another tab/);
    a.storage.locks.releaseAll();
    const opened = await b.api.openRun(run.id);
    expect(opened.run.weights?.step).toBe(pausedAt);
  });

  it('restores the last dataset with its split', async () => {
    const p = profile();
    const a = await tab(p);
    await withData(a);
    a.api.setSplit({ evalFraction: 0.25, seed: 9 });
    await new Promise((r) => setTimeout(r, 10));
    const b = await tab(p);
    const session = await b.api.lastSession();
    expect(session.dataset?.split).toEqual({ evalFraction: 0.25, seed: 9 });
    const restored = await b.api.openDataset(session.dataset!.id);
    expect(restored.info.file).toBe('support-faq.jsonl');
    expect(restored.info.rows).toBeGreaterThan(0);
  });
});
