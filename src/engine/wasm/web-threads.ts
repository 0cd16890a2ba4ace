// Helper threads for the wasm backend in the page: Web Workers started from the studio worker.
import type { ThreadSpawner } from './threads.ts';

export const webThreadSpawner: ThreadSpawner = (init) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./thread-web.ts', import.meta.url), { type: 'module', name: `wasm-thread-${init.index}` });
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || 'helper thread failed to load'));
    };
    worker.onmessage = (event: MessageEvent<{ ready?: boolean; error?: string }>) => {
      if (event.data.ready) resolve({ terminate: () => worker.terminate() });
      else console.error(`wasm helper thread ${init.index}: ${event.data.error}`);
    };
    worker.postMessage(init);
  });

/**
 * Why helper threads cannot run here, or null when they can: shared memory needs
 * SharedArrayBuffer, which browsers expose only to cross-origin isolated pages (COOP + COEP).
 */
export function webThreadsUnavailable(): string | null {
  if (typeof SharedArrayBuffer === 'undefined' || globalThis.crossOriginIsolated === false) {
    return 'the page is not cross-origin isolated (no COOP/COEP headers), so SharedArrayBuffer is unavailable: the wasm backend runs on one thread';
  }
  return null;
}
