/**
 * A minimal Parquet writer for tests (no Parquet writer is installed, and none is needed by the
 * app): PLAIN encoding, no compression, one data page per column chunk, flat schemas of UTF-8
 * strings, doubles and int64s, required or optional (nulls). Enough to exercise hyparquet the way
 * Hub files do, including several row groups. Spec: https://github.com/apache/parquet-format
 */

export type ParquetColumn =
  | { name: string; type: 'string'; values: (string | Uint8Array | null)[] }
  | { name: string; type: 'double'; values: (number | null)[] }
  | { name: string; type: 'int64'; values: (bigint | null)[] };

/** Thrift compact protocol, only the parts the file metadata uses. */
class Compact {
  readonly bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint | number): void {
    let v = BigInt(n);
    do {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      this.bytes.push(v > 0n ? b | 0x80 : b);
    } while (v > 0n);
  }
  zigzag(n: bigint | number): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v * 2n : -v * 2n - 1n);
  }
  private field(id: number, type: number): void {
    const top = this.last.length - 1;
    this.bytes.push(((id - this.last[top]) << 4) | type);
    this.last[top] = id;
  }
  i32(id: number, v: number): void { this.field(id, 5); this.zigzag(v); }
  i64(id: number, v: number | bigint): void { this.field(id, 6); this.zigzag(v); }
  binary(id: number, s: string): void { this.field(id, 8); this.str(s); }
  str(s: string): void { const b = new TextEncoder().encode(s); this.varint(b.length); this.bytes.push(...b); }
  struct(id: number, body: () => void): void { this.field(id, 12); this.inner(body); }
  inner(body: () => void): void { this.last.push(0); body(); this.bytes.push(0); this.last.pop(); }
  list(id: number, elemType: number, n: number, each: (i: number) => void): void {
    this.field(id, 9);
    this.bytes.push(n < 15 ? (n << 4) | elemType : 0xf0 | elemType);
    if (n >= 15) this.varint(n);
    for (let i = 0; i < n; i++) each(i);
  }
}

const PHYSICAL = { string: 6, double: 5, int64: 2 } as const;
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

function plainValues(col: ParquetColumn, from: number, to: number): { data: number[]; defs: number[] } {
  const data: number[] = [];
  const defs: number[] = [];
  for (let i = from; i < to; i++) {
    const v = col.values[i];
    defs.push(v === null ? 0 : 1);
    if (v === null) continue;
    const b = new Uint8Array(8), dv = new DataView(b.buffer);
    if (typeof v === 'string' || v instanceof Uint8Array) {
      const s = typeof v === 'string' ? new TextEncoder().encode(v) : v;
      dv.setUint32(0, s.length, true);
      data.push(...b.subarray(0, 4), ...s);
    } else {
      if (typeof v === 'bigint') dv.setBigInt64(0, v, true);
      else dv.setFloat64(0, v, true);
      data.push(...b);
    }
  }
  return { data, defs };
}

/** Definition levels, bit width 1, as RLE runs behind a 4-byte length. */
function rleLevels(defs: number[]): number[] {
  const body = new Compact();
  for (let i = 0; i < defs.length; ) {
    let j = i;
    while (j < defs.length && defs[j] === defs[i]) j++;
    body.varint((j - i) << 1);
    body.bytes.push(defs[i]);
    i = j;
  }
  return [...le32(body.bytes.length), ...body.bytes];
}

export function writeParquet(columns: ParquetColumn[], rowGroupSize: number, nullable = false): Uint8Array<ArrayBuffer> {
  const numRows = columns[0].values.length;
  const out: number[] = [...new TextEncoder().encode('PAR1')];
  const groups: { rows: number; chunks: { offset: number; size: number; col: ParquetColumn }[] }[] = [];
  for (let start = 0; start < numRows; start += rowGroupSize) {
    const end = Math.min(numRows, start + rowGroupSize);
    const chunks = columns.map((col) => {
      const { data, defs } = plainValues(col, start, end);
      const page = nullable ? [...rleLevels(defs), ...data] : data;
      const header = new Compact();
      // DATA_PAGE, sizes, then DataPageHeader: count, PLAIN values, RLE levels.
      header.inner(() => {
        [0, page.length, page.length].forEach((v, k) => header.i32(k + 1, v));
        header.struct(5, () => [end - start, 0, 3, 3].forEach((v, k) => header.i32(k + 1, v)));
      });
      const offset = out.length;
      out.push(...header.bytes, ...page);
      return { offset, size: out.length - offset, col };
    });
    groups.push({ rows: end - start, chunks });
  }
  const meta = new Compact();
  meta.inner(() => {
    meta.i32(1, 1);
    meta.list(2, 12, columns.length + 1, (i) =>
      meta.inner(() => {
        if (i === 0) {
          meta.binary(4, 'schema');
          meta.i32(5, columns.length);
          return;
        }
        const col = columns[i - 1];
        meta.i32(1, PHYSICAL[col.type]);
        meta.i32(3, nullable ? 1 : 0);
        meta.binary(4, col.name);
        if (col.type === 'string') meta.i32(6, 0); // UTF8
      }),
    );
    meta.i64(3, numRows);
    meta.list(4, 12, groups.length, (g) =>
      meta.inner(() => {
        const group = groups[g];
        meta.list(1, 12, group.chunks.length, (c) =>
          meta.inner(() => {
            const { offset, size, col } = group.chunks[c];
            meta.i64(2, offset);
            meta.struct(3, () => {
              meta.i32(1, PHYSICAL[col.type]);
              meta.list(2, 5, 1, () => meta.zigzag(0));
              meta.list(3, 8, 1, () => meta.str(col.name));
              meta.i32(4, 0); // UNCOMPRESSED
              meta.i64(5, group.rows);
              meta.i64(6, size);
              meta.i64(7, size);
              meta.i64(9, offset);
            });
          }),
        );
        meta.i64(2, group.chunks.reduce((s, c) => s + c.size, 0));
        meta.i64(3, group.rows);
      }),
    );
  });
  out.push(...meta.bytes, ...le32(meta.bytes.length), ...new TextEncoder().encode('PAR1'));
  return new Uint8Array(out);
}
