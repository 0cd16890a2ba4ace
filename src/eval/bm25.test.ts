import { describe, expect, it } from 'vitest';
import { Bm25Index, bm25Terms } from './bm25.ts';
import { bm25RetrievalScores, sliceRetrievalSet, type RetrievalSet } from './retrieval-set.ts';

describe('bm25Terms', () => {
  it('lowercases words, drops punctuation, and makes each Chinese character a term', () => {
    expect(bm25Terms('GNU Image-Manipulation program, 图像处理！')).toEqual(['gnu', 'image', 'manipulation', 'program', '图', '像', '处', '理']);
  });
});

describe('Bm25Index', () => {
  const corpus = ['the cat sat on the mat', 'a dog barked at the mailman', 'cats and dogs living together', 'the the the the'];

  it('scores by the textbook formula (idf with +1, k1 = 1.2, b = 0.75)', () => {
    const index = new Bm25Index(corpus);
    // "cat" occurs in one of 4 documents; document 0 has 6 terms, the mean length is (6+6+5+4)/4.
    const idf = Math.log(1 + (4 - 1 + 0.5) / (1 + 0.5));
    const norm = 1.2 * (1 - 0.75 + (0.75 * 6) / (21 / 4));
    expect(index.scores('cat')[0]).toBeCloseTo((idf * 1 * 2.2) / (1 + norm), 12);
    expect(index.scores('cat')[1]).toBe(0);
  });

  it('ranks the document sharing the rarest terms first, ties by lower index', () => {
    const index = new Bm25Index(corpus);
    expect(Array.from(index.rank('dog mailman', 2).corpusIndex)).toEqual([1, 0]);
    expect(Array.from(index.rank('unrelated words', 4).corpusIndex)).toEqual([0, 1, 2, 3]);
    // A term in every document (idf small but positive) must not outrank a rare match.
    expect(index.rank('the together', 1).corpusIndex[0]).toBe(2);
  });
});

describe('retrieval sets', () => {
  const set: RetrievalSet = {
    name: 't',
    queries: [{ id: 'a', text: 'image editor' }, { id: 'b', text: '音乐播放器' }, { id: 'c', text: 'zzz' }],
    corpus: [
      { id: 'a', text: 'A raster image editor for photos.' },
      { id: 'b', text: '一个简单的音乐播放器。' },
      { id: 'c', text: 'Nothing in common here.' },
      { id: 'd', text: 'Another image viewer.' },
    ],
    relevant: { a: ['a'], b: ['b'], c: ['c'] },
  };

  it('BM25 MRR@10 matches a hand count (hits at ranks 1, 1 and none of the terms)', () => {
    const s = bm25RetrievalScores(set);
    // "zzz" matches nothing: every score 0, document c sits at index 2, rank 3.
    expect(s.mrr10).toBeCloseTo((1 + 1 + 1 / 3) / 3, 12);
    expect(s.queries).toBe(3);
  });

  it('a slice keeps each kept query\'s relevant documents and a bounded number of others', () => {
    const s = sliceRetrievalSet(set, 1, 1);
    expect(s.queries.map((q) => q.id)).toEqual(['a']);
    expect(s.corpus.map((d) => d.id)).toEqual(['a', 'b']);
  });
});
