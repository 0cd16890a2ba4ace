// The Hub cache in the browser's Cache Storage (caches.open('embedding-studio-hub')), which
// survives reloads and is available in Web Workers. Keys become URLs under a reserved host
// (.invalid never resolves, so an entry can never be mistaken for a real response).
//
// Cache Storage cannot append, so a download in progress is held in memory and, when it is
// interrupted, stored whole as a "…?partial" entry carrying its ETag in a header; resuming reads
// it back and continues with a Range request.
//
// Cache Storage exists only in secure contexts (https, localhost) and not in Node before v23:
// every entry point checks for it and says so instead of failing with "caches is not defined".

import { type HubCache, type HubCacheWriter, heldBytesWriter, type OpenWriterOptions, type PartialDownload } from './cache.ts';
import { HubError } from './errors.ts';

export const BROWSER_CACHE_NAME = 'embedding-studio-hub';
const KEY_BASE = 'https://embedding-studio-hub.invalid/';
const ETAG_HEADER = 'x-embedding-studio-etag';
const TOTAL_HEADER = 'x-embedding-studio-total';

/** The global CacheStorage, or null where there is none (Node, insecure pages). */
export function globalCacheStorage(): CacheStorage | null {
  return typeof caches === 'undefined' ? null : caches;
}

export class BrowserHubCache implements HubCache {
  readonly location: string;
  private cache: Promise<Cache> | null = null;

  /** storage: injectable for tests; defaults to the page's or worker's `caches`. */
  constructor(
    private readonly storage: CacheStorage | null = globalCacheStorage(),
    readonly cacheName: string = BROWSER_CACHE_NAME,
  ) {
    this.location = `Cache Storage "${cacheName}"`;
  }

  static isAvailable(): boolean {
    return globalCacheStorage() !== null;
  }

  private open_(): Promise<Cache> {
    if (!this.storage) {
      return Promise.reject(
        new HubError('cache', 'Cache Storage is not available here (it needs a secure context: https or localhost); pass another HubCache'),
      );
    }
    this.cache ??= this.storage.open(this.cacheName);
    return this.cache;
  }

  private url(key: string, partial = false): string {
    return `${KEY_BASE}${key.split('/').map(encodeURIComponent).join('/')}${partial ? '?partial' : ''}`;
  }

  private async put(url: string, bytes: Uint8Array, headers: Record<string, string>): Promise<void> {
    const cache = await this.open_();
    try {
      // A copy with its own ArrayBuffer: Response must not see a view into a larger buffer.
      await cache.put(url, new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.byteLength), ...headers } }));
    } catch (e) {
      const quota = e instanceof DOMException && e.name === 'QuotaExceededError';
      throw new HubError(
        'cache',
        quota
          ? `the browser's storage quota is full (${bytes.byteLength} bytes needed): free space or clear the "${this.cacheName}" cache`
          : `cannot store a file in ${this.location}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const res = await (await this.open_()).match(this.url(key));
    return res ? new Uint8Array(await res.arrayBuffer()) : null;
  }

  async has(key: string): Promise<boolean> {
    return (await (await this.open_()).match(this.url(key))) !== undefined;
  }

  async partial(key: string): Promise<PartialDownload | null> {
    const res = await (await this.open_()).match(this.url(key, true));
    if (!res) return null;
    const size = Number(res.headers.get('content-length') ?? NaN);
    const total = Number(res.headers.get(TOTAL_HEADER) ?? NaN);
    // Without a trustworthy length, read the body: correctness beats a saved read.
    const n = Number.isFinite(size) ? size : (await res.arrayBuffer()).byteLength;
    return n > 0 ? { size: n, etag: res.headers.get(ETAG_HEADER), total: Number.isFinite(total) ? total : null } : null;
  }

  async open(key: string, options: OpenWriterOptions): Promise<HubCacheWriter> {
    const cache = await this.open_();
    const partialUrl = this.url(key, true);
    const resumed = options.resume ? await cache.match(partialUrl) : undefined;
    const meta: Record<string, string> = {};
    if (options.etag !== null) meta[ETAG_HEADER] = options.etag;
    if (options.total !== null) meta[TOTAL_HEADER] = String(options.total);
    return heldBytesWriter(resumed ? new Uint8Array(await resumed.arrayBuffer()) : undefined, {
      commit: async (bytes) => {
        await this.put(this.url(key), bytes, {});
        await cache.delete(partialUrl);
      },
      suspend: async (bytes) => {
        if (bytes.byteLength > 0) await this.put(partialUrl, bytes, meta);
      },
      discard: async () => {
        await cache.delete(partialUrl);
      },
    });
  }

  async delete(key: string): Promise<void> {
    const cache = await this.open_();
    await cache.delete(this.url(key));
    await cache.delete(this.url(key, true));
  }
}
