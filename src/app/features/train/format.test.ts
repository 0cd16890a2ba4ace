import { describe, expect, it } from 'vitest';
import { formatEta, formatLearningRate, formatRank, formatRate } from './format.ts';

describe('formatEta', () => {
  it('shows seconds, minutes and hours with padded parts', () => {
    expect(formatEta(0)).toBe('0s');
    expect(formatEta(12.4)).toBe('12s');
    expect(formatEta(59.6)).toBe('1m 00s');
    expect(formatEta(185)).toBe('3m 05s');
    expect(formatEta(3600 + 120)).toBe('1h 02m');
    expect(formatEta(30 * 3600)).toBe('30h 00m');
  });
  it('says — for unknown, infinite or negative estimates', () => {
    expect(formatEta(null)).toBe('—');
    expect(formatEta(undefined)).toBe('—');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatEta(Number.NaN)).toBe('—');
    expect(formatEta(-3)).toBe('—');
  });
});

describe('other formats', () => {
  it('formats throughput with precision by size', () => {
    expect(formatRate(0)).toBe('—');
    expect(formatRate(0.4213)).toBe('0.42');
    expect(formatRate(8.34)).toBe('8.3');
    expect(formatRate(153.4)).toBe('153');
  });
  it('writes learning rates the way people type them', () => {
    expect(formatLearningRate(5e-5)).toBe('5e-5');
    expect(formatLearningRate(1.5e-4)).toBe('1.5e-4');
    expect(formatLearningRate(0.001)).toBe('0.001');
    expect(formatLearningRate(0)).toBe('0');
  });
  it('prints missing ranks as >100', () => {
    expect(formatRank(null)).toBe('>100');
    expect(formatRank(3)).toBe('3');
  });
});
