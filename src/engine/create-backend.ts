import type { Backend, BackendName } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';

/**
 * The one place that picks a backend. WebGPU needs a `GPU` object: `navigator.gpu` in a browser
 * or worker, the `webgpu` package's in Node (see webgpu/node-gpu.ts).
 */
export async function createBackend(kind: BackendName, gpu?: GPU | null): Promise<Backend> {
  if (kind === 'cpu') return new CpuBackend();
  if (!gpu) throw new Error('WebGPU is not available here (no navigator.gpu); use the CPU backend instead');
  const { createWebGpuBackend } = await import('./webgpu/webgpu-backend.ts');
  return createWebGpuBackend(gpu);
}
