import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpu-backend.ts';
import { nodeThreadSpawner } from '../../src/engine/wasm/node-threads.ts';
import { createWasmBackend } from '../../src/engine/wasm/wasm-backend.ts';
import { noWebGpuAdapter } from './webgpu.ts';

export interface TestBackend {
  name: string;
  create: () => Promise<Backend>;
}

/**
 * The CPU and wasm backends always; WebGPU when Node can reach an adapter (Dawn on SwiftShader or lavapipe
 * here). Set EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 (CI does) to fail instead of silently skipping.
 */
export async function testBackends(): Promise<TestBackend[]> {
  const list: TestBackend[] = [
    { name: 'cpu', create: async () => new CpuBackend() },
    // Two threads: kernels split across threads are what users run; one thread is the parity suite's too.
    { name: 'wasm', create: () => createWasmBackend({ threads: 2, spawn: nodeThreadSpawner }) },
  ];
  // Throws under EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 when there is no adapter (test/support/webgpu.ts).
  if (!(await noWebGpuAdapter('the webgpu cases of this file'))) {
    const { nodeGpu } = await import('../../src/engine/webgpu/node-gpu.ts');
    const gpu = (await nodeGpu())!;
    const { createWebGpuBackend } = await import('../../src/engine/webgpu/webgpu-backend.ts');
    list.push({ name: 'webgpu', create: () => createWebGpuBackend(gpu) });
  }
  return list;
}
