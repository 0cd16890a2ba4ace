import { describe, expect, it } from 'vitest';
import type { Backend } from '../engine/backend.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { CpuTensor } from '../engine/cpu/tensor.ts';
import { Graph } from '../engine/graph.ts';
import { ParamLayout, ParamStore } from '../engine/params.ts';
import { SeededRandom } from '../engine/rng.ts';
import { bertParamGroups, type BertDims, type TokenBatch } from './bert.ts';
import { GradCacheWorkspace, recordCachedLossGradients } from './cached-mnrl.ts';
import { randomBertWeights } from './init.ts';
import { computeLoss, DEFAULT_LOSS } from './losses.ts';
import { estimateTrainingMemory, planBatch } from './memory-estimate.ts';
import { SentenceModel, type PromptedBatch } from './sentence-model.ts';

/** Bytes of every tensor a value holds (op results are tensors, or objects / arrays of them). */
function tensorBytes(value: unknown): number {
  if (value instanceof CpuTensor) return value.data.byteLength;
  if (Array.isArray(value)) return value.reduce((s: number, v) => s + tensorBytes(v), 0);
  if (value && typeof value === 'object' && !(value instanceof Promise)) return Object.values(value).reduce((s: number, v) => s + tensorBytes(v), 0);
  return 0;
}

/**
 * The CPU backend, counting what its ops allocate: `step` since the last endStep (the WebGPU pool
 * frees step buffers only there, so the largest `step` is the peak), `persistent` separately —
 * allocating as the WebGPU backend does. Views allocate nothing; reads are host copies.
 */
function countingBackend(): { backend: Backend; counts: { step: number; peakStep: number; persistent: number } } {
  const counts = { step: 0, peakStep: 0, persistent: 0 };
  const inner = new CpuBackend();
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        // matmul into an `out` (weight gradients) allocates nothing.
        const wroteInto = prop === 'matmul' && (args[2] as { out?: unknown } | undefined)?.out === result;
        // WebGPU's attention backward allocates the score gradient [B, heads, T, T]; the CPU keeps one row.
        const hidden = prop === 'attentionBackward' ? tensorBytes(args[2]) : 0;
        if (prop === 'endStep') {
          counts.step = 0;
        } else if (prop !== 'view' && prop !== 'read') {
          const persistent = (prop === 'zeros' && args[2] === true) || ((prop === 'fromFloat32' || prop === 'fromInt32') && args[2] === true);
          if (persistent) counts.persistent += tensorBytes(result);
          else if (!wroteInto) {
            counts.step += tensorBytes(result) + hidden;
            counts.peakStep = Math.max(counts.peakStep, counts.step);
          }
        }
        return result;
      };
    },
  });
  return { backend, counts };
}

function dims(over: Partial<BertDims>): BertDims {
  return {
    vocabSize: 200, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64, maxPositions: 64, typeVocabSize: 2,
    layerNormEps: 1e-12, hiddenDropout: 0, attentionDropout: 0, ...over,
  };
}

function makeModel(backend: Backend, d: BertDims): SentenceModel {
  const layout = new ParamLayout(bertParamGroups(d));
  const store = new ParamStore(backend, layout, randomBertWeights(layout, 1));
  store.enableTraining();
  const tokenizer = { encodeBatch: () => { throw new Error('not used'); }, promptLength: () => 0, countTokens: () => 0 };
  return new SentenceModel(store, d, tokenizer, { mode: 'mean', includePrompt: true }, true, d.maxPositions);
}

/** rows texts of exactly T tokens (no padding: the estimate counts padded tokens). */
function randomBatch(rows: number, T: number, vocab: number, seed: number): PromptedBatch {
  const rng = new SeededRandom(seed);
  const batch: TokenBatch = {
    batchSize: rows, seqLength: T,
    inputIds: Int32Array.from({ length: rows * T }, () => 1 + Math.floor(rng.next() * (vocab - 1))),
    attentionMask: new Int32Array(rows * T).fill(1),
    tokenTypeIds: new Int32Array(rows * T),
  };
  return { batch, promptLengths: [] };
}

const SHAPES = [
  { name: 'tiny, no dropout', dims: dims({}), batchSize: 4, columns: 2, seqLength: 16 },
  { name: 'wider FFN, 3 columns, dropout', dims: dims({ hiddenSize: 48, numHeads: 2, numLayers: 3, intermediateSize: 192, hiddenDropout: 0.1, attentionDropout: 0.1 }), batchSize: 3, columns: 3, seqLength: 24 },
];

