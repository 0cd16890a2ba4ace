import type { Data } from 'plotly.js-basic-dist-min';
import { describe, expect, it } from 'vitest';
import { liveLayout, sameFigure, withGaps } from './live-figure.ts';

describe('liveLayout', () => {
  it('adds a transition that does not animate and keeps the rest', () => {
    const layout = liveLayout({ height: 240, title: { text: 'Loss' } });
    expect(layout.transition).toEqual({ duration: 0, easing: 'linear', ordering: 'layout first' });
    expect(layout.height).toBe(240);
    expect(layout.title).toEqual({ text: 'Loss' });
  });
});

describe('withGaps', () => {
  it('gives a trace without points one null point and leaves the others as they are', () => {
    const full: Data = { type: 'scatter', name: 'a', x: [1, 2], y: [3, 4] };
    const empty: Data = { type: 'scatter', name: 'b', x: [], y: [], line: { width: 2 } };
    const out = withGaps([full, empty]);
    expect(out[0]).toBe(full);
    expect(out[1]).toEqual({ type: 'scatter', name: 'b', x: [null], y: [null], line: { width: 2 } });
    expect(empty.x).toEqual([]);
  });
});

describe('sameFigure', () => {
  it('compares figures by value', () => {
    const a = { data: [{ x: [1, 2], y: [0.5, Number.NaN], name: 'loss' }], layout: { xaxis: { range: [0, 10] } } };
    const b = { data: [{ x: [1, 2], y: [0.5, Number.NaN], name: 'loss' }], layout: { xaxis: { range: [0, 10] } } };
    expect(sameFigure(a, b)).toBe(true);
    expect(sameFigure(a, { ...b, data: [{ ...b.data[0], x: [1, 2, 3] }] })).toBe(false);
    expect(sameFigure(a, { ...b, layout: { xaxis: { range: [0, 11] } } })).toBe(false);
    expect(sameFigure(a, { ...b, layout: { xaxis: { range: [0, 10] }, height: 240 } })).toBe(false);
    expect(sameFigure({ a: undefined }, { b: undefined })).toBe(false);
    expect(sameFigure([1], { 0: 1 })).toBe(false);
    expect(sameFigure(null, {})).toBe(false);
    expect(sameFigure('0', 0)).toBe(false);
  });
});
