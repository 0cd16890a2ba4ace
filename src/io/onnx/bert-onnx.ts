import type { ParamLayout } from '../../engine/params.ts';
import type { BertDims } from '../../model/bert.ts';
import { GraphBuilder, valueInfo } from './graph-builder.ts';
import { toHalfArray } from './half.ts';
import { DataType, encodeModel, type DataTypeId } from './onnx-proto.ts';

/**
 * The BERT encoder as an ONNX graph (opset 17) for transformers.js and onnxruntime:
 * inputs input_ids / attention_mask / token_type_ids (int64 [batch_size, sequence_length]),
 * output last_hidden_state (float32 [batch_size, sequence_length, hidden]) — the I/O of
 * Optimum's feature-extraction export, so `pipeline('feature-extraction')` takes it unchanged.
 *
 * dtypes, named as transformers.js picks files (`dtype` → onnx/model{,_fp16,_quantized}.onnx):
 * - fp32: weights and compute in float32.
 * - fp16: weights and compute in float16, I/O kept int64 / float32 — what transformers.js'
 *   own conversion does (float16.convert_float_to_float16 with keep_io_types=True), so pooling
 *   code downstream sees float32. LayerNormalization keeps its default float32 stash.
 * - int8: weight-only quantization — every MatMul weight and the word-embedding table stored as
 *   symmetric int8 with one float32 scale per output channel (per row for the table), expanded
 *   by DequantizeLinear; compute stays float32, so the only error is the weight rounding.
 */
export type OnnxDtype = 'fp32' | 'fp16' | 'int8';

export const ONNX_OPSET = 17;
/** IR version 8 is the one that goes with opset 17 (onnx 1.12). */
const IR_VERSION = 8;
export const ONNX_FILES: Record<OnnxDtype, string> = { fp32: 'onnx/model.onnx', fp16: 'onnx/model_fp16.onnx', int8: 'onnx/model_quantized.onnx' };

/** Additive key mask: the most negative finite value, so exp() of a masked score underflows to exactly 0 (the engine uses -inf). */
const MASK_MIN: Record<OnnxDtype, number> = { fp32: -3.4028234663852886e38, fp16: -65504, int8: -3.4028234663852886e38 };

/** [rows, cols] row-major → [cols, rows]: HF Linear weights are [out, in], MatMul wants [in, out]. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

/** Symmetric int8 along `axis` of a 2-D [rows, cols] matrix: scale = max|w| / 127 per slice. */
function quantizeInt8(w: Float32Array, rows: number, cols: number, axis: 0 | 1): { q: Int8Array; scale: Float32Array } {
  const n = axis === 0 ? rows : cols;
  const scale = new Float32Array(n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = axis === 0 ? r : c;
      scale[k] = Math.max(scale[k], Math.abs(w[r * cols + c]));
    }
  }
  for (let k = 0; k < n; k++) scale[k] = scale[k] > 0 ? scale[k] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.round(w[r * cols + c] / scale[axis === 0 ? r : c]);
  }
  return { q, scale };
}

class BertGraph {
  readonly g = new GraphBuilder();
  readonly compute: DataTypeId;

  constructor(
    private readonly layout: ParamLayout,
    private readonly params: Float32Array,
    private readonly dtype: OnnxDtype,
  ) {
    this.compute = dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  }

  private values(name: string): { data: Float32Array; shape: readonly number[] } {
    const e = this.layout.entry(name);
    return { data: this.params.subarray(e.offset, e.offset + e.size), shape: e.shape };
  }

  /** A float constant in the compute type. */
  floatTensor(name: string, dims: readonly number[], data: Float32Array): string {
    return this.dtype === 'fp16'
      ? this.g.initializer(name, DataType.FLOAT16, dims, toHalfArray(data))
      : this.g.initializer(name, DataType.FLOAT, dims, data);
  }

  scalar(name: string, value: number): string {
    return this.floatTensor(name, [], Float32Array.of(value));
  }

  param(name: string): string {
    const { data, shape } = this.values(name);
    return this.floatTensor(name, shape, data);
  }

