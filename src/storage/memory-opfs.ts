/**
 * An in-memory origin-private file system for tests and Node, with a byte quota so a write can
 * fail part-way with QuotaExceededError the way a full disk does. `createWritable` follows the
 * File System spec (changes go to a swap buffer and replace the file on close; abort discards
 * them) unless `inPlaceWrites` is set, which plays a sync access handle (writes land at once).
 */
import type { DirectoryLike, FileHandleLike, WritableLike } from './opfs.ts';

export interface MemoryDiskOptions {
  /** Bytes the whole disk may hold, swap buffers included (default: unlimited). */
  quota?: number;
  /** Whether file handles have move() (default true). */
  supportsMove?: boolean;
  /** Whether move() may replace an existing file (default true; false plays stricter implementations). */
  moveReplaces?: boolean;
  /** Writes land in the file at once instead of on close (default false). */
  inPlaceWrites?: boolean;
}

export class MemoryDisk {
  used = 0;
  quota: number;
  readonly supportsMove: boolean;
  readonly moveReplaces: boolean;
  readonly inPlaceWrites: boolean;
  readonly root: MemoryDirectory;

  constructor(options: MemoryDiskOptions = {}) {
    this.quota = options.quota ?? Infinity;
    this.supportsMove = options.supportsMove ?? true;
    this.moveReplaces = options.moveReplaces ?? true;
    this.inPlaceWrites = options.inPlaceWrites ?? false;
    this.root = new MemoryDirectory(this, '', null);
  }

  reserve(bytes: number): void {
    if (this.used + bytes > this.quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.used += bytes;
  }

  free(bytes: number): void {
    this.used -= bytes;
  }

  /** The bytes at a path such as "runs/a/weights.safetensors", or null. */
  read(path: string): Uint8Array | null {
    const parts = path.split('/');
    let dir: MemoryDirectory | undefined = this.root;
    for (const p of parts.slice(0, -1)) {
      const next: MemoryDirectory | MemoryFile | undefined = dir?.entries.get(p);
      dir = next instanceof MemoryDirectory ? next : undefined;
    }
    const f = dir?.entries.get(parts[parts.length - 1]);
    return f instanceof MemoryFile ? f.data : null;
  }

  /** A copy of the disk as it is now: what a browser finds after the tab crashed at this moment. */
  snapshot(): MemoryDisk {
    const copy = new MemoryDisk({ quota: this.quota, supportsMove: this.supportsMove, moveReplaces: this.moveReplaces, inPlaceWrites: this.inPlaceWrites });
    const walk = (from: MemoryDirectory, to: MemoryDirectory) => {
      for (const [name, e] of from.entries) {
        if (e instanceof MemoryDirectory) {
          const d = new MemoryDirectory(copy, name, to);
          to.entries.set(name, d);
          walk(e, d);
        } else {
          const f = new MemoryFile(copy, name, to);
          f.data = e.data.slice();
          to.entries.set(name, f);
        }
      }
    };
    walk(this.root, copy.root);
    copy.used = this.used;
    return copy;
  }

  /** Every file path, sorted. */
  paths(): string[] {
    const out: string[] = [];
    const walk = (d: MemoryDirectory, prefix: string) => {
      for (const [name, e] of d.entries) {
        if (e instanceof MemoryDirectory) walk(e, `${prefix}${name}/`);
        else out.push(prefix + name);
      }
    };
    walk(this.root, '');
    return out.sort();
  }
}

const notFound = (name: string) => new DOMException(`${name} was not found`, 'NotFoundError');

export class MemoryFile implements FileHandleLike {
  readonly kind = 'file' as const;
  data: Uint8Array = new Uint8Array(0);
  move?: (newName: string) => Promise<void>;

  constructor(private readonly disk: MemoryDisk, public name: string, private parent: MemoryDirectory) {
    if (disk.supportsMove) this.move = (newName) => this.rename(newName);
  }

  async getFile(): Promise<Blob> {
    return new Blob([this.data as Uint8Array<ArrayBuffer>]);
  }

  private setData(next: Uint8Array): void {
    this.disk.free(this.data.length);
    this.data = next;
  }

  async createWritable(options?: { keepExistingData?: boolean }): Promise<WritableLike> {
    const disk = this.disk;
    const file = this;
    if (disk.inPlaceWrites) {
      if (!options?.keepExistingData) file.setData(new Uint8Array(0));
      return {
        async write(chunk) {
          disk.reserve(chunk.length);
          const next = new Uint8Array(file.data.length + chunk.length);
          next.set(file.data);
          next.set(chunk, file.data.length);
          file.data = next;
        },
        async close() {},
        async abort() {},
      };
    }
    let swap: Uint8Array = options?.keepExistingData ? file.data.slice() : new Uint8Array(0);
    disk.reserve(swap.length);
    let open = true;
    return {
      async write(chunk) {
        if (!open) throw new TypeError('the stream is closed');
        disk.reserve(chunk.length);
        const next = new Uint8Array(swap.length + chunk.length);
        next.set(swap);
        next.set(chunk, swap.length);
        swap = next;
      },
      async close() {
        if (!open) throw new TypeError('the stream is closed');
        open = false;
        file.setData(swap);
      },
      async abort() {
        if (!open) return;
        open = false;
        disk.free(swap.length);
      },
    };
  }

  private async rename(newName: string): Promise<void> {
    const existing = this.parent.entries.get(newName);
    if (existing === this) return;
    if (existing instanceof MemoryDirectory) throw new DOMException(`${newName} is a directory`, 'InvalidModificationError');
    if (existing && !this.disk.moveReplaces) throw new DOMException(`${newName} exists`, 'InvalidModificationError');
    if (existing instanceof MemoryFile) this.disk.free(existing.data.length);
    this.parent.entries.delete(this.name);
    this.parent.entries.set(newName, this);
    this.name = newName;
  }
}

export class MemoryDirectory implements DirectoryLike {
  readonly kind = 'directory' as const;
  readonly entries = new Map<string, MemoryDirectory | MemoryFile>();

  constructor(private readonly disk: MemoryDisk, readonly name: string, readonly parent: MemoryDirectory | null) {}

  async getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<MemoryDirectory> {
    const e = this.entries.get(name);
    if (e instanceof MemoryDirectory) return e;
    if (e) throw new DOMException(`${name} is a file`, 'TypeMismatchError');
    if (!options?.create) throw notFound(name);
    const d = new MemoryDirectory(this.disk, name, this);
    this.entries.set(name, d);
    return d;
  }

  async getFileHandle(name: string, options?: { create?: boolean }): Promise<MemoryFile> {
    const e = this.entries.get(name);
    if (e instanceof MemoryFile) return e;
    if (e) throw new DOMException(`${name} is a directory`, 'TypeMismatchError');
    if (!options?.create) throw notFound(name);
    const f = new MemoryFile(this.disk, name, this);
    this.entries.set(name, f);
    return f;
  }

  async removeEntry(name: string, options?: { recursive?: boolean }): Promise<void> {
    const e = this.entries.get(name);
    if (!e) throw notFound(name);
    if (e instanceof MemoryDirectory && e.entries.size > 0 && !options?.recursive) throw new DOMException(`${name} is not empty`, 'InvalidModificationError');
    const freeAll = (x: MemoryDirectory | MemoryFile) => {
      if (x instanceof MemoryFile) this.disk.free(x.data.length);
      else for (const c of x.entries.values()) freeAll(c);
    };
    freeAll(e);
    this.entries.delete(name);
  }
}
