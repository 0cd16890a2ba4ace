import { type Backend, type Tensor, sizeOf } from './backend.ts';
import { Var } from './graph.ts';

/**
 * Parameters, gradients and both Adam moments each live in one flat buffer (the llm.c layout), so
 * zeroing, the global norm and AdamW are one dispatch each, and safetensors import/export is a
 * table of offsets.
 *
 * Parameters are declared in groups: a group's members sit back to back (so query, key and value
 * weights form one fused [3H, H] matrix) and each group starts on a 64-float (256-byte) boundary,
 * the storage-buffer offset alignment WebGPU guarantees. Groups that get weight decay come first,
 * so decay is a single `decayEnd` index.
 */

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface ParamGroup {
  /** The fused view's name (the first member's name when there is one member). */
  readonly name: string;
  readonly members: readonly ParamSpec[];
  readonly decay: boolean;
}

export interface ParamEntry extends ParamSpec {
  readonly offset: number;
  readonly size: number;
  readonly decay: boolean;
}

export interface GroupEntry {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** Fused shape: members stacked along the first dimension. */
  readonly shape: readonly number[];
}

const ALIGN = 64;

export class ParamLayout {
  readonly entries: readonly ParamEntry[];
  readonly groups: ReadonlyMap<string, GroupEntry>;
  readonly totalSize: number;
  readonly decayEnd: number;
  private readonly byName: Map<string, ParamEntry>;

  constructor(groups: readonly ParamGroup[]) {
    const ordered = [...groups.filter((g) => g.decay), ...groups.filter((g) => !g.decay)];
    const entries: ParamEntry[] = [];
    const groupEntries = new Map<string, GroupEntry>();
    let offset = 0;
    let decayEnd = 0;
    for (const group of ordered) {
      offset = Math.ceil(offset / ALIGN) * ALIGN;
      const start = offset;
      const rest = group.members[0].shape.slice(1);
      let rows = 0;
      for (const m of group.members) {
        const size = sizeOf(m.shape);
        entries.push({ name: m.name, shape: m.shape, offset, size, decay: group.decay });
        offset += size;
        rows += m.shape[0];
        if (m.shape.slice(1).join() !== rest.join()) throw new Error(`group ${group.name}: members differ in trailing shape`);
      }
      if (groupEntries.has(group.name)) throw new Error(`duplicate parameter group ${group.name}`);
      groupEntries.set(group.name, { name: group.name, offset: start, size: offset - start, shape: [rows, ...rest] });
      if (group.decay) decayEnd = offset;
    }
    this.entries = entries;
    this.groups = groupEntries;
    this.totalSize = Math.ceil(offset / ALIGN) * ALIGN;
    this.decayEnd = decayEnd;
    this.byName = new Map(entries.map((e) => [e.name, e]));
    if (this.byName.size !== entries.length) throw new Error('duplicate parameter names');
  }

  entry(name: string): ParamEntry {
    const e = this.byName.get(name);
    if (!e) throw new Error(`no parameter named ${name}`);
    return e;
  }

  get parameterCount(): number {
    return this.entries.reduce((s, e) => s + e.size, 0);
  }
}

/** The four flat buffers on a backend, with Vars for each group (value and gradient views). */
export class ParamStore {
  readonly params: Tensor;
  private gradBuffer: Tensor | null = null;
  private moments: { m: Tensor; v: Tensor } | null = null;
  private readonly vars = new Map<string, Var>();

  constructor(
    readonly backend: Backend,
    readonly layout: ParamLayout,
    values: Float32Array,
  ) {
    if (values.length !== layout.totalSize) throw new Error(`parameter buffer has ${values.length} values, layout needs ${layout.totalSize}`);
    this.params = backend.fromFloat32(values, [layout.totalSize], true);
  }

  /** Allocates gradients and moments on first use, so inference-only models do not pay for them. */
  enableTraining(): void {
    if (this.gradBuffer) return;
    this.gradBuffer = this.backend.zeros([this.layout.totalSize], 'f32', true);
    this.moments = {
      m: this.backend.zeros([this.layout.totalSize], 'f32', true),
      v: this.backend.zeros([this.layout.totalSize], 'f32', true),
    };
    this.vars.clear();
  }

  get grads(): Tensor {
    if (!this.gradBuffer) throw new Error('training is not enabled on this model');
    return this.gradBuffer;
  }
  get adamMoments(): { m: Tensor; v: Tensor } {
    if (!this.moments) throw new Error('training is not enabled on this model');
    return this.moments;
  }
  get training(): boolean {
    return this.gradBuffer !== null;
  }

  /** A group's value (and, when training, gradient view) as a graph leaf. */
  group(name: string): Var {
    let v = this.vars.get(name);
    if (!v) {
      const g = this.layout.groups.get(name);
      if (!g) throw new Error(`no parameter group named ${name}`);
      const value = this.backend.view(this.params, g.offset, g.shape);
      const grad = this.gradBuffer ? this.backend.view(this.gradBuffer, g.offset, g.shape) : null;
      v = new Var(value, grad, grad !== null);
      this.vars.set(name, v);
    }
    return v;
  }

  async readParams(): Promise<Float32Array> {
    return this.backend.read(this.params);
  }
  async readGrads(): Promise<Float32Array> {
    return this.backend.read(this.grads);
  }
}
