/** Embedding lookups and their gradient (a host-built CSR index, so no atomics). */
import type { ScatterIndex, Tensor } from '../../backend.ts';
import { gatherKernel, scatterAddKernel } from '../kernels/embedding.ts';
import type { WebGpuRuntime } from '../runtime.ts';
import { WebGpuScatterIndex, gpuTensor, rowsCols } from '../tensor.ts';

export function gather(k: WebGpuRuntime, table: Tensor, ids: Tensor): Tensor {
  const [V, H] = rowsCols(table);
  const idx = gpuTensor(ids, 'i32');
  if (idx.hostInts) {
    for (const id of idx.hostInts) if (id < 0 || id >= V) throw new Error(`gather: id ${id} outside a table of ${V} rows`);
  }
  const out = k.alloc([idx.size, H]);
  k.elementwise(gatherKernel, [out.size, H, V], [gpuTensor(table), idx, out]);
  return out;
}

export function scatterIndex(k: WebGpuRuntime, ids: Int32Array, numRows: number): ScatterIndex {
  for (const id of ids) if (id < 0 || id >= numRows) throw new Error(`scatterIndex: id ${id} outside ${numRows} rows`);
  return new WebGpuScatterIndex(Int32Array.from(ids), numRows);
}

export function scatterAdd(k: WebGpuRuntime, dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
  if (!(index instanceof WebGpuScatterIndex)) throw new Error('webgpu backend got a foreign scatter index');
  const [, H] = rowsCols(dTable);
  const n = index.numDistinct * H;
  if (n === 0) return;
  const csr = k.rec.temp(index.packed.byteLength);
  k.rec.upload(csr, index.packed);
  k.elementwise(scatterAddKernel, [n, H, index.numDistinct], [csr, gpuTensor(dOut), gpuTensor(dTable)]);
}
