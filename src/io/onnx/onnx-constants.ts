import { fromHalfBits } from './half.ts';
import { dataTypeName, OnnxReadError, type ReadModel, type ReadNode, type ReadTensor } from './onnx-proto.ts';

/**
 * The constant tensors of an ONNX graph we did not write, as float32: initializers, Constant
 * nodes, and what Identity / Cast / Transpose / DequantizeLinear make of them. Exporters reach
 * weights through such chains (torch dedups equal tensors behind Identity nodes; quantizers put
 * DequantizeLinear between an int8 initializer and its MatMul), so the mapping code asks "what is
 * the value of this input" and never looks at the chain itself.
 */

export interface ConstValue {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** How the values were stored, for the load report: FLOAT, FLOAT16, INT8 (DequantizeLinear)… */
  readonly storage: string;
}

const T = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;
const ELEMENT_BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 10: 2, 11: 8, 16: 2 };
const FLOATS = new Set<number>([T.FLOAT, T.FLOAT16, T.DOUBLE, T.BFLOAT16]);
/** Integer storage DequantizeLinear may expand (INT32 is how quantizers store biases). */
const QUANTIZED = new Set<number>([T.UINT8, T.INT8, T.INT32]);
const SUPPORTED = 'FLOAT, FLOAT16, BFLOAT16, DOUBLE, or INT8/UINT8 behind DequantizeLinear';

