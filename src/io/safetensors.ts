// Reader and writer for the safetensors format (https://github.com/huggingface/safetensors).
//
// Layout: 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON, then the byte buffer.
// The JSON maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
// the byte buffer) plus an optional "__metadata__" map of string → string.
//
// Files come from users and from the network, so every size is checked against the bytes we
// actually hold before anything is allocated: a hostile header must produce an error, not a
// multi-gigabyte allocation.

/** Every dtype the format defines, with its size in bytes. */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

/** The dtypes we can turn into Float32Array without losing the meaning of the values. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

export interface SafetensorsTensor {
  /** The dtype stored in the file; `data` is always float32. */
  dtype: FloatDtype;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  /** The `__metadata__` map ({} when the file has none). */
  metadata: Record<string, string>;
}

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** Same limit as the Python library: a larger header is refused rather than parsed. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

function isDtype(s: string): s is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export function parseSafetensors(bytes: Uint8Array, source = 'model.safetensors'): SafetensorsFile {
  const fail = (what: string): never => {
    throw new SafetensorsError(`${source}: ${what}`);
  };

  if (bytes.byteLength < 8) {
    fail(`file is ${bytes.byteLength} bytes, too short to hold the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Read as BigInt: a corrupt length can exceed 2^53 and must not be silently rounded.
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${headerLen64} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.byteLength) {
    fail(`header length ${headerLen} bytes is larger than the file (${bytes.byteLength} bytes)`);
  }

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('header is not valid UTF-8');
  }
  // The Python library insists on an object; a bare array or number is a different file type.
  if (!headerText.startsWith('{')) {
    fail('header is not a JSON object (it must start with "{")');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    return fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(header)) {
    return fail('header is not a JSON object');
  }

  const bufferStart = 8 + headerLen;
  const bufferLen = bytes.byteLength - bufferStart;

  // No prototype, so every key is an own key: "__proto__" included (a plain object would take it
  // as a prototype assignment and drop it).
  const metadata = Object.create(null) as Record<string, string>;
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isRecord(raw)) fail(`"${METADATA_KEY}" must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"${METADATA_KEY}.${k}" must be a string, got ${typeof v}`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.push(parseEntry(name, raw, bufferLen, fail));
  }

  // The format forbids holes and overlaps: tensors tile the buffer exactly. Checking this keeps
  // us as strict as the reference reader, so files we accept also load in Python.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of byOffset) {
    if (e.begin < cursor) {
      const prev = byOffset.find((p) => p !== e && p.begin <= e.begin && p.end > e.begin);
      fail(
        `tensor "${e.name}" data_offsets [${e.begin}, ${e.end}] overlap` +
          (prev ? ` tensor "${prev.name}" [${prev.begin}, ${prev.end}]` : ' another tensor'),
      );
    }
    if (e.begin > cursor) {
      fail(`tensor "${e.name}" starts at ${e.begin} but the previous tensor ends at ${cursor} (holes are not allowed)`);
    }
    cursor = e.end;
  }
  if (cursor !== bufferLen) {
    fail(`tensors cover ${cursor} bytes of the ${bufferLen}-byte data section (trailing bytes are not allowed)`);
  }

  // Structure is sound; only now convert, so an unsupported dtype is reported for a file that
  // is otherwise valid (the message is then about the dtype, not about corruption).
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
      fail(`tensor "${e.name}" has dtype ${e.dtype}; only F32, F16 and BF16 are supported`);
    }
    const dtype = e.dtype as FloatDtype;
    const raw = bytes.subarray(bufferStart + e.begin, bufferStart + e.end);
    tensors.set(e.name, { dtype, shape: e.shape, data: toFloat32(raw, dtype) });
  }
  return { tensors, metadata };
}

function parseEntry(
  name: string,
  raw: unknown,
  bufferLen: number,
  fail: (what: string) => never,
): TensorEntry {
  const where = `tensor "${name}"`;
  if (!isRecord(raw)) fail(`${where} must be an object with dtype, shape and data_offsets`);
  const obj = raw as Record<string, unknown>;

  const dtype = obj.dtype;
  if (typeof dtype !== 'string') return fail(`${where} has no string "dtype"`);
  if (!isDtype(dtype)) return fail(`${where} has unknown dtype "${dtype}"`);

  const shape = obj.shape;
  if (!Array.isArray(shape)) return fail(`${where} has no "shape" array`);
  // Multiply with a running bound: once the element count exceeds what the data section could
  // possibly hold we stop, so a shape like [2^40, 2^40] cannot overflow into a small number.
  const maxElems = Math.floor(bufferLen / DTYPE_BYTES[dtype]);
  for (const d of shape) {
    // Dimensions past 2^53 are legal u64 values but lose precision in JSON.parse; they are
    // still integers, and the size bound below refuses them with a message about size.
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(`${where} shape ${JSON.stringify(shape)} must contain non-negative integers`);
    }
  }
  const dims = shape as number[];
  let elems = dims.includes(0) ? 0 : 1;
  let tooLarge = false;
  for (const d of dims) {
    if (elems === 0) break;
    elems *= d;
    if (elems > maxElems) {
      tooLarge = true;
      break;
    }
  }
  if (tooLarge) {
    fail(
      `${where} shape ${JSON.stringify(shape)} (${dtype}) needs more bytes than the ` +
        `${bufferLen}-byte data section holds`,
    );
  }
  // Beside a zero the product is 0 whatever the other dimensions are, but one past 2^53 is not
  // the number the file wrote (JSON.parse rounded it), so the shape we would report is wrong.
  const inexact = dims.find((d) => !Number.isSafeInteger(d));
  if (inexact !== undefined) {
    fail(`${where} shape ${JSON.stringify(shape)} has dimension ${inexact}, beyond 2^53 − 1, which cannot be read exactly`);
  }
  const nbytes = elems * DTYPE_BYTES[dtype];

  const offs = obj.data_offsets;
  if (
    !Array.isArray(offs) ||
    offs.length !== 2 ||
    !offs.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)
  ) {
    return fail(`${where} data_offsets ${JSON.stringify(offs)} must be two non-negative integers`);
  }
  const [begin, end] = offs as [number, number];
  if (end < begin) fail(`${where} data_offsets [${begin}, ${end}] end before they begin`);
  if (end > bufferLen) {
    fail(`${where} data_offsets [${begin}, ${end}] are out of bounds of the ${bufferLen}-byte data section`);
  }
  if (end - begin !== nbytes) {
    fail(
      `${where} data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape ` +
        `${JSON.stringify(shape)} × ${dtype} needs ${nbytes}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toFloat32(raw: Uint8Array, dtype: FloatDtype): Float32Array {
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) {
      // slice() copies into a fresh, 4-byte-aligned buffer; the file's own buffer may be
      // unaligned at this offset and the caller may want to drop it.
      return new Float32Array(raw.slice().buffer);
    }
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float32Array(raw.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  const n = raw.byteLength / 2;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    // bf16 is the top half of an f32, so widening is a shift; this keeps NaN payloads and -0.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
  return out;
}

/** IEEE 754 binary16 → number, including subnormals, ±0, ±Inf and NaN. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Serialise float32 tensors the way the Python library does, so our exports are byte-for-byte
 * what `safetensors.torch.save_file` would write: tensors ordered by name (all share one dtype,
 * so the library's dtype-first ordering reduces to this), `__metadata__` first in the header,
 * compact JSON, and the header padded with spaces so the data section starts 8-byte aligned.
 */
export function writeSafetensors(
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): Uint8Array {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === METADATA_KEY) throw new SafetensorsError(`tensor name "${METADATA_KEY}" is reserved`);
    if (seen.has(t.name)) throw new SafetensorsError(`duplicate tensor name "${t.name}"`);
    seen.add(t.name);
    let elems = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw new SafetensorsError(`tensor "${t.name}" shape ${JSON.stringify(t.shape)} must contain non-negative integers`);
      }
      elems *= d;
    }
    if (elems !== t.data.length) {
      throw new SafetensorsError(
        `tensor "${t.name}" shape ${JSON.stringify(t.shape)} has ${elems} elements but data has ${t.data.length}`,
      );
    }
  }
  // Code-unit order, as Rust's String ordering is byte order and names are almost always ASCII.
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header = Object.create(null) as Record<string, unknown>;
  if (metadata !== undefined) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of sorted) {
    const nbytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(headerBytes.length + pad).fill(0x20);
    padded.set(headerBytes);
    headerBytes = padded;
  }

  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of sorted) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else {
      for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + i * 4, t.data[i], true);
    }
    pos += t.data.byteLength;
  }
  return out;
}
