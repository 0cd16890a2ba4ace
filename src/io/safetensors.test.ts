import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, haveFixtures } from '../../test/support/fixtures.ts';
import { halfToFloat, parseSafetensors, writeSafetensors, MAX_HEADER_BYTES } from './safetensors.ts';

const MODEL_FILE = path.join(FIXTURES_DIR, 'tiny-bert/model/model.safetensors');
// Skips with a message, or fails under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1.
const HAVE_FIXTURES = haveFixtures(MODEL_FILE, 'the safetensors tests on the tiny-bert weights');

/** Assemble a file from a header (object or raw text) and a data section, without validation. */
function rawFile(header: object | string, data: Uint8Array = new Uint8Array(0), lenOverride?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lenOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function u16bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint16(i * 2, v, true));
  return out;
}

describe('writeSafetensors / parseSafetensors round trip', () => {
  it('preserves names, shapes, values and metadata, with tensors sorted by name', () => {
    const a = Float32Array.from([1, -2.5, 3e-30, Infinity, -0, 7]);
    const b = Float32Array.from([0.1]);
    const empty = new Float32Array(0);
    const bytes = writeSafetensors(
      [
        { name: 'z.weight', shape: [2, 3], data: a },
        { name: 'a.bias', shape: [1], data: b },
        { name: 'm.empty', shape: [0, 4], data: empty },
      ],
      { format: 'pt' },
    );
    const file = parseSafetensors(bytes, 'roundtrip.safetensors');
    expect(file.metadata).toEqual({ format: 'pt' });
    expect([...file.tensors.keys()]).toEqual(['a.bias', 'm.empty', 'z.weight']);
    const z = file.tensors.get('z.weight')!;
    expect(z.dtype).toBe('F32');
    expect(z.shape).toEqual([2, 3]);
    expect(Array.from(z.data)).toEqual(Array.from(a));
    expect(Object.is(z.data[4], -0)).toBe(true);
    expect(file.tensors.get('a.bias')!.data[0]).toBe(Math.fround(0.1));
    expect(file.tensors.get('m.empty')!.shape).toEqual([0, 4]);

    // Header layout as the Python library writes it: 8-byte aligned, space padded, data offsets
    // following sorted name order.
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLen));
    expect(headerText.startsWith('{"__metadata__":{"format":"pt"},"a.bias":')).toBe(true);
    expect(/^[^ ]*} *$/.test(headerText)).toBe(true);
    const header = JSON.parse(headerText) as Record<string, { data_offsets: number[] }>;
    expect(header['a.bias'].data_offsets).toEqual([0, 4]);
    expect(header['m.empty'].data_offsets).toEqual([4, 4]);
    expect(header['z.weight'].data_offsets).toEqual([4, 28]);
  });

  it('omits __metadata__ when none is given', () => {
    const bytes = writeSafetensors([{ name: 'x', shape: [], data: Float32Array.from([42]) }]);
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({});
    expect(file.tensors.get('x')!.shape).toEqual([]);
    expect(file.tensors.get('x')!.data[0]).toBe(42);
    expect(new TextDecoder().decode(bytes.subarray(8, 16))).toBe('{"x":{"d');
  });

  it('refuses inconsistent input', () => {
    expect(() => writeSafetensors([{ name: 'x', shape: [2, 2], data: new Float32Array(3) }])).toThrow(
      /"x" shape \[2,2\] has 4 elements but data has 3/,
    );
    expect(() =>
      writeSafetensors([
        { name: 'x', shape: [1], data: new Float32Array(1) },
        { name: 'x', shape: [1], data: new Float32Array(1) },
      ]),
    ).toThrow(/duplicate tensor name "x"/);
    expect(() => writeSafetensors([{ name: '__metadata__', shape: [1], data: new Float32Array(1) }])).toThrow(
      /reserved/,
    );
  });

  it('reads data that sits at an unaligned offset of a larger buffer', () => {
    const bytes = writeSafetensors([{ name: 'w', shape: [3], data: Float32Array.from([1, 2, 3]) }]);
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    const file = parseSafetensors(host.subarray(3));
    expect(Array.from(file.tensors.get('w')!.data)).toEqual([1, 2, 3]);
  });
});

