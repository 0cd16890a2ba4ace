/**
 * The BM25 baseline's rankings of the eval split: the same queries and corpus as the models, so
 * its metrics sit in the same columns. Ranked once per eval set (a new dataset or split makes a
 * new set) and kept only as long as the set is.
 */
import type { IrEvalSet } from '../data/ir-dataset.ts';
import { Bm25Index } from '../eval/bm25.ts';
import { IR_MAX_K, type Ranking } from '../eval/ir-metrics.ts';

const CACHE = new WeakMap<IrEvalSet, { rankings: Ranking[]; milliseconds: number }>();

export function bm25Rankings(set: IrEvalSet): { rankings: Ranking[]; milliseconds: number } {
  let hit = CACHE.get(set);
  if (!hit) {
    const started = performance.now();
    const rankings = new Bm25Index(set.corpus).rank(set.queries, IR_MAX_K);
    hit = { rankings, milliseconds: performance.now() - started };
    CACHE.set(set, hit);
  }
  return hit;
}
