/**
 * Finite-difference checks of every Graph op's backward on the CPU reference backend.
 *
 * Method (see test/support/gradcheck.ts): analytic gradients from Graph.backward; numeric gradients
 * from central differences (step h = 1e-2, the f32-rounded step actually taken) of a float64
 * host-side objective. Non-loss ops are closed with meanSquaredError against fixed random targets;
 * loss ops use Σ weight·loss read back from the backend.
 *
 * Tolerance: max|analytic − numeric| ≤ TOL · max|numeric| per input, TOL = 2e-3. Error budget:
 * truncation ≈ h²/6·|f'''| ~ 2e-5 relative for O(1) curvature, f32 roundoff of outputs/losses
 * ≈ ε_f32·|f|/h ~ 1e-5. The measured worst case over this file (DEBUG_GRADCHECK=1 prints every
 * error) is 1.6e-4 (MNRL at scale 20, the stiffest objective, checked with h = 3e-3; CoSENT at
 * scale 20 also uses 3e-3), so TOL leaves a >10× margin, while a gradient off by 10% gives an
 * error ≈ 0.1 ≫ TOL. Each check also asserts that 1.1 × analytic would fail, and the meta-tests
 * at the end run the same harness against deliberately broken backwards and require it to fail.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Tensor } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';
import { Graph, Var } from './graph.ts';
import { SeededRandom } from './rng.ts';
import { computeLoss, type LossConfig } from '../model/losses.ts';
import {
  type Build,
  type GradInput,
  type GradReport,
  gradcheck,
  lossObjective,
  mseObjective,
  randn,
  relativeError,
} from '../../test/support/gradcheck.ts';
import type { LossId } from '../shared/names.ts';

const TOL = 2e-3;
const WRONG_FACTOR = 1.1;

function input(name: string, data: Float32Array, shape: readonly number[], preset = false): GradInput {
  expect(data.length).toBe(shape.reduce((a, b) => a * b, 1));
  return { name, data, shape, preset };
}

function expectMatch(reports: readonly GradReport[], label: string, allowZero: readonly string[] = []): void {
  for (const r of reports) {
    if (process.env.DEBUG_GRADCHECK) console.log(`${label} ${r.name}: error ${r.error.toExponential(2)}, scale ${r.scale.toExponential(2)}`);
    const finite = [...r.analytic, ...r.numeric].every(Number.isFinite);
    expect(finite, `${label}/${r.name}: non-finite gradient`).toBe(true);
    if (allowZero.includes(r.name)) continue;
    expect(r.scale, `${label}/${r.name}: gradient is (numerically) zero, the check is vacuous`).toBeGreaterThan(1e-4);
    expect(r.error, `${label}/${r.name}: analytic vs numeric gradient`).toBeLessThanOrEqual(TOL);
    // The check can fail: a gradient 10% too large would exceed the tolerance.
    expect(relativeError(r.analytic, r.numeric, WRONG_FACTOR)).toBeGreaterThan(TOL);
  }
}

function expectZeroAt(report: GradReport, indices: readonly number[]): void {
  for (const i of indices) {
    // Math.abs: −0 counts as zero.
    expect(Math.abs(report.analytic[i]), `${report.name}[${i}] analytic`).toBe(0);
    expect(Math.abs(report.numeric[i]), `${report.name}[${i}] numeric`).toBe(0);
  }
}

function byName(reports: readonly GradReport[], name: string): GradReport {
  const r = reports.find((x) => x.name === name);
  if (!r) throw new Error(`no report ${name}`);
  return r;
}

async function check(inputs: readonly GradInput[], build: Build, options: { step?: number; backend?: Backend } = {}) {
  return gradcheck(options.backend ?? new CpuBackend(), inputs, build, options);
}

/** Output of a non-loss op closed by an MSE head. */
const mse = (g: Graph, ...outs: Var[]) => mseObjective(g, outs);

// ---- fixtures ---------------------------------------------------------------------------------

const ATT = { batch: 2, seqLength: 5, heads: 2 } as const;
const ATT_H = 6; // head dim 3
const KEY_MASK = Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 0, 0);

function attentionCase(): GradInput[] {
  const rng = new SeededRandom(11);
  return [input('qkv', randn(rng, ATT.batch * ATT.seqLength * 3 * ATT_H), [ATT.batch * ATT.seqLength, 3 * ATT_H])];
}
const attentionBuild: Build = (g, [qkv]) =>
  mse(g, g.attention(qkv, g.backend.fromFloat32(KEY_MASK, [ATT.batch, ATT.seqLength]), ATT));

