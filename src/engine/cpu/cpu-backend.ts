/**
 * The specification backend: clear loops, float64 accumulation wherever a sum can be long. The
 * ops live in one module per family, read top to bottom in this order:
 * elementwise.ts (and activations) · matmul.ts · embedding.ts · layernorm.ts · attention.ts ·
 * pooling.ts (and embedding heads) · losses.ts · optimizer.ts; tensor.ts holds the tensors.
 * This class is the device side (memory that is plain typed arrays) and the table of ops.
 */
import type {
  AdamWOptions,
  AdapterDescription,
  AttentionResult,
  AttentionShape,
  Backend,
  DType,
  LayerNormResult,
  LossResult,
  MatmulOptions,
  ScatterIndex,
  Tensor,
} from '../backend.ts';
import { sizeOf } from '../backend.ts';
import * as attention from './attention.ts';
import * as elementwise from './elementwise.ts';
import * as embedding from './embedding.ts';
import * as layernorm from './layernorm.ts';
import * as losses from './losses.ts';
import * as matmul from './matmul.ts';
import * as optimizer from './optimizer.ts';
import * as pooling from './pooling.ts';
import { CpuTensor, f32, rowsCols } from './tensor.ts';

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly adapter: AdapterDescription = {
    backend: 'cpu',
    summary: 'TypeScript on the CPU (reference backend)',
    vendor: 'cpu',
    architecture: 'typescript',
    isFallbackAdapter: false,
    features: [],
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 31,
  };

  // ---- memory ----------------------------------------------------------------------------------
  zeros(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const n = sizeOf(shape);
    return new CpuTensor(shape, dtype, dtype === 'f32' ? new Float32Array(n) : new Int32Array(n));
  }
  fromFloat32(data: Float32Array, shape: readonly number[]): Tensor {
    return new CpuTensor(shape, 'f32', Float32Array.from(data));
  }
  fromInt32(data: Int32Array, shape: readonly number[]): Tensor {
    return new CpuTensor(shape, 'i32', Int32Array.from(data));
  }
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const data = f32(base);
    const n = sizeOf(shape);
    if (offset < 0 || offset + n > data.length) throw new Error(`view [${offset}, ${offset + n}) outside a tensor of ${data.length}`);
    return new CpuTensor(shape, 'f32', data.subarray(offset, offset + n));
  }
  write(target: Tensor, data: Float32Array): void {
    const t = f32(target);
    if (data.length !== t.length) throw new Error(`write of ${data.length} values into a tensor of ${t.length}`);
    t.set(data);
  }
  read(source: Tensor): Promise<Float32Array> {
    if (source instanceof CpuTensor && source.data instanceof Int32Array) return Promise.resolve(Float32Array.from(source.data));
    return Promise.resolve(Float32Array.from(f32(source)));
  }
  copy(source: Tensor, target: Tensor): void {
    if (target.size !== source.size) throw new Error(`copy: ${source.size} vs ${target.size} elements`);
    f32(target).set(f32(source));
  }
  copyRows(source: Tensor, sourceRow: number, target: Tensor, targetRow: number, rows: number): void {
    const [sr, cols] = rowsCols(source);
    const [tr, tc] = rowsCols(target);
    if (tc !== cols) throw new Error(`copyRows: ${cols} vs ${tc} columns`);
    if (sourceRow + rows > sr || targetRow + rows > tr) throw new Error('copyRows: rows out of range');
    f32(target).set(f32(source).subarray(sourceRow * cols, (sourceRow + rows) * cols), targetRow * cols);
  }

  // ---- device lifecycle: nothing is queued and nothing can be lost -------------------------------
  endStep(): void {}
  sync(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): void {}
  async deviceLost(): Promise<string | null> {
    return null;
  }

  // ---- elementwise and activations (elementwise.ts) ---------------------------------------------
  fill(target: Tensor, value: number): void {
    elementwise.fill(target, value);
  }
  add(a: Tensor, b: Tensor): Tensor {
    return elementwise.add(a, b);
  }
  addInPlace(target: Tensor, source: Tensor, scale = 1): void {
    elementwise.addInPlace(target, source, scale);
  }
  scale(x: Tensor, factor: number): Tensor {
    return elementwise.scale(x, factor);
  }
  rowScale(x: Tensor, s: Tensor): Tensor {
    return elementwise.rowScale(x, s);
  }
  gelu(x: Tensor): Tensor {
    return elementwise.gelu(x);
  }
  geluBackward(dy: Tensor, x: Tensor): Tensor {
    return elementwise.geluBackward(dy, x);
  }
  dropout(x: Tensor, p: number, seed: number): Tensor {
    return elementwise.dropout(x, p, seed);
  }
  dropoutBackward(dy: Tensor, p: number, seed: number): Tensor {
    return elementwise.dropoutBackward(dy, p, seed);
  }

  // ---- dense (matmul.ts) -----------------------------------------------------------------------
  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    return matmul.matmul(a, b, options);
  }
  sumRows(x: Tensor, out: Tensor, accumulate: boolean): void {
    matmul.sumRows(x, out, accumulate);
  }

  // ---- embeddings (embedding.ts) ---------------------------------------------------------------
  gather(table: Tensor, ids: Tensor): Tensor {
    return embedding.gather(table, ids);
  }
  scatterIndex(ids: Int32Array, numRows: number): ScatterIndex {
    return embedding.scatterIndex(ids, numRows);
  }
  scatterAdd(dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
    embedding.scatterAdd(dOut, index, dTable);
  }

  // ---- LayerNorm (layernorm.ts) ----------------------------------------------------------------
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
    return layernorm.layerNorm(x, gamma, beta, eps);
  }
  layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
    return layernorm.layerNormBackward(dy, x, gamma, mean, rstd, dGamma, dBeta);
  }

  // ---- attention (attention.ts) ----------------------------------------------------------------
  attention(qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
    return attention.attention(qkv, keyMask, shape);
  }
  attentionBackward(dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
    return attention.attentionBackward(dOut, qkv, probs, shape);
  }

  // ---- pooling and embedding heads (pooling.ts) ------------------------------------------------
  weightedPool(x: Tensor, weights: Tensor, batch: number): Tensor {
    return pooling.weightedPool(x, weights, batch);
  }
  weightedPoolBackward(dy: Tensor, weights: Tensor, seqLength: number): Tensor {
    return pooling.weightedPoolBackward(dy, weights, seqLength);
  }
  maxPool(x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
    return pooling.maxPool(x, mask, batch);
  }
  maxPoolBackward(dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
    return pooling.maxPoolBackward(dy, argmax, seqLength);
  }
  l2Normalize(x: Tensor): { y: Tensor; norm: Tensor } {
    return pooling.l2Normalize(x);
  }
  l2NormalizeBackward(dy: Tensor, y: Tensor, norm: Tensor): Tensor {
    return pooling.l2NormalizeBackward(dy, y, norm);
  }
  sliceColumns(x: Tensor, width: number): Tensor {
    return pooling.sliceColumns(x, width);
  }
  sliceColumnsBackward(dy: Tensor, cols: number): Tensor {
    return pooling.sliceColumnsBackward(dy, cols);
  }
  rowDot(a: Tensor, b: Tensor): Tensor {
    return pooling.rowDot(a, b);
  }

  // ---- losses (losses.ts) ----------------------------------------------------------------------
  softmaxCrossEntropy(logits: Tensor, labels: Tensor, weight: number): LossResult {
    return losses.softmaxCrossEntropy(logits, labels, weight);
  }
  meanSquaredError(pred: Tensor, target: Tensor, weight: number): LossResult {
    return losses.meanSquaredError(pred, target, weight);
  }
  cosentLoss(scores: Tensor, labels: Tensor, weight: number): LossResult {
    return losses.cosentLoss(scores, labels, weight);
  }
  tripletLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
    return losses.tripletLoss(anchor, positive, negative, margin, weight);
  }

  // ---- optimizer (optimizer.ts) ----------------------------------------------------------------
  sumSquares(x: Tensor): Tensor {
    return optimizer.sumSquares(x);
  }
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, options: AdamWOptions): void {
    optimizer.adamw(params, grads, m, v, options);
  }
}
