/**
 * C[M, N] (+)= A·B (+ bias) in numbered variants, as llm.c's dev/cuda: CPU-emulated adapters
 * (SwiftShader, lavapipe) run workgroups as loops over lanes and gain from many outputs per
 * thread held in registers, while workgroup memory and barriers cost them dearly; real GPUs
 * want the opposite, a shared-memory tile. Transposes are compile-time (straight-line indexing
 * in the inner loop); bias and accumulate are runtime flags, to keep the pipeline count — and
 * SwiftShader's seconds-long compiles — down.
 *
 * Out-of-range rows and columns are clamped on load (register variants: no branch in the inner
 * loop) or zero-filled (tiled), and masked on store, so any M, N, K ≥ 0 works.
 *
 * What CPU adapters charge for (Mesa 25 lavapipe, read off its JIT code and timed with
 * bench/matmul-variants.ts): a storage-buffer load inside a loop becomes a loop over the 8 lanes
 * with a bounds check, a branch and an insert per component — whether or not every lane reads the
 * same address — about 30–40 cycles per 8-lane scalar load (a vec4 costs ~2.5 scalars) against ~2
 * for a multiply-add. Loads, not arithmetic, set the speed. The subgroup variant loads each value
 * of A once per subgroup and shares it: lanes load different rows, and `subgroupBroadcast` (a
 * register extract there) hands every row to every lane. Per 4 k-steps its lanes load 8 vec4 each
 * for a 32×32 tile; register8x8's lanes load 64 scalars each for 8 lanes × 8×8 outputs.
 */
import { type KernelSpec, memoSpec } from '../kernel.ts';

export type MatmulVariantName = 'subgroup' | 'register8x8' | 'register4x4' | 'tiled64';

/** One product C[M, N] = op(A)·op(B) as the backend is about to dispatch it. */
export interface MatmulShape {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly transA: boolean;
  readonly transB: boolean;
  /** Both operand views start 16-byte aligned, so they can be bound as vec4 arrays. */
  readonly vec4: boolean;
}

export interface MatmulPick {
  readonly spec: KernelSpec;
  readonly groups: [number, number, number];
}

export interface MatmulVariant {
  readonly name: MatmulVariantName;
  readonly description: string;
  /** The default on CPU-emulated adapters (true) or on real GPUs (false). */
  readonly forCpuAdapters: boolean;
  /** Whether it runs on a device whose fixed subgroup size is this (null: none or not fixed). */
  supports(subgroupSize: number | null): boolean;
  /** Kernel and grid for this shape; `subgroupSize` is the device's fixed size, or null. */
  pick(shape: MatmulShape, subgroupSize: number | null): MatmulPick;
}

const PARAMS: KernelSpec['params'] = [['M', 'u32'], ['N', 'u32'], ['K', 'u32'], ['hasBias', 'u32'], ['accumulate', 'u32']];
const BUFFERS: KernelSpec['buffers'] = [['a', 'read', 'f32'], ['b', 'read', 'f32'], ['bias', 'read', 'f32'], ['c', 'read_write', 'f32']];

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const VEC = ['x', 'y', 'z', 'w'];

/** Masked store of output (m, n) from expression `v`: c = (c +) acc + bias, as the CPU orders it. */
function storeOne(m: string, n: string, v: string): string {
  return `  if (${m} < P.M && ${n} < P.N) {
    let idx = ${m} * P.N + ${n};
    var v = ${v};
    if (P.hasBias != 0u) { v = v + bias[${n}]; }
    if (P.accumulate != 0u) { v = c[idx] + v; }
    c[idx] = v;
  }`;
}

