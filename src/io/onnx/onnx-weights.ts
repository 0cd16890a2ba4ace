import type { NamedTensor } from '../../model/weights.ts';
import { OnnxConstants, transpose2d, type ConstValue } from './onnx-constants.ts';
import { OnnxReadError, readModel, type ReadNode } from './onnx-proto.ts';

/**
 * BERT weights out of an ONNX file, under the names model.safetensors uses
 * (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, …).
 *
 * Exporters keep the names of embeddings, LayerNorm parameters and biases, but store each Linear
 * weight as an anonymous [in, out] initializer (`onnx::MatMul_314`) feeding a MatMul. So:
 * - Linear weights come only from the graph: a MatMul (or Gemm) with a constant operand; the
 *   module is named by the bias its output is added to (`….query.bias`), else by the weight's or
 *   the node's own name; the weight is transposed back to [out, in]. A named [in, out] weight is
 *   never taken by its name alone: for square matrices the shape could not tell the orientation.
 * - Everything else is taken by name, wherever the name sits (initializer, Identity output, …),
 *   after dropping the wrapper's prefix (`m.`, `bert.`, `/m/…`).
 * - Word and token-type tables may also be found as the Gather fed by input_ids / token_type_ids
 *   (quantized tables sit behind a DequantizeLinear with a derived name).
 * Our own export fuses query/key/value into one `attention.self.qkv` projection; it is split here.
 */

export interface OnnxWeights {
  readonly tensors: Map<string, NamedTensor>;
  /** How the weights were stored, e.g. ["FLOAT"], ["FLOAT16"], ["FLOAT", "INT8 (DequantizeLinear)"]. */
  readonly storage: readonly string[];
  /** Operators from outside the standard domain (onnxruntime's fused Attention, SkipLayerNormalization…). */
  readonly contribOps: readonly string[];
}

const LINEAR = /^(?:encoder\.layer\.\d+\.(?:attention\.self\.(?:query|key|value|qkv)|attention\.output\.dense|intermediate\.dense|output\.dense)|pooler\.dense)$/;
const NAMED = new RegExp(
  '^(?:embeddings\\.(?:word_embeddings|position_embeddings|token_type_embeddings)\\.weight' +
    '|(?:embeddings|encoder\\.layer\\.\\d+\\.(?:attention\\.output|output))\\.LayerNorm\\.(?:weight|bias)' +
    '|(?:encoder\\.layer\\.\\d+\\.(?:attention\\.self\\.(?:query|key|value|qkv)|attention\\.output\\.dense|intermediate\\.dense|output\\.dense)|pooler\\.dense)\\.bias)$',
);
/** Integer matmuls: their weights need the activations' scales too, which this reader does not follow. */
const INTEGER_MATMULS = new Set(['MatMulInteger', 'QLinearMatMul', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'MatMulNBits', 'QAttention']);

/** "m.encoder.layer.0.attention.self.query.bias", "/m/encoder/layer.0/…/MatMul" → from "embeddings."/"encoder."/"pooler." on. */
export function canonicalName(raw: string): string | null {
  const s = raw.replaceAll('/', '.');
  const m = /(?:^|\.)((?:embeddings|encoder|pooler)\..*)$/.exec(s);
  return m ? m[1] : null;
}

/** The Linear module a name points at: "….query.bias" / "….query.weight" / "….query.MatMul" → "….query". */
function linearModule(raw: string | undefined): string | null {
  if (!raw) return null;
  const name = canonicalName(raw);
  if (!name) return null;
  const module = name.replace(/\.(?:bias|weight(?:_quantized)?)(?:\..*)?$/, '').replace(/\.(?:MatMul|Gemm|Add)(?:_\d+)?(?:_output_\d+)?$/, '');
  return LINEAR.test(module) ? module : null;
}

class WeightMap {
  readonly tensors = new Map<string, NamedTensor>();
  readonly storage = new Set<string>();
  private readonly from = new Map<string, string>();

  constructor(private readonly file: string) {}

  put(name: string, value: { shape: readonly number[]; data: Float32Array }, storage: string, origin: string): void {
    const prior = this.tensors.get(name);
    if (prior) {
      if (prior.data !== value.data && !sameValues(prior.data, value.data)) {
        throw new OnnxReadError(`${this.file}: ${name} is found twice with different values (${this.from.get(name)} and ${origin})`);
      }
      return;
    }
    this.tensors.set(name, { shape: [...value.shape], data: value.data });
    this.from.set(name, origin);
    this.storage.add(storage);
  }

