import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../engine/backend.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { Graph, Var } from '../engine/graph.ts';
import { SeededRandom } from '../engine/rng.ts';
import { folderFiles } from '../io/folder-files.ts';
import { testBackends } from '../../test/support/backends.ts';
import {
  HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR, flooredNormError, norm, readReference, relativeNormError,
} from '../../test/support/tiny-bert.ts';
import { GradCacheWorkspace, miniBatches, recordCachedLossGradients, sliceTokenBatch } from './cached-mnrl.ts';
import { loadSentenceModel, type LoadedModel } from '../io/load-model.ts';
import { computeLoss, DEFAULT_LOSS, type LossConfig } from './losses.ts';
import { SentenceModel, type PromptedBatch } from './sentence-model.ts';
import { unpackWeights } from './weights.ts';

/**
 * Gradient caching must give the full-batch loss and gradient: against one recorded pass over the
 * whole batch (no dropout, or one mini-batch), and with dropout against one recorded graph that
 * embeds the same mini-batches with the same seeds (the same stochastic function, differentiated
 * without caching).
 */
const ref = HAVE_FIXTURES ? readReference() : null;
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

const MNRL: LossConfig = { ...DEFAULT_LOSS, id: 'mnrl' };

interface Result {
  loss: number;
  grads: { name: string; data: Float32Array }[];
  flat: Float32Array;
}

async function readResult(loaded: LoadedModel, lossTensor: import('../engine/backend.ts').Tensor): Promise<Result> {
  const backend = loaded.model.backend;
  const loss = (await backend.read(lossTensor))[0];
  const flat = await loaded.model.store.readGrads();
  backend.endStep();
  return { loss, grads: unpackWeights(loaded.layout, flat), flat };
}

/** Plain (uncached) loss and gradient: every row embedded on one recorded graph. */
async function plain(
  loaded: LoadedModel, model: SentenceModel, input: PromptedBatch, columnCount: number, loss: LossConfig,
  labels: Float32Array | undefined, seed: number, miniBatchSize?: number,
): Promise<Result> {
  const backend = model.backend;
  backend.fill(model.store.grads, 0);
  const rng = new SeededRandom(seed);
  const g = new Graph(backend, true);
  const rows = input.batch.batchSize;
  // With a mini-batch size: the same mini-batches (and so the same dropout masks) as caching uses.
  const emb = miniBatchSize === undefined
    ? model.embed(g, input, () => rng.nextUint32())
    : g.concatRows(miniBatches(input, miniBatchSize).map((p) => model.embed(g, p.input, () => rng.nextUint32())));
  const columns = g.splitRows(emb, Array.from({ length: columnCount }, () => rows / columnCount));
  const losses = computeLoss(g, loss, { columns, labels });
  g.backward(losses);
  let total = losses[0].value;
  if (losses.length > 1) {
    total = backend.zeros([1]);
    losses.forEach((l, i) => backend.addInPlace(total, l.value, loss.matryoshkaWeights?.[i] ?? 1));
  }
  return readResult(loaded, total);
}

async function cached(
  loaded: LoadedModel, model: SentenceModel, input: PromptedBatch, columnCount: number, loss: LossConfig,
  labels: Float32Array | undefined, seed: number, miniBatchSize: number, workspace?: GradCacheWorkspace,
): Promise<Result> {
  const backend = model.backend;
  backend.fill(model.store.grads, 0);
  const rng = new SeededRandom(seed);
  const total = recordCachedLossGradients(model, input, columnCount, loss, labels, miniBatchSize, () => rng.nextUint32(), { workspace });
  return readResult(loaded, total);
}

/**
 * Whole gradient within 1e-5 (relative norm) everywhere. Per parameter 1e-5 on the CPU, which sums
 * in float64; WebGPU sums in float32 in an order that depends on the mini-batch (a bias gradient of
 * 12 one-row passes vs one 12-row pass), which measured up to ~1.3e-5 here: 1e-4 there, the
 * reference-parity bound.
 */