function registerSpec(rm: number, rn: number, wx: number, wy: number, transA: boolean, transB: boolean): KernelSpec {
  const rows = range(rm), quads = range(rn / 4), cols = range(rn);
  const lines: string[] = [];
  lines.push(`@compute @workgroup_size(${wx}, ${wy})`);
  lines.push('fn main(@builtin(global_invocation_id) gid: vec3<u32>) {');
  lines.push(`  let nBase = gid.x * ${rn}u;`, `  let mBase = gid.y * ${rm}u;`);
  lines.push('  if (nBase >= P.N || mBase >= P.M) { return; }');
  lines.push('  let mLast = P.M - 1u;', '  let nLast = P.N - 1u;');
  for (const i of rows) lines.push(`  let m${i} = min(mBase + ${i}u, mLast);`);
  for (const j of cols) lines.push(`  let n${j} = min(nBase + ${j}u, nLast);`);
  if (!transA) for (const i of rows) lines.push(`  let ar${i} = m${i} * P.K;`);
  if (transB) for (const j of cols) lines.push(`  let br${j} = n${j} * P.K;`);
  for (const i of rows) for (const q of quads) lines.push(`  var c${i}_${q} = vec4<f32>(0.0);`);
  lines.push('  for (var k = 0u; k < P.K; k = k + 1u) {');
  if (transA) lines.push('    let ak = k * P.M;');
  if (!transB) lines.push('    let bk = k * P.N;');
  for (const i of rows) lines.push(`    let a${i} = a[${transA ? `ak + m${i}` : `ar${i} + k`}];`);
  for (const q of quads) {
    const elems = range(4).map((e) => {
      const j = q * 4 + e;
      return `b[${transB ? `br${j} + k` : `bk + n${j}`}]`;
    });
    lines.push(`    let b${q} = vec4<f32>(${elems.join(', ')});`);
  }
  for (const i of rows) for (const q of quads) lines.push(`    c${i}_${q} = c${i}_${q} + a${i} * b${q};`);
  lines.push('  }');
  for (const i of rows) {
    for (const j of cols) lines.push(storeOne(`(mBase + ${i}u)`, `(nBase + ${j}u)`, `c${i}_${j >> 2}.${VEC[j & 3]}`));
  }
  lines.push('}');
  return { label: `matmul register${rm}x${rn}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`, params: PARAMS, buffers: BUFFERS, body: lines.join('\n') };
}

/**
 * C = A·Bᵀ (the Linear layer's x·Wᵀ) when K is a multiple of 4: both operands are read as vec4
 * along K, so each step loads 8 + 8 vectors for 64 four-term dot products — a quarter of the
 * loads (and of the bounds checks WebGPU puts on each) of the scalar register kernel.
 */
export function registerDotSpec(): KernelSpec {
  const rows = range(8), cols = range(8);
  const lines: string[] = [];
  lines.push('@compute @workgroup_size(8, 8)');
  lines.push('fn main(@builtin(global_invocation_id) gid: vec3<u32>) {');
  lines.push('  let nBase = gid.x * 8u;', '  let mBase = gid.y * 8u;');
  lines.push('  if (nBase >= P.N || mBase >= P.M) { return; }');
  lines.push('  let K4 = P.K / 4u;', '  let mLast = P.M - 1u;', '  let nLast = P.N - 1u;');
  for (const i of rows) lines.push(`  let ar${i} = min(mBase + ${i}u, mLast) * K4;`);
  for (const j of cols) lines.push(`  let br${j} = min(nBase + ${j}u, nLast) * K4;`);
  for (const i of rows) for (const j of cols) lines.push(`  var c${i}_${j} = 0.0;`);
  lines.push('  for (var k = 0u; k < K4; k = k + 1u) {');
  for (const i of rows) lines.push(`    let va${i} = a4[ar${i} + k];`);
  for (const j of cols) lines.push(`    let vb${j} = b4[br${j} + k];`);
  for (const i of rows) for (const j of cols) lines.push(`    c${i}_${j} = c${i}_${j} + dot(va${i}, vb${j});`);
  lines.push('  }');
  for (const i of rows) for (const j of cols) lines.push(storeOne(`(mBase + ${i}u)`, `(nBase + ${j}u)`, `c${i}_${j}`));
  lines.push('}');
  return {
    label: 'matmul register8x8 dot4 Bᵀ',
    params: PARAMS,
    buffers: [['a4', 'read', 'vec4<f32>'], ['b4', 'read', 'vec4<f32>'], ['bias', 'read', 'f32'], ['c', 'read_write', 'f32']],
    body: lines.join('\n'),
  };
}

