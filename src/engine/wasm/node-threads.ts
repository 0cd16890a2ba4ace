// Helper threads for the wasm backend in Node (CLI, tests, benchmarks): worker_threads.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { ThreadSpawner } from './threads.ts';

// Node 20's V8 (11.3) has relaxed SIMD behind a flag (on by default from Node 22). Wasm feature
// flags are read when a module is compiled, so turning it on here, before the engine compiles,
// lets the GEMM use fused multiply-adds; the engine still checks with WebAssembly.validate.
setFlagsFromString('--experimental-wasm-relaxed-simd');

export const nodeThreadSpawner: ThreadSpawner = (init) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./thread-node.mjs', import.meta.url), { workerData: init });
    // A helper sleeping in Atomics.wait must not keep the process alive.
    worker.unref();
    worker.once('error', reject);
    worker.once('message', (message: { ready?: boolean; error?: string }) => {
      if (message.ready) resolve({ terminate: () => void worker.terminate() });
      else reject(new Error(message.error ?? 'helper thread did not start'));
    });
  });

export function nodeThreadCount(): number {
  return availableParallelism();
}