function layerNormCase(): GradInput[] {
  const rng = new SeededRandom(7);
  return [
    input('x', randn(rng, 35, 1.5, 0.3), [5, 7]),
    input('gamma', randn(rng, 7, 0.3, 1), [7]),
    input('beta', randn(rng, 7, 0.5), [7]),
  ];
}
const layerNormBuild: Build = (g, [x, gamma, beta]) => mse(g, g.layerNorm(x, gamma, beta, 1e-5));

function geluCase(): GradInput[] {
  return [input('x', randn(new SeededRandom(5), 35, 1.5), [5, 7])];
}
const geluBuild: Build = (g, [x]) => mse(g, g.gelu(x));

const DROPOUT_P = 0.3, DROPOUT_SEED = 12345;
const dropoutBuild: Build = (g, [x]) => mse(g, g.dropout(x, DROPOUT_P, DROPOUT_SEED));

/** Triplet hinge values dist(a,p) − dist(a,n) + margin per row, on the first `dim` columns. */
function tripletHinges(a: Float32Array, p: Float32Array, n: Float32Array, B: number, H: number, dim: number, margin: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let sp = 0, sn = 0;
    for (let h = 0; h < dim; h++) {
      sp += (a[b * H + h] - p[b * H + h] + 1e-6) ** 2;
      sn += (a[b * H + h] - n[b * H + h] + 1e-6) ** 2;
    }
    out.push(Math.sqrt(sp) - Math.sqrt(sn) + margin);
  }
  return out;
}

/**
 * Data and a margin such that every hinge is ≥ GAP away from 0 at every dim (a ±h perturbation
 * moves a hinge by at most 2h = 0.02) and at least one triplet is active and one inactive.
 */
function tripletCase(B: number, H: number, dims: readonly number[]): { a: Float32Array; p: Float32Array; n: Float32Array; margin: number } {
  const GAP = 0.1;
  for (let seed = 1; seed < 200; seed++) {
    const rng = new SeededRandom(seed);
    const a = randn(rng, B * H), p = randn(rng, B * H), n = randn(rng, B * H);
    for (let m = 0.05; m < 3; m += 0.01) {
      const hinges = dims.flatMap((d) => tripletHinges(a, p, n, B, H, d, m));
      if (hinges.every((l) => Math.abs(l) > GAP) && hinges.some((l) => l > 0) && hinges.some((l) => l < 0)) {
        return { a, p, n, margin: m };
      }
    }
  }
  throw new Error('no triplet fixture found');
}

// ---- ops ----------------------------------------------------------------------------------------

describe('gradcheck: dense and elementwise ops', () => {
  it('linear (x, weight, bias), fresh gradients', async () => {
    const rng = new SeededRandom(1);
    const inputs = [input('x', randn(rng, 35), [5, 7]), input('weight', randn(rng, 21, 0.5), [3, 7]), input('bias', randn(rng, 3), [3])];
    expectMatch(await check(inputs, (g, [x, w, b]) => mse(g, g.linear(x, w, b))), 'linear');
  });

  it('linear with parameter-style preset gradients (accumulating into a flat buffer), no bias', async () => {
    const rng = new SeededRandom(2);
    const inputs = [
      input('x', randn(rng, 35), [5, 7]),
      input('weight', randn(rng, 21, 0.5), [3, 7], true),
      input('bias', randn(rng, 3), [3], true),
      input('weight2', randn(rng, 15, 0.5), [5, 3], true),
    ];
    // Two layers: the second has no bias; x feeds both branches (gradient accumulation on x).
    const build: Build = (g, [x, w, b, w2]) => {
      const h = g.linear(x, w, b);
      return mse(g, g.linear(h, w2, null), g.linear(x, w, null));
    };
    expectMatch(await check(inputs, build), 'linear-preset');
  });

  it('matmulTransposed', async () => {
    const rng = new SeededRandom(3);
    const inputs = [input('a', randn(rng, 15), [5, 3]), input('c', randn(rng, 21), [7, 3])];
    expectMatch(await check(inputs, (g, [a, c]) => mse(g, g.matmulTransposed(a, c))), 'matmulTransposed');
  });

  it('add, including a Var added to itself', async () => {
    const rng = new SeededRandom(4);
    const inputs = [input('x', randn(rng, 15), [5, 3]), input('y', randn(rng, 15), [5, 3])];
    const reports = await check(inputs, (g, [x, y]) => mse(g, g.add(g.add(x, y), x)));
    expectMatch(reports, 'add');
  });

  it('scale', async () => {
    const inputs = [input('x', randn(new SeededRandom(5), 15), [5, 3])];
    expectMatch(await check(inputs, (g, [x]) => mse(g, g.scale(x, -1.7))), 'scale');
  });

  it('rowDot, including rowDot(x, x)', async () => {
    const rng = new SeededRandom(6);
    const inputs = [input('x', randn(rng, 35), [5, 7]), input('y', randn(rng, 35), [5, 7])];
    expectMatch(await check(inputs, (g, [x, y]) => mse(g, g.rowDot(x, y), g.rowDot(x, x))), 'rowDot');
  });
});

