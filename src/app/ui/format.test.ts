import { describe, expect, it } from 'vitest';
import { createSequencer } from './debounce.ts';
import { deltaDirection, formatCount, formatDelta, formatMetric } from './format.ts';

describe('format', () => {
  it('formats parameter counts', () => {
    expect(formatCount(22_713_216)).toBe('22.7 M');
    expect(formatCount(109_482_240)).toBe('109 M');
    expect(formatCount(1234)).toBe('1.2 k');
    expect(formatCount(999)).toBe('999');
  });
  it('formats metrics and deltas', () => {
    expect(formatMetric(0.12345)).toBe('0.123');
    expect(formatMetric(null)).toBe('—');
    expect(formatDelta(0.0421)).toBe('+0.042');
    expect(formatDelta(-0.013)).toBe('−0.013');
    expect(formatDelta(0.0001)).toBe('±0.000');
    expect(deltaDirection(0.0001)).toBe('same');
    expect(deltaDirection(-0.002)).toBe('down');
  });
  it('rounds a delta to the places the metric is shown with (the run summary shows 4)', () => {
    expect(formatDelta(0.00004, 4)).toBe('±0.0000');
    expect(formatDelta(-0.00004, 4)).toBe('±0.0000');
    expect(formatDelta(0.01526, 4)).toBe('+0.0153');
    expect(formatDelta(-0.0002, 4)).toBe('−0.0002');
    expect(deltaDirection(-0.00004, 4)).toBe('same');
    expect(deltaDirection(0.0002, 4)).toBe('up');
  });
});

describe('createSequencer', () => {
  it('lets only the newest ticket publish', () => {
    const s = createSequencer();
    const a = s.next();
    const b = s.next();
    expect(s.isCurrent(a)).toBe(false);
    expect(s.isCurrent(b)).toBe(true);
    s.cancel();
    expect(s.isCurrent(b)).toBe(false);
  });
});
