import { nodeGpu } from '../../src/engine/webgpu/node-gpu.ts';

/**
 * CI must exercise WebGPU: with EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 a missing adapter is an error,
 * not a skip. Without it (a laptop with no Vulkan driver) WebGPU tests skip with a message.
 */
export function webGpuRequired(): boolean {
  return process.env.EMBEDDING_STUDIO_REQUIRE_WEBGPU === '1';
}

/**
 * True when Node finds no WebGPU adapter, i.e. the caller should skip `what`; throws instead under
 * EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 so that the importing test file fails.
 */
export async function noWebGpuAdapter(what: string): Promise<boolean> {
  const gpu = await nodeGpu();
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (adapter) return false;
  if (webGpuRequired()) {
    throw new Error(`EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 but Node found no WebGPU adapter: ${what} cannot run (is chromium / a Vulkan ICD installed?)`);
  }
  console.warn(`no WebGPU adapter in Node: ${what} skipped (set EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 to fail instead)`);
  return true;
}
