import { defineConfig, loadEnv } from 'vite';
import react from '@vitejs/plugin-react';
import { cspPlugin } from './csp-plugin.ts';

/**
 * Cross-origin isolation: SharedArrayBuffer, and with it the wasm backend's helper threads and
 * onnxruntime-web's threads. Everything the page loads is its own origin; the Hub download is a
 * CORS fetch, which require-corp allows.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), 'VITE_');
  return {
    plugins: [react(), cspPlugin(env.VITE_HUB_HOSTS)],
    worker: { format: 'es' },
    build: { target: 'es2022' },
    server: { headers: ISOLATION_HEADERS },
    preview: { headers: ISOLATION_HEADERS },
    // The ONNX check (src/worker/onnx-verify.ts) loads these lazily in the studio worker: pre-bundle them
    // together so the dev server shares one onnxruntime-web instance and does not reload the page when it
    // first meets them. Its .wasm is imported with ?url in studio.worker.ts: an asset of our own origin.
    optimizeDeps: { include: ['@huggingface/transformers', 'onnxruntime-web/webgpu'] },
  };
});
