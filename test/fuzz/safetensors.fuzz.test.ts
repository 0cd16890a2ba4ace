/**
 * Property-based tests for src/io/safetensors.ts: write→parse round trips, truncations of the
 * tiny-bert fixture at every header byte boundary (and sampled data boundaries), random header
 * corruption, and hostile headers that claim far more data than the file holds, which must be
 * refused before anything is allocated.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { halfToFloat, MAX_HEADER_BYTES, parseSafetensors, SafetensorsError, writeSafetensors, type TensorToWrite } from '../../src/io/safetensors.ts';
import { arrayBufferGrowth, caught, expectSpecificError, fc, fuzz, hostileJsonValue, thrown } from '../support/fuzz.ts';
import { haveFixtures } from '../support/fixtures.ts';
import { TINY_BERT_MODEL_DIR } from '../support/tiny-bert.ts';

const FIXTURE = path.join(TINY_BERT_MODEL_DIR, 'model.safetensors');
// Skips with a message, or fails under EMBEDDING_STUDIO_REQUIRE_FIXTURES=1.
const HAVE_FIXTURE = haveFixtures(FIXTURE, 'the fuzz tests on the tiny-bert weights');
const enc = new TextEncoder();

/** A safetensors file from a header object (or raw header text) and a data section of `dataBytes`. */
function fileWith(header: unknown, dataBytes = 0): Uint8Array {
  const h = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

const bitsOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const tensorName = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
  fc.constantFrom('embeddings.word_embeddings.weight', '0', '12', 'a.b', 'é', ' ', '"'),
);
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });
const tensorsArb: fc.Arbitrary<TensorToWrite[]> = fc
  .uniqueArray(fc.record({ name: tensorName, shape: shapeArb }), { selector: (t) => t.name, maxLength: 6 })
  .map((ts) => ts.filter((t) => t.name !== '__metadata__'))
  .chain((ts) =>
    fc.tuple(
      ...ts.map((t) =>
        fc
          .float32Array({ minLength: t.shape.reduce((a, b) => a * b, 1), maxLength: t.shape.reduce((a, b) => a * b, 1) })
          .map((data) => ({ name: t.name, shape: t.shape, data })),
      ),
    ),
  );

describe('safetensors write → parse', () => {
  it('round-trips random F32 tensors (any shape incl. scalars and zero-size dims, NaN payloads) and metadata exactly', async () => {
    await fuzz(
      'safetensors round trip',
      fc.record({
        tensors: tensorsArb,
        metadata: fc.option(fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__'), fc.string({ unit: 'grapheme', maxLength: 8 }), { maxKeys: 4 })),
      }),
      ({ tensors, metadata }) => {
        const bytes = writeSafetensors(tensors, metadata ?? undefined);
        const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect(headerLen % 8).toBe(0);
        const parsed = parseSafetensors(bytes, 'rt.safetensors');
        expect(parsed.metadata).toEqual(metadata ?? {});
        expect(parsed.tensors.size).toBe(tensors.length);
        for (const t of tensors) {
          const got = parsed.tensors.get(t.name);
          expect(got, t.name).toBeDefined();
          expect(got!.dtype).toBe('F32');
          expect(got!.shape).toEqual(t.shape);
          expect(bitsOf(got!.data)).toEqual(bitsOf(t.data));
        }
        // A file with its data section offset in a larger buffer (a subarray) parses the same.
        const padded = new Uint8Array(bytes.length + 3);
        padded.set(bytes, 3);
        expect(parseSafetensors(padded.subarray(3), 'rt.safetensors').tensors.size).toBe(tensors.length);
      },
      { numRuns: 300, maxMsPerInput: 500 },
    );
  });

  it('widens every F16 and BF16 bit pattern to an exactly representable float', async () => {
    await fuzz(
      'safetensors f16/bf16 widening',
      fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 16 }),
      (halves) => {
        const raw = new Uint8Array(halves.length * 2);
        const dv = new DataView(raw.buffer);
        halves.forEach((h, i) => dv.setUint16(i * 2, h, true));
        for (const dtype of ['F16', 'BF16'] as const) {
          const header = { x: { dtype, shape: [halves.length], data_offsets: [0, raw.length] } };
          const file = fileWith(header, raw.length);
          file.set(raw, file.length - raw.length);
          const t = parseSafetensors(file, 'h.safetensors').tensors.get('x')!;
          halves.forEach((h, i) => {
            const want = dtype === 'F16' ? halfToFloat(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0];
            if (Number.isNaN(want)) expect(Number.isNaN(t.data[i])).toBe(true);
            else expect(Object.is(t.data[i], want), `${dtype} 0x${h.toString(16)}: ${t.data[i]} vs ${want}`).toBe(true);
          });
        }
      },
      { numRuns: 200, maxMsPerInput: 50 },
    );
  });
});

