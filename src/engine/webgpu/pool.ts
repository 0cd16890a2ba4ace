/**
 * GPU buffers recycled across steps. Sizes are rounded up to classes 1, 1.25, 1.5, 1.75 × 2^k
 * bytes: a training step asks for the same shapes every time (exact reuse), while batches of
 * different sequence lengths still share buffers with at most 25% slack.
 *
 * Step-scoped buffers go back to the free lists only in `recycleStep`, which the backend calls
 * right after submitting the step. Until then pending commands may still read them, and
 * `queue.writeBuffer` into a reused buffer must come after the submission that last used it.
 */

export interface PoolStats {
  /** Buffers created since the pool was made (growth across steps means a leak). */
  readonly created: number;
  readonly inUse: number;
  readonly free: number;
  readonly bytes: number;
}

const MIN_BYTES = 256;

export function sizeClass(bytes: number): number {
  const b = Math.max(MIN_BYTES, Math.ceil(bytes));
  const e = Math.floor(Math.log2(b));
  const base = 2 ** e;
  if (b === base) return b;
  const quarter = base / 4;
  return base + Math.ceil((b - base) / quarter) * quarter;
}

export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** True when the buffer was just created, so its contents are known to be zero. */
  readonly fresh: boolean;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private step: GPUBuffer[] = [];
  private readonly live = new Set<GPUBuffer>();
  private created = 0;
  private bytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
  ) {}

  /** A buffer of at least `bytes`; `stepScoped` ones return to the pool at `recycleStep`. */
  acquire(bytes: number, stepScoped: boolean): PooledBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    const fresh = buffer === undefined;
    if (!buffer) {
      buffer = this.device.createBuffer({ size, usage: this.usage, label: `${this.label} ${size}` });
      this.created++;
      this.bytes += size;
    }
    this.live.add(buffer);
    if (stepScoped) this.step.push(buffer);
    return { buffer, fresh };
  }

  /** Give a buffer back now (persistent tensors, read staging once unmapped). */
  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const list = this.free.get(buffer.size);
    if (list) list.push(buffer);
    else this.free.set(buffer.size, [buffer]);
  }

  recycleStep(): void {
    const step = this.step;
    this.step = [];
    // Last acquired first: the free lists (stacks) then hand the next step the same buffers in
    // the same order, so its bind groups are the cached ones (recorder.ts).
    for (let i = step.length - 1; i >= 0; i--) this.release(step[i]);
  }

  stats(): PoolStats {
    let free = 0;
    for (const l of this.free.values()) free += l.length;
    return { created: this.created, inUse: this.live.size, free, bytes: this.bytes };
  }

  destroy(): void {
    for (const b of this.live) b.destroy();
    for (const l of this.free.values()) for (const b of l) b.destroy();
    this.live.clear();
    this.free.clear();
    this.step = [];
  }
}

interface UniformChunk {
  readonly buffer: GPUBuffer;
  readonly data: Uint8Array<ArrayBuffer>;
  used: number;
  uploaded: number;
}

export interface UniformSlot {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/**
 * Uniform parameters of every dispatch in a step, packed at 256-byte slots into 64 KiB chunks
 * and uploaded with one `writeBuffer` per chunk just before each submission. Chunks are
 * step-scoped like any other buffer, so a slot is never rewritten while a command uses it.
 */
export class UniformArena {
  private static readonly CHUNK = 64 * 1024;
  private readonly free: UniformChunk[] = [];
  private active: UniformChunk[] = [];
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly alignment: number,
  ) {}

  alloc(data: ArrayBuffer): UniformSlot {
    const size = data.byteLength;
    let chunk = this.active[this.active.length - 1];
    if (!chunk || chunk.used + size > UniformArena.CHUNK) {
      chunk = this.free.pop() ?? this.newChunk();
      chunk.used = 0;
      chunk.uploaded = 0;
      this.active.push(chunk);
    }
    const offset = chunk.used;
    chunk.data.set(new Uint8Array(data), offset);
    chunk.used = Math.ceil((offset + size) / this.alignment) * this.alignment;
    return { buffer: chunk.buffer, offset, size };
  }

  /** Write what was packed since the last upload; call right before `queue.submit`. */
  upload(queue: GPUQueue): void {
    for (const c of this.active) {
      if (c.used > c.uploaded) {
        queue.writeBuffer(c.buffer, c.uploaded, c.data, c.uploaded, c.used - c.uploaded);
        c.uploaded = c.used;
      }
    }
  }

  recycleStep(): void {
    // Reversed onto the stack, so the next step takes the chunks in the same order.
    for (let i = this.active.length - 1; i >= 0; i--) this.free.push(this.active[i]);
    this.active = [];
  }

  chunksCreated(): number {
    return this.created;
  }

  destroy(): void {
    for (const c of [...this.free, ...this.active]) c.buffer.destroy();
  }

  private newChunk(): UniformChunk {
    this.created++;
    const buffer = this.device.createBuffer({
      size: UniformArena.CHUNK,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'uniform arena',
    });
    return { buffer, data: new Uint8Array(UniformArena.CHUNK), used: 0, uploaded: 0 };
  }
}
