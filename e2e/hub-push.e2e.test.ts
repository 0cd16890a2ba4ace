/**
 * Push to the Hub from the page, through the real UI, to a local stand-in of the Hub's upload
 * endpoints (test/support/hub-upload-server.ts) that the page's worker reaches with
 * @huggingface/hub. The page is built with the stand-in as its one extra connect-src host
 * (VITE_HUB_HOSTS), as a mirror would be. Checks: the repo is created and holds every exported
 * file with the card naming the repo, the model loads back in Node, a refused token is said
 * clearly, the token is not stored anywhere in the page, and nothing else is contacted.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/engine/cpu/cpu-backend.ts';
import { memoryFiles } from '../src/io/url-files.ts';
import { loadSentenceModel } from '../src/io/load-model.ts';
import { startHubUploadServer, type HubUploadServer } from '../test/support/hub-upload-server.ts';
import { openPanel, openStudio, type PageWatch, screenshot, servePage, type ServedPage, type Studio } from './support/browser.ts';

const TOKEN = 'hf_e2e_push_token_42';
const STEP_MS = 180_000;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: STEP_MS, interval: 200 });

describe('push to the Hub from the Export panel (local stand-in)', () => {
  let hub: HubUploadServer;
  let studio: Studio | undefined;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    hub = await startHubUploadServer({ tokens: { [TOKEN]: { name: 'e2e-user' } } });
    // The stand-in is the page's mirror: the CSP's connect-src names it and nothing else new.
    process.env.VITE_HUB_HOSTS = hub.endpoint;
    let served: ServedPage;
    try {
      served = await servePage('dist/e2e-hub');
    } finally {
      delete process.env.VITE_HUB_HOSTS;
    }
    studio = await openStudio({ served, context: { acceptDownloads: true } });
    ({ page, watch } = studio);
  }, 300_000);

  afterAll(async () => {
    await studio?.close();
    await hub?.close();
  });

  it('lists every exported file with its size', async () => {
    // As the journey does: the engine is chosen (auto measures on SwiftShader) before the model loads.
    await poll(() => page.getByTestId('backend-status').textContent()).toMatch(/Training backend:/);
    await page.getByRole('button', { name: 'Load the built-in model' }).click();
    await page.getByTestId('model-card').waitFor({ state: 'visible', timeout: STEP_MS });
    await openPanel(page, '6 Export');
    await page.getByTestId('export-build').click();
    try {
      await page.getByTestId('export-download').waitFor({ timeout: STEP_MS });
    } finally {
      await screenshot(page, 'hub-push-export');
    }
    const rows = await page.getByTestId('export-files').locator('li').allTextContents();
    expect(rows.length).toBeGreaterThan(5);
    const weights = rows.find((r) => r.startsWith('model/model.safetensors'));
    expect(weights).toMatch(/model\/model\.safetensors\s+\d+(\.\d)? (KB|MB)/);
    expect(rows.some((r) => r.startsWith('model/README.md'))).toBe(true);
  });

  it('says clearly when the Hub refuses the token', async () => {
    await page.getByTestId('hub-push-repo').fill('e2e-user/studio-model');
    await page.getByTestId('hub-push-token').fill('hf_wrong_token');
    await page.getByTestId('hub-push-endpoint').evaluate((el) => (el.closest('details') as HTMLDetailsElement).open = true);
    await page.getByTestId('hub-push-endpoint').fill(hub.endpoint);
    await page.getByTestId('hub-push-start').click();
    const error = page.getByTestId('hub-push-error');
    await error.waitFor({ timeout: STEP_MS });
    expect(await error.textContent()).toMatch(/refused the token \(HTTP 401/);
    expect(hub.repos.has('e2e-user/studio-model')).toBe(false);
  });

  it('pushes the export: a new private repo with every file, the card naming it, the link shown', async () => {
    await page.getByTestId('hub-push-token').fill(TOKEN);
    await page.getByTestId('hub-push-start').click();
    const done = page.getByTestId('hub-push-done');
    await done.waitFor({ timeout: STEP_MS });
    await screenshot(page, 'hub-push');
    expect(await page.getByTestId('hub-push-url').getAttribute('href')).toBe(`${hub.endpoint}/e2e-user/studio-model`);
    const repo = hub.repos.get('e2e-user/studio-model');
    expect(repo?.private).toBe(true);
    expect(repo?.commits).toHaveLength(1);
    const files = Object.fromEntries([...repo!.files].map(([p, f]) => [p, new Uint8Array(f.bytes)]));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['README.md', 'model.safetensors', 'modules.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx']));
    expect(new TextDecoder().decode(files['README.md'])).toContain('SentenceTransformer("e2e-user/studio-model")');
    // Weights went up through LFS with their length (not chunked), as object storage needs.
    expect(hub.log.filter((l) => l.method === 'PUT').every((l) => l.status === 200 && l.bodyLength !== 'chunked')).toBe(true);
    const loaded = await loadSentenceModel(memoryFiles('pushed', files), new CpuBackend());
    expect(loaded.model.dimension).toBe(128);
    await poll(async () => (await page.getByTestId('hub-push-progress').count()) === 0).toBe(true);
  });

  it('refuses to push over an existing repo unless asked, and keeps no token', async () => {
    await page.getByTestId('hub-push-start').click();
    const error = page.getByTestId('hub-push-error');
    await error.waitFor({ timeout: STEP_MS });
    expect(await error.textContent()).toMatch(/e2e-user\/studio-model already exists/);
    const stored = await page.evaluate(async () => {
      const dbs = (await indexedDB.databases?.()) ?? [];
      return JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, dbs, url: location.href });
    });
    expect(stored).not.toContain(TOKEN);
    expect(watch.foreignRequests().filter((u) => new URL(u).host !== new URL(hub.endpoint).host)).toEqual([]);
    expect(watch.errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });
});
