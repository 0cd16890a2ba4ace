/**
 * Weights on disk, in the origin-private file system (navigator.storage.getDirectory()):
 * `runs/<id>/weights.safetensors`. Files are replaced atomically: the new bytes go to
 * `<name>.tmp` first and only a complete file takes the old one's place, so a full disk or a
 * closed tab mid-write never leaves a half-written file where the previous good one was.
 *
 * The code talks to a minimal directory interface that the browser's FileSystemDirectoryHandle
 * satisfies as it is; tests use an in-memory one (memory-opfs.ts) that can fail mid-write.
 */
import { storageProblem } from './quota.ts';

export interface WritableLike {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}

export interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<Blob>;
  createWritable(options?: { keepExistingData?: boolean }): Promise<WritableLike>;
  /** Rename within the same directory. Newer browsers only (Chrome 110+, Firefox 111+, Safari 16.4+). */
  move?(newName: string): Promise<void>;
}

export interface DirectoryLike {
  readonly kind: 'directory';
  readonly name: string;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirectoryLike>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
}

export const WEIGHTS_FILE = 'weights.safetensors';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const TMP = '.tmp';
const OLD = '.old';
/** Writes in slices so a quota failure surfaces early and no single write copies the whole file. */
const CHUNK_BYTES = 8 * 1024 * 1024;

function isNotFound(e: unknown): boolean {
  return !!e && typeof e === 'object' && ((e as { name?: string }).name === 'NotFoundError' || (e as { name?: string }).name === 'TypeMismatchError');
}

