// Downloads one file of a Hub repo into the cache: resumes a partial download with a Range
// request, restarts cleanly when the server answers 200 or the file changed, retries a few times
// when the body is cut off, verifies the size and (for LFS files) the sha256, and reports bytes.

import type { HubCache } from './cache.ts';
import { HubError } from './errors.ts';
import { httpError, interrupted, networkError, type RequestContext } from './http-errors.ts';
import { isSha256, parseContentRange, parseEtag, sha256Hex, sizeHeader } from './integrity.ts';
import { cacheKey, resolveUrl, type HubLocation } from './location.ts';

export interface FetchContext {
  readonly loc: HubLocation;
  readonly cache: HubCache;
  readonly fetch: typeof fetch;
  readonly token: string | null;
  readonly signal: AbortSignal | undefined;
  /** How many times a cut-off body is resumed within one call before giving up. */
  readonly retries: number;
  readonly retryDelayMs: number;
  /** loaded counts resumed bytes too, so it ends at total. */
  readonly onBytes: (file: string, loaded: number, total: number | null) => void;
}

/** Where the bytes came from: the cache, a fresh download, or a download resumed with Range. */
export type FileSource = 'cache' | 'network' | 'resumed';

export interface HubFileResult {
  readonly path: string;
  /** null for cache hits (the file is not read just to report its size). */
  readonly size: number | null;
  readonly etag: string | null;
  readonly source: FileSource;
  /** What was checked: the announced sha256, only the announced size, or nothing. */
  readonly verified: 'sha256' | 'size' | 'none';
  /** Bytes received over the network by this call. */
  readonly bytesTransferred: number;
}

/** Errors that mean "this repo or revision does not exist", never "this one file is absent". */
const REPO_LEVEL_CODES = new Set(['RepoNotFound', 'RevisionNotFound', 'GatedRepo']);

async function drain(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // the connection is being dropped anyway
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Returns null when `optional` and the server says the file does not exist (404 without a
 * repo-level error code); throws a HubError for everything else that goes wrong, or the
 * AbortSignal's reason when cancelled (any partial download is kept for resuming).
 */
export async function fetchFile(ctx: FetchContext, path: string, optional: boolean): Promise<HubFileResult | null> {
  const key = cacheKey(ctx.loc, path);
  if (await ctx.cache.has(key)) return { path, size: null, etag: null, source: 'cache', verified: 'none', bytesTransferred: 0 };

  const rc: RequestContext = { loc: ctx.loc, file: path, hasToken: ctx.token !== null };
  const url = resolveUrl(ctx.loc, path);
  let interruptions = 0;
  let restarts = 0; // 416s and changed files: bounded so a misbehaving server cannot loop us
  let transferred = 0;
  let resumed = false;

  for (;;) {
    ctx.signal?.throwIfAborted();
    const partial = await ctx.cache.partial(key);
    // Resuming needs the partial's ETag, to check the server still has the same file.
    const from = partial !== null && partial.etag !== null ? partial.size : 0;
    // identity: a compressed body's Content-Length is not the file's size, and Range offsets
    // must count file bytes. (Browsers drop this forbidden header and manage encoding themselves.)
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (ctx.token !== null) headers.authorization = `Bearer ${ctx.token}`;
    if (from > 0) headers.range = `bytes=${from}-`;

    let res: Response;
    try {
      res = await ctx.fetch(url, { headers, signal: ctx.signal, redirect: 'follow' });
    } catch (e) {
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      throw networkError(rc, e);
    }

    if (res.status === 416 && from > 0 && restarts++ < 2) {
      // The partial is as long as (or longer than) the file now is: start over.
      await drain(res);
      await ctx.cache.delete(key);
      continue;
    }
    if (res.status !== 200 && res.status !== 206) {
      await drain(res);
      const code = res.headers.get('x-error-code') ?? '';
      if (optional && res.status === 404 && !REPO_LEVEL_CODES.has(code)) return null;
      throw httpError(rc, res);
    }

    // On huggingface.co the first response is a redirect carrying X-Linked-*; fetch follows it,
    // and mirrors or the CDN answer with the same values in ETag / Content-Length.
    const etag = parseEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    const linkedSize = sizeHeader(res.headers.get('x-linked-size'));
    const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    let total: number | null;
    let resume = false;
    if (res.status === 206) {
      const range = parseContentRange(res.headers.get('content-range'));
      if (from === 0 || range === null || range.start !== from || partial?.etag !== etag) {
        // Not the continuation we asked for (or the file changed since): discard and restart.
        await drain(res);
        await ctx.cache.delete(key);
        if (restarts++ >= 2) throw new HubError('http', `${ctx.loc.endpoint} sent an unusable partial response for ${ctx.loc.repo}/${path}`, { file: path, status: 206 });
        continue;
      }
      total = range.total ?? linkedSize;
      resume = true;
      resumed = true;
    } else {
      // 200 after a Range request: the server ignores ranges; the writer starts empty.
      total = linkedSize ?? (encoded ? null : sizeHeader(res.headers.get('content-length')));
    }

    const writer = await ctx.cache.open(key, { resume, etag, total });
    let loaded = writer.size;
    ctx.onBytes(path, loaded, total);
    let failure: unknown = null;
    const reader = res.body?.getReader();
    if (reader) {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await writer.write(value);
          loaded += value.byteLength;
          transferred += value.byteLength;
          ctx.onBytes(path, loaded, total);
        }
      } catch (e) {
        failure = e ?? new Error('the response body failed');
        await reader.cancel().catch(() => undefined);
      }
    }
    if (failure === null && total !== null && loaded < total) failure = new Error(`the body ended after ${loaded} of ${total} bytes`);

    if (failure !== null) {
      await writer.suspend(); // keep the bytes for the next attempt or the next run
      if (ctx.signal?.aborted) throw ctx.signal.reason;
      if (failure instanceof HubError) throw failure; // the cache failed, not the network
      if (interruptions++ < ctx.retries) {
        await sleep(ctx.retryDelayMs * interruptions, ctx.signal);
        continue;
      }
      throw interrupted(rc, loaded, total, failure);
    }

    if (total !== null && loaded > total) {
      await writer.discard();
      throw new HubError('integrity', `${ctx.loc.repo}/${path}: received ${loaded} bytes but ${ctx.loc.endpoint} announced ${total}; run again to download it afresh`, { file: path });
    }
    let verified: HubFileResult['verified'] = total !== null ? 'size' : 'none';
    if (isSha256(etag)) {
      const actual = await sha256Hex(await writer.bytes());
      if (actual !== etag.toLowerCase()) {
        await writer.discard();
        throw new HubError(
          'integrity',
          `${ctx.loc.repo}/${path} is corrupt: its sha256 is ${actual} but ${ctx.loc.endpoint} announced ${etag}; ` +
            'the download was deleted, run again to download it afresh',
          { file: path },
        );
      }
      verified = 'sha256';
    }
    await writer.commit();
    return { path, size: loaded, etag, source: resumed ? 'resumed' : 'network', verified, bytesTransferred: transferred };
  }
}
