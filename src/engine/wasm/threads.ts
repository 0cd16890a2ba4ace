/**
 * Helper threads for the wasm backend. Every helper instantiates the engine module on the same
 * shared memory and sleeps on a control word; `run` writes a kernel call into the control block,
 * wakes them, does thread 0's share itself and blocks until every helper has counted itself done.
 * Ops stay synchronous, as the Backend interface wants, and a call costs a few microseconds.
 */
import type { ThreadInit } from './thread-loop.js';

// Must match thread-loop.js.
const GENERATION = 0, DONE = 1, KERNEL = 2, THREADS = 3, EXIT = 4, ARGC = 5, FAILED = 6;
const ARGS_OFFSET = 64, MAX_ARGS = 24;
/** Where a helper leaves the message of a kernel that threw (its own postMessage may arrive too late). */
const MESSAGE_OFFSET = ARGS_OFFSET + MAX_ARGS * 8, MESSAGE_BYTES = 256;
const CONTROL_BYTES = MESSAGE_OFFSET + MESSAGE_BYTES;
/**
 * Whether this thread may sleep in Atomics.wait: workers may, a page's main thread may not (it
 * throws there). The backend normally lives in a worker; on a main thread it waits by spinning.
 */
const CAN_BLOCK = (() => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
})();
// Spin this many polls before sleeping: most kernels finish within microseconds of each other.
const SPINS = 20000;

export interface ThreadHandle {
  terminate(): void;
}

/** Starts one helper thread running thread-loop.js and resolves once it has instantiated the module. */
export type ThreadSpawner = (init: ThreadInit) => Promise<ThreadHandle>;

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly args: Float64Array;
  private closed = false;

  private readonly message: Uint8Array;

  private constructor(
    private readonly handles: ThreadHandle[],
    controlBuffer: SharedArrayBuffer,
    private readonly kernels: readonly string[],
  ) {
    this.control = new Int32Array(controlBuffer);
    this.args = new Float64Array(controlBuffer, ARGS_OFFSET, MAX_ARGS);
    this.message = new Uint8Array(controlBuffer, MESSAGE_OFFSET, MESSAGE_BYTES);
  }

  /** `helpers` threads besides the caller's; kernel numbers index `kernels`. */
  static async start(
    spawn: ThreadSpawner, module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: readonly string[], helpers: number,
  ): Promise<ThreadPool> {
    const controlBuffer = new SharedArrayBuffer(CONTROL_BYTES);
    const started = await Promise.allSettled(
      Array.from({ length: helpers }, (_, i) => spawn({ module, memory, control: controlBuffer, index: i + 1, kernels })),
    );
    const handles = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      for (const h of handles) h.terminate();
      throw new Error(`could not start the wasm backend's helper threads: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
    }
    return new ThreadPool(handles, controlBuffer, kernels);
  }

  /** Threads a kernel can be split over: the helpers and the caller. */
  get size(): number {
    return this.handles.length + 1;
  }

  /** Runs `kernel(...args, thread, threads)` on `threads` threads; `own` is thread 0's share. */
  run(kernel: number, args: readonly number[], threads: number, own: () => void): void {
    if (this.closed) throw new Error('the wasm backend was destroyed');
    if (args.length > MAX_ARGS) throw new Error(`a wasm kernel call takes at most ${MAX_ARGS} arguments`);
    const c = this.control;
    for (let i = 0; i < args.length; i++) this.args[i] = args[i];
    c[ARGC] = args.length;
    c[KERNEL] = kernel;
    c[THREADS] = threads;
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GENERATION, 1);
    Atomics.notify(c, GENERATION);
    let ownError: unknown = null;
    try {
      own();
    } catch (error) {
      ownError = error;
    }
    const helpers = this.handles.length;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done >= helpers) break;
      if (spins++ < SPINS || !CAN_BLOCK) continue;
      Atomics.wait(c, DONE, done, 1000);
    }
    if (ownError) throw ownError;
    if (Atomics.exchange(c, FAILED, 0)) {
      const length = this.message.indexOf(0);
      const said = new TextDecoder().decode(this.message.slice(0, length < 0 ? MESSAGE_BYTES : length));
      this.message.fill(0);
      throw new Error(`a wasm kernel failed on a helper thread: ${this.kernels[kernel] ?? `kernel ${kernel}`}(${args.map((a) => String(a)).join(', ')}): ${said || 'no message'}`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, EXIT, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const h of this.handles) h.terminate();
  }
}
