/**
 * Seeded train/eval split that keeps every row of one query on the same side, so eval queries
 * are never seen in training (a random row split leaks paraphrase-level answers otherwise).
 */

import type { TrainingExample } from './shape.ts';

export interface SplitOptions {
  /** Share of groups (queries) that go to eval, in [0, 1]. */
  evalFraction: number;
  seed: number;
  /** What makes rows belong together; defaults to the first text (anchor / sentence1 / text). */
  groupKey?: (example: TrainingExample) => string;
}

export interface Split<T> {
  train: T[];
  eval: T[];
  /** Original positions of the rows in each part, for mapping back to file lines. */
  trainIndex: number[];
  evalIndex: number[];
}

/** mulberry32: tiny, fast and identical on every JS engine, which is all a split needs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Rounds evalFraction × groups to whole groups, but keeps at least one group on each side when
 * there are two or more and the fraction is strictly between 0 and 1, so neither part is empty by
 * accident. Rows keep their original order inside each part.
 */
export function splitByQuery<T extends TrainingExample>(rows: readonly T[], opts: SplitOptions): Split<T> {
  const { evalFraction, seed } = opts;
  if (!(evalFraction >= 0 && evalFraction <= 1)) {
    throw new RangeError(`evalFraction must be between 0 and 1, got ${evalFraction}`);
  }
  const keyOf = opts.groupKey ?? ((e: TrainingExample) => e.texts[0] ?? '');

  const groups: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const k = keyOf(row);
    if (!seen.has(k)) {
      seen.add(k);
      groups.push(k);
    }
  }

  let nEval = Math.round(evalFraction * groups.length);
  if (groups.length >= 2 && evalFraction > 0 && evalFraction < 1) {
    nEval = Math.min(Math.max(nEval, 1), groups.length - 1);
  }

  // Fisher–Yates over the first-seen order: same seed + same rows = same split.
  const rnd = seededRandom(seed);
  const order = groups.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const evalGroups = new Set(order.slice(0, nEval));

  const out: Split<T> = { train: [], eval: [], trainIndex: [], evalIndex: [] };
  rows.forEach((row, i) => {
    if (evalGroups.has(keyOf(row))) {
      out.eval.push(row);
      out.evalIndex.push(i);
    } else {
      out.train.push(row);
      out.trainIndex.push(i);
    }
  });
  return out;
}
