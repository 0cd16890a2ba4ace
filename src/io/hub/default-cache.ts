// Picks the cache a plain hubFiles() call uses: a folder in Node, Cache Storage in a browser,
// memory where neither exists. node-cache.ts is imported lazily so browser bundles never load
// node:fs.

import { BrowserHubCache } from './browser-cache.ts';
import { MemoryHubCache, type HubCache } from './cache.ts';

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** cacheDir: the Node cache root (default ~/.cache/embedding-studio/hub); ignored in browsers. */
export async function defaultHubCache(cacheDir?: string): Promise<HubCache> {
  if (isNode()) {
    const { NodeFolderCache } = await import('./node-cache.ts');
    return new NodeFolderCache(cacheDir);
  }
  if (BrowserHubCache.isAvailable()) return new BrowserHubCache();
  console.warn('embedding-studio: Cache Storage is unavailable (insecure context?); Hub downloads are kept in memory only');
  return new MemoryHubCache();
}
