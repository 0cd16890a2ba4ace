/**
 * BM25, the lexical baseline shown beside the models: "is fine-tuning worth it against keyword
 * search?" answered on the user's own data. Lucene's variant (k1 = 1.2, b = 0.75, idf =
 * ln(1 + (N - n + 0.5) / (n + 0.5)), never negative), so a term in every document scores a little
 * rather than below zero as in the original Okapi idf.
 *
 * A few lines of our own rather than a library: the npm ones (okapibm25, wink-bm25-text-search)
 * split on whitespace or need their own NLP pipeline, and none indexes Chinese, Japanese or Korean
 * text, which has no spaces. Here CJK runs become characters plus their bigrams (the usual
 * keyword-search treatment of Chinese without a dictionary); everything else becomes lower-cased
 * letter/digit words.
 */
import type { Ranking } from './ir-metrics.ts';

export interface Bm25Options {
  readonly k1?: number;
  readonly b?: number;
}

/** Han, Hiragana, Katakana and Hangul: scripts written without spaces between words. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** A CJK run, or a run of letters/digits (with the combining marks some scripts need). */
const TOKEN_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])[\p{L}\p{N}\p{M}])+/gu;

/** The terms BM25 counts: words, and for CJK runs each character and each adjacent pair. */
export function bm25Terms(text: string): string[] {
  const out: string[] = [];
  for (const [run] of text.normalize('NFKC').toLowerCase().matchAll(TOKEN_RUN)) {
    if (!CJK.test(run[0])) {
      out.push(run);
      continue;
    }
    const chars = [...run];
    for (let i = 0; i < chars.length; i++) {
      out.push(chars[i]);
      if (i + 1 < chars.length) out.push(chars[i] + chars[i + 1]);
    }
  }
  return out;
}

/** An inverted index over a corpus; queries are scored against every document that shares a term. */
export class Bm25Index {
  private readonly postings = new Map<string, { doc: Int32Array; tf: Float32Array }>();
  private readonly docLength: Float32Array;
  private readonly averageLength: number;
  private readonly k1: number;
  private readonly b: number;

  constructor(readonly documents: readonly string[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.docLength = new Float32Array(documents.length);
    const building = new Map<string, { doc: number[]; tf: number[] }>();
    documents.forEach((text, d) => {
      const terms = bm25Terms(text);
      this.docLength[d] = terms.length;
      const counts = new Map<string, number>();
      for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, n] of counts) {
        let p = building.get(t);
        if (!p) building.set(t, (p = { doc: [], tf: [] }));
        p.doc.push(d);
        p.tf.push(n);
      }
    });
    for (const [t, p] of building) this.postings.set(t, { doc: Int32Array.from(p.doc), tf: Float32Array.from(p.tf) });
    let total = 0;
    for (const l of this.docLength) total += l;
    this.averageLength = documents.length > 0 ? total / documents.length : 0;
  }

  /** ln(1 + (N - n + 0.5) / (n + 0.5)) for a term in n of the N documents. */
  idf(term: string): number {
    const n = this.postings.get(term)?.doc.length ?? 0;
    const N = this.documents.length;
    return Math.log(1 + (N - n + 0.5) / (n + 0.5));
  }

  /** The BM25 score of every document for this query (0 where no term is shared). */
  scores(query: string): Float64Array {
    const out = new Float64Array(this.documents.length);
    const avg = this.averageLength || 1;
    // A term repeated in the query counts again, as Lucene's BooleanQuery of its terms does.
    for (const term of bm25Terms(query)) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = this.idf(term);
      for (let i = 0; i < p.doc.length; i++) {
        const d = p.doc[i], tf = p.tf[i];
        out[d] += (idf * tf * (this.k1 + 1)) / (tf + this.k1 * (1 - this.b + (this.b * this.docLength[d]) / avg));
      }
    }
    return out;
  }

  /**
   * The top `topK` documents per query, best first, ties to the lower index (the rule
   * computeRankings uses), in the shape informationRetrievalMetrics reads. Documents that share
   * no term with the query score 0 and still fill the list, as a dense ranking would.
   */
  rank(queries: readonly string[], topK: number): Ranking[] {
    const k = Math.min(topK, this.documents.length);
    return queries.map((q) => {
      const s = this.scores(q);
      const order = Array.from({ length: s.length }, (_, i) => i);
      order.sort((a, b) => s[b] - s[a] || a - b);
      const top = order.slice(0, k);
      return { corpusIndex: Int32Array.from(top), score: Float32Array.from(top, (i) => s[i]) };
    });
  }
}
