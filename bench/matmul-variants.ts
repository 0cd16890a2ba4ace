/**
 * Times every matmul kernel of src/engine/webgpu/kernels/matmul.ts on one adapter, in one
 * process, on the FFN shape for each transpose the model uses (forward A·Bᵀ, backward A·B and
 * Aᵀ·B). Runs on these 2-core VMs drift by ±35% between runs, so the variants are interleaved
 * rep by rep and each reports a median: compare ratios within one run, not across runs.
 *
 *   npx tsx bench/matmul-variants.ts [lavapipe|swiftshader|chromium] [--reps 7] [--iters 3] [--shape 512x384x1536] [--only name,name] [--quiet-wait]
 *
 * chromium: the same kernels in a headless Chromium page (its own SwiftShader, the adapter the
 * studio gets in a browser without a GPU), timed in the page; no CPU-time column there.
 *
 * --quiet-wait repeats the reps with the main thread asleep until shortly before the work should
 * end: Dawn's Node binding polls for completion with setImmediate, a busy loop on the main thread
 * that takes a core's share away from the driver's workers on a 2-core machine; the extra column
 * shows what the kernels do without it.
 *
 * Also checks every timed kernel against a float64 reference on sampled outputs, so a fast but
 * wrong kernel cannot win.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelSource, packParams, paramsByteSize, type KernelSpec } from '../src/engine/webgpu/kernel.ts';
import { matmulVariants, type MatmulVariant } from '../src/engine/webgpu/kernels/matmul.ts';

const argv = process.argv.slice(2);
const target = argv.find((a) => !a.startsWith('--') && !/^\d/.test(a)) ?? 'lavapipe';
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

/**
 * The Vulkan loader reads LD_LIBRARY_PATH only at process start (lavapipe's own libraries are
 * unpacked outside the system paths), so the script re-runs itself with the driver's env.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function driverEnv(name: string): Record<string, string> {
  if (name === 'swiftshader') return { VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' };
  const icd = path.join(root, '.cache/lavapipe/lvp_icd.json');
  if (!existsSync(icd)) throw new Error('lavapipe is not unpacked: run scripts/get-lavapipe.sh');
  return { VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: path.join(root, '.cache/lavapipe/root/usr/lib/x86_64-linux-gnu') };
}

interface PageCase {
  name: string;
  op: string;
  code: string;
  groups: [number, number, number];
  transA: boolean;
  transB: boolean;
}

/** Runs in the page: times each case `reps` times (interleaved), checks sampled outputs. */
async function pageTimings(arg: { cases: PageCase[]; M: number; N: number; K: number; reps: number; iters: number }) {
  const { cases, M, N, K, reps, iters } = arg;
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no adapter in the page');
  const device = await adapter.requestDevice({ requiredFeatures: adapter.features.has('subgroups') ? ['subgroups'] : [] });
  let seed = 7;
  const rand = (n: number): Float32Array<ArrayBuffer> => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
  const A = rand(M * K), B = rand(K * N);
  const transpose = (x: Float32Array, rows: number, cols: number): Float32Array<ArrayBuffer> => {
    const t = new Float32Array(x.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
    return t;
  };
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buf = (data: Float32Array<ArrayBuffer> | number) => {
    const b = device.createBuffer({ size: typeof data === 'number' ? data : data.byteLength, usage });
    if (typeof data !== 'number') device.queue.writeBuffer(b, 0, data);
    return b;
  };
  const aBuf = [buf(A), buf(transpose(A, M, K))], bBuf = [buf(B), buf(transpose(B, K, N))];
  const bias = buf(16), c = buf(M * N * 4);
  const read = device.createBuffer({ size: M * N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const uniform = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniform, 0, new Uint32Array([M, N, K, 0, 0, 0, 0, 0]));
  interface Built {
    cs: PageCase;
    pipeline: GPUComputePipeline;
    bind: GPUBindGroup;
    times: number[];
    compileMs: number;
    error: number;
  }
  const built: Built[] = [];
  for (const cs of cases) {
    const t0 = performance.now();
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code: cs.code }), entryPoint: 'main' } });
    const bind = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [uniform, aBuf[+cs.transA], bBuf[+cs.transB], bias, c].map((buffer, i) => ({ binding: i, resource: { buffer } })),
    });
    built.push({ cs, pipeline, bind, times: [], compileMs: performance.now() - t0, error: 0 });
  }
  const run = async (b: Built, n: number) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(b.pipeline);
    pass.setBindGroup(0, b.bind);
    for (let i = 0; i < n; i++) pass.dispatchWorkgroups(...b.cs.groups);
    pass.end();
    const t = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t;
  };
  for (const b of built) {
    await run(b, 1);
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(c, 0, read, 0, M * N * 4);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const got = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    for (let m = 0; m < M; m += 37) {
      for (let j = 0; j < N; j += 29) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += A[m * K + k] * B[k * N + j];
        b.error = Math.max(b.error, Math.abs(got[m * N + j] - sum));
      }
    }
  }
  for (let r = 0; r < reps; r++) for (const b of built) b.times.push(await run(b, iters));
  device.destroy();
  return built.map((b) => ({ name: b.cs.name, op: b.cs.op, times: b.times, compileMs: b.compileMs, error: b.error }));
}

