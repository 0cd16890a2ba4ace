/**
 * Records every op of a step into one command encoder and submits only when asked (`flush`).
 *
 * Ordering rule: `queue.writeBuffer` executes before any command buffer submitted after it, i.e.
 * *before* everything still sitting in the current encoder. So host data only ever goes into
 * buffers that no recorded-but-unsubmitted command uses: fresh pooled buffers (uploads, the
 * uniform arena) or a staging buffer that is then copied in-encoder (`writeInOrder`).
 */
import { type KernelSpec, kernelSource, packParams } from './kernel.ts';
import { BufferPool, type PoolStats, UniformArena, type UniformSlot } from './pool.ts';

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
  /** Dispatches and copies/clears (readbacks included) recorded since the recorder was made; a step's count is a difference. */
  readonly dispatches: number;
  readonly copies: number;
  /** Bind groups created: flat across steps of one shape when the cache works. */
  readonly bindGroups: number;
}

/** A compiled kernel and the bind-group layout its bind groups are made for. */
interface CompiledKernel {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export class Recorder {
  readonly storage: BufferPool;
  private readonly readback: BufferPool;
  private readonly uniforms: UniformArena;
  /** Keyed by WGSL source: equal kernels built twice still compile once (1–3 s on SwiftShader). */
  private readonly pipelines = new Map<string, CompiledKernel>();
  private readonly bySpec = new WeakMap<KernelSpec, CompiledKernel>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;
  /** The pipeline last set in the open pass, so a run of the same kernel sets it once. */
  private passPipeline: GPUComputePipeline | null = null;
  private readonly pipelineLayouts = new Map<string, { pipelineLayout: GPUPipelineLayout; layout: GPUBindGroupLayout }>();
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
  private bindGroupsCreated = 0;
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
    const access = spec.buffers;
    if (buffers.length !== access.length) {
      throw new Error(`kernel ${spec.label} takes ${access.length} buffers, got ${buffers.length}`);
    }
    const { pipeline, layout } = this.pipeline(spec);
    let copyBack: Array<[BufferRange, BufferRange]> | null = null;
    const bound: BufferRange[] = new Array<BufferRange>(buffers.length);
    for (let i = 0; i < buffers.length; i++) {
      const r = buffers[i];
      const writes = access[i][1] === 'read_write';
      if (r.byteLength === 0) {
        bound[i] = writes ? this.temp(4) : this.dummy;
        continue;
      }
      if (r.byteOffset % this.storageAlign === 0 && (writes || !writtenBy(access, buffers, r.buffer))) {
        bound[i] = r;
        continue;
      }
      const tmp = this.temp(r.byteLength);
      this.copy(r, tmp);
      if (writes) (copyBack ??= []).push([tmp, r]);
      bound[i] = tmp;
    }
    const slot = this.uniforms.alloc(packParams(spec, params));
    const pass = this.openPass();
    if (this.passPipeline !== pipeline) {
      pass.setPipeline(pipeline);
      this.passPipeline = pipeline;
    }
    pass.setBindGroup(0, this.bindGroup(layout, slot, bound), [slot.offset]);
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    this.recorded++;
    this.dispatches++;
    if (copyBack) for (const [src, dst] of copyBack) this.copy(src, dst);
  }

  /**
   * The bind group of these exact ranges, made once and reused: creating one is most of what a
   * dispatch costs the host (~57 µs of ~150 in Dawn on this VM's CPU), and a training step binds
   * the same pooled buffers at the same offsets every time. The uniform slot is a dynamic offset,
   * so only its chunk is part of the key. Bounded: a full cache (other shapes) starts over.
   */
  private bindGroup(layout: GPUBindGroupLayout, slot: UniformSlot, bound: readonly BufferRange[]): GPUBindGroup {
    let key = `${this.idOf(layout)}|${this.idOf(slot.buffer)}:${slot.size}`;
    for (const r of bound) key += `|${this.idOf(r.buffer)}:${r.byteOffset}:${r.byteLength}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size >= MAX_CACHED_BIND_GROUPS) this.bindGroups.clear();
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: slot.buffer, offset: 0, size: slot.size } }];
      for (let i = 0; i < bound.length; i++) {
        const r = bound[i];
        entries.push({ binding: i + 1, resource: { buffer: r.buffer, offset: r.byteOffset, size: Math.max(4, r.byteLength) } });
      }
      group = this.device.createBindGroup({ layout, entries });
      this.bindGroupsCreated++;
      this.bindGroups.set(key, group);
    }
    return group;
  }

  private idOf(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = ++this.nextId;
      this.ids.set(o, id);
    }
    return id;
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
    this.copies++;
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
      bindGroups: this.bindGroupsCreated,
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
    if (!this.pass) {
      this.pass = this.encoder.beginComputePass();
      this.passPipeline = null;
    }
    return this.pass;
  }

  private closePass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private pipeline(spec: KernelSpec): CompiledKernel {
    const known = this.bySpec.get(spec);
    if (known) return known;
    const code = kernelSource(spec);
    let p = this.pipelines.get(code);
    if (!p) {
      const { pipelineLayout, layout } = this.pipelineLayout(spec);
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code, label: spec.label });
      const pipeline = this.device.createComputePipeline({
        label: spec.label,
        layout: pipelineLayout,
        compute: { module, entryPoint: 'main' },
      });
      const label = spec.label;
      this.pipelineErrors.push(this.device.popErrorScope().then((e) => (e ? `kernel ${label}: ${e.message}` : null)));
      p = { pipeline, layout };
      this.pipelines.set(code, p);
    }
    this.bySpec.set(spec, p);
    return p;
  }

  private pipelineLayout(spec: KernelSpec): { pipelineLayout: GPUPipelineLayout; layout: GPUBindGroupLayout } {
    const key = spec.buffers.map(([, a]) => (a === 'read' ? 'r' : 'w')).join('');
    let pl = this.pipelineLayouts.get(key);
    if (!pl) {
      const entries: GPUBindGroupLayoutEntry[] = [
        // Dynamic: the uniform slot moves every dispatch while the bind group is reused.
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ];
      spec.buffers.forEach(([, access], i) => {
        entries.push({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' },
        });
      });
      const layout = this.device.createBindGroupLayout({ entries });
      pl = { pipelineLayout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }), layout };
      this.pipelineLayouts.set(key, pl);
    }
    return pl;
  }
}

/** Whether a read_write binding of this dispatch is `buffer` (then a read of it must be staged). */
function writtenBy(access: KernelSpec['buffers'], buffers: readonly BufferRange[], buffer: GPUBuffer): boolean {
  for (let i = 0; i < access.length; i++) if (access[i][1] === 'read_write' && buffers[i].buffer === buffer) return true;
  return false;
}

/** Past this many, the bind-group cache starts over (a step binds ~300; new shapes add more). */
const MAX_CACHED_BIND_GROUPS = 4096;
