/**
 * Nothing is lost, in the real page: a training run on WebGPU (SwiftShader) survives its GPU
 * device being destroyed mid-run, goes on after the tab is reloaded mid-training (from its last
 * checkpoint in OPFS), and a NaN stops it at its last good checkpoint with advice. Faults come
 * in through the page's `?faults` hook (window.__studioFaults), which the studio only exposes
 * with that flag.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, dropFile, openPanel, openStudio, type PageWatch, plotlyTraces, screenshot, type Studio } from './support/browser.ts';

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
const STEP_MS = 120_000;
const poll = <T>(fn: () => Promise<T> | T, options: { timeout?: number } = {}) => expect.poll(fn, { timeout: STEP_MS, interval: 250, ...options });

type Fault = 'device-lost' | 'non-finite';
const inject = (page: Page, kind: Fault) =>
  page.evaluate((k) => (window as unknown as { __studioFaults: { inject(kind: string): Promise<void> } }).__studioFaults.inject(k), kind);

/** "step 4 saved" → 4; null before the first saved checkpoint. */
async function savedCheckpointStep(page: Page): Promise<number | null> {
  const text = (await page.getByTestId('train-checkpoint').textContent()) ?? '';
  const m = /step (\d+) saved/.exec(text);
  return m ? Number(m[1]) : null;
}

async function currentStep(page: Page): Promise<number> {
  return Number(((await page.getByTestId('train-step').textContent()) ?? '0').split('/')[0]);
}

async function waitForEnd(page: Page, timeout: number): Promise<string> {
  const status = page.getByTestId('train-status');
  await poll(async () => /Finished|Failed|Cancelled/.test((await status.textContent()) ?? ''), { timeout }).toBe(true);
  return (await status.textContent()) ?? '';
}