  /** The word-embedding table, dequantized row by row in int8 mode. */
  table(name: string): string {
    const { data, shape } = this.values(name);
    if (this.dtype !== 'int8') return this.floatTensor(name, shape, data);
    const { q, scale } = quantizeInt8(data, shape[0], shape[1], 0);
    const qName = this.g.initializer(`${name}_quantized`, DataType.INT8, shape, q);
    const sName = this.g.initializer(`${name}_scale`, DataType.FLOAT, [shape[0]], scale);
    return this.g.op('DequantizeLinear', [qName, sName], { axis: { int: 0 } }, `${name}/DequantizeLinear`);
  }

  /** x · Wᵀ + b for HF weights named `${prefix}.weight` [out, in] (several concatenated rows = one fused projection). */
  linear(x: string, weight: { name: string; data: Float32Array; out: number; inF: number }, bias: string): string {
    const wt = transpose(weight.data, weight.out, weight.inF);
    let w: string;
    if (this.dtype === 'int8') {
      const { q, scale } = quantizeInt8(wt, weight.inF, weight.out, 1);
      const qName = this.g.initializer(`${weight.name}_quantized`, DataType.INT8, [weight.inF, weight.out], q);
      const sName = this.g.initializer(`${weight.name}_scale`, DataType.FLOAT, [weight.out], scale);
      w = this.g.op('DequantizeLinear', [qName, sName], { axis: { int: 1 } }, `${weight.name}/DequantizeLinear`);
    } else {
      w = this.floatTensor(weight.name, [weight.inF, weight.out], wt);
    }
    return this.g.op('Add', [this.g.op('MatMul', [x, w], {}, `${weight.name}/MatMul`), bias], {}, `${weight.name}/Add`);
  }

  /** A Linear whose weight is one layout entry. */
  dense(x: string, prefix: string): string {
    const { data, shape } = this.values(`${prefix}.weight`);
    return this.linear(x, { name: `${prefix}.weight`, data, out: shape[0], inF: shape[1] }, this.param(`${prefix}.bias`));
  }

  layerNorm(x: string, prefix: string, eps: number): string {
    return this.g.op('LayerNormalization', [x, this.param(`${prefix}.weight`), this.param(`${prefix}.bias`)], { axis: { int: -1 }, epsilon: { float: eps } }, prefix);
  }
}

