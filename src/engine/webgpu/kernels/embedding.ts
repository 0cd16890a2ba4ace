/** Embedding lookup and its gradient. */
import { type KernelSpec, main1d } from '../kernel.ts';

/** out[n, h] = table[ids[n], h]; an out-of-range id (checked on the host when it can) reads 0. */
export const gatherKernel: KernelSpec = {
  label: 'gather',
  params: [['n', 'u32'], ['H', 'u32'], ['V', 'u32']],
  buffers: [['table', 'read', 'f32'], ['ids', 'read', 'i32'], ['out', 'read_write', 'f32']],
  body: main1d(
    'P.n',
    `  let row = i / P.H;
  let id = ids[row];
  var v = 0.0;
  if (id >= 0 && u32(id) < P.V) { v = table[u32(id) * P.H + i % P.H]; }
  out[i] = v;`,
  ),
};

/**
 * dTable[id, h] += Σ dOut[token, h] over the tokens of one distinct id: one thread per
 * (distinct id, column), tokens in ascending order, so the result is deterministic and no two
 * threads touch the same element (no atomics, which WGSL lacks for f32 anyway).
 * csr = [distinct ids (D) | offsets (D + 1) | token positions].
 */
export const scatterAddKernel: KernelSpec = {
  label: 'scatterAdd',
  params: [['n', 'u32'], ['H', 'u32'], ['D', 'u32']],
  buffers: [['csr', 'read', 'i32'], ['dOut', 'read', 'f32'], ['dTable', 'read_write', 'f32']],
  body: main1d(
    'P.n',
    `  let d = i / P.H;
  let h = i % P.H;
  let id = u32(csr[d]);
  let start = u32(csr[P.D + d]);
  let end = u32(csr[P.D + d + 1u]);
  let base = 2u * P.D + 1u;
  var s = 0.0;
  for (var p = start; p < end; p = p + 1u) { s = s + dOut[u32(csr[base + p]) * P.H + h]; }
  let idx = id * P.H + h;
  dTable[idx] = dTable[idx] + s;`,
  ),
};
