import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, type HubServer } from '../../../test/support/hub-server.ts';
import { haveFixtures } from '../../../test/support/fixtures.ts';
import { TINY_BERT_MODEL_DIR } from '../../../test/support/tiny-bert.ts';
import { CpuBackend } from '../../engine/cpu/cpu-backend.ts';
import { loadSentenceModel } from '../load-model.ts';
import { folderFiles } from '../folder-files.ts';
import { HubError, isHubError } from './errors.ts';
import { hubFiles, type HubOptions, type HubProgress } from './hub-files.ts';
import { hubLocation } from './location.ts';

/**
 * hubFiles against a real local HTTP server that serves the tiny-bert fixture in the Hub's URL
 * layout: download, progress, cache hits, resume after interruption, and each failure's error.
 */
// Skips with a message, or fails under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1.
const HAVE_MODEL = haveFixtures(path.join(TINY_BERT_MODEL_DIR, 'model.safetensors'), 'the Hub download tests');

const REPO = 'test-org/tiny-bert';
const FILES = [
  'modules.json', 'config.json', 'tokenizer.json', 'tokenizer_config.json', 'sentence_bert_config.json',
  'config_sentence_transformers.json', '1_Pooling/config.json', 'model.safetensors',
];

let tmp: string;
let servers: HubServer[] = [];

async function serve(extra: Partial<Parameters<typeof startHubServer>[0]> = {}): Promise<HubServer> {
  const s = await startHubServer({ repos: { [REPO]: TINY_BERT_MODEL_DIR }, ...extra });
  servers.push(s);
  return s;
}

let dirCount = 0;
const freshCacheDir = () => path.join(tmp, `cache-${dirCount++}`);

function opts(server: HubServer, cacheDir: string, more: HubOptions = {}): HubOptions {
  return { endpoint: server.endpoint, cacheDir, retryDelayMs: 0, ...more };
}