/** 64×64 output tile per workgroup of 16×16 threads, 4×4 outputs each, K in slices of 16. */
function tiledSpec(transA: boolean, transB: boolean): KernelSpec {
  // Load mappings follow the memory order of each operand so neighbouring lanes read
  // neighbouring addresses.
  const loadA = transA
    ? 'let mm = e % 64u; let kk = e / 64u; let m = mBase + mm; let k = k0 + kk; if (m < P.M && k < P.K) { v = a[k * P.M + m]; }'
    : 'let kk = e % 16u; let mm = e / 16u; let m = mBase + mm; let k = k0 + kk; if (m < P.M && k < P.K) { v = a[m * P.K + k]; }';
  const loadB = transB
    ? 'let kk = e % 16u; let nn = e / 16u; let n = nBase + nn; let k = k0 + kk; if (n < P.N && k < P.K) { v = b[n * P.K + k]; }'
    : 'let nn = e % 64u; let kk = e / 64u; let n = nBase + nn; let k = k0 + kk; if (n < P.N && k < P.K) { v = b[k * P.N + n]; }';
  const stores: string[] = [];
  for (const i of range(4)) {
    for (const j of range(4)) stores.push(storeOne(`(mRow + ${i}u)`, `(nCol + ${j}u)`, `c${i}.${VEC[j]}`));
  }
  const body = `
var<workgroup> As: array<f32, 1024>;
var<workgroup> Bs: array<f32, 1024>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let mBase = wid.y * 64u;
  let nBase = wid.x * 64u;
  let mRow = mBase + lid.y * 4u;
  let nCol = nBase + lid.x * 4u;
  var c0 = vec4<f32>(0.0); var c1 = vec4<f32>(0.0); var c2 = vec4<f32>(0.0); var c3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < P.K; k0 = k0 + 16u) {
    for (var l = 0u; l < 4u; l = l + 1u) {
      let e = tid + l * 256u;
      { var v = 0.0; ${loadA} As[kk * 64u + mm] = v; }
      { var v = 0.0; ${loadB} Bs[kk * 64u + nn] = v; }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      let ab = kk * 64u + lid.y * 4u;
      let bb = kk * 64u + lid.x * 4u;
      let bv = vec4<f32>(Bs[bb], Bs[bb + 1u], Bs[bb + 2u], Bs[bb + 3u]);
      c0 = c0 + As[ab] * bv;
      c1 = c1 + As[ab + 1u] * bv;
      c2 = c2 + As[ab + 2u] * bv;
      c3 = c3 + As[ab + 3u] * bv;
    }
    workgroupBarrier();
  }
${stores.join('\n')}
}`;
  return { label: `matmul tiled64${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`, params: PARAMS, buffers: BUFFERS, body };
}

/**
 * The subgroup kernel: a workgroup is one subgroup of S lanes computing a (4·S)×(4·S) tile of C.
 * Rows are shared: lane s loads rows s, S+s, … of A (as vec4 along K, or along M for Aᵀ) and
 * `subgroupBroadcast` hands each of them to every lane. Columns are private: lane s owns 4
 * neighbouring columns and loads them as vec4 (along N for B, along K for Bᵀ). K advances by 4
 * per iteration (one vec4 of A holds 4 k; Aᵀ·B loads 4 rows of Aᵀ), by 1 for Aᵀ·B when K % 4 ≠ 0.
 * Accumulators are one vec4 per row: lavapipe keeps them on the stack, which costs less than the
 * loads a smaller tile would add (8·S rows or 8 columns per lane compiled for minutes there, for
 * no measurable gain).
 *
 * Needs N % 4 = 0 (a lane's 4 columns are all in C or all out), K % 4 = 0 for A·B and A·Bᵀ;
 * `aVecM` (Aᵀ read as vec4 along M) needs M % 4 = 0. No Aᵀ·Bᵀ form (nothing in the model uses it).
 */
