import { describe, expect, it } from 'vitest';
import { makePdf } from '../../test/support/make-pdf.ts';
import { profile, SETTINGS, tab, withBuiltin } from '../../test/support/studio-profile.ts';
import { MINED_TRIPLETS_FILE } from './studio-api.ts';
import { DEFAULT_MINING_OPTIONS } from '../shared/settings.ts';

/** Mining, baselines and the RAG check driven through the worker's API, as the page drives them. */

const utf8 = (s: string) => new TextEncoder().encode(s);

const GUIDE = [
  '# Returns',
  'Items can be returned within 30 days of delivery. Start a return from the Orders page and print the label.',
  '# Shipping',
  'Standard shipping takes three to five business days. Express shipping arrives the next day when ordered before noon.',
  '# Passwords',
  'To reset your password, open Settings, choose Security and follow the emailed link.',
].join('\n\n');

describe('BM25 baseline through the worker', () => {
  it('scores BM25 beside the base model on the eval split; no fine-tuned column before training', async () => {
    const t = await tab(profile());
    await withBuiltin(t);
    const b = await t.api.baselines(SETTINGS);
    expect(b.trained).toBeNull();
    for (const v of Object.values(b.bm25)) expect(v).toBeGreaterThanOrEqual(0);
    // Keyword search finds FAQ answers that share words with the question: far above chance.
    expect(b.bm25['mrr@10']).toBeGreaterThan(0.3);
    expect(b.base).toEqual((await t.api.evaluate(SETTINGS, 'base')).metrics);
  }, 120_000);
});

describe('hard-negative mining through the worker', () => {
  it('mines, pages the table, and saves the triplets without the rejected negatives as the training data', async () => {
    const t = await tab(profile());
    const before = await withBuiltin(t);
    const summary = await t.api.mine(SETTINGS, { ...DEFAULT_MINING_OPTIONS, numNegatives: 2 });
    expect(summary.pairs).toBe(before.rows);
    expect(summary.weights).toBe('base');
    const rows = t.api.minedRows(0, summary.negatives);
    expect(rows).toHaveLength(summary.negatives);
    expect(t.api.minedRows(3, 4).map((r) => r.index)).toEqual([3, 4, 5, 6]);
    for (const r of rows) {
      expect(r.negative).not.toBe(r.positive);
      expect(r.negative).not.toBe(r.anchor);
      expect(r.negativeScore).toBeLessThanOrEqual(1 + 1e-6);
    }
    const rejected = [rows[0].key, rows[1].key];
    const jsonl = t.api.minedTripletsJsonl(rejected).trim().split('\n');
    expect(jsonl).toHaveLength(summary.negatives - 2);
    expect(Object.keys(JSON.parse(jsonl[0]) as object)).toEqual(['anchor', 'positive', 'negative']);
    const { info, result } = await t.api.useMinedTriplets(rejected);
    expect(result).toEqual({ name: MINED_TRIPLETS_FILE, triplets: summary.negatives - 2, rejected: 2 });
    expect(info).toMatchObject({ file: MINED_TRIPLETS_FILE, shape: 'triplets', rows: summary.negatives - 2 });
    expect((await t.api.listDatasets()).map((d) => d.name)).toContain(MINED_TRIPLETS_FILE);
    expect(() => t.api.minedRows(0, 1)).toThrow(/mine hard negatives first/);
  }, 120_000);

  it('answers bad input with a sentence: a one-document corpus, options out of range, everything rejected', async () => {
    const t = await tab(profile());
    await t.api.loadModel({ kind: 'builtin' }, () => {});
    await t.api.loadDataset('one.jsonl', utf8('{"anchor":"a question","positive":"the only answer"}\n'), { evalFraction: 0, seed: 1 });
    await expect(t.api.mine(SETTINGS, DEFAULT_MINING_OPTIONS)).rejects.toThrow(/the corpus has 1 document/);
    await expect(t.api.mine(SETTINGS, { ...DEFAULT_MINING_OPTIONS, rangeMax: 0 })).rejects.toThrow(/range_max/);
    await t.api.loadDataset('two.jsonl', utf8('{"anchor":"q1","positive":"p1"}\n{"anchor":"q2","positive":"p2"}\n'), { evalFraction: 0, seed: 1 });
    const s = await t.api.mine(SETTINGS, { ...DEFAULT_MINING_OPTIONS, numNegatives: 1 });
    const keys = t.api.minedRows(0, s.negatives).map((r) => r.key);
    await expect(t.api.useMinedTriplets(keys)).rejects.toThrow(/every mined negative was rejected/);
  }, 120_000);
});

