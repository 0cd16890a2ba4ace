import type { Backend } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/cpu/cpu-backend.ts';
import { nodeThreadSpawner } from '../../src/engine/wasm/node-threads.ts';
import { createWasmBackend } from '../../src/engine/wasm/wasm-backend.ts';

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
  const { nodeGpu } = await import('../../src/engine/webgpu/node-gpu.ts');
  const gpu = await nodeGpu();
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (adapter) {
    const { createWebGpuBackend } = await import('../../src/engine/webgpu/webgpu-backend.ts');
    list.push({ name: 'webgpu', create: () => createWebGpuBackend(gpu!) });
  } else if (process.env.EMBEDDING_STUDIO_REQUIRE_WEBGPU === '1') {
    throw new Error('EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 but Node found no WebGPU adapter (is chromium installed?)');
  } else {
    console.warn('no WebGPU adapter in Node: WebGPU parity tests skipped');
  }
  return list;
}