describe('gradcheck: embeddings, normalisation, activations', () => {
  it('embedding table gradient with repeated ids; unused rows get exactly 0', async () => {
    const table = input('table', randn(new SeededRandom(8), 35), [7, 5]);
    const ids = Int32Array.of(3, 1, 3, 6, 0, 3, 1);
    const reports = await check([table], (g, [t]) => mse(g, g.embedding(t, ids)));
    expectMatch(reports, 'embedding');
    const unusedRows = [2, 4, 5];
    expectZeroAt(reports[0], unusedRows.flatMap((r) => [0, 1, 2, 3, 4].map((h) => r * 5 + h)));
  });

  it('layerNorm (x, gamma, beta)', async () => {
    expectMatch(await check(layerNormCase(), layerNormBuild), 'layerNorm');
  });

  it('gelu', async () => {
    expectMatch(await check(geluCase(), geluBuild), 'gelu');
  });

  it('dropout p=0.3 with a fixed seed: the mask is the same in every evaluation', async () => {
    const x = input('x', randn(new SeededRandom(9), 35), [5, 7]);
    const backend = new CpuBackend();
    // Forward is deterministic and actually drops something.
    const forward = () => new Graph(backend, true).dropout(new Var(backend.fromFloat32(x.data, x.shape)), DROPOUT_P, DROPOUT_SEED);
    const y1 = await backend.read(forward().value);
    const y2 = await backend.read(forward().value);
    expect(y2).toEqual(y1);
    const dropped = [...y1.keys()].filter((i) => y1[i] === 0);
    expect(dropped.length).toBeGreaterThan(3);
    expect(dropped.length).toBeLessThan(25);
    const reports = await check([x], dropoutBuild);
    expectMatch(reports, 'dropout');
    expectZeroAt(reports[0], dropped);
  });
});