/** Ops that only pass a constant on (possibly reshuffled or widened). */
const PASS_THROUGH = new Set(['Identity', 'Cast', 'Transpose', 'DequantizeLinear', 'Constant']);

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function elementCount(t: ReadTensor, what: string, file: string): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxReadError(`${file}: ${what} has an invalid dimension ${d} in [${t.dims.join(', ')}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new OnnxReadError(`${file}: ${what} has an impossible shape [${t.dims.join(', ')}]`);
  return n;
}

/** Little-endian raw_data as a typed array of its own (aligned, and independent of the file's buffer). */
function rawView(raw: Uint8Array, type: number): ArrayLike<number> | BigInt64Array {
  if (!littleEndian) throw new Error('reading ONNX weights needs a little-endian host');
  // new Uint8Array(view) copies; Node's Buffer.slice (what protobufjs hands out there) would not.
  const own = new Uint8Array(raw).buffer;
  switch (type) {
    case T.FLOAT: return new Float32Array(own);
    case T.DOUBLE: return new Float64Array(own);
    case T.FLOAT16: case T.BFLOAT16: return new Uint16Array(own);
    case T.INT8: return new Int8Array(own);
    case T.UINT8: return new Uint8Array(own);
    case T.INT32: return new Int32Array(own);
    default: return new BigInt64Array(own);
  }
}

/**
 * A tensor's values as float32, whichever field holds them. FLOAT16/BFLOAT16 in int32_data are
 * bit patterns, as the ONNX spec stores them. Sizes are checked against the dims before anything
 * is allocated from them.
 */
export function tensorValues(t: ReadTensor, file: string): Float32Array {
  const type = t.data_type ?? 0;
  const what = `tensor "${t.name ?? '(unnamed)'}" (${dataTypeName(type)} [${t.dims.join(', ')}])`;
  if (t.data_location === 1 || t.external_data.length > 0) {
    const where = t.external_data.find((e) => e.key === 'location')?.value ?? 'another file';
    throw new OnnxReadError(`${file}: ${what} is stored outside the model, in ${where} (ONNX external data); only self-contained .onnx files are read`);
  }
  if (!(type in ELEMENT_BYTES)) throw new OnnxReadError(`${file}: ${what} has a data type this reader does not take; expected ${SUPPORTED}`);
  const n = elementCount(t, what, file);
  const raw = t.raw_data;
  let src: ArrayLike<number> | BigInt64Array;
  if (raw !== undefined && raw.length > 0) {
    const want = n * ELEMENT_BYTES[type];
    if (raw.length !== want) throw new OnnxReadError(`${file}: ${what} has ${raw.length} bytes of raw_data; its shape needs ${want}`);
    src = rawView(raw, type);
  } else {
    const typed = type === T.FLOAT ? t.float_data : type === T.DOUBLE ? t.double_data : type === T.INT64 ? t.int64_data : t.int32_data;
    if (typed.length !== n) throw new OnnxReadError(`${file}: ${what} holds ${typed.length} values; its shape needs ${n}`);
    src = typed;
  }
  const out = new Float32Array(n);
  if (type === T.FLOAT16) for (let i = 0; i < n; i++) out[i] = fromHalfBits(Number(src[i]) & 0xffff);
  else if (type === T.BFLOAT16) {
    // bf16 is the top half of an f32: widening is a shift.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = (Number(src[i]) & 0xffff) << 16;
  } else if (src instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  else if (src instanceof Float32Array) out.set(src);
  else for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  return out;
}

/** An INT attribute; present without a value means 0 (proto3 leaves zeros out of the encoding). */
function attrInt(node: ReadNode, name: string): number | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a ? (a.i ?? 0) : undefined;
}

export class OnnxConstants {
  private readonly initializers = new Map<string, ReadTensor>();
  private readonly producers = new Map<string, ReadNode>();
  private readonly memo = new Map<string, ConstValue | null>();
  private readonly resolving = new Set<string>();

  constructor(
    model: ReadModel,
    private readonly file: string,
  ) {
    const g = model.graph!;
    for (const t of g.initializer) if (t.name) this.initializers.set(t.name, t);
    for (const n of g.node) for (const o of n.output) if (o) this.producers.set(o, n);
  }

  /** Names that may hold a constant: initializers and the outputs of pass-through nodes. */
  *candidateNames(): Iterable<string> {
    yield* this.initializers.keys();
    for (const [name, node] of this.producers) if (PASS_THROUGH.has(node.op_type ?? '')) yield name;
  }

  /** The stored tensor behind `name` (through Identity only), without converting it. */
  private stored(name: string): ReadTensor | null {
    for (let hops = 0; hops < 64; hops++) {
      const t = this.initializers.get(name);
      if (t) return t;
      const node = this.producers.get(name);
      if (node?.op_type === 'Constant') return node.attribute.find((a) => a.name === 'value')?.t ?? null;
      if (node?.op_type !== 'Identity' || !node.input[0]) return null;
      name = node.input[0];
    }
    return null;
  }

  /** The dtype name of the tensor stored behind `name`, or null when it is computed. */
  storedType(name: string): string | null {
    const t = this.stored(name);
    return t ? dataTypeName(t.data_type ?? 0) : null;
  }

  /**
   * The float value `name` always has, or null when it depends on the inputs. Integer storage
   * used as a float (not through DequantizeLinear) is an error naming its dtype.
   */
  value(name: string): ConstValue | null {
    if (!name) return null;
    if (this.memo.has(name)) return this.memo.get(name)!;
    if (this.resolving.has(name)) throw new OnnxReadError(`${this.file}: the graph has a cycle through "${name}"`);
    this.resolving.add(name);
    try {
      const v = this.compute(name);
      this.memo.set(name, v);
      return v;
    } finally {
      this.resolving.delete(name);
    }
  }

  private compute(name: string): ConstValue | null {
    const init = this.initializers.get(name);
    if (init) return this.floatTensor(init, name);
    const node = this.producers.get(name);
    if (!node) return null;
    switch (node.op_type) {
      case 'Constant': {
        const t = node.attribute.find((a) => a.name === 'value')?.t;
        return t ? this.floatTensor(t, name) : null;
      }
      case 'Identity':
      case 'Cast':
        // A Cast between float types (fp16 exports with fp32 islands) keeps the values we want.
        return this.value(node.input[0]);
      case 'Transpose':
        return this.transposed(node);
      case 'DequantizeLinear':
        return this.dequantized(node);
      default:
        return null;
    }
  }

  private floatTensor(t: ReadTensor, name: string): ConstValue {
    const type = t.data_type ?? 0;
    if (!FLOATS.has(type)) {
      throw new OnnxReadError(
        `${this.file}: "${name}" is stored as ${dataTypeName(type)} and used as a float weight; expected ${SUPPORTED}`,
      );
    }
    return { shape: [...t.dims], data: tensorValues(t, this.file), storage: dataTypeName(type) };
  }

  private transposed(node: ReadNode): ConstValue | null {
    const v = this.value(node.input[0]);
    if (!v) return null;
    const perm = node.attribute.find((a) => a.name === 'perm')?.ints ?? [];
    if (v.shape.length !== 2 || (perm.length > 0 && !(perm[0] === 1 && perm[1] === 0))) {
      throw new OnnxReadError(`${this.file}: ${node.name ?? 'a Transpose node'} transposes a constant of shape [${v.shape.join(', ')}] by [${perm.join(', ')}]; only 2-D weights are read`);
    }
    const [r, c] = v.shape;
    return { shape: [c, r], data: transpose2d(v.data, r, c), storage: v.storage };
  }

  /** y = (q − zero_point) · scale, per tensor or per slice along `axis`, as onnxruntime computes it in float32. */
  private dequantized(node: ReadNode): ConstValue | null {
    const where = node.name || 'a DequantizeLinear node';
    const q = this.stored(node.input[0]);
    if (!q) return null;
    const qType = q.data_type ?? 0;
    if (!QUANTIZED.has(qType)) {
      throw new OnnxReadError(`${this.file}: ${where} expands ${dataTypeName(qType)} weights ("${node.input[0]}"); only INT8, UINT8 and INT32 are read`);
    }
    if ((attrInt(node, 'block_size') ?? 0) > 0) {
      throw new OnnxReadError(`${this.file}: ${where} uses blocked quantization (block_size); only per-tensor and per-axis scales are read`);
    }
    const scale = this.value(node.input[1]);
    if (!scale) return null;
    const zpTensor = node.input[2] ? this.stored(node.input[2]) : null;
    const zp = zpTensor ? tensorValues(zpTensor, this.file) : null;
    const values = tensorValues(q, this.file);
    const shape = [...q.dims];
    const perTensor = scale.data.length === 1;
    let axis = attrInt(node, 'axis') ?? 1;
    if (axis < 0) axis += shape.length;
    if (!perTensor && (axis < 0 || axis >= shape.length || shape[axis] !== scale.data.length)) {
      throw new OnnxReadError(`${this.file}: ${where} has ${scale.data.length} scales for axis ${axis} of [${shape.join(', ')}]`);
    }
    if (zp && zp.length !== scale.data.length) throw new OnnxReadError(`${this.file}: ${where} has ${zp.length} zero points for ${scale.data.length} scales`);
    let inner = 1;
    for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
    const channels = perTensor ? 1 : shape[axis];
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const c = perTensor ? 0 : Math.floor(i / inner) % channels;
      out[i] = (values[i] - (zp ? zp[c] : 0)) * scale.data[c];
    }
    return { shape, data: out, storage: `${dataTypeName(qType)} (DequantizeLinear)` };
  }
}

/** [rows, cols] row-major → [cols, rows]. */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}
