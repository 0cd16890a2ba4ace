/** One thread per element: fills, sums, scaling, GELU, dropout, column slices. */
import { ERF_COEFFICIENTS } from '../../math.ts';
import { type KernelSpec, main1d } from '../kernel.ts';

export const fillKernel: KernelSpec = {
  label: 'fill',
  params: [['n', 'u32'], ['value', 'f32']],
  buffers: [['y', 'read_write', 'f32']],
  body: main1d('P.n', '  y[i] = P.value;'),
};

export const addKernel: KernelSpec = {
  label: 'add',
  params: [['n', 'u32']],
  buffers: [['a', 'read', 'f32'], ['b', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: main1d('P.n', '  y[i] = a[i] + b[i];'),
};

/** target += scale · source */
export const addScaledKernel: KernelSpec = {
  label: 'addInPlace',
  params: [['n', 'u32'], ['scale', 'f32']],
  buffers: [['x', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: main1d('P.n', '  y[i] = y[i] + P.scale * x[i];'),
};

export const scaleKernel: KernelSpec = {
  label: 'scale',
  params: [['n', 'u32'], ['factor', 'f32']],
  buffers: [['x', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: main1d('P.n', '  y[i] = x[i] * P.factor;'),
};

/** y[m, n] = x[m, n] · s[m] */
export const rowScaleKernel: KernelSpec = {
  label: 'rowScale',
  params: [['n', 'u32'], ['N', 'u32']],
  buffers: [['x', 'read', 'f32'], ['s', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: main1d('P.n', '  y[i] = x[i] * s[i / P.N];'),
};

const c = ERF_COEFFICIENTS;
/** The same Abramowitz–Stegun formula and constants as `erf` in math.ts. */
const ERF_WGSL = `
fn erf_as(x: f32) -> f32 {
  let ax = abs(x);
  let t = 1.0 / (1.0 + ${c.p} * ax);
  let y = 1.0 - ((((${c.a5} * t + ${c.a4}) * t + ${c.a3}) * t + ${c.a2}) * t + ${c.a1}) * t * exp(-ax * ax);
  return select(y, -y, x < 0.0);
}
const SQRT1_2: f32 = ${Math.SQRT1_2};
const INV_SQRT_2PI: f32 = ${1 / Math.sqrt(2 * Math.PI)};
`;

export const geluKernel: KernelSpec = {
  label: 'gelu',
  params: [['n', 'u32']],
  buffers: [['x', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: `${ERF_WGSL}\n${main1d('P.n', '  let v = x[i];\n  y[i] = 0.5 * v * (1.0 + erf_as(v * SQRT1_2));')}`,
};

export const geluBackwardKernel: KernelSpec = {
  label: 'geluBackward',
  params: [['n', 'u32']],
  buffers: [['dy', 'read', 'f32'], ['x', 'read', 'f32'], ['dx', 'read_write', 'f32']],
  body: `${ERF_WGSL}\n${main1d(
    'P.n',
    `  let z = x[i];
  let cdf = 0.5 * (1.0 + erf_as(z * SQRT1_2));
  dx[i] = dy[i] * (cdf + z * INV_SQRT_2PI * exp(-0.5 * z * z));`,
  )}`,
};

/**
 * `dropoutUniform` of backend.ts in u32 arithmetic. The CPU keeps an element when
 * state / 2^32 ≥ p in float64; the host turns that into the exact integer test
 * state ≥ ceil(p · 2^32) (`threshold`), so no float rounding can flip a mask bit.
 */
export const DROPOUT_HASH_WGSL = `
fn pcg_hash(seed: u32, index: u32) -> u32 {
  let state = index * 747796405u + 2891336453u + seed * 277803737u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}`;

export const dropoutKernel: KernelSpec = {
  label: 'dropout',
  params: [['n', 'u32'], ['seed', 'u32'], ['threshold', 'u32'], ['keepNone', 'u32'], ['keepScale', 'f32']],
  buffers: [['x', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: `${DROPOUT_HASH_WGSL}
${main1d('P.n', '  let keep = P.keepNone == 0u && pcg_hash(P.seed, i) >= P.threshold;\n  y[i] = select(0.0, x[i] * P.keepScale, keep);')}`,
};

/** y [rows, width] = the first `width` columns of x [rows, cols]. */
export const sliceColumnsKernel: KernelSpec = {
  label: 'sliceColumns',
  params: [['n', 'u32'], ['width', 'u32'], ['cols', 'u32']],
  buffers: [['x', 'read', 'f32'], ['y', 'read_write', 'f32']],
  body: main1d('P.n', '  let r = i / P.width;\n  y[i] = x[r * P.cols + i % P.width];'),
};

/** dx [rows, cols]: dy in the first `width` columns, zero elsewhere. */
export const sliceColumnsBackwardKernel: KernelSpec = {
  label: 'sliceColumnsBackward',
  params: [['n', 'u32'], ['width', 'u32'], ['cols', 'u32']],
  buffers: [['dy', 'read', 'f32'], ['dx', 'read_write', 'f32']],
  body: main1d('P.n', '  let r = i / P.cols;\n  let c = i % P.cols;\n  var v = 0.0;\n  if (c < P.width) { v = dy[r * P.width + c]; }\n  dx[i] = v;'),
};
