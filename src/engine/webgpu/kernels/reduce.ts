/**
 * Deterministic reductions without atomics: per-column loops for bias gradients, and a two-stage
 * tree (many workgroups write partial sums, one workgroup adds them) for whole-tensor sums.
 */
import { type KernelSpec, main1d, treeReduce } from '../kernel.ts';

/** out[n] (+)= Σ_m x[m, n]; one thread per column. */
export const sumRowsKernel: KernelSpec = {
  label: 'sumRows',
  params: [['M', 'u32'], ['N', 'u32'], ['accumulate', 'u32']],
  buffers: [['x', 'read', 'f32'], ['out', 'read_write', 'f32']],
  body: main1d(
    'P.N',
    `  var s = 0.0;
  for (var m = 0u; m < P.M; m = m + 1u) { s = s + x[m * P.N + i]; }
  if (P.accumulate != 0u) { s = out[i] + s; }
  out[i] = s;`,
  ),
};

export const REDUCE_WG = 256;
/** Partial sums per workgroup; the second stage is one workgroup, so at most this many. */
export const MAX_PARTIALS = 256;

export function partialGroups(n: number): number {
  return Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(n / (REDUCE_WG * 4))));
}

const TREE = treeReduce(REDUCE_WG);

function partialSpec(label: string, buffers: KernelSpec['buffers'], term: string): KernelSpec {
  return {
    label,
    params: [['n', 'u32']],
    buffers: [...buffers, ['partial', 'read_write', 'f32']],
    body: `${TREE}
@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>, @builtin(num_workgroups) g: vec3<u32>) {
  var acc = 0.0;
  for (var i = w.x * ${REDUCE_WG}u + l.x; i < P.n; i = i + g.x * ${REDUCE_WG}u) {
    ${term}
  }
  let total = tree(l.x, acc);
  if (l.x == 0u) { partial[w.x] = total; }
}`,
  };
}

/** partial[g] = Σ x² over workgroup g's stride. */
export const sumSquaresPartialKernel = partialSpec('sumSquares partial', [['x', 'read', 'f32']], 'let v = x[i]; acc = acc + v * v;');

/** partial[g] = Σ (a - b)² over workgroup g's stride. */
export const squaredErrorPartialKernel = partialSpec(
  'squaredError partial',
  [['a', 'read', 'f32'], ['b', 'read', 'f32']],
  'let d = a[i] - b[i]; acc = acc + d * d;',
);

/** out[0] = factor · Σ x[0..n): the second stage, and the mean of per-row losses. */
export const sumScaledKernel: KernelSpec = {
  label: 'sum scaled',
  params: [['n', 'u32'], ['factor', 'f32']],
  buffers: [['x', 'read', 'f32'], ['out', 'read_write', 'f32']],
  body: `${TREE}
@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(local_invocation_id) l: vec3<u32>) {
  var acc = 0.0;
  for (var i = l.x; i < P.n; i = i + ${REDUCE_WG}u) { acc = acc + x[i]; }
  let total = tree(l.x, acc);
  if (l.x == 0u) { out[0] = total * P.factor; }
}`,
};

/** d[i] = coef · (p[i] - t[i]) — the MSE gradient with coef = 2·weight/n. */
export const scaledDifferenceKernel: KernelSpec = {
  label: 'scaled difference',
  params: [['n', 'u32'], ['coef', 'f32']],
  buffers: [['p', 'read', 'f32'], ['t', 'read', 'f32'], ['d', 'read_write', 'f32']],
  body: main1d('P.n', '  d[i] = P.coef * (p[i] - t[i]);'),
};
