/**
 * An information-retrieval eval set built from (anchor, positive[, negatives…]) examples the way
 * sentence-transformers users build one for `InformationRetrievalEvaluator`: each distinct anchor
 * is a query, every positive and negative is a corpus document, and a query's relevant documents
 * are all of its positives across the rows it appears in.
 */

import type { TrainingExample } from './shape.ts';

export interface IrEvalSet {
  queries: string[];
  corpus: string[];
  /** relevant[i] holds indices into `corpus` for `queries[i]`. */
  relevant: Set<number>[];
}

/**
 * Queries and documents are deduplicated by exact text, in first-seen order. A text that is a
 * positive of one query and a negative of another is one document: relevant to the first, a
 * distractor for the second. A query's own text is not removed from the corpus (the evaluator
 * does not skip it either).
 */
export function buildIrEvalSet(rows: readonly TrainingExample[]): IrEvalSet {
  const queries: string[] = [];
  const corpus: string[] = [];
  const relevant: Set<number>[] = [];
  const queryIndex = new Map<string, number>();
  const docIndex = new Map<string, number>();

  const doc = (text: string): number => {
    let i = docIndex.get(text);
    if (i === undefined) {
      i = corpus.length;
      corpus.push(text);
      docIndex.set(text, i);
    }
    return i;
  };

  rows.forEach((row, r) => {
    if (row.texts.length < 2) {
      throw new RangeError(`row ${r} has ${row.texts.length} text(s); an IR eval set needs (anchor, positive[, negatives…])`);
    }
    const [anchor, positive, ...negatives] = row.texts;
    let q = queryIndex.get(anchor);
    if (q === undefined) {
      q = queries.length;
      queries.push(anchor);
      relevant.push(new Set());
      queryIndex.set(anchor, q);
    }
    relevant[q].add(doc(positive));
    for (const n of negatives) doc(n);
  });

  return { queries, corpus, relevant };
}
