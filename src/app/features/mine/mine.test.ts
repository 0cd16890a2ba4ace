import { describe, expect, it } from 'vitest';
import { DEFAULT_MINE_FORM, parseMineForm } from './mine-form.ts';
import { mineKeyAction, scrollToRow } from './mine-keys.ts';

describe('mining form', () => {
  it('turns the defaults into sentence-transformers options', () => {
    const { options } = parseMineForm(DEFAULT_MINE_FORM);
    expect(options).toMatchObject({ rangeMin: 0, rangeMax: 50, margin: null, relativeMargin: null, numNegatives: 3, samplingStrategy: 'top' });
  });
  it('reads empty as None and numbers as numbers', () => {
    const { options } = parseMineForm({ ...DEFAULT_MINE_FORM, rangeMax: '', margin: '0.1', relativeMargin: '0.05', rangeMin: '5' });
    expect(options).toMatchObject({ rangeMin: 5, rangeMax: null, margin: 0.1, relativeMargin: 0.05 });
  });
  it('names each wrong field', () => {
    const { options, errors } = parseMineForm({ ...DEFAULT_MINE_FORM, rangeMin: '10', rangeMax: '5', numNegatives: '0', relativeMargin: '1', margin: 'x' });
    expect(options).toBeNull();
    expect(errors.rangeMax).toMatch(/above range_min/);
    expect(errors.numNegatives).toMatch(/≥ 1/);
    expect(errors.relativeMargin).toMatch(/not including/);
    expect(errors.margin).toMatch(/a number/);
  });
});

describe('mining table keys', () => {
  it('moves with j/k and arrows, clamped, and rejects with x', () => {
    expect(mineKeyAction('j', 0, 3)).toEqual({ type: 'move', to: 1 });
    expect(mineKeyAction('j', 2, 3)).toEqual({ type: 'move', to: 2 });
    expect(mineKeyAction('k', 0, 3)).toEqual({ type: 'move', to: 0 });
    expect(mineKeyAction('ArrowUp', 2, 3)).toEqual({ type: 'move', to: 1 });
    expect(mineKeyAction('End', 0, 3)).toEqual({ type: 'move', to: 2 });
    expect(mineKeyAction('x', 1, 3)).toEqual({ type: 'toggle', row: 1 });
    expect(mineKeyAction('q', 1, 3)).toBeNull();
    expect(mineKeyAction('j', 0, 0)).toBeNull();
  });
  it('scrolls just enough to keep the cursor row in view', () => {
    expect(scrollToRow(0, 100, 300, 30)).toBe(0);
    expect(scrollToRow(20, 0, 300, 30)).toBe(330);
    expect(scrollToRow(5, 0, 300, 30)).toBe(0);
  });
});