describe.skipIf(!HAVE_FIXTURE)('safetensors: truncated and corrupted tiny-bert weights', () => {
  const bytes = HAVE_FIXTURE ? new Uint8Array(readFileSync(FIXTURE)) : new Uint8Array(8);
  const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));

  it('refuses the fixture truncated at every header byte boundary and every 61st data byte, naming the file', () => {
    let tried = 0;
    let slowest = 0;
    const cuts: number[] = [];
    for (let n = 0; n <= headerEnd + 16; n++) cuts.push(n);
    for (let n = headerEnd + 17; n < bytes.length; n += 61) cuts.push(n);
    cuts.push(bytes.length - 1);
    for (const n of cuts) {
      const t0 = performance.now();
      let error: unknown;
      try {
        parseSafetensors(bytes.subarray(0, n), 'cut.safetensors');
      } catch (e) {
        error = e;
      }
      slowest = Math.max(slowest, performance.now() - t0);
      expectSpecificError(error, [SafetensorsError], ['cut.safetensors']);
      tried++;
    }
    console.log(`[fuzz] safetensors truncations: ${tried} inputs (header ${headerEnd} bytes, file ${bytes.length}), slowest ${slowest.toFixed(1)} ms`);
    expect(tried).toBe(cuts.length);
    expect(slowest).toBeLessThan(1000);
  });

  it('refuses random truncation points with a SafetensorsError (property form)', async () => {
    await fuzz(
      'safetensors random truncation',
      fc.nat(bytes.length - 1),
      (n) => {
        expectSpecificError(thrown(() => parseSafetensors(bytes.subarray(0, n), 'cut.safetensors')), [SafetensorsError], ['cut.safetensors']);
      },
      { numRuns: 200, maxMsPerInput: 100 },
    );
  });

  it('either parses or refuses with a SafetensorsError when header bytes are overwritten', async () => {
    await fuzz(
      'safetensors header byte corruption',
      fc.array(fc.record({ at: fc.nat(headerEnd - 1), byte: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x22, 0x2c, 0x5d, 0x7d, 0x30, 0x39, 0xff)) }), { minLength: 1, maxLength: 3 }),
      async (flips) => {
        const b = bytes.slice();
        for (const f of flips) b[f.at] = f.byte;
        const grown = await arrayBufferGrowth(() => parseSafetensors(b, 'flip.safetensors'));
        if (grown.error !== undefined) expectSpecificError(grown.error, [SafetensorsError], ['flip.safetensors']);
        // Nothing beyond one copy of the float data (the fixture is 145 KB) may be allocated.
        expect(grown.bytes).toBeLessThan(4 * bytes.length + (1 << 20));
      },
      { numRuns: 300, maxMsPerInput: 100 },
    );
  });
});

const HUGE_DIMS = [2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, 4294967296 / 4, 1e15];