  /** A module's weight [out, in] and bias [out]; our fused qkv is cut into query, key and value. */
  putLinear(module: string, weight: ConstValue & { shape: readonly [number, number] }, bias: ConstValue | null, origin: string): void {
    if (!module.endsWith('.qkv')) {
      this.put(`${module}.weight`, weight, weight.storage, origin);
      if (bias) this.put(`${module}.bias`, bias, bias.storage, origin);
      return;
    }
    const [out, inF] = weight.shape;
    if (out % 3 !== 0) throw new OnnxReadError(`${this.file}: ${module} has ${out} outputs, not three equal parts (query, key, value)`);
    const h = out / 3;
    const base = module.slice(0, -'.qkv'.length);
    (['query', 'key', 'value'] as const).forEach((part, k) => {
      this.put(`${base}.${part}.weight`, { shape: [h, inF], data: weight.data.slice(k * h * inF, (k + 1) * h * inF) }, weight.storage, origin);
      if (bias) this.put(`${base}.${part}.bias`, { shape: [h], data: bias.data.slice(k * h, (k + 1) * h) }, bias.storage, origin);
    });
  }
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A numeric attribute or its default; present without a value means 0 (proto3 leaves zeros out of the encoding). */
function attr(node: ReadNode, name: string, fallback: number): number {
  const a = node.attribute.find((x) => x.name === name);
  return a ? (a.i ?? a.f ?? 0) : fallback;
}

function is2d(v: ConstValue | null): v is ConstValue & { shape: readonly [number, number] } {
  return v !== null && v.shape.length === 2;
}

/** Reads the initializers of an ONNX BERT encoder (see the comment at the top). `file` names it in errors. */
export function readOnnxWeights(bytes: Uint8Array, file: string): OnnxWeights {
  const model = readModel(bytes, file);
  const nodes = model.graph!.node;
  const consts = new OnnxConstants(model, file);
  const weights = new WeightMap(file);
  const consumers = new Map<string, ReadNode[]>();
  for (const n of nodes) for (const i of n.input) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const contribOps = [...new Set(nodes.filter((n) => n.domain && n.domain !== 'ai.onnx').map((n) => `${n.domain}.${n.op_type}`))];

  for (const n of nodes) {
    if (INTEGER_MATMULS.has(n.op_type ?? '')) {
      const w = n.input.slice(1).find((i) => consts.storedType(i) !== null) ?? n.input[1];
      const type = (w && consts.storedType(w)) ?? 'integer';
      throw new OnnxReadError(
        `${file}: ${n.name || n.op_type} multiplies by ${type} weights through ${n.op_type} (dynamic quantization, as in model_quantized.onnx); ` +
          'this reader takes FLOAT, FLOAT16, BFLOAT16 and DequantizeLinear-quantized INT8/UINT8 weights — use onnx/model.onnx or onnx/model_fp16.onnx',
      );
    }
  }

  // 1. Linear layers from the graph.
  for (const n of nodes) {
    if (n.op_type === 'MatMul') {
      const w = consts.value(n.input[1]);
      if (!is2d(w)) continue;
      const [inF, out] = w.shape;
      let bias: ConstValue | null = null;
      let biasName: string | undefined;
      let add: ReadNode | undefined;
      for (const c of consumers.get(n.output[0]) ?? []) {
        if (c.op_type !== 'Add') continue;
        const other = c.input[0] === n.output[0] ? c.input[1] : c.input[0];
        const v = consts.value(other);
        if (v && v.data.length === out && v.shape.length === 1) [bias, biasName, add] = [v, other, c];
      }
      const module = linearModule(biasName) ?? linearModule(n.input[1]) ?? linearModule(n.name) ?? linearModule(add?.name);
      if (!module) continue;
      const weight = { shape: [out, inF] as const, data: transpose2d(w.data, inF, out), storage: w.storage };
      weights.putLinear(module, weight, bias, n.name || n.input[1]);
    } else if (n.op_type === 'Gemm') {
      const b = consts.value(n.input[1]);
      if (!is2d(b)) continue;
      if (attr(n, 'alpha', 1) !== 1 || attr(n, 'beta', 1) !== 1 || attr(n, 'transA', 0) !== 0) {
        throw new OnnxReadError(`${file}: ${n.name || 'a Gemm node'} scales or transposes its input (alpha/beta/transA); only plain x·Wᵀ + b is read`);
      }
      const transB = attr(n, 'transB', 0) === 1;
      const [out, inF] = transB ? b.shape : [b.shape[1], b.shape[0]];
      const weight = { shape: [out, inF] as const, data: transB ? b.data : transpose2d(b.data, b.shape[0], b.shape[1]), storage: b.storage };
      const c = consts.value(n.input[2] ?? '');
      const bias = c && c.data.length === out ? c : null;
      const module = linearModule(n.input[2]) ?? linearModule(n.input[1]) ?? linearModule(n.name);
      if (module) weights.putLinear(module, weight, bias, n.name || n.input[1]);
    }
  }

  // 2. Everything else by name.
  for (const raw of consts.candidateNames()) {
    const name = canonicalName(raw);
    if (!name || !NAMED.test(name)) continue;
    const v = consts.value(raw);
    if (!v) continue;
    if (name.endsWith('.qkv.bias')) {
      const h = v.data.length / 3;
      (['query', 'key', 'value'] as const).forEach((p, k) =>
        weights.put(name.replace('.qkv.', `.${p}.`), { shape: [h], data: v.data.slice(k * h, (k + 1) * h) }, v.storage, raw),
      );
    } else weights.put(name, v, v.storage, raw);
  }

  // 3. Tables by what indexes them, and LayerNorm parameters by their node's name, for what names missed.
  for (const n of nodes) {
    if (n.op_type === 'Gather') {
      const table = n.input[1] === 'input_ids' ? 'word_embeddings' : n.input[1] === 'token_type_ids' ? 'token_type_embeddings' : null;
      const v = table ? consts.value(n.input[0]) : null;
      if (table && is2d(v) && !weights.tensors.has(`embeddings.${table}.weight`)) weights.put(`embeddings.${table}.weight`, v, v.storage, n.name || n.input[0]);
    } else if (n.op_type === 'LayerNormalization') {
      const module = canonicalName(n.name ?? '')?.replace(/\.LayerNormalization(?:_\d+)?$/, '');
      if (!module || !NAMED.test(`${module}.weight`)) continue;
      for (const [k, part] of [[1, 'weight'], [2, 'bias']] as const) {
        const v = consts.value(n.input[k] ?? '');
        if (v && !weights.tensors.has(`${module}.${part}`)) weights.put(`${module}.${part}`, v, v.storage, n.name ?? module);
      }
    }
  }

  return { tensors: weights.tensors, storage: [...weights.storage].sort(), contribOps };
}
