import { describe, expect, it } from 'vitest';
import { decimateMinMax } from './decimate.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('decimateMinMax', () => {
  it('returns short lines whole, as copies', () => {
    const x = range(10);
    const y = x.map((v) => v * 2);
    const out = decimateMinMax(x, y, 1000);
    expect(out).toEqual({ x, y });
    expect(out.x).not.toBe(x);
  });

  it('keeps at most maxPoints points, the first and the last, in x order', () => {
    const x = range(100_000);
    const y = x.map((v) => Math.sin(v / 500) + 1 / v);
    const out = decimateMinMax(x, y, 1000);
    expect(out.x.length).toBeLessThanOrEqual(1000);
    expect(out.x.length).toBeGreaterThan(900);
    expect(out.x[0]).toBe(1);
    expect(out.x.at(-1)).toBe(100_000);
    for (let i = 1; i < out.x.length; i++) expect(out.x[i]).toBeGreaterThan(out.x[i - 1]);
    for (let i = 0; i < out.x.length; i++) expect(out.y[i]).toBe(y[out.x[i] - 1]);
  });

  it('keeps a one-step spike and dip that a stride sample would drop', () => {
    const x = range(10_000);
    const y = x.map(() => 1);
    y[4321] = 50;
    y[7777] = -3;
    const out = decimateMinMax(x, y, 200);
    expect(Math.max(...out.y)).toBe(50);
    expect(Math.min(...out.y)).toBe(-3);
    expect(out.x).toContain(4322);
    expect(out.x).toContain(7778);
  });

  it('keeps the same overall extremes and ignores NaN when a bucket has finite values', () => {
    const x = range(5000);
    const y = x.map((v) => (v % 97 === 0 ? Number.NaN : Math.cos(v / 40) * v));
    const out = decimateMinMax(x, y, 300);
    const finite = y.filter((v) => !Number.isNaN(v));
    expect(Math.max(...out.y.filter((v) => !Number.isNaN(v)))).toBe(Math.max(...finite));
    expect(Math.min(...out.y.filter((v) => !Number.isNaN(v)))).toBe(Math.min(...finite));
  });

  it('cuts to the shorter of x and y', () => {
    expect(decimateMinMax([1, 2, 3], [5, 6], 10)).toEqual({ x: [1, 2], y: [5, 6] });
  });
});
