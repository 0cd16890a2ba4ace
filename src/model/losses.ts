import type { Graph, Var } from '../engine/graph.ts';
import { LOSS_NAMES, type LossId } from '../shared/names.ts';

export interface LossConfig {
  readonly id: LossId;
  /** MNRL and CoSENT logit scale (sentence-transformers: 20). */
  readonly scale: number;
  /** TripletLoss margin (sentence-transformers: 5, euclidean). */
  readonly tripletMargin: number;
  /** MatryoshkaLoss dimensions, largest first; empty = no Matryoshka. */
  readonly matryoshkaDims: readonly number[];
  /** One weight per Matryoshka dimension (sentence-transformers: all 1). */
  readonly matryoshkaWeights?: readonly number[];
}

export const DEFAULT_LOSS: Omit<LossConfig, 'id'> = { scale: 20, tripletMargin: 5, matryoshkaDims: [] };

/** What a loss needs per batch: sentence embeddings per column, and labels for scored pairs. */
export interface LossInputs {
  /** One [B, D] embedding block per text column, in sentence-transformers' column order. */
  readonly columns: readonly Var[];
  /** Scores or 0/1 labels for cosine / CoSENT. */
  readonly labels?: Float32Array;
}

/** How many text columns a loss accepts: [min, max]. */
export function lossColumnRange(id: LossId): [number, number] {
  switch (id) {
    case 'mnrl':
      return [2, Number.POSITIVE_INFINITY];
    case 'triplet':
      return [3, 3];
    case 'cosine':
    case 'cosent':
      return [2, 2];
  }
}

function cosineRows(g: Graph, a: Var, b: Var): Var {
  return g.rowDot(g.l2Normalize(a), g.l2Normalize(b));
}

/** One loss on one set of (possibly truncated) embeddings; returns a terminal loss Var. */
function baseLoss(g: Graph, config: LossConfig, columns: readonly Var[], labels: Float32Array | undefined, weight: number): Var {
  const b = g.backend;
  const [min, max] = lossColumnRange(config.id);
  if (columns.length < min || columns.length > max) {
    throw new Error(`${LOSS_NAMES[config.id]} needs ${min === max ? min : `at least ${min}`} text columns, got ${columns.length}`);
  }
  const needLabels = () => {
    if (!labels || labels.length !== columns[0].shape[0]) throw new Error(`${LOSS_NAMES[config.id]} needs a score for every pair`);
    return b.fromFloat32(labels, [labels.length]);
  };
  switch (config.id) {
    case 'mnrl': {
      // Anchors against every positive and hard negative in the batch: candidates are one matrix.
      const anchors = g.l2Normalize(columns[0]);
      const candidates = g.l2Normalize(g.concatRows(columns.slice(1)));
      const logits = g.scale(g.matmulTransposed(anchors, candidates), config.scale);
      const B = columns[0].shape[0];
      const labelsIdx = b.fromInt32(Int32Array.from({ length: B }, (_, i) => i), [B]);
      return g.softmaxCrossEntropy(logits, labelsIdx, weight);
    }
    case 'cosine':
      return g.meanSquaredError(cosineRows(g, columns[0], columns[1]), needLabels(), weight);
    case 'cosent':
      return g.cosentLoss(g.scale(cosineRows(g, columns[0], columns[1]), config.scale), needLabels(), weight);
    case 'triplet':
      return g.tripletLoss(columns[0], columns[1], columns[2], config.tripletMargin, weight);
  }
}

/** The loss of one batch; with Matryoshka dims, the weighted sum over truncated embeddings. */
export function computeLoss(g: Graph, config: LossConfig, inputs: LossInputs): Var[] {
  const dims = config.matryoshkaDims;
  if (dims.length === 0) return [baseLoss(g, config, inputs.columns, inputs.labels, 1)];
  const full = inputs.columns[0].shape[1];
  return dims.map((dim, i) => {
    if (dim > full || dim < 1) throw new Error(`Matryoshka dimension ${dim} is outside 1..${full}`);
    const weight = config.matryoshkaWeights?.[i] ?? 1;
    const truncated = inputs.columns.map((c) => g.sliceColumns(c, dim));
    return baseLoss(g, config, truncated, inputs.labels, weight);
  });
}
