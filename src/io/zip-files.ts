// A .zip of a model folder as ModelFiles — what people download from a Hub "Files" page or
// export from Colab — in the browser and in Node alike (fflate, no native code).
//
// Before anything is inflated, the central directory is read on its own and checked: every entry
// must stay inside the folder (no "..", no absolute paths), and the sizes the archive declares
// must fit the bound (fflate allocates each file's declared size up front, so a lying header
// would otherwise cost gigabytes of memory before any check could run).
// A single top-level folder ("all-MiniLM-L6-v2/config.json") is detected and stripped.

import { unzip, unzipSync, type UnzipFileInfo, type Unzipped } from 'fflate';
import type { ModelFiles } from './load-model.ts';

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

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, the zip one) of `data`. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The CRC-32 of every central-directory entry, in directory order: the order fflate's filter
 * sees them in. fflate reads the same records but keeps the checksum to itself. Walks the
 * directory the way fflate does (end record, zip64 locator), reading past the end as 0 like it.
 */
function centralDirectoryCrcs(d: Uint8Array): number[] {
  const b2 = (i: number) => (d[i] ?? 0) | ((d[i + 1] ?? 0) << 8);
  const b4 = (i: number) => (b2(i) | (b2(i + 2) << 16)) >>> 0;
  let e = d.length - 22;
  while (e > 0 && b4(e) !== 0x06054b50) e--;
  let count = b2(e + 8);
  let o = b4(e + 16);
  if (b4(e - 20) === 0x07064b50) {
    const ze = b4(e - 12);
    if (b4(ze) === 0x06064b50) {
      count = b4(ze + 32);
      o = b4(ze + 48);
    }
  }
  const crcs: number[] = [];
  for (let i = 0; i < count && o < d.length; i++) {
    crcs.push(b4(o + 16));
    o += 46 + b2(o + 28) + b2(o + 30) + b2(o + 32);
  }
  return crcs;
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

  const crcs = centralDirectoryCrcs(bytes);
  if (crcs.length !== infos.length) throw new ZipError(`${name}: not a readable zip archive (the central directory is damaged)`);

  const wanted = new Map<string, string>(); // entry name → normalised path
  const expected = new Map<string, { size: number; crc: number }>(); // entry name → what inflating must give
  let declared = 0;
  for (const [k, f] of infos.entries()) {
    const checked = entryPath(f.name);
    if ('error' in checked) throw new ZipError(`${name}: entry "${f.name}" ${checked.error}; refusing to open this archive`);
    if (f.name.endsWith('/') || checked.path === '' || isJunk(checked.path)) continue; // folders and OS junk
    if ([...wanted.values()].includes(checked.path)) throw new ZipError(`${name}: "${checked.path}" appears twice in the archive`);
    if (f.compression !== 0 && f.compression !== 8) {
      throw new ZipError(`${name}: "${f.name}" uses compression method ${f.compression}; only stored and deflate entries are supported`);
    }
    declared += f.originalSize;
    wanted.set(f.name, checked.path);
    expected.set(f.name, { size: f.originalSize, crc: crcs[k] });
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
    if (p === undefined) continue;
    // fflate checks neither: a flipped byte or a lowered size field would come back as other content.
    const want = expected.get(entry)!;
    if (data.byteLength !== want.size) {
      throw new ZipError(`${name}: "${entry}" is damaged (size mismatch: ${data.byteLength} bytes inflated, the archive declares ${want.size})`);
    }
    if (crc32(data) !== want.crc) throw new ZipError(`${name}: "${entry}" is damaged (CRC mismatch)`);
    files.set(root ? p.slice(root.length + 1) : p, data);
  }
  for (const entry of wanted.keys()) {
    if (!Object.prototype.hasOwnProperty.call(out, entry)) throw new ZipError(`${name}: "${entry}" is listed in the archive but could not be read`);
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
