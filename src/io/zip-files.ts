// A .zip of a model folder as ModelFiles — what people download from a Hub "Files" page or
// export from Colab — in the browser and in Node alike (fflate, no native code).
//
// Before anything is inflated, the central directory is read on its own and checked: every entry
// must stay inside the folder (no "..", no absolute paths), and the sizes the archive declares
// must fit the bound (fflate allocates each file's declared size up front, so a lying header
// would otherwise cost gigabytes of memory before any check could run).
// A single top-level folder ("all-MiniLM-L6-v2/config.json") is detected and stripped.

import { unzip, unzipSync, type UnzipFileInfo, type Unzipped } from 'fflate';
import type { ModelFiles } from '../model/load-model.ts';

/** Default bound on the total uncompressed size: 2 GiB, above any BERT-base-sized model. */
export const DEFAULT_MAX_ZIP_BYTES = 2 * 1024 ** 3;

export interface ZipFilesOptions {
  /** Shown in messages; defaults to the File's name, else "model.zip". */
  name?: string;
  /** Largest total uncompressed size accepted, in bytes (default DEFAULT_MAX_ZIP_BYTES). */
  maxTotalBytes?: number;
}

export type ZipModelFiles = ModelFiles & {
  /** The top-level folder that was stripped ("" when the files sit at the zip's root). */
  readonly root: string;
  /** Model paths (root stripped), sorted. */
  readonly paths: readonly string[];
};

export class ZipError extends Error {
  override readonly name = 'ZipError';
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2).replace(/\.?0+$/, '')} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1).replace(/\.0$/, '')} MiB`;
  return `${n} bytes`;
}

/** Files macOS and Windows add to archives; never part of a model. */
function isJunk(p: string): boolean {
  const base = p.slice(p.lastIndexOf('/') + 1);
  return p.startsWith('__MACOSX/') || base === '.DS_Store' || base === 'Thumbs.db';
}

/** A normalised relative path, or an error message when the entry would escape the folder. */
function entryPath(raw: string): { path: string } | { error: string } {
  const p = raw.replaceAll('\\', '/'); // archives made on Windows sometimes use backslashes
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return { error: 'is an absolute path' };
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) return { error: 'climbs out of the folder with ".."' };
  return { path: parts.join('/') };
}

async function toBytes(source: Uint8Array | ArrayBuffer | Blob): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  return new Uint8Array(await source.arrayBuffer());
}

function inflate(bytes: Uint8Array, accept: (f: UnzipFileInfo) => boolean): Promise<Unzipped> {
  // Async unzip: large entries inflate off the calling thread (Web Workers / worker_threads).
  return new Promise((resolve, reject) => {
    unzip(bytes, { filter: accept }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

export async function zipFiles(source: Uint8Array | ArrayBuffer | Blob, options: ZipFilesOptions = {}): Promise<ZipModelFiles> {
  const fileName = typeof File !== 'undefined' && source instanceof File ? source.name : undefined;
  const name = options.name ?? fileName ?? 'model.zip';
  const max = options.maxTotalBytes ?? DEFAULT_MAX_ZIP_BYTES;
  const bytes = await toBytes(source);

  // 1. The central directory alone: a filter that accepts nothing lists every entry, inflating none.
  const infos: UnzipFileInfo[] = [];
  try {
    unzipSync(bytes, { filter: (f) => (infos.push(f), false) });
  } catch (e) {
    throw new ZipError(`${name}: not a readable zip archive (${(e as Error).message})`);
  }

  const wanted = new Map<string, string>(); // entry name → normalised path
  let declared = 0;
  for (const f of infos) {
    const checked = entryPath(f.name);
    if ('error' in checked) throw new ZipError(`${name}: entry "${f.name}" ${checked.error}; refusing to open this archive`);
    if (f.name.endsWith('/') || checked.path === '' || isJunk(checked.path)) continue; // folders and OS junk
    if ([...wanted.values()].includes(checked.path)) throw new ZipError(`${name}: "${checked.path}" appears twice in the archive`);
    if (f.compression !== 0 && f.compression !== 8) {
      throw new ZipError(`${name}: "${f.name}" uses compression method ${f.compression}; only stored and deflate entries are supported`);
    }
    declared += f.originalSize;
    wanted.set(f.name, checked.path);
  }
  if (declared > max) {
    throw new ZipError(
      `${name}: the archive declares ${formatBytes(declared)} uncompressed, over the ${formatBytes(max)} limit; ` +
        'refusing to inflate it (raise maxTotalBytes if this model really is that large)',
    );
  }
  if (wanted.size === 0) throw new ZipError(`${name}: the archive contains no files`);

  // 2. One top-level folder holding everything → the model folder is that folder.
  const firsts = new Set([...wanted.values()].map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const root = firsts.size === 1 && !firsts.has('') ? [...firsts][0] : '';

  // 3. Inflate only the accepted entries.
  let out: Unzipped;
  try {
    out = await inflate(bytes, (f) => wanted.has(f.name));
  } catch (e) {
    throw new ZipError(`${name}: the archive is damaged (${(e as Error).message})`);
  }
  const files = new Map<string, Uint8Array>();
  let actual = 0;
  for (const [entry, data] of Object.entries(out)) {
    actual += data.byteLength;
    const p = wanted.get(entry);
    if (p !== undefined) files.set(root ? p.slice(root.length + 1) : p, data);
  }
  if (actual > max) throw new ZipError(`${name}: inflated to ${formatBytes(actual)}, over the ${formatBytes(max)} limit`);

  const decoder = new TextDecoder();
  const lookup = (p: string): Uint8Array | null => files.get(p.replace(/^\.\//, '')) ?? null;
  return {
    name,
    root,
    paths: [...files.keys()].sort(),
    readBytes: async (p) => lookup(p),
    readText: async (p) => {
      const b = lookup(p);
      return b === null ? null : decoder.decode(b);
    },
  };
}
