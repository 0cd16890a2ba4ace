import { describe, expect, it } from 'vitest';
import type { JsonlRow } from './jsonl.ts';
import { LOSSES_FOR_SHAPE, detectShape, shapeFromMapping, toTrainingExamples, type ColumnMapping } from './shape.ts';

const rows = (...values: Record<string, unknown>[]): JsonlRow[] => values.map((value, i) => ({ line: i + 1, value }));

describe('detectShape', () => {
  it('reads query|anchor + positive as pairs and adds negatives in order for triplets', () => {
    const pairs = detectShape([{ query: 'q', positive: 'p', id: 7 }]);
    expect(pairs).toMatchObject({ ok: true, mapping: { shape: 'pairs', anchor: 'query', positive: 'positive' }, losses: ['mnrl'], ignoredColumns: ['id'] });

    const trip = detectShape([{ negative_2: 'n2', anchor: 'a', negative: 'n', positive: 'p' }]);
    expect(trip).toMatchObject({
      ok: true,
      mapping: { shape: 'triplets', anchor: 'anchor', positive: 'positive', negatives: ['negative', 'negative_2'] },
      losses: ['mnrl', 'triplet'],
    });
  });

  it('matches column names case-insensitively and keeps the file spelling', () => {
    const d = detectShape([{ Query: 'q', Positive: 'p' }]);
    expect(d.ok && d.mapping).toEqual({ shape: 'pairs', anchor: 'Query', positive: 'Positive' });
  });

  it('ignores a negative column that is present in fewer than half the rows, and says so', () => {
    const d = detectShape([{ query: 'a', positive: 'b' }, { query: 'c', positive: 'd' }, { query: 'e', positive: 'f', negative: 'g' }]);
    expect(d.ok && d.mapping.shape).toBe('pairs');
    expect(d.ok && d.reason).toMatch(/"negative" \(in 1 of 3 rows\) ignored as too sparse/);
  });

  it('tells scored pairs from 0/1 labelled pairs by column name and values', () => {
    expect(detectShape([{ sentence1: 'a', sentence2: 'b', score: 1 }])).toMatchObject({
      mapping: { shape: 'scored-pairs', score: 'score' },
      losses: ['cosine', 'cosent'],
    });
    expect(detectShape([{ sentence1: 'a', sentence2: 'b', label: 1 }, { sentence1: 'c', sentence2: 'd', label: 0 }])).toMatchObject({
      mapping: { shape: 'labeled-pairs', label: 'label' },
      losses: ['cosine', 'cosent'],
    });
    expect(detectShape([{ sentence1: 'a', sentence2: 'b', label: 0.35 }, { sentence1: 'c', sentence2: 'd', label: 1 }])).toMatchObject({
      mapping: { shape: 'scored-pairs', score: 'label' },
    });
  });

  it('recognises labelled texts, which no loss in our set trains on', () => {
    expect(detectShape([{ text: 't', label: 2 }])).toMatchObject({ ok: true, mapping: { shape: 'labeled-texts' }, losses: [] });
    expect(LOSSES_FOR_SHAPE['labeled-texts']).toEqual([]);
  });

  it('explains what it found when nothing fits', () => {
    const d = detectShape([{ question: 'q', answer: 'a' }]);
    expect(d.ok).toBe(false);
    expect(d.reason).toMatch(/^could not tell what the columns mean \(found "question", "answer"\); expected one of: query\|anchor \+ positive/);
  });
});

