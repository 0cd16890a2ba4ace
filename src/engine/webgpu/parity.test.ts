/**
 * WebGPU vs the CPU specification: the shared op-by-op suite (test/support/backend-parity.ts) on
 * every matmul variant the adapter runs, plus what only WebGPU has (recording without sync, the
 * buffer pool and bind-group cache).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityTests, randn } from '../../../test/support/backend-parity.ts';
import { noWebGpuAdapter } from '../../../test/support/webgpu.ts';
import { nodeGpu, releaseNodeGpu } from './node-gpu.ts';
import { type MatmulVariantName, type WebGpuBackend, createWebGpuBackend, matmulVariants } from './webgpu-backend.ts';

// No adapter: skip with a message, or fail under EMBEDDING_STUDIO_REQUIRE_WEBGPU=1 (CI).
const noAdapter = await noWebGpuAdapter('the WebGPU parity tests');
const gpuObject = noAdapter ? null : await nodeGpu();
const suite = noAdapter ? describe.skip : describe;

suite('webgpu backend matches the cpu backend', () => {
  let gpu: WebGpuBackend;
  let defaultVariant: MatmulVariantName;

  beforeAll(async () => {
    gpu = await createWebGpuBackend(gpuObject!);
    defaultVariant = gpu.matmulVariant.name;
  });
  afterAll(() => {
    gpu?.destroy();
    releaseNodeGpu();
  });

  it('describes the adapter', () => {
    const a = gpu.adapter;
    expect(a.backend).toBe('webgpu');
    expect(a.vendor.length).toBeGreaterThan(0);
    expect(a.summary).toContain(a.vendor);
    expect(a.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(a.features)).toBe(true);
    // CPU adapters here (SwiftShader: subgroup size 4, lavapipe: 8): the subgroup kernel; without
    // a fixed subgroup size of 4 or 8, register blocking.
    if (a.isFallbackAdapter) {
      expect(gpu.matmulVariant.name).toBe(gpu.subgroupSize === 4 || gpu.subgroupSize === 8 ? 'subgroup' : 'register8x8');
    }
  });

  parityTests({
    name: 'webgpu',
    backend: () => gpu,
    async forEachMatmulVariant(backend, body) {
      for (const variant of matmulVariants) {
        if (!backend.supportsMatmulVariant(variant)) continue;
        backend.setMatmulVariant(variant.name);
        await body(variant.name);
      }
      backend.setMatmulVariant(defaultVariant);
    },
  });

  it('records a chain of ops and reads without any sync; write() keeps program order', async () => {
    const x = gpu.fromFloat32(Float32Array.of(1, 2, 3, 4), [2, 2], true);
    const y = gpu.scale(x, 2);
    gpu.write(x, Float32Array.of(10, 20, 30, 40));
    const z = gpu.matmul(gpu.gelu(gpu.scale(x, 1)), gpu.add(y, y));
    const [yv, zv] = await Promise.all([gpu.read(y), gpu.read(z)]);
    expect(Array.from(yv)).toEqual([2, 4, 6, 8]);
    // gelu of 10..40 is the identity in float32
    expect(Array.from(zv)).toEqual([10 * 4 + 20 * 12, 10 * 8 + 20 * 16, 30 * 4 + 40 * 12, 30 * 8 + 40 * 16]);
    gpu.endStep();
    await gpu.sync();
  });

  it('endStep recycles buffers and bind groups: the pool and the bind-group cache stay bounded over 50 steps', async () => {
    const w = gpu.fromFloat32(randn(16 * 8), [16, 8], true);
    const grads = gpu.zeros([16, 8], 'f32', true);
    const m = gpu.zeros([16, 8], 'f32', true), v = gpu.zeros([16, 8], 'f32', true);
    let createdAfterWarmup = 0, readbackAfterWarmup = 0, bindGroupsAfterWarmup = 0, dispatchesAfterStep3 = 0, dispatchesPerStep = 0;
    let lastLoss: Promise<Float32Array> | null = null;
    for (let step = 1; step <= 50; step++) {
      // Read the loss one step late, as a training loop does.
      if (lastLoss) expect(Number.isFinite((await lastLoss)[0])).toBe(true);
      const x = gpu.fromFloat32(randn(6 * 16), [6, 16]);
      const h = gpu.gelu(gpu.matmul(x, w));
      const r = gpu.meanSquaredError(h, gpu.zeros([6, 8]), 1);
      gpu.fill(grads, 0);
      gpu.matmul(x, gpu.geluBackward(r.grads[0], h), { transA: true, out: grads, accumulate: true });
      gpu.adamw(w, grads, m, v, {
        lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decayEnd: 0, step, maxGradNorm: 1,
        gradNormSquared: gpu.sumSquares(grads),
      });
      lastLoss = gpu.read(r.loss);
      gpu.endStep();
      if (step === 2) [createdAfterWarmup, readbackAfterWarmup, bindGroupsAfterWarmup] = [gpu.stats().storage.created, gpu.stats().readback.created, gpu.stats().bindGroups];
      if (step === 3) dispatchesAfterStep3 = gpu.stats().dispatches;
      if (step === 4) dispatchesPerStep = gpu.stats().dispatches - dispatchesAfterStep3;
    }
    const loss = await lastLoss!;
    expect(Number.isFinite(loss[0])).toBe(true);
    await gpu.sync();
    const s = gpu.stats();
    expect(s.storage.created).toBe(createdAfterWarmup);
    expect(s.storage.inUse).toBeLessThan(s.storage.created);
    expect(s.readback.created - readbackAfterWarmup).toBeLessThanOrEqual(1);
    expect(s.uniformChunks).toBeLessThanOrEqual(4);
    // Every step binds the same pooled buffers in the same order: its bind groups are the cached ones.
    expect(dispatchesPerStep).toBeGreaterThanOrEqual(5);
    expect(s.bindGroups).toBe(bindGroupsAfterWarmup);
  });
});