describe('gradcheck: attention and pooling', () => {
  it('attention with a padded key mask (batch 2, heads 2, T 5); padded keys and values get exactly 0', async () => {
    const reports = await check(attentionCase(), attentionBuild);
    expectMatch(reports, 'attention');
    // Rows 8 and 9 (batch 1, t = 3, 4) are padding: their key and value columns get no gradient.
    const padded = [8, 9].flatMap((row) => Array.from({ length: 2 * ATT_H }, (_, c) => row * 3 * ATT_H + ATT_H + c));
    expectZeroAt(reports[0], padded);
    // Their queries still attend to the valid keys, so they do get a gradient.
    const paddedQueries = [8, 9].flatMap((row) => Array.from({ length: ATT_H }, (_, c) => row * 3 * ATT_H + c));
    expect(paddedQueries.some((i) => Math.abs(reports[0].numeric[i]) > 1e-4)).toBe(true);
  });

  it('attention with probability dropout (p 0.3, fixed seed): the mask is the same in every evaluation', async () => {
    const shape = { ...ATT, dropout: { p: 0.3, seed: 77 } };
    const build: Build = (g, [qkv]) => mse(g, g.attention(qkv, g.backend.fromFloat32(KEY_MASK, [ATT.batch, ATT.seqLength]), shape));
    expectMatch(await check(attentionCase(), build), 'attention with dropout');
  });

  it('weightedPool', async () => {
    const rng = new SeededRandom(12);
    const x = input('x', randn(rng, 30), [10, 3]);
    const w = Float32Array.from(randn(rng, 10), (v, i) => (i === 3 || i === 8 ? 0 : v));
    const reports = await check([x], (g, [xv]) => mse(g, g.weightedPool(xv, g.backend.fromFloat32(w, [2, 5]), 2, 5)));
    expectMatch(reports, 'weightedPool');
    expectZeroAt(reports[0], [9, 10, 11, 24, 25, 26]);
  });

  it('maxPool (no ties, masked tokens ignored even when larger)', async () => {
    const rng = new SeededRandom(13);
    const B = 2, T = 5, H = 3;
    const mask = Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
    const x = new Float32Array(B * T * H);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        // Distinct values ≥ 0.2 apart (well beyond the ±0.01 step), in random order per column.
        const order = rng.shuffle([0, 1, 2, 3, 4]);
        for (let t = 0; t < T; t++) x[(b * T + t) * H + h] = order[t] * 0.3 - 0.6 + 0.05 * (rng.next() - 0.5);
      }
    }
    for (const t of [3, 4]) for (let h = 0; h < H; h++) x[(T + t) * H + h] = 5; // masked, larger than everything
    const reports = await check([input('x', x, [B * T, H])], (g, [xv]) => mse(g, g.maxPool(xv, g.backend.fromFloat32(mask, [B, T]), B, T)));
    expectMatch(reports, 'maxPool');
    const r = reports[0];
    expectZeroAt(r, [3, 4].flatMap((t) => [0, 1, 2].map((h) => (T + t) * H + h)));
    // Exactly one nonzero per (batch, column): the argmax.
    expect([...r.analytic].filter((v) => v !== 0).length).toBe(B * H);
  });

  it('l2Normalize', async () => {
    const inputs = [input('x', randn(new SeededRandom(14), 35), [5, 7])];
    expectMatch(await check(inputs, (g, [x]) => mse(g, g.l2Normalize(x))), 'l2Normalize');
  });

  it('sliceColumns; dropped columns get exactly 0', async () => {
    const inputs = [input('x', randn(new SeededRandom(15), 35), [5, 7])];
    const reports = await check(inputs, (g, [x]) => mse(g, g.sliceColumns(x, 4)));
    expectMatch(reports, 'sliceColumns');
    expectZeroAt(reports[0], [0, 1, 2, 3, 4].flatMap((r) => [4, 5, 6].map((c) => r * 7 + c)));
  });

  it('splitRows; an unused part gets exactly 0', async () => {
    const inputs = [input('x', randn(new SeededRandom(16), 35), [7, 5])];
    const reports = await check(inputs, (g, [x]) => {
      const [p0, , p2] = g.splitRows(x, [2, 3, 2]);
      return mse(g, g.scale(p0, 1.3), p2);
    });
    expectMatch(reports, 'splitRows');
    expectZeroAt(reports[0], Array.from({ length: 15 }, (_, i) => 10 + i));
  });

  it('concatRows with a constant part in the middle', async () => {
    const rng = new SeededRandom(17);
    const inputs = [input('p0', randn(rng, 10), [2, 5]), input('p2', randn(rng, 15), [3, 5])];
    const constant = randn(rng, 5);
    const reports = await check(inputs, (g, [p0, p2]) => mse(g, g.concatRows([p0, g.constant(g.backend.fromFloat32(constant, [1, 5])), p2])));
    expectMatch(reports, 'concatRows');
  });

  it('splitRows → concatRows round trip', async () => {
    const inputs = [input('x', randn(new SeededRandom(18), 35), [7, 5])];
    const reports = await check(inputs, (g, [x]) => {
      const [a, b, c] = g.splitRows(x, [3, 1, 3]);
      return mse(g, g.concatRows([c, g.gelu(a), b]));
    });
    expectMatch(reports, 'split-concat');
  });
});

// ---- losses ---------------------------------------------------------------------------------------

