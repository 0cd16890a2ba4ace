/**
 * `npm run bench`: runs one process per target — bench/target.ts for our engine (the CPU
 * backend, `wasm` on all cores and `wasm-1` on one, every Vulkan driver found: Chromium's
 * SwiftShader, Mesa lavapipe from scripts/get-lavapipe.sh, the system's ICDs such as NVIDIA's),
 * bench/reference-target.ts for onnxruntime (`ort-node`, `ort-web`, and their one-thread `-1`
 * forms) and bench/pytorch_bench.py for plain PyTorch (`pytorch`) — then writes
 * bench/out/<stamp>.json and appends two dated tables to bench/RESULTS.md: every target, and
 * `wasm` against the alternatives as ratios (issue 10's targets). Never fails on a time; fails
 * only when a target crashes (a PyTorch that cannot be had is a skipped row, not a failure).
 *
 *   npm run bench [-- --targets cpu,wasm,swiftshader,lavapipe,system,ort-node,ort-web,pytorch] [--matmul-only | --host-only]
 *                 [--compare-matmul register8x8] [--no-install] [--no-results] [--no-builtin-encode]
 *
 * --matmul-only skips training and encoding (minutes a step on CPU-emulated adapters);
 * --host-only measures only the host side of a step (recording + submitting, GPU idle);
 * --compare-matmul also trains MNRL 32×32 with that kernel, alternating with the default in one
 * process (the row shows both);
 * --no-install never runs apt-get: by default, as root with apt, a missing python3-torch is
 * installed, and so is OpenBLAS where torch would otherwise run on the netlib reference BLAS;
 * --no-results prints the tables and writes bench/out/ but leaves bench/RESULTS.md alone (for
 * trial runs on a busy machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, hostname, totalmem } from 'node:os';
import path from 'node:path';
import type { BuiltinEncodeRow } from './builtin-encode.ts';
import { PREPACKED, type TargetResult } from './shared.ts';

/** Which program measures a target: our engine, onnxruntime, or PyTorch. */
type Runner = 'engine' | 'onnxruntime' | 'pytorch';

interface Target {
  name: string;
  env: Record<string, string>;
  runner?: Runner;
}

type Failed = { target: string; error: string };
/** A target that could not run here for a reason outside the code (no PyTorch to be had). */
type Skipped = { target: string; skipped: string };
type Outcome = TargetResult | Failed | Skipped;

/** The same count the `wasm` target gives its thread pool (nodeThreadCount). */
const THREADS = availableParallelism();

function referenceTargets(): Target[] {
  return [
    { name: 'ort-node', env: {}, runner: 'onnxruntime' },
    { name: 'ort-node-1', env: {}, runner: 'onnxruntime' },
    { name: 'ort-web', env: {}, runner: 'onnxruntime' },
    { name: 'ort-web-1', env: {}, runner: 'onnxruntime' },
    { name: 'pytorch', env: {}, runner: 'pytorch' },
  ];
}

function vulkanTargets(): Target[] {
  const list: Target[] = [];
  const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  if (existsSync(swiftshader)) list.push({ name: 'swiftshader', env: { VK_ICD_FILENAMES: swiftshader } });
  const lvp = path.resolve('.cache/lavapipe/lvp_icd.json');
  if (existsSync(lvp)) {
    list.push({ name: 'lavapipe', env: { VK_ICD_FILENAMES: lvp, LD_LIBRARY_PATH: path.resolve('.cache/lavapipe/root/usr/lib/x86_64-linux-gnu') } });
  }
  const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d', ...(process.env.BENCH_ICD_DIRS?.split(':') ?? [])];
  for (const dir of icdDirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) {
      // Debian's own Mesa 22 lavapipe is rejected by Dawn; skip it (the backports one is above).
      if (!f.endsWith('.json') || /lvp_icd/.test(f)) continue;
      list.push({ name: `system:${f.replace(/\..*$/, '')}`, env: { VK_ICD_FILENAMES: path.join(dir, f) } });
    }
  }
  return list;
}

