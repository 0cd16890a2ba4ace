import type { Backend } from '../../src/engine/backend.ts';
import { Graph, Var } from '../../src/engine/graph.ts';
import { SeededRandom } from '../../src/engine/rng.ts';

/**
 * Finite-difference gradient checks through the Graph API.
 *
 * The analytic gradient comes from one recorded forward + `Graph.backward`. The numeric gradient
 * perturbs one input element at a time by ±step, rebuilds the graph from scratch and evaluates a
 * scalar objective in float64 on the host. Tensors are f32, so x ± step is rounded to f32 and the
 * difference quotient divides by the step actually taken, not the nominal one.
 */

export interface GradInput {
  readonly name: string;
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** Parameter style: the Var starts with a zeroed gradient view into a flat buffer (ops accumulate into it). */
  readonly preset?: boolean;
}

/** Terminal loss Vars plus the host-side float64 value of Σ weight·loss they represent. */
export interface Objective {
  readonly losses: readonly Var[];
  readonly value: () => Promise<number>;
}

export type Build = (g: Graph, vars: readonly Var[]) => Objective;

export interface GradReport {
  readonly name: string;
  readonly analytic: Float64Array;
  readonly numeric: Float64Array;
  /** max |analytic − numeric| / max |numeric| */
  readonly error: number;
  /** max |numeric| */
  readonly scale: number;
}

export function randn(rng: SeededRandom, n: number, std = 1, mean = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rng.next(), 1e-12), v = rng.next();
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

export function relativeError(analytic: ArrayLike<number>, numeric: ArrayLike<number>, factor = 1): number {
  let diff = 0, scale = 0;
  for (let i = 0; i < numeric.length; i++) {
    diff = Math.max(diff, Math.abs(factor * analytic[i] - numeric[i]));
    scale = Math.max(scale, Math.abs(numeric[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

/**
 * Objective Σ_k weight_k · loss_k for terminal losses whose `value` is the unweighted loss (the
 * backend convention: loss is the plain mean, gradients are of weight·loss).
 */
export function lossObjective(g: Graph, losses: readonly Var[], weights?: readonly number[]): Objective {
  return {
    losses,
    value: async () => {
      let total = 0;
      for (let i = 0; i < losses.length; i++) total += (weights?.[i] ?? 1) * (await g.backend.read(losses[i].value))[0];
      return total;
    },
  };
}

/**
 * For non-loss ops: objective = Σ_k mean((out_k − t_k)²) with fixed random targets, so the
 * upstream gradient 2(out − t)/n is effectively random. The analytic side runs through the
 * meanSquaredError op; the numeric side recomputes the sum in float64 from the f32 outputs.
 */
export function mseObjective(g: Graph, outputs: readonly Var[], seed = 4242): Objective {
  const rng = new SeededRandom(seed);
  const targets = outputs.map((o) => randn(rng, o.value.size));
  const losses = outputs.map((o, k) => g.meanSquaredError(o, g.backend.fromFloat32(targets[k], o.shape), 1));
  return {
    losses,
    value: async () => {
      let total = 0;
      for (let k = 0; k < outputs.length; k++) {
        const out = await g.backend.read(outputs[k].value);
        let s = 0;
        for (let i = 0; i < out.length; i++) s += (out[i] - targets[k][i]) ** 2;
        total += s / out.length;
      }
      return total;
    },
  };
}

function makeVars(backend: Backend, inputs: readonly GradInput[], data: readonly Float32Array[], withGrad: boolean): Var[] {
  const total = inputs.reduce((s, inp) => s + (inp.preset ? inp.data.length : 0), 0);
  const flat = withGrad && total > 0 ? backend.zeros([total], 'f32', true) : null;
  let offset = 0;
  return inputs.map((inp, i) => {
    const value = backend.fromFloat32(data[i], inp.shape);
    let grad = null;
    if (flat && inp.preset) {
      grad = backend.view(flat, offset, inp.shape);
      offset += inp.data.length;
    }
    return new Var(value, grad);
  });
}

export async function gradcheck(
  backend: Backend,
  inputs: readonly GradInput[],
  build: Build,
  options: { step?: number } = {},
): Promise<GradReport[]> {
  const step = options.step ?? 1e-2;
  const base = inputs.map((inp) => inp.data);

  // Analytic.
  const g = new Graph(backend, true);
  const vars = makeVars(backend, inputs, base, true);
  const objective = build(g, vars);
  g.backward(objective.losses);
  const analytic: Float64Array[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const grad = vars[i].grad;
    analytic.push(grad ? Float64Array.from(await backend.read(grad)) : new Float64Array(inputs[i].data.length));
  }
  backend.endStep();

  // Numeric: central differences.
  const evaluate = async (data: Float32Array[]): Promise<number> => {
    const ge = new Graph(backend, true);
    const value = await build(ge, makeVars(backend, inputs, data, false)).value();
    backend.endStep();
    return value;
  };
  const reports: GradReport[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const numeric = new Float64Array(inputs[i].data.length);
    for (let j = 0; j < numeric.length; j++) {
      const x = inputs[i].data[j];
      const plus = Math.fround(x + step), minus = Math.fround(x - step);
      const perturbed = (v: number) => base.map((d, k) => (k === i ? Float32Array.from(d, (e, idx) => (idx === j ? v : e)) : d));
      const fPlus = await evaluate(perturbed(plus));
      const fMinus = await evaluate(perturbed(minus));
      numeric[j] = (fPlus - fMinus) / (plus - minus);
    }
    let scale = 0;
    for (const v of numeric) scale = Math.max(scale, Math.abs(v));
    reports.push({ name: inputs[i].name, analytic: analytic[i], numeric, error: relativeError(analytic[i], numeric), scale });
  }
  return reports;
}
