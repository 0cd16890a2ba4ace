import { buildIrEvalSet, type IrEvalSet } from './ir-dataset.ts';
import type { ShapeId, TrainingExample } from './shape.ts';
import { splitByQuery } from './split.ts';

/** A dataset split the way the studio splits it, with the retrieval eval set it evaluates on. */
export interface EvalSplit {
  readonly train: TrainingExample[];
  readonly eval: TrainingExample[];
  readonly evalIndex: number[];
  /** Queries = the eval split's anchors; corpus = every document in the file; null when the shape has no retrieval reading. */
  readonly evalSet: IrEvalSet | null;
}

/**
 * The seeded split and its retrieval eval set, in one place: the studio evaluates on it and the
 * "Continue on GPUs" recipe hands the same queries, corpus and relevance to sentence-transformers'
 * InformationRetrievalEvaluator, so the two report metrics on identical sets.
 */
export function evalSplit(examples: readonly TrainingExample[], shape: ShapeId | null, split: { evalFraction: number; seed: number }): EvalSplit {
  const { train, eval: evalRows, evalIndex } = splitByQuery(examples, split);
  let evalSet: IrEvalSet | null = null;
  if ((shape === 'pairs' || shape === 'triplets') && evalRows.length > 0) {
    // The corpus is every document of the whole file (as people build it), the queries only the eval side's.
    const all = buildIrEvalSet(examples);
    const evalAnchors = new Set(evalRows.map((r) => r.texts[0]));
    const keep = all.queries.map((q, i) => (evalAnchors.has(q) ? i : -1)).filter((i) => i >= 0);
    evalSet = { queries: keep.map((i) => all.queries[i]), corpus: all.corpus, relevant: keep.map((i) => all.relevant[i]) };
  }
  return { train, eval: evalRows, evalIndex, evalSet };
}
