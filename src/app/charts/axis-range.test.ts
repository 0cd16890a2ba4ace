import { describe, expect, it } from 'vitest';
import { niceCeiling, stableRange } from './axis-range.ts';

describe('niceCeiling', () => {
  it('rounds up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × a power of ten', () => {
    expect(niceCeiling(2.77)).toBe(3);
    expect(niceCeiling(3)).toBe(3);
    expect(niceCeiling(3.01)).toBe(4);
    expect(niceCeiling(0.31)).toBe(0.4);
    expect(niceCeiling(0.3)).toBe(0.3);
    expect(niceCeiling(9.5)).toBe(10);
    expect(niceCeiling(11)).toBe(12);
    expect(niceCeiling(0.00071)).toBe(0.0008);
    expect(niceCeiling(1234)).toBe(1500);
  });
});

describe('stableRange', () => {
  it('spans zero to a round number above the data, [0, 1] without data', () => {
    expect(stableRange([])).toEqual([0, 1]);
    expect(stableRange([2.77, 2.1, 1.4])).toEqual([0, 3]);
    expect(stableRange([Number.NaN, 0.5])).toEqual([0, 0.6]);
  });

  it('stays put while a decreasing curve grows, and moves only past the next round number', () => {
    const losses = [2.9];
    const first = stableRange(losses);
    for (let i = 1; i < 500; i++) {
      losses.push(2.9 / (1 + i / 50) + (i % 7) * 0.01);
      expect(stableRange(losses)).toEqual(first);
    }
    losses.push(3.5);
    expect(stableRange(losses)).toEqual([0, 4]);
  });

  it('reaches below zero for negative values', () => {
    expect(stableRange([-0.5, 1])).toEqual([-0.6, 1.2]);
    expect(stableRange([-2, -1])).toEqual([-2.5, 0]);
  });
});
