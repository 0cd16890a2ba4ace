/**
 * Three 2-D maps of embeddings behind one call: UMAP (umap-js), t-SNE and PCA (druidjs). Each
 * fits once over the before and after vectors together, so both maps share a frame and a point's
 * movement between them means something. Seeded: the same inputs draw the same picture.
 *
 * druidjs was chosen for t-SNE and PCA after comparing candidates on a known clustered set (see
 * notes/map-libraries.md): its t-SNE kept the clusters apart as well as @keckelt/tsne and
 * tsne-js (same 5-NN accuracy and silhouette) at a fifth to a tenth of their time, takes a seed,
 * and its PCA matches ml-pca and pca-js to the digit.
 */
import { PCA, TSNE } from '@saehrimnir/druidjs';
import { projectTogether, type SharedProjection } from './projection.ts';
import type { MapMethod } from '../shared/names.ts';
export { MAP_LABELS, MAP_METHODS, type MapMethod } from '../shared/names.ts';

/**
 * Points per map (texts; each is drawn before and after). Exact t-SNE costs n² per iteration,
 * so it gets fewer: 600 texts (1200 points) take a few seconds, 1500 would take half a minute.
 */
export const MAP_MAX_TEXTS: Readonly<Record<MapMethod, number>> = { umap: 1500, tsne: 600, pca: 5000 };

const TSNE_ITERATIONS = 500;

export interface MapOptions {
  readonly seed?: number;
  /** Called as the fit goes; return false to stop it (the result is then not drawn). */
  readonly onProgress?: (done: number, total: number) => boolean | void;
}

/** Both sets as rows of one matrix: before first, then after. */
function stacked(before: Float32Array, after: Float32Array, dimension: number): Float64Array[] {
  const n = before.length / dimension;
  const rows: Float64Array[] = [];
  for (const set of [before, after]) for (let i = 0; i < n; i++) rows.push(Float64Array.from(set.subarray(i * dimension, (i + 1) * dimension)));
  return rows;
}

function split(coords: ArrayLike<ArrayLike<number>>, n: number): SharedProjection {
  const flat = (from: number) => {
    const out = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      out[2 * i] = coords[from + i][0];
      out[2 * i + 1] = coords[from + i][1];
    }
    return out;
  };
  return { before: flat(0), after: flat(n) };
}

export class MapCancelled extends Error {
  constructor() {
    super('the map was cancelled');
    this.name = 'AbortError';
  }
}

/** A turn of the event loop, so a cancel message reaches the worker during a long fit. */
const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function mapTogether(method: MapMethod, before: Float32Array, after: Float32Array, dimension: number, options: MapOptions = {}): Promise<SharedProjection> {
  if (before.length !== after.length) throw new Error('both embedding sets must hold the same texts');
  const n = before.length / dimension;
  const seed = options.seed ?? 42;
  if (method === 'umap') {
    let stopped = false;
    const result = await projectTogether(before, after, dimension, {
      seed,
      onEpoch: (epoch, total) => {
        stopped = options.onProgress?.(epoch, total) === false;
        return !stopped;
      },
    });
    if (stopped) throw new MapCancelled();
    return result;
  }
  // Too few points to fit anything: lay them on a line, as projectTogether does.
  if (2 * n < 4) return split(Array.from({ length: 2 * n }, (_, i) => [i, 0]), n);
  const rows = stacked(before, after, dimension);
  if (method === 'pca') {
    options.onProgress?.(0, 1);
    const coords = PCA.transform(rows, { d: 2, seed });
    options.onProgress?.(1, 1);
    return split(coords, n);
  }
  // Perplexity must stay below the number of points (van der Maaten's rule of thumb: n/3).
  const perplexity = Math.max(2, Math.min(30, Math.floor((rows.length - 1) / 3)));
  const tsne = new TSNE(rows, { d: 2, perplexity, epsilon: 10, seed });
  let coords: ArrayLike<ArrayLike<number>> = rows;
  let iteration = 0;
  for (const step of tsne.generator(TSNE_ITERATIONS)) {
    coords = step;
    iteration++;
    if (iteration % 25 === 0) {
      if (options.onProgress?.(iteration, TSNE_ITERATIONS) === false) throw new MapCancelled();
      await turn();
    }
  }
  return split(coords, n);
}
