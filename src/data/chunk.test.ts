import { describe, expect, it } from 'vitest';
import { chunkText } from './chunk.ts';
import { chunkSettingsProblem } from '../shared/settings.ts';

describe('chunkText', () => {
  it('keeps a short document whole', () => {
    expect(chunkText('  One short paragraph.  ', { size: 100, overlap: 10 })).toEqual([{ text: 'One short paragraph.', start: 2, end: 22 }]);
  });
  it('ends chunks at paragraph breaks before sentence ends', () => {
    const doc = `${'a'.repeat(30)}. ${'b'.repeat(20)}\n\n${'c'.repeat(40)}`;
    const chunks = chunkText(doc, { size: 60, overlap: 0 });
    expect(chunks[0].text).toBe(`${'a'.repeat(30)}. ${'b'.repeat(20)}`);
    expect(chunks[1].text).toBe('c'.repeat(40));
  });
  it('never exceeds the size and covers the whole text', () => {
    const doc = Array.from({ length: 200 }, (_, i) => `Sentence number ${i} says something.`).join(' ');
    const chunks = chunkText(doc, { size: 120, overlap: 20 });
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(120);
    for (const c of chunks) expect(doc.slice(c.start, c.end)).toBe(c.text);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).toBeLessThanOrEqual(chunks[i - 1].end);
    expect(chunks.at(-1)!.end).toBe(doc.length);
  });
  it('overlaps consecutive chunks by up to the overlap', () => {
    const doc = 'word '.repeat(100);
    const chunks = chunkText(doc, { size: 50, overlap: 10 });
    for (let i = 1; i < chunks.length; i++) {
      const shared = chunks[i - 1].end - chunks[i].start;
      expect(shared).toBeGreaterThan(0);
      expect(shared).toBeLessThanOrEqual(10);
    }
  });
  it('splits Chinese without spaces at sentence and clause marks', () => {
    const sentence = '机器学习是人工智能的一个分支，它让计算机从数据中学习。';
    const doc = sentence.repeat(10);
    const chunks = chunkText(doc, { size: 60, overlap: 0 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(60);
      expect(c.text.endsWith('。') || c.text.endsWith('，') || c.end === doc.length).toBe(true);
    }
    expect(chunks.map((c) => c.text).join('')).toBe(doc);
  });
  it('hard-cuts a very long line with no boundary, never inside a surrogate pair', () => {
    const doc = '中'.repeat(1000) + '😀'.repeat(100);
    const chunks = chunkText(doc, { size: 99, overlap: 0 });
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(99);
      expect(/[\ud800-\udbff]$/.test(c.text)).toBe(false);
      expect(/^[\udc00-\udfff]/.test(c.text)).toBe(false);
    }
    expect(chunks.map((c) => c.text).join('')).toBe(doc);
    expect(chunks[0].text).toBe('中'.repeat(99));
  });
  it('normalises Windows line endings and skips blank stretches', () => {
    const chunks = chunkText('first\r\n\r\n\r\n\r\nsecond', { size: 20, overlap: 0 });
    expect(chunks.map((c) => c.text)).toEqual(['first\n\n\n\nsecond']);
    expect(chunkText('   \n\n  ', { size: 20, overlap: 0 })).toEqual([]);
  });
  it('refuses settings that cannot work', () => {
    expect(chunkSettingsProblem({ size: 5, overlap: 0 })).toMatch(/at least 20/);
    expect(chunkSettingsProblem({ size: 100, overlap: 60 })).toMatch(/half/);
    expect(() => chunkText('x', { size: 100, overlap: -1 })).toThrow(/overlap/);
  });
  it('starts each overlap at a word, not inside one', () => {
    const doc = [
      '# Returns',
      'Items can be returned within 30 days of delivery. Start a return from the Orders page and print the prepaid label.',
      '# Shipping',
      'Standard shipping takes three to five business days. Express shipping arrives the next day when ordered before noon.',
      '# Passwords',
      'To reset your password, open Settings, choose Security and follow the link we email you.',
    ].join('\n\n');
    const chunks = chunkText(doc, { size: 150, overlap: 20 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks.slice(1)) expect(/\s/.test(doc[c.start - 1]), `chunk at ${c.start}: "${c.text.slice(0, 12)}…"`).toBe(true);
  });
});