async function chromiumRun(): Promise<void> {
  const { launchChromium } = await import('../e2e/support/browser.ts');
  const [M, K, N] = (opt('shape') ?? '512x384x1536').split('x').map(Number);
  const reps = Number(opt('reps') ?? 5), iters = Number(opt('iters') ?? 1);
  const only = opt('only')?.split(',');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    // navigator.gpu needs a secure context: an intercepted localhost page, no server.
    await page.route('http://localhost/matmul', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>matmul</title>' }));
    await page.goto('http://localhost/matmul');
    // tsx compiles pageTimings with esbuild's keepNames, whose __name helper the page lacks.
    await page.evaluate('globalThis.__name = (f) => f');
    const info = await page.evaluate(async () => {
      const a = await navigator.gpu.requestAdapter();
      if (!a) return null;
      const i = a.info;
      return { text: `${i.vendor} ${i.architecture} ${i.description}`, min: i.subgroupMinSize ?? 0, max: i.subgroupMaxSize ?? 0, subgroups: a.features.has('subgroups') };
    });
    if (!info) throw new Error('no WebGPU adapter in Chromium');
    const S = info.subgroups && info.min === info.max && info.min > 0 ? info.min : null;
    process.stderr.write(`chromium adapter: ${info.text}, subgroup size ${S ?? 'not fixed'}; ${M}x${K}x${N}, ${reps} reps × ${iters} dispatches\n`);
    const cases: PageCase[] = [];
    for (const v of matmulVariants) {
      if ((only && !only.includes(v.name)) || !v.supports(S)) continue;
      for (const [transA, transB, op] of [[false, true, 'A·Bᵀ'], [false, false, 'A·B'], [true, false, 'Aᵀ·B']] as const) {
        const { spec, groups } = v.pick({ M, N, K, transA, transB, vec4: true }, S);
        cases.push({ name: v.name, op, code: kernelSource(spec), groups, transA, transB });
      }
    }
    const rows = await page.evaluate(pageTimings, { cases, M, N, K, reps, iters });
    const flops = 2 * M * N * K * iters;
    for (const r of rows) {
      const med = [...r.times].sort((a, b) => a - b)[Math.floor(r.times.length / 2)];
      process.stdout.write(
        `${r.name.padEnd(12)} ${r.op.padEnd(5)} ${(flops / med / 1e6).toFixed(2).padStart(6)} / ${(flops / Math.min(...r.times) / 1e6).toFixed(2).padStart(6)} GFLOP/s median / best` +
          `   pipeline ${(r.compileMs / 1000).toFixed(1)} s, max error ${r.error.toExponential(1)}\n`,
      );
    }
  } finally {
    await browser.close();
  }
}

if (target === 'chromium') {
  await chromiumRun();
  process.exit(0);
}

