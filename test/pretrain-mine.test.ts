/** Stage 3's BM25 hard-negative mining (scripts/pretrain-mine.ts) on a few made-up pairs. */

import { describe, expect, it } from 'vitest';
import { mineBm25Negatives } from '../scripts/pretrain-mine.ts';

const pairs = [
  { anchor: 'libfoo: foo image library (development files)', positive: 'Foo reads and writes images.\nThis package contains the development files.' },
  { anchor: 'libfoo: foo image library (development files)', positive: 'Foo is an image library; headers for development.' },
  { anchor: 'libfoo1: foo image library (runtime)', positive: 'Foo reads and writes images.\nThis package contains the runtime library.' },
  { anchor: 'foo-doc: foo image library (documentation)', positive: 'Foo reads and writes images.\nThis package contains the documentation.' },
  { anchor: 'bar: a text editor', positive: 'Bar edits text files in a terminal.' },
  { anchor: '图像库 foo 的运行时', positive: 'Foo reads and writes images.\nThis package contains the runtime library.' },
];

describe('mineBm25Negatives', () => {
  it('gives every pair a negative that is none of its anchor\'s positives, the sibling packages first', () => {
    const rows = mineBm25Negatives(pairs, 1);
    const own = new Map<string, Set<string>>();
    for (const p of pairs) own.set(p.anchor, new Set([...(own.get(p.anchor) ?? []), p.positive]));
    for (const r of rows) expect(own.get(r.anchor)!.has(r.negative)).toBe(false);
    // The runtime package's negative shares its words: a sibling's description, not the editor's.
    expect(rows.find((r) => r.anchor.startsWith('libfoo1'))!.negative).toMatch(/^Foo/);
  });

  it('keeps cross-lingual pairs twice, with two different negatives, and is seeded', () => {
    const rows = mineBm25Negatives(pairs, 1);
    const zh = rows.filter((r) => r.anchor.startsWith('图像库'));
    expect(zh).toHaveLength(2);
    expect(zh[0].negative).not.toBe(zh[1].negative);
    expect(rows).toHaveLength(pairs.length + 1);
    expect(mineBm25Negatives(pairs, 1)).toEqual(rows);
  });
});
