/**
 * The wasm backend in a real browser: its helper threads are Web Workers over a SharedArrayBuffer
 * (the test page is cross-origin isolated, as the studio is), and the shared op-by-op suite must
 * give the CPU specification's numbers there too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityTests } from '../../../test/support/backend-parity.ts';
import { type WasmBackend, createWasmBackend } from './wasm-backend.ts';
import { webThreadSpawner, webThreadsUnavailable } from './web-threads.ts';

describe('wasm backend in Chromium (Web Worker helper threads) matches the cpu backend', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    expect(webThreadsUnavailable()).toBeNull();
    wasm = await createWasmBackend({ threads: 3, spawn: webThreadSpawner });
  });
  afterAll(() => wasm?.destroy());

  it('runs with its helper threads', () => {
    expect(wasm.threads).toBe(3);
    expect(wasm.singleThreadReason).toBeNull();
  });

  parityTests({ name: 'wasm', backend: () => wasm, forEachMatmulVariant: (_backend, body) => body('simd 4x8') });
});