if (process.env.MATMUL_VARIANTS_CHILD !== '1') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', process.argv[1], ...argv], {
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', MATMUL_VARIANTS_CHILD: '1', ...driverEnv(target) },
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const [M, K, N] = (opt('shape') ?? '512x384x1536').split('x').map(Number);
const reps = Number(opt('reps') ?? 7);
const only = opt('only')?.split(',');
/** Enough dispatches per timed submission that queue overhead is a small share. */
const perRep = Number(opt('iters') ?? 3);

const { nodeGpu } = await import('../src/engine/webgpu/node-gpu.ts');
const { defaultMatmulVariant, fixedSubgroupSize, requestAdapter, requestDevice } = await import('../src/engine/webgpu/adapter.ts');
const gpu = await nodeGpu();
if (!gpu) throw new Error(`no WebGPU adapter for ${target}`);
const adapter = await requestAdapter(gpu);
const device = await requestDevice(adapter);
const subgroupSize = fixedSubgroupSize(adapter, device);
process.stderr.write(
  `adapter: ${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}, subgroup size ${subgroupSize ?? 'not fixed'}, ` +
    `default matmul ${defaultMatmulVariant(adapter, subgroupSize)}; ${M}x${K}x${N}, ${reps} reps × ${perRep} dispatches\n`,
);

function buffer(data: Float32Array<ArrayBuffer> | number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST): GPUBuffer {
  const size = typeof data === 'number' ? data : data.byteLength;
  const b = device.createBuffer({ size: Math.max(16, Math.ceil(size / 16) * 16), usage });
  if (typeof data !== 'number') device.queue.writeBuffer(b, 0, data);
  return b;
}

let seed = 7;
const rand = (n: number): Float32Array<ArrayBuffer> => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
const A = rand(M * K), B = rand(K * N), BIAS = rand(N);
/** Row-major [M,K]/[K,M] and [K,N]/[N,K] copies for each transpose. */
const transpose = (x: Float32Array, rows: number, cols: number): Float32Array<ArrayBuffer> => {
  const t = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  return t;
};
const aBuf = { false: buffer(A), true: buffer(transpose(A, M, K)) };
const bBuf = { false: buffer(B), true: buffer(transpose(B, K, N)) };
const biasBuf = buffer(BIAS);
const cBuf = buffer(M * N * 4);
const readBuf = buffer(M * N * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);

interface Case {
  name: string;
  trans: string;
  spec: KernelSpec;
  pipeline: GPUComputePipeline;
  bind: GPUBindGroup;
  groups: [number, number, number];
  times: number[];
  cpu: number[];
  quiet: number[];
  compileMs: number;
}

const transposes: [boolean, boolean, string][] = [[false, true, 'A·Bᵀ'], [false, false, 'A·B'], [true, false, 'Aᵀ·B']];

async function build(c: MatmulVariant, ta: boolean, tb: boolean, label: string): Promise<Case> {
  const { spec, groups } = c.pick({ M, N, K, transA: ta, transB: tb, vec4: true }, subgroupSize);
  const t0 = performance.now();
  const module = device.createShaderModule({ code: kernelSource(spec) });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const compileMs = performance.now() - t0;
  const uniform = device.createBuffer({ size: paramsByteSize(spec), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(uniform, 0, packParams(spec, [M, N, K, 0, 0]));
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [uniform, aBuf[`${ta}`], bBuf[`${tb}`], biasBuf, cBuf].map((b, i) => ({ binding: i, resource: { buffer: b } })),
  });
  return { name: c.name, trans: label, spec, pipeline, bind, groups, times: [], cpu: [], quiet: [], compileMs };
}

/**
 * CPU seconds used so far by every thread but the main one (lavapipe's and SwiftShader's
 * workers). Another engineer's tests share these 2 cores, so wall time swings with their load;
 * the workers' CPU time per GFLOP is what a kernel change moves.
 */
function workerCpuSeconds(): number {
  let ticks = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) continue;
    try {
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the thread ended between listing and reading
    }
  }
  return ticks / 100;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

