/**
 * Byte ranges of the engine's WebAssembly memory: first-fit over an address-ordered free list,
 * neighbours merged on free, the memory grown when nothing fits. Blocks are 64-byte aligned (a
 * cache line; every SIMD load is then aligned). The backend frees a step's temporaries together,
 * so fragmentation stays bounded by one step's peak.
 */
const ALIGN = 64;
const PAGE = 65536;
/** The 4 GiB wasm32 ceiling, in pages (the module declares this maximum). */
export const MAX_PAGES = 65536;

interface FreeBlock {
  start: number;
  bytes: number;
}

export class WasmHeap {
  private readonly free: FreeBlock[] = [];
  /** End of the highest block ever handed out. */
  private top: number;
  private liveBytes = 0;
  private peakBytes = 0;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    /** Called after the memory grows (the backend then makes its helper threads see the new size). */
    private readonly onGrow: () => void = () => {},
  ) {
    this.top = align(base);
  }

  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i];
      if (block.bytes < size) continue;
      const start = block.start;
      if (block.bytes === size) this.free.splice(i, 1);
      else {
        block.start += size;
        block.bytes -= size;
      }
      this.account(size);
      return start;
    }
    const start = this.top;
    this.ensure(start + size);
    this.top = start + size;
    this.account(size);
    return start;
  }

  release(start: number, bytes: number): void {
    const size = align(Math.max(bytes, 1));
    this.liveBytes -= size;
    // Binary search for the insertion point keeps the list address-ordered.
    let lo = 0, hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid].start < start) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > 0 ? this.free[lo - 1] : null;
    const next = lo < this.free.length ? this.free[lo] : null;
    if (prev && prev.start + prev.bytes === start) {
      prev.bytes += size;
      if (next && prev.start + prev.bytes === next.start) {
        prev.bytes += next.bytes;
        this.free.splice(lo, 1);
      }
    } else if (next && start + size === next.start) {
      next.start = start;
      next.bytes += size;
    } else {
      this.free.splice(lo, 0, { start, bytes: size });
    }
    // A free block at the top goes back to the bump region.
    const last = this.free[this.free.length - 1];
    if (last && last.start + last.bytes === this.top) {
      this.top = last.start;
      this.free.pop();
    }
  }

  /** Bytes handed out now, and the most ever at once. */
  usage(): { liveBytes: number; peakBytes: number; memoryBytes: number } {
    return { liveBytes: this.liveBytes, peakBytes: this.peakBytes, memoryBytes: this.memory.buffer.byteLength };
  }

  private account(size: number): void {
    this.liveBytes += size;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes);
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) {
      throw new Error(`the wasm backend needs ${(end / 2 ** 30).toFixed(2)} GiB, beyond WebAssembly's 4 GiB: use a smaller batch or sequence length`);
    }
    // Grow by at least a quarter of what is there, so a growing step does not grow page by page.
    const extra = Math.min(MAX_PAGES - have / PAGE, Math.max(pages, Math.ceil(have / PAGE / 4)));
    try {
      this.memory.grow(extra);
    } catch {
      this.memory.grow(pages);
    }
    this.onGrow();
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
