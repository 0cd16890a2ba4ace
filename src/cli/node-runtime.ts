import { stat } from 'node:fs/promises';
import type { Backend, BackendName } from '../engine/backend.ts';
import { createBackend } from '../engine/create-backend.ts';
import { nodeGpu } from '../engine/webgpu/node-gpu.ts';
import { folderFiles } from '../io/folder-files.ts';
import { loadSentenceModel, type LoadedModel } from '../model/load-model.ts';
import { UsageError } from './args.ts';

export async function nodeBackend(kind: BackendName): Promise<Backend> {
  if (kind === 'cpu') return createBackend('cpu');
  const gpu = await nodeGpu();
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (!gpu || !adapter) {
    throw new UsageError('--backend webgpu: no WebGPU adapter found (install chromium for SwiftShader, or a Vulkan driver); --backend cpu works everywhere');
  }
  return createBackend('webgpu', gpu);
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
