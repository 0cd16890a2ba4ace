/**
 * How a kernel is described: its uniform parameters, its storage buffers and a WGSL body.
 * The binding declarations are generated from the description so the WGSL and the explicit
 * bind-group layout cannot disagree (auto layouts drop unused bindings and then reject the
 * bind group, which is an easy mistake to make across dozens of kernels).
 */

export type ScalarType = 'f32' | 'i32' | 'u32';
export type Access = 'read' | 'read_write';

export interface KernelSpec {
  /** Pipeline label, shown in WebGPU error messages. */
  readonly label: string;
  /** Scalars packed into one uniform struct `P`, all 4 bytes, in this order. */
  readonly params: readonly (readonly [name: string, type: ScalarType])[];
  /** Storage bindings 1..n, in the order the caller passes tensors (vec4 views need 16-byte-multiple offsets and lengths). */
  readonly buffers: readonly (readonly [name: string, access: Access, type: ScalarType | 'vec4<f32>'])[];
  /** Helper functions and `@compute fn main(...)`. */
  readonly body: string;
  /** WGSL extensions the body needs (`enable …;` must precede every declaration). */
  readonly enable?: readonly string[];
}

/** Every kernel stays within this, below SwiftShader's 10 storage buffers in the browser. */
export const MAX_STORAGE_BINDINGS = 8;

export function kernelSource(spec: KernelSpec): string {
  if (spec.buffers.length > MAX_STORAGE_BINDINGS) {
    throw new Error(`kernel ${spec.label} has ${spec.buffers.length} storage bindings (max ${MAX_STORAGE_BINDINGS})`);
  }
  const fields = spec.params.length > 0 ? spec.params.map(([n, t]) => `  ${n}: ${t},`) : ['  unused: u32,'];
  const lines = [...(spec.enable ?? []).map((e) => `enable ${e};`), 'struct Params {', ...fields, '}', '@group(0) @binding(0) var<uniform> P: Params;'];
  spec.buffers.forEach(([name, access, type], i) => {
    lines.push(`@group(0) @binding(${i + 1}) var<storage, ${access}> ${name}: array<${type}>;`);
  });
  return `${lines.join('\n')}\n${spec.body}`;
}

/** Byte size of the uniform struct (WGSL rounds uniform structs up to 16 bytes). */
export function paramsByteSize(spec: KernelSpec): number {
  return Math.max(16, Math.ceil((spec.params.length * 4) / 16) * 16);
}

export function packParams(spec: KernelSpec, values: readonly number[]): ArrayBuffer {
  if (values.length !== spec.params.length) {
    throw new Error(`kernel ${spec.label} takes ${spec.params.length} parameters, got ${values.length}`);
  }
  const buf = new ArrayBuffer(paramsByteSize(spec));
  const view = new DataView(buf);
  spec.params.forEach(([, type], i) => {
    const v = values[i];
    if (type === 'f32') view.setFloat32(i * 4, v, true);
    else if (type === 'i32') view.setInt32(i * 4, v, true);
    else view.setUint32(i * 4, v >>> 0, true);
  });
  return buf;
}

export const WG1D = 256;
const MAX_GROUPS_PER_DIM = 65535;

/**
 * Workgroup counts for `threads` invocations of a 1-D kernel of `WG1D` lanes. Past 65535 groups
 * the grid folds into y; kernels recover the flat index with `flatIndex`.
 */
export function grid1d(threads: number, wg = WG1D): [number, number, number] {
  const groups = Math.max(1, Math.ceil(threads / wg));
  const x = Math.min(groups, MAX_GROUPS_PER_DIM);
  return [x, Math.ceil(groups / x), 1];
}

/** Entry point header of a 1-D kernel: binds `i` to the flat thread index and bounds it by `limit`. */
export function main1d(limit: string, body: string): string {
  return `@compute @workgroup_size(${WG1D})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${WG1D}u;
  if (i >= ${limit}) { return; }
${body}
}`;
}

/** Cache a spec builder by its arguments, so specs keep their identity (cheap pipeline lookup). */
export function memoSpec<A extends readonly (string | number | boolean)[]>(
  build: (...args: A) => KernelSpec,
): (...args: A) => KernelSpec {
  const cache = new Map<string, KernelSpec>();
  return (...args: A) => {
    const key = args.join('|');
    let s = cache.get(key);
    if (!s) {
      s = build(...args);
      cache.set(key, s);
    }
    return s;
  };
}

/**
 * WGSL helper `NAME(lid, v) -> f32`: `v` combined over a workgroup of `size` lanes (a power of
 * two) by sum or max. Ends with a barrier after everyone has read the result, so it can be
 * called repeatedly. Call it in uniform control flow.
 */
export function treeReduce(size: number, name = 'tree', combine: 'sum' | 'max' = 'sum'): string {
  const sh = `sh_${name}`;
  const op = combine === 'sum' ? `${sh}[lid] + ${sh}[lid + s]` : `max(${sh}[lid], ${sh}[lid + s])`;
  return `
var<workgroup> ${sh}: array<f32, ${size}>;
fn ${name}(lid: u32, v: f32) -> f32 {
  ${sh}[lid] = v;
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { ${sh}[lid] = ${op}; }
    workgroupBarrier();
  }
  let total = ${sh}[0];
  workgroupBarrier();
  return total;
}`;
}

/**
 * A workgroup sum in two barriers: every lane writes its value, then every lane adds all `size`
 * values itself (the same order in every lane, so all get the same total). A tree needs
 * log2(size) + 2 barriers; on CPU-emulated adapters (SwiftShader, lavapipe) each barrier switches
 * every invocation of the workgroup, and on GPUs the broadcast reads of shared memory are cheap.
 */
export function flatReduce(size: number, name = 'flat'): string {
  const sh = `sh_${name}`;
  return `
var<workgroup> ${sh}: array<f32, ${size}>;
fn ${name}(lid: u32, v: f32) -> f32 {
  ${sh}[lid] = v;
  workgroupBarrier();
  var total = 0.0;
  for (var k = 0u; k < ${size}u; k = k + 1u) { total = total + ${sh}[k]; }
  workgroupBarrier();
  return total;
}`;
}

/** Workgroup counts for one workgroup per row, folded into y past 65535 rows. */
export function gridRows(rows: number): [number, number, number] {
  return grid1d(rows, 1);
}