describe('estimateTrainingMemory', () => {
  it('counts four flat buffers of the parameter layout', () => {
    const d = dims({});
    const e = estimateTrainingMemory(d, { batchSize: 2, columns: 2, seqLength: 8 });
    const floats = new ParamLayout(bertParamGroups(d)).totalSize;
    expect([e.parameters, e.gradients, e.optimizer]).toEqual([4 * floats, 4 * floats, 8 * floats]);
    expect(e.total).toBe(16 * floats + e.activations);
    expect(e.largestBuffer).toEqual(e.buffers[0]);
  });

  it.each(SHAPES)('is within 0.5×–2× of what one recorded step allocates ($name)', ({ dims: d, batchSize, columns, seqLength }) => {
    const { backend, counts } = countingBackend();
    const model = makeModel(backend, d);
    const rows = batchSize * columns;
    const input = randomBatch(rows, seqLength, d.vocabSize, 2);
    const rng = new SeededRandom(3);
    backend.endStep();
    counts.peakStep = 0;

    backend.fill(model.store.grads, 0);
    const g = new Graph(backend, true);
    const emb = model.embed(g, input, () => rng.nextUint32());
    const cols = g.splitRows(emb, Array.from({ length: columns }, () => batchSize));
    g.backward(computeLoss(g, { ...DEFAULT_LOSS, id: 'mnrl' }, { columns: cols }));
    const measured = counts.peakStep;
    backend.endStep();

    const estimate = estimateTrainingMemory(d, { batchSize, columns, seqLength });
    const ratio = estimate.activations / measured;
    expect(ratio, `estimate ${estimate.activations} B vs measured ${measured} B`).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    // The count follows the code op by op: far tighter than the stated bound (measured ≤ 0.2%).
    expect(Math.abs(ratio - 1)).toBeLessThan(0.05);
  });

  it.each(SHAPES)('with gradient caching, is within 0.5×–2× of the measured peak ($name)', ({ dims: d, batchSize, columns, seqLength }) => {
    const { backend, counts } = countingBackend();
    const model = makeModel(backend, d);
    const rows = batchSize * columns;
    const input = randomBatch(rows, seqLength, d.vocabSize, 2);
    const rng = new SeededRandom(3);
    const workspace = new GradCacheWorkspace(backend);
    backend.endStep();
    counts.peakStep = 0;
    counts.persistent = 0;
    const miniBatchSize = 2;

    backend.fill(model.store.grads, 0);
    recordCachedLossGradients(model, input, columns, { ...DEFAULT_LOSS, id: 'mnrl' }, undefined, miniBatchSize, () => rng.nextUint32(), { workspace });
    const measured = counts.peakStep + counts.persistent;
    backend.endStep();

    const estimate = estimateTrainingMemory(d, { batchSize, columns, seqLength, miniBatchSize });
    const ratio = estimate.activations / measured;
    expect(ratio, `estimate ${estimate.activations} B vs measured ${measured} B`).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
    expect(Math.abs(ratio - 1)).toBeLessThan(0.05);
    expect(estimate.activations).toBeLessThan(estimateTrainingMemory(d, { batchSize, columns, seqLength }).activations);
  });
});

describe('planBatch', () => {
  const miniLM = dims({
    vocabSize: 30522, hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536, maxPositions: 512,
    hiddenDropout: 0.1, attentionDropout: 0.1,
  });
  const MiB = 1024 * 1024;
  const limits = { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB, budgetBytes: 64 * 1024 * MiB };
  const request = { batchSize: 512, columns: 2, seqLength: 128 };

  it('MiniLM-L6, 512 pairs × 128 tokens under a 128 MiB binding limit: the largest mini-batch that fits', () => {
    const plan = planBatch(miniLM, limits, request);
    // Attention probabilities and FFN activations take m · 12 · 128 · 128 · 4 B = 0.75 MiB per text:
    // 170 texts → 127.5 MiB (pool class 128 MiB), 171 → 128.25 MiB (class 144 MiB).
    expect(plan).toMatchObject({ fits: true, miniBatchSize: 170 });
    expect(plan.reason).toMatch(/attention probabilities|FFN/);
    const at = estimateTrainingMemory(miniLM, { ...request, miniBatchSize: 170 });
    expect(at.largestBuffer.bytes).toBeLessThanOrEqual(128 * MiB);
    expect(estimateTrainingMemory(miniLM, { ...request, miniBatchSize: 171 }).largestBuffer.bytes).toBeGreaterThan(127.5 * MiB);
    // Parameters: ~22.7 M floats ≈ 87 MiB per flat buffer, still one binding.
    expect(at.parameters / MiB).toBeGreaterThan(80);
    expect(at.parameters / MiB).toBeLessThan(90);
  });

  it('a tighter budget gives a smaller mini-batch; an impossible one says why', () => {
    const full = estimateTrainingMemory(miniLM, request);
    const fixed = full.parameters + full.gradients + full.optimizer;
    const at = (m: number) => estimateTrainingMemory(miniLM, { ...request, miniBatchSize: m }).total;
    const plan = planBatch(miniLM, { ...limits, budgetBytes: at(32) }, request);
    expect(plan).toMatchObject({ fits: true, miniBatchSize: 32 });
    const none = planBatch(miniLM, { ...limits, budgetBytes: fixed }, request);
    expect(none.fits).toBe(false);
    expect(none.miniBatchSize).toBeNull();
    expect(none.reason).toMatch(/budget/);
    const tinyBinding = planBatch(miniLM, { ...limits, maxStorageBufferBindingSize: 64 * MiB }, request);
    expect(tinyBinding.fits).toBe(false);
    expect(tinyBinding.reason).toMatch(/flat parameters/);
  });

  it('a batch that fits needs no mini-batches', () => {
    const plan = planBatch(miniLM, limits, { batchSize: 16, columns: 2, seqLength: 64 });
    expect(plan).toMatchObject({ fits: true, miniBatchSize: null });
    expect(plan.reason).toMatch(/full batch fits/);
  });
});
