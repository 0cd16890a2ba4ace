import { UMAP } from 'umap-js';
import { SeededRandom } from '../engine/rng.ts';

export interface SharedProjection {
  /** [n, 2] for the first set of vectors (before). */
  readonly before: Float32Array;
  /** [n, 2] for the second set (after), in the same coordinate frame. */
  readonly after: Float32Array;
}

/**
 * Projects two embeddings of the same n texts (before and after fine-tuning) with one UMAP fit
 * over all 2n points, so both maps share a coordinate frame and a point's movement between
 * them means something. Seeded, so the same inputs give the same picture.
 */
export async function projectTogether(
  before: Float32Array,
  after: Float32Array,
  dimension: number,
  options: { seed?: number; neighbors?: number; onEpoch?: (epoch: number, total: number) => boolean | void } = {},
): Promise<SharedProjection> {
  if (before.length !== after.length) throw new Error('both embedding sets must hold the same texts');
  const n = before.length / dimension;
  const rows: number[][] = [];
  for (const set of [before, after]) for (let i = 0; i < n; i++) rows.push(Array.from(set.subarray(i * dimension, (i + 1) * dimension)));
  const rng = new SeededRandom(options.seed ?? 42);
  // umap-js picks 500 epochs below 10k points; stating it keeps progress honest.
  const epochs = rows.length > 10_000 ? 200 : 500;
  const umap = new UMAP({
    nComponents: 2,
    nEpochs: epochs,
    nNeighbors: Math.max(2, Math.min(options.neighbors ?? 15, rows.length - 1)),
    minDist: 0.1,
    random: () => rng.next(),
  });
  const coords = rows.length < 4
    ? rows.map((_, i) => [i, 0])
    : await umap.fitAsync(rows, (epoch) => options.onEpoch?.(epoch, epochs));
  const flat = (from: number) => Float32Array.from(coords.slice(from, from + n).flat());
  return { before: flat(0), after: flat(n) };
}
