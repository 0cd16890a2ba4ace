/** Adapter and device acquisition, and what we tell the user about the adapter. */
import type { AdapterDescription } from '../backend.ts';
import { matmulVariant, type MatmulVariantName } from './kernels/matmul.ts';

export interface WebGpuOptions {
  readonly powerPreference?: GPUPowerPreference;
}

/** GPUAdapter as some implementations still ship it (isFallbackAdapter on the adapter itself). */
interface LegacyAdapter {
  readonly isFallbackAdapter?: boolean;
}
interface NewerAdapterInfo {
  readonly isFallbackAdapter?: boolean;
}

export async function requestAdapter(gpu: GPU, options: WebGpuOptions = {}): Promise<GPUAdapter> {
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (!adapter) {
    throw new Error(
      'No WebGPU adapter is available (requestAdapter() returned null). ' +
        'Use the CPU backend instead, or enable WebGPU (e.g. Chromium with --enable-unsafe-webgpu, or a Vulkan driver for Node).',
    );
  }
  return adapter;
}

const RAISED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
] as const;

/** The device with the adapter's maxima for the limits big models and wide kernels run into. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const k of RAISED_LIMITS) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures: GPUFeatureName[] = [];
  // Optional fast paths (f16, subgroups) sit behind these; asking costs nothing when present.
  for (const f of ['shader-f16', 'subgroups'] as const) if (adapter.features.has(f)) requiredFeatures.push(f);
  return adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'embedding-studio' });
}

export function isFallback(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & NewerAdapterInfo;
  return info.isFallbackAdapter ?? (adapter as GPUAdapter & LegacyAdapter).isFallbackAdapter ?? false;
}

export function describeAdapter(adapter: GPUAdapter, device: GPUDevice): AdapterDescription {
  const info = adapter.info;
  const fallback = isFallback(adapter);
  const vendor = info.vendor || 'unknown';
  const architecture = info.architecture || info.description || 'unknown';
  return {
    backend: 'webgpu',
    summary: `${vendor} ${architecture}${fallback ? ' (fallback)' : ''}`,
    vendor,
    architecture,
    isFallbackAdapter: fallback,
    features: [...adapter.features].sort(),
    maxBufferSize: device.limits.maxBufferSize,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
  };
}

/** CPU-emulated adapters (SwiftShader, llvmpipe/lavapipe) prefer register-blocked kernels. */
export function isCpuAdapter(adapter: GPUAdapter): boolean {
  const i = adapter.info;
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  return isFallback(adapter) || /swiftshader|llvmpipe|lavapipe|softpipe/.test(text);
}

/**
 * The device's subgroup size when it is one fixed size and the device has 'subgroups' (kernels
 * that make a workgroup exactly one subgroup need that), else null. lavapipe: 8 with AVX2,
 * SwiftShader: 4.
 */
export function fixedSubgroupSize(adapter: GPUAdapter, device: GPUDevice): number | null {
  const { subgroupMinSize, subgroupMaxSize } = adapter.info;
  if (!device.features.has('subgroups') || !subgroupMinSize || subgroupMinSize !== subgroupMaxSize) return null;
  return subgroupMinSize;
}

/**
 * The matmul kernel for this adapter. Real GPUs: the workgroup-memory tile. CPU adapters with a
 * fixed subgroup size of 4 or 8 (SwiftShader: 4, lavapipe: 8): the subgroup kernel — measured
 * 1.3–1.8× register8x8 in Chromium's SwiftShader and ~3× on lavapipe, every transpose, FFN and
 * small shapes (bench/RESULTS.md, 2026-11-28). Others keep register8x8.
 */
export function defaultMatmulVariant(adapter: GPUAdapter, subgroupSize: number | null): MatmulVariantName {
  if (!isCpuAdapter(adapter)) return 'tiled64';
  return matmulVariant('subgroup').supports(subgroupSize) ? 'subgroup' : 'register8x8';
}