describe('gradcheck: loss ops', () => {
  it('softmaxCrossEntropy (weight 0.7)', async () => {
    const logits = input('logits', randn(new SeededRandom(20), 35, 1.5), [5, 7]);
    const labels = Int32Array.of(0, 6, 3, 3, 2);
    const reports = await check([logits], (g, [z]) => lossObjective(g, [g.softmaxCrossEntropy(z, g.backend.fromInt32(labels, [5]), 0.7)], [0.7]));
    expectMatch(reports, 'softmaxCrossEntropy');
  });

  it('meanSquaredError (weight 0.7)', async () => {
    const rng = new SeededRandom(21);
    const pred = input('pred', randn(rng, 15), [5, 3]);
    const target = randn(rng, 15);
    const reports = await check([pred], (g, [p]) => lossObjective(g, [g.meanSquaredError(p, g.backend.fromFloat32(target, [5, 3]), 0.7)], [0.7]));
    expectMatch(reports, 'meanSquaredError');
  });

  it('cosentLoss with tied labels (weight 0.7)', async () => {
    const scores = input('scores', randn(new SeededRandom(22), 7, 1.5), [7]);
    const labels = Float32Array.of(0.2, 0.5, 0.5, 0.9, 0.2, 0.7, 0.5);
    const reports = await check([scores], (g, [s]) => lossObjective(g, [g.cosentLoss(s, g.backend.fromFloat32(labels, [7]), 0.7)], [0.7]));
    expectMatch(reports, 'cosentLoss');
  });

  it('tripletLoss with some triplets active and some not (weight 0.7)', async () => {
    const B = 7, H = 5;
    const { a, p, n, margin } = tripletCase(B, H, [H]);
    const hinges = tripletHinges(a, p, n, B, H, H, margin);
    expect(hinges.some((l) => l > 0) && hinges.some((l) => l < 0)).toBe(true);
    const inputs = [input('anchor', a, [B, H]), input('positive', p, [B, H]), input('negative', n, [B, H])];
    const reports = await check(inputs, (g, [av, pv, nv]) => lossObjective(g, [g.tripletLoss(av, pv, nv, margin, 0.7)], [0.7]));
    expectMatch(reports, 'tripletLoss');
    // Rows of inactive triplets get exactly zero gradient.
    const inactive = hinges.flatMap((l, b) => (l < 0 ? [0, 1, 2, 3, 4].map((h) => b * H + h) : []));
    for (const r of reports) expectZeroAt(r, inactive);
  });
});

describe('gradcheck: computeLoss', () => {
  const B = 5, D = 7;
  const MATRYOSHKA = { matryoshkaDims: [7, 5, 3], matryoshkaWeights: [1, 0.5, 0.25] };

  function columns(count: number, seed: number, data?: readonly Float32Array[]): GradInput[] {
    const rng = new SeededRandom(seed);
    return Array.from({ length: count }, (_, i) => input(`column${i}`, data?.[i] ?? randn(rng, B * D), [B, D]));
  }

  function lossBuild(config: LossConfig, labels?: Float32Array): Build {
    return (g, cols) => {
      const losses = computeLoss(g, config, { columns: cols, labels });
      const weights = config.matryoshkaDims.length ? config.matryoshkaDims.map((_, i) => config.matryoshkaWeights?.[i] ?? 1) : [1];
      expect(losses.length).toBe(weights.length);
      return lossObjective(g, losses, weights);
    };
  }

  const cases: { id: LossId; cols: number; labels?: Float32Array; step?: number }[] = [
    { id: 'mnrl', cols: 2, step: 3e-3 },
    { id: 'mnrl', cols: 3, step: 3e-3 },
    { id: 'cosine', cols: 2, labels: Float32Array.of(0.9, 0.1, 0.5, 0.3, 0.75) },
    { id: 'cosent', cols: 2, labels: Float32Array.of(1, 0, 2, 1, 0), step: 3e-3 },
  ];

  for (const matryoshka of [false, true]) {
    const suffix = matryoshka ? ' with Matryoshka dims [7, 5, 3]' : '';
    for (const c of cases) {
      it(`${c.id} (${c.cols} columns)${suffix}`, async () => {
        const config: LossConfig = {
          id: c.id,
          scale: 20,
          tripletMargin: 5,
          matryoshkaDims: matryoshka ? MATRYOSHKA.matryoshkaDims : [],
          matryoshkaWeights: matryoshka ? MATRYOSHKA.matryoshkaWeights : undefined,
        };
        const reports = await check(columns(c.cols, 30 + c.cols), lossBuild(config, c.labels), { step: c.step });
        expectMatch(reports, `computeLoss ${c.id}${suffix}`);
      });
    }

    it(`triplet${suffix}`, async () => {
      const dims = matryoshka ? MATRYOSHKA.matryoshkaDims : [D];
      const { a, p, n, margin } = tripletCase(B, D, dims);
      const config: LossConfig = {
        id: 'triplet',
        scale: 20,
        tripletMargin: margin,
        matryoshkaDims: matryoshka ? MATRYOSHKA.matryoshkaDims : [],
        matryoshkaWeights: matryoshka ? MATRYOSHKA.matryoshkaWeights : undefined,
      };
      const reports = await check(columns(3, 0, [a, p, n]), lossBuild(config));
      expectMatch(reports, `computeLoss triplet${suffix}`);
    });
  }
});