describe('a training run in the page loses nothing to a lost GPU, a reload or a NaN', () => {
  let studio: Studio | undefined;
  let page: Page;
  let watch: PageWatch;
  const seen: Record<string, unknown> = {};
  let totalSteps = 0;

  beforeAll(async () => {
    // WebGPU asked for by name: on SwiftShader `auto` measures WebAssembly faster, and these faults are the GPU's.
    studio = await openStudio({ outDir: 'dist/e2e-faults', context: { viewport: { width: 1280, height: 720 }, colorScheme: 'dark' }, query: '?faults&backend=webgpu', stepMs: STEP_MS });
    ({ page, watch } = studio);
  }, 180_000);

  afterAll(async () => {
    if (watch) await writeFile(path.join(ARTIFACTS, 'faults-log.json'), JSON.stringify({ seen, errors: watch.errors, requests: watch.requests }, null, 2));
    await studio?.close();
  });

  it('(a) starts a run on WebGPU with a checkpoint every 2 steps', async () => {
    await poll(() => page.getByTestId('backend-status').textContent(), { timeout: 60_000 }).toMatch(/Training backend: WebGPU/);
    await page.getByRole('button', { name: 'Load the built-in model' }).click();
    await page.getByTestId('model-card').waitFor({ state: 'visible' });
    await openPanel(page, '2 Data');
    await page.getByTestId('data-dropzone').waitFor();
    await dropFile(page, '[data-testid="data-dropzone"]', 'support-faq.jsonl', await readFile(SAMPLE));
    await poll(() => page.getByTestId('dataset-shape').getAttribute('data-shape')).toBe('triplets');
    await openPanel(page, '4 Train');
    // The settings suggested for the model are filled in first (then the form is drawn again): type after that.
    await poll(() => page.locator('#train-learningRate').inputValue()).toBe('0.00005');
    await page.locator('#train-epochs').fill('1');
    await page.locator('#train-batchSize').fill('4');
    await page.locator('details.advanced summary').click();
    await page.locator('#train-evalEvery').fill('0');
    await page.locator('#train-checkpointEvery').fill('2');
    const estimate = (await page.getByTestId('train-steps-estimate').textContent()) ?? '';
    totalSteps = Number(/→ (\d+) steps/.exec(estimate)?.[1]);
    expect(totalSteps).toBeGreaterThanOrEqual(8);
    await page.getByTestId('train-start').click();
    await poll(async () => (await savedCheckpointStep(page)) ?? 0).toBeGreaterThanOrEqual(2);
  }, 300_000);

  it('(b) the GPU device is destroyed mid-run: a new one is made and the run goes on from its checkpoint', async () => {
    await inject(page, 'device-lost');
    const notice = page.getByTestId('train-notice');
    await poll(() => notice.textContent()).toMatch(/GPU device was lost.*goes on from (its checkpoint at step \d+|the start)/);
    seen.deviceLostNotice = await notice.textContent();
    expect(await page.getByTestId('backend-status').textContent()).toMatch(/WebGPU/);
    const from = /step (\d+)/.exec((await notice.textContent()) ?? '')?.[1];
    // It trains on past the checkpoint it went back to, and checkpoints again.
    await poll(async () => (await savedCheckpointStep(page)) ?? 0).toBeGreaterThan(Number(from ?? 0));
    await screenshot(page, 'faults-device-lost');
  }, 300_000);

  it('(c) reloaded mid-training, the page offers to resume, and the resumed run finishes with the whole curve', async () => {
    const checkpointStep = (await savedCheckpointStep(page))!;
    expect(await currentStep(page)).toBeLessThan(totalSteps);
    seen.reloadedAfterCheckpoint = checkpointStep;
    await page.reload();
    const offer = page.getByTestId('resume-offer');
    await poll(() => offer.textContent()).toMatch(/interrupted at step \d+ of \d+.*checkpoint at step \d+ is saved/);
    const offered = Number(/checkpoint at step (\d+)/.exec((await offer.textContent()) ?? '')?.[1]);
    expect(offered).toBeGreaterThanOrEqual(checkpointStep);
    await page.getByTestId('resume-offer-button').click();
    // The curve up to the checkpoint is back at once, before any new step.
    await poll(async () => (await plotlyTraces(page, 'loss-chart'))?.[0].points ?? 0).toBeGreaterThanOrEqual(offered);
    const status = await waitForEnd(page, 420_000);
    expect(status).toBe('Finished');
    expect(await page.getByTestId('train-step').textContent()).toBe(`${totalSteps}/${totalSteps}`);
    await poll(async () => (await plotlyTraces(page, 'loss-chart'))?.[0].points ?? 0).toBe(totalSteps);
    const loss = (await plotlyTraces(page, 'loss-chart'))!;
    expect(loss[0].y.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    seen.resumedLoss = loss[0].y;
    await screenshot(page, 'faults-resumed');
  }, 600_000);

  it('(d) a NaN mid-run stops training at the last good checkpoint and says to lower the learning rate', async () => {
    await page.getByTestId('train-start').click();
    await poll(async () => (await savedCheckpointStep(page)) ?? 0).toBeGreaterThanOrEqual(2);
    await inject(page, 'non-finite');
    expect(await waitForEnd(page, 300_000)).toBe('Failed');
    const alert = page.getByRole('alert');
    await poll(() => alert.textContent()).toMatch(/became NaN.*last good checkpoint, step \d+.*Try a lower learning rate/);
    seen.nanMessage = await alert.textContent();
    // The checkpoint's weights are the fine-tuned model now: Compare and Export work on them.
    const compareStep = page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: '5 Compare' });
    await poll(() => compareStep.isEnabled()).toBe(true);
    await openPanel(page, 'Runs');
    const table = page.getByTestId('runs-table');
    await poll(() => table.locator('tbody tr').first().textContent()).toMatch(/failed/);
    await screenshot(page, 'faults-nan');
  }, 420_000);

  it('(e) talked to no host but the preview server', () => {
    expect(watch.foreignRequests()).toEqual([]);
  });
});