export function subgroupSpec(S: number, transA: boolean, transB: boolean, aVecM: boolean, k4: boolean): KernelSpec {
  if (transA && transB) throw new Error('the subgroup matmul has no Aᵀ·Bᵀ form');
  if (!transA && !k4) throw new Error('the subgroup matmul steps K by 4 for A·B and A·Bᵀ');
  const tm = 4 * S;
  const rows = range(tm), cols = range(4);
  const vecM = transA && aVecM;
  const aLoads = range(vecM ? 1 : 4);
  const kStep = k4 ? 4 : 1;
  const L: string[] = [];
  L.push(`@compute @workgroup_size(${S})`);
  L.push('fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) sid: u32) {');
  L.push(`  let nBase = (wid.x * ${S}u + sid) * 4u;`, `  let mBase = wid.y * ${tm}u;`);
  L.push('  let mLast = P.M - 1u;', '  let nLast = P.N - 1u;', '  let K4 = P.K / 4u;', '  let N4 = P.N / 4u;', '  let M4 = P.M / 4u;');
  // Strides as values: lavapipe computes every index per lane and takes seconds longer to compile
  // when the loop multiplies them out.
  const aRow = vecM ? 'M4' : 'P.M';
  if (kStep === 4) L.push(`  let aRow2 = 2u * ${aRow};`, `  let aRow3 = 3u * ${aRow};`, `  let aRow4 = 4u * ${aRow};`, '  let bRow2 = 2u * N4;', '  let bRow3 = 3u * N4;', '  let bRow4 = 4u * N4;');
  const row = (base: string, kk: number, one: string, many: string) => (kk === 0 ? base : `${base} + ${kk === 1 ? one : `${many}${kk}`}`);
  // Offsets into the operands, clamped once so the loop never branches on edges (stores mask them).
  if (!transA) for (const g of aLoads) L.push(`  var ar${g} = min(mBase + ${g * S}u + sid, mLast) * K4;`);
  else if (vecM) L.push('  var ar0 = min(mBase / 4u + sid, M4 - 1u);');
  else for (const g of aLoads) L.push(`  var ar${g} = min(mBase + ${g * S}u + sid, mLast);`);
  if (transB) for (const j of cols) L.push(`  var br${j} = min(nBase + ${j}u, nLast) * K4;`);
  else L.push('  var br = min(nBase / 4u, N4 - 1u);');
  for (const i of rows) L.push(`  var c${i} = vec4<f32>(0.0);`);
  L.push(`  for (var k = 0u; k < P.K; k = k + ${kStep}u) {`);
  if (!transA) for (const g of aLoads) L.push(`    let va${g} = a4[ar${g}];`);
  else for (const kk of range(kStep)) for (const g of aLoads) L.push(`    let va${g}_${kk} = ${vecM ? 'a4' : 'a'}[${row(`ar${g}`, kk, aRow, 'aRow')}];`);
  if (transB) for (const j of cols) L.push(`    let vb${j} = b4[br${j}];`);
  for (const kk of range(kStep)) {
    const bv = transB ? `vec4<f32>(${cols.map((j) => `vb${j}.${VEC[kk]}`).join(', ')})` : `b4[${row('br', kk, 'N4', 'bRow')}]`;
    L.push(`    let vb_${kk} = ${bv};`);
  }
  // Row by row, all k-steps of a row together: the accumulators live on lavapipe's stack, and this
  // order loads and stores each once per iteration rather than once per k-step (~1.3× on A·B).
  for (const i of rows) {
    for (const kk of range(kStep)) {
      const src = !transA ? `va${Math.floor(i / S)}.${VEC[kk]}` : vecM ? `va0_${kk}.${VEC[i & 3]}` : `va${Math.floor(i / S)}_${kk}`;
      const lane = vecM ? i >> 2 : i % S;
      L.push(`    c${i} = fma(vec4<f32>(subgroupBroadcast(${src}, ${lane}u)), vb_${kk}, c${i});`);
    }
  }
  // Offsets advance by addition, not by multiplying k: no per-lane multiplies in the loop.
  const aStep = !transA ? '1u' : kStep === 4 ? 'aRow4' : aRow;
  for (const g of aLoads) L.push(`    ar${g} = ar${g} + ${aStep};`);
  if (transB) for (const j of cols) L.push(`    br${j} = br${j} + 1u;`);
  else L.push(`    br = br + ${kStep === 4 ? 'bRow4' : 'N4'};`);
  L.push('  }');
  // One branch per row and the bias read once: per-element masked stores (storeOne) made this
  // kernel take three times as long to compile on lavapipe (~23 s against ~8).
  L.push('  if (nBase < P.N) {');
  L.push('    var bq = vec4<f32>(0.0);');
  L.push('    if (P.hasBias != 0u) { bq = vec4<f32>(bias[nBase], bias[nBase + 1u], bias[nBase + 2u], bias[nBase + 3u]); }');
  L.push('    let acc = P.accumulate != 0u;');
  for (const i of rows) {
    L.push(`    if (mBase + ${i}u < P.M) {`, `      let idx = (mBase + ${i}u) * P.N + nBase;`, `      var v = c${i} + bq;`);
    L.push('      if (acc) { v = vec4<f32>(c[idx], c[idx + 1u], c[idx + 2u], c[idx + 3u]) + v; }');
    L.push('      c[idx] = v.x; c[idx + 1u] = v.y; c[idx + 2u] = v.z; c[idx + 3u] = v.w;', '    }');
  }
  L.push('  }');
  L.push('}');
  const aVec = !transA || vecM;
  return {
    label: `matmul subgroup${S}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}${vecM ? ' vec4-M' : ''}${transA && !k4 ? ' k1' : ''}`,
    params: PARAMS,
    buffers: [[aVec ? 'a4' : 'a', 'read', aVec ? 'vec4<f32>' : 'f32'], ['b4', 'read', 'vec4<f32>'], ['bias', 'read', 'f32'], ['c', 'read_write', 'f32']],
    body: L.join('\n'),
    enable: ['subgroups'],
  };
}

