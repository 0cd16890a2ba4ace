import { describe, expect, it } from 'vitest';
import { embeddingsJsonl, embeddingsNpy, float32ToString, parseNpyHeader } from './embeddings-export.ts';

const data = Float32Array.from([0.1, -2.5, 3.4028234663852886e38, 1e-8, 0, -0.333333343267]);

describe('embeddings export', () => {
  it('writes JSON Lines whose numbers read back to the same float32 values', () => {
    const text = embeddingsJsonl(['a "quoted"\ntext', '中文'], data, 3);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const rows = lines.map((l) => JSON.parse(l) as { text: string; embedding: number[] });
    expect(rows.map((r) => r.text)).toEqual(['a "quoted"\ntext', '中文']);
    expect(Float32Array.from(rows.flatMap((r) => r.embedding))).toEqual(data);
    expect(float32ToString(Math.fround(0.1))).toBe('0.1');
  });

  it('rejects a shape that does not fit and non-finite values', () => {
    expect(() => embeddingsJsonl(['a'], data, 3)).toThrow(/rows/);
    expect(() => embeddingsJsonl(['a'], Float32Array.of(NaN), 1)).toThrow(/JSON/);
  });

  it('writes NPY 1.0 with a <f4, C-order (n, d) header and 64-byte aligned data', () => {
    const bytes = embeddingsNpy(data, 2, 3);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const header = parseNpyHeader(bytes);
    expect(header).toEqual({ descr: '<f4', fortranOrder: false, shape: [2, 3], dataOffset: 128 });
    expect(new TextDecoder().decode(bytes.subarray(10, header.dataOffset)).endsWith('\n')).toBe(true);
    expect(bytes.length).toBe(header.dataOffset + data.length * 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset);
    expect(Float32Array.from({ length: 6 }, (_, i) => view.getFloat32(i * 4, true))).toEqual(data);
  });

  it('keeps the alignment for any shape', () => {
    for (const [n, d] of [[0, 1], [1, 384], [123456, 7], [7, 123456]]) {
      const header = parseNpyHeader(embeddingsNpy(new Float32Array(n * d), n, d).subarray(0, 256));
      expect(header.shape).toEqual([n, d]);
      expect(header.dataOffset % 64).toBe(0);
    }
  });
});
