/**
 * The onnxruntime reference targets for `npm run bench`, one per process like bench/target.ts,
 * printing one JSON TargetResult on stdout (progress on stderr):
 *
 *   npx tsx bench/reference-target.ts ort-node|ort-web|ort-node-1|ort-web-1 [--threads N] [--matmul-only]
 *
 * - ort-node: onnxruntime-node's native CPU execution provider (the ceiling for a JS user).
 * - ort-web: onnxruntime-web's WebAssembly backend (SIMD, threads through Emscripten pthreads on
 *   worker_threads), run in Node — what transformers.js users get on a CPU.
 *
 * Both run the ONNX export of the very weights bench/target.ts trains and encodes with
 * (randomBertWeights(layout, 1) through our own exporter), so the encode rows compare the same
 * model on the same inputs; matmul runs one-node models on target.ts' shapes and transposes.
 * --threads defaults to os.availableParallelism(), the count the `wasm` target uses; the `-1`
 * names are the one-thread rows next to `wasm-1`.
 */
import { availableParallelism } from 'node:os';
import { ParamLayout } from '../src/engine/params.ts';
import { SeededRandom } from '../src/engine/rng.ts';
import { writeBertOnnx } from '../src/io/onnx/bert-onnx.ts';
import { GraphBuilder, valueInfo } from '../src/io/onnx/graph-builder.ts';
import { DataType, encodeModel } from '../src/io/onnx/onnx-proto.ts';
import { bertParamGroups } from '../src/model/bert.ts';
import { randomBertWeights } from '../src/model/init.ts';
import { MINILM_L6, PREPACKED, type TargetResult } from './shared.ts';

/** A host-side input, turned into each runtime's own Tensor class once, before timing. */
type HostTensor = { type: 'float32'; data: Float32Array; dims: number[] } | { type: 'int64'; data: BigInt64Array; dims: number[] };

interface LoadedModel {
  /** One session.run over the prepared inputs; outputs are dropped. */
  run(): Promise<void>;
  release(): Promise<void>;
}

interface Runtime {
  adapter: string;
  notes: string[];
  load(model: Uint8Array, inputs: Record<string, HostTensor>): Promise<LoadedModel>;
}

