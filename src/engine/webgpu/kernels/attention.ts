/**
 * Masked multi-head softmax attention over packed qkv [B*T, 3H]. Probabilities are stored
 * [B, heads, T, T]; the forward softmax uses that buffer as its scratch for scores. The backward
 * pass is written per output element (dQ over keys, dK and dV over queries) instead of the CPU's
 * scatter loop, so nothing is accumulated by two threads.
 */
import { type KernelSpec, main1d } from '../kernel.ts';
import { DROPOUT_HASH_WGSL } from './elementwise.ts';

const SHAPE: KernelSpec['params'] = [['n', 'u32'], ['T', 'u32'], ['NH', 'u32'], ['D', 'u32'], ['H', 'u32'], ['scale', 'f32']];
/** SHAPE plus attention-probability dropout: keep ⇔ hash(seed, probs index) ≥ threshold. */
const SHAPE_DROPOUT: KernelSpec['params'] = [...SHAPE, ['seed', 'u32'], ['threshold', 'u32'], ['keepScale', 'f32']];

/** The dropout kernels' hash, and the factor it gives one probability. */
const KEEP_FN = `${DROPOUT_HASH_WGSL}
fn keep_factor(index: u32) -> f32 {
  return select(0.0, P.keepScale, pcg_hash(P.seed, index) >= P.threshold);
}
`;

/**
 * Scores, one thread per (b, head, query i, key j): T times the threads of a row-per-thread
 * kernel, so short batches still fill the device. Masked keys are skipped by the softmax.
 */
export const attentionScoresKernel: KernelSpec = {
  label: 'attention scores',
  params: SHAPE,
  buffers: [['qkv', 'read', 'f32'], ['mask', 'read', 'f32'], ['probs', 'read_write', 'f32']],
  body: main1d(
    'P.n',
    `  let j = i % P.T;
  let row = i / P.T;
  let q = row % P.T;
  let bh = row / P.T;
  let h = bh % P.NH;
  let b = bh / P.NH;
  if (mask[b * P.T + j] == 0.0) { probs[i] = 0.0; return; }
  let H3 = 3u * P.H;
  let qOff = (b * P.T + q) * H3 + h * P.D;
  let kOff = (b * P.T + j) * H3 + P.H + h * P.D;
  var s = 0.0;
  for (var d = 0u; d < P.D; d = d + 1u) { s = s + qkv[qOff + d] * qkv[kOff + d]; }
  probs[i] = s * P.scale;`,
  ),
};

/** Softmax over each row of scores in place, one thread per (b, head, query i). Masked keys get exactly 0. */
export const attentionSoftmaxKernel: KernelSpec = {
  label: 'attention softmax',
  params: SHAPE,
  buffers: [['mask', 'read', 'f32'], ['probs', 'read_write', 'f32']],
  body: main1d(
    'P.n',
    `  let b = i / (P.NH * P.T);
  let pOff = i * P.T;
  var mx = 0.0;
  var seen = false;
  for (var j = 0u; j < P.T; j = j + 1u) {
    if (mask[b * P.T + j] == 0.0) { continue; }
    let s = probs[pOff + j];
    if (!seen || s > mx) { mx = s; seen = true; }
  }
  var z = 0.0;
  for (var j = 0u; j < P.T; j = j + 1u) {
    var e = 0.0;
    if (mask[b * P.T + j] != 0.0) { e = exp(probs[pOff + j] - mx); }
    probs[pOff + j] = e;
    z = z + e;
  }
  for (var j = 0u; j < P.T; j = j + 1u) {
    probs[pOff + j] = select(0.0, probs[pOff + j] / z, z > 0.0);
  }`,
  ),
};

