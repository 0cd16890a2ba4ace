/**
 * The checks beyond training, through the real page in headless Chromium (issue 16): BM25 beside
 * the base model in the Playground; hard negatives mined, one rejected with the keyboard, the rest
 * saved as the dataset and trained on; BM25 beside both models in Compare and a t-SNE map drawn;
 * a Markdown and a PDF document chunked and queried in the RAG check (pdf.js's worker loading
 * under COOP/COEP), and a PDF without text refused. Screenshots go to e2e/artifacts/features-*.png.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../test/support/make-pdf.ts';
import { ARTIFACTS, dropFile, openPanel, openStudio, type PageWatch, plotlyTraces, screenshot, type Studio } from './support/browser.ts';

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
// Generous: CI runs the e2e files side by side on 2 cores, and the built-in model is pre-trained (4 layers).
const STEP_MS = 150_000;
const poll = <T>(fn: () => Promise<T> | T, options: { timeout?: number } = {}) => expect.poll(fn, { timeout: STEP_MS, interval: 200, ...options });

const GUIDE = [
  '# Returns',
  'Items can be returned within 30 days of delivery. Start a return from the Orders page and print the prepaid label.',
  '# Shipping',
  'Standard shipping takes three to five business days. Express shipping arrives the next day when ordered before noon.',
  '# Passwords',
  'To reset your password, open Settings, choose Security and follow the link we email you.',
  '# 退货',
  '大部分商品支持签收后七天无理由退货。请在“我的订单”中选择对应商品，点击“申请退货”并按提示寄回。',
].join('\n\n');

describe('mining, maps, the RAG check and the BM25 baseline in the page', () => {
  let studio: Studio | undefined;
  let page: Page;
  let watch: PageWatch;
  const seen: Record<string, unknown> = {};

  beforeAll(async () => {
    studio = await openStudio({ outDir: 'dist/e2e-features', context: { viewport: { width: 1280, height: 720 }, acceptDownloads: true, colorScheme: 'light' }, stepMs: STEP_MS });
    ({ page, watch } = studio);
  }, 180_000);

  afterAll(async () => {
    if (watch) await writeFile(path.join(ARTIFACTS, 'features-log.json'), JSON.stringify({ seen, errors: watch.errors, requests: watch.requests, failedResponses: watch.failedResponses }, null, 2));
    await studio?.close();
  });

  it('shows BM25 beside the base model in the Playground', async () => {
    await page.getByRole('button', { name: 'Load the built-in model' }).click();
    await page.getByTestId('model-card').waitFor();
    await openPanel(page, '2 Data');
    await dropFile(page, '[data-testid="data-dropzone"]', 'support-faq.jsonl', await readFile(SAMPLE));
    await poll(() => page.getByTestId('dataset-shape').getAttribute('data-shape')).toBe('triplets');
    await openPanel(page, '3 Playground');
    const block = page.getByTestId('playground-baselines');
    await poll(() => block.getAttribute('data-state')).toBe('ready');
    const bm25 = Number(await block.locator('[data-bm25-metric="mrr@10"]').textContent());
    // Keyword search on an FAQ whose answers share words with the questions: well above a random model.
    expect(bm25).toBeGreaterThan(0.3);
    expect(await block.locator('thead th').allTextContents()).toEqual(['Metric', 'BM25', 'Base', 'Fine-tuned']);
    seen.playgroundBaselines = await block.innerText();
    await screenshot(page, 'features-playground-bm25');
  });

  it('mines hard negatives, rejects one with j/x, and saves the rest as the training data', async () => {
    await openPanel(page, 'Mine negatives');
    await page.locator('#mine-num-negatives').fill('2');
    await page.getByTestId('mine-run').click();
    const summary = page.getByTestId('mine-summary');
    await summary.waitFor({ timeout: 120_000 });
    const candidates = Number((await summary.textContent())?.match(/^([\d,]+) candidates/)?.[1].replace(/,/g, ''));
    expect(candidates).toBeGreaterThan(0);
    const table = page.getByTestId('mined-table');
    await poll(() => table.locator('[role="row"][aria-rowindex="2"] [role="cell"]').first().textContent()).not.toBe('loading…');
    // Keyboard first: focus the table, j moves to the second row, x rejects it, j then k come back.
    await page.getByTestId('mined-viewport').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const second = table.locator('[role="row"][aria-rowindex="3"]');
    expect(await second.getAttribute('data-rejected')).toBe('true');
    expect(await second.getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('mine-rejected').textContent()).toBe('1 rejected');
    await screenshot(page, 'features-mine');

    const download = page.waitForEvent('download');
    await page.getByTestId('mine-export').click();
    const file = await (await download).path();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(candidates - 1);
    expect(Object.keys(JSON.parse(lines[0]) as object)).toEqual(['anchor', 'positive', 'negative']);

    await page.getByTestId('mine-use').click();
    await poll(() => page.getByTestId('mine-saved').textContent()).toMatch(new RegExp(`${candidates - 1} triplets \\(1 rejected\\)`));
    seen.mined = { candidates };
  }, 180_000);

  it('trains on the mined triplets', async () => {
    await openPanel(page, '2 Data');
    expect(await page.getByTestId('dataset-summary').locator('.file-name').textContent()).toBe('mined-triplets.jsonl');
    await openPanel(page, '4 Train');
    await page.locator('#train-epochs').fill('1');
    await page.locator('#train-batchSize').fill('16');
    await page.getByTestId('train-start').click();
    await poll(() => page.getByTestId('train-status').textContent(), { timeout: 420_000 }).toMatch(/Finished|Failed|Cancelled/);
    expect(await page.getByTestId('train-status').textContent()).toBe('Finished');
    await screenshot(page, 'features-train-mined');
  }, 480_000);

  it('shows BM25 beside both models in Compare and draws a t-SNE map', async () => {
    await openPanel(page, '5 Compare');
    const table = page.getByTestId('compare-metrics');
    await table.waitFor({ timeout: 120_000 });
    expect(await table.locator('thead th').allTextContents()).toEqual(['Metric', 'BM25', 'Base', 'Fine-tuned', 'Δ', 'vs BM25']);
    for (const cell of await table.locator('[data-bm25-metric]').allTextContents()) expect(cell).toMatch(/^\d/);
    const drawn = async (id: string) => (await plotlyTraces(page, id))?.reduce((n, t) => n + t.points, 0) ?? 0;
    await poll(() => drawn('umap-before'), { timeout: 180_000 }).toBeGreaterThan(0);
    await page.getByTestId('map-method-tsne').check();
    await poll(() => drawn('tsne-before'), { timeout: 180_000 }).toBeGreaterThan(0);
    await poll(() => drawn('tsne-after'), { timeout: 30_000 }).toBe(await drawn('tsne-before'));
    expect(await page.locator('#projection-title').textContent()).toMatch(/t-SNE/);
    seen.tsnePoints = await drawn('tsne-before');
    seen.compareMetrics = await table.innerText();
    await page.getByTestId('map-method-pca').check();
    await poll(() => drawn('pca-before'), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.getByTestId('map-method-tsne').check();
    await poll(() => drawn('tsne-before'), { timeout: 180_000 }).toBeGreaterThan(0);
    await page.waitForTimeout(300);
    await screenshot(page, 'features-compare-tsne');
  }, 420_000);

  it('chunks a Markdown document and shows base, fine-tuned and BM25 passages for a question', async () => {
    await openPanel(page, 'RAG check');
    await page.locator('#rag-size').fill('150');
    await page.locator('#rag-overlap').fill('20');
    await dropFile(page, '[data-testid="rag-panel"]', 'guide.md', new TextEncoder().encode(GUIDE), 'text/markdown');
    await poll(() => page.getByTestId('rag-document').textContent()).toMatch(/guide\.md · markdown/);
    const chunks = Number(await page.getByTestId('rag-chunk-count').textContent());
    expect(chunks).toBeGreaterThanOrEqual(4);
    expect(await page.getByTestId('rag-chunks').locator('li').count()).toBe(chunks);
    await page.locator('#rag-question').fill('how do I reset my password');
    await page.getByTestId('rag-ask').click();
    await poll(() => page.getByTestId('rag-bm25').locator('li').count()).toBe(3);
    expect(await page.getByTestId('rag-base').locator('li').count()).toBe(3);
    expect(await page.getByTestId('rag-trained').locator('li').count()).toBe(3);
    expect(await page.getByTestId('rag-bm25').locator('li').first().textContent()).toMatch(/reset your password/);
    await screenshot(page, 'features-rag-markdown');
  }, 180_000);

  it('reads a PDF through pdf.js in the cross-origin-isolated page, and refuses one without text', async () => {
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    await dropFile(page, '[data-testid="rag-panel"]', 'scan.pdf', makePdf([null]), 'application/pdf');
    await poll(() => page.locator('[data-testid="rag-panel"] .error-text, [data-testid="rag-panel"] [role="alert"]').first().textContent()).toMatch(/scan\.pdf has no text to read/);
    await dropFile(page, '[data-testid="rag-panel"]', 'paper.pdf', makePdf([['Hard negatives are close to the query but wrong.'], ['BM25 is the keyword baseline.']]), 'application/pdf');
    await poll(() => page.getByTestId('rag-document').textContent()).toMatch(/paper\.pdf · pdf, 2 pages/);
    await page.locator('#rag-question').fill('keyword baseline');
    await page.getByTestId('rag-ask').click();
    await poll(() => page.getByTestId('rag-bm25').locator('li').first().textContent()).toMatch(/BM25 is the keyword baseline/);
    // pdf.js's worker came from our own origin.
    expect(watch.requests.some((r) => /pdf\.worker/.test(r))).toBe(true);
    await screenshot(page, 'features-rag-pdf');
    expect(watch.errors).toEqual([]);
  }, 180_000);
});