// ---- meta: the harness catches broken backwards ------------------------------------------------

/** CPU backend with one backward replaced. */
function broken(patch: (b: CpuBackend) => void): CpuBackend {
  const b = new CpuBackend();
  patch(b);
  return b;
}

function scaled(b: Backend, t: Tensor, f: number): Tensor {
  return b.scale(t, f);
}

describe('gradcheck meta: deliberately wrong backwards fail the tolerance', () => {
  const worst = (reports: readonly GradReport[]) => {
    const e = Math.max(...reports.map((r) => r.error));
    if (process.env.DEBUG_GRADCHECK) console.log(`meta worst error ${e.toExponential(2)}`);
    return e;
  };

  it('gelu backward scaled by 1.1', async () => {
    const backend = broken((b) => {
      const orig = b.geluBackward.bind(b);
      b.geluBackward = (dy, x) => scaled(b, orig(dy, x), 1.1);
    });
    expect(worst(await check(geluCase(), geluBuild, { backend }))).toBeGreaterThan(TOL);
  });

  it('layerNorm backward missing the x̂·mean(dn·x̂) term', async () => {
    const backend = broken((b) => {
      b.layerNormBackward = (dy, x, gamma, mean, rstd, dGamma, dBeta) => {
        // dx = rstd · (dn − mean(dn)) only.
        const ref = new CpuBackend();
        const dx = ref.layerNormBackward(dy, x, gamma, mean, rstd, dGamma, dBeta);
        const [M, H] = x.shape;
        const d = (dy as unknown as { data: Float32Array }).data, g = (gamma as unknown as { data: Float32Array }).data;
        const r = (rstd as unknown as { data: Float32Array }).data, out = (dx as unknown as { data: Float32Array }).data;
        for (let m = 0; m < M; m++) {
          let s = 0;
          for (let h = 0; h < H; h++) s += d[m * H + h] * g[h];
          for (let h = 0; h < H; h++) out[m * H + h] = r[m] * (d[m * H + h] * g[h] - s / H);
        }
        return dx;
      };
    });
    const reports = await check(layerNormCase(), layerNormBuild, { backend });
    expect(worst([byName(reports, 'x')])).toBeGreaterThan(TOL);
    // The parameter gradients do not depend on the dropped term and still pass.
    expect(byName(reports, 'gamma').error).toBeLessThanOrEqual(TOL);
  });

  it('attention backward without the 1/√d score scale', async () => {
    const backend = broken((b) => {
      const orig = b.attentionBackward.bind(b);
      // Recompute with heads = 1 would change d; instead scale the q/k part by √3 (missing scale).
      b.attentionBackward = (dOut, qkv, probs, shape) => {
        const dq = orig(dOut, qkv, probs, shape);
        const data = (dq as unknown as { data: Float32Array }).data;
        const cols = qkv.shape[1], H = cols / 3;
        for (let row = 0; row < qkv.shape[0]; row++) for (let c = 0; c < 2 * H; c++) data[row * cols + c] *= Math.sqrt(H / shape.heads);
        return dq;
      };
    });
    expect(worst(await check(attentionCase(), attentionBuild, { backend }))).toBeGreaterThan(TOL);
  });

  it('dropout backward regenerating the mask from the wrong seed', async () => {
    const backend = broken((b) => {
      const orig = b.dropoutBackward.bind(b);
      // The CPU forward calls dropoutBackward (dropout is masked scaling); keep it on the right seed.
      b.dropout = (x, p, seed) => orig(x, p, seed);
      b.dropoutBackward = (dy, p, seed) => orig(dy, p, seed + 1);
    });
    const x = input('x', randn(new SeededRandom(9), 35), [5, 7]);
    expect(worst(await check([x], dropoutBuild, { backend }))).toBeGreaterThan(TOL);
  });

  it('a uniform 1.1× error is always beyond the tolerance', () => {
    const numeric = Float64Array.of(0.3, -0.2, 0.05);
    expect(relativeError(numeric, numeric)).toBe(0);
    expect(relativeError(numeric, numeric, WRONG_FACTOR)).toBeGreaterThan(TOL);
  });
});