describe('F16 / BF16 conversion', () => {
  it('converts F16 exactly, including subnormals, signed zero, infinities and NaN', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x8001, -(2 ** -24)],
      [0x0400, 2 ** -14], // smallest normal
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504], // largest finite
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const bits = [...cases.map((c) => c[0]), 0x7e00, 0xfe01];
    const file = parseSafetensors(
      rawFile({ h: { dtype: 'F16', shape: [bits.length], data_offsets: [0, bits.length * 2] } }, u16bytes(bits)),
    );
    const t = file.tensors.get('h')!;
    expect(t.dtype).toBe('F16');
    cases.forEach(([, want], i) => expect(Object.is(t.data[i], want), `0x${cases[i][0].toString(16)}`).toBe(true));
    expect(Number.isNaN(t.data[cases.length])).toBe(true);
    expect(Number.isNaN(t.data[cases.length + 1])).toBe(true);
    // Exhaustive agreement between the scalar helper and the tensor path over all finite halves.
    const all = Array.from({ length: 0x10000 }, (_, i) => i);
    const allFile = parseSafetensors(rawFile({ h: { dtype: 'F16', shape: [0x10000], data_offsets: [0, 0x20000] } }, u16bytes(all)));
    const d = allFile.tensors.get('h')!.data;
    for (let i = 0; i < 0x10000; i++) {
      const want = halfToFloat(i);
      if (Number.isNaN(want)) expect(Number.isNaN(d[i])).toBe(true);
      else if (d[i] !== want) expect(d[i]).toBe(want); // only reports on failure, keeps the loop fast
    }
  });

  it('converts BF16 by widening, including subnormals, signed zero, infinities and NaN', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x3f80, 1],
      [0xc040, -3],
      [0x4049, 3.140625],
      [0x0001, 2 ** -133], // smallest bf16 subnormal, still a float32 subnormal
      [0x0080, 2 ** -126], // smallest normal
      [0x7f7f, 3.3895313892515355e38], // largest finite
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    const bits = [...cases.map((c) => c[0]), 0x7fc0];
    const file = parseSafetensors(
      rawFile({ b: { dtype: 'BF16', shape: [bits.length], data_offsets: [0, bits.length * 2] } }, u16bytes(bits)),
    );
    const t = file.tensors.get('b')!;
    expect(t.dtype).toBe('BF16');
    cases.forEach(([, want], i) => expect(Object.is(t.data[i], want), `0x${cases[i][0].toString(16)}`).toBe(true));
    expect(Number.isNaN(t.data[cases.length])).toBe(true);
  });
});

