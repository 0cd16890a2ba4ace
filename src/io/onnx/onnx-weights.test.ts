import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSpecificError, fc, fuzz, memoryModelFiles, readTree, thrown } from '../../../test/support/fuzz.ts';
import { HAVE_FIXTURES, SKIP_REASON, TINY_BERT_MODEL_DIR, readReference, maxRelativeError } from '../../../test/support/tiny-bert.ts';
import { CpuBackend } from '../../engine/cpu/cpu-backend.ts';
import { ParamLayout } from '../../engine/params.ts';
import { SeededRandom } from '../../engine/rng.ts';
import { bertParamGroups, type BertDims } from '../../model/bert.ts';
import { loadSentenceModel, type LoadedModel } from '../load-model.ts';
import { packWeights } from '../../model/weights.ts';
import { folderFiles } from '../folder-files.ts';
import { parseSafetensors } from '../safetensors.ts';
import { zipFiles } from '../zip-files.ts';
import { writeBertOnnx } from './bert-onnx.ts';
import { GraphBuilder, tensor } from './graph-builder.ts';
import { fromHalfBits, toHalfBits } from './half.ts';
import { DataType, OnnxReadError, encodeModel, type DataTypeId, type TensorJson } from './onnx-proto.ts';
import { canonicalName, readOnnxWeights } from './onnx-weights.ts';

/**
 * Loading a model whose only weights are an ONNX file: the fixture's torch/optimum export (named
 * biases, anonymous transposed MatMul weights, Identity aliases of deduplicated tensors), our own
 * fp32 / fp16 / int8 exports (fused qkv, DequantizeLinear), the other tensor encodings exporters
 * use, and files that are damaged or use what this reader does not take.
 */
if (!HAVE_FIXTURES) console.warn(SKIP_REASON);

const DIMS: BertDims = {
  vocabSize: 23, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 12, maxPositions: 10, typeVocabSize: 2,
  layerNormEps: 1e-12, hiddenDropout: 0, attentionDropout: 0,
};
const LAYOUT = new ParamLayout(bertParamGroups(DIMS));

/** Random weights everywhere (biases and LayerNorm too), so a mix-up between any two parameters shows. */
function randomParams(layout: ParamLayout, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: layout.totalSize }, () => (rng.next() - 0.5) * 2);
}

function readBack(bytes: Uint8Array, layout = LAYOUT): Float32Array {
  return packWeights(layout, readOnnxWeights(bytes, 'test.onnx').tensors, 'test.onnx');
}

