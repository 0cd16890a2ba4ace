/**
 * Dataset sizes at the edges: 0 rows, 1 row (every shape, every format), and 1,000,000 JSONL rows
 * generated in memory, which must load with exact counts in bounded time.
 */

import { describe, expect, it } from 'vitest';
import { loadTrainingFile } from '../../src/data/load-file.ts';
import { loadTrainingJsonl } from '../../src/data/load.ts';
import { writeParquet } from '../data/write-parquet.ts';

const enc = new TextEncoder();

describe('datasets with 0 rows', () => {
  const EMPTY_JSONL = ['', '\n', '\n\n\n', '\ufeff', '\ufeff\n', '  \n\t\n', '\r\n\r\n'];
  it.each(EMPTY_JSONL.map((t) => [JSON.stringify(t), t]))('JSONL %s: no examples, no issues, detection says why', (_, text) => {
    const r = loadTrainingJsonl(text, { file: 'empty.jsonl' });
    expect(r.examples).toEqual([]);
    expect(r.report.validRows).toBe(0);
    expect(r.report.skippedRows).toBe(0);
    expect(r.report.issues).toEqual([]);
    expect(r.report.blankLines).toBe(r.report.totalLines);
    expect(r.detection.ok).toBe(false);
    expect(r.losses).toEqual([]);
  });

  it.each([['empty.csv', ''], ['empty.jsonl', ''], ['blank.tsv', ' \n\t\n']])('%s through the file loader: refused as an empty file, not parsed', async (name, text) => {
    await expect(loadTrainingFile(name, enc.encode(text))).rejects.toThrow(`${name}: empty file`);
  });

  it.each([
    ['header-only.csv', 'anchor,positive\n'],
    ['header-only.tsv', 'anchor\tpositive'],
    ['blank-rows.csv', 'anchor,positive\n\n\n'],
  ])('%s: no examples and no issues', async (name, text) => {
    const r = await loadTrainingFile(name, enc.encode(text));
    expect(r.examples).toEqual([]);
    expect(r.report.issues).toEqual([]);
    expect(r.report.validRows).toBe(0);
  });

  it('Parquet with a schema and 0 rows: no examples, no issues', async () => {
    const bytes = writeParquet([{ name: 'anchor', type: 'string', values: [] }, { name: 'positive', type: 'string', values: [] }], 1);
    const r = await loadTrainingFile('empty.parquet', bytes);
    expect(r.report).toMatchObject({ totalLines: 0, validRows: 0, skippedRows: 0, issues: [] });
  });
});

describe('datasets with 1 row', () => {
  const ONE: [string, Record<string, unknown>, string, number | undefined][] = [
    ['pairs', { anchor: 'a', positive: 'b' }, 'pairs', undefined],
    ['triplets', { query: 'a', positive: 'b', negative: 'c' }, 'triplets', undefined],
    ['scored-pairs', { sentence1: 'a', sentence2: 'b', score: 0.25 }, 'scored-pairs', 0.25],
    ['labeled-pairs', { sentence1: 'a', sentence2: 'b', label: 1 }, 'labeled-pairs', 1],
    ['labeled-texts', { text: 'a', label: 'x' }, 'labeled-texts', 0],
  ];
  it.each(ONE)('%s: the single row is kept in JSONL (with and without a final newline), CSV and Parquet', async (_, row, shape, label) => {
    const texts = Object.entries(row).filter(([k]) => !['score', 'label'].includes(k)).map(([, v]) => v);
    for (const text of [JSON.stringify(row), JSON.stringify(row) + '\n', JSON.stringify(row) + '\r\n']) {
      const r = loadTrainingJsonl(text, { file: 'one.jsonl' });
      expect(r.detection.ok && r.detection.mapping.shape).toBe(shape);
      expect(r.report).toMatchObject({ totalLines: 1, validRows: 1, skippedRows: 0, blankLines: 0 });
      expect(r.examples[0].texts).toEqual(texts);
      expect(r.examples[0].label).toBe(label);
    }
    const keys = Object.keys(row);
    const csv = await loadTrainingFile('one.csv', enc.encode(`${keys.join(',')}\n${keys.map((k) => String(row[k])).join(',')}`));
    expect(csv.report).toMatchObject({ validRows: 1, skippedRows: 0 });
    expect(csv.examples[0].texts).toEqual(texts);
    const pq = writeParquet(
      keys.map((k) =>
        typeof row[k] === 'number'
          ? { name: k, type: 'double' as const, values: [row[k] as number] }
          : { name: k, type: 'string' as const, values: [row[k] as string] },
      ),
      1,
    );
    const p = await loadTrainingFile('one.parquet', pq);
    expect(p.report).toMatchObject({ totalLines: 1, validRows: 1, skippedRows: 0 });
    expect(p.examples[0].texts).toEqual(texts);
  });
});

