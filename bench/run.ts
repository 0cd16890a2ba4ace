/**
 * `npm run bench`: runs bench/target.ts once per target — the CPU backend and every Vulkan
 * driver found (Chromium's SwiftShader, Mesa lavapipe from scripts/get-lavapipe.sh, the system's
 * ICDs such as NVIDIA's) — then writes bench/out/<stamp>.json and appends a dated table to
 * bench/RESULTS.md. Never fails on a time; fails only when a target crashes.
 *
 *   npm run bench [-- --targets cpu,swiftshader,lavapipe,system]
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

function runTarget(target: Target): TargetResult | { target: string; error: string } {
  process.stderr.write(`— ${target.name}\n`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/target.ts', target.name], {
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
    '| target | adapter | MNRL 32×32 pairs/s | MNRL 8×128 pairs/s | encode seq 32 sent/s | encode seq 128 sent/s | matmul GFLOP/s (variant: FFN 512×384·384×1536) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    if ('error' in r) {
      rows.push(`| ${r.target} | failed (${r.error}) | | | | | |`);
      continue;
    }
    const train = (seq: number) => r.training.find((t) => t.seq === seq);
    const enc = (seq: number) => r.encode.find((e) => e.seq === seq);
    const fmt = (x: number | undefined) => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(2));
    const mm = r.matmul.filter((m) => m.shape.startsWith('512x')).map((m) => `${m.variant}: ${m.gflops.toFixed(1)}`).join(', ');
    rows.push(`| ${r.target} | ${r.adapter} | ${fmt(train(32)?.pairsPerSecond)} | ${fmt(train(128)?.pairsPerSecond)} | ${fmt(enc(32)?.sentencesPerSecond)} | ${fmt(enc(128)?.sentencesPerSecond)} | ${mm} |`);
  }
  return `${rows.join('\n')}\n`;
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--targets');
  const wanted = arg >= 0 ? process.argv[arg + 1]?.split(',') : undefined;
  const all: Target[] = [{ name: 'cpu', env: {} }, ...vulkanTargets()];
  const targets = wanted ? all.filter((t) => wanted.some((w) => t.name === w || t.name.startsWith(`${w}:`))) : all;
  if (targets.length === 0) throw new Error(`no benchmark target matches ${wanted?.join(',')}; found ${all.map((t) => t.name).join(', ')}`);
  const results = targets.map(runTarget);
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await mkdir('bench/out', { recursive: true });
  await writeFile(path.join('bench/out', `${stamp.replace(/:/g, '-')}.json`), `${JSON.stringify({ date: stamp, host: hostname(), results }, null, 2)}\n`);
  await appendFile('bench/RESULTS.md', table(results, stamp));
  process.stderr.write(table(results, stamp));
  if (results.some((r) => 'error' in r)) process.exitCode = 1;
}

await main();
