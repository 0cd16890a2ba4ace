/**
 * One benchmark target in its own process (a Vulkan driver is chosen per process through
 * VK_ICD_FILENAMES): prints one JSON object on stdout. Driven by bench/run.ts.
 */
import type { Backend, DenseOps, DeviceMemory } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/cpu/cpu-backend.ts';
import { ParamLayout, ParamStore } from '../src/engine/params.ts';
import { SeededRandom } from '../src/engine/rng.ts';
import { bertParamGroups, type TokenBatch } from '../src/model/bert.ts';
import { randomBertWeights } from '../src/model/init.ts';
import { DEFAULT_LOSS } from '../src/model/losses.ts';
import { SentenceModel, type PromptedBatch } from '../src/model/sentence-model.ts';
import { Trainer } from '../src/model/trainer.ts';
import { Graph } from '../src/engine/graph.ts';
import { MINILM_L6, NO_TOKENIZER, type TargetResult } from './shared.ts';
import type { MatmulVariantName } from '../src/engine/webgpu/kernels/matmul.ts';
import { TRAINER_DEFAULTS } from '../src/shared/settings.ts';

function randomBatch(rows: number, seq: number, rng: SeededRandom): PromptedBatch {
  const ids = new Int32Array(rows * seq);
  for (let r = 0; r < rows; r++) {
    ids[r * seq] = 101;
    for (let t = 1; t < seq - 1; t++) ids[r * seq + t] = 1000 + Math.floor(rng.next() * 29000);
    ids[r * seq + seq - 1] = 102;
  }
  const batch: TokenBatch = { batchSize: rows, seqLength: seq, inputIds: ids, attentionMask: new Int32Array(rows * seq).fill(1), tokenTypeIds: new Int32Array(rows * seq) };
  return { batch, promptLengths: [] };
}

function model(backend: Backend): SentenceModel {
  const layout = new ParamLayout(bertParamGroups(MINILM_L6));
  const store = new ParamStore(backend, layout, randomBertWeights(layout, 1));
  return new SentenceModel(store, MINILM_L6, NO_TOKENIZER, { mode: 'mean', includePrompt: true }, true, 512);
}

/** C = op(A)·op(B): A·B is the FFN's backward dX, A·Bᵀ every Linear forward, Aᵀ·B every dW. */
const TRANSPOSES = [
  { op: 'A·B', transA: false, transB: false },
  { op: 'A·Bᵀ', transA: false, transB: true },
  { op: 'Aᵀ·B', transA: true, transB: false },
] as const;

async function timeMatmul(backend: DeviceMemory & DenseOps, M: number, K: number, N: number, iterations: number, transA = false, transB = false): Promise<number> {
  const rng = new SeededRandom(3);
  const a = backend.fromFloat32(Float32Array.from({ length: M * K }, () => rng.next() - 0.5), transA ? [K, M] : [M, K], true);
  const b = backend.fromFloat32(Float32Array.from({ length: K * N }, () => rng.next() - 0.5), transB ? [N, K] : [K, N], true);
  const out = backend.zeros([M, N], 'f32', true);
  backend.matmul(a, b, { out, transA, transB });
  await backend.read(out); // compile and warm up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) backend.matmul(a, b, { out, transA, transB });
  await backend.read(out);
  const seconds = (performance.now() - start) / 1000;
  return (2 * M * K * N * iterations) / seconds / 1e9;
}

/** MNRL with the trainer defaults, lr 2e-5, a constant schedule over `totalSteps`. */
function mnrlTrainer(m: SentenceModel, totalSteps: number): Trainer {
  return new Trainer(m, {
    loss: { ...DEFAULT_LOSS, id: 'mnrl' },
    optimizer: { ...TRAINER_DEFAULTS, lr: 2e-5 },
    schedule: { kind: 'constant', warmupSteps: 0, totalSteps },
    seed: 1,
  });
}

async function timeTraining(backend: Backend, batch: number, seq: number, steps: number, warmup: number) {
  const m = model(backend);
  const trainer = mnrlTrainer(m, steps + warmup);
  const rng = new SeededRandom(2);
  const batches = Array.from({ length: 4 }, () => randomBatch(2 * batch, seq, rng));
  const run = async (n: number) => {
    const losses: Promise<number>[] = [];
    for (let i = 0; i < n; i++) {
      losses.push(trainer.finishStep(trainer.recordTokenizedStep(batches[i % batches.length], 2)).loss);
      // Two steps in flight at most: the loss of step n-2 is read while step n is recorded.
      if (losses.length > 2) await losses[losses.length - 3];
    }
    const values = await Promise.all(losses);
    if (!values.every(Number.isFinite)) throw new Error('non-finite loss in the benchmark');
  };
  await run(warmup);
  const start = performance.now();
  await run(steps);
  const seconds = (performance.now() - start) / 1000;
  return { batch, seq, steps, pairsPerSecond: (batch * steps) / seconds, msPerStep: (seconds * 1000) / steps };
}

