/**
 * `npm run bench`: runs bench/target.ts once per target — the CPU backend and every Vulkan
 * driver found (Chromium's SwiftShader, Mesa lavapipe from scripts/get-lavapipe.sh, the system's
 * ICDs such as NVIDIA's) — then writes bench/out/<stamp>.json and appends a dated table to
 * bench/RESULTS.md. Never fails on a time; fails only when a target crashes.
 *
 *   npm run bench [-- --targets cpu,swiftshader,lavapipe,system] [--matmul-only | --host-only] [--compare-matmul register8x8]
 *
 * --matmul-only skips training and encoding (minutes a step on CPU-emulated adapters);
 * --host-only measures only the host side of a step (recording + submitting, GPU idle);
 * --compare-matmul also trains MNRL 32×32 with that kernel, alternating with the default in one
 * process (the row shows both).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { cpus, hostname, totalmem } from 'node:os';
import path from 'node:path';
import type { TargetResult } from './target.ts';

interface Target {
  name: string;
  env: Record<string, string>;
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

function runTarget(target: Target, extra: string[]): TargetResult | { target: string; error: string } {
  process.stderr.write(`— ${target.name}\n`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/target.ts', target.name, ...extra], {
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...target.env },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return { target: target.name, error: `exit ${child.status}` };
  return JSON.parse(line) as TargetResult;
}

function table(results: (TargetResult | { target: string; error: string })[], stamp: string): string {
  const rows: string[] = [
    `\n## ${stamp} — ${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`,
    '| target | adapter | MNRL 32×32 pairs/s | MNRL 8×128 pairs/s | encode seq 32 sent/s | encode seq 128 sent/s | host ms/step 32×32 (dispatches) | matmul GFLOP/s (variant: FFN 512×384·384×1536 A·B (A·Bᵀ, Aᵀ·B)) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    if ('error' in r) {
      rows.push(`| ${r.target} | failed (${r.error}) | | | | | | |`);
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

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--targets');
  const wanted = arg >= 0 ? process.argv[arg + 1]?.split(',') : undefined;
  const all: Target[] = [{ name: 'cpu', env: {} }, ...vulkanTargets()];
  const targets = wanted ? all.filter((t) => wanted.some((w) => t.name === w || t.name.startsWith(`${w}:`))) : all;
  if (targets.length === 0) throw new Error(`no benchmark target matches ${wanted?.join(',')}; found ${all.map((t) => t.name).join(', ')}`);
  const extra: string[] = [];
  if (process.argv.includes('--matmul-only')) extra.push('--matmul-only');
  if (process.argv.includes('--host-only')) extra.push('--host-only');
  const compare = process.argv.indexOf('--compare-matmul');
  if (compare >= 0) extra.push('--compare-matmul', process.argv[compare + 1] ?? 'register8x8');
  const results = targets.map((t) => runTarget(t, extra));
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await mkdir('bench/out', { recursive: true });
  await writeFile(path.join('bench/out', `${stamp.replace(/:/g, '-')}.json`), `${JSON.stringify({ date: stamp, host: hostname(), results }, null, 2)}\n`);
  await appendFile('bench/RESULTS.md', table(results, stamp));
  process.stderr.write(table(results, stamp));
  if (results.some((r) => 'error' in r)) process.exitCode = 1;
}

await main();