describe('toTrainingExamples', () => {
  it('emits texts in sentence-transformers column order', () => {
    const m: ColumnMapping = { shape: 'triplets', anchor: 'query', positive: 'positive', negatives: ['negative', 'negative_2'] };
    const out = toTrainingExamples(rows({ negative_2: 'n2', negative: 'n1', positive: 'p', query: 'q' }), m, 'f');
    expect(out.examples).toEqual([{ texts: ['q', 'p', 'n1', 'n2'] }]);
    expect(out.issues).toEqual([]);
  });

  it('reports one issue per bad field with its line and field name', () => {
    const m: ColumnMapping = { shape: 'triplets', anchor: 'query', positive: 'positive', negatives: ['negative'] };
    const out = toTrainingExamples(
      rows({ query: 'q', positive: 'p', negative: 'n' }, { query: '', positive: null, negative: ['x'] }),
      m,
      'f.jsonl',
    );
    expect(out.examples).toHaveLength(1);
    expect(out.issues).toEqual([
      { code: 'empty-field', file: 'f.jsonl', line: 2, field: 'query', message: 'field "query" is empty; expected a non-empty string' },
      { code: 'missing-field', file: 'f.jsonl', line: 2, field: 'positive', message: 'field "positive" is null; expected a non-empty string' },
      { code: 'wrong-type', file: 'f.jsonl', line: 2, field: 'negative', message: 'field "negative" must be a string, got an array' },
    ]);
  });

  it('checks scores are numbers in [0, 1]', () => {
    const m: ColumnMapping = { shape: 'scored-pairs', sentence1: 'sentence1', sentence2: 'sentence2', score: 'score' };
    const out = toTrainingExamples(
      rows(
        { sentence1: 'a', sentence2: 'b', score: 0 },
        { sentence1: 'a', sentence2: 'c', score: 1 },
        { sentence1: 'a', sentence2: 'd', score: -0.1 },
        { sentence1: 'a', sentence2: 'e', score: '0.5' },
        { sentence1: 'a', sentence2: 'f' },
      ),
      m,
      's.jsonl',
    );
    expect(out.examples).toEqual([{ texts: ['a', 'b'], label: 0 }, { texts: ['a', 'c'], label: 1 }]);
    expect(out.issues.map((i) => [i.line, i.code, i.message])).toEqual([
      [3, 'score-out-of-range', 'field "score" is -0.1; expected a number between 0 and 1 (rescale 0–5 STS scores by dividing by 5)'],
      [4, 'wrong-type', 'field "score" must be a number between 0 and 1, got a string ("0.5")'],
      [5, 'missing-field', 'missing field "score"; expected a number between 0 and 1'],
    ]);
  });

  it('checks binary labels', () => {
    const m: ColumnMapping = { shape: 'labeled-pairs', sentence1: 'sentence1', sentence2: 'sentence2', label: 'label' };
    const out = toTrainingExamples(
      rows({ sentence1: 'a', sentence2: 'b', label: 1 }, { sentence1: 'a', sentence2: 'c', label: 2 }, { sentence1: 'a', sentence2: 'd', label: true }),
      m,
      'l.jsonl',
    );
    expect(out.examples).toEqual([{ texts: ['a', 'b'], label: 1 }]);
    expect(out.issues.map((i) => i.message)).toEqual(['field "label" is 2; expected 0 or 1', 'field "label" must be 0 or 1, got a boolean (true)']);
  });

  it('maps string class labels to ids in first-seen order, counting only kept rows', () => {
    const m: ColumnMapping = { shape: 'labeled-texts', text: 'text', label: 'label' };
    const out = toTrainingExamples(
      rows({ text: '', label: 'never-kept' }, { text: 'a', label: 'billing' }, { text: 'b', label: 'shipping' }, { text: 'c', label: 'billing' }, { text: 'd', label: 3 }),
      m,
      't.jsonl',
    );
    expect(out.examples).toEqual([{ texts: ['a'], label: 0 }, { texts: ['b'], label: 1 }, { texts: ['c'], label: 0 }]);
    expect(out.labelNames).toEqual(['billing', 'shipping']);
    expect(out.issues.map((i) => [i.line, i.code])).toEqual([[1, 'empty-field'], [5, 'wrong-type']]);
    expect(out.issues[1].message).toBe('field "label" must be a string, like the labels above it, got a number (3)');
  });

  it('drops exact duplicates of earlier rows and points at the original', () => {
    const m: ColumnMapping = { shape: 'pairs', anchor: 'query', positive: 'positive' };
    const out = toTrainingExamples(rows({ query: 'q', positive: 'p' }, { query: 'q', positive: 'p2' }, { query: 'q', positive: 'p', extra: 1 }), m, 'd');
    expect(out.lines).toEqual([1, 2]);
    expect(out.issues).toEqual([{ code: 'duplicate-row', file: 'd', line: 3, message: 'duplicate of line 1; skipped' }]);
  });

  it('describes a hand-made mapping with the columns it leaves out', () => {
    const d = shapeFromMapping({ shape: 'pairs', anchor: 'question', positive: 'answer' }, ['question', 'answer', 'id']);
    expect(d).toMatchObject({ ok: true, losses: ['mnrl'], ignoredColumns: ['id'], reason: 'columns mapped by hand' });
  });
});
