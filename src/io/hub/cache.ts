// Storage for downloaded model files, keyed by "<endpoint-host>/<repo>/<revision>/<path>".
// Two backends implement it (a Node folder, the browser's Cache Storage) plus an in-memory one
// for tests and for browsers without Cache Storage. Interrupted downloads are kept as "partial"
// entries together with the ETag they belong to, so a later attempt can continue with a Range
// request only when the server still has the same file.

export interface PartialDownload {
  /** Bytes already stored. */
  readonly size: number;
  /** ETag of the response the bytes came from; resuming is only safe when it still matches. */
  readonly etag: string | null;
  /** Full size announced by the server, when it was. */
  readonly total: number | null;
}

export interface OpenWriterOptions {
  /** true: continue after the stored partial bytes; false: start empty (dropping any partial). */
  readonly resume: boolean;
  readonly etag: string | null;
  readonly total: number | null;
}

/** One file being written. Exactly one of commit / suspend / discard ends it. */
export interface HubCacheWriter {
  /** Bytes held so far, resumed bytes included. */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Everything written (resumed bytes included), read back for verification. */
  bytes(): Promise<Uint8Array>;
  /** The file is complete: make it readable through get(). */
  commit(): Promise<void>;
  /** Keep the bytes as a partial download to resume later. */
  suspend(): Promise<void>;
  /** Forget the bytes (corrupt, or superseded by a fresh download). */
  discard(): Promise<void>;
}

/** Where a writer that holds its bytes in memory puts them when it is done with them. */
export interface HeldBytesSink {
  commit(bytes: Uint8Array): Promise<void>;
  suspend(bytes: Uint8Array): Promise<void>;
  discard(): Promise<void>;
}

/**
 * A writer that keeps the chunks in memory (after `start`, the resumed bytes) and hands them,
 * joined, to `sink` on commit or suspend: the memory cache and Cache Storage both write this way.
 */
export function heldBytesWriter(start: Uint8Array | undefined, sink: HeldBytesSink): HubCacheWriter {
  const chunks: Uint8Array[] = start && start.byteLength > 0 ? [start] : [];
  let size = start?.byteLength ?? 0;
  return {
    get size() {
      return size;
    },
    write: async (chunk) => {
      chunks.push(chunk.slice());
      size += chunk.byteLength;
    },
    bytes: async () => concatBytes(chunks),
    commit: async () => sink.commit(concatBytes(chunks)),
    suspend: async () => sink.suspend(concatBytes(chunks)),
    discard: async () => sink.discard(),
  };
}

export interface HubCache {
  /** For messages and the download summary ("/home/me/.cache/…", "Cache Storage …"). */
  readonly location: string;
  /** A complete file, or null. */
  get(key: string): Promise<Uint8Array | null>;
  has(key: string): Promise<boolean>;
  partial(key: string): Promise<PartialDownload | null>;
  open(key: string, options: OpenWriterOptions): Promise<HubCacheWriter>;
  /** Removes the complete file and any partial download. */
  delete(key: string): Promise<void>;
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Stores a small file (the manifest) in one go. */
export async function putBytes(cache: HubCache, key: string, bytes: Uint8Array): Promise<void> {
  const w = await cache.open(key, { resume: false, etag: null, total: bytes.byteLength });
  await w.write(bytes);
  await w.commit();
}

/**
 * Holds everything in memory for one session: for tests, and the fallback where neither a file
 * system nor Cache Storage exists (an insecure browser context). Nothing survives a reload.
 */
export class MemoryHubCache implements HubCache {
  readonly location = 'memory';
  private readonly files = new Map<string, Uint8Array>();
  private readonly partials = new Map<string, { bytes: Uint8Array; etag: string | null; total: number | null }>();

  async get(key: string): Promise<Uint8Array | null> {
    return this.files.get(key) ?? null;
  }

  async has(key: string): Promise<boolean> {
    return this.files.has(key);
  }

  async partial(key: string): Promise<PartialDownload | null> {
    const p = this.partials.get(key);
    return p && p.bytes.byteLength > 0 ? { size: p.bytes.byteLength, etag: p.etag, total: p.total } : null;
  }

  async open(key: string, options: OpenWriterOptions): Promise<HubCacheWriter> {
    const start = options.resume ? this.partials.get(key)?.bytes : undefined;
    this.partials.delete(key);
    return heldBytesWriter(start, {
      commit: async (bytes) => {
        this.files.set(key, bytes);
      },
      suspend: async (bytes) => {
        this.partials.set(key, { bytes, etag: options.etag, total: options.total });
      },
      discard: async () => {},
    });
  }

  async delete(key: string): Promise<void> {
    this.files.delete(key);
    this.partials.delete(key);
  }
}
