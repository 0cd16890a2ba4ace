/**
 * A kernel that traps on a helper thread fails the call on the caller's thread, with the
 * kernel, its arguments and the helper's own message: what a person needs to report the bug
 * (a long pre-training run once stopped with nothing but "failed on a helper thread").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeThreadSpawner } from './node-threads.ts';
import { THREADED_KERNELS } from './runtime.ts';
import type { ThreadPool } from './threads.ts';
import { createWasmBackend, type WasmBackend } from './wasm-backend.ts';

/** The backend's pool, which the op modules reach through its runtime. */
const poolOf = (backend: WasmBackend) => (backend as unknown as { k: { pool: ThreadPool } }).k.pool;

describe('wasm helper threads', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await createWasmBackend({ threads: 2, spawn: nodeThreadSpawner });
  });
  afterAll(() => wasm.destroy());

  it('a trap on a helper is thrown on the caller with the kernel and the helper’s message, and the pool goes on', () => {
    const pool = poolOf(wasm);
    const touch = THREADED_KERNELS.indexOf('touchMemory');
    // Thread 0's share does nothing; the helper reads far beyond the memory.
    expect(() => pool.run(touch, [2 ** 32 - 16], 2, () => {})).toThrow(/failed on a helper thread: touchMemory\(4294967280\): thread 1: .*out of bounds/);
    // The failure is not sticky: the next call runs.
    expect(() => pool.run(touch, [0], 2, () => {})).not.toThrow();
  });
});
