/**
 * A hard-negative mining run in the worker: the candidates found with the current model, served
 * to the page's table a page at a time, and turned into a triplet dataset without the negatives
 * a person rejected.
 */
import {
  type MinedPair,
  mineHardNegatives,
  minedTriplets,
  miningOptionsProblem,
  miningSet,
  type MiningSet,
  negativeKey,
  type Triplet,
} from '../eval/hard-negatives.ts';
import type { MinedRow, MiningSummary } from './protocol-checks.ts';
import type { ProgressCallback } from './protocol.ts';
import type { Workspace } from './workspace.ts';
import type { MiningOptions, RetrievalSettings } from '../shared/settings.ts';

export class MiningSession {
  /** rowStart[p] = table row of pair p's first negative; rowStart[pairs] = the row count. */
  private readonly rowStart: Int32Array;

  constructor(
    readonly set: MiningSet,
    readonly mined: readonly MinedPair[],
    readonly summary: MiningSummary,
  ) {
    this.rowStart = new Int32Array(mined.length + 1);
    mined.forEach((m, p) => (this.rowStart[p + 1] = this.rowStart[p] + m.negatives.length));
  }

  get rowCount(): number {
    return this.rowStart[this.mined.length];
  }

  /** Table rows [offset, offset + count). */
  rows(offset: number, count: number): MinedRow[] {
    const out: MinedRow[] = [];
    const end = Math.min(this.rowCount, offset + count);
    // The pair holding `offset`: binary search over the row starts.
    let lo = 0, hi = this.mined.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.rowStart[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    for (let p = lo, row = Math.max(0, offset); row < end; p++) {
      const m = this.mined[p];
      for (let k = row - this.rowStart[p]; k < m.negatives.length && row < end; k++, row++) {
        const n = m.negatives[k];
        out.push({
          index: row, key: negativeKey(p, k),
          anchor: this.set.queries[m.pair.query], positive: this.set.corpus[m.pair.positive], negative: this.set.corpus[n.corpusIndex],
          positiveScore: m.positiveScore, negativeScore: n.score, rank: n.rank,
        });
      }
    }
    return out;
  }

  triplets(rejected: readonly string[]): Triplet[] {
    return minedTriplets(this.set, this.mined, new Set(rejected));
  }
}

/** Mines with the fine-tuned weights when there are some, else the base model. */
export async function mineWithModel(
  ws: Workspace, settings: RetrievalSettings, options: MiningOptions, onProgress?: ProgressCallback, signal?: AbortSignal,
): Promise<MiningSession> {
  const problem = miningOptionsProblem(options);
  if (problem) throw new RangeError(problem);
  const started = performance.now();
  const rows = ws.datasetExamples();
  if (rows.length === 0) throw new Error('the dataset has no rows to mine');
  const set = miningSet(rows);
  if (set.corpus.length < 2) throw new Error(`the corpus has ${set.corpus.length} document: mining needs other documents to pick negatives from`);
  const weights = ws.hasTrained ? 'trained' : 'base';
  const queries = await ws.embedTexts(set.queries, settings.queryTemplate, settings, weights, 'embedding anchors', onProgress, signal);
  const corpus = await ws.embedTexts(set.corpus, settings.corpusTemplate, settings, weights, 'embedding the corpus', onProgress, signal);
  const dimension = queries.length / Math.max(1, set.queries.length);
  // Mining is synchronous per pair; yield between slices so a cancel reaches the worker.
  const mined: MinedPair[] = [];
  const SLICE = 64;
  for (let from = 0; from < set.pairs.length; from += SLICE) {
    if (signal?.aborted) throw new DOMException('mining cancelled', 'AbortError');
    mined.push(...mineHardNegatives(queries, corpus, dimension, set.pairs.slice(from, from + SLICE), { ...options, seed: options.seed + from }));
    onProgress?.('mining negatives', Math.min(set.pairs.length, from + SLICE), set.pairs.length);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const negatives = mined.reduce((n, m) => n + m.negatives.length, 0);
  return new MiningSession(set, mined, {
    weights, options, pairs: mined.length, negatives,
    shortPairs: mined.filter((m) => m.negatives.length < options.numNegatives).length,
    corpus: set.corpus.length, milliseconds: performance.now() - started,
  });
}
