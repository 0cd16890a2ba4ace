/**
 * Okapi BM25 (Robertson & Zaragoza's formulation, Lucene's non-negative idf), as the lexical
 * baseline the built-in model is measured against. Terms are what BERT's basic tokenizer yields
 * (lowercased words, accents stripped, punctuation dropped, every Chinese character its own term),
 * so Chinese is matched by characters, as a bigram-less Chinese BM25 would.
 */

import { bertPreTokenize } from '../model/wordpiece-trainer.ts';
import type { Ranking } from './ir-metrics.ts';

const PUNCT_ONLY = /^[\p{P}\p{S}]+$/u;

export function bm25Terms(text: string): string[] {
  return bertPreTokenize(text).filter((w) => !PUNCT_ONLY.test(w));
}

export interface Bm25Options {
  readonly k1?: number;
  readonly b?: number;
}

export class Bm25Index {
  private readonly postings = new Map<string, { doc: number; tf: number }[]>();
  private readonly docLength: Float64Array;
  private readonly avgLength: number;
  private readonly k1: number;
  private readonly b: number;

  constructor(readonly corpus: readonly string[], opts: Bm25Options = {}) {
    // Lucene's and rank_bm25's defaults.
    this.k1 = opts.k1 ?? 1.2;
    this.b = opts.b ?? 0.75;
    this.docLength = new Float64Array(corpus.length);
    corpus.forEach((text, doc) => {
      const tf = new Map<string, number>();
      const terms = bm25Terms(text);
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      this.docLength[doc] = terms.length;
      for (const [term, n] of tf) {
        let list = this.postings.get(term);
        if (!list) this.postings.set(term, (list = []));
        list.push({ doc, tf: n });
      }
    });
    this.avgLength = corpus.length ? this.docLength.reduce((a, b) => a + b, 0) / corpus.length : 0;
  }

  /** idf = ln(1 + (N - df + 0.5) / (df + 0.5)): never negative, so common terms cannot push a document down. */
  idf(term: string): number {
    const df = this.postings.get(term)?.length ?? 0;
    return Math.log(1 + (this.corpus.length - df + 0.5) / (df + 0.5));
  }

  /** Scores of every document for a query; a query term repeated counts once per occurrence. */
  scores(query: string): Float64Array {
    const out = new Float64Array(this.corpus.length);
    for (const term of bm25Terms(query)) {
      const list = this.postings.get(term);
      if (!list) continue;
      const idf = this.idf(term);
      for (const { doc, tf } of list) {
        const norm = this.k1 * (1 - this.b + (this.b * this.docLength[doc]) / this.avgLength);
        out[doc] += (idf * tf * (this.k1 + 1)) / (tf + norm);
      }
    }
    return out;
  }

  /**
   * The top-k documents, best first; ties go to the lower index (as `computeRankings` breaks
   * them), and documents sharing no term with the query score 0 and rank after all others.
   */
  rank(query: string, topK: number): Ranking {
    const s = this.scores(query);
    const order = Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b).slice(0, topK);
    return { corpusIndex: Int32Array.from(order), score: Float32Array.from(order, (i) => s[i]) };
  }
}