describe('the RAG check through the worker', () => {
  it('chunks a Markdown document, answers with base and BM25 passages, and keeps the document with the workspace', async () => {
    const p = profile();
    const t = await tab(p);
    await t.api.loadModel({ kind: 'builtin' }, () => {});
    const info = await t.api.openDocument('guide.md', utf8(GUIDE), { size: 120, overlap: 10 });
    expect(info).toMatchObject({ name: 'guide.md', kind: 'markdown', chunking: { size: 120, overlap: 10 } });
    expect(info.chunks).toBeGreaterThanOrEqual(4);
    const chunks = t.api.ragChunks(0, info.chunks);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(120);
    const answer = await t.api.askDocument('how do I reset my password?', SETTINGS, 3);
    expect(answer.base).toHaveLength(3);
    expect(answer.trained).toBeNull();
    expect(answer.bm25[0].text).toMatch(/reset your password/);
    expect(answer.base[0].score).toBeGreaterThanOrEqual(answer.base[2].score);
    const again = await t.api.rechunkDocument({ size: 60, overlap: 0 });
    expect(again.chunks).toBeGreaterThan(info.chunks);

    // A reload: the same profile, a new worker.
    const reloaded = await tab(p);
    expect(await reloaded.api.ragDocument()).toBeNull(); // no model yet: nothing to embed with
    await reloaded.api.loadModel({ kind: 'builtin' }, () => {});
    expect(await reloaded.api.ragDocument()).toMatchObject({ name: 'guide.md', chunks: again.chunks, chunking: { size: 60, overlap: 0 } });
  }, 120_000);

  it('cancels a question while its document is being embedded, and answers the next one', async () => {
    const t = await tab(profile());
    await t.api.loadModel({ kind: 'builtin' }, () => {});
    const text = Array.from({ length: 400 }, (_, i) => `Paragraph ${i}: how returns, refunds and shipping work in case ${i}.`).join('\n\n');
    const info = await t.api.openDocument('long.md', utf8(text), { size: 80, overlap: 0 });
    expect(info.chunks).toBeGreaterThan(256); // more than one slice: the cancel lands between them
    let cancelled = false;
    const asked = t.api.askDocument('how do refunds work?', SETTINGS, 3, () => {
      if (!cancelled) (cancelled = true), t.api.cancelJob();
    });
    await expect(asked).rejects.toMatchObject({ name: 'AbortError' });
    const answer = await t.api.askDocument('how do refunds work?', SETTINGS, 3);
    expect(answer.base).toHaveLength(3);
  }, 120_000);

  it('reads a PDF, and refuses a PDF without text, a document over the plan and an empty question', async () => {
    const t = await tab(profile());
    await t.api.loadModel({ kind: 'builtin' }, () => {});
    const pdf = await t.api.openDocument('paper.pdf', makePdf([['Hard negatives are close but wrong.'], ['BM25 is a keyword baseline.']]), { size: 100, overlap: 0 });
    expect(pdf).toMatchObject({ kind: 'pdf', pages: 2 });
    await expect(t.api.openDocument('scan.pdf', makePdf([null]))).rejects.toThrow(/scan\.pdf has no text to read/);
    await expect(t.api.openDocument('huge.txt', utf8('word. '.repeat(90_000)), { size: 20, overlap: 0 })).rejects.toThrow(/huge\.txt makes [\d,]+ chunks .* raise the chunk size/);
    await expect(t.api.askDocument('   ', SETTINGS, 3)).rejects.toThrow(/type a question/);
    await expect(t.api.rechunkDocument({ size: 10, overlap: 0 })).rejects.toThrow(/at least 20/);
    expect((await t.api.ragDocument())?.name).toBe('paper.pdf');
  }, 120_000);
});
