import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrainingFile } from '../data/load-file.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { folderFiles } from '../io/folder-files.ts';
import { StudioApi, type StudioEnvironment } from './studio-api.ts';

/**
 * The page may start the engine twice (React runs mount effects twice in development) while a
 * person has already clicked "Load the built-in model": `auto` takes seconds to probe, and the
 * load waits for it. Regression: the second start made a second workspace, and the model loaded
 * into the first was gone ("load a model first" everywhere after).
 */
describe('StudioApi.init twice before the engine has started', () => {
  it('starts one backend, and a model loaded meanwhile stays loaded', async () => {
    let made = 0;
    let release: () => void = () => {};
    const slowProbe = new Promise<void>((resolve) => (release = resolve));
    const env: StudioEnvironment = {
      createBackend: async () => {
        made++;
        await slowProbe;
        return { backend: new CpuBackend() };
      },
      resolveModel: async () => ({ files: folderFiles(path.resolve('public/models/builtin')), name: 'built-in', randomWeights: true }),
      parseDataset: (name, data) => loadTrainingFile(name, data, { file: name }),
    };
    const api = new StudioApi(env);
    const first = api.init('auto');
    const loading = api.loadModel({ kind: 'builtin' }, () => {});
    const second = api.init('auto');
    release();
    expect(await second).toEqual(await first);
    const model = await loading;
    expect(model.dimension).toBeGreaterThan(0);
    expect(made).toBe(1);
    // What failed in the page: the evaluation after the dataset found no model.
    await api.loadDataset('support-faq.jsonl', new Uint8Array(await readFile('public/samples/support-faq.jsonl')), { evalFraction: 0.2, seed: 42 });
    const { metrics } = await api.evaluate({ pooling: 'mean', normalize: true, includePrompt: true, queryTemplate: '{text}', corpusTemplate: '{text}' }, 'base');
    expect(metrics['mrr@10']).toBeGreaterThan(0);
  });
});
