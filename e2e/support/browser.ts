import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type ConsoleMessage, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

/** Debian's chromium; Playwright's own browser downloads are not available here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('e2e/artifacts');

export interface ServedPage {
  /** The page's URL ("http://127.0.0.1:PORT/"). */
  url: string;
  /** "127.0.0.1:PORT": the only host the page may talk to. */
  host: string;
  close: () => Promise<void>;
}

/**
 * Builds the page once and serves it on a free local port. `outDir` lets the e2e tests and the
 * browser benchmark build side by side without emptying each other's folder.
 */
export async function servePage(outDir = 'dist/e2e', options: { minify?: boolean } = {}): Promise<ServedPage> {
  // `minify: false` keeps function names readable in profiles (bench:browser --trace).
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true, ...(options.minify === false ? { minify: false } : {}) } });
  const server: PreviewServer = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  return { url, host: new URL(url).host, close: () => server.close() };
}

/** Headless Chromium; WebGPU (on SwiftShader here) unless `webgpu: false`, as on a browser without it. */
export async function launchChromium(options: { webgpu?: boolean } = {}): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic',
      ...(options.webgpu === false ? ['--disable-webgpu', '--disable-gpu'] : ['--enable-unsafe-webgpu']),
    ],
  });
}

/** The studio open in headless Chromium, for one e2e file. */
export interface Studio {
  readonly served: ServedPage;
  readonly page: Page;
  readonly watch: PageWatch;
  /** Closes the context, the browser and the server. */
  close(): Promise<void>;
}

export interface OpenStudioOptions {
  /** Where to build the page (each file its own, so files can build side by side). */
  readonly outDir?: string;
  /** A page already built and served (when the build needs its own environment). */
  readonly served?: ServedPage;
  readonly context?: BrowserContextOptions;
  /** Appended to the page's URL: "?faults&backend=webgpu". */
  readonly query?: string;
  /** Runs in every page before its own scripts. */
  readonly initScript?: () => void;
  /** Playwright's default timeout for every step on the page. */
  readonly stepMs?: number;
}

/** Builds and serves the page, opens it in a fresh context of headless Chromium, every page watched. */
export async function openStudio(options: OpenStudioOptions = {}): Promise<Studio> {
  const served = options.served ?? (await servePage(options.outDir));
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext(options.context);
    const watch = watchContext(context, served.host);
    if (options.initScript) await context.addInitScript(options.initScript);
    const page = await context.newPage();
    if (options.stepMs !== undefined) page.setDefaultTimeout(options.stepMs);
    await page.goto(`${served.url}${options.query ?? ''}`);
    const opened = browser;
    return { served, page, watch, close: async () => { await context.close(); await opened.close(); await served.close(); } };
  } catch (e) {
    await browser?.close();
    await served.close();
    throw e;
  }
}

/** Everything the page did that a test may want to fail on. */
export interface PageWatch {
  /** Uncaught exceptions and console.error, from the page and its workers. */
  readonly errors: string[];
  /** alert/confirm/prompt dialogs (dismissed at once). */
  readonly dialogs: string[];
  /** Every request URL, from the page, its workers and downloads. */
  readonly requests: string[];
  /** "STATUS URL" of every response with an HTTP error status. */
  readonly failedResponses: string[];
  /** Requests to anything but `allowedHost` (http/https/ws), or to another scheme than data:/blob:. */
  foreignRequests(): string[];
}

/** Collects errors, dialogs and requests of every page of `context` (attach before navigating). */
export function watchContext(context: BrowserContext, allowedHost: string): PageWatch {
  const errors: string[] = [];
  const dialogs: string[] = [];
  const requests: string[] = [];
  const failedResponses: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  context.on('response', (r) => r.status() >= 400 && failedResponses.push(`${r.status()} ${r.url()}`));
  const where = (m: ConsoleMessage) => (m.location().url ? ` (${m.location().url})` : '');
  const watchPage = (page: Page) => {
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}${where(m)}`));
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss().catch(() => {});
    });
    page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push(`worker console.error: ${m.text()}${where(m)}`)));
  };
  context.pages().forEach(watchPage);
  context.on('page', watchPage);
  return {
    errors,
    dialogs,
    requests,
    failedResponses,
    foreignRequests: () =>
      requests.filter((u) => {
        const url = new URL(u);
        if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
        if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') return url.host !== allowedHost;
        return true;
      }),
  };
}

/**
 * Drops a file on `selector` the way a browser does: a DataTransfer made in the page holding a
 * File built from `bytes`, then dragenter → dragover → drop dispatched on the element.
 */
export async function dropFile(page: Page, selector: string, name: string, bytes: Uint8Array, type = 'application/json'): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, b64, type }) => {
      const raw = atob(b64);
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type }));
      return dt;
    },
    { name, b64: Buffer.from(bytes).toString('base64'), type },
  );
  const target = page.locator(selector);
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
  await dataTransfer.dispose();
}

/**
 * Per trace of the Plotly chart inside `[data-testid=testId]`: its name, its points and their y
 * values (null: not drawn yet). Gaps (x null) are not points: a live chart gives an empty trace one
 * (src/app/charts/live-figure.ts withGaps).
 */
export function plotlyTraces(page: Page, testId: string): Promise<{ name: string; points: number; y: number[] }[] | null> {
  return page.evaluate((id) => {
    const el = document.querySelector(`[data-testid="${id}"] .js-plotly-plot`) as (HTMLElement & { data?: { name?: string; x?: ArrayLike<number | null>; y?: ArrayLike<number | null> }[] }) | null;
    if (!el?.data) return null;
    return el.data.map((t) => {
      const x = Array.from(t.x ?? []);
      const y = Array.from(t.y ?? []);
      const kept = x.flatMap((v, i) => (v === null ? [] : [i]));
      return { name: t.name ?? '', points: kept.length, y: kept.map((i) => Number(y[i])) };
    });
  }, testId);
}

/** Clicks a step in the studio's navigation ("3 Playground"). */
export async function openPanel(page: Page, title: RegExp | string): Promise<void> {
  const step = page.getByRole('navigation', { name: 'Studio steps' }).getByRole('button', { name: title });
  await step.click();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
