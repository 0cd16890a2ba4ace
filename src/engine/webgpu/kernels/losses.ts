/**
 * Loss heads. Each writes the gradient of weight·loss and a per-row loss (or the loss itself);
 * the mean over rows is `sumScaledKernel` of reduce.ts, so every sum has a fixed order.
 */
import { type KernelSpec, main1d, treeReduce } from '../kernel.ts';

/** One thread per row b: rowLoss[b] = lse − z[label], d = coef·(softmax − onehot), coef = weight/B. */
export const crossEntropyKernel: KernelSpec = {
  label: 'softmaxCrossEntropy',
  params: [['B', 'u32'], ['C', 'u32'], ['coef', 'f32']],
  buffers: [['z', 'read', 'f32'], ['labels', 'read', 'i32'], ['rowLoss', 'read_write', 'f32'], ['d', 'read_write', 'f32']],
  body: main1d(
    'P.B',
    `  let base = i * P.C;
  var mx = z[base];
  for (var c = 1u; c < P.C; c = c + 1u) { mx = max(mx, z[base + c]); }
  var s = 0.0;
  for (var c = 0u; c < P.C; c = c + 1u) { s = s + exp(z[base + c] - mx); }
  let lse = mx + log(s);
  let label = u32(labels[i]);
  rowLoss[i] = lse - z[base + min(label, P.C - 1u)];
  for (var c = 0u; c < P.C; c = c + 1u) {
    let p = exp(z[base + c] - lse);
    d[base + c] = P.coef * (p - select(0.0, 1.0, c == label));
  }`,
  ),
};

export const COSENT_WG = 256;

/**
 * One workgroup: loss = logsumexp({0} ∪ {s_i − s_j : y_i < y_j}), d_i = weight · ∂loss/∂s_i.
 * O(n²) pairs over n = batch scores, so one workgroup is plenty.
 */
export const cosentKernel: KernelSpec = {
  label: 'cosentLoss',
  params: [['n', 'u32'], ['weight', 'f32']],
  buffers: [['s', 'read', 'f32'], ['y', 'read', 'f32'], ['loss', 'read_write', 'f32'], ['d', 'read_write', 'f32']],
  body: `${treeReduce(COSENT_WG, 'treeSum', 'sum')}
${treeReduce(COSENT_WG, 'treeMax', 'max')}
// WGSL only promises log an absolute error of 2^-21 near 1, too coarse for small losses: below 1
// use log1p(x) = 2·atanh(t), t = x / (2 + x) ≤ 1/3, whose odd series converges fast.
fn log1p(x: f32) -> f32 {
  if (x >= 1.0) { return log(1.0 + x); }
  let t = x / (2.0 + x);
  let t2 = t * t;
  var term = t;
  var sum = t;
  for (var k = 3.0; k < 24.0; k = k + 2.0) {
    term = term * t2;
    sum = sum + term / k;
  }
  return 2.0 * sum;
}
@compute @workgroup_size(${COSENT_WG})
fn main(@builtin(local_invocation_id) l: vec3<u32>) {
  let lid = l.x;
  var mx = 0.0;
  for (var i = lid; i < P.n; i = i + ${COSENT_WG}u) {
    for (var j = 0u; j < P.n; j = j + 1u) { if (y[i] < y[j]) { mx = max(mx, s[i] - s[j]); } }
  }
  let m = treeMax(lid, mx);
  var z = 0.0;
  for (var i = lid; i < P.n; i = i + ${COSENT_WG}u) {
    for (var j = 0u; j < P.n; j = j + 1u) { if (y[i] < y[j]) { z = z + exp(s[i] - s[j] - m); } }
  }
  let zs = treeSum(lid, z);
  // With max 0 the {0} term is exactly 1: log1p keeps tiny losses accurate in float32.
  let L = select(m + log(exp(-m) + zs), log1p(zs), m == 0.0);
  if (lid == 0u) { loss[0] = L; }
  for (var i = lid; i < P.n; i = i + ${COSENT_WG}u) {
    var g = 0.0;
    for (var j = 0u; j < P.n; j = j + 1u) {
      if (y[i] < y[j]) { g = g + exp(s[i] - s[j] - L); }
      if (y[j] < y[i]) { g = g - exp(s[j] - s[i] - L); }
    }
    d[i] = P.weight * g;
  }
}`,
};

/**
 * One thread per row: rowLoss = relu(‖a−p+ε‖ − ‖a−n+ε‖ + margin) with torch's ε = 1e-6 inside the
 * difference, and the gradients of coef · that, coef = weight/B.
 */
export const tripletKernel: KernelSpec = {
  label: 'tripletLoss',
  params: [['B', 'u32'], ['H', 'u32'], ['margin', 'f32'], ['coef', 'f32']],
  buffers: [
    ['a', 'read', 'f32'], ['p', 'read', 'f32'], ['q', 'read', 'f32'], ['rowLoss', 'read_write', 'f32'],
    ['da', 'read_write', 'f32'], ['dp', 'read_write', 'f32'], ['dq', 'read_write', 'f32'],
  ],
  body: `const EPS: f32 = 1e-6;
${main1d(
    'P.B',
    `  let base = i * P.H;
  var sp = 0.0;
  var sn = 0.0;
  for (var h = 0u; h < P.H; h = h + 1u) {
    let x = a[base + h] - p[base + h] + EPS;
    let y = a[base + h] - q[base + h] + EPS;
    sp = sp + x * x;
    sn = sn + y * y;
  }
  let distP = sqrt(sp);
  let distN = sqrt(sn);
  let lv = distP - distN + P.margin;
  let hinge = lv > 0.0;
  rowLoss[i] = select(0.0, lv, hinge);
  let invP = select(0.0, 1.0 / distP, distP > 0.0);
  let invN = select(0.0, 1.0 / distN, distN > 0.0);
  for (var h = 0u; h < P.H; h = h + 1u) {
    var gp = (a[base + h] - p[base + h] + EPS) * invP;
    var gn = (a[base + h] - q[base + h] + EPS) * invN;
    if (!hinge) { gp = 0.0; gn = 0.0; }
    da[base + h] = P.coef * (gp - gn);
    dp[base + h] = -P.coef * gp;
    dq[base + h] = P.coef * gn;
  }`,
  )}`,
};
