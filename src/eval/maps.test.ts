import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../engine/rng.ts';
import { MAP_METHODS, mapTogether } from './maps.ts';

/** k clusters of `per` points in D dimensions: Gaussian around centres spread apart. */
function clusters(k: number, per: number, D: number, seed: number) {
  const rng = new SeededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
  const data = new Float32Array(k * per * D);
  const label: number[] = [];
  for (let c = 0; c < k; c++) {
    const centre = Array.from({ length: D }, () => gauss() * 4);
    for (let i = 0; i < per; i++) {
      const row = c * per + i;
      for (let d = 0; d < D; d++) data[row * D + d] = centre[d] + gauss();
      label.push(c);
    }
  }
  return { data, label };
}

/** Leave-one-out 5-nearest-neighbour accuracy of the labels in the 2-D map. */
function knnAccuracy(xy: Float32Array, label: readonly number[]): number {
  let right = 0;
  for (let i = 0; i < label.length; i++) {
    const near = label
      .map((l, j) => ({ l, d: j === i ? Infinity : (xy[2 * i] - xy[2 * j]) ** 2 + (xy[2 * i + 1] - xy[2 * j + 1]) ** 2 }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 5);
    const votes = new Map<number, number>();
    for (const { l } of near) votes.set(l, (votes.get(l) ?? 0) + 1);
    const best = [...votes].sort((a, b) => b[1] - a[1])[0][0];
    if (best === label[i]) right++;
  }
  return right / label.length;
}

describe('mapTogether', () => {
  const before = clusters(4, 25, 32, 1);
  const after = clusters(4, 25, 32, 2);
  for (const method of MAP_METHODS) {
    it(`${method} keeps known clusters apart in both maps`, async () => {
      const progress: number[] = [];
      const map = await mapTogether(method, before.data, after.data, 32, { onProgress: (done) => void progress.push(done) });
      expect(map.before).toHaveLength(200);
      expect(map.after).toHaveLength(200);
      expect(knnAccuracy(map.before, before.label)).toBeGreaterThanOrEqual(0.95);
      expect(knnAccuracy(map.after, after.label)).toBeGreaterThanOrEqual(0.95);
      expect(progress.length).toBeGreaterThan(0);
      for (const v of [...map.before, ...map.after]) expect(Number.isFinite(v)).toBe(true);
    }, 60_000);
  }
  it('draws identical vectors at identical places (one shared frame)', async () => {
    for (const method of ['pca', 'tsne'] as const) {
      const map = await mapTogether(method, before.data, before.data, 32);
      for (let i = 0; i < map.before.length; i++) expect(map.after[i]).toBeCloseTo(map.before[i], 1);
    }
  }, 60_000);
  it('is seeded: the same inputs draw the same t-SNE map', async () => {
    const a = await mapTogether('tsne', before.data, after.data, 32, { seed: 3 });
    const b = await mapTogether('tsne', before.data, after.data, 32, { seed: 3 });
    expect(Array.from(a.before)).toEqual(Array.from(b.before));
  }, 60_000);
  it('stops when progress says so', async () => {
    await expect(mapTogether('tsne', before.data, after.data, 32, { onProgress: () => false })).rejects.toThrow(/cancelled/);
  });
  it('lays one text on a line instead of failing', async () => {
    const map = await mapTogether('tsne', Float32Array.from([1, 0]), Float32Array.from([0, 1]), 2);
    expect(Array.from(map.before)).toEqual([0, 0]);
  });
});
