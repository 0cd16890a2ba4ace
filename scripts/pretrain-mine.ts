/**
 * Stage 3's data: one BM25-mined hard negative per training pair, over the training pairs only
 * (the held-out packages never enter: pretrain-data.ts already keeps their text out of the
 * pairs this reads).
 *
 *   npm run make:builtin-model -- --pretrain mine     # train-stage2.jsonl → train-stage3.jsonl
 *
 * The corpus is every distinct positive. A pair's query is its anchor, or its positive where the
 * two are in different scripts (Chinese short → English long: BM25 cannot match across
 * languages, so the negatives are the documents most like the positive instead). The negative
 * is drawn (seeded) from the BM25 top 30 after removing every positive of that anchor and any
 * text equal to one: in Debian these are mostly sibling packages (-dev / -doc / plugins) whose
 * descriptions share most words — the pairs in-batch negatives almost never contrast.
 * Cross-lingual pairs appear twice (each with its own negative), so they keep their weight.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../src/data/split.ts';
import { Bm25Index, bm25Terms } from '../src/eval/bm25.ts';
import { PRETRAIN_DIR, type Pair } from './pretrain-data.ts';

export const STAGE3_SOURCE = path.join(PRETRAIN_DIR, 'train-stage2.jsonl');
export const STAGE3_FILE = path.join(PRETRAIN_DIR, 'train-stage3.jsonl');
const TOP = 30;
/** Long positives used as queries: their first terms carry the gist and bound the cost. */
const MAX_QUERY_TERMS = 64;
const SEED = 16;

const HAN = /\p{Script=Han}/u;

/** The `k` highest-scoring documents with a positive score, best first. */
function topK(scores: Float64Array, k: number): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let d = 0; d < scores.length; d++) {
    const s = scores[d];
    if (s <= 0 || (idx.length === k && s <= val[k - 1])) continue;
    let i = idx.length === k ? k - 1 : idx.length;
    while (i > 0 && val[i - 1] < s) {
      if (i < k) { idx[i] = idx[i - 1]; val[i] = val[i - 1]; }
      i--;
    }
    idx[i] = d;
    val[i] = s;
    if (idx.length > k) { idx.length = k; val.length = k; }
  }
  return idx;
}

/** Every distinct positive as the corpus, and each anchor's positives in it (never its negatives). */
export function pairCorpus(pairs: readonly Pair[]): { docs: string[]; docIndex: Map<string, number>; positives: Map<string, Set<number>> } {
  const docs = [...new Set(pairs.map((p) => p.positive))];
  const docIndex = new Map(docs.map((d, i) => [d, i]));
  const positives = new Map<string, Set<number>>();
  for (const p of pairs) {
    let s = positives.get(p.anchor);
    if (!s) positives.set(p.anchor, (s = new Set()));
    s.add(docIndex.get(p.positive)!);
  }
  return { docs, docIndex, positives };
}

/** Either side in Chinese: such pairs are scarce, so each gets two negatives. */
export const isCrossLingual = (p: Pair): boolean => HAN.test(p.anchor) || HAN.test(p.positive);

/** The BM25 top 30 for a pair, less its own positives (`own`). */
export function bm25Candidates(index: Bm25Index, p: Pair, own: ReadonlySet<number>): number[] {
  const crossScript = HAN.test(p.anchor) !== HAN.test(p.positive);
  const query = crossScript ? bm25Terms(p.positive).slice(0, MAX_QUERY_TERMS).join(' ') : p.anchor;
  return topK(index.scores(query), TOP + own.size).filter((d) => !own.has(d)).slice(0, TOP);
}

export interface Triplet extends Pair {
  readonly negative: string;
}

export function mineBm25Negatives(pairs: readonly Pair[], seed = SEED): Triplet[] {
  const { docs, positives } = pairCorpus(pairs);
  const index = new Bm25Index(docs);
  const random = seededRandom(seed);
  const out: Triplet[] = [];
  const t0 = performance.now();
  pairs.forEach((p, n) => {
    const own = positives.get(p.anchor)!;
    const candidates = bm25Candidates(index, p, own);
    // Nothing shares a term (rare): any other document, so every row has the same columns.
    let neg = candidates.length > 0 ? candidates[Math.floor(random() * candidates.length)] : -1;
    while (neg < 0 || own.has(neg)) neg = Math.floor(random() * docs.length);
    const row = { anchor: p.anchor, positive: p.positive, negative: docs[neg] };
    out.push(row);
    if (isCrossLingual(p)) {
      // A different negative (an identical row would be dropped as a duplicate when loaded).
      const others = candidates.filter((d) => d !== neg);
      if (others.length > 0) out.push({ ...row, negative: docs[others[Math.floor(random() * others.length)]] });
    }
    if ((n + 1) % 5000 === 0) console.error(`mined ${n + 1} / ${pairs.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  });
  return out;
}

export function mineStage3(): void {
  const pairs = readFileSync(STAGE3_SOURCE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Pair);
  const rows = mineBm25Negatives(pairs);
  writeFileSync(STAGE3_FILE, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  console.log(`wrote ${STAGE3_FILE}: ${rows.length} (anchor, positive, negative) rows from ${pairs.length} pairs`);
}