async function expectHubError(p: Promise<unknown>, kind: HubError['kind']): Promise<HubError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, `expected a HubError of kind ${kind}`).toBeInstanceOf(HubError);
  expect((e as HubError).kind).toBe(kind);
  return e as HubError;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hub-test-'));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE_MODEL)('hubFiles with a local Hub', () => {
  it('downloads every file byte for byte, with progress events reaching the total', async () => {
    const server = await serve();
    const events: HubProgress[] = [];
    const files = await hubFiles(REPO, opts(server, freshCacheDir(), { onProgress: (e) => events.push(e) }));

    const folder = folderFiles(TINY_BERT_MODEL_DIR);
    for (const f of FILES) expect(await files.readBytes(f), f).toEqual(await folder.readBytes(f));
    expect(await files.readText('special_tokens_map.json')).toBeNull();

    const d = files.downloaded;
    expect(d.fromCache).toBe(false);
    expect(d.weights).toBe('safetensors');
    expect(d.onnxOnly).toBe(false);
    expect(d.files.map((f) => f.path).sort()).toEqual([...FILES].sort());
    expect(d.absent).toEqual(expect.arrayContaining(['special_tokens_map.json']));
    // The test server's ETags are sha256 digests, so every file was checked against one.
    expect(d.files.every((f) => f.verified === 'sha256' && f.source === 'network')).toBe(true);
    const weightsSize = (await stat(path.join(TINY_BERT_MODEL_DIR, 'model.safetensors'))).size;
    expect(d.files.find((f) => f.path === 'model.safetensors')?.size).toBe(weightsSize);

    const last = events.at(-1)!;
    expect(last.overallLoaded).toBe(last.overallTotal);
    expect(last.overallTotal).toBe(d.bytesTransferred);
    const lastWeights = events.filter((e) => e.file === 'model.safetensors').at(-1)!;
    expect(lastWeights).toMatchObject({ loaded: weightsSize, total: weightsSize });
    // Monotone per file (no restarts here).
    for (const f of FILES) {
      const seq = events.filter((e) => e.file === f).map((e) => e.loaded);
      expect(seq).toEqual([...seq].sort((a, b) => a - b));
    }
  });

  it('serves a second load from the cache without a single request', async () => {
    const server = await serve();
    const cacheDir = freshCacheDir();
    await hubFiles(REPO, opts(server, cacheDir));
    const before = server.log.length;
    const again = await hubFiles(REPO, opts(server, cacheDir));
    expect(server.log.length).toBe(before);
    expect(again.downloaded.fromCache).toBe(true);
    expect(again.downloaded.bytesTransferred).toBe(0);
    expect(await again.readBytes('model.safetensors')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors'));

    // Files are laid out as <root>/<endpoint-host>/<repo>/<revision>/<path>.
    const loc = hubLocation(REPO, server.endpoint, 'main');
    expect(existsSync(path.join(cacheDir, ...loc.cachePrefix.split('/'), '1_Pooling', 'config.json'))).toBe(true);
    expect(loc.cachePrefix).toMatch(/^127\.0\.0\.1_\d+\/test-org\/tiny-bert\/main$/);

    // refresh: ask the server again for everything.
    const refreshed = await hubFiles(REPO, opts(server, cacheDir, { refresh: true }));
    expect(refreshed.downloaded.fromCache).toBe(false);
    expect(server.log.filter((e) => e.file === 'model.safetensors')).toHaveLength(2);
  });

  it('resumes an interrupted download with a Range request and yields identical bytes', async () => {
    const server = await serve();
    const cacheDir = freshCacheDir();
    server.cutAfter('model.safetensors', 50_000);
    const err = await expectHubError(hubFiles(REPO, opts(server, cacheDir, { retries: 0 })), 'interrupted');
    expect(err.message).toMatch(/model\.safetensors .*interrupted after 50000 of \d+ bytes.*resume/);

    const loc = hubLocation(REPO, server.endpoint, 'main');
    const partial = path.join(cacheDir, ...loc.cachePrefix.split('/'), 'model.safetensors.partial');
    expect((await stat(partial)).size).toBe(50_000);

    server.log.length = 0;
    const files = await hubFiles(REPO, opts(server, cacheDir, { retries: 0 }));
    const weights = server.log.filter((e) => e.file === 'model.safetensors');
    expect(weights).toEqual([expect.objectContaining({ range: 'bytes=50000-', status: 206 })]);
    expect(files.downloaded.files.find((f) => f.path === 'model.safetensors')).toMatchObject({ source: 'resumed', verified: 'sha256' });
    expect(await files.readBytes('model.safetensors')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors'));
    expect(existsSync(partial)).toBe(false);
    // Files finished in the first run were not asked for again.
    expect(server.log.filter((e) => e.file === 'tokenizer.json')).toEqual([]);
  });

  it('resumes within one call when the body is cut (default retries)', async () => {
    const server = await serve();
    server.cutAfter('model.safetensors', 30_000, 2);
    const files = await hubFiles(REPO, opts(server, freshCacheDir()));
    const ranges = server.log.filter((e) => e.file === 'model.safetensors').map((e) => e.range);
    // Two cut responses, then a whole one. Each retry continues from the bytes the client kept:
    // normally 30000 a cut, fewer when the dropped socket discarded chunks not yet read.
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeNull();
    const starts = ranges.map((r) => (r === null ? 0 : Number(/^bytes=(\d+)-$/.exec(r)?.[1])));
    expect(starts[1]).toBeLessThanOrEqual(30_000);
    expect(starts[2]).toBeGreaterThanOrEqual(starts[1]);
    expect(starts[2]).toBeLessThanOrEqual(starts[1] + 30_000);
    expect(starts[2]).toBeGreaterThan(0);
    expect(await files.readBytes('model.safetensors')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors'));
  });

  it('restarts cleanly when the server ignores Range and answers 200', async () => {
    const server = await serve();
    const cacheDir = freshCacheDir();
    server.cutAfter('model.safetensors', 40_000);
    await expectHubError(hubFiles(REPO, opts(server, cacheDir, { retries: 0 })), 'interrupted');
    // A proxy that strips Range: the server sends the whole file with 200.
    const stripRange: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.delete('range');
      return fetch(input, { ...init, headers });
    };
    const files = await hubFiles(REPO, opts(server, cacheDir, { fetch: stripRange }));
    expect(files.downloaded.files.find((f) => f.path === 'model.safetensors')).toMatchObject({ source: 'network', verified: 'sha256' });
    expect(await files.readBytes('model.safetensors')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors'));
  });

  it('discards a partial download whose ETag no longer matches the server', async () => {
    const server = await serve();
    const cacheDir = freshCacheDir();
    const dir = path.join(cacheDir, ...hubLocation(REPO, server.endpoint, 'main').cachePrefix.split('/'));
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'model.safetensors.partial'), new Uint8Array(1000).fill(7));
    await writeFile(path.join(dir, 'model.safetensors.partial.json'), JSON.stringify({ etag: '0'.repeat(64), total: 5000 }));
    const files = await hubFiles(REPO, opts(server, cacheDir));
    const ranges = server.log.filter((e) => e.file === 'model.safetensors').map((e) => e.range);
    expect(ranges).toEqual(['bytes=1000-', null]);
    expect(await files.readBytes('model.safetensors')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors'));
  });

  it('keeps the partial file when cancelled, and resumes it later', async () => {
    const server = await serve();
    const cacheDir = freshCacheDir();
    const ac = new AbortController();
    server.cutAfter('model.safetensors', 20_000); // a pause point: first chunk arrives, then we abort
    const err = await hubFiles(REPO, opts(server, cacheDir, {
      signal: ac.signal,
      retries: 5,
      retryDelayMs: 200,
      onProgress: (e) => {
        if (e.file === 'model.safetensors' && e.loaded > 0) ac.abort();
      },
    })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    const files = await hubFiles(REPO, opts(server, cacheDir));
    expect(server.log.filter((e) => e.file === 'model.safetensors').at(-1)?.range).toMatch(/^bytes=\d+-$/);
    expect(await files.readBytes('model.safetensors')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('model.safetensors'));
  });

  it('rejects a file whose sha256 differs from its ETag and keeps nothing of it', async () => {
    const server = await serve();
    const cacheDir = freshCacheDir();
    server.corrupt('model.safetensors');
    const err = await expectHubError(hubFiles(REPO, opts(server, cacheDir)), 'integrity');
    expect(err.message).toMatch(/model\.safetensors is corrupt: its sha256 is [0-9a-f]{64} but .* announced [0-9a-f]{64}/);
    const dir = path.join(cacheDir, ...hubLocation(REPO, server.endpoint, 'main').cachePrefix.split('/'));
    expect(existsSync(path.join(dir, 'model.safetensors'))).toBe(false);
    expect(existsSync(path.join(dir, 'model.safetensors.partial'))).toBe(false);
  });

  it('says a missing repo is not found, naming the id and endpoint', async () => {
    const server = await serve();
    const err = await expectHubError(hubFiles('nobody/nothing-here', opts(server, freshCacheDir())), 'repo-not-found');
    expect(err.message).toBe(`model "nobody/nothing-here" not found on ${server.endpoint} (check the id, or set a token for private models)`);
  });

  it('says which file is missing', async () => {
    const server = await serve();
    server.hide('tokenizer.json');
    const err = await expectHubError(hubFiles(REPO, opts(server, freshCacheDir())), 'file-missing');
    expect(err.message).toBe(`model "${REPO}" (revision main) has no file "tokenizer.json" on ${server.endpoint}`);
    expect(err.details.file).toBe('tokenizer.json');
  });

  it('says an unknown revision is unknown', async () => {
    const server = await serve();
    const err = await expectHubError(hubFiles(REPO, opts(server, freshCacheDir(), { revision: 'v9' })), 'revision-not-found');
    expect(err.message).toContain('no revision "v9"');
  });

  it('distinguishes a missing token from a rejected one, and sends a good one as Bearer', async () => {
    const server = await serve({ token: 'hf_secret' });
    const missing = await expectHubError(hubFiles(REPO, opts(server, freshCacheDir())), 'unauthorized');
    expect(missing.message).toMatch(/requires an access token .*set a token/);
    const bad = await expectHubError(hubFiles(REPO, opts(server, freshCacheDir(), { token: 'hf_wrong' })), 'unauthorized');
    expect(bad.message).toMatch(/rejected the access token/);
    expect(bad.message).not.toContain('hf_wrong');
    server.log.length = 0;
    const files = await hubFiles(REPO, opts(server, freshCacheDir(), { token: 'hf_secret' }));
    expect(files.downloaded.fromCache).toBe(false);
    expect(server.log.every((e) => e.authorization === 'Bearer hf_secret')).toBe(true);
  });

  it('explains a server that cannot be reached, with the mirror hint', async () => {
    const server = await serve();
    const endpoint = server.endpoint;
    await server.close();
    servers = [];
    const err = await expectHubError(hubFiles(REPO, { endpoint, cacheDir: freshCacheDir() }), 'network');
    expect(err.message).toContain(`cannot reach ${endpoint} (ECONNREFUSED)`);
    expect(err.message).toContain('https://hf-mirror.com');
  });

  it('flags a repo that has only ONNX weights and still fetches them', async () => {
    const server = await serve();
    server.hide('model.safetensors');
    const files = await hubFiles(REPO, opts(server, freshCacheDir()));
    expect(files.downloaded).toMatchObject({ weights: 'onnx', onnxOnly: true, weightsPath: 'onnx/model.onnx' });
    expect(files.downloaded.absent).toContain('model.safetensors');
    expect(await files.readBytes('onnx/model.onnx')).toEqual(await folderFiles(TINY_BERT_MODEL_DIR).readBytes('onnx/model.onnx'));
    expect(await files.readBytes('model.safetensors')).toBeNull();
  });

  it('loads a repo with only onnx/model.onnx: downloads it and reads its initializers', async () => {
    const server = await serve();
    server.hide('model.safetensors');
    const files = await hubFiles(REPO, opts(server, freshCacheDir()));
    expect(server.log.some((e) => e.file === 'onnx/model.onnx')).toBe(true);
    const backend = new CpuBackend();
    try {
      const texts = ['A man is eating food.', '下雨了'];
      const fromHub = await loadSentenceModel(files, backend);
      const fromFolder = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
      expect(fromHub.weightsSource).toMatchObject({ format: 'onnx', path: 'onnx/model.onnx' });
      expect(fromHub.config.warnings.some((w) => w.includes('onnx/model.onnx'))).toBe(true);
      expect(Array.from(await fromHub.model.encode(texts))).toEqual(Array.from(await fromFolder.model.encode(texts)));
    } finally {
      backend.destroy();
    }
  });

  it('gives the same embeddings as loading the folder', async () => {
    const server = await serve();
    const backend = new CpuBackend();
    try {
      const texts = ['A man is eating food.', 'The weather is lovely today.', 'embeddings'];
      const fromHub = await loadSentenceModel(await hubFiles(REPO, opts(server, freshCacheDir())), backend);
      const fromFolder = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
      expect(Array.from(await fromHub.model.encode(texts))).toEqual(Array.from(await fromFolder.model.encode(texts)));
    } finally {
      backend.destroy();
    }
  });

  it('follows modules.json to an old 0_Transformer/ layout', async () => {
    const dir = path.join(tmp, 'old-layout');
    await cp(TINY_BERT_MODEL_DIR, dir, { recursive: true });
    await mkdir(path.join(dir, '0_Transformer'));
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'sentence_bert_config.json', 'model.safetensors']) {
      await rename(path.join(dir, f), path.join(dir, '0_Transformer', f));
    }
    const modules = JSON.parse(await readFile(path.join(dir, 'modules.json'), 'utf8')) as { path: string }[];
    modules[0].path = '0_Transformer';
    await writeFile(path.join(dir, 'modules.json'), JSON.stringify(modules));
    const server = await serve({ repos: { 'old/layout': dir } });
    const files = await hubFiles('old/layout', opts(server, freshCacheDir()));
    expect(files.downloaded.weightsPath).toBe('0_Transformer/model.safetensors');
    const backend = new CpuBackend();
    try {
      const a = await loadSentenceModel(files, backend);
      const b = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
      expect(Array.from(await a.model.encode(['hello']))).toEqual(Array.from(await b.model.encode(['hello'])));
    } finally {
      backend.destroy();
    }
  });

  it('refuses a module path that would leave the repo', async () => {
    const dir = path.join(tmp, 'evil-modules');
    await cp(TINY_BERT_MODEL_DIR, dir, { recursive: true });
    const modules = JSON.parse(await readFile(path.join(dir, 'modules.json'), 'utf8')) as { path: string }[];
    modules[1].path = '../../../outside';
    await writeFile(path.join(dir, 'modules.json'), JSON.stringify(modules));
    const server = await serve({ repos: { 'evil/modules': dir } });
    await expectHubError(hubFiles('evil/modules', opts(server, freshCacheDir())), 'invalid-argument');
  });
});

