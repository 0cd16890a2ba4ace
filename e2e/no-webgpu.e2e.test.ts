/**
 * A browser without WebGPU (Firefox and many Linux browsers today): the studio says so, picks the
 * WebAssembly engine with its helper threads, and a person trains on it in the real page.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PageWatch, type ServedPage, dropFile, launchChromium, openPanel, plotlyTraces, screenshot, servePage, watchContext } from './support/browser.ts';

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
const poll = vi.waitUntil;

describe('the studio in a browser without WebGPU trains on WebAssembly', () => {
  let served: ServedPage;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    served = await servePage('dist/e2e-no-webgpu');
    browser = await launchChromium({ webgpu: false });
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    watch = watchContext(context, served.host);
    page = await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(served.url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('the badge names the WebAssembly engine, its threads and why not WebGPU', async () => {
    const badge = page.getByTestId('backend-status');
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toMatch(/Training backend: WebAssembly SIMD/);
    const text = (await badge.textContent()) ?? '';
    expect(text).toMatch(/no WebGPU adapter|has no WebGPU/);
    expect(text).toMatch(/\(\d+ threads/);
  });

  it('loads the built-in model and the sample data, trains a run to the end, and the loss is drawn', async () => {
    await page.getByRole('button', { name: 'Load the built-in model' }).click();
    await page.getByTestId('model-card').waitFor({ state: 'visible' });
    await openPanel(page, '2 Data');
    await dropFile(page, '[data-testid="data-dropzone"]', 'support-faq.jsonl', await readFile(SAMPLE));
    await expect.poll(() => page.getByTestId('dataset-shape').getAttribute('data-shape')).toBe('triplets');

    await openPanel(page, '4 Train');
    await page.locator('#train-epochs').fill('1');
    await page.locator('#train-batchSize').fill('8');
    await page.getByTestId('train-start').click();
    await poll(async () => /Finished|Failed|Cancelled/.test((await page.getByTestId('train-status').textContent()) ?? ''), { timeout: 300_000, interval: 500 });
    expect(await page.getByTestId('train-status').textContent()).toBe('Finished');
    const loss = await poll(async () => {
      const traces = await plotlyTraces(page, 'loss-chart');
      return traces && traces[0].points > 0 ? traces[0] : false;
    }, { timeout: 30_000 });
    expect(loss.y.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    await screenshot(page, 'no-webgpu-train');
    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests()).toEqual([]);
  }, 420_000);
});
