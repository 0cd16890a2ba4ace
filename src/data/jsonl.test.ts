import { describe, expect, it } from 'vitest';
import { JsonlParser, formatIssue, parseJsonl } from './jsonl.ts';

describe('parseJsonl', () => {
  it('keeps objects with their 1-based line numbers and ignores blank lines', () => {
    const r = parseJsonl('{"a": "x"}\n\n   \r\n{"a": "y"}\r\n', { file: 'f.jsonl' });
    expect(r.rows).toEqual([
      { line: 1, value: { a: 'x' } },
      { line: 4, value: { a: 'y' } },
    ]);
    expect(r.issues).toEqual([]);
    expect(r.totalLines).toBe(4);
    expect(r.blankLines).toBe(2);
  });

  it('collects every problem, not only the first', () => {
    const r = parseJsonl(['{"a": 1}', '{oops}', '42', 'null', '{"b": 2}', '[1]', '"s"'].join('\n'), { file: 'x.jsonl' });
    expect(r.rows.map((x) => x.line)).toEqual([1, 5]);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([
      [2, 'bad-json'],
      [3, 'not-object'],
      [4, 'not-object'],
      [6, 'not-object'],
      [7, 'not-object'],
    ]);
    expect(r.issues[0].column).toBe(2);
    expect(r.issues[1].message).toBe('expected a JSON object like {"anchor": "...", "positive": "..."}, got a number');
    expect(r.issues[2].message).toMatch(/got null$/);
    expect(r.issues[3].message).toMatch(/got an array$/);
    expect(r.issues[4].message).toMatch(/got a string$/);
  });

  it('strips a leading byte-order mark', () => {
    expect(parseJsonl('\ufeff{"query": "q"}').rows[0].value).toEqual({ query: 'q' });
  });

  it('skips lines over the byte limit without parsing them, counting UTF-8 bytes', () => {
    const long = JSON.stringify({ query: 'x'.repeat(100) });
    const wide = JSON.stringify({ query: '退'.repeat(20) }); // 3 bytes per character
    const r = parseJsonl(['{"query": "ok"}', long, wide].join('\n'), { file: 'big.jsonl', maxLineBytes: 64 });
    expect(r.rows.map((x) => x.line)).toEqual([1]);
    expect(r.issues.map((i) => [i.line, i.code, i.message])).toEqual([
      [2, 'line-too-long', 'line is longer than the limit of 64 bytes; it was not read'],
      [3, 'line-too-long', 'line is longer than the limit of 64 bytes; it was not read'],
    ]);
  });
});

describe('JsonlParser (chunks)', () => {
  const text = '{"query": "退货流程", "positive": "七天内申请"}\r\n\n{"query": "b", "positive": "c"}';

  it('gives the same result whatever the chunk boundaries, for strings and bytes', () => {
    const whole = parseJsonl(text);
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 2, 3, 5, 17]) {
      const strChunks: string[] = [];
      for (let i = 0; i < text.length; i += size) strChunks.push(text.slice(i, i + size));
      expect(parseJsonl(strChunks)).toEqual(whole);
      // Byte chunks split multi-byte characters; the decoder must stitch them back.
      const byteChunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) byteChunks.push(bytes.subarray(i, i + size));
      expect(parseJsonl(byteChunks)).toEqual(whole);
    }
    expect(whole.rows.map((r) => r.line)).toEqual([1, 3]);
  });

  it('drops an over-long line while it streams and resumes at the next newline', () => {
    const p = new JsonlParser({ maxLineBytes: 16 });
    p.push('{"a": "');
    for (let i = 0; i < 100; i++) p.push('xxxxxxxxxx');
    p.push('"}\n{"a": "short"}');
    const r = p.end();
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([[1, 'line-too-long']]);
    expect(r.rows).toEqual([{ line: 2, value: { a: 'short' } }]);
  });

  it('refuses input after end()', () => {
    const p = new JsonlParser();
    p.end();
    expect(() => p.push('{}')).toThrow(/after end/);
  });
});

describe('formatIssue', () => {
  it('prints file:line[:column]: message', () => {
    expect(formatIssue({ code: 'bad-json', file: 'a.jsonl', line: 3, column: 7, message: 'invalid JSON: x' })).toBe(
      'a.jsonl:3:7: invalid JSON: x',
    );
    expect(formatIssue({ code: 'empty-field', file: 'a.jsonl', line: 2, field: 'positive', message: 'm' })).toBe('a.jsonl:2: m');
  });
});