describe('a dataset with 1,000,000 rows', () => {
  it('loads 1M JSONL rows generated in memory with exact counts in bounded time (< 30 s)', () => {
    const N = 1_000_000;
    // Every 100,000th line is broken JSON, every 250,000th is blank, lines 400,001 and 800,001 repeat
    // line 1 (duplicates), every 333,333rd has an empty positive; the rest are unique pairs.
    const lines: string[] = new Array(N);
    let bad = 0, blank = 0, dup = 0, empty = 0;
    for (let i = 1; i <= N; i++) {
      if (i % 100_000 === 0) {
        lines[i - 1] = '{"anchor": "broken"';
        bad++;
      } else if (i % 250_000 === 0) {
        lines[i - 1] = '';
        blank++;
      } else if (i > 1 && (i - 1) % 400_000 === 0) {
        lines[i - 1] = '{"anchor":"query 1","positive":"passage 1"}';
        dup++;
      } else if (i % 333_333 === 0) {
        lines[i - 1] = `{"anchor":"query ${i}","positive":""}`;
        empty++;
      } else {
        lines[i - 1] = `{"anchor":"query ${i}","positive":"passage ${i}"}`;
      }
    }
    const text = lines.join('\n') + '\n';
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = loadTrainingJsonl(text, { file: 'big.jsonl' });
    const ms = performance.now() - t0;
    // CPU time (this process) as well as wall time: the bound is about our work, not about other
    // jobs sharing this 2-core machine.
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const heap = process.memoryUsage().heapUsed;
    console.log(
      `[fuzz] 1M-row JSONL (${(text.length / 1e6).toFixed(1)} MB): loaded in ${(ms / 1000).toFixed(2)} s wall, ${(cpuMs / 1000).toFixed(2)} s CPU, ` +
        `${r.report.validRows} kept, ${r.report.skippedRows} skipped, ${r.report.blankLines} blank; heap ${(heap / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(r.detection.ok && r.detection.mapping.shape).toBe('pairs');
    expect(r.report.totalLines).toBe(N);
    expect(r.report.blankLines).toBe(blank);
    expect(r.report.countsByCode).toEqual({ 'bad-json': bad, 'duplicate-row': dup, 'empty-field': empty });
    expect(r.report.skippedRows).toBe(bad + dup + empty);
    expect(r.report.validRows).toBe(N - bad - blank - dup - empty);
    expect(r.report.validRows + r.report.skippedRows + r.report.blankLines).toBe(N);
    expect(r.examples.length).toBe(r.report.validRows);
    expect(r.examples[0].texts).toEqual(['query 1', 'passage 1']);
    // Line 1,000,000 is broken and 999,999 (= 3 × 333,333) has an empty positive.
    expect(r.examples.at(-1)!.texts).toEqual([`query ${N - 2}`, `passage ${N - 2}`]);
    expect(r.lines.at(-1)).toBe(N - 2);
    expect(Math.min(ms, cpuMs)).toBeLessThan(30_000);
  });
});
