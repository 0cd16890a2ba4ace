// The loop every helper thread of the wasm backend runs (Node worker_threads and Web Workers).
// Plain JavaScript so Node can start it without a TypeScript loader. The control block layout is
// the one src/engine/wasm/threads.ts writes (CONTROL_* below must match it).

const GENERATION = 0, DONE = 1, KERNEL = 2, THREADS = 3, EXIT = 4, ARGC = 5, FAILED = 6;
const ARGS_OFFSET = 64, MAX_ARGS = 24;
const MESSAGE_OFFSET = ARGS_OFFSET + MAX_ARGS * 8, MESSAGE_BYTES = 256;
const SPINS = 4000;

/**
 * @param {{ module: WebAssembly.Module, memory: WebAssembly.Memory, control: SharedArrayBuffer, index: number, kernels: string[] }} init
 * @param {() => void} ready called once the module is instantiated
 * @param {(message: string) => void} report called with the message of a kernel that threw
 */
export function threadLoop(init, ready, report) {
  const instance = new WebAssembly.Instance(init.module, {
    env: { memory: init.memory, abort: () => { throw new Error('wasm kernel aborted'); } },
  });
  const fns = init.kernels.map((name) => instance.exports[name]);
  const control = new Int32Array(init.control);
  const args = new Float64Array(init.control, ARGS_OFFSET, MAX_ARGS);
  let generation = Atomics.load(control, GENERATION);
  ready();
  for (;;) {
    // Spin a little before sleeping: a step issues hundreds of kernels back to back.
    let spins = 0;
    while (Atomics.load(control, GENERATION) === generation && spins++ < SPINS);
    Atomics.wait(control, GENERATION, generation);
    generation = Atomics.load(control, GENERATION);
    if (Atomics.load(control, EXIT)) return;
    const threads = control[THREADS];
    if (init.index < threads) {
      try {
        const argc = control[ARGC];
        const call = new Array(argc + 2);
        for (let i = 0; i < argc; i++) call[i] = args[i];
        call[argc] = init.index;
        call[argc + 1] = threads;
        fns[control[KERNEL]](...call);
      } catch (error) {
        const said = `thread ${init.index}: ${error instanceof Error ? error.message : String(error)}`;
        // Read by the caller before it throws: a message posted back would arrive after that.
        // Encoded apart, then copied: TextEncoder does not write into shared memory.
        const bytes = new TextEncoder().encode(said).subarray(0, MESSAGE_BYTES - 1);
        if (Atomics.compareExchange(control, FAILED, 0, 1) === 0) new Uint8Array(init.control, MESSAGE_OFFSET, MESSAGE_BYTES).set(bytes);
        report(said);
      }
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}
