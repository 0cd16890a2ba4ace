import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, launchChromium, servePage } from './support/browser.ts';

describe('the studio page in Chromium', () => {
  let browser: Browser;
  let page: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    page = await servePage();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await page?.close();
  });

  it('finds the WebGPU adapter and says which backend it will train on', async () => {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(page.url);
    const status = tab.getByTestId('backend-status');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/Training backend: WebGPU/);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'placeholder-page.png') });
    expect(errors).toEqual([]);
  });
});
