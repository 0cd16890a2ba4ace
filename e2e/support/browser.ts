import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

/** Debian's chromium; Playwright's own browser downloads are not available here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('e2e/artifacts');

/** Builds the page once and serves it on a free local port. */
export async function servePage(): Promise<{ url: string; close: () => Promise<void> }> {
  await build({ logLevel: 'warn', build: { outDir: 'dist/e2e', emptyOutDir: true } });
  const server: PreviewServer = await preview({ logLevel: 'warn', build: { outDir: 'dist/e2e' }, preview: { port: 0, host: '127.0.0.1' } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  return { url, close: () => server.close() };
}

export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--enable-unsafe-webgpu',
    ],
  });
}