describe('hubFiles arguments', () => {
  it('rejects malformed ids, endpoints and revisions before any request', async () => {
    const noFetch: typeof fetch = () => Promise.reject(new Error('no request expected'));
    for (const [repo, o] of [
      ['../etc/passwd', {}],
      ['a/b/c', {}],
      ['org/na--me', {}],
      ['org/name', { endpoint: 'ftp://example.com' }],
      ['org/name', { endpoint: 'not a url' }],
      ['org/name', { revision: '../../x' }],
    ] as [string, HubOptions][]) {
      const e = await hubFiles(repo, { ...o, fetch: noFetch, cacheDir: path.join(os.tmpdir(), 'never-used') }).catch((x: unknown) => x);
      expect(isHubError(e, 'invalid-argument'), `${repo} ${JSON.stringify(o)}`).toBe(true);
    }
  });

  it('builds the Hub URL layout, mirrors and revisions included', async () => {
    const { resolveUrl } = await import('./location.ts');
    expect(resolveUrl(hubLocation('sentence-transformers/all-MiniLM-L6-v2', 'https://hf-mirror.com/', 'main'), '1_Pooling/config.json')).toBe(
      'https://hf-mirror.com/sentence-transformers/all-MiniLM-L6-v2/resolve/main/1_Pooling/config.json',
    );
    expect(resolveUrl(hubLocation('org/m', 'https://huggingface.co', 'refs/pr/1'), 'config.json')).toBe(
      'https://huggingface.co/org/m/resolve/refs%2Fpr%2F1/config.json',
    );
    expect(hubLocation('org/m', 'https://huggingface.co', 'refs/pr/1').cachePrefix).toBe('huggingface.co/org/m/refs--pr--1');
  });
});
