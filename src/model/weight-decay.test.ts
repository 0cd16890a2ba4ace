/**
 * Weight decay, checked so that a missing or misplaced decay fails (`vitest -t "weight decay"`).
 *
 * The other optimizer tests run at lr·wd ≈ 1e-5 against a 1e-4 tolerance, where deleting the decay
 * changes nothing visible. Here lr·wd is 0.1 (or 1e-2 on the fixture) over several steps, and the
 * result is compared with a float64 closed form: with a gradient g held constant, Adam's bias
 * corrections cancel exactly (m̂ = c·g, v̂ = c²g², c the clip factor), so every step moves a
 * parameter by the same u = lr·c·g / (c·|g| + eps) and
 *   decayed:     p_k = dᵏ·p₀ − u·(1 − dᵏ)/(1 − d),   d = 1 − lr·wd
 *   not decayed: p_k = p₀ − k·u.
 * Which parameters decay is Hugging Face Trainer's rule, written out below by name.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../engine/backend.ts';
import { CpuBackend } from '../engine/cpu/cpu-backend.ts';
import { AdamW } from '../engine/optimizer.ts';
import { ParamLayout, ParamStore } from '../engine/params.ts';
import { folderFiles } from '../io/folder-files.ts';
import { testBackends } from '../../test/support/backends.ts';
import {
  HAVE_FIXTURES, TINY_BERT_MODEL_DIR, flooredNormError, readFixtureTensors, readReference, relativeNormError,
} from '../../test/support/tiny-bert.ts';
import { bertParamGroups, type BertDims } from './bert.ts';
import { loadSentenceModel } from '../io/load-model.ts';
import { DEFAULT_LOSS } from './losses.ts';
import { Trainer } from './trainer.ts';
import type { AdamWConfig } from '../shared/settings.ts';

const backends = await testBackends();

/**
 * transformers' Trainer.get_decay_parameter_names: every parameter except those of LayerNorm
 * modules and those whose lower-cased name matches bias / layernorm / rmsnorm / norm. BERT's
 * LayerNorm modules are all named `LayerNorm`, so the name alone decides.
 */
const HF_NO_DECAY = [/bias/, /layernorm/, /rmsnorm/, /(?:^|\.)norm(?:$|\.)/, /_norm(?:$|\.)/];
function hfDecays(name: string): boolean {
  return !HF_NO_DECAY.some((re) => re.test(name.toLowerCase()));
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values in ±[lo, hi]: never near zero, so a decay of every element shows. */
function awayFromZero(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (lo + (hi - lo) * r()));
}

/** p after `steps` AdamW steps with the constant gradient g, in float64 (the closed form above). */
function closedForm(p0: number, g: number, o: { lr: number; wd: number; eps: number; clip: number; steps: number; decay: boolean }): number {
  const u = (o.lr * o.clip * g) / (o.clip * Math.abs(g) + o.eps);
  if (!o.decay || o.wd === 0) return p0 - o.steps * u;
  const d = 1 - o.lr * o.wd;
  const dk = d ** o.steps;
  return dk * p0 - (u * (1 - dk)) / (1 - d);
}

function norm64(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** The worst |got − want| over max |want| among the elements `which` picks, with its index. */
function worst(got: Float32Array, want: Float64Array, which: (i: number) => boolean): { err: number; at: number } {
  let scale = 0;
  for (let i = 0; i < want.length; i++) if (which(i)) scale = Math.max(scale, Math.abs(want[i]));
  let err = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    if (!which(i)) continue;
    const e = Math.abs(got[i] - want[i]) / scale;
    if (e > err) [err, at] = [e, i];
  }
  return { err, at };
}

