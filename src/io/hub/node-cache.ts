// The Hub cache as plain files (Node only):
//   <root>/<endpoint-host>/<repo>/<revision>/<path>            complete files, as in the repo
//   <root>/…/<path>.partial + <path>.partial.json              an interrupted download + its ETag
// Complete files appear by renaming the .partial, so a crash never leaves a truncated file that
// looks complete.

import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HubError } from './errors.ts';
import type { HubCache, HubCacheWriter, OpenWriterOptions, PartialDownload } from './cache.ts';

export function defaultNodeCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'embedding-studio', 'hub');
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

function cacheError(what: string, file: string, e: unknown): HubError {
  return new HubError('cache', `cannot ${what} ${file} in the Hub cache: ${(e as Error).message}`, { cause: e });
}

export class NodeFolderCache implements HubCache {
  readonly location: string;

  constructor(root: string = defaultNodeCacheDir()) {
    this.location = path.resolve(root);
  }

  /** Keys are validated by location.ts; this is a second fence against leaving the root. */
  private file(key: string): string {
    const p = path.resolve(this.location, ...key.split('/'));
    if (!p.startsWith(this.location + path.sep)) throw new HubError('invalid-argument', `cache key "${key}" leaves the cache folder`);
    return p;
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const b = await readFile(this.file(key));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (isMissing(e)) return null;
      throw cacheError('read', this.file(key), e);
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.file(key))).isFile();
    } catch {
      return false;
    }
  }

  async partial(key: string): Promise<PartialDownload | null> {
    const f = this.file(key);
    try {
      // The file's real length is authoritative: the process may have died after a write.
      const size = (await stat(`${f}.partial`)).size;
      if (size === 0) return null;
      const meta = JSON.parse(await readFile(`${f}.partial.json`, 'utf8')) as { etag?: unknown; total?: unknown };
      return {
        size,
        etag: typeof meta.etag === 'string' ? meta.etag : null,
        total: typeof meta.total === 'number' ? meta.total : null,
      };
    } catch {
      return null; // no partial, or an unreadable sidecar: start over
    }
  }

  async open(key: string, options: OpenWriterOptions): Promise<HubCacheWriter> {
    const f = this.file(key);
    const partialPath = `${f}.partial`;
    let fh: FileHandle;
    let size = 0;
    try {
      await mkdir(path.dirname(f), { recursive: true });
      fh = await open(partialPath, options.resume ? 'a' : 'w');
      if (options.resume) size = (await fh.stat()).size;
      await writeJson(`${partialPath}.json`, { etag: options.etag, total: options.total });
    } catch (e) {
      throw cacheError('write', partialPath, e);
    }
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close();
      }
    };
    const dropPartial = async () => {
      await rm(partialPath, { force: true });
      await rm(`${partialPath}.json`, { force: true });
    };
    return {
      get size() {
        return size;
      },
      write: async (chunk) => {
        try {
          await fh.write(chunk);
        } catch (e) {
          throw cacheError('write', partialPath, e);
        }
        size += chunk.byteLength;
      },
      bytes: async () => {
        await close();
        const b = await readFile(partialPath);
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      },
      commit: async () => {
        await close();
        try {
          await rename(partialPath, f);
          await rm(`${partialPath}.json`, { force: true });
        } catch (e) {
          throw cacheError('store', f, e);
        }
      },
      suspend: close,
      discard: async () => {
        await close();
        await dropPartial();
      },
    };
  }

  async delete(key: string): Promise<void> {
    const f = this.file(key);
    for (const p of [f, `${f}.partial`, `${f}.partial.json`]) await rm(p, { force: true });
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await fh.writeFile(JSON.stringify(value));
  } finally {
    await fh.close();
  }
}
