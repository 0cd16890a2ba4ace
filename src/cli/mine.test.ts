import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../test/support/run-cli.ts';

const SAMPLE = path.resolve('public/samples/support-faq.jsonl');
const BUILTIN = path.resolve('public/models/builtin');


describe('npm run cli -- mine', () => {
  let dir = '';
  beforeAll(async () => (dir = await mkdtemp(path.join(tmpdir(), 'es-mine-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes (anchor, positive, negative) JSONL, num_negatives per pair, never a positive', async () => {
    const out = path.join(dir, 'triplets.jsonl');
    const r = await cli('mine', '--model', BUILTIN, '--data', SAMPLE, '--out', out, '--num-negatives', '2', '--range-min', '1', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { pairs: number; triplets: number };
    const rows = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { anchor: string; positive: string; negative: string });
    expect(rows).toHaveLength(summary.triplets);
    expect(summary.triplets).toBe(summary.pairs * 2);
    const positives = new Map<string, Set<string>>();
    for (const l of (await readFile(SAMPLE, 'utf8')).trim().split('\n')) {
      const row = JSON.parse(l) as { query: string; positive: string };
      positives.set(row.query, (positives.get(row.query) ?? new Set()).add(row.positive));
    }
    for (const t of rows) expect(positives.get(t.anchor)?.has(t.negative)).toBe(false);
  }, 120_000);

  it('answers bad input with one line and exit 2', async () => {
    const one = path.join(dir, 'one.jsonl');
    await writeFile(one, '{"anchor":"a","positive":"b"}\n');
    const r = await cli('mine', '--model', BUILTIN, '--data', one, '--out', path.join(dir, 'x.jsonl'), '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has 1 document; mining needs others/);
    const bad = await cli('mine', '--model', BUILTIN, '--data', SAMPLE, '--out', path.join(dir, 'x.jsonl'), '--range-min', '5', '--range-max', '3');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--range-max: range_max must be a whole number above range_min/);
    expect((await cli('mine', '--model', BUILTIN, '--data', SAMPLE, '--out', 'x', '--sampling-strategy', 'best')).stderr).toMatch(/--sampling-strategy must be one of top, random/);
  });
});
