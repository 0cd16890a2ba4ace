/**
 * Records every op of a step into one command encoder and submits only when asked (`flush`).
 *
 * Ordering rule: `queue.writeBuffer` executes before any command buffer submitted after it, i.e.
 * *before* everything still sitting in the current encoder. So host data only ever goes into
 * buffers that no recorded-but-unsubmitted command uses: fresh pooled buffers (uploads, the
 * uniform arena) or a staging buffer that is then copied in-encoder (`writeInOrder`).
 */
import { type KernelSpec, kernelSource, packParams } from './kernel.ts';
import { BufferPool, type PoolStats, UniformArena } from './pool.ts';

/** A byte range of a GPU buffer: what a tensor is to the recorder. */
export interface BufferRange {
  readonly buffer: GPUBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

/** A function, not a constant: in Node the GPU* globals exist only once nodeGpu() has run. */
const storageUsage = (): number => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export interface RecorderStats {
  readonly storage: PoolStats;
  readonly readback: PoolStats;
  readonly uniformChunks: number;
  readonly pipelines: number;
  readonly submissions: number;
  /** Dispatches and copies/clears recorded since the recorder was made (a step's count is a difference). */
  readonly dispatches: number;
  readonly copies: number;
}

export class Recorder {
  readonly storage: BufferPool;
  private readonly readback: BufferPool;
  private readonly uniforms: UniformArena;
  /** Keyed by WGSL source: equal kernels built twice still compile once (1–3 s on SwiftShader). */
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly bySpec = new WeakMap<KernelSpec, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pipelineLayouts = new Map<string, GPUPipelineLayout>();
  private readonly storageAlign: number;
  /** Bound in place of zero-length tensors and absent optional inputs (WebGPU rejects size 0). */
  readonly dummy: BufferRange;
  private encoder: GPUCommandEncoder;
  private pass: GPUComputePassEncoder | null = null;
  private readonly afterSubmit: Array<(error: Promise<string | null>) => void> = [];
  /** Pipeline creation errors, scoped separately so the message names the kernel. */
  private pipelineErrors: Array<Promise<string | null>> = [];
  private flushScheduled = false;
  private submissions = 0;
  private recorded = 0;
  private dispatches = 0;
  private copies = 0;
  private destroyed = false;

  constructor(readonly device: GPUDevice) {
    this.storage = new BufferPool(device, storageUsage(), 'tensor');
    this.readback = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
    this.uniforms = new UniformArena(device, device.limits.minUniformBufferOffsetAlignment);
    this.storageAlign = device.limits.minStorageBufferOffsetAlignment;
    const d = device.createBuffer({ size: 16, usage: storageUsage(), label: 'dummy' });
    this.dummy = { buffer: d, byteOffset: 0, byteLength: 16 };
    this.encoder = this.beginEncoder();
  }

