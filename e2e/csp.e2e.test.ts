/**
 * The production page's Content-Security-Policy in a real browser: connect-src lets the page and
 * the studio worker (which does the model download) reach the Hub hosts and nothing else.
 *
 * The Hub is a local stand-in: Playwright's routing answers every request that leaves the page's
 * own origin. Blink checks the CSP before a request reaches the network layer, so a request the
 * policy blocks never reaches the stand-in; one it allows gets the stand-in's answer.
 *
 * What this found: a dedicated worker loaded from a URL does not inherit the document's policy (a
 * <meta> CSP binds only its document); it gets the policy of its own script's response headers. With
 * the meta tag alone the studio worker could fetch any host. The policy is therefore also sent as a
 * response header (csp-plugin.ts, for `vite preview` and `vite dev`); a static host must send it too.
 * That header allows eval (the worker's ONNX writer needs it; the journey's export step is the
 * test of that: code run through Playwright's evaluate is exempt from the eval check, so it cannot
 * show it here); the page keeps the stricter meta policy.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, DEFAULT_HUB_HOSTS } from '../csp-plugin.ts';
import { launchChromium, servePage, type ServedPage } from './support/browser.ts';

/** A URL per kind of Hub host the policy names (exact host and both wildcards), and the mirror. */
const ALLOWED = [
  'https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/config.json',
  'https://cdn-lfs.huggingface.co/repos/ab/cd/model.safetensors',
  'https://cas-bridge.xethub.hf.co/xet-bridge-us/model.safetensors',
  'https://hf-mirror.com/sentence-transformers/all-MiniLM-L6-v2/resolve/main/config.json',
];
/** Not in connect-src: another host, a look-alike of a Hub host, and the Hub over plain http. */
const BLOCKED = [
  'https://example.com/collect',
  'https://evil-huggingface.co/x',
  'http://huggingface.co/x',
];

interface FetchOutcome {
  url: string;
  /** The stand-in's body, or "blocked: …" when fetch rejected. */
  result: string;
}

/** Runs in the page or a worker: fetch each URL, say what came back. */
async function fetchAll(urls: readonly string[]): Promise<FetchOutcome[]> {
  return Promise.all(urls.map(async (url) => {
    try {
      const r = await fetch(url, { cache: 'no-store' });
      return { url, result: await r.text() };
    } catch (e) {
      return { url, result: `blocked: ${(e as Error).name}` };
    }
  }));
}

describe('the Content-Security-Policy of the production page', () => {
  let served: ServedPage;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** URLs that got past the browser to the stand-in. */
  const reached: string[] = [];

  beforeAll(async () => {
    served = await servePage('dist/e2e-csp');
    browser = await launchChromium();
    context = await browser.newContext();
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.host === served.host) return route.continue();
      reached.push(route.request().url());
      // CORS and CORP as the Hub answers, so only the CSP can stop the page from reading it.
      await route.fulfill({
        status: 200,
        body: `stand-in ${url.host}`,
        headers: { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin', 'Content-Type': 'text/plain' },
      });
    });
    page = await context.newPage();
    await page.goto(served.url);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await served?.close();
  });

  it('names the hosts the README names', async () => {
    const readme = await readFile('README.md', 'utf8');
    const sentence = /Only the model download and a Hub push touch the network:[^]*?nothing else\./.exec(readme)?.[0] ?? '';
    expect(sentence).not.toBe('');
    for (const host of DEFAULT_HUB_HOSTS) expect(sentence, host).toContain(host.replace('https://', ''));
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toBe(contentSecurityPolicy(DEFAULT_HUB_HOSTS, false));
  });

  it('lets the page reach the Hub hosts and blocks every other host, reporting a connect-src violation', async () => {
    const violations = page.evaluate(() => {
      const seen: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
      return new Promise<string[]>((resolve) => setTimeout(() => resolve(seen), 3000));
    });
    const before = reached.length;
    const outcomes = await page.evaluate(fetchAll, [...ALLOWED, ...BLOCKED]);
    for (const o of outcomes.slice(0, ALLOWED.length)) expect(o.result, o.url).toBe(`stand-in ${new URL(o.url).host}`);
    for (const o of outcomes.slice(ALLOWED.length)) expect(o.result, o.url).toMatch(/^blocked/);
    expect(reached.slice(before).sort()).toEqual([...ALLOWED].sort());
    const reported = await violations;
    for (const url of BLOCKED) expect(reported.some((v) => v.startsWith('connect-src') && v.includes(new URL(url).host)), url).toBe(true);
  });

  it('holds in the studio worker too, where the model download runs', async () => {
    const worker: Worker = page.workers().find((w) => /studio/.test(w.url())) ?? (await page.waitForEvent('worker', { predicate: (w) => /studio/.test(w.url()) }));
    const before = reached.length;
    const outcomes = await worker.evaluate(fetchAll, [...ALLOWED, ...BLOCKED]);
    for (const o of outcomes.slice(0, ALLOWED.length)) expect(o.result, o.url).toBe(`stand-in ${new URL(o.url).host}`);
    for (const o of outcomes.slice(ALLOWED.length)) expect(o.result, `worker: ${o.url}`).toMatch(/^blocked/);
    expect(reached.slice(before).sort()).toEqual([...ALLOWED].sort());
  });

});
