import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { ISOLATION_HEADERS } from './vite.config.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  test: {
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // The wasm backend's module is built from source (scripts/build-wasm.ts) before any test imports it.
    globalSetup: ['test/support/build-wasm-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'bench/**/*.test.ts', 'e2e/**/*.e2e.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          environment: 'node',
          // WebGPU tests share one Dawn instance per file; files run in separate forks.
          pool: 'forks',
        },
      },
      {
        extends: true,
        // Engine tests that must also hold in a real browser (Web Workers, SharedArrayBuffer under
        // COOP/COEP), run in headless Chromium from Debian (scripts/setup-test-env.sh installs it).
        server: { headers: ISOLATION_HEADERS },
        test: {
          name: 'chromium',
          include: ['src/**/*.browser.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