/** The largest |a − b| over one layout entry. */
function entryDiff(layout: ParamLayout, a: Float32Array, b: Float32Array, name: string): number {
  const e = layout.entry(name);
  let d = 0;
  for (let i = e.offset; i < e.offset + e.size; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('readOnnxWeights on our own exports', () => {
  const params = randomParams(LAYOUT, 7);

  it('fp32: every parameter comes back bit for bit (fused qkv split, MatMul weights transposed back)', () => {
    const got = readBack(writeBertOnnx(LAYOUT, params, DIMS, 'fp32'));
    for (const e of LAYOUT.entries) expect(entryDiff(LAYOUT, got, params, e.name), e.name).toBe(0);
    expect(readOnnxWeights(writeBertOnnx(LAYOUT, params, DIMS, 'fp32'), 'x').storage).toEqual(['FLOAT']);
  });

  it('fp16: every parameter is exactly its float16 rounding (so within 2^-11 relative)', () => {
    const bytes = writeBertOnnx(LAYOUT, params, DIMS, 'fp16');
    const got = readBack(bytes);
    for (const e of LAYOUT.entries) {
      for (let i = e.offset; i < e.offset + e.size; i++) {
        expect(got[i], e.name).toBe(Math.fround(fromHalfBits(toHalfBits(params[i]))));
        expect(Math.abs(got[i] - params[i])).toBeLessThanOrEqual(2 ** -11 * Math.abs(params[i]) + 2 ** -25);
      }
    }
    expect(readOnnxWeights(bytes, 'x').storage).toEqual(['FLOAT16']);
  });

  it('int8: DequantizeLinear weights within half a quantization step, the rest exact', () => {
    const bytes = writeBertOnnx(LAYOUT, params, DIMS, 'int8');
    const read = readOnnxWeights(bytes, 'x');
    expect(read.storage).toEqual(['FLOAT', 'INT8 (DequantizeLinear)']);
    const got = packWeights(LAYOUT, read.tensors, 'x');
    for (const e of LAYOUT.entries) {
      const d = entryDiff(LAYOUT, got, params, e.name);
      const quantized = e.name === 'embeddings.word_embeddings.weight' || (e.name.startsWith('encoder.') && e.name.endsWith('.weight') && !e.name.includes('LayerNorm'));
      // Symmetric int8 with scale max|w| / 127 per channel: the rounding error is at most scale / 2 ≤ 1 / 254 here.
      if (quantized) expect(d, e.name).toBeLessThanOrEqual(1 / 254 + 1e-7);
      else expect(d, e.name).toBe(0);
    }
  });

  it('finds names behind wrapper prefixes and node paths', () => {
    expect(canonicalName('m.embeddings.word_embeddings.weight')).toBe('embeddings.word_embeddings.weight');
    expect(canonicalName('bert.encoder.layer.3.output.dense.bias')).toBe('encoder.layer.3.output.dense.bias');
    expect(canonicalName('/m/encoder/layer.0/attention/self/query/MatMul')).toBe('encoder.layer.0.attention.self.query.MatMul');
    expect(canonicalName('onnx::MatMul_314')).toBeNull();
  });
});

/** A float tensor stored in a typed field (float_data, double_data, int32_data) rather than raw_data. */
function typedTensor(name: string, type: number, dims: number[], field: 'float_data' | 'double_data' | 'int32_data', values: number[]): TensorJson {
  return { name, dims, data_type: type as DataTypeId, raw_data: new Uint8Array(0), [field]: values } as TensorJson;
}

function model(g: GraphBuilder, extra: TensorJson[] = []): Uint8Array {
  return encodeModel({
    ir_version: 8, producer_name: 'test', producer_version: '0', opset_import: [{ domain: '', version: 17 }],
    graph: { name: 'g', node: g.nodes, initializer: [...g.initializers, ...extra], input: [], output: [] },
  });
}

describe('readOnnxWeights on other encodings', () => {
  it('reads Gemm (transB) with float_data, DOUBLE and BFLOAT16 biases, and uint8 DequantizeLinear with zero points', () => {
    const g = new GraphBuilder();
    // intermediate.dense as Gemm: W [out=3, in=2] in float_data, bias DOUBLE.
    g.op('Gemm', ['x', 'W1', 'bert.encoder.layer.0.intermediate.dense.bias'], { transB: { int: 1 } }, 'gemm');
    // output.dense as MatMul(x, DequantizeLinear(q [in=3, out=2] uint8, scale [2], zero point [2])) + BF16 bias.
    const dq = g.op('DequantizeLinear', ['q', 'scale', 'zp'], { axis: { int: 1 } }, 'dq');
    const mm = g.op('MatMul', ['h', dq], {}, 'mm');
    g.op('Add', ['bert.encoder.layer.0.output.dense.bias', mm], {}, 'add');
    const bf16 = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0] >>> 16;
    const bytes = model(g, [
      typedTensor('W1', DataType.FLOAT, [3, 2], 'float_data', [1, 2, 3, 4, 5, 6]),
      typedTensor('bert.encoder.layer.0.intermediate.dense.bias', 11, [3], 'double_data', [0.5, -0.5, 0.25]),
      tensor('q', DataType.UINT8, [3, 2], Uint8Array.of(128, 130, 120, 128, 0, 255)),
      tensor('scale', DataType.FLOAT, [2], Float32Array.of(0.5, 0.25)),
      tensor('zp', DataType.UINT8, [2], Uint8Array.of(128, 128)),
      typedTensor('bert.encoder.layer.0.output.dense.bias', 16, [2], 'int32_data', [bf16(1.5), bf16(-2)]),
    ]);
    const r = readOnnxWeights(bytes, 'other.onnx');
    const get = (n: string) => Array.from(r.tensors.get(n)?.data ?? []);
    expect(r.tensors.get('encoder.layer.0.intermediate.dense.weight')?.shape).toEqual([3, 2]);
    expect(get('encoder.layer.0.intermediate.dense.weight')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(get('encoder.layer.0.intermediate.dense.bias')).toEqual([0.5, -0.5, 0.25]);
    // (q − 128) · scale per output column, then transposed to [out, in].
    expect(r.tensors.get('encoder.layer.0.output.dense.weight')?.shape).toEqual([2, 3]);
    expect(get('encoder.layer.0.output.dense.weight')).toEqual([0, -4, -64, 0.5, 0, 31.75]);
    expect(get('encoder.layer.0.output.dense.bias')).toEqual([1.5, -2]);
    expect(r.storage).toEqual(['BFLOAT16', 'DOUBLE', 'FLOAT', 'UINT8 (DequantizeLinear)']);
  });
});

describe('readOnnxWeights on damaged and unsupported files', () => {
  const good = writeBertOnnx(LAYOUT, randomParams(LAYOUT, 3), DIMS, 'fp32');
  const refuse = (bytes: Uint8Array, ...mentions: string[]) => {
    const err = thrown(() => readOnnxWeights(bytes, 'models/x/onnx/model.onnx'));
    expectSpecificError(err, [OnnxReadError], ['models/x/onnx/model.onnx']);
    for (const m of mentions) expect(err.message).toContain(m);
    return err.message;
  };

  it('names the file and what was expected: empty, truncated, not ONNX', () => {
    refuse(new Uint8Array(0), 'empty', 'expected an ONNX ModelProto');
    refuse(good.subarray(0, Math.floor(good.length / 2)), 'not a readable ONNX model', 'truncated');
    refuse(new TextEncoder().encode('{"not": "onnx"}'), 'expected an ONNX ModelProto');
    const safetensors = new Uint8Array(16);
    new DataView(safetensors.buffer).setBigUint64(0, 2n, true);
    safetensors.set(new TextEncoder().encode('{}'), 8);
    refuse(safetensors, 'ONNX');
  });

  it('checks every tensor size against its shape before allocating', () => {
    const g = new GraphBuilder();
    const short = g.initializer('embeddings.LayerNorm.weight', DataType.FLOAT, [4], new Float32Array(3));
    g.op('Identity', [short]);
    refuse(model(g), 'embeddings.LayerNorm.weight', '12 bytes of raw_data; its shape needs 16');
    const h = new GraphBuilder();
    h.initializer('embeddings.LayerNorm.weight', DataType.FLOAT, [2 ** 40, 2 ** 40], new Float32Array(1));
    refuse(model(h), 'impossible shape');
    const n = new GraphBuilder();
    n.initializer('embeddings.LayerNorm.weight', DataType.FLOAT, [-4], new Float32Array(1));
    refuse(model(n), 'invalid dimension -4');
  });

  it('names the dtype it does not take: INT4 weights, MatMulInteger, blocked or FLOAT8 DequantizeLinear', () => {
    const g = new GraphBuilder();
    g.op('Add', [g.op('MatMul', ['x', 'w'], {}, 'mm'), 'encoder.layer.0.output.dense.bias']);
    refuse(model(g, [{ name: 'w', dims: [2, 2], data_type: 22 as DataTypeId, raw_data: new Uint8Array(2) }]), '"w" is stored as INT4');

    const q = new GraphBuilder();
    q.op('MatMulInteger', ['x_q', q.initializer('w_q', DataType.UINT8, [2, 2], new Uint8Array(4)), 'x_zp'], {}, 'mmi');
    refuse(model(q), 'UINT8 weights through MatMulInteger', 'onnx/model_fp16.onnx');

    const f8 = new GraphBuilder();
    f8.op('MatMul', ['x', f8.op('DequantizeLinear', ['w8', 's'], {}, 'dq')], {}, 'mm');
    refuse(
      model(f8, [{ name: 'w8', dims: [2, 2], data_type: 17 as DataTypeId, raw_data: new Uint8Array(4) }, tensor('s', DataType.FLOAT, [], Float32Array.of(1))]),
      'expands FLOAT8E4M3FN weights',
    );
  });

  it('refuses external data, naming the file it points to', () => {
    const g = new GraphBuilder();
    g.op('Identity', ['embeddings.LayerNorm.weight']);
    const ext = { name: 'embeddings.LayerNorm.weight', dims: [4], data_type: DataType.FLOAT, raw_data: new Uint8Array(0), data_location: 1, external_data: [{ key: 'location', value: 'model.onnx_data' }] };
    refuse(model(g, [ext as TensorJson]), 'model.onnx_data', 'external data');
  });

  it('fuzz: truncated or corrupted files load or fail with OnnxReadError, never a crash', async () => {
    const mutation = fc.oneof(
      fc.record({ cut: fc.integer({ min: 0, max: good.length }) }),
      fc.record({ at: fc.array(fc.integer({ min: 0, max: good.length - 1 }), { minLength: 1, maxLength: 8 }), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    await fuzz(
      'damaged ONNX (readOnnxWeights)',
      mutation,
      (m) => {
        let bytes: Uint8Array;
        if ('cut' in m) bytes = good.subarray(0, m.cut);
        else {
          bytes = good.slice();
          for (const i of m.at) bytes[i] ^= m.byte || 1;
        }
        const err = thrown(() => readOnnxWeights(bytes, 'fuzz.onnx'));
        if (err !== undefined) expectSpecificError(err, [OnnxReadError], ['fuzz.onnx']);
      },
      { numRuns: 300, maxMsPerInput: 500 },
    );
  });
});

describe.skipIf(!HAVE_FIXTURES)('loading a model that has only ONNX weights (tiny-bert fixture)', () => {
  const texts = ['A man is eating food.', 'The weather is lovely today.', '下雨了', 'embeddings'];
  let tmp: string;
  let onnxOnlyDir: string;
  let backend: CpuBackend;
  let fromSafetensors: LoadedModel;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'onnx-only-'));
    onnxOnlyDir = path.join(tmp, 'tiny-bert');
    await cp(TINY_BERT_MODEL_DIR, onnxOnlyDir, { recursive: true });
    await rm(path.join(onnxOnlyDir, 'model.safetensors'));
    backend = new CpuBackend();
    fromSafetensors = await loadSentenceModel(folderFiles(TINY_BERT_MODEL_DIR), backend);
  });
  afterAll(async () => {
    backend?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("the fixture's onnx/model.onnx: every parameter equals model.safetensors exactly, and so do the embeddings", async () => {
    const loaded = await loadSentenceModel(folderFiles(onnxOnlyDir), backend);
    expect(loaded.weightsSource).toEqual({ format: 'onnx', path: 'onnx/model.onnx', storage: ['FLOAT'] });
    const st = parseSafetensors(readTree(TINY_BERT_MODEL_DIR).get('model.safetensors')!).tensors;
    const got = await loaded.model.store.readParams();
    for (const e of loaded.layout.entries) {
      const want = st.get(e.name)!.data;
      expect(Array.from(got.subarray(e.offset, e.offset + e.size)), e.name).toEqual(Array.from(want));
    }
    const a = await loaded.model.encode(texts);
    expect(Array.from(a)).toEqual(Array.from(await fromSafetensors.model.encode(texts)));
    // And against sentence-transformers itself.
    const ref = readReference();
    expect(maxRelativeError(await loaded.model.encode(ref.sentences), ref.encode_normalized.flat())).toBeLessThan(1e-5);
    expect(loaded.config.warnings.at(-1)).toMatch(/^Weights were read from the ONNX file onnx\/model\.onnx \(initializers stored as FLOAT\): this model has no model\.safetensors/);
  });

  it('prefers model.safetensors when both exist (a broken ONNX beside it is never read)', async () => {
    const dir = path.join(tmp, 'both');
    await cp(TINY_BERT_MODEL_DIR, dir, { recursive: true });
    await writeFile(path.join(dir, 'onnx', 'model.onnx'), 'garbage');
    const loaded = await loadSentenceModel(folderFiles(dir), backend);
    expect(loaded.weightsSource).toEqual({ format: 'safetensors', path: 'model.safetensors' });
    expect(loaded.config.warnings.join('\n')).not.toMatch(/ONNX/);
  });

  it('loads our own fp16 export: parameters are their fp16 rounding, embeddings within 1e-3 of fp32', async () => {
    const params = await fromSafetensors.model.store.readParams();
    const tree = readTree(TINY_BERT_MODEL_DIR);
    tree.delete('model.safetensors');
    tree.delete('onnx/model.onnx');
    tree.set('onnx/model_fp16.onnx', writeBertOnnx(fromSafetensors.layout, params, fromSafetensors.model.dims, 'fp16'));
    const loaded = await loadSentenceModel(memoryModelFiles('tiny-fp16', tree), backend);
    expect(loaded.weightsSource).toEqual({ format: 'onnx', path: 'onnx/model_fp16.onnx', storage: ['FLOAT16'] });
    expect(loaded.config.warnings.at(-1)).toMatch(/stored as FLOAT16.*reduced precision/);
    const got = await loaded.model.store.readParams();
    for (let i = 0; i < params.length; i++) expect(got[i]).toBe(Math.fround(fromHalfBits(toHalfBits(params[i]))));
    const a = await loaded.model.encode(texts);
    const b = await fromSafetensors.model.encode(texts);
    let err = 0;
    for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
    console.info(`fp16 ONNX weights vs fp32: normalized embeddings max-abs ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-3);
  });

  it('reads an ONNX-only model from a zip too', async () => {
    const tree = readTree(onnxOnlyDir);
    const zip = zipSync(Object.fromEntries([...tree].map(([p, b]) => [`tiny-bert/${p}`, b])));
    const loaded = await loadSentenceModel(await zipFiles(zip, { name: 'tiny-bert.zip' }), backend);
    expect(loaded.weightsSource.format).toBe('onnx');
    expect(Array.from(await loaded.model.encode(texts))).toEqual(Array.from(await fromSafetensors.model.encode(texts)));
  });

  it('a truncated onnx/model.onnx fails with the model path and what was expected', async () => {
    const tree = readTree(onnxOnlyDir);
    const bytes = tree.get('onnx/model.onnx')!;
    tree.set('onnx/model.onnx', bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const err = await loadSentenceModel(memoryModelFiles('cut-model', tree), backend).catch((e: unknown) => e);
    expectSpecificError(err, [OnnxReadError], ['cut-model/onnx/model.onnx']);
    expect(err.message).toMatch(/expected an ONNX ModelProto/);
  });

  it('says which parameter an unrelated ONNX graph lacks', async () => {
    const tree = readTree(onnxOnlyDir);
    const g = new GraphBuilder();
    g.op('Identity', [g.initializer('embeddings.LayerNorm.weight', DataType.FLOAT, [32], new Float32Array(32))]);
    tree.set('onnx/model.onnx', model(g));
    await expect(loadSentenceModel(memoryModelFiles('other', tree), backend)).rejects.toThrow(
      /other\/onnx\/model\.onnx: missing tensor embeddings\.word_embeddings\.weight \[400, 32\] \(ONNX weights are matched by name/,
    );
  });
});