/** One thread per output element (token row, column c of head c / D): Σ_j P_ij V_j. */
export const attentionOutKernel: KernelSpec = {
  label: 'attention out',
  params: SHAPE_DROPOUT,
  buffers: [['qkv', 'read', 'f32'], ['probs', 'read', 'f32'], ['out', 'read_write', 'f32']],
  body: KEEP_FN + main1d(
    'P.n',
    `  let c = i % P.H;
  let row = i / P.H;
  let t = row % P.T;
  let b = row / P.T;
  let h = c / P.D;
  let H3 = 3u * P.H;
  let pOff = ((b * P.NH + h) * P.T + t) * P.T;
  var s = 0.0;
  for (var j = 0u; j < P.T; j = j + 1u) {
    let p = probs[pOff + j] * keep_factor(pOff + j);
    if (p != 0.0) { s = s + p * qkv[(b * P.T + j) * H3 + 2u * P.H + c]; }
  }
  out[i] = s;`,
  ),
};

/** dP_ij = (dO_i·V_j) · keep_ij, one thread per (b, head, query i, key j). */
export const attentionProbGradKernel: KernelSpec = {
  label: 'attention dProbs',
  params: SHAPE_DROPOUT,
  buffers: [['dOut', 'read', 'f32'], ['qkv', 'read', 'f32'], ['dS', 'read_write', 'f32']],
  body: KEEP_FN + main1d(
    'P.n',
    `  let j = i % P.T;
  let row = i / P.T;
  let q = row % P.T;
  let bh = row / P.T;
  let h = bh % P.NH;
  let b = bh / P.NH;
  let oOff = (b * P.T + q) * P.H + h * P.D;
  let vOff = (b * P.T + j) * 3u * P.H + 2u * P.H + h * P.D;
  var s = 0.0;
  for (var d = 0u; d < P.D; d = d + 1u) { s = s + dOut[oOff + d] * qkv[vOff + d]; }
  dS[i] = s * keep_factor(i);`,
  ),
};

/** In place over dP, one thread per (b, head, i): dS_ij = P_ij (dP_ij − Σ_k P_ik dP_ik) · scale. */
export const attentionScoreGradKernel: KernelSpec = {
  label: 'attention dScores',
  params: SHAPE,
  buffers: [['probs', 'read', 'f32'], ['dS', 'read_write', 'f32']],
  body: main1d(
    'P.n',
    `  let pOff = i * P.T;
  var dot = 0.0;
  for (var j = 0u; j < P.T; j = j + 1u) { dot = dot + dS[pOff + j] * probs[pOff + j]; }
  for (var j = 0u; j < P.T; j = j + 1u) {
    let p = probs[pOff + j];
    dS[pOff + j] = select(0.0, p * (dS[pOff + j] - dot) * P.scale, p != 0.0);
  }`,
  ),
};

/**
 * One thread per (token t, column c): dQ_t = Σ_j dS_tj K_j, dK_t = Σ_i dS_it Q_i,
 * dV_t = Σ_i P_it dO_i — the three blocks of row t of dqkv.
 */
export const attentionInputGradKernel: KernelSpec = {
  label: 'attention dqkv',
  params: SHAPE_DROPOUT,
  buffers: [['dOut', 'read', 'f32'], ['qkv', 'read', 'f32'], ['probs', 'read', 'f32'], ['dS', 'read', 'f32'], ['dqkv', 'read_write', 'f32']],
  body: KEEP_FN + main1d(
    'P.n',
    `  let c = i % P.H;
  let row = i / P.H;
  let t = row % P.T;
  let b = row / P.T;
  let h = c / P.D;
  let H3 = 3u * P.H;
  let head = (b * P.NH + h) * P.T;
  var dq = 0.0;
  var dk = 0.0;
  var dv = 0.0;
  for (var j = 0u; j < P.T; j = j + 1u) {
    let other = (b * P.T + j) * H3 + c;
    dq = dq + dS[(head + t) * P.T + j] * qkv[other + P.H];
    dk = dk + dS[(head + j) * P.T + t] * qkv[other];
    let pIndex = (head + j) * P.T + t;
    dv = dv + probs[pIndex] * keep_factor(pIndex) * dOut[(b * P.T + j) * P.H + c];
  }
  let base = row * H3 + c;
  dqkv[base] = dq;
  dqkv[base + P.H] = dk;
  dqkv[base + 2u * P.H] = dv;`,
  ),
};
