import { describe, expect, it } from 'vitest';
import { formatBytes, sortFiles } from './export-store.ts';

describe('export helpers', () => {
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(90.4 * 1024 ** 2)).toBe('90.4 MB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.00 GB');
  });
  it('lists top-level files before folders', () => {
    expect(sortFiles(['onnx/model.onnx', 'modules.json', '1_Pooling/config.json', 'config.json'])).toEqual([
      'config.json', 'modules.json', '1_Pooling/config.json', 'onnx/model.onnx',
    ]);
  });
});
