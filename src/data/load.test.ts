import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildIrEvalSet } from './ir-dataset.ts';
import { formatReport, loadTrainingJsonl, loadTrainingJsonlStream } from './load.ts';
import { splitByQuery } from './split.ts';

const repo = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, repo), 'utf8');
const loadBad = (name: string) => loadTrainingJsonl(read(`test/data/bad/${name}`), { file: name });

describe('bad files in test/data/bad', () => {
  it('bad-json.jsonl: line 3 has a trailing comma', () => {
    const { report, examples } = loadBad('bad-json.jsonl');
    expect(report.issues).toEqual([
      { code: 'bad-json', file: 'bad-json.jsonl', line: 3, column: 73, message: 'invalid JSON: Expected double-quoted property name' },
    ]);
    expect(examples).toHaveLength(2);
    expect(report).toMatchObject({ totalLines: 4, blankLines: 1, validRows: 2, skippedRows: 1 });
  });

  it('missing-field.jsonl: line 2 says "answer" instead of "positive"', () => {
    const { report } = loadBad('missing-field.jsonl');
    expect(report.issues).toEqual([
      {
        code: 'missing-field',
        file: 'missing-field.jsonl',
        line: 2,
        field: 'positive',
        message: 'missing field "positive" (needed for pairs); this row has "query", "answer"',
      },
    ]);
  });

  it('score-out-of-range.jsonl: line 3 uses a 0–5 STS score', () => {
    const { report, detection } = loadBad('score-out-of-range.jsonl');
    expect(detection.ok && detection.mapping.shape).toBe('scored-pairs');
    expect(report.issues.map((i) => [i.line, i.code, i.field, i.message])).toEqual([
      [3, 'score-out-of-range', 'score', 'field "score" is 4.2; expected a number between 0 and 1 (rescale 0–5 STS scores by dividing by 5)'],
    ]);
  });

  it('not-object.jsonl: line 2 is an array', () => {
    const { report } = loadBad('not-object.jsonl');
    expect(report.issues.map((i) => [i.line, i.code, i.message])).toEqual([
      [2, 'not-object', 'expected a JSON object like {"anchor": "...", "positive": "..."}, got an array'],
    ]);
  });

  it('empty-field.jsonl: line 2 has a whitespace-only positive', () => {
    const { report, examples } = loadBad('empty-field.jsonl');
    expect(report.issues.map((i) => [i.line, i.code, i.field, i.message])).toEqual([
      [2, 'empty-field', 'positive', 'field "positive" is empty; expected a non-empty string'],
    ]);
    expect(examples.map((e) => e.texts.length)).toEqual([3, 3]);
  });

  it('wrong-type-and-duplicate.jsonl: a numeric positive on line 2 and a repeat of line 1 on line 3', () => {
    const { report } = loadBad('wrong-type-and-duplicate.jsonl');
    expect(formatReport(report)).toBe(
      [
        'wrong-type-and-duplicate.jsonl: 1 row kept, 2 skipped',
        'wrong-type-and-duplicate.jsonl:2: field "positive" must be a string, got a number',
        'wrong-type-and-duplicate.jsonl:3: duplicate of line 1; skipped',
      ].join('\n'),
    );
    expect(report.countsByCode).toEqual({ 'wrong-type': 1, 'duplicate-row': 1 });
  });
});

describe('loadTrainingJsonl', () => {
  it('merges syntax and field issues in line order and counts each skipped line once', () => {
    const text = ['{"query": "", "positive": ""}', 'nope', '{"query": "q", "positive": "p"}'].join('\n');
    const { report } = loadTrainingJsonl(text, { file: 'm.jsonl' });
    expect(report.issues.map((i) => [i.line, i.code])).toEqual([
      [1, 'empty-field'],
      [1, 'empty-field'],
      [2, 'bad-json'],
    ]);
    expect(report.skippedRows).toBe(2);
    expect(report.validRows).toBe(1);
  });

  it('uses an explicit column mapping instead of guessing', () => {
    const text = '{"question": "q", "answer": "a", "wrong": "w"}';
    expect(loadTrainingJsonl(text).detection.ok).toBe(false);
    const r = loadTrainingJsonl(text, { mapping: { shape: 'triplets', anchor: 'question', positive: 'answer', negatives: ['wrong'] } });
    expect(r.examples).toEqual([{ texts: ['q', 'a', 'w'] }]);
    expect(r.losses).toEqual(['mnrl', 'triplet']);
  });

  it('returns no examples and the reason when no shape fits', () => {
    const r = loadTrainingJsonl('{"foo": "bar"}');
    expect(r.examples).toEqual([]);
    expect(r.losses).toEqual([]);
    expect(r.detection.ok).toBe(false);
  });

  it('reads a stream of byte chunks', async () => {
    const bytes = new TextEncoder().encode(read('public/samples/sts-pairs.jsonl'));
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 101) yield bytes.subarray(i, i + 101);
    }
    const r = await loadTrainingJsonlStream(chunks(), { file: 'sts-pairs.jsonl' });
    expect(r.examples).toHaveLength(40);
  });
});

describe('sample data in public/samples', () => {
  it('support-faq.jsonl is clean bilingual triplets usable for an IR eval set', () => {
    const r = loadTrainingJsonl(read('public/samples/support-faq.jsonl'), { file: 'support-faq.jsonl' });
    expect(r.report.issues).toEqual([]);
    expect(r.detection.ok && r.detection.mapping).toEqual({ shape: 'triplets', anchor: 'query', positive: 'positive', negatives: ['negative'] });
    expect(r.examples.length).toBeGreaterThanOrEqual(55);
    const chinese = r.examples.filter((e) => /[\u4e00-\u9fff]/.test(e.texts[0])).length;
    expect(chinese / r.examples.length).toBeGreaterThan(0.4);
    expect(chinese / r.examples.length).toBeLessThan(0.6);

    const ir = buildIrEvalSet(r.examples);
    expect(ir.queries).toHaveLength(r.examples.length);
    // Paraphrased queries share one FAQ answer, so the corpus is much smaller than the row count.
    expect(ir.corpus.length).toBeLessThan(30);
    expect(ir.relevant.every((s) => s.size === 1)).toBe(true);

    const split = splitByQuery(r.examples, { evalFraction: 0.2, seed: 1 });
    expect(split.eval).toHaveLength(12);
  });

  it('sts-pairs.jsonl is clean scored pairs with scores spread over [0, 1]', () => {
    const r = loadTrainingJsonl(read('public/samples/sts-pairs.jsonl'), { file: 'sts-pairs.jsonl' });
    expect(r.report.issues).toEqual([]);
    expect(r.detection.ok && r.detection.mapping.shape).toBe('scored-pairs');
    expect(r.losses).toEqual(['cosine', 'cosent']);
    const scores = r.examples.map((e) => e.label ?? Number.NaN);
    expect(scores).toHaveLength(40);
    expect(Math.min(...scores)).toBe(0);
    expect(Math.max(...scores)).toBe(1);
    expect(scores.filter((s) => s < 0.5).length).toBeGreaterThan(8);
  });
});
