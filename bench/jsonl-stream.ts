/**
 * Time and peak RSS to read a large generated JSONL the way `train --data` reads it (a file-backed
 * Blob streamed through the parser, then validation and conversion), against the same file read
 * into memory first. Each variant runs in its own process so its peak RSS is its own.
 *
 *   npx tsx bench/jsonl-stream.ts [MB=200]
 *
 * The file is generated into the OS temp folder (and removed); nothing is written to the repo.
 */

import { spawnSync } from 'node:child_process';
import { createWriteStream, openAsBlob } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTrainingFile } from '../src/data/load-file.ts';

interface Measurement {
  variant: string;
  seconds: number;
  maxRssMiB: number;
  rows: number;
  issues: number;
}

async function generate(file: string, megabytes: number): Promise<number> {
  const out = createWriteStream(file);
  const words = ['refund', 'delivery', '退货流程', 'the parcel', 'größe', 'invoice', 'naïve café', 'order', 'warranty', 'address'];
  let bytes = 0;
  let batch = '';
  for (let i = 0; bytes < megabytes * 1024 * 1024; i++) {
    const w = (k: number) => words[(i * 7 + k * 13) % words.length];
    const line =
      i % 1000 === 999
        ? '{"query": "a broken line", "positive": \n'
        : `${JSON.stringify({ query: `how do I ask about ${w(1)} ${w(2)} for order ${i}?`, positive: `You can ask about ${w(3)} and ${w(4)} of order ${i} in the ${w(5)} page; ${w(6)} ${w(7)} ${w(8)}.`, negative: `Our ${w(9)} policy changed in ${2000 + (i % 25)}.` })}\n`;
    batch += line;
    bytes += Buffer.byteLength(line);
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = '';
    }
  }
  out.end(batch);
  await new Promise<void>((r) => out.once('finish', () => r()));
  return (await stat(file)).size;
}

async function measure(variant: string, file: string): Promise<Measurement> {
  const t0 = performance.now();
  const data = variant === 'stream (CLI --data path)' ? await openAsBlob(file) : new Uint8Array(await readFile(file));
  const loaded = await loadTrainingFile(file, data, { file });
  const seconds = (performance.now() - t0) / 1000;
  return { variant, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, rows: loaded.examples.length, issues: loaded.report.issues.length };
}

const VARIANTS = ['stream (CLI --data path)', 'bytes read whole first'];

if (process.argv[2] === '--measure') {
  console.log(JSON.stringify(await measure(process.argv[3], process.argv[4])));
} else {
  const megabytes = Number(process.argv[2] ?? 200);
  const file = path.join(os.tmpdir(), `embedding-studio-bench-${process.pid}.jsonl`);
  try {
    const size = await generate(file, megabytes);
    console.log(`generated ${(size / 1024 / 1024).toFixed(0)} MiB at ${file}`);
    const self = fileURLToPath(import.meta.url);
    for (const variant of VARIANTS) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--measure', variant, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`${variant}: ${r.stderr}`);
      const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Measurement;
      console.log(`${m.variant}: ${m.seconds.toFixed(1)} s, peak RSS ${m.maxRssMiB.toFixed(0)} MiB, ${m.rows} rows kept, ${m.issues} issues`);
    }
  } finally {
    await rm(file, { force: true });
  }
}
