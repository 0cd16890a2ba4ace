/**
 * WebGPU for Node through the `webgpu` package (Dawn). Dawn needs a Vulkan driver; Debian's own
 * lavapipe is too old, so when nothing is configured we point the Vulkan loader at Chromium's
 * SwiftShader ICD. The loader reads VK_ICD_FILENAMES when Dawn first enumerates adapters, so
 * setting it in-process before `create()` is enough.
 */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The promise is cached, not the result, so concurrent first calls share one Dawn instance. */
let cached: Promise<GPU | null> | null = null;

interface WebGpuModule {
  create(options: string[]): GPU;
  globals: object;
}

async function load(): Promise<GPU | null> {
  try {
    const { existsSync } = await import('node:fs');
    if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    const mod = (await import('webgpu')) as unknown as WebGpuModule;
    // GPUBufferUsage, GPUMapMode … are globals in browsers; Dawn hands them over separately.
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create([]);
    // create() succeeds without a working Vulkan driver; only an adapter proves it works.
    return (await gpu.requestAdapter()) ? gpu : null;
  } catch {
    return null;
  }
}

/** The GPU object (navigator.gpu's role), or null when the package, Vulkan or an adapter is missing. */
export function nodeGpu(): Promise<GPU | null> {
  cached ??= load();
  return cached;
}

/** Drop the cached GPU object: holding it keeps the Node process alive. */
export function releaseNodeGpu(): void {
  cached = null;
}
