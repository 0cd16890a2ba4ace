import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../engine/cpu/cpu-backend.ts';
import { Graph } from '../../engine/graph.ts';
import type { TokenBatch } from '../../model/bert.ts';
import { loadSentenceModel, type LoadedModel } from '../load-model.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR, readReference, type TinyBertReference } from '../../../test/support/tiny-bert.ts';
import { folderFiles } from '../folder-files.ts';
import { writeBertOnnx, type OnnxDtype } from './bert-onnx.ts';
import { fromHalfBits, toHalfBits } from './half.ts';
import { DataType, decodeModel } from './onnx-proto.ts';

/**
 * Our ONNX writer against our engine (the engine is checked against sentence-transformers in
 * src/model/reference-parity.test.ts), and the fixture's torch-exported model.onnx against the
 * engine, all through onnxruntime-node.
 */
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function referenceBatch(ref: TinyBertReference): TokenBatch {
  const ids = ref.input_ids.flat();
  return {
    batchSize: ref.input_ids.length,
    seqLength: ref.input_ids[0].length,
    inputIds: Int32Array.from(ids),
    attentionMask: Int32Array.from(ref.attention_mask.flat()),
    tokenTypeIds: new Int32Array(ids.length),
  };
}

async function runOnnx(bytes: Uint8Array, batch: TokenBatch): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const t = (v: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(v, (x) => BigInt(x)), [batch.batchSize, batch.seqLength]);
  const out = await session.run({ input_ids: t(batch.inputIds), attention_mask: t(batch.attentionMask), token_type_ids: t(batch.tokenTypeIds) });
  const hidden = out.last_hidden_state;
  expect(hidden.type).toBe('float32');
  await session.release();
  return hidden.data as Float32Array;
}

/** Mean pooling + L2 normalisation (the fixture's modules) of [B*T, H] hidden states. */
function meanNormalized(hidden: Float32Array, batch: TokenBatch, H: number): Float32Array {
  const { batchSize: B, seqLength: T } = batch;
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    let n = 0;
    const row = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      if (!batch.attentionMask[b * T + t]) continue;
      n++;
      for (let h = 0; h < H; h++) row[h] += hidden[(b * T + t) * H + h];
    }
    const norm = Math.hypot(...row.map((v) => v / n));
    for (let h = 0; h < H; h++) out[b * H + h] = row[h] / n / norm;
  }
  return out;
}

describe('float16 bits', () => {
  it('round-trips and rounds like numpy', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00); // rounds up to Inf
    expect(toHalfBits(2 ** -24)).toBe(1); // smallest subnormal
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    for (const v of [0.1, -3.14159, 1e-4, 1234.5]) expect(Math.abs(fromHalfBits(toHalfBits(v)) - v) / Math.abs(v)).toBeLessThan(2 ** -11);
  });
});

describe.skipIf(!HAVE_FIXTURES)('BERT ONNX export (tiny-bert fixture, onnxruntime-node)', () => {
  let loaded: LoadedModel;
  let ref: TinyBertReference;
  let batch: TokenBatch;
  let engineTokens: Float32Array;
  let engineSentences: Float32Array;
  let params: Float32Array;

  beforeAll(async () => {
    ref = readReference();
    const backend = new CpuBackend();
    loaded = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
    batch = referenceBatch(ref);
    const g = new Graph(backend, false);
    engineTokens = await backend.read(loaded.model.encoder.forward(g, batch, () => 0).value);
    backend.endStep();
    engineSentences = meanNormalized(engineTokens, batch, loaded.model.dimension);
    params = await loaded.model.store.readParams();
  });

  it('writes a well-formed opset-17 model with symbolic batch and sequence dims', () => {
    const m = decodeModel(writeBertOnnx(loaded.layout, params, loaded.model.dims, 'fp32'));
    expect(m.opset_import.map((o) => [o.domain ?? '', o.version])).toEqual([['', 17]]);
    expect(m.graph.input.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(m.graph.input[0].type.tensor_type).toEqual({ elem_type: DataType.INT64, shape: { dim: [{ dim_param: 'batch_size' }, { dim_param: 'sequence_length' }] } });
    expect(m.graph.output[0].name).toBe('last_hidden_state');
    const ops = new Set(m.graph.node.map((n) => n.op_type));
    for (const op of ['LayerNormalization', 'Erf', 'Softmax', 'MatMul', 'Gather']) expect(ops).toContain(op);
  });

  it('fp32 matches the engine token embeddings (padding included) to 1e-4', async () => {
    const got = await runOnnx(writeBertOnnx(loaded.layout, params, loaded.model.dims, 'fp32'), batch);
    const err = maxAbs(got, engineTokens);
    console.info(`ONNX fp32 vs engine: token embeddings max-abs ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
  });

  // Measured on tiny-bert with onnxruntime-node (CPU): fp16 1.27e-4, int8 9.9e-4 (per-channel weight
  // rounding); each bound is 5× its measured error, so a rounding or cast defect (a weight stored
  // in the wrong precision, a missing Cast) fails. The page's own check (ONNX_TOLERANCE) stays wider
  // for GPUs that really compute in fp16; this test runs on ORT's CPU provider, which does not.
  const bounds: Record<Exclude<OnnxDtype, 'fp32'>, number> = { fp16: 6.5e-4, int8: 5e-3 };
  it.each(['fp16', 'int8'] as const)('%s matches the engine sentence embeddings within its bound', async (dtype) => {
    const bytes = writeBertOnnx(loaded.layout, params, loaded.model.dims, dtype);
    const m = decodeModel(bytes);
    const weightType = m.graph.initializer.find((t) => t.name.startsWith('encoder.layer.0.intermediate.dense.weight'))!.data_type;
    expect(weightType).toBe(dtype === 'fp16' ? DataType.FLOAT16 : DataType.INT8);
    const got = meanNormalized(await runOnnx(bytes, batch), batch, loaded.model.dimension);
    const err = maxAbs(got, engineSentences);
    console.info(`ONNX ${dtype} vs engine: normalized sentence embeddings max-abs ${err.toExponential(2)} (file ${(bytes.length / 1024).toFixed(0)} KiB)`);
    expect(err).toBeLessThan(bounds[dtype]);
  });

  it("the fixture's torch-exported onnx/model.onnx agrees with the engine", async () => {
    const bytes = new Uint8Array(readFileSync(path.join(TINY_BERT_MODEL_DIR, 'onnx/model.onnx')));
    const err = maxAbs(await runOnnx(bytes, batch), engineTokens);
    console.info(`fixture model.onnx vs engine: token embeddings max-abs ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
  });
});
