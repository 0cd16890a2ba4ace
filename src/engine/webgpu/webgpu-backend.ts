/**
 * `Backend` on WebGPU. Every op records into the recorder's one command encoder; nothing runs
 * until `endStep`, `read` (in a microtask) or `sync` submits. Kernel semantics follow
 * cpu-backend.ts op for op; the kernels live in ./kernels, one file per family.
 */
import {
  type AdamWOptions,
  type AdapterDescription,
  type AttentionResult,
  type AttentionShape,
  type Backend,
  type DType,
  type LayerNormResult,
  type LossResult,
  type MatmulOptions,
  type ScatterIndex,
  type Tensor,
  assertShape,
  sizeOf,
} from '../backend.ts';
import { type WebGpuOptions, defaultMatmulVariant, describeAdapter, fixedSubgroupSize, requestAdapter, requestDevice } from './adapter.ts';
import { type KernelSpec, grid1d, gridRows } from './kernel.ts';
import {
  attentionInputGradKernel, attentionOutKernel, attentionProbGradKernel, attentionScoreGradKernel, attentionScoresKernel,
  attentionSoftmaxKernel,
} from './kernels/attention.ts';
import {
  addKernel, addScaledKernel, dropoutKernel, fillKernel, geluBackwardKernel, geluKernel, rowScaleKernel, scaleKernel,
  sliceColumnsBackwardKernel, sliceColumnsKernel,
} from './kernels/elementwise.ts';
import { gatherKernel, scatterAddKernel } from './kernels/embedding.ts';
import { layerNormBackwardKernel, layerNormKernel, layerNormParamGradKernel } from './kernels/layernorm.ts';
import { cosentKernel, crossEntropyKernel, tripletKernel } from './kernels/losses.ts';
import { type MatmulVariant, type MatmulVariantName, matmulVariant, matmulVariants } from './kernels/matmul.ts';
import { adamwKernel } from './kernels/optimizer.ts';
import {
  l2NormalizeBackwardKernel, l2NormalizeKernel, maxPoolBackwardKernel, maxPoolKernel, rowDotKernel,
  weightedPoolBackwardKernel, weightedPoolKernel,
} from './kernels/pooling.ts';
import {
  partialGroups, scaledDifferenceKernel, squaredErrorPartialKernel, sumRowsKernel, sumScaledKernel,
  sumSquaresPartialKernel,
} from './kernels/reduce.ts';
import { type BufferRange, Recorder, type RecorderStats } from './recorder.ts';
import { WebGpuScatterIndex, WebGpuTensor, gpuTensor, rowsCols } from './tensor.ts';

export interface CreateWebGpuOptions extends WebGpuOptions {
  /** Force a matmul kernel instead of the per-adapter default (benchmarks, tests). */
  readonly matmulVariant?: MatmulVariantName;
}

/**
 * [seed, threshold, keepScale] for attention-probability dropout: keep ⇔ hash ≥ ceil(p·2^32),
 * the exact integer form of the CPU's `dropoutUniform(seed, i) ≥ p`; p = 0 keeps everything.
 */
function dropoutParams(shape: AttentionShape): number[] {
  const p = shape.dropout?.p ?? 0;
  if (p <= 0) return [0, 0, 1];
  if (p >= 1) throw new Error(`attention dropout ${p} must be below 1`);
  return [shape.dropout!.seed >>> 0, Math.min(dropoutThreshold(p), 2 ** 32 - 1), 1 / (1 - p)];
}