async function fileOrNull(dir: DirectoryLike, name: string): Promise<FileHandleLike | null> {
  try {
    return await dir.getFileHandle(name);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

async function removeQuietly(dir: DirectoryLike, name: string): Promise<void> {
  try {
    await dir.removeEntry(name);
  } catch {
    // Already gone, or not removable now: a leftover temporary file is harmless.
  }
}

async function writeAll(handle: FileHandleLike, bytes: Uint8Array): Promise<void> {
  const w = await handle.createWritable({ keepExistingData: false });
  try {
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) await w.write(bytes.subarray(at, Math.min(bytes.length, at + CHUNK_BYTES)));
    await w.close();
  } catch (e) {
    await w.abort(e).catch(() => undefined);
    throw e;
  }
}

/** How a file was put in place: by rename, or by a copy where the browser cannot rename. */
export type CommitMethod = 'move' | 'copy';

/**
 * Writes `bytes` to `dir/name` so that readers only ever see the old file or the new one.
 * On a full disk it throws a StorageFullError and leaves the old file as it was.
 */
export async function writeFileAtomic(dir: DirectoryLike, name: string, bytes: Uint8Array, what = name): Promise<CommitMethod> {
  const tmpName = name + TMP;
  const kept = 'The previously saved file is untouched.';
  const tmp = await dir.getFileHandle(tmpName, { create: true });
  try {
    await writeAll(tmp, bytes);
    const written = (await tmp.getFile()).size;
    if (written !== bytes.length) throw new Error(`${what}: wrote ${written} of ${bytes.length} bytes`);
  } catch (e) {
    await removeQuietly(dir, tmpName);
    throw storageProblem(e, `saving ${what}`, kept);
  }

  if (typeof tmp.move === 'function') {
    try {
      await tmp.move(name);
      return 'move';
    } catch {
      // Some implementations refuse to rename onto an existing file: move the old one aside first.
    }
    const old = await fileOrNull(dir, name);
    if (old && typeof old.move === 'function') {
      await removeQuietly(dir, name + OLD);
      try {
        await old.move(name + OLD);
        try {
          await tmp.move(name);
          await removeQuietly(dir, name + OLD);
          return 'move';
        } catch {
          await old.move(name).catch(() => undefined);
        }
      } catch {
        // Fall through to the copy.
      }
    }
  }

  // No rename: copy into the final file. createWritable() writes to a swap file that replaces
  // the old contents only on close(), so the old file stays whole until the copy is complete.
  try {
    const final = await dir.getFileHandle(name, { create: true });
    await writeAll(final, bytes);
  } catch (e) {
    await removeQuietly(dir, tmpName);
    throw storageProblem(e, `saving ${what}`, kept);
  }
  await removeQuietly(dir, tmpName);
  return 'copy';
}

/**
 * Reads `dir/name`. With `expectedBytes`, a file of another size is treated as damaged and the
 * complete temporary or set-aside copy (left by a tab closed mid-commit) is used instead.
 */
export async function readFileChecked(dir: DirectoryLike, name: string, expectedBytes?: number): Promise<Uint8Array | null> {
  for (const candidate of [name, name + TMP, name + OLD]) {
    const handle = await fileOrNull(dir, candidate);
    if (!handle) continue;
    const file = await handle.getFile();
    if (expectedBytes !== undefined && file.size !== expectedBytes) continue;
    if (expectedBytes === undefined && candidate !== name) continue;
    return new Uint8Array(await file.arrayBuffer());
  }
  return null;
}

/** The runs' folders in the origin-private file system. */
export class RunFiles {
  constructor(private readonly root: () => Promise<DirectoryLike>) {}

  private async runsDir(create: boolean): Promise<DirectoryLike | null> {
    try {
      return await (await this.root()).getDirectoryHandle('runs', { create });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  private async runDir(id: string, create: boolean): Promise<DirectoryLike | null> {
    const runs = await this.runsDir(create);
    if (!runs) return null;
    try {
      return await runs.getDirectoryHandle(id, { create });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /** Saves a run's weights atomically; returns the file's path inside the run's folder. */
  async writeWeights(id: string, bytes: Uint8Array): Promise<{ file: string; bytes: number; method: CommitMethod }> {
    const dir = (await this.runDir(id, true))!;
    const method = await writeFileAtomic(dir, WEIGHTS_FILE, bytes, `the weights of run ${id}`);
    return { file: `runs/${id}/${WEIGHTS_FILE}`, bytes: bytes.length, method };
  }

  async readWeights(id: string, expectedBytes?: number): Promise<Uint8Array | null> {
    const dir = await this.runDir(id, false);
    return dir ? readFileChecked(dir, WEIGHTS_FILE, expectedBytes) : null;
  }

  /** Saves a run's training checkpoint atomically (the previous one stays whole until the new one is). */
  async writeCheckpoint(id: string, bytes: Uint8Array): Promise<{ file: string; bytes: number; method: CommitMethod }> {
    const dir = (await this.runDir(id, true))!;
    const method = await writeFileAtomic(dir, CHECKPOINT_FILE, bytes, `the checkpoint of run ${id}`);
    return { file: `runs/${id}/${CHECKPOINT_FILE}`, bytes: bytes.length, method };
  }

  /**
   * Every complete-looking copy of a run's checkpoint: the file, and a temporary or set-aside one
   * a tab closed mid-commit may have left. The caller decodes them and keeps the newest good one.
   */
  async readCheckpointCopies(id: string): Promise<Uint8Array[]> {
    const dir = await this.runDir(id, false);
    if (!dir) return [];
    const out: Uint8Array[] = [];
    for (const name of [CHECKPOINT_FILE, CHECKPOINT_FILE + TMP, CHECKPOINT_FILE + OLD]) {
      const handle = await fileOrNull(dir, name);
      if (handle) out.push(new Uint8Array(await (await handle.getFile()).arrayBuffer()));
    }
    return out;
  }

  async deleteCheckpoint(id: string): Promise<void> {
    const dir = await this.runDir(id, false);
    if (!dir) return;
    for (const name of [CHECKPOINT_FILE, CHECKPOINT_FILE + TMP, CHECKPOINT_FILE + OLD]) await removeQuietly(dir, name);
  }

  async deleteRun(id: string): Promise<void> {
    const runs = await this.runsDir(false);
    if (!runs) return;
    try {
      await runs.removeEntry(id, { recursive: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

// ---- the browser's OPFS ------------------------------------------------------------------------------

type SyncAccessHandle = {
  write(data: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
};

/**
 * A writable over a worker's sync access handle, for browsers without createWritable (older
 * Safari). Its writes land in place, so the tmp-then-rename in writeFileAtomic is what keeps the
 * previous file whole.
 */
function syncWritable(handle: { createSyncAccessHandle(): Promise<SyncAccessHandle> }): Promise<WritableLike> {
  return handle.createSyncAccessHandle().then((access) => {
    access.truncate(0);
    let at = 0;
    return {
      async write(data: Uint8Array) {
        at += access.write(data, { at });
      },
      async close() {
        access.flush();
        access.close();
      },
      async abort() {
        access.close();
      },
    };
  });
}

function wrapFile(handle: FileSystemFileHandle): FileHandleLike {
  const h = handle as unknown as FileHandleLike & { createSyncAccessHandle?(): Promise<SyncAccessHandle> };
  if (typeof h.createWritable === 'function') return h;
  if (typeof h.createSyncAccessHandle !== 'function') throw new Error('this browser cannot write files in its private file system');
  const sync = h as unknown as { createSyncAccessHandle(): Promise<SyncAccessHandle> };
  return {
    kind: 'file',
    name: handle.name,
    getFile: () => handle.getFile(),
    createWritable: () => syncWritable(sync),
    ...(typeof h.move === 'function' ? { move: (newName: string) => h.move!(newName) } : {}),
  };
}

function wrapDirectory(handle: FileSystemDirectoryHandle): DirectoryLike {
  return {
    kind: 'directory',
    name: handle.name,
    getDirectoryHandle: async (name, options) => wrapDirectory(await handle.getDirectoryHandle(name, options)),
    getFileHandle: async (name, options) => wrapFile(await handle.getFileHandle(name, options)),
    removeEntry: (name, options) => handle.removeEntry(name, options),
  };
}

/** The origin-private file system's root, or an error saying why there is none. */
export async function opfsRoot(storage: { getDirectory?(): Promise<FileSystemDirectoryHandle> } | undefined = globalThis.navigator?.storage): Promise<DirectoryLike> {
  if (!storage?.getDirectory) throw new Error("this browser has no origin-private file system: trained weights can't be kept between visits");
  return wrapDirectory(await storage.getDirectory());
}
