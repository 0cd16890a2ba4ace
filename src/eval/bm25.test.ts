import { describe, expect, it } from 'vitest';
import { Bm25Index, bm25Terms } from './bm25.ts';
import { informationRetrievalMetrics } from './ir-metrics.ts';

// Scores worked by hand with k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5)).
// Corpus lengths 3, 6, 3 → average 4. "cat" is in 2 of 3 documents: idf = ln(1.6).
const corpus = ['The cat sat', 'the dog sat on the mat', 'cat cat dog'];

describe('bm25Terms', () => {
  it('lower-cases words and drops punctuation', () => {
    expect(bm25Terms('Hello, World! x2')).toEqual(['hello', 'world', 'x2']);
  });
  it('splits Chinese into characters and bigrams, words around it as words', () => {
    expect(bm25Terms('机器学习 BERT模型')).toEqual(['机', '机器', '器', '器学', '学', '学习', '习', 'bert', '模', '模型', '型']);
  });
  it('treats full-width forms as their ASCII (NFKC)', () => {
    expect(bm25Terms('ＢＥＲＴ')).toEqual(['bert']);
  });
});

describe('Bm25Index', () => {
  const index = new Bm25Index(corpus);
  it('scores one term as computed by hand', () => {
    const s = index.scores('cat');
    const idf = Math.log(1.6);
    expect(s[0]).toBeCloseTo((idf * 2.2) / 1.975, 6); // tf 1, |d| 3: 1 + 1.2(0.25 + 0.75·3/4)
    expect(s[1]).toBe(0);
    expect(s[2]).toBeCloseTo((idf * 2 * 2.2) / 2.975, 6); // tf 2
  });
  it('ranks a two-term query as computed by hand', () => {
    const [r] = index.rank(['dog mat'], 10);
    expect(Array.from(r.corpusIndex)).toEqual([1, 2, 0]);
    const dogD1 = (Math.log(1.6) * 2.2) / 2.65, matD1 = (Math.log(1 + 2.5 / 1.5) * 2.2) / 2.65;
    expect(r.score[0]).toBeCloseTo(dogD1 + matD1, 5);
    expect(r.score[1]).toBeCloseTo((Math.log(1.6) * 2.2) / 1.975, 5);
    expect(r.score[2]).toBe(0);
  });
  it('breaks ties by the lower document index and cuts at topK', () => {
    const [r] = new Bm25Index(['a b', 'a b', 'c']).rank(['a'], 2);
    expect(Array.from(r.corpusIndex)).toEqual([0, 1]);
  });
  it('finds Chinese passages without spaces', () => {
    const zh = new Bm25Index(['今天天气很好', '机器学习需要数据', '我喜欢学习中文']);
    const [r] = zh.rank(['机器学习'], 3);
    expect(r.corpusIndex[0]).toBe(1);
    expect(r.corpusIndex[1]).toBe(2); // shares 学, 学习, 习
  });
  it('gives rankings the IR metrics read', () => {
    const rankings = index.rank(['cat', 'mat'], 10);
    const m = informationRetrievalMetrics(rankings, [new Set([2]), new Set([1])], { similarity: 'cosine' });
    expect(m.metrics['cosine_accuracy@1']).toBe(1);
  });
  it('answers an empty corpus with empty rankings', () => {
    expect(new Bm25Index([]).rank(['x'], 10)[0].corpusIndex.length).toBe(0);
  });
});
