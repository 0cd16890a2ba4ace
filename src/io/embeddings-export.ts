/**
 * Embeddings out of the studio: JSON Lines for anything that reads JSON, and .npy for numpy
 * (`np.load`) and everything built on it. Rows are float32 [n, d], row-major.
 */

function checkShape(embeddings: Float32Array, rows: number, dim: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(dim) || rows < 0 || dim < 1 || embeddings.length !== rows * dim) {
    throw new Error(`embeddings: ${embeddings.length} values do not form ${rows} rows of ${dim}`);
  }
}

/** The shortest decimal that reads back as the same float32, so files stay small and exact. */
export function float32ToString(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`embeddings: ${v} cannot be written to JSON`);
  for (let p = 6; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(Number(v.toPrecision(9)));
}

/** One `{"text": …, "embedding": […]}` object per line, newline-terminated. */
export function embeddingsJsonl(texts: readonly string[], embeddings: Float32Array, dim: number): string {
  checkShape(embeddings, texts.length, dim);
  const lines: string[] = [];
  for (let i = 0; i < texts.length; i++) {
    const row = Array.from(embeddings.subarray(i * dim, (i + 1) * dim), float32ToString);
    lines.push(`{"text":${JSON.stringify(texts[i])},"embedding":[${row.join(',')}]}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** NPY format 1.0: magic, version, uint16 header length, a Python-dict header padded so data starts on a 64-byte boundary. */
export function embeddingsNpy(embeddings: Float32Array, rows: number, dim: number): Uint8Array {
  checkShape(embeddings, rows, dim);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dim}), }`;
  const unpadded = 10 + header.length + 1; // magic 6 + version 2 + length 2, trailing '\n'
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new Error('npy header too long');
  const out = new Uint8Array(10 + header.length + embeddings.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const offset = 10 + header.length;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength), offset);
  else for (let i = 0; i < embeddings.length; i++) view.setFloat32(offset + i * 4, embeddings[i], true);
  return out;
}

export interface NpyHeader {
  readonly descr: string;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Byte offset of the first value. */
  readonly dataOffset: number;
}

/** Parses a version 1.0 / 2.0 .npy header (enough to read back what embeddingsNpy wrote, and numpy's own files). */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not an .npy file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const [len, start] = major === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  const text = new TextDecoder('latin1').decode(bytes.subarray(start, start + len));
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined) throw new Error(`malformed .npy header: ${text}`);
  return {
    descr,
    fortranOrder: fortran === 'True',
    shape: shape.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number),
    dataOffset: start + len,
  };
}