  // ---- recording ---------------------------------------------------------------------------------
  /**
   * Record one dispatch. A binding whose offset is not a multiple of
   * minStorageBufferOffsetAlignment, or a read-only binding of a buffer that the same dispatch
   * also writes (a WebGPU usage conflict), is staged through a temporary copy; written staged
   * bindings are copied back afterwards. Correct for any view, fast for aligned ones.
   */
  run(spec: KernelSpec, params: readonly number[], buffers: readonly BufferRange[], groups: readonly number[]): void {
    if (buffers.length !== spec.buffers.length) {
      throw new Error(`kernel ${spec.label} takes ${spec.buffers.length} buffers, got ${buffers.length}`);
    }
    const pipeline = this.pipeline(spec);
    const written = new Set<GPUBuffer>();
    spec.buffers.forEach(([, access], i) => {
      if (access === 'read_write') written.add(buffers[i].buffer);
    });
    const copyBack: Array<[BufferRange, BufferRange]> = [];
    const bound = buffers.map((r, i) => {
      const writes = spec.buffers[i][1] === 'read_write';
      if (r.byteLength === 0) return writes ? this.temp(4) : this.dummy;
      const aligned = r.byteOffset % this.storageAlign === 0;
      if (aligned && (writes || !written.has(r.buffer))) return r;
      const tmp = this.temp(r.byteLength);
      this.copy(r, tmp);
      if (writes) copyBack.push([tmp, r]);
      return tmp;
    });
    const slot = this.uniforms.alloc(packParams(spec, params));
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: slot.buffer, offset: slot.offset, size: slot.size } }];
    bound.forEach((r, i) => {
      entries.push({ binding: i + 1, resource: { buffer: r.buffer, offset: r.byteOffset, size: Math.max(4, r.byteLength) } });
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.openPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    this.recorded++;
    this.dispatches++;
    for (const [src, dst] of copyBack) this.copy(src, dst);
  }

  /** A step-scoped scratch range, contents undefined. */
  temp(byteLength: number): BufferRange {
    return { buffer: this.storage.acquire(byteLength, true).buffer, byteOffset: 0, byteLength };
  }

  copy(src: BufferRange, dst: BufferRange): void {
    if (src.byteLength !== dst.byteLength) throw new Error(`copy of ${src.byteLength} bytes into ${dst.byteLength}`);
    if (src.byteLength === 0) return;
    if (src.buffer === dst.buffer) {
      // WebGPU forbids copies within one buffer; go through a temporary.
      const tmp = this.temp(src.byteLength);
      this.copy(src, tmp);
      this.copy(tmp, dst);
      return;
    }
    this.closePass();
    this.encoder.copyBufferToBuffer(src.buffer, src.byteOffset, dst.buffer, dst.byteOffset, src.byteLength);
    this.recorded++;
    this.copies++;
  }

  clear(r: BufferRange): void {
    if (r.byteLength === 0) return;
    this.closePass();
    this.encoder.clearBuffer(r.buffer, r.byteOffset, r.byteLength);
    this.recorded++;
    this.copies++;
  }

  /** Host data into a buffer no pending command uses (see the ordering rule above). */
  upload(r: BufferRange, data: ArrayBufferView): void {
    if (data.byteLength === 0) return;
    this.device.queue.writeBuffer(r.buffer, r.byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Host data into a range pending commands may use: staged, then copied in program order. */
  writeInOrder(r: BufferRange, data: ArrayBufferView): void {
    const tmp = this.temp(data.byteLength);
    this.upload(tmp, data);
    this.copy(tmp, r);
  }

  /**
   * Copy the range out. The copy is recorded now; the submission happens at the next `flush`
   * (endStep, sync) or, failing that, in a microtask, so a read never forces an extra submit
   * in the middle of synchronously recorded work.
   */
  read(r: BufferRange): Promise<ArrayBuffer> {
    if (r.byteLength === 0) return Promise.resolve(new ArrayBuffer(0));
    const staging = this.readback.acquire(r.byteLength, false).buffer;
    this.closePass();
    this.encoder.copyBufferToBuffer(r.buffer, r.byteOffset, staging, 0, r.byteLength);
    this.recorded++;
    const result = new Promise<ArrayBuffer>((resolve, reject) => {
      this.afterSubmit.push((error) => {
        const mapped = staging.mapAsync(GPUMapMode.READ, 0, r.byteLength);
        Promise.all([mapped, error]).then(
          ([, err]) => {
            const copy = staging.getMappedRange(0, r.byteLength).slice(0);
            staging.unmap();
            this.readback.release(staging);
            if (err) reject(new Error(`WebGPU error before this read: ${err}`));
            else resolve(copy);
          },
          (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
        );
      });
    });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        if (this.flushScheduled && !this.destroyed) this.flush();
      });
    }
    return result;
  }

  // ---- submission --------------------------------------------------------------------------------
  /** Submit everything recorded so far. Resolves to the first validation error of that work. */
  flush(): Promise<string | null> {
    this.flushScheduled = false;
    this.closePass();
    this.uniforms.upload(this.device.queue);
    this.device.queue.submit([this.encoder.finish()]);
    this.submissions++;
    this.recorded = 0;
    const scoped = this.device.popErrorScope().then((e) => (e ? e.message : null));
    const error = Promise.all([...this.pipelineErrors.splice(0), scoped]).then((all) => all.find((e) => e !== null) ?? null);
    this.encoder = this.beginEncoder();
    const callbacks = this.afterSubmit.splice(0);
    for (const cb of callbacks) cb(error);
    return error;
  }

  /** Submit, then hand step-scoped buffers back: later uploads into them queue after this submit. */
  endStep(): Promise<string | null> {
    const error = this.flush();
    this.storage.recycleStep();
    this.uniforms.recycleStep();
    return error;
  }

  stats(): RecorderStats {
    return {
      storage: this.storage.stats(),
      readback: this.readback.stats(),
      uniformChunks: this.uniforms.chunksCreated(),
      pipelines: this.pipelines.size,
      submissions: this.submissions,
      dispatches: this.dispatches,
      copies: this.copies,
    };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.closePass();
    this.storage.destroy();
    this.readback.destroy();
    this.uniforms.destroy();
    this.dummy.buffer.destroy();
  }

  // ---- internals ---------------------------------------------------------------------------------
  private beginEncoder(): GPUCommandEncoder {
    // One validation scope per submission, so a bad dispatch surfaces at the next read or sync
    // with WebGPU's message instead of as silently wrong numbers.
    this.device.pushErrorScope('validation');
    return this.device.createCommandEncoder({ label: 'step' });
  }

  private openPass(): GPUComputePassEncoder {
    // One pass across consecutive dispatches: WebGPU makes each dispatch its own usage scope, so
    // writes are visible to the next dispatch; only copies and clears need the pass closed.
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private closePass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private pipeline(spec: KernelSpec): GPUComputePipeline {
    const known = this.bySpec.get(spec);
    if (known) return known;
    const code = kernelSource(spec);
    let p = this.pipelines.get(code);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code, label: spec.label });
      p = this.device.createComputePipeline({
        label: spec.label,
        layout: this.pipelineLayout(spec),
        compute: { module, entryPoint: 'main' },
      });
      const label = spec.label;
      this.pipelineErrors.push(this.device.popErrorScope().then((e) => (e ? `kernel ${label}: ${e.message}` : null)));
      this.pipelines.set(code, p);
    }
    this.bySpec.set(spec, p);
    return p;
  }

  private pipelineLayout(spec: KernelSpec): GPUPipelineLayout {
    const key = spec.buffers.map(([, a]) => (a === 'read' ? 'r' : 'w')).join('');
    let pl = this.pipelineLayouts.get(key);
    if (!pl) {
      let bgl = this.layouts.get(key);
      if (!bgl) {
        const entries: GPUBindGroupLayoutEntry[] = [
          { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ];
        spec.buffers.forEach(([, access], i) => {
          entries.push({
            binding: i + 1,
            visibility: GPUShaderStage.COMPUTE,
            buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' },
          });
        });
        bgl = this.device.createBindGroupLayout({ entries });
        this.layouts.set(key, bgl);
      }
      pl = this.device.createPipelineLayout({ bindGroupLayouts: [bgl] });
      this.pipelineLayouts.set(key, pl);
    }
    return pl;
  }
}
