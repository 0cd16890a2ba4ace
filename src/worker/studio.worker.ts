/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { loadTrainingFile } from '../data/load-file.ts';
import { type BackendMakers, type ChosenBackend, chooseBackend } from '../engine/choose-backend.ts';
import { memoryFiles, urlFiles } from '../io/url-files.ts';
import { builtinModelLabel } from '../io/pretrained-marker.ts';
// onnxruntime-web's WebAssembly, served from our own origin (Vite emits it as an asset): the page
// never fetches it from a CDN. The .mjs is only loaded for multi-threading (cross-origin isolated pages).
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { configureOnnxRuntime } from '../eval/onnx-verify.ts';
import { browserStudioStorage } from '../storage/browser-storage.ts';
import { StudioApi, type StudioEnvironment } from './studio-api.ts';

/**
 * ONNX verification runs onnxruntime-web (through transformers.js) in this worker. Its settings
 * are made before transformers.js loads, which fills in cdn.jsdelivr.net only when no wasm path is
 * set: the wasm comes from our origin, on one thread unless the page is cross-origin isolated
 * (SharedArrayBuffer). On one thread the Emscripten factory bundled in onnxruntime-web's JS is used,
 * so no .mjs is requested and nothing is imported from a blob: URL.
 */
configureOnnxRuntime(async () => {
  const ort = await import('onnxruntime-web/webgpu');
  const threads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  const local = (url: string) => new URL(url, self.location.href).href;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = threads > 1 ? { wasm: local(ortWasmUrl), mjs: local(ortMjsUrl) } : { wasm: local(ortWasmUrl) };
});

/** The browser side of the studio environment: navigator.gpu, fetch, the Cache Storage. */
const browserEnvironment: StudioEnvironment = {
  async createBackend(preference) {
    const gpu = 'gpu' in navigator ? navigator.gpu : undefined;
    const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
    const asked = preference;
    const makers: BackendMakers = {
      webgpu: gpu && adapter
        ? { make: async () => (await import('../engine/webgpu/webgpu-backend.ts')).createWebGpuBackend(gpu) }
        : { unavailable: gpu ? 'this browser found no WebGPU adapter' : 'this browser has no WebGPU (navigator.gpu is missing)' },
      wasm: async () => {
        const [{ createWasmBackend }, { webThreadSpawner, webThreadsUnavailable }] = await Promise.all([
          import('../engine/wasm/wasm-backend.ts'), import('../engine/wasm/web-threads.ts'),
        ]);
        const noThreads = webThreadsUnavailable();
        const threads = noThreads ? 1 : Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
        return createWasmBackend({ threads, spawn: webThreadSpawner, ...(noThreads ? { singleThreadReason: noThreads } : {}) });
      },
    };
    let chosen: ChosenBackend;
    try {
      chosen = await chooseBackend(asked, makers);
    } catch (e) {
      // WebGPU asked for and not there: the page still works, on WebAssembly, and says why.
      chosen = { backend: await makers.wasm(), reason: (e as Error).message };
    }
    return chosen.backend.name === 'webgpu' ? { backend: chosen.backend } : { backend: chosen.backend, fallbackReason: chosen.reason };
  },
  async resolveModel(source, onProgress, signal) {
    switch (source.kind) {
      case 'builtin': {
        onProgress('built-in model', 1, 1);
        const files = urlFiles('built-in model', new URL(`${import.meta.env.BASE_URL}models/builtin/`, self.location.origin).href);
        // The folder says whether it is pre-trained (scripts/pretrain-builtin.ts) or a random init.
        return { files, ...(await builtinModelLabel(files)) };
      }
      case 'files':
        return { files: memoryFiles(source.name, source.files), name: source.name, randomWeights: false };
      case 'zip': {
        const { zipFiles } = await import('../io/zip-files.ts');
        return { files: await zipFiles(source.bytes, { name: source.name }), name: source.name, randomWeights: false };
      }
      case 'hub': {
        const { hubFiles } = await import('../io/hub/index.ts');
        const files = await hubFiles(source.repoId, {
          endpoint: source.endpoint,
          token: source.token,
          signal,
          onProgress: (p) => onProgress(`downloading ${p.file}`, p.overallLoaded, p.overallTotal),
        });
        return { files, name: source.repoId, randomWeights: false };
      }
    }
  },
  async parseDataset(name, data, mapping, onProgress) {
    // A File is streamed from disk (JSONL never becomes one string); progress goes to the page.
    return loadTrainingFile(name, data, { file: name, ...(mapping ? { mapping } : {}), ...(onProgress ? { onProgress } : {}) });
  },
  // Runs, their weights and datasets, kept between visits (IndexedDB + OPFS + Web Locks).
  storage: browserStudioStorage(),
  // PDFs for the RAG check; pdf.js is loaded only when the first one is dropped.
  pdfjs: async () => (await import('../data/pdf/pdf-browser.ts')).browserPdfJs(),
};

/** Hands the zip's buffer to the page instead of copying it (hundreds of MB with ONNX files). */
class TransferringStudioApi extends StudioApi {
  override async exportZip(...args: Parameters<StudioApi['exportZip']>) {
    const result = await super.exportZip(...args);
    return Comlink.transfer(result, [result.zip.buffer as ArrayBuffer]);
  }
  override async recipeZip(...args: Parameters<StudioApi['recipeZip']>) {
    const result = await super.recipeZip(...args);
    return Comlink.transfer(result, [result.zip.buffer as ArrayBuffer]);
  }
}

Comlink.expose(new TransferringStudioApi(browserEnvironment));
