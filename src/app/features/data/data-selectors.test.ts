import { describe, expect, it } from 'vitest';
import { buildMapping, checkDataFileName, groupIssues, initialAssignment, issueLocation, previewHeaders } from './data-selectors.ts';
import type { DataIssue } from '../../../worker/protocol.ts';

const issue = (code: DataIssue['code'], line: number, column?: number): DataIssue => ({ code, file: 'f.jsonl', line, message: 'm', ...(column ? { column } : {}) });

describe('groupIssues', () => {
  it('counts by code, most frequent first', () => {
    const groups = groupIssues([issue('bad-json', 1), issue('missing-field', 2), issue('missing-field', 3), issue('empty-field', 4)]);
    expect(groups).toEqual([
      { code: 'missing-field', count: 2 },
      { code: 'bad-json', count: 1 },
      { code: 'empty-field', count: 1 },
    ]);
  });
  it('locates issues like a compiler', () => {
    expect(issueLocation(issue('bad-json', 7, 3))).toBe('f.jsonl:7:3');
    expect(issueLocation(issue('missing-field', 9))).toBe('f.jsonl:9');
  });
});

describe('previewHeaders', () => {
  it('names roles and their file columns', () => {
    expect(previewHeaders({ shape: 'triplets', anchor: 'query', positive: 'positive', negatives: ['negative'] })).toEqual({
      texts: ['anchor (query)', 'positive', 'negative'],
      label: null,
    });
    expect(previewHeaders({ shape: 'scored-pairs', sentence1: 'a', sentence2: 'b', score: 'label' }).label).toBe('score (label)');
    expect(previewHeaders({ shape: 'triplets', anchor: 'anchor', positive: 'p', negatives: ['n1', 'n2'] }).texts).toEqual([
      'anchor', 'positive (p)', 'negative 1 (n1)', 'negative 2 (n2)',
    ]);
    expect(previewHeaders(null)).toEqual({ texts: [], label: null });
  });
});

describe('mapping editor', () => {
  const columns = ['q', 'doc', 'bad', 'score'];
  it('starts from the current mapping when the shape matches', () => {
    expect(initialAssignment('pairs', columns, { shape: 'pairs', anchor: 'doc', positive: 'q' })).toEqual({ anchor: 'doc', positive: 'q' });
  });
  it('otherwise fills roles with columns in order', () => {
    expect(initialAssignment('triplets', columns, null)).toEqual({ anchor: 'q', positive: 'doc', negatives: ['bad'] });
    expect(initialAssignment('scored-pairs', ['a'], null)).toEqual({ sentence1: 'a', sentence2: '', score: '' });
  });
  it('builds a mapping', () => {
    expect(buildMapping('triplets', { anchor: 'q', positive: 'doc', negatives: ['bad'] }, columns)).toEqual({
      ok: true,
      mapping: { shape: 'triplets', anchor: 'q', positive: 'doc', negatives: ['bad'] },
    });
    expect(buildMapping('scored-pairs', { sentence1: 'q', sentence2: 'doc', score: 'score' }, columns)).toEqual({
      ok: true,
      mapping: { shape: 'scored-pairs', sentence1: 'q', sentence2: 'doc', score: 'score' },
    });
  });
  it('says what is wrong', () => {
    expect(buildMapping('pairs', { anchor: 'q', positive: '' }, columns)).toEqual({ ok: false, problem: 'choose a column for positive' });
    expect(buildMapping('pairs', { anchor: 'q', positive: 'q' }, columns)).toEqual({ ok: false, problem: 'column "q" is used for two roles' });
    expect(buildMapping('triplets', { anchor: 'q', positive: 'doc', negatives: [] }, columns).ok).toBe(false);
    expect(buildMapping('pairs', { anchor: 'zz', positive: 'q' }, columns)).toEqual({ ok: false, problem: 'the file has no column "zz"' });
  });
});

describe('checkDataFileName', () => {
  it('accepts the formats the studio reads', () => {
    expect(checkDataFileName('train.JSONL')).toBeNull();
    expect(checkDataFileName('x.parquet')).toBeNull();
    expect(checkDataFileName('photo.png')).toMatch(/not a data file/);
  });
});
