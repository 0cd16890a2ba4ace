import type { ParamLayout } from '../engine/params.ts';
import { SeededRandom } from '../engine/rng.ts';

/**
 * BERT's initialisation (transformers' _init_weights): weights and embeddings ~ N(0, 0.02),
 * biases 0, LayerNorm weights 1. Used for the built-in offline model and for benchmarks.
 */
export function randomBertWeights(layout: ParamLayout, seed: number, std = 0.02): Float32Array {
  const rng = new SeededRandom(seed);
  const values = new Float32Array(layout.totalSize);
  const gaussian = () => {
    // Box–Muller; 1 - u keeps the log argument in (0, 1].
    const u = 1 - rng.next(), v = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  for (const e of layout.entries) {
    const isLayerNormWeight = /LayerNorm\.weight$/.test(e.name);
    const isBias = /\.bias$/.test(e.name);
    for (let i = 0; i < e.size; i++) {
      values[e.offset + i] = isLayerNormWeight ? 1 : isBias ? 0 : std * gaussian();
    }
  }
  return values;
}
