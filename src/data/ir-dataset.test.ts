import { describe, expect, it } from 'vitest';
import { buildIrEvalSet } from './ir-dataset.ts';

describe('buildIrEvalSet', () => {
  it('makes unique anchors the queries and every positive/negative a corpus doc', () => {
    const set = buildIrEvalSet([
      { texts: ['how to return', 'Returns within 7 days.', 'Call us at 555.'] },
      { texts: ['reset password', 'Use Settings > Security.', 'Returns within 7 days.'] },
      { texts: ['how to return', 'Print the return label.', 'Call us at 555.'] },
      { texts: ['opening hours', 'We open at 9.'] },
    ]);
    expect(set.queries).toEqual(['how to return', 'reset password', 'opening hours']);
    expect(set.corpus).toEqual([
      'Returns within 7 days.',
      'Call us at 555.',
      'Use Settings > Security.',
      'Print the return label.',
      'We open at 9.',
    ]);
    // A query seen in two rows gets both positives; a negative of one query that is the positive
    // of another stays relevant only to the latter.
    expect(set.relevant.map((s) => [...s].sort())).toEqual([[0, 3], [2], [4]]);
  });

  it("keeps a document even when it equals a query's own text", () => {
    const set = buildIrEvalSet([{ texts: ['same text', 'same text'] }]);
    expect(set.corpus).toEqual(['same text']);
    expect([...set.relevant[0]]).toEqual([0]);
  });

  it('rejects rows with a single text', () => {
    expect(() => buildIrEvalSet([{ texts: ['only'] }])).toThrow(/row 0 has 1 text/);
  });
});
