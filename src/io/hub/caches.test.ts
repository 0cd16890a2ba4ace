import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test/support/hub-server.ts';
import { haveFixtures } from '../../../test/support/fixtures.ts';
import { TINY_BERT_MODEL_DIR } from '../../../test/support/tiny-bert.ts';
import { folderFiles } from '../folder-files.ts';
import { BrowserHubCache } from './browser-cache.ts';
import { MemoryHubCache, type HubCache } from './cache.ts';
import { HubError } from './errors.ts';
import { hubFiles } from './hub-files.ts';

/**
 * The browser's Cache Storage cache and the in-memory cache run the same download, resume and
 * cache-hit paths as the folder cache. Node has no `caches`, so a minimal CacheStorage stands in
 * (same semantics: put/match/delete whole Responses keyed by URL).
 */
// Skips with a message, or fails under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1.
const HAVE_MODEL = haveFixtures(path.join(TINY_BERT_MODEL_DIR, 'model.safetensors'), 'the Hub cache tests');

class FakeCache {
  readonly entries = new Map<string, { body: ArrayBuffer; headers: [string, string][] }>();
  async match(req: RequestInfo | URL): Promise<Response | undefined> {
    const e = this.entries.get(String(req));
    return e ? new Response(e.body.slice(0), { status: 200, headers: e.headers }) : undefined;
  }
  async put(req: RequestInfo | URL, res: Response): Promise<void> {
    this.entries.set(String(req), { body: await res.arrayBuffer(), headers: [...res.headers] });
  }
  async delete(req: RequestInfo | URL): Promise<boolean> {
    return this.entries.delete(String(req));
  }
}

class FakeCacheStorage {
  readonly opened = new Map<string, FakeCache>();
  async open(name: string): Promise<FakeCache> {
    let c = this.opened.get(name);
    if (!c) this.opened.set(name, (c = new FakeCache()));
    return c;
  }
}

const REPO = 'test-org/tiny-bert';
let server: HubServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const kinds: [string, () => { cache: HubCache; storage?: FakeCacheStorage }][] = [
  ['BrowserHubCache', () => {
    const storage = new FakeCacheStorage();
    return { cache: new BrowserHubCache(storage as unknown as CacheStorage), storage };
  }],
  ['MemoryHubCache', () => ({ cache: new MemoryHubCache() })],
];

describe.skipIf(!HAVE_MODEL).each(kinds)('%s', (_name, make) => {
  it('downloads, resumes after an interruption, then hits the cache', async () => {
    server = await startHubServer({ repos: { [REPO]: TINY_BERT_MODEL_DIR } });
    const { cache, storage } = make();
    const o = { endpoint: server.endpoint, cache, retries: 0, retryDelayMs: 0 };
    server.cutAfter('model.safetensors', 25_000);
    await expect(hubFiles(REPO, o)).rejects.toMatchObject({ kind: 'interrupted' });
    if (storage) {
      const keys = [...storage.opened.get('embedding-studio-hub')!.entries.keys()];
      expect(keys.some((k) => k.endsWith('/model.safetensors?partial'))).toBe(true);
    }

    const files = await hubFiles(REPO, o);
    expect(server.log.filter((e) => e.file === 'model.safetensors').map((e) => e.range)).toEqual([null, 'bytes=25000-']);
    const expected = await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors');
    expect(await files.readBytes('model.safetensors')).toEqual(expected);

    const n = server.log.length;
    const again = await hubFiles(REPO, o);
    expect(server.log.length).toBe(n);
    expect(again.downloaded.fromCache).toBe(true);
    expect(await again.readText('tokenizer.json')).toBe(await folderFiles(TINY_BERT_MODEL_DIR).readText('tokenizer.json'));
  });
});

describe('BrowserHubCache without Cache Storage', () => {
  it('says why instead of failing with "caches is not defined"', async () => {
    if (typeof caches === 'undefined') expect(BrowserHubCache.isAvailable()).toBe(false);
    const cache = new BrowserHubCache(null);
    const e = await cache.get('a/b').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HubError);
    expect((e as HubError).message).toMatch(/Cache Storage is not available here \(it needs a secure context/);
  });
});
