import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../engine/rng.ts';
import { projectTogether } from './projection.ts';

function clusters(n: number, dim: number, spread: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) out[i * dim + d] = (d === i % 3 ? 5 : 0) + spread * (rng.next() - 0.5);
  return out;
}

describe('shared UMAP projection', () => {
  it('is deterministic and keeps clusters apart in both states', async () => {
    const before = clusters(30, 8, 6, 1); // blurry clusters
    const after = clusters(30, 8, 0.5, 1); // tight clusters
    const a = await projectTogether(before, after, 8, { seed: 3 });
    const b = await projectTogether(before, after, 8, { seed: 3 });
    expect(Array.from(a.after)).toEqual(Array.from(b.after));
    expect(a.before).toHaveLength(60);
    // After: points of one cluster are closer to each other than to another cluster's.
    const p = (i: number) => [a.after[2 * i], a.after[2 * i + 1]];
    const dist = (i: number, j: number) => Math.hypot(p(i)[0] - p(j)[0], p(i)[1] - p(j)[1]);
    let within = 0, across = 0;
    for (let i = 0; i < 30; i++) for (let j = i + 1; j < 30; j++) (i % 3 === j % 3 ? (within += dist(i, j)) : (across += dist(i, j)));
    expect(within / 135).toBeLessThan(across / 300);
  });
});