async function dispatch(c: Case, times: number, cpu?: number[], sleepMs = 0): Promise<number> {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(c.pipeline);
  pass.setBindGroup(0, c.bind);
  for (let i = 0; i < times; i++) pass.dispatchWorkgroups(...c.groups);
  pass.end();
  const start = performance.now();
  const cpu0 = workerCpuSeconds();
  device.queue.submit([enc.finish()]);
  if (sleepMs > 0) Atomics.wait(sleeper, 0, 0, sleepMs);
  await device.queue.onSubmittedWorkDone();
  cpu?.push(workerCpuSeconds() - cpu0);
  return performance.now() - start;
}

/** Max error over a sample of outputs against a float64 reference, relative to the output rms. */
async function check(c: Case): Promise<number> {
  const enc = device.createCommandEncoder();
  enc.clearBuffer(cBuf);
  enc.copyBufferToBuffer(cBuf, 0, readBuf, 0, M * N * 4);
  device.queue.submit([enc.finish()]);
  await dispatch(c, 1);
  const enc2 = device.createCommandEncoder();
  enc2.copyBufferToBuffer(cBuf, 0, readBuf, 0, M * N * 4);
  device.queue.submit([enc2.finish()]);
  await readBuf.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(readBuf.getMappedRange().slice(0));
  readBuf.unmap();
  let worst = 0, ss = 0, n = 0;
  for (let m = 0; m < M; m += 7) {
    for (let j = 0; j < N; j += 5) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[m * K + k] * B[k * N + j];
      ss += s * s;
      n++;
      worst = Math.max(worst, Math.abs(got[m * N + j] - s));
    }
  }
  return worst / Math.sqrt(ss / n);
}

const cases: Case[] = [];
for (const c of matmulVariants) {
  if (only && !only.includes(c.name)) continue;
  if (!c.supports(subgroupSize)) continue;
  for (const [ta, tb, label] of transposes) {
    const built = await build(c, ta, tb, label);
    const t0 = performance.now();
    const err = await check(built); // the first dispatch: SwiftShader finishes compiling here
    const firstMs = performance.now() - t0;
    if (!(err < 1e-4)) throw new Error(`${c.name} ${label}: wrong result (max error ${err.toExponential(2)} × rms)`);
    await dispatch(built, 1); // warm
    process.stderr.write(`${c.name} ${label}: pipeline ${(built.compileMs / 1000).toFixed(1)} s, first dispatch and readback ${(firstMs / 1000).toFixed(1)} s\n`);
    cases.push(built);
  }
}

for (let r = 0; r < reps; r++) {
  for (const c of cases) c.times.push(await dispatch(c, perRep, c.cpu));
}
if (argv.includes('--quiet-wait')) {
  for (let r = 0; r < reps; r++) {
    for (const c of cases) c.quiet.push(await dispatch(c, perRep, undefined, 0.9 * Math.min(...c.times)));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const flops = 2 * M * N * K * perRep;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const rows = cases.map((c) => ({
  c,
  gflops: flops / (median(c.times) / 1000) / 1e9,
  best: flops / (Math.min(...c.times) / 1000) / 1e9,
  perCpu: (flops * c.cpu.length) / sum(c.cpu) / 1e9,
}));
const width = Math.max(...rows.map((r) => r.c.name.length));
const quiet = (c: Case) => (c.quiet.length ? `   ${(flops / (median(c.quiet) / 1000) / 1e9).toFixed(2).padStart(6)}` : '');
process.stdout.write(
  `${'kernel'.padEnd(width)}  ${'op'.padEnd(5)}  GFLOP/s median / best, GFLOP per worker CPU-second${cases[0]?.quiet.length ? ', GFLOP/s median with a sleeping main thread' : ''}\n`,
);
for (const { c, gflops, best, perCpu } of rows) {
  process.stdout.write(`${c.name.padEnd(width)}  ${c.trans.padEnd(5)}  ${gflops.toFixed(2).padStart(6)} / ${best.toFixed(2).padStart(6)}   ${perCpu.toFixed(2).padStart(6)}${quiet(c)}   ${c.spec.label}\n`);
}
device.destroy();
process.exit(0);