function expectSame(got: Result, want: Result, what: string, perParameterBound: number): void {
  expect(Math.abs(got.loss - want.loss) / Math.abs(want.loss), `${what}: loss`).toBeLessThan(1e-5);
  // Floor 1e-6 of the global norm, for the analytically-zero key-bias gradients (float noise).
  const floor = 1e-6 * norm(want.flat);
  expect(norm(want.flat), `${what}: a gradient at all`).toBeGreaterThan(0);
  expect(relativeNormError(got.flat, want.flat), `${what}: whole gradient`).toBeLessThan(1e-5);
  want.grads.forEach(({ name, data }, i) => {
    expect(flooredNormError(got.grads[i].data, data, floor), `${what}: ${name}`).toBeLessThan(perParameterBound);
  });
}

function withDropout(model: SentenceModel, p: number): SentenceModel {
  const dims = { ...model.dims, hiddenDropout: p, attentionDropout: p };
  return new SentenceModel(model.store, dims, model.tokenizer, model.pooling, model.normalize, model.maxSeqLength);
}

describe('Graph.backwardFrom', () => {
  it('seeds arbitrary outputs and accumulates into leaves like backward from Σ grad·v', async () => {
    const b = new CpuBackend();
    const x = new Var(b.fromFloat32(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]), null, true);
    const w = new Var(b.fromFloat32(Float32Array.from([0.5, -1, 2, 0, 1, 1]), [2, 3]), b.zeros([2, 3]), true);
    const g = new Graph(b, true);
    const y = g.matmulTransposed(x, w); // [2, 2]
    const dy = b.fromFloat32(Float32Array.from([1, 0, -1, 2]), [2, 2]);
    g.backwardFrom([{ v: y, grad: dy }]);
    // dW = dyᵀ·x, dx = dy·W
    expect(Array.from(await b.read(w.grad!))).toEqual([1 - 4, 2 - 5, 3 - 6, 8, 10, 12]);
    expect(Array.from(await b.read(x.grad!))).toEqual([0.5, -1, 2, -0.5, 3, 0]);
    // the caller's gradient tensor is not written
    expect(Array.from(await b.read(dy))).toEqual([1, 0, -1, 2]);
    expect(() => new Graph(b, false).backwardFrom([{ v: y, grad: dy }])).toThrow(/did not record/);
    expect(() => new Graph(b, true).backwardFrom([{ v: y, grad: b.zeros([4]) }])).toThrow(/gradient \[4\]/);
  });
});

describe('mini-batches of a tokenized batch', () => {
  it('slices rows and trims padding to the longest row', () => {
    const batch = {
      batchSize: 3, seqLength: 4,
      inputIds: Int32Array.from([1, 2, 0, 0, 3, 4, 5, 0, 6, 0, 0, 0]),
      attentionMask: Int32Array.from([1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0]),
      tokenTypeIds: new Int32Array(12),
    };
    const s = sliceTokenBatch(batch, 0, 1);
    expect([s.batchSize, s.seqLength, Array.from(s.inputIds)]).toEqual([1, 2, [1, 2]]);
    const t = sliceTokenBatch(batch, 1, 3);
    expect([t.batchSize, t.seqLength, Array.from(t.inputIds), Array.from(t.attentionMask)]).toEqual([2, 3, [3, 4, 5, 6, 0, 0], [1, 1, 1, 1, 0, 0]]);
    const parts = miniBatches({ batch, promptLengths: [2, 0, 1] }, 2);
    expect(parts.map((p) => [p.start, p.end, p.input.promptLengths])).toEqual([[0, 2, [2, 0]], [2, 3, [1]]]);
    expect(() => miniBatches({ batch, promptLengths: [] }, 0)).toThrow(/positive integer/);
  });
});

const backends = await testBackends();

