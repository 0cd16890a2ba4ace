/**
 * The built-in model's encode of 1,600 short texts (our own corpus and sample datasets, cycled),
 * as a person runs `npm run cli -- encode --model public/models/builtin`: texts/s per backend, and
 * the largest embedding difference from the CPU reference. `npx tsx bench/builtin-encode.ts [cpu,wasm,wasm-1]`
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../src/engine/backend.ts';
import { CpuBackend } from '../src/engine/cpu/cpu-backend.ts';
import { loadModelDir } from '../src/cli/node-runtime.ts';

export const BUILTIN_ENCODE_TEXTS = 1600;

/** Every distinct line of public/corpus and every text field of public/samples, cycled to 1,600. */
export function builtinEncodeTexts(): string[] {
  const texts: string[] = [];
  for (const f of readdirSync('public/corpus').sort()) {
    for (const line of readFileSync(path.join('public/corpus', f), 'utf8').split('\n')) if (line.trim()) texts.push(line.trim());
  }
  for (const f of ['support-faq.jsonl', 'sts-pairs.jsonl']) {
    for (const line of readFileSync(path.join('public/samples', f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as Record<string, unknown>;
      for (const key of ['query', 'positive', 'negative', 'sentence1', 'sentence2']) if (typeof row[key] === 'string') texts.push(row[key]);
    }
  }
  const distinct = [...new Set(texts)];
  return Array.from({ length: BUILTIN_ENCODE_TEXTS }, (_, i) => distinct[i % distinct.length]);
}

async function makeBackend(name: string): Promise<Backend> {
  if (name === 'cpu') return new CpuBackend();
  const { createWasmBackend } = await import('../src/engine/wasm/wasm-backend.ts');
  const { nodeThreadSpawner, nodeThreadCount } = await import('../src/engine/wasm/node-threads.ts');
  return createWasmBackend({ threads: name === 'wasm-1' ? 1 : nodeThreadCount(), spawn: nodeThreadSpawner });
}

export interface BuiltinEncodeRow { backend: string; adapter: string; seconds: number; textsPerSecond: number; maxDiffFromCpu: number }

export async function benchBuiltinEncode(names: readonly string[]): Promise<BuiltinEncodeRow[]> {
  const texts = builtinEncodeTexts();
  const rows: BuiltinEncodeRow[] = [];
  let reference: Float32Array | null = null;
  for (const name of names) {
    const backend = await makeBackend(name);
    try {
      const { model } = await loadModelDir('public/models/builtin', backend);
      const started = performance.now();
      const embeddings = await model.encode(texts, { batchSize: 32 });
      const seconds = (performance.now() - started) / 1000;
      if (name === 'cpu') reference = embeddings;
      let maxDiff = 0;
      if (reference) for (let i = 0; i < embeddings.length; i++) maxDiff = Math.max(maxDiff, Math.abs(embeddings[i] - reference[i]));
      rows.push({ backend: name, adapter: backend.adapter.summary, seconds, textsPerSecond: texts.length / seconds, maxDiffFromCpu: reference ? maxDiff : Number.NaN });
      process.stderr.write(`[builtin-encode] ${name}: ${texts.length} texts in ${seconds.toFixed(2)} s (${(texts.length / seconds).toFixed(0)} texts/s)\n`);
    } finally {
      backend.destroy();
    }
  }
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]).endsWith('builtin-encode.ts')) {
  const rows = await benchBuiltinEncode((process.argv[2] ?? 'cpu,wasm').split(','));
  process.stdout.write(`${JSON.stringify(rows)}\n`);
  process.exit(0);
}
