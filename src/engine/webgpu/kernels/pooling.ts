/** Pooling over tokens and the per-row heads on top of it (L2 normalisation, row dot products). */
import { type KernelSpec, main1d } from '../kernel.ts';

/** y[b, h] = Σ_t w[b, t] x[b·T + t, h]; one thread per output; zero weights skipped like the CPU. */
export const weightedPoolKernel: KernelSpec = {
  label: 'weightedPool',
  params: [['n', 'u32'], ['T', 'u32'], ['H', 'u32']],
  buffers: [['x', 'read', 'f32'], ['w', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: main1d(
    'P.n',
    `  let b = i / P.H;
  let h = i % P.H;
  var s = 0.0;
  for (var t = 0u; t < P.T; t = t + 1u) {
    let wt = w[b * P.T + t];
    if (wt != 0.0) { s = s + wt * x[(b * P.T + t) * P.H + h]; }
  }
  y[i] = s;`,
  ),
};

export const weightedPoolBackwardKernel: KernelSpec = {
  label: 'weightedPoolBackward',
  params: [['n', 'u32'], ['T', 'u32'], ['H', 'u32']],
  buffers: [['dy', 'read', 'f32'], ['w', 'read', 'f32'], ['dx', 'read_write', 'f32']],
  body: main1d('P.n', '  let row = i / P.H;\n  dx[i] = w[row] * dy[(row / P.T) * P.H + i % P.H];'),
};

/** Masked tokens count as -1e9; strict `>` keeps the first maximum, as the CPU loop does. */
export const maxPoolKernel: KernelSpec = {
  label: 'maxPool',
  params: [['n', 'u32'], ['T', 'u32'], ['H', 'u32']],
  buffers: [['x', 'read', 'f32'], ['mask', 'read', 'f32'], ['y', 'read_write', 'f32'], ['arg', 'read_write', 'i32']],
  body: main1d(
    'P.n',
    `  let b = i / P.H;
  let h = i % P.H;
  var best = 0.0;
  var bestT = 0u;
  for (var t = 0u; t < P.T; t = t + 1u) {
    let v = select(-1e9, x[(b * P.T + t) * P.H + h], mask[b * P.T + t] != 0.0);
    if (t == 0u || v > best) { best = v; bestT = t; }
  }
  y[i] = best;
  arg[i] = i32(bestT);`,
  ),
};

export const maxPoolBackwardKernel: KernelSpec = {
  label: 'maxPoolBackward',
  params: [['n', 'u32'], ['T', 'u32'], ['H', 'u32']],
  buffers: [['dy', 'read', 'f32'], ['arg', 'read', 'i32'], ['dx', 'read_write', 'f32']],
  body: main1d(
    'P.n',
    `  let row = i / P.H;
  let h = i % P.H;
  let j = (row / P.T) * P.H + h;
  dx[i] = select(0.0, dy[j], u32(arg[j]) == row % P.T);`,
  ),
};

/** One thread per row. */
export const l2NormalizeKernel: KernelSpec = {
  label: 'l2Normalize',
  params: [['M', 'u32'], ['H', 'u32']],
  buffers: [['x', 'read', 'f32'], ['y', 'read_write', 'f32'], ['norm', 'read_write', 'f32']],
  body: main1d(
    'P.M',
    `  let base = i * P.H;
  var s = 0.0;
  for (var h = 0u; h < P.H; h = h + 1u) { let v = x[base + h]; s = s + v * v; }
  let n = sqrt(s);
  norm[i] = n;
  let inv = 1.0 / max(n, 1e-12);
  for (var h = 0u; h < P.H; h = h + 1u) { y[base + h] = x[base + h] * inv; }`,
  ),
};

/** Below the 1e-12 clamp the op is a plain scaling, so the projection term is dropped. */
export const l2NormalizeBackwardKernel: KernelSpec = {
  label: 'l2NormalizeBackward',
  params: [['M', 'u32'], ['H', 'u32']],
  buffers: [['dy', 'read', 'f32'], ['y', 'read', 'f32'], ['norm', 'read', 'f32'], ['dx', 'read_write', 'f32']],
  body: main1d(
    'P.M',
    `  let base = i * P.H;
  let n = norm[i];
  let inv = 1.0 / max(n, 1e-12);
  var dot = 0.0;
  if (n > 1e-12) {
    for (var h = 0u; h < P.H; h = h + 1u) { dot = dot + dy[base + h] * y[base + h]; }
  }
  for (var h = 0u; h < P.H; h = h + 1u) { dx[base + h] = inv * (dy[base + h] - y[base + h] * dot); }`,
  ),
};

export const rowDotKernel: KernelSpec = {
  label: 'rowDot',
  params: [['M', 'u32'], ['H', 'u32']],
  buffers: [['a', 'read', 'f32'], ['b', 'read', 'f32'], ['out', 'read_write', 'f32']],
  body: main1d(
    'P.M',
    `  var s = 0.0;
  for (var h = 0u; h < P.H; h = h + 1u) { s = s + a[i * P.H + h] * b[i * P.H + h]; }
  out[i] = s;`,
  ),
};