describe.each(backends)('AdamW weight decay on $name', ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.destroy());

  it('weight decay: 8 steps at lr·wd = 0.1 follow the float64 closed form, and only below decayEnd', async () => {
    backend = await create();
    // 300 and 131: neither a multiple of 4 nor of a workgroup, so tails and thread splits are covered.
    const n = 300, decayEnd = 131, steps = 8;
    const o = { lr: 0.05, wd: 2, eps: 1e-8, beta1: 0.9, beta2: 0.999 };
    const p0 = awayFromZero(n, 0.5, 2, 1), g = awayFromZero(n, 0.01, 1, 2);
    // Clipping on, and binding: the clip factor enters the closed form.
    const gNorm = norm64(g), maxGradNorm = gNorm / 2;
    const clip = Math.min(1, maxGradNorm / (gNorm + 1e-6));
    const p = backend.fromFloat32(p0, [n], true), grads = backend.fromFloat32(g, [n], true);
    const m = backend.zeros([n], 'f32', true), v = backend.zeros([n], 'f32', true);
    for (let step = 1; step <= steps; step++) {
      backend.adamw(p, grads, m, v, {
        lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.wd, decayEnd, step, maxGradNorm,
        gradNormSquared: backend.sumSquares(grads),
      });
      backend.endStep();
    }
    const got = await backend.read(p);
    backend.endStep();
    const want = Float64Array.from(p0, (x, i) => closedForm(x, g[i], { ...o, clip, steps, decay: i < decayEnd }));
    const decayed = worst(got, want, (i) => i < decayEnd), kept = worst(got, want, (i) => i >= decayEnd);
    expect(decayed.err, `decayed element ${decayed.at}: ${got[decayed.at]} vs ${want[decayed.at]}`).toBeLessThan(1e-5);
    expect(kept.err, `undecayed element ${kept.at}: ${got[kept.at]} vs ${want[kept.at]}`).toBeLessThan(1e-5);
  });
});

/** A BERT small enough for every backend in well under a second, with every kind of parameter. */
const TINY_DIMS: BertDims = {
  vocabSize: 40, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 12, maxPositions: 16, typeVocabSize: 2,
  layerNormEps: 1e-12, hiddenDropout: 0, attentionDropout: 0,
};

describe('weight decay groups', () => {
  it("weight decay groups are exactly Hugging Face Trainer's: every parameter except biases and LayerNorm weights", () => {
    const layout = new ParamLayout(bertParamGroups(TINY_DIMS));
    const decayed = layout.entries.filter((e) => e.decay).map((e) => e.name);
    const expected = layout.entries.map((e) => e.name).filter(hfDecays);
    expect(decayed).toEqual(expected);
    // The rule must split this model at all: both sides non-empty, LayerNorm and biases on the far side.
    expect(decayed).toContain('embeddings.word_embeddings.weight');
    expect(decayed).toContain('encoder.layer.1.attention.self.query.weight');
    expect(decayed).not.toContain('encoder.layer.0.attention.output.LayerNorm.weight');
    expect(decayed).not.toContain('encoder.layer.0.intermediate.dense.bias');
    // decayEnd, the one index the kernels see, covers exactly the decayed entries.
    for (const e of layout.entries) {
      expect(e.offset + e.size <= layout.decayEnd, e.name).toBe(e.decay);
      expect(e.offset >= layout.decayEnd, e.name).toBe(!e.decay);
    }
  });

  it.skipIf(!HAVE_FIXTURES)('weight decay groups on the names of a real sentence-transformers checkpoint', async () => {
    const stored = [...readFixtureTensors('model/model.safetensors').keys()] as string[];
    const { layout } = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), new CpuBackend());
    // Every trained parameter is one of the checkpoint's; the pooler is the only one not trained.
    expect(stored.filter((n) => !n.startsWith('pooler.')).sort()).toEqual(layout.entries.map((e) => e.name).sort());
    expect(layout.entries.filter((e) => e.decay).map((e) => e.name).sort()).toEqual(stored.filter((n) => !n.startsWith('pooler.') && hfDecays(n)).sort());
  });
});

