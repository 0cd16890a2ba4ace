/** Embedding lookups and their gradient. */
import type { ScatterIndex, Tensor } from '../backend.ts';
import { f32, i32, rowsCols, tensor } from './tensor.ts';

class CpuScatterIndex implements ScatterIndex {
  readonly numTokens: number;
  readonly numDistinct: number;
  constructor(readonly ids: Int32Array, readonly numRows: number) {
    this.numTokens = ids.length;
    this.numDistinct = new Set(ids).size;
  }
}

export function gather(table: Tensor, ids: Tensor): Tensor {
  const [V, H] = rowsCols(table);
  const t = f32(table), idx = i32(ids);
  const out = new Float32Array(idx.length * H);
  for (let n = 0; n < idx.length; n++) {
    const id = idx[n];
    if (id < 0 || id >= V) throw new Error(`gather: id ${id} outside a table of ${V} rows`);
    out.set(t.subarray(id * H, id * H + H), n * H);
  }
  return tensor([idx.length, H], out);
}

export function scatterIndex(ids: Int32Array, numRows: number): ScatterIndex {
  for (const id of ids) if (id < 0 || id >= numRows) throw new Error(`scatterIndex: id ${id} outside ${numRows} rows`);
  return new CpuScatterIndex(Int32Array.from(ids), numRows);
}

export function scatterAdd(dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
  if (!(index instanceof CpuScatterIndex)) throw new Error('cpu backend got a foreign scatter index');
  const [, H] = rowsCols(dTable);
  const d = f32(dOut), t = f32(dTable);
  for (let n = 0; n < index.ids.length; n++) {
    const row = index.ids[n] * H;
    for (let h = 0; h < H; h++) t[row + h] += d[n * H + h];
  }
}