const register8 = memoSpec((ta: boolean, tb: boolean) => registerSpec(8, 8, 8, 8, ta, tb));
/** The vec4 form of register8x8 for A·Bᵀ with K % 4 = 0 (same 8×8 outputs per thread, same grid). */
export const register8Dot = memoSpec(() => registerDotSpec());
const register4 = memoSpec((ta: boolean, tb: boolean) => registerSpec(4, 4, 16, 16, ta, tb));
const tiled = memoSpec((ta: boolean, tb: boolean) => tiledSpec(ta, tb));
const subgroup = memoSpec((S: number, ta: boolean, tb: boolean, vecM: boolean, k4: boolean) => subgroupSpec(S, ta, tb, vecM, k4));
const groups64 = (M: number, N: number): [number, number, number] => [Math.max(1, Math.ceil(N / 64)), Math.max(1, Math.ceil(M / 64)), 1];

function pickRegister8(s: MatmulShape): MatmulPick {
  // Linear layers (x·Wᵀ) with K % 4 = 0 read both operands as vec4.
  const dot4 = s.transB && !s.transA && s.K % 4 === 0 && s.vec4;
  return { spec: dot4 ? register8Dot() : register8(s.transA, s.transB), groups: groups64(s.M, s.N) };
}

/** Whether the subgroup kernel takes this shape (its vec4 loads need these divisibilities). */
export function subgroupFits(s: MatmulShape): boolean {
  if (!s.vec4 || (s.transA && s.transB)) return false;
  return s.N % 4 === 0 && (s.transA || s.K % 4 === 0);
}

export const matmulVariants: readonly MatmulVariant[] = [
  {
    name: 'subgroup',
    description: 'one subgroup per workgroup, rows of A shared by subgroupBroadcast, vec4 loads (SwiftShader, lavapipe)',
    forCpuAdapters: true,
    // A workgroup is one subgroup and its tile 4·S rows: S = 16 (lavapipe forced to 512-bit
    // vectors) or 32 (GPUs) would mean 64 or 128 accumulators, minutes of compiling on lavapipe.
    supports: (S) => S === 4 || S === 8,
    pick: (s, S) => {
      if (S !== 4 && S !== 8) throw new Error(`the subgroup matmul needs a fixed subgroup size of 4 or 8, not ${S}`);
      // Other shapes (K or N not a multiple of 4, unaligned views) take the register kernel.
      if (!subgroupFits(s)) return pickRegister8(s);
      const tile = 4 * S;
      return { spec: subgroup(S, s.transA, s.transB, s.transA && s.M % 4 === 0, s.K % 4 === 0), groups: [Math.max(1, Math.ceil(s.N / tile)), Math.max(1, Math.ceil(s.M / tile)), 1] };
    },
  },
  {
    name: 'register8x8',
    description: '8×8 outputs per thread in registers, no workgroup memory (CPU adapters without a fixed subgroup size of 4 or 8)',
    forCpuAdapters: true,
    supports: () => true,
    pick: pickRegister8,
  },
  {
    name: 'register4x4',
    description: '4×4 outputs per thread in registers, no workgroup memory',
    forCpuAdapters: false,
    supports: () => true,
    pick: (s) => ({ spec: register4(s.transA, s.transB), groups: groups64(s.M, s.N) }),
  },
  {
    name: 'tiled64',
    description: '64×64 workgroup-memory tile, 4×4 outputs per thread (real GPUs)',
    forCpuAdapters: false,
    supports: () => true,
    pick: (s) => ({ spec: tiled(s.transA, s.transB), groups: groups64(s.M, s.N) }),
  },
];

export function matmulVariant(name: MatmulVariantName): MatmulVariant {
  const v = matmulVariants.find((x) => x.name === name);
  if (!v) throw new Error(`unknown matmul variant ${name}`);
  return v;
}
