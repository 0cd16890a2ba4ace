/** Embedding lookups and their gradient. */
import type { ScatterIndex, Tensor } from '../../backend.ts';
import { type WasmRuntime, rowsCols } from '../runtime.ts';

class WasmScatterIndex implements ScatterIndex {
  readonly numTokens: number;
  readonly numDistinct: number;
  constructor(readonly ids: Int32Array, readonly numRows: number) {
    this.numTokens = ids.length;
    this.numDistinct = new Set(ids).size;
  }
}

export function gather(k: WasmRuntime, table: Tensor, ids: Tensor): Tensor {
  const [V, H] = rowsCols(table);
  const t = k.tensor(table, 'f32'), idx = k.tensor(ids, 'i32');
  const view = new Int32Array(k.memory.buffer, idx.ptr, idx.size);
  for (const id of view) if (id < 0 || id >= V) throw new Error(`gather: id ${id} outside a table of ${V} rows`);
  const out = k.alloc([idx.size, H], 'f32', false);
  k.x.gather(t.ptr, idx.ptr, out.ptr, idx.size, H);
  return out;
}

export function scatterIndex(k: WasmRuntime, ids: Int32Array, numRows: number): ScatterIndex {
  for (const id of ids) if (id < 0 || id >= numRows) throw new Error(`scatterIndex: id ${id} outside ${numRows} rows`);
  return new WasmScatterIndex(Int32Array.from(ids), numRows);
}

export function scatterAdd(k: WasmRuntime, dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
  if (!(index instanceof WasmScatterIndex)) throw new Error('wasm backend got a foreign scatter index');
  const [, H] = rowsCols(dTable);
  const d = k.tensor(dOut, 'f32'), t = k.tensor(dTable, 'f32');
  const ids = k.fromInt32(index.ids, [index.ids.length]);
  k.x.scatterAdd(d.ptr, ids.ptr, t.ptr, index.ids.length, H);
}