describe.each(backends)('weight decay through the optimizer on $name (BERT groups)', ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.destroy());

  it.each([false, true])('weight decay: decayAllParameters=%s decays exactly the parameters it should over 6 steps', async (decayAll) => {
    backend ??= await create();
    const layout = new ParamLayout(bertParamGroups(TINY_DIMS));
    // Every value (biases and LayerNorm included) random and away from zero, so every decay shows;
    // the alignment padding between groups stays 0 with a 0 gradient.
    const p0 = new Float32Array(layout.totalSize), g = new Float32Array(layout.totalSize);
    const rp = awayFromZero(layout.totalSize, 0.5, 2, 3), rg = awayFromZero(layout.totalSize, 0.01, 1, 4);
    for (const e of layout.entries) {
      p0.set(rp.subarray(e.offset, e.offset + e.size), e.offset);
      g.set(rg.subarray(e.offset, e.offset + e.size), e.offset);
    }
    const config: AdamWConfig = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 2, decayAllParameters: decayAll, maxGradNorm: 1 };
    const store = new ParamStore(backend, layout, p0);
    const optimizer = new AdamW(store, config);
    const steps = 6;
    for (let s = 0; s < steps; s++) {
      backend.write(store.grads, g);
      optimizer.apply(config.lr);
      backend.endStep();
    }
    const got = await store.readParams();
    backend.endStep();
    const gNorm = norm64(g);
    const clip = Math.min(1, config.maxGradNorm / (gNorm + 1e-6));
    expect(clip).toBeLessThan(0.5); // clipping binds, so the closed form's c is tested too
    for (const e of layout.entries) {
      const decay = decayAll || hfDecays(e.name);
      const want = Float64Array.from({ length: e.size }, (_, i) =>
        closedForm(p0[e.offset + i], g[e.offset + i], { lr: config.lr, wd: config.weightDecay, eps: config.eps, clip, steps, decay }));
      const err = relativeNormError(got.subarray(e.offset, e.offset + e.size), want);
      expect(err, `${e.name} (${decay ? 'decayed' : 'not decayed'})`).toBeLessThan(1e-5);
    }
  });
});

describe.skipIf(!HAVE_FIXTURES).each(backends)("weight decay with the Trainer's split on $name (tiny-bert, torch gradients)", ({ create }) => {
  let backend: Backend;
  afterAll(() => backend?.destroy());

  it('weight decay: one MNRL step with decay off biases and LayerNorm and clipping at 1 matches torch AdamW on the reference gradients', async () => {
    backend = await create();
    const ref = readReference();
    const { model, layout } = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    const initial = readFixtureTensors('model/model.safetensors');
    const torchGrads = readFixtureTensors('grads.mnrl.safetensors');
    // The fixture's own optimizer settings except decay: wd 10 makes lr·wd 1e-2, 100× the tolerance.
    const config: AdamWConfig = { lr: ref.adamw.lr, beta1: ref.adamw.betas[0], beta2: ref.adamw.betas[1], eps: ref.adamw.eps, weightDecay: 10, decayAllParameters: false, maxGradNorm: 1 };
    const trainer = new Trainer(model, { loss: { ...DEFAULT_LOSS, id: 'mnrl' }, optimizer: config, schedule: { kind: 'constant', warmupSteps: 0, totalSteps: 1 }, seed: 0 });
    const batch = { columns: [0, 1, 2].map((c) => ref.triplets.map((t) => t[c])) };
    const result = trainer.step(batch);
    expect(await result.applied).toBe(true);
    const got = await model.store.readParams();
    backend.endStep();
    // torch's clip_grad_norm_ over every gradient, then AdamW's first step: u = lr·c·g / (c·|g| + eps).
    const gNorm = norm64([...torchGrads.values()].map(norm64));
    const clip = Math.min(1, config.maxGradNorm / (gNorm + 1e-6));
    for (const e of layout.entries) {
      const p0 = initial.get(e.name)!, g = torchGrads.get(e.name)!;
      const decay = hfDecays(e.name);
      const want = Float64Array.from(p0, (x, i) => closedForm(x, g[i], { lr: config.lr, wd: config.weightDecay, eps: config.eps, clip, steps: 1, decay }));
      // Floor 1e-3 as in reference-parity: the key biases start at 0 and move only by float noise.
      expect(flooredNormError(got.subarray(e.offset, e.offset + e.size), want, 1e-3), `${e.name} (${decay ? 'decayed' : 'not decayed'})`).toBeLessThan(1e-4);
    }
  });
});
