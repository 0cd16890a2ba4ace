/**
 * The wasm backend vs the CPU specification: the shared op-by-op suite, single-threaded and with
 * helper threads (kernels split across threads must give the same numbers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityTests, randn } from '../../../test/support/backend-parity.ts';
import { nodeThreadSpawner } from './node-threads.ts';
import { type WasmBackend, createWasmBackend } from './wasm-backend.ts';

for (const threads of [1, 3]) {
  describe(`wasm backend (${threads} thread${threads > 1 ? 's' : ''}) matches the cpu backend`, () => {
    let wasm: WasmBackend;
    beforeAll(async () => {
      wasm = await createWasmBackend({ threads, spawn: nodeThreadSpawner });
    });
    afterAll(() => wasm?.destroy());

    it('describes itself', () => {
      expect(wasm.adapter.backend).toBe('wasm');
      expect(wasm.threads).toBe(threads);
      expect(wasm.adapter.summary).toContain(`${threads} thread`);
    });

    parityTests({ name: 'wasm', backend: () => wasm, forEachMatmulVariant: (_backend, body) => body('simd 4x8') });

    it('a step-local tensor used after endStep is an error, persistent ones live on, memory is reused', async () => {
      const kept = wasm.fromFloat32(randn(64), [8, 8], true);
      const temp = wasm.matmul(kept, kept);
      wasm.endStep();
      expect(() => wasm.scale(temp, 2)).toThrow(/after endStep/);
      const before = wasm.memoryUsage().peakBytes;
      for (let step = 0; step < 20; step++) {
        const big = wasm.fromFloat32(randn(4096), [64, 64]);
        wasm.matmul(big, big, { transB: true });
        wasm.endStep();
      }
      expect(wasm.memoryUsage().peakBytes).toBeLessThan(before + 64 * 64 * 4 * 4 + 200_000);
      expect(Array.from(await wasm.read(kept)).length).toBe(64);
    });

    it('large matmuls split across threads match the single-threaded result bit for bit', async () => {
      const M = 67, K = 300, N = 45;
      const A = randn(M * K), B = randn(K * N);
      const one = await createWasmBackend({ threads: 1 });
      const ref = await one.read(one.matmul(one.fromFloat32(A, [M, K]), one.fromFloat32(B, [K, N])));
      const got = await wasm.read(wasm.matmul(wasm.fromFloat32(A, [M, K]), wasm.fromFloat32(B, [K, N])));
      wasm.endStep();
      one.destroy();
      expect(Array.from(got)).toEqual(Array.from(ref));
    });
  });
}