/** keep ⇔ state / 2^32 ≥ p ⇔ state ≥ ceil(p · 2^32): exact in float64 and in u32 (2^32 = keep none). */
function dropoutThreshold(p: number): number {
  return Math.ceil(p * 2 ** 32);
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly adapter: AdapterDescription;
  /** The matmul kernel in use; assign another entry of `matmulVariants` to switch. */
  matmulVariant: MatmulVariant;
  private readonly rec: Recorder;
  /** The first WebGPU error of a submission nobody awaited; `sync` reports it. */
  private firstError: string | null = null;
  private lostReason: string | null = null;
  private readonly lost: Promise<string>;

  constructor(
    readonly device: GPUDevice,
    adapter: AdapterDescription,
    variant: MatmulVariant,
    /** The device's one fixed subgroup size, or null (see fixedSubgroupSize). */
    readonly subgroupSize: number | null = null,
  ) {
    this.adapter = adapter;
    if (!this.supportsMatmulVariant(variant)) throw new Error(`matmul variant ${variant.name} does not run with subgroup size ${subgroupSize}`);
    this.matmulVariant = variant;
    this.rec = new Recorder(device);
    this.lost = device.lost.then((info) => {
      const reason = `reason: ${info.reason ?? 'unknown'}`;
      this.lostReason = info.message ? `${info.message.replace(/[.\s]+$/, '')} (${reason})` : reason;
      return this.lostReason;
    });
  }

  /** Buffer pool and pipeline cache counters (tests check that steps recycle buffers). */
  stats(): RecorderStats {
    return this.rec.stats();
  }

  setMatmulVariant(name: MatmulVariantName): void {
    const v = matmulVariant(name);
    if (!this.supportsMatmulVariant(v)) throw new Error(`matmul variant ${name} does not run with this device's subgroup size (${this.subgroupSize ?? 'none fixed'})`);
    this.matmulVariant = v;
  }
  supportsMatmulVariant(v: MatmulVariant): boolean {
    return v.supports(this.subgroupSize);
  }

  // ---- memory ----------------------------------------------------------------------------------
  zeros(shape: readonly number[], dtype: DType = 'f32', persistent = false): Tensor {
    return this.alloc(shape, dtype, persistent, true);
  }
  fromFloat32(data: Float32Array, shape: readonly number[], persistent = false): Tensor {
    const t = this.alloc(shape, 'f32', persistent, false);
    if (data.length !== t.size) throw new Error(`tensor data has ${data.length} elements, shape needs ${t.size}`);
    this.rec.upload(t, data);
    return t;
  }
  fromInt32(data: Int32Array, shape: readonly number[], persistent = false): Tensor {
    const n = sizeOf(shape);
    if (data.length !== n) throw new Error(`tensor data has ${data.length} elements, shape needs ${n}`);
    const t = this.alloc(shape, 'i32', persistent, false, Int32Array.from(data));
    this.rec.upload(t, data);
    return t;
  }
  view(base: Tensor, offset: number, shape: readonly number[]): Tensor {
    const b = gpuTensor(base);
    const n = sizeOf(shape);
    if (!Number.isInteger(offset) || offset < 0 || offset + n > b.size) {
      throw new Error(`view [${offset}, ${offset + n}) outside a tensor of ${b.size}`);
    }
    return new WebGpuTensor(shape, 'f32', b.buffer, b.byteOffset + offset * 4, b.persistent);
  }
  /**
   * Staged: the data goes into a fresh buffer and a copy into the target is recorded in the
   * encoder, so it lands after the ops recorded before it and before those recorded after, as on
   * the CPU — without a submission (a direct queue.writeBuffer would overtake pending commands).
   */
  write(target: Tensor, data: Float32Array): void {
    const t = gpuTensor(target);
    if (data.length !== t.size) throw new Error(`write of ${data.length} values into a tensor of ${t.size}`);
    this.rec.writeInOrder(t, data);
  }
  async read(source: Tensor): Promise<Float32Array> {
    const t = gpuTensor(source, source.dtype);
    const bytes = await this.rec.read(t);
    return t.dtype === 'i32' ? Float32Array.from(new Int32Array(bytes)) : new Float32Array(bytes);
  }
  endStep(): void {
    void this.rec.endStep().then((e) => this.noteError(e));
  }
  async sync(): Promise<void> {
    // Error scopes resolve in submission order, so earlier endSteps have reported by now.
    const error = await this.rec.flush();
    this.noteError(error);
    await this.device.queue.onSubmittedWorkDone();
    const first = this.firstError;
    this.firstError = null;
    if (first) throw new Error(`WebGPU error: ${first}`);
  }
  destroy(): void {
    this.rec.destroy();
    this.device.destroy();
  }
  async deviceLost(waitMs = 0): Promise<string | null> {
    if (this.lostReason !== null || waitMs <= 0) return this.lostReason;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs)));
    try {
      return await Promise.race([this.lost, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  loseDevice(): void {
    // What a driver reset does to us: the device goes, our buffers with it.
    this.device.destroy();
  }

  // ---- elementwise -------------------------------------------------------------------------------
  fill(target: Tensor, value: number): void {
    const t = gpuTensor(target);
    if (value === 0) this.rec.clear(t);
    else this.elementwise(fillKernel, [t.size, value], [t]);
  }
  add(a: Tensor, b: Tensor): Tensor {
    assertShape(b, a.shape, 'add');
    const y = this.alloc(a.shape);
    this.elementwise(addKernel, [y.size], [gpuTensor(a), gpuTensor(b), y]);
    return y;
  }
  addInPlace(target: Tensor, source: Tensor, scale = 1): void {
    if (target.size !== source.size) throw new Error(`addInPlace: ${target.size} vs ${source.size} elements`);
    this.elementwise(addScaledKernel, [target.size, scale], [gpuTensor(source), gpuTensor(target)]);
  }
  scale(x: Tensor, factor: number): Tensor {
    const y = this.alloc(x.shape);
    this.elementwise(scaleKernel, [y.size, factor], [gpuTensor(x), y]);
    return y;
  }
  copy(source: Tensor, target: Tensor): void {
    if (target.size !== source.size) throw new Error(`copy: ${source.size} vs ${target.size} elements`);
    this.rec.copy(gpuTensor(source), gpuTensor(target));
  }

  rowScale(x: Tensor, s: Tensor): Tensor {
    const [M, N] = rowsCols(x);
    if (s.size !== M) throw new Error(`rowScale: ${s.size} factors for ${M} rows`);
    const y = this.alloc(x.shape);
    this.elementwise(rowScaleKernel, [y.size, N], [gpuTensor(x), gpuTensor(s), y]);
    return y;
  }
  copyRows(source: Tensor, sourceRow: number, target: Tensor, targetRow: number, rows: number): void {
    const [sr, cols] = rowsCols(source);
    const [tr, tc] = rowsCols(target);
    if (tc !== cols) throw new Error(`copyRows: ${cols} vs ${tc} columns`);
    if (sourceRow + rows > sr || targetRow + rows > tr) throw new Error('copyRows: rows out of range');
    const [src, dst] = [gpuTensor(source), gpuTensor(target)];
    const byteLength = rows * cols * 4;
    this.rec.copy(
      { buffer: src.buffer, byteOffset: src.byteOffset + sourceRow * cols * 4, byteLength },
      { buffer: dst.buffer, byteOffset: dst.byteOffset + targetRow * cols * 4, byteLength },
    );
  }

  // ---- dense -------------------------------------------------------------------------------------
  matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
    const [ar, ac] = rowsCols(a);
    const [br, bc] = rowsCols(b);
    const M = options.transA ? ac : ar;
    const K = options.transA ? ar : ac;
    const Kb = options.transB ? bc : br;
    const N = options.transB ? br : bc;
    if (K !== Kb) throw new Error(`matmul: inner dimensions differ (${K} vs ${Kb})`);
    const out = options.out ? gpuTensor(options.out) : this.alloc([M, N]);
    assertShape(out, [M, N], 'matmul output');
    const bias = options.bias ? gpuTensor(options.bias) : null;
    if (bias && bias.size !== N) throw new Error(`matmul: bias has ${bias.size} values, expected ${N}`);
    if (M * N === 0) return out;
    const [ga, gb] = [gpuTensor(a), gpuTensor(b)];
    const vec4 = ga.byteOffset % 16 === 0 && gb.byteOffset % 16 === 0;
    const { spec, groups } = this.matmulVariant.pick({ M, N, K, transA: options.transA ?? false, transB: options.transB ?? false, vec4 }, this.subgroupSize);
    this.rec.run(spec, [M, N, K, bias ? 1 : 0, options.accumulate ? 1 : 0], [ga, gb, bias ?? this.rec.dummy, out], groups);
    return out;
  }
  sumRows(x: Tensor, out: Tensor, accumulate: boolean): void {
    const [M, N] = rowsCols(x);
    if (out.size !== N) throw new Error(`sumRows: output has ${out.size} values, expected ${N}`);
    this.rec.run(sumRowsKernel, [M, N, accumulate ? 1 : 0], [gpuTensor(x), gpuTensor(out)], grid1d(N));
  }

  // ---- embeddings --------------------------------------------------------------------------------
  gather(table: Tensor, ids: Tensor): Tensor {
    const [V, H] = rowsCols(table);
    const idx = gpuTensor(ids, 'i32');
    if (idx.hostInts) {
      for (const id of idx.hostInts) if (id < 0 || id >= V) throw new Error(`gather: id ${id} outside a table of ${V} rows`);
    }
    const out = this.alloc([idx.size, H]);
    this.elementwise(gatherKernel, [out.size, H, V], [gpuTensor(table), idx, out]);
    return out;
  }
  scatterIndex(ids: Int32Array, numRows: number): ScatterIndex {
    for (const id of ids) if (id < 0 || id >= numRows) throw new Error(`scatterIndex: id ${id} outside ${numRows} rows`);
    return new WebGpuScatterIndex(Int32Array.from(ids), numRows);
  }
  scatterAdd(dOut: Tensor, index: ScatterIndex, dTable: Tensor): void {
    if (!(index instanceof WebGpuScatterIndex)) throw new Error('webgpu backend got a foreign scatter index');
    const [, H] = rowsCols(dTable);
    const n = index.numDistinct * H;
    if (n === 0) return;
    const csr = this.rec.temp(index.packed.byteLength);
    this.rec.upload(csr, index.packed);
    this.elementwise(scatterAddKernel, [n, H, index.numDistinct], [csr, gpuTensor(dOut), gpuTensor(dTable)]);
  }

  // ---- normalisation and activations -------------------------------------------------------------
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): LayerNormResult {
    const [M, H] = rowsCols(x);
    const y = this.alloc([M, H]), mean = this.alloc([M]), rstd = this.alloc([M]);
    if (M === 0) return { y, mean, rstd };
    this.rec.run(layerNormKernel, [M, H, eps], [gpuTensor(x), gpuTensor(gamma), gpuTensor(beta), y, mean, rstd], gridRows(M));
    return { y, mean, rstd };
  }
  layerNormBackward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor, dGamma: Tensor, dBeta: Tensor): Tensor {
    const [M, H] = rowsCols(x);
    const dx = this.alloc(x.shape);
    const [d, xv, mu, rs] = [gpuTensor(dy), gpuTensor(x), gpuTensor(mean), gpuTensor(rstd)];
    if (M > 0) this.rec.run(layerNormBackwardKernel, [M, H], [d, xv, gpuTensor(gamma), mu, rs, dx], gridRows(M));
    this.rec.run(layerNormParamGradKernel, [M, H], [d, xv, mu, rs, gpuTensor(dGamma), gpuTensor(dBeta)], grid1d(H));
    return dx;
  }
  gelu(x: Tensor): Tensor {
    const y = this.alloc(x.shape);
    this.elementwise(geluKernel, [y.size], [gpuTensor(x), y]);
    return y;
  }
  geluBackward(dy: Tensor, x: Tensor): Tensor {
    const dx = this.alloc(x.shape);
    this.elementwise(geluBackwardKernel, [dx.size], [gpuTensor(dy), gpuTensor(x), dx]);
    return dx;
  }
  dropout(x: Tensor, p: number, seed: number): Tensor {
    return this.dropoutBackward(x, p, seed);
  }
  dropoutBackward(dy: Tensor, p: number, seed: number): Tensor {
    const src = gpuTensor(dy);
    const y = this.alloc(dy.shape);
    if (p <= 0) {
      this.rec.copy(src, y);
      return y;
    }
    const threshold = dropoutThreshold(p);
    const keepNone = threshold >= 2 ** 32 ? 1 : 0;
    this.elementwise(dropoutKernel, [y.size, seed >>> 0, keepNone ? 0 : threshold, keepNone, 1 / (1 - p)], [src, y]);
    return y;
  }

  // ---- attention ---------------------------------------------------------------------------------
  attention(qkv: Tensor, keyMask: Tensor, shape: AttentionShape): AttentionResult {
    const { B, T, NH, H, D } = this.attentionShape(qkv, shape);
    const out = this.alloc([B * T, H]);
    const probs = this.alloc([B, NH, T, T]);
    const q = gpuTensor(qkv);
    const params = (n: number) => [n, T, NH, D, H, 1 / Math.sqrt(D)];
    this.elementwise(attentionScoresKernel, params(B * NH * T * T), [q, gpuTensor(keyMask), probs]);
    this.elementwise(attentionSoftmaxKernel, params(B * NH * T), [gpuTensor(keyMask), probs]);
    this.elementwise(attentionOutKernel, [...params(B * T * H), ...dropoutParams(shape)], [q, probs, out]);
    return { out, probs };
  }
  attentionBackward(dOut: Tensor, qkv: Tensor, probs: Tensor, shape: AttentionShape): Tensor {
    const { B, T, NH, H, D } = this.attentionShape(qkv, shape);
    const dq = this.alloc(qkv.shape);
    const dS = this.alloc([B, NH, T, T]);
    const [d, q, p] = [gpuTensor(dOut), gpuTensor(qkv), gpuTensor(probs)];
    const params = (n: number) => [n, T, NH, D, H, 1 / Math.sqrt(D)];
    this.elementwise(attentionProbGradKernel, [...params(B * NH * T * T), ...dropoutParams(shape)], [d, q, dS]);
    this.elementwise(attentionScoreGradKernel, params(B * NH * T), [p, dS]);
    this.elementwise(attentionInputGradKernel, [...params(B * T * H), ...dropoutParams(shape)], [d, q, p, dS, dq]);
    return dq;
  }

  // ---- pooling and heads -------------------------------------------------------------------------
  weightedPool(x: Tensor, weights: Tensor, batch: number): Tensor {
    const [rows, H] = rowsCols(x);
    if (weights.size !== rows) throw new Error(`weightedPool: ${weights.size} weights for ${rows} tokens`);
    const y = this.alloc([batch, H]);
    this.elementwise(weightedPoolKernel, [y.size, rows / batch, H], [gpuTensor(x), gpuTensor(weights), y]);
    return y;
  }
  weightedPoolBackward(dy: Tensor, weights: Tensor, seqLength: number): Tensor {
    const [B, H] = rowsCols(dy);
    const dx = this.alloc([B * seqLength, H]);
    this.elementwise(weightedPoolBackwardKernel, [dx.size, seqLength, H], [gpuTensor(dy), gpuTensor(weights), dx]);
    return dx;
  }
  maxPool(x: Tensor, mask: Tensor, batch: number): { y: Tensor; argmax: Tensor } {
    const [rows, H] = rowsCols(x);
    const y = this.alloc([batch, H]);
    const argmax = this.alloc([batch, H], 'i32');
    this.elementwise(maxPoolKernel, [y.size, rows / batch, H], [gpuTensor(x), gpuTensor(mask), y, argmax]);
    return { y, argmax };
  }
  maxPoolBackward(dy: Tensor, argmax: Tensor, seqLength: number): Tensor {
    const [B, H] = rowsCols(dy);
    const dx = this.alloc([B * seqLength, H]);
    this.elementwise(maxPoolBackwardKernel, [dx.size, seqLength, H], [gpuTensor(dy), gpuTensor(argmax, 'i32'), dx]);
    return dx;
  }
  l2Normalize(x: Tensor): { y: Tensor; norm: Tensor } {
    const [M, H] = rowsCols(x);
    const y = this.alloc([M, H]), norm = this.alloc([M]);
    this.rec.run(l2NormalizeKernel, [M, H], [gpuTensor(x), y, norm], grid1d(M));
    return { y, norm };
  }
  l2NormalizeBackward(dy: Tensor, y: Tensor, norm: Tensor): Tensor {
    const [M, H] = rowsCols(y);
    const dx = this.alloc([M, H]);
    this.rec.run(l2NormalizeBackwardKernel, [M, H], [gpuTensor(dy), gpuTensor(y), gpuTensor(norm), dx], grid1d(M));
    return dx;
  }
  sliceColumns(x: Tensor, width: number): Tensor {
    const [M, H] = rowsCols(x);
    if (width > H) throw new Error(`sliceColumns: width ${width} > ${H} columns`);
    const y = this.alloc([M, width]);
    this.elementwise(sliceColumnsKernel, [y.size, width, H], [gpuTensor(x), y]);
    return y;
  }
  sliceColumnsBackward(dy: Tensor, cols: number): Tensor {
    const [M, W] = rowsCols(dy);
    const dx = this.alloc([M, cols]);
    this.elementwise(sliceColumnsBackwardKernel, [dx.size, W, cols], [gpuTensor(dy), dx]);
    return dx;
  }
  rowDot(a: Tensor, b: Tensor): Tensor {
    const [M, H] = rowsCols(a);
    assertShape(b, [M, H], 'rowDot');
    const out = this.alloc([M]);
    this.rec.run(rowDotKernel, [M, H], [gpuTensor(a), gpuTensor(b), out], grid1d(M));
    return out;
  }

  // ---- losses ------------------------------------------------------------------------------------
  softmaxCrossEntropy(logits: Tensor, labels: Tensor, weight: number): LossResult {
    const [B, C] = rowsCols(logits);
    const lab = gpuTensor(labels, 'i32');
    if (lab.hostInts) {
      for (const l of lab.hostInts) if (l < 0 || l >= C) throw new Error(`softmaxCrossEntropy: label ${l} outside ${C} classes`);
    }
    const rowLoss = this.alloc([B]), d = this.alloc([B, C]);
    this.rec.run(crossEntropyKernel, [B, C, weight / B], [gpuTensor(logits), lab, rowLoss, d], grid1d(B));
    return { loss: this.mean(rowLoss, 1 / B), grads: [d] };
  }
  meanSquaredError(pred: Tensor, target: Tensor, weight: number): LossResult {
    const n = pred.size;
    if (target.size !== n) throw new Error(`meanSquaredError: ${n} predictions, ${target.size} targets`);
    const [p, t] = [gpuTensor(pred), gpuTensor(target)];
    const d = this.alloc(pred.shape);
    this.elementwise(scaledDifferenceKernel, [n, (2 * weight) / n], [p, t, d]);
    const groups = partialGroups(n);
    const partial = this.alloc([groups]);
    this.rec.run(squaredErrorPartialKernel, [n], [p, t, partial], [groups, 1, 1]);
    return { loss: this.mean(partial, 1 / n), grads: [d] };
  }
  cosentLoss(scores: Tensor, labels: Tensor, weight: number): LossResult {
    const loss = this.alloc([1]), d = this.alloc(scores.shape);
    this.rec.run(cosentKernel, [scores.size, weight], [gpuTensor(scores), gpuTensor(labels), loss, d], [1, 1, 1]);
    return { loss, grads: [d] };
  }
  tripletLoss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: number, weight: number): LossResult {
    const [B, H] = rowsCols(anchor);
    const rowLoss = this.alloc([B]);
    const grads = [this.alloc([B, H]), this.alloc([B, H]), this.alloc([B, H])];
    this.rec.run(
      tripletKernel,
      [B, H, margin, weight / B],
      [gpuTensor(anchor), gpuTensor(positive), gpuTensor(negative), rowLoss, ...grads],
      grid1d(B),
    );
    return { loss: this.mean(rowLoss, 1 / B), grads };
  }

  // ---- optimizer ---------------------------------------------------------------------------------
  sumSquares(x: Tensor): Tensor {
    const n = x.size;
    const groups = partialGroups(n);
    const partial = this.alloc([groups]);
    this.rec.run(sumSquaresPartialKernel, [n], [gpuTensor(x), partial], [groups, 1, 1]);
    return this.mean(partial, 1);
  }
  adamw(params: Tensor, grads: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
    const n = params.size;
    if (grads.size !== n || m.size !== n || v.size !== n) throw new Error('adamw: params, grads and moments differ in size');
    const clip = o.maxGradNorm > 0;
    if (clip && !o.gradNormSquared) throw new Error('adamw: clipping needs gradNormSquared');
    // With a norm given, the kernel also skips the whole update when it is NaN or ±Inf.
    const guard = o.gradNormSquared !== undefined;
    const gn2 = o.gradNormSquared ? gpuTensor(o.gradNormSquared) : this.rec.dummy;
    const stepSize = o.lr / (1 - o.beta1 ** o.step);
    const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
    const decayEnd = Math.max(0, Math.min(n, o.decayEnd));
    this.elementwise(
      adamwKernel,
      [n, decayEnd, clip ? 1 : 0, guard ? 1 : 0, o.maxGradNorm, 1 - o.lr * o.weightDecay, o.beta1, o.beta2, stepSize, bc2Sqrt, o.eps],
      [gpuTensor(params), gpuTensor(grads), gpuTensor(m), gpuTensor(v), gn2],
    );
  }

  private noteError(e: string | null): void {
    if (!e || this.firstError) return;
    this.firstError = e;
    console.error(`WebGPU error: ${e}`);
  }

  // ---- helpers -----------------------------------------------------------------------------------
  private alloc(shape: readonly number[], dtype: DType = 'f32', persistent = false, zero = false, hostInts: Int32Array | null = null): WebGpuTensor {
    const bytes = sizeOf(shape) * 4;
    if (bytes > this.adapter.maxBufferSize) {
      throw new Error(`tensor [${shape.join(', ')}] needs ${bytes} bytes, above this adapter's maxBufferSize ${this.adapter.maxBufferSize}`);
    }
    const { buffer, fresh } = this.rec.storage.acquire(Math.max(4, bytes), !persistent);
    const t = new WebGpuTensor(shape, dtype, buffer, 0, persistent, hostInts);
    if (zero && !fresh) this.rec.clear(t);
    return t;
  }

  /** 1-D kernels whose first parameter is the thread count. */
  private elementwise(spec: KernelSpec, params: readonly number[], buffers: readonly BufferRange[]): void {
    if (params[0] === 0) return;
    this.rec.run(spec, params, buffers, grid1d(params[0]));
  }

  /** [1] = factor · Σ x */
  private mean(x: WebGpuTensor, factor: number): WebGpuTensor {
    const out = this.alloc([1]);
    this.rec.run(sumScaledKernel, [x.size, factor], [x, out], [1, 1, 1]);
    return out;
  }

  private attentionShape(qkv: Tensor, shape: AttentionShape): { B: number; T: number; NH: number; H: number; D: number } {
    const { batch: B, seqLength: T, heads: NH } = shape;
    const [rows, threeH] = rowsCols(qkv);
    if (rows !== B * T || threeH % (3 * NH) !== 0) {
      throw new Error(`attention: qkv [${rows}, ${threeH}] does not fit B=${B} T=${T} heads=${NH}`);
    }
    const H = threeH / 3;
    return { B, T, NH, H, D: H / NH };
  }
}

export { matmulVariants };
export type { MatmulVariant, MatmulVariantName };

/** Throws, saying the CPU backend can be used, when no WebGPU adapter is available. */
export async function createWebGpuBackend(gpu: GPU, options: CreateWebGpuOptions = {}): Promise<WebGpuBackend> {
  const adapter = await requestAdapter(gpu, options);
  const device = await requestDevice(adapter);
  const subgroupSize = fixedSubgroupSize(adapter, device);
  const variant = matmulVariant(options.matmulVariant ?? defaultMatmulVariant(adapter, subgroupSize));
  // Errors outside a recording scope would otherwise vanish silently.
  device.addEventListener('uncapturederror', (e) => {
    console.error(`WebGPU uncaptured error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  return new WebGpuBackend(device, describeAdapter(adapter, device), variant, subgroupSize);
}
