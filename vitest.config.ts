import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'bench/**/*.test.ts', 'e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // WebGPU tests share one Dawn instance per file; files run in separate forks.
    pool: 'forks',
    // The wasm backend's module is built from source (scripts/build-wasm.ts) before any test imports it.
    globalSetup: ['test/support/build-wasm-setup.ts'],
  },
});