async function timeEncode(backend: Backend, batch: number, seq: number, iterations: number) {
  const m = model(backend);
  const input = randomBatch(batch, seq, new SeededRandom(4));
  const once = async () => {
    const g = new Graph(backend, false);
    const emb = m.embed(g, input, () => 0);
    const done = backend.read(emb.value);
    backend.endStep();
    return done;
  };
  await once();
  const start = performance.now();
  const pending: Promise<Float32Array>[] = [];
  for (let i = 0; i < iterations; i++) pending.push(once());
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  return { batch, seq, sentencesPerSecond: (batch * iterations) / seconds };
}

/** Times the recording and submission of single steps, each after the GPU has finished the last. */
async function timeHostRecording(backend: Backend, batch: number, seq: number, steps: number): Promise<NonNullable<TargetResult['host']>> {
  const { WebGpuBackend } = await import('../src/engine/webgpu/webgpu-backend.ts');
  if (!(backend instanceof WebGpuBackend)) throw new Error('unexpected backend class');
  const m = model(backend);
  const trainer = mnrlTrainer(m, steps + 1);
  const input = randomBatch(2 * batch, seq, new SeededRandom(5));
  await trainer.finishStep(trainer.recordTokenizedStep(input, 2)).loss; // pipelines compiled, pools filled
  let ms = 0;
  const before = backend.stats();
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    const done = trainer.finishStep(trainer.recordTokenizedStep(input, 2)).loss;
    ms += performance.now() - start;
    await done;
  }
  const after = backend.stats();
  const per = (a: number, b: number) => (a - b) / steps;
  return {
    batch, seq,
    recordMsPerStep: ms / steps,
    dispatchesPerStep: per(after.dispatches, before.dispatches),
    copiesPerStep: per(after.copies, before.copies),
    submissionsPerStep: per(after.submissions, before.submissions),
  };
}

/**
 * MNRL 32×32 with the default matmul kernel and with `other`, alternating step by step in this
 * one process, so the comparison survives the ±35% drift between runs on these VMs.
 */
async function compareTraining(
  backend: Backend,
  other: MatmulVariantName,
  slow: boolean,
  result: TargetResult,
  progress: (msg: string) => void,
): Promise<void> {
  const { WebGpuBackend } = await import('../src/engine/webgpu/webgpu-backend.ts');
  const { matmulVariant } = await import('../src/engine/webgpu/kernels/matmul.ts');
  if (!(backend instanceof WebGpuBackend)) throw new Error('unexpected backend class');
  const chosen = backend.matmulVariant.name;
  if (!backend.supportsMatmulVariant(matmulVariant(other))) throw new Error(`--compare-matmul ${other}: not supported on this device`);
  const rounds = slow ? 2 : 3;
  for (let round = 0; round < rounds; round++) {
    for (const name of [chosen, other]) {
      backend.setMatmulVariant(name);
      const r = await timeTraining(backend, 32, 32, slow ? 1 : 10, round === 0 ? 1 : 0);
      result.training.push({ ...r, matmul: name });
      progress(`train MNRL 32x32 with ${name}: ${r.pairsPerSecond.toFixed(2)} pairs/s (${r.msPerStep.toFixed(0)} ms/step)`);
    }
  }
  backend.setMatmulVariant(chosen);
}

