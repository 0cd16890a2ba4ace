// Helper threads for the wasm backend in Node (CLI, tests, benchmarks): worker_threads.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ThreadSpawner } from './threads.ts';

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
