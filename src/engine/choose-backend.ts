/**
 * Which backend trains here, and why, in one place for the page and the CLI. `auto` takes WebGPU
 * on a hardware adapter and `wasm` where there is none; on a software adapter (SwiftShader,
 * lavapipe: WebGPU emulated on the CPU) it times one probe step on both and keeps the faster.
 */
import type { Backend } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';
import type { BackendPreference } from '../shared/names.ts';

export interface BackendMakers {
  /** Makes the WebGPU backend, or null with the reason there is no WebGPU here. */
  readonly webgpu: { readonly make: () => Promise<Backend> } | { readonly unavailable: string };
  readonly wasm: () => Promise<Backend>;
}

export interface ChosenBackend {
  readonly backend: Backend;
  /** Said to the person: why this backend (a measurement, a missing adapter, their choice). */
  readonly reason: string;
}

export async function chooseBackend(preference: BackendPreference, makers: BackendMakers): Promise<ChosenBackend> {
  switch (preference) {
    case 'cpu':
      return { backend: new CpuBackend(), reason: 'the TypeScript reference backend was chosen' };
    case 'wasm':
      return { backend: await makers.wasm(), reason: 'the wasm backend was chosen' };
    case 'webgpu': {
      if ('unavailable' in makers.webgpu) throw new Error(`WebGPU is not available: ${makers.webgpu.unavailable}`);
      return { backend: await makers.webgpu.make(), reason: 'WebGPU was chosen' };
    }
    case 'auto':
      return chooseAutomatically(makers);
  }
}

async function chooseAutomatically(makers: BackendMakers): Promise<ChosenBackend> {
  if ('unavailable' in makers.webgpu) {
    return { backend: await makers.wasm(), reason: `no WebGPU (${makers.webgpu.unavailable}), so WebAssembly on the CPU` };
  }
  let gpu: Backend;
  try {
    gpu = await makers.webgpu.make();
  } catch (e) {
    return { backend: await makers.wasm(), reason: `WebGPU did not start (${(e as Error).message}), so WebAssembly on the CPU` };
  }
  if (!gpu.adapter.isFallbackAdapter) return { backend: gpu, reason: `a hardware GPU adapter (${gpu.adapter.summary})` };
  const wasm = await makers.wasm();
  const [gpuMs, wasmMs] = [await probeStepMs(gpu), await probeStepMs(wasm)];
  const measured = `probe step: WebGPU ${gpuMs.toFixed(0)} ms, wasm ${wasmMs.toFixed(0)} ms`;
  if (gpuMs < wasmMs) {
    wasm.destroy();
    return { backend: gpu, reason: `WebGPU's adapter is a software one, but measured faster here (${measured})` };
  }
  gpu.destroy();
  return { backend: wasm, reason: `WebGPU's adapter is a software one (${gpu.adapter.summary}), slower here than WebAssembly (${measured})` };
}

/**
 * One transformer-FFN-shaped forward and backward (256 tokens, 384 → 1536 → 384), timed on its
 * second run so WebGPU's pipeline compilation is not counted.
 */
export async function probeStepMs(backend: Backend): Promise<number> {
  const T = 256, H = 384, F = 1536;
  const values = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.05);
  const x = backend.fromFloat32(values(T * H), [T, H], true);
  const w1 = backend.fromFloat32(values(F * H), [F, H], true);
  const w2 = backend.fromFloat32(values(H * F), [H, F], true);
  const run = async () => {
    const h = backend.matmul(x, w1, { transB: true });
    const y = backend.matmul(backend.gelu(h), w2, { transB: true });
    const dh = backend.geluBackward(backend.matmul(y, w2), h);
    const dx = backend.matmul(dh, w1);
    await backend.read(backend.sumSquares(dx));
    backend.endStep();
  };
  await run();
  const start = performance.now();
  await run();
  return performance.now() - start;
}