export function writeBertOnnx(layout: ParamLayout, params: Float32Array, dims: BertDims, dtype: OnnxDtype): Uint8Array {
  if (params.length < layout.totalSize) throw new Error(`parameter buffer has ${params.length} values, layout needs ${layout.totalSize}`);
  const H = dims.hiddenSize, NH = dims.numHeads, D = H / NH;
  if (!Number.isInteger(D)) throw new Error(`hidden_size ${H} is not a multiple of num_attention_heads ${NH}`);
  const b = new BertGraph(layout, params, dtype);
  const g = b.g;

  // Embeddings: word + position (the first T rows of the table) + token type, then LayerNorm.
  const words = g.op('Gather', [b.table('embeddings.word_embeddings.weight'), 'input_ids'], { axis: { int: 0 } }, 'embeddings/word');
  const seqLen = g.op('Shape', ['input_ids'], { start: { int: 1 }, end: { int: 2 } }, 'embeddings/seq_len');
  const positions = g.op('Slice', [b.param('embeddings.position_embeddings.weight'), g.int64('zero', [0]), seqLen, g.int64('axis0', [0])], {}, 'embeddings/position');
  const types = g.op('Gather', [b.param('embeddings.token_type_embeddings.weight'), 'token_type_ids'], { axis: { int: 0 } }, 'embeddings/token_type');
  let x = g.op('Add', [g.op('Add', [words, positions], {}, 'embeddings/add'), types], {}, 'embeddings/add');
  x = b.layerNorm(x, 'embeddings.LayerNorm', dims.layerNormEps);

  // [B, T] → additive [B, 1, 1, T]: 0 for real keys, MASK_MIN for padding.
  const mask4 = g.op('Cast', [g.op('Unsqueeze', ['attention_mask', g.int64('mask_axes', [1, 2])], {}, 'mask/unsqueeze')], { to: { int: b.compute } }, 'mask/cast');
  const one = b.scalar('one', 1);
  const maskAdd = g.op('Mul', [g.op('Sub', [one, mask4], {}, 'mask/invert'), b.scalar('mask_min', MASK_MIN[dtype])], {}, 'mask/scale');

  const headShape = g.int64('head_shape', [0, 0, NH, D]);
  const hiddenShape = g.int64('hidden_shape', [0, 0, H]);
  const split = g.int64('qkv_split', [H, H, H]);
  const qScale = b.scalar('attention_scale', 1 / Math.sqrt(D));
  const sqrt2 = b.scalar('sqrt2', Math.SQRT2);
  const half = b.scalar('half', 0.5);

  for (let i = 0; i < dims.numLayers; i++) {
    const L = `encoder.layer.${i}`;
    const qkvGroup = layout.groups.get(`${L}.attention.self.qkv.weight`);
    if (!qkvGroup) throw new Error(`layout has no fused qkv group for layer ${i}`);
    const qkvWeight = { name: `${L}.attention.self.qkv.weight`, data: params.subarray(qkvGroup.offset, qkvGroup.offset + qkvGroup.size), out: 3 * H, inF: H };
    const qkvBiasGroup = layout.groups.get(`${L}.attention.self.qkv.bias`)!;
    const qkvBias = b.floatTensor(`${L}.attention.self.qkv.bias`, [3 * H], params.subarray(qkvBiasGroup.offset, qkvBiasGroup.offset + 3 * H));
    const qkv = b.linear(x, qkvWeight, qkvBias);
    const [q, k, v] = g.opN('Split', [qkv, split], 3, { axis: { int: 2 } }, `${L}/attention/split`);
    const heads = (t: string, perm: number[], n: string) =>
      g.op('Transpose', [g.op('Reshape', [t, headShape], {}, `${L}/attention/${n}/reshape`)], { perm: { ints: perm } }, `${L}/attention/${n}/transpose`);
    // Scaling q before the product keeps fp16 scores in range.
    const qh = g.op('Mul', [heads(q, [0, 2, 1, 3], 'query'), qScale], {}, `${L}/attention/query/scale`);
    const kh = heads(k, [0, 2, 3, 1], 'key');
    const vh = heads(v, [0, 2, 1, 3], 'value');
    const scores = g.op('Add', [g.op('MatMul', [qh, kh], {}, `${L}/attention/scores`), maskAdd], {}, `${L}/attention/mask`);
    const probs = g.op('Softmax', [scores], { axis: { int: -1 } }, `${L}/attention/softmax`);
    const ctx4 = g.op('MatMul', [probs, vh], {}, `${L}/attention/context`);
    const ctx = g.op('Reshape', [g.op('Transpose', [ctx4], { perm: { ints: [0, 2, 1, 3] } }, `${L}/attention/context/transpose`), hiddenShape], {}, `${L}/attention/context/reshape`);
    const attnOut = b.dense(ctx, `${L}.attention.output.dense`);
    x = b.layerNorm(g.op('Add', [attnOut, x], {}, `${L}/attention/residual`), `${L}.attention.output.LayerNorm`, dims.layerNormEps);

    // Exact GELU (hidden_act "gelu" in transformers): x · ½ · (1 + erf(x / √2)).
    const inner = b.dense(x, `${L}.intermediate.dense`);
    const erf = g.op('Erf', [g.op('Div', [inner, sqrt2], {}, `${L}/gelu/div`)], {}, `${L}/gelu/erf`);
    const gelu = g.op('Mul', [g.op('Mul', [inner, g.op('Add', [erf, one], {}, `${L}/gelu/add`)], {}, `${L}/gelu/mul`), half], {}, `${L}/gelu/half`);
    const ffnOut = b.dense(gelu, `${L}.output.dense`);
    x = b.layerNorm(g.op('Add', [ffnOut, x], {}, `${L}/output/residual`), `${L}.output.LayerNorm`, dims.layerNormEps);
  }
  if (dtype === 'fp16') g.op('Cast', [x], { to: { int: DataType.FLOAT } }, 'output/cast');
  g.renameLastOutput('last_hidden_state');

  const io = (name: string) => valueInfo(name, DataType.INT64, ['batch_size', 'sequence_length']);
  return encodeModel({
    ir_version: IR_VERSION,
    producer_name: 'embedding-studio',
    producer_version: '0.1.0',
    doc_string: `BERT encoder (${dims.numLayers} layers, hidden ${H}, ${NH} heads), ${dtype}`,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: 'bert_encoder',
      node: g.nodes,
      initializer: g.initializers,
      input: [io('input_ids'), io('attention_mask'), io('token_type_ids')],
      output: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch_size', 'sequence_length', H])],
    },
  });
}