/** Runs a target's process and reads the last stdout line as its TargetResult. */
function runProcess(target: Target, command: string, args: string[]): TargetResult | Failed {
  const child = spawnSync(command, args, {
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...target.env },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return { target: target.name, error: child.error ? child.error.message : `exit ${child.status}` };
  return JSON.parse(line) as TargetResult;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function aptInstall(packages: string[]): boolean {
  process.stderr.write(`[pytorch] apt-get install -y ${packages.join(' ')}\n`);
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (install()) return true;
  // A fresh machine may have no package lists yet.
  spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'] });
  return install();
}

/**
 * A Python that imports torch: $BENCH_PYTHON, then python3 on PATH (often a pyenv or venv without
 * torch), then Debian's /usr/bin/python3, where python3-torch installs.
 */
function findTorchPython(): string | undefined {
  const candidates = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

/**
 * The PyTorch row (issue 10: the bench installs Debian's python3-torch when it is missing, and
 * says so and skips the row when it cannot). Debian's torch links whatever libblas.so.3 points to,
 * and python3-torch alone pulls the netlib reference BLAS — single-threaded and several times
 * slower than the MKL a pip wheel carries — so OpenBLAS comes with it, or is added when torch is
 * found on the reference BLAS: the row is meant to show PyTorch as its users have it.
 */
function runPytorch(target: Target, extra: string[], mayInstall: boolean): TargetResult | Failed | Skipped {
  const canApt = mayInstall && isRoot() && hasCommand('apt-get');
  let python = findTorchPython();
  if (!python) {
    const why = !mayInstall ? '--no-install' : !isRoot() ? 'not root' : 'no apt-get';
    if (!canApt) return { target: target.name, skipped: `no Python with torch, and cannot install python3-torch (${why})` };
    if (!aptInstall(['python3-torch', 'libopenblas0-pthread']) || !(python = findTorchPython())) {
      return { target: target.name, skipped: 'apt-get install python3-torch failed' };
    }
  }
  const probe = spawnSync(python, ['bench/pytorch_bench.py', '--blas'], { encoding: 'utf8' });
  const blas = probe.status === 0 ? (JSON.parse(probe.stdout.trim()) as { blas: string }).blas : '';
  if (blas.startsWith('reference') && canApt) aptInstall(['libopenblas0-pthread']);
  else if (blas.startsWith('reference')) process.stderr.write('[pytorch] torch runs on the reference BLAS here; its row will be far below a pip-installed PyTorch\n');
  return runProcess(target, python, ['bench/pytorch_bench.py', '--threads', String(THREADS), ...extra]);
}

function runTarget(target: Target, extra: string[], mayInstall: boolean): Outcome {
  process.stderr.write(`— ${target.name}\n`);
  const matmulOnly = extra.filter((a) => a === '--matmul-only');
  switch (target.runner ?? 'engine') {
    case 'engine':
      return runProcess(target, process.execPath, ['--import', 'tsx', 'bench/target.ts', target.name, ...extra]);
    case 'onnxruntime': {
      const threads = target.name.endsWith('-1') ? 1 : THREADS;
      return runProcess(target, process.execPath, ['--import', 'tsx', 'bench/reference-target.ts', target.name, '--threads', String(threads), ...matmulOnly]);
    }
    case 'pytorch':
      return runPytorch(target, matmulOnly, mayInstall);
  }
}

function table(results: Outcome[], stamp: string): string {
  const rows: string[] = [
    `\n## ${stamp} — ${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`,
    '| target | adapter | MNRL 32×32 pairs/s | MNRL 8×128 pairs/s | encode seq 32 sent/s | encode seq 128 sent/s | host ms/step 32×32 (dispatches) | matmul GFLOP/s (variant: FFN 512×384·384×1536 A·B (A·Bᵀ, Aᵀ·B)) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    if ('error' in r || 'skipped' in r) {
      rows.push(`| ${r.target} | ${'error' in r ? `failed (${r.error})` : `skipped: ${r.skipped}`} | | | | | | |`);
      continue;
    }
    const train = (seq: number) => r.training.find((t) => t.seq === seq && !t.matmul);
    const enc = (seq: number) => r.encode.find((e) => e.seq === seq);
    const fmt = (x: number | undefined) => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(2));
    // With --compare-matmul: "default figure (kernel a, b; other kernel c, d)" from alternating steps.
    const compared = [...new Set(r.training.filter((t) => t.matmul).map((t) => t.matmul))];
    const comparison = compared.length
      ? ` (${compared.map((name) => `${name} ${r.training.filter((t) => t.matmul === name).map((t) => fmt(t.pairsPerSecond)).join(', ')}`).join('; ')})`
      : '';
    // A·B per variant, then its A·Bᵀ / Aᵀ·B figures in brackets where the run measured them.
    const ffn = r.matmul.filter((m) => m.shape.startsWith('512x'));
    const mm = ffn
      .filter((m) => (m.op ?? 'A·B') === 'A·B')
      .map((m) => {
        const other = ffn.filter((o) => o.variant === m.variant && o.op && o.op !== 'A·B').map((o) => `${o.op} ${o.gflops.toFixed(1)}`);
        return `${m.variant}: ${m.gflops.toFixed(1)}${other.length ? ` (${other.join(', ')})` : ''}`;
      })
      .join(', ');
    const host = r.host ? `${r.host.recordMsPerStep.toFixed(1)} (${r.host.dispatchesPerStep})` : '—';
    rows.push(`| ${r.target} | ${r.adapter} | ${fmt(train(32)?.pairsPerSecond)}${comparison} | ${fmt(train(128)?.pairsPerSecond)} | ${fmt(enc(32)?.sentencesPerSecond)} | ${fmt(enc(128)?.sentencesPerSecond)} | ${host} | ${mm} |`);
  }
  return `${rows.join('\n')}\n`;
}

/** A figure one target measured; undefined when it did not run or did not measure it. */
type Measure = (r: TargetResult) => number | undefined;

const encodeAt = (seq: number): Measure => (r) => r.encode.find((e) => e.seq === seq)?.sentencesPerSecond;
const mnrlAt = (batch: number, seq: number): Measure => (r) => r.training.find((t) => t.batch === batch && t.seq === seq && !t.matmul)?.pairsPerSecond;
const ffnRow = (op: string, prepacked: boolean): Measure => (r) =>
  r.matmul.find((m) => m.shape === '512x384·384x1536' && (m.op ?? 'A·B') === op && m.variant.startsWith(PREPACKED) === prepacked)?.gflops;
const ffn = (op: string): Measure => ffnRow(op, false);

/** A row of the alternatives table: `wasm` (or `wasm-1`) against the same measure elsewhere. */
interface Comparison {
  label: string;
  wasm: 'wasm' | 'wasm-1';
  /** Target names for the ort-web, ort-node and pytorch columns; undefined leaves the cell empty. */
  against: [ortWeb: string | undefined, ortNode: string | undefined, pytorch: string | undefined];
  measure: Measure;
  /** The alternatives' figure where it differs from ours (ORT's prepacked constant B). */
  theirs?: Measure;
  /** Issue 10's goals, as least ratios wasm ÷ that column. */
  goals?: [ortWeb?: number, ortNode?: number, pytorch?: number];
}

const COMPARISONS: Comparison[] = [
  { label: 'encode 64×32, sentences/s', wasm: 'wasm', against: ['ort-web', 'ort-node', 'pytorch'], measure: encodeAt(32), goals: [1, 0.5] },
  { label: 'encode 64×128, sentences/s', wasm: 'wasm', against: ['ort-web', 'ort-node', 'pytorch'], measure: encodeAt(128), goals: [1, 0.5] },
  { label: 'encode 64×32, 1 thread', wasm: 'wasm-1', against: ['ort-web-1', 'ort-node-1', undefined], measure: encodeAt(32), goals: [1, 0.5] },
  { label: 'encode 64×128, 1 thread', wasm: 'wasm-1', against: ['ort-web-1', 'ort-node-1', undefined], measure: encodeAt(128), goals: [1, 0.5] },
  { label: 'MNRL 32×32, pairs/s', wasm: 'wasm', against: [undefined, undefined, 'pytorch'], measure: mnrlAt(32, 32), goals: [undefined, undefined, 1] },
  { label: 'MNRL 8×128, pairs/s', wasm: 'wasm', against: [undefined, undefined, 'pytorch'], measure: mnrlAt(8, 128) },
  { label: 'FFN matmul A·B, GFLOP/s, 1 thread', wasm: 'wasm-1', against: ['ort-web-1', 'ort-node-1', undefined], measure: ffn('A·B') },
  { label: 'FFN matmul A·B, GFLOP/s, 1 thread, ORT with B a prepacked weight', wasm: 'wasm-1', against: ['ort-web-1', 'ort-node-1', undefined], measure: ffn('A·B'), theirs: ffnRow('A·B', true) },
  { label: 'FFN matmul A·B, GFLOP/s, all threads', wasm: 'wasm', against: ['ort-web', 'ort-node', 'pytorch'], measure: ffn('A·B') },
  { label: 'FFN matmul A·B, GFLOP/s, all threads, ORT with B a prepacked weight (as in its encode)', wasm: 'wasm', against: ['ort-web', 'ort-node', undefined], measure: ffn('A·B'), theirs: ffnRow('A·B', true) },
  { label: 'FFN matmul A·Bᵀ, GFLOP/s, all threads', wasm: 'wasm', against: ['ort-web', 'ort-node', 'pytorch'], measure: ffn('A·Bᵀ') },
  { label: 'FFN matmul Aᵀ·B, GFLOP/s, all threads', wasm: 'wasm', against: ['ort-web', 'ort-node', 'pytorch'], measure: ffn('Aᵀ·B') },
];

/**
 * Issue 10's targets: `wasm` ÷ each alternative, from this one run on this one machine (ratios
 * from different runs would carry the ±35% drift between runs on these VMs). A cell reads
 * "figure (ratio×)"; a ratio with a goal gets ✓ or ✗. Notes a target marks "warning:" follow the
 * table, since they qualify its figures (e.g. PyTorch on the reference BLAS).
 */
function alternativesTable(results: Outcome[]): string {
  const byName = new Map(results.map((r) => [r.target, r]));
  const measured = (name: string | undefined, m: Measure): number | string | undefined => {
    if (!name) return undefined;
    const r = byName.get(name);
    if (!r) return 'not run';
    if ('error' in r) return 'failed';
    if ('skipped' in r) return 'skipped';
    return m(r) ?? 'not measured';
  };
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  const rows = [
    `\n### wasm against the alternatives (${THREADS} threads unless the row says 1; each column the same thread count as its wasm figure)\n`,
    '| measure | wasm | ort-web | ort-node | pytorch | goals (wasm ÷ column) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of COMPARISONS) {
    const ours = measured(c.wasm, c.measure);
    // A row nobody measured (e.g. encode under --matmul-only) would only say so five times.
    const other = c.theirs ?? c.measure;
    if (typeof ours !== 'number' && !c.against.some((name) => typeof measured(name, other) === 'number')) continue;
    const cells = c.against.map((name, i) => {
      const theirs = measured(name, other);
      if (theirs === undefined) return '';
      if (typeof theirs === 'string') return `${name}: ${theirs}`;
      if (typeof ours !== 'number') return fmt(theirs);
      const ratio = ours / theirs;
      const goal = c.goals?.[i];
      return `${fmt(theirs)} (${ratio.toFixed(2)}×${goal === undefined ? '' : ratio >= goal ? ' ✓' : ' ✗'})`;
    });
    const goals = (c.goals ?? []).map((g, i) => (g === undefined ? undefined : `≥ ${g.toFixed(1)}× ${c.against[i]}`)).filter((g) => g !== undefined);
    rows.push(`| ${c.label} | ${typeof ours === 'number' ? fmt(ours) : `${c.wasm}: ${ours ?? 'not run'}`} | ${cells.join(' | ')} | ${goals.join(', ')} |`);
  }
  for (const r of results) {
    if ('error' in r || 'skipped' in r) continue;
    for (const note of r.notes.filter((n) => n.startsWith('warning:'))) rows.push(`\n- ${r.target}: ${note.replace(/^warning:\s*/, '')}`);
  }
  return `${rows.join('\n')}\n`;
}

/**
 * The built-in model's 1,600-text encode (bench/builtin-encode.ts) on the CPU reference and on
 * wasm, in a child process of its own: the figure a person sees from `npm run cli -- encode`.
 */
function builtinEncodeTable(): string {
  process.stderr.write('— builtin-encode\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/builtin-encode.ts', 'cpu,wasm,wasm-1'], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('[')) return `\nBuilt-in model, 1,600-text encode: failed (exit ${child.status})\n`;
  const rows = JSON.parse(line) as BuiltinEncodeRow[];
  const cpu = rows.find((r) => r.backend === 'cpu');
  const lines = [
    '\nBuilt-in model (public/models/builtin), encode of 1,600 texts (bench/builtin-encode.ts), batch 32:\n',
    '| backend | adapter | seconds | texts/s | × cpu | max |Δ| vs cpu |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.backend} | ${r.adapter} | ${r.seconds.toFixed(2)} | ${r.textsPerSecond.toFixed(0)} | ${cpu ? (cpu.seconds / r.seconds).toFixed(1) : '—'} | ${Number.isFinite(r.maxDiffFromCpu) ? r.maxDiffFromCpu.toExponential(1) : '—'} |`),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--targets');
  const wanted = arg >= 0 ? process.argv[arg + 1]?.split(',') : undefined;
  const hostOnly = process.argv.includes('--host-only');
  // --host-only measures WebGPU's recording: the wasm and reference targets have none.
  const all: Target[] = [
    { name: 'cpu', env: {} },
    ...(hostOnly && !wanted ? [] : [{ name: 'wasm', env: {} }, { name: 'wasm-1', env: {} }]),
    ...vulkanTargets(),
    ...(hostOnly && !wanted ? [] : referenceTargets()),
  ];
  const targets = wanted ? all.filter((t) => wanted.some((w) => t.name === w || t.name.startsWith(`${w}:`))) : all;
  if (targets.length === 0) throw new Error(`no benchmark target matches ${wanted?.join(',')}; found ${all.map((t) => t.name).join(', ')}`);
  const extra: string[] = [];
  if (process.argv.includes('--matmul-only')) extra.push('--matmul-only');
  if (hostOnly) extra.push('--host-only');
  const compare = process.argv.indexOf('--compare-matmul');
  if (compare >= 0) extra.push('--compare-matmul', process.argv[compare + 1] ?? 'register8x8');
  const mayInstall = !process.argv.includes('--no-install');
  const results = targets.map((t) => runTarget(t, extra, mayInstall));
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await mkdir('bench/out', { recursive: true });
  await writeFile(path.join('bench/out', `${stamp.replace(/:/g, '-')}.json`), `${JSON.stringify({ date: stamp, host: hostname(), results }, null, 2)}\n`);
  // The ratios need wasm and at least one alternative in this run.
  const names = new Set(results.map((r) => r.target));
  const compared = (names.has('wasm') || names.has('wasm-1')) && referenceTargets().some((t) => names.has(t.name));
  const encodeBuiltin = !hostOnly && !process.argv.includes('--matmul-only') && !process.argv.includes('--no-builtin-encode');
  const report = table(results, stamp) + (compared ? alternativesTable(results) : '') + (encodeBuiltin ? builtinEncodeTable() : '');
  if (!process.argv.includes('--no-results')) await appendFile('bench/RESULTS.md', report);
  process.stderr.write(report);
  if (results.some((r) => 'error' in r)) process.exitCode = 1;
}

await main();
