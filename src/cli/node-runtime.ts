import { stat } from 'node:fs/promises';
import type { Backend } from '../engine/backend.ts';
import { type ChosenBackend, chooseBackend } from '../engine/choose-backend.ts';
import { nodeGpu } from '../engine/webgpu/node-gpu.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel, type LoadedModel } from '../io/load-model.ts';
import { UsageError } from './args.ts';
import type { BackendPreference } from '../shared/names.ts';

/** The backend for `--backend` (auto unless given); says which and why on stderr. */
export async function nodeBackend(preference: BackendPreference): Promise<Backend> {
  const { backend, reason } = await chooseNodeBackend(preference);
  process.stderr.write(`backend: ${backend.name} — ${backend.adapter.summary}; ${reason}\n`);
  return backend;
}

export async function chooseNodeBackend(preference: BackendPreference): Promise<ChosenBackend> {
  const gpu = await nodeGpu();
  const adapter = gpu ? await gpu.requestAdapter() : null;
  try {
    return await chooseBackend(preference, {
      webgpu: gpu && adapter
        ? { make: async () => (await import('../engine/webgpu/webgpu-backend.ts')).createWebGpuBackend(gpu) }
        : { unavailable: 'Node found no WebGPU adapter (install chromium for SwiftShader, or a Vulkan driver)' },
      wasm: async () => {
        const [{ createWasmBackend }, { nodeThreadSpawner, nodeThreadCount }] = await Promise.all([
          import('../engine/wasm/wasm-backend.ts'), import('../engine/wasm/node-threads.ts'),
        ]);
        return createWasmBackend({ threads: nodeThreadCount(), spawn: nodeThreadSpawner });
      },
    });
  } catch (e) {
    if (preference === 'webgpu') throw new UsageError(`--backend webgpu: ${(e as Error).message}; --backend wasm works everywhere`);
    throw e;
  }
}
export async function loadModelDir(dir: string, backend: Backend): Promise<LoadedModel> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`--model: ${dir} is not a folder`);
  try {
    const loaded = await loadSentenceModel(folderFiles(dir), backend);
    // Said once on stderr: stdout stays the command's own output.
    if (loaded.weightsSource.format === 'onnx') process.stderr.write(`note: ${dir}: ${loaded.config.warnings.at(-1)}\n`);
    return loaded;
  } catch (e) {
    // Whatever is wrong with the user's model folder is theirs to fix: a one-line usage error.
    throw new UsageError(`--model: ${(e as Error).message}`);
  }
}

export async function requireFile(file: string, option: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new UsageError(`--${option}: ${file} does not exist or is not a file`);
}