async function main(): Promise<void> {
  const target = process.argv[2] ?? 'cpu';
  const flag = (name: string) => process.argv.indexOf(`--${name}`);
  const matmulOnly = flag('matmul-only') >= 0;
  const compareMatmul = flag('compare-matmul') >= 0 ? (process.argv[flag('compare-matmul') + 1] as MatmulVariantName) : undefined;
  const notes: string[] = [];
  let backend: Backend;
  if (target === 'cpu') backend = new CpuBackend();
  else if (target === 'wasm' || target === 'wasm-1') {
    const { createWasmBackend } = await import('../src/engine/wasm/wasm-backend.ts');
    const { nodeThreadSpawner, nodeThreadCount } = await import('../src/engine/wasm/node-threads.ts');
    backend = await createWasmBackend({ threads: target === 'wasm-1' ? 1 : nodeThreadCount(), spawn: nodeThreadSpawner });
  } else {
    const { nodeGpu } = await import('../src/engine/webgpu/node-gpu.ts');
    const gpu = await nodeGpu();
    if (!gpu) throw new Error(`no WebGPU in Node for target ${target}`);
    const { createWebGpuBackend } = await import('../src/engine/webgpu/webgpu-backend.ts');
    backend = await createWebGpuBackend(gpu);
  }
  const slow = backend.name === 'cpu' || backend.adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(backend.adapter.summary);
  const result: TargetResult = {
    target, adapter: backend.adapter.summary, fallback: backend.adapter.isFallbackAdapter, features: [...backend.adapter.features],
    matmul: [], training: [], encode: [], notes,
  };
  const progress = (msg: string) => process.stderr.write(`[${target}] ${msg}\n`);
  const measureHost = async () => {
    result.host = await timeHostRecording(backend, 32, 32, slow ? 2 : 20);
    const h = result.host;
    progress(`host side of an MNRL 32x32 step: ${h.recordMsPerStep.toFixed(1)} ms (${h.dispatchesPerStep} dispatches, ${h.copiesPerStep} copies/clears, ${h.submissionsPerStep} submissions)`);
  };
  if (flag('host-only') >= 0) {
    if (backend.name !== 'webgpu') throw new Error('--host-only needs a WebGPU target');
    await measureHost();
    notes.push('--host-only: only the host side of a training step measured');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    backend.destroy();
    process.exit(0);
  }

  // Matmul GFLOP/s for each variant at the FFN shape (512 tokens × 384 → 1536).
  const shapes: [number, number, number][] = [[512, 384, 1536], [2048, 384, 384]];
  if (backend.name === 'webgpu') {
    const { matmulVariants, WebGpuBackend } = await import('../src/engine/webgpu/webgpu-backend.ts');
    if (!(backend instanceof WebGpuBackend)) throw new Error('unexpected backend class');
    const chosen = backend.matmulVariant.name;
    for (const v of matmulVariants) {
      if (!backend.supportsMatmulVariant(v)) {
        notes.push(`matmul variant ${v.name} skipped: ${v.description}; not for this device's subgroup size`);
        continue;
      }
      backend.setMatmulVariant(v.name);
      for (const [M, K, N] of shapes) {
        // Every transpose on the FFN shape (the backward passes need all three), A·B elsewhere.
        for (const { op, transA, transB } of M === shapes[0][0] ? TRANSPOSES : TRANSPOSES.slice(0, 1)) {
          const gflops = await timeMatmul(backend, M, K, N, slow ? 3 : 50, transA, transB);
          result.matmul.push({ variant: v.name, shape: `${M}x${K}·${K}x${N}`, gflops, op });
          progress(`matmul ${v.name} ${op} ${M}x${K}x${N}: ${gflops.toFixed(2)} GFLOP/s`);
        }
      }
    }
    backend.setMatmulVariant(chosen);
    notes.push(`training uses matmul variant ${chosen}`);
  } else if (backend.name === 'wasm') {
    const variant = `simd128 4x8, ${target === 'wasm-1' ? '1 thread' : backend.adapter.summary.match(/\d+ threads?/)?.[0] ?? ''}`;
    for (const [M, K, N] of shapes) {
      for (const { op, transA, transB } of M === shapes[0][0] ? TRANSPOSES : TRANSPOSES.slice(0, 1)) {
        const gflops = await timeMatmul(backend, M, K, N, 20, transA, transB);
        result.matmul.push({ variant, shape: `${M}x${K}·${K}x${N}`, gflops, op });
        progress(`matmul ${variant} ${op} ${M}x${K}x${N}: ${gflops.toFixed(2)} GFLOP/s`);
      }
    }
  } else {
    const [M, K, N] = shapes[0];
    const gflops = await timeMatmul(backend, M, K, N, 1);
    result.matmul.push({ variant: 'cpu-loops', shape: `${M}x${K}·${K}x${N}`, gflops });
    progress(`matmul cpu ${gflops.toFixed(2)} GFLOP/s`);
  }

  if (matmulOnly) {
    notes.push('--matmul-only: training and encoding not measured');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    backend.destroy();
    process.exit(0);
  }

  const configs: [number, number][] = [[32, 32], [8, 128]];
  for (const [batch, seq] of configs) {
    if (backend.name === 'cpu' && seq === 128) {
      notes.push('CPU backend: 8 × 128 skipped (same token count as 32 × 32, several minutes a step)');
      continue;
    }
    // CPU-emulated adapters need minutes per MiniLM step: one timed step after one warm-up.
    const steps = backend.name === 'cpu' ? 1 : backend.name === 'wasm' ? 4 : slow ? 1 : 30;
    const warmup = backend.name === 'cpu' ? 0 : slow || backend.name === 'wasm' ? 1 : 5;
    // The TypeScript backend needs minutes for a 32-pair step; pairs/s is measured at batch 4.
    const measuredBatch = backend.name === 'cpu' ? 4 : batch;
    if (measuredBatch !== batch) notes.push(`CPU backend: MNRL ${batch} × ${seq} measured at batch ${measuredBatch} × ${seq}`);
    const r = await timeTraining(backend, measuredBatch, seq, steps, warmup);
    result.training.push(r);
    progress(`train MNRL ${batch}x${seq}: ${r.pairsPerSecond.toFixed(1)} pairs/s (${r.msPerStep.toFixed(0)} ms/step)`);
  }
  if (backend.name === 'webgpu') await measureHost();
  if (compareMatmul && backend.name === 'webgpu') await compareTraining(backend, compareMatmul, slow, result, progress);
  const encodeBatch = backend.name === 'cpu' ? 16 : slow || backend.name === 'wasm' ? 64 : 512;
  for (const seq of [32, 128]) {
    if (backend.name === 'cpu' && seq === 128) continue;
    const r = await timeEncode(backend, encodeBatch, seq, slow ? 1 : backend.name === 'wasm' ? 4 : 10);
    result.encode.push(r);
    progress(`encode ${encodeBatch}x${seq}: ${r.sentencesPerSecond.toFixed(1)} sentences/s`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  backend.destroy();
  process.exit(0);
}

await main();