describe('safetensors: hostile headers', () => {
  it('refuses any header whose sizes exceed the data section before allocating (arrayBuffers growth < 1 MiB)', async () => {
    const entry = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I64', 'U8', 'BOOL', 'f32', '', 'F8_E4M3'), hostileJsonValue),
        shape: fc.oneof(fc.array(fc.oneof(fc.constantFrom(...HUGE_DIMS), fc.integer({ min: -2, max: 2 ** 20 }), fc.constantFrom(0.5, -0, '3', null)), { maxLength: 4 }), hostileJsonValue),
        data_offsets: fc.oneof(fc.tuple(fc.oneof(fc.nat(64), fc.constantFrom(...HUGE_DIMS)), fc.oneof(fc.nat(64), fc.constantFrom(...HUGE_DIMS))), hostileJsonValue),
      },
      { requiredKeys: [] },
    );
    await fuzz(
      'safetensors hostile header',
      fc.record({
        entries: fc.dictionary(fc.oneof(tensorName, fc.constant('__metadata__')), fc.oneof({ weight: 4, arbitrary: entry }, hostileJsonValue), { maxKeys: 4 }),
        dataBytes: fc.constantFrom(0, 4, 16, 64),
      }),
      async ({ entries, dataBytes }) => {
        const file = fileWith(entries, dataBytes);
        const grown = await arrayBufferGrowth(() => parseSafetensors(file, 'evil.safetensors'));
        if (grown.error !== undefined) expectSpecificError(grown.error, [SafetensorsError], ['evil.safetensors']);
        expect(grown.bytes).toBeLessThan(1 << 20);
      },
      {
        numRuns: 500,
        maxMsPerInput: 50,
        examples: [
          // A 4 GiB tensor claimed by a 100-byte file.
          { entries: { w: { dtype: 'F32', shape: [1073741824], data_offsets: [0, 4294967296] } }, dataBytes: 16 },
          // 2^53 elements, and a shape whose product overflows to a small number in 32 bits.
          { entries: { w: { dtype: 'F32', shape: [2 ** 53], data_offsets: [0, 4] } }, dataBytes: 4 },
          { entries: { w: { dtype: 'F32', shape: [65536, 65536, 0.25], data_offsets: [0, 4] } }, dataBytes: 4 },
          { entries: { w: { dtype: 'F64', shape: [2 ** 32, 2 ** 32], data_offsets: [0, 0] } }, dataBytes: 0 },
        ],
      },
    );
  });

  it('refuses hostile header-length fields (u64 up to 2^64−1) without reading past the file', async () => {
    await fuzz(
      'safetensors header length field',
      fc.record({ len: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 1n, 2n ** 53n, 2n ** 64n - 1n, BigInt(MAX_HEADER_BYTES), BigInt(MAX_HEADER_BYTES) + 1n)), tail: fc.uint8Array({ maxLength: 32 }) }),
      async ({ len, tail }) => {
        const b = new Uint8Array(8 + tail.length);
        new DataView(b.buffer).setBigUint64(0, len, true);
        b.set(tail, 8);
        const grown = await arrayBufferGrowth(() => parseSafetensors(b, 'len.safetensors'));
        if (grown.error !== undefined) expectSpecificError(grown.error, [SafetensorsError], ['len.safetensors']);
        expect(grown.bytes).toBeLessThan(1 << 20);
      },
      { numRuns: 300, maxMsPerInput: 20 },
    );
  });

  it('names the tensor in errors about its entry', async () => {
    await fuzz(
      'safetensors entry errors name the tensor',
      fc.record({ name: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }).filter((n) => n !== '__metadata__' && !n.includes('"')), entry: hostileJsonValue }),
      async ({ name, entry }) => {
        const { error } = await caught(() => parseSafetensors(fileWith({ [name]: entry }, 8), 'n.safetensors'));
        // Every such file is wrong somewhere: either this entry, or (when it happens to be valid) the data coverage.
        expectSpecificError(error, [SafetensorsError], [`"${name}"`, 'tensors cover']);
      },
      { numRuns: 300, maxMsPerInput: 20 },
    );
  });

  // Regression (safetensors.ts parseSafetensors, the "__metadata__" loop): `metadata[k] = v` on a
  // plain object took a "__proto__" key as a prototype assignment, so {"__metadata__":
  // {"__proto__":"x"}} parsed with that entry silently dropped. Metadata is now a
  // null-prototype record: every key is kept, and written back by writeSafetensors.
  it('keeps every metadata key, including prototype-ish ones', () => {
    const meta = JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, string>;
    const parsed = parseSafetensors(fileWith({ __metadata__: meta }), 'm.safetensors');
    expect(Object.keys(parsed.metadata).sort()).toEqual(['__proto__', 'constructor']);
    expect(parsed.metadata['__proto__']).toBe('x');
    const again = parseSafetensors(writeSafetensors([], parsed.metadata), 'm2.safetensors');
    expect(Object.keys(again.metadata).sort()).toEqual(['__proto__', 'constructor']);
  });

  // A dimension past 2^53 − 1 next to a 0 made the product 0, so the shape was accepted with a
  // dimension JSON.parse had rounded (e.g. [1e300, 0]).
  it('refuses shapes with a dimension past 2^53 − 1 even when another dimension is 0', () => {
    for (const d of [2 ** 53, 1e300, 2 ** 64]) {
      const error = thrown(() => parseSafetensors(fileWith({ w: { dtype: 'F32', shape: [d, 0], data_offsets: [0, 0] } }), 'z.safetensors'));
      expectSpecificError(error, [SafetensorsError], ['z.safetensors']);
      expect(error.message).toContain('"w"');
    }
    // Large but exact dimensions beside a zero are still a valid empty tensor.
    expect(parseSafetensors(fileWith({ w: { dtype: 'F32', shape: [2 ** 40, 0], data_offsets: [0, 0] } })).tensors.get('w')!.data.length).toBe(0);
  });
});