describe('parseSafetensors rejects malformed files with specific errors', () => {
  const f32 = (n: number) => new Uint8Array(n * 4);

  it('file shorter than the length field', () => {
    expect(() => parseSafetensors(new Uint8Array(5), 'short.safetensors')).toThrow(
      /^short\.safetensors: file is 5 bytes, too short/,
    );
  });

  it('header length larger than the file', () => {
    const bytes = rawFile({}, new Uint8Array(0), 1000n);
    expect(() => parseSafetensors(bytes, 'x.safetensors')).toThrow(
      /x\.safetensors: header length 1000 bytes is larger than the file \(10 bytes\)/,
    );
  });

  it('header length over 100 MB (e.g. a 4 GB or 2^64-1 field) is refused before any allocation', () => {
    for (const len of [4n * 1024n ** 3n, 2n ** 64n - 1n, BigInt(MAX_HEADER_BYTES) + 1n]) {
      expect(() => parseSafetensors(rawFile({}, new Uint8Array(0), len), 'big.safetensors')).toThrow(
        /big\.safetensors: header length \d+ bytes exceeds the 100000000-byte limit/,
      );
    }
  });

  it('invalid JSON, non-object header, invalid UTF-8', () => {
    expect(() => parseSafetensors(rawFile('{"a": '), 'j.safetensors')).toThrow(/j\.safetensors: header is not valid JSON/);
    expect(() => parseSafetensors(rawFile('[1,2]'))).toThrow(/header is not a JSON object/);
    const bad = rawFile('{"a":1}');
    bad[10] = 0xff;
    expect(() => parseSafetensors(bad)).toThrow(/header is not valid UTF-8/);
  });

  it('offsets out of bounds', () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2));
    expect(() => parseSafetensors(bytes, 'oob.safetensors')).toThrow(
      /oob\.safetensors: tensor "w" shape \[4\] \(F32\) needs more bytes than the 8-byte data section holds/,
    );
    const bytes2 = rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, f32(2));
    expect(() => parseSafetensors(bytes2)).toThrow(/tensor "w" data_offsets \[12, 16\] are out of bounds of the 8-byte data section/);
  });

  it('offsets that end before they begin, or are not integers', () => {
    const bytes = rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, f32(2));
    expect(() => parseSafetensors(bytes)).toThrow(/"w" data_offsets \[8, 4\] end before they begin/);
    const bytes2 = rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }, f32(2));
    expect(() => parseSafetensors(bytes2)).toThrow(/"w" data_offsets \[0,4.5\] must be two non-negative integers/);
  });

  it('overlapping tensors', () => {
    const bytes = rawFile(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      f32(3),
    );
    expect(() => parseSafetensors(bytes, 'ov.safetensors')).toThrow(
      /ov\.safetensors: tensor "b" data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/,
    );
  });

  it('holes and trailing bytes', () => {
    const hole = rawFile(
      {
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      },
      f32(3),
    );
    expect(() => parseSafetensors(hole)).toThrow(/tensor "b" starts at 8 but the previous tensor ends at 4/);
    const trailing = rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2));
    expect(() => parseSafetensors(trailing)).toThrow(/tensors cover 4 bytes of the 8-byte data section/);
  });

  it('offsets not matching shape × dtype size', () => {
    const bytes = rawFile({ w: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, f32(2));
    expect(() => parseSafetensors(bytes)).toThrow(/"w" data_offsets \[0, 8\] span 8 bytes but shape \[3\] × F16 needs 6/);
  });

  it('shape whose product overflows or describes gigabytes is refused without allocating', () => {
    // 2^30 × F32 = 4 GiB claimed in a 16-byte file.
    const fourGiB = rawFile({ w: { dtype: 'F32', shape: [2 ** 30], data_offsets: [0, 16] } }, f32(4));
    expect(() => parseSafetensors(fourGiB)).toThrow(/"w" shape \[1073741824\] \(F32\) needs more bytes than the 16-byte data section holds/);
    // Product beyond 2^53 (and beyond 2^64): must not wrap around to something small.
    const huge = rawFile({ w: { dtype: 'F32', shape: [2 ** 32, 2 ** 32, 0x10], data_offsets: [0, 16] } }, f32(4));
    expect(() => parseSafetensors(huge)).toThrow(/needs more bytes than/);
    const notSafe = rawFile({ w: { dtype: 'F32', shape: [2 ** 60], data_offsets: [0, 16] } }, f32(4));
    expect(() => parseSafetensors(notSafe)).toThrow(/shape \[1152921504606847000\] \(F32\) needs more bytes than/);
    const negative = rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 16] } }, f32(4));
    expect(() => parseSafetensors(negative)).toThrow(/must contain non-negative integers/);
    // A zero dimension makes the product 0 even next to a huge one.
    const zero = rawFile({ w: { dtype: 'F32', shape: [2 ** 40, 0], data_offsets: [0, 0] } });
    expect(parseSafetensors(zero).tensors.get('w')!.data.length).toBe(0);
  });

  it('unsupported and unknown dtypes name the tensor and the dtype', () => {
    const f64 = rawFile({ 'enc.w': { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(16));
    expect(() => parseSafetensors(f64, 'm.safetensors')).toThrow(
      /m\.safetensors: tensor "enc\.w" has dtype F64; only F32, F16 and BF16 are supported/,
    );
    const i64 = rawFile({ position_ids: { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] } }, new Uint8Array(16));
    expect(() => parseSafetensors(i64)).toThrow(/tensor "position_ids" has dtype I64/);
    const unknown = rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16));
    expect(() => parseSafetensors(unknown)).toThrow(/tensor "w" has unknown dtype "F128"/);
  });

  it('malformed entries and metadata', () => {
    expect(() => parseSafetensors(rawFile({ w: 3 }))).toThrow(/tensor "w" must be an object/);
    expect(() => parseSafetensors(rawFile({ w: { dtype: 'F32', data_offsets: [0, 0] } }))).toThrow(/"w" has no "shape" array/);
    expect(() => parseSafetensors(rawFile({ __metadata__: { n: 1 } }))).toThrow(/"__metadata__\.n" must be a string/);
  });
});

describe.skipIf(!HAVE_FIXTURES)('fixture tiny-bert model.safetensors', () => {
  if (!HAVE_FIXTURES) {
    console.warn(`[safetensors.test] skipping fixture tests: ${MODEL_FILE} not found (../shared/fixtures absent)`);
  }

  it('reads every tensor of the fixture model, pooler included', () => {
    const bytes = new Uint8Array(readFileSync(MODEL_FILE));
    const file = parseSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt' });
    const w = file.tensors.get('embeddings.word_embeddings.weight')!;
    expect(w.shape).toEqual([400, 32]);
    expect(w.data.length).toBe(400 * 32);
    expect(file.tensors.get('embeddings.position_embeddings.weight')!.shape).toEqual([128, 32]);
    expect(file.tensors.get('encoder.layer.1.intermediate.dense.weight')!.shape).toEqual([64, 32]);
    expect(file.tensors.get('pooler.dense.weight')!.shape).toEqual([32, 32]);
    expect(file.tensors.get('pooler.dense.bias')!.shape).toEqual([32]);
    for (const t of file.tensors.values()) {
      expect(t.dtype).toBe('F32');
      expect(t.data.every(Number.isFinite)).toBe(true);
    }
    // LayerNorm weights of a freshly initialised model are ones.
    expect(Array.from(file.tensors.get('embeddings.LayerNorm.weight')!.data)).toEqual(new Array(32).fill(1));
  });

  it('writing the parsed tensors back reproduces the file byte for byte', () => {
    const bytes = new Uint8Array(readFileSync(MODEL_FILE));
    const file = parseSafetensors(bytes);
    const tensors = [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
    const again = writeSafetensors(tensors.reverse(), file.metadata);
    expect(again.length).toBe(bytes.length);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });
});