async function ortNode(threads: number): Promise<Runtime> {
  const ort = await import('onnxruntime-node');
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    // One operator at a time, each spread over the intra-op pool: the same schedule as our engine.
    interOpNumThreads: 1,
    executionMode: 'sequential' as const,
    graphOptimizationLevel: 'all' as const,
  };
  return {
    adapter: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common} CPU EP, ${threads} thread${threads === 1 ? '' : 's'}`,
    notes: [],
    async load(model, inputs) {
      const session = await ort.InferenceSession.create(model, options);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const [name, t] of Object.entries(inputs)) feeds[name] = t.type === 'float32' ? new ort.Tensor('float32', t.data, t.dims) : new ort.Tensor('int64', t.data, t.dims);
      return { run: async () => void (await session.run(feeds)), release: () => session.release() };
    },
  };
}

async function ortWeb(threads: number): Promise<Runtime> {
  // In Node this resolves to dist/ort.node.min.mjs, which loads the threaded SIMD build from the
  // package itself; pthreads are worker_threads over a shared WebAssembly.Memory.
  const ort = await import('onnxruntime-web');
  // The package ships only the SIMD128 build (no relaxed-SIMD binary), so there is no SIMD switch to set.
  ort.env.wasm.numThreads = threads;
  const notes: string[] = [];
  return {
    get adapter() {
      // env.wasm.numThreads is read back after the first session: the runtime lowers it to 1
      // where it cannot start threads (no SharedArrayBuffer), and the row must say so.
      const got = ort.env.wasm.numThreads ?? threads;
      return `onnxruntime-web ${ort.env.versions.web ?? ort.env.versions.common} wasm (SIMD) in Node ${process.version}, ${got} thread${got === 1 ? '' : 's'}`;
    },
    notes,
    async load(model, inputs) {
      const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
      if ((ort.env.wasm.numThreads ?? threads) !== threads && !notes.length) notes.push(`warning: onnxruntime-web ran ${ort.env.wasm.numThreads} thread(s), not the ${threads} asked for`);
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const [name, t] of Object.entries(inputs)) feeds[name] = t.type === 'float32' ? new ort.Tensor('float32', t.data, t.dims) : new ort.Tensor('int64', t.data, t.dims);
      return { run: async () => void (await session.run(feeds)), release: () => session.release() };
    },
  };
}

/**
 * Seconds per run: warm-up runs first (session.run's first call allocates and, on ORT, prepacks
 * weights), then runs until both `minRuns` and `minSeconds` are reached — a load-dependent count,
 * so one slow run on a busy VM does not decide the figure alone.
 */
async function secondsPerRun(model: LoadedModel, warmup: number, minRuns: number, minSeconds: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await model.run();
  const start = performance.now();
  let runs = 0;
  while (runs < minRuns || performance.now() - start < minSeconds * 1000) {
    await model.run();
    runs++;
  }
  return (performance.now() - start) / 1000 / runs;
}

function randomFloats(n: number, rng: SeededRandom): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() - 0.5);
}

/**
 * C = op(A)·op(B) as one node, both operands graph inputs (as in target.ts' timeMatmul, where
 * neither is a prepacked weight). Plain A·B is MatMul — what the BERT export uses; the transposed
 * forms are Gemm with transA/transB, which hands the flags to the same MLAS sgemm instead of
 * materialising a Transpose.
 */
function matmulModel(M: number, K: number, N: number, transA: boolean, transB: boolean, constantB?: Float32Array): Uint8Array {
  const g = new GraphBuilder();
  const b = constantB ? g.initializer('B', DataType.FLOAT, [K, N], constantB) : 'B';
  if (!transA && !transB) g.op('MatMul', ['A', b]);
  else g.op('Gemm', ['A', b], { transA: { int: transA ? 1 : 0 }, transB: { int: transB ? 1 : 0 } });
  g.renameLastOutput('C');
  return encodeModel({
    ir_version: 8,
    producer_name: 'embedding-studio-bench',
    producer_version: '0.1.0',
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'matmul',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo('A', DataType.FLOAT, transA ? [K, M] : [M, K]), ...(constantB ? [] : [valueInfo('B', DataType.FLOAT, transB ? [N, K] : [K, N])])],
      output: [valueInfo('C', DataType.FLOAT, [M, N])],
    },
  });
}

/** target.ts' randomBatch as int64 ONNX inputs: [CLS] random ids [SEP], every token attended. */
function tokenInputs(rows: number, seq: number, rng: SeededRandom): Record<string, HostTensor> {
  const ids = new BigInt64Array(rows * seq);
  for (let r = 0; r < rows; r++) {
    ids[r * seq] = 101n;
    for (let t = 1; t < seq - 1; t++) ids[r * seq + t] = BigInt(1000 + Math.floor(rng.next() * 29000));
    ids[r * seq + seq - 1] = 102n;
  }
  const dims = [rows, seq];
  return {
    input_ids: { type: 'int64', data: ids, dims },
    attention_mask: { type: 'int64', data: new BigInt64Array(rows * seq).fill(1n), dims },
    token_type_ids: { type: 'int64', data: new BigInt64Array(rows * seq), dims },
  };
}

const TRANSPOSES = [
  { op: 'A·B', transA: false, transB: false },
  { op: 'A·Bᵀ', transA: false, transB: true },
  { op: 'Aᵀ·B', transA: true, transB: false },
] as const;

type TargetName = 'ort-node' | 'ort-web' | 'ort-node-1' | 'ort-web-1';

function isTargetName(name: string | undefined): name is TargetName {
  return name === 'ort-node' || name === 'ort-web' || name === 'ort-node-1' || name === 'ort-web-1';
}

function parseThreads(argv: readonly string[], target: TargetName): number {
  const at = argv.indexOf('--threads');
  if (at < 0) return target.endsWith('-1') ? 1 : availableParallelism();
  const n = Number(argv[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--threads wants a positive integer, got ${argv[at + 1]}`);
  return n;
}

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!isTargetName(target)) throw new Error(`usage: reference-target.ts ort-node|ort-web|ort-node-1|ort-web-1 [--threads N] [--matmul-only]; got ${target}`);
  const threads = parseThreads(process.argv, target);
  const matmulOnly = process.argv.includes('--matmul-only');
  const runtime = target.startsWith('ort-node') ? await ortNode(threads) : await ortWeb(threads);
  const progress = (msg: string) => process.stderr.write(`[${target}] ${msg}\n`);
  const result: TargetResult = { target, adapter: '', fallback: false, features: [], matmul: [], training: [], encode: [], notes: runtime.notes };

  const rng = new SeededRandom(3);
  const variant = `onnxruntime MatMul/Gemm, ${threads} thread${threads === 1 ? '' : 's'}`;
  const shapes: [number, number, number][] = [[512, 384, 1536], [2048, 384, 384]];
  for (const [M, K, N] of shapes) {
    for (const { op, transA, transB } of M === shapes[0][0] ? TRANSPOSES : TRANSPOSES.slice(0, 1)) {
      const model = await runtime.load(matmulModel(M, K, N, transA, transB), {
        A: { type: 'float32', data: randomFloats(M * K, rng), dims: transA ? [K, M] : [M, K] },
        B: { type: 'float32', data: randomFloats(K * N, rng), dims: transB ? [N, K] : [K, N] },
      });
      const gflops = (2 * M * K * N) / (await secondsPerRun(model, 3, 20, 1)) / 1e9;
      await model.release();
      result.matmul.push({ variant, shape: `${M}x${K}·${K}x${N}`, gflops, op });
      progress(`matmul ${op} ${M}x${K}x${N}: ${gflops.toFixed(2)} GFLOP/s`);
    }
  }
  {
    // The FFN as the encode graph runs it: B a constant weight, which ORT packs once at session
    // creation (measured ~2× the GFLOP/s of a B that arrives with every run, on onnxruntime-node).
    const [M, K, N] = shapes[0];
    const model = await runtime.load(matmulModel(M, K, N, false, false, randomFloats(K * N, rng)), { A: { type: 'float32', data: randomFloats(M * K, rng), dims: [M, K] } });
    const gflops = (2 * M * K * N) / (await secondsPerRun(model, 3, 20, 1)) / 1e9;
    await model.release();
    result.matmul.push({ variant: `${PREPACKED} ${variant}`, shape: `${M}x${K}·${K}x${N}`, gflops, op: 'A·B' });
    progress(`matmul A·B ${M}x${K}x${N}, B a prepacked initializer: ${gflops.toFixed(2)} GFLOP/s`);
  }
  result.notes.push('matmul: one-node model, both operands graph inputs (and once with B a prepacked initializer); GFLOP/s include session.run copying inputs in and C out');

  if (matmulOnly) result.notes.push('--matmul-only: encoding not measured');
  else {
    const layout = new ParamLayout(bertParamGroups(MINILM_L6));
    const onnx = writeBertOnnx(layout, randomBertWeights(layout, 1), MINILM_L6, 'fp32');
    const batch = 64;
    for (const seq of [32, 128]) {
      const model = await runtime.load(onnx, tokenInputs(batch, seq, new SeededRandom(4)));
      const seconds = await secondsPerRun(model, 2, 4, 3);
      await model.release();
      result.encode.push({ batch, seq, sentencesPerSecond: batch / seconds });
      progress(`encode ${batch}x${seq}: ${(batch / seconds).toFixed(1)} sentences/s`);
    }
    result.notes.push('encode: our fp32 ONNX export of randomBertWeights(layout, 1), last_hidden_state out (no pooling), int64 inputs');
  }
  result.notes.push('training: not measured — onnxruntime has no training here');
  result.adapter = runtime.adapter;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // ort-web's pthread workers would keep Node alive.
  process.exit(0);
}

await main();