describe.skipIf(!HAVE_FIXTURES).each(backends)('gradient caching on $name', ({ name, create }) => {
  let backend: Backend;
  let loaded: LoadedModel;
  let triplets: PromptedBatch;
  afterAll(() => backend?.destroy());
  // The WebGPU backend on a software adapter is slow: the CPU covers every case, WebGPU the core ones.
  const full = name === 'cpu';
  const expectSameHere = (got: Result, want: Result, what: string) => expectSame(got, want, what, full ? 1e-5 : 1e-4);

  it('cached MNRL with hard negatives equals plain MNRL for mini-batches of 1, 2 and 3', async () => {
    backend = await create();
    loaded = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    loaded.model.store.enableTraining();
    // anchors, positives, hard negatives: 3 columns of 4 rows
    triplets = loaded.model.tokenize([0, 1, 2].flatMap((c) => ref!.triplets.map((t) => t[c])));
    const { model } = loaded;
    const want = await plain(loaded, model, triplets, 3, MNRL, undefined, 1);
    for (const size of [1, 2, 3]) expectSameHere(await cached(loaded, model, triplets, 3, MNRL, undefined, 1, size), want, `mini-batch ${size}`);
  });

  it('with dropout: the same masks as one recorded pass over the same mini-batches', async () => {
    const model = withDropout(loaded.model, 0.1);
    const noDropout = await plain(loaded, loaded.model, triplets, 3, MNRL, undefined, 5);
    for (const size of full ? [1, 2, 3] : [2]) {
      const want = await plain(loaded, model, triplets, 3, MNRL, undefined, 5, size);
      expect(Math.abs(want.loss - noDropout.loss), 'dropout changes the loss').toBeGreaterThan(1e-4);
      expectSameHere(await cached(loaded, model, triplets, 3, MNRL, undefined, 5, size), want, `dropout, mini-batch ${size}`);
    }
    // One mini-batch of every row is exactly the plain full-batch step, seeds and all.
    const whole = await plain(loaded, model, triplets, 3, MNRL, undefined, 9);
    expectSameHere(await cached(loaded, model, triplets, 3, MNRL, undefined, 9, 12), whole, 'dropout, one mini-batch');
  });

  it('with Matryoshka dimensions', async () => {
    const loss: LossConfig = { ...MNRL, matryoshkaDims: [32, 16, 8], matryoshkaWeights: [1, 0.5, 2] };
    const want = await plain(loaded, loaded.model, triplets, 3, loss, undefined, 1);
    for (const size of full ? [1, 3] : [3]) expectSameHere(await cached(loaded, loaded.model, triplets, 3, loss, undefined, 1, size), want, `Matryoshka, mini-batch ${size}`);
  });

  it('submitting after every mini-batch (workspace) gives the same result, twice in a row', async () => {
    const model = withDropout(loaded.model, 0.1);
    const want = await plain(loaded, model, triplets, 3, MNRL, undefined, 3, 2);
    const workspace = new GradCacheWorkspace(backend);
    expectSameHere(await cached(loaded, model, triplets, 3, MNRL, undefined, 3, 2, workspace), want, 'workspace, first step');
    expectSameHere(await cached(loaded, model, triplets, 3, MNRL, undefined, 3, 2, workspace), want, 'workspace, second step');
  });

  it.skipIf(!full).each(['cosent', 'cosine', 'triplet'] as const)('caches the %s loss too', async (id) => {
    const loss: LossConfig = { ...DEFAULT_LOSS, id };
    const scored = id !== 'triplet';
    const input = scored
      ? loaded.model.tokenize([0, 1].flatMap((c) => ref!.pairs.map((p) => p[c] as string)))
      : triplets;
    const labels = scored ? Float32Array.from(ref!.pairs.map((p) => p[2])) : undefined;
    const columns = scored ? 2 : 3;
    const want = await plain(loaded, loaded.model, input, columns, loss, labels, 1);
    expectSameHere(await cached(loaded, loaded.model, input, columns, loss, labels, 1, 3), want, `${id}, mini-batch 3`);
  });

  it('rejects a batch that does not split into columns and models without training', async () => {
    const { model } = loaded;
    expect(() => recordCachedLossGradients(model, triplets, 5, MNRL, undefined, 2, () => 0)).toThrow(/do not split/);
    const other = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    expect(() => recordCachedLossGradients(other.model, triplets, 3, MNRL, undefined, 2, () => 0)).toThrow(/training enabled/);
    backend.endStep();
  });
});
