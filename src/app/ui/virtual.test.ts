import { describe, expect, it } from 'vitest';
import { pagesFor, visibleRows } from './virtual.ts';

describe('visibleRows', () => {
  it('covers the viewport plus overscan at the top', () => {
    expect(visibleRows(0, 300, 30, 1000, 5)).toEqual({ start: 0, end: 15 });
  });
  it('covers the viewport plus overscan in the middle', () => {
    // rows 100..110 are visible (3000/30 = 100, 3300/30 = 110)
    expect(visibleRows(3000, 300, 30, 1000, 5)).toEqual({ start: 95, end: 115 });
  });
  it('clamps at the end', () => {
    expect(visibleRows(29_900, 300, 30, 1000, 5)).toEqual({ start: 991, end: 1000 });
  });
  it('handles a partly scrolled row', () => {
    expect(visibleRows(45, 60, 30, 10, 0)).toEqual({ start: 1, end: 4 });
  });
  it('is empty for no rows and safe for a scroll past the end', () => {
    expect(visibleRows(0, 300, 30, 0)).toEqual({ start: 0, end: 0 });
    const w = visibleRows(1e9, 300, 30, 20, 2);
    expect(w.start).toBeLessThanOrEqual(w.end);
    expect(w.end).toBe(20);
  });
});

describe('pagesFor', () => {
  it('lists every page that the window touches', () => {
    expect(pagesFor({ start: 45, end: 115 }, 50)).toEqual([0, 1, 2]);
    expect(pagesFor({ start: 50, end: 100 }, 50)).toEqual([1]);
    expect(pagesFor({ start: 0, end: 0 }, 50)).toEqual([]);
  });
});
