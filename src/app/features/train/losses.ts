import { LOSS_NAMES, type LossId } from '../../../shared/names.ts';

/** sentence-transformers' class names, from the shared vocabulary (the page does not load the model code). */
export const LOSS_CLASS_NAMES: Readonly<Record<LossId, string>> = LOSS_NAMES;

export const LOSS_HINTS: Record<LossId, string> = {
  mnrl: '(anchor, positive[, negative]) — in-batch negatives, scale 20; bigger batches help',
  cosine: '(sentence1, sentence2, score) — regresses cosine similarity onto the score',
  cosent: '(sentence1, sentence2, score) — ranks pairs by score, usually better than CosineSimilarityLoss',
  triplet: '(anchor, positive, negative) — euclidean margin 5',
};

export interface LossOption {
  readonly id: LossId;
  readonly name: string;
  readonly hint: string;
  readonly recommended: boolean;
}

/** The losses the dataset's shape can feed, the recommended (first) one marked. */
export function lossOptions(fitting: readonly LossId[]): LossOption[] {
  return fitting.map((id, i) => ({ id, name: LOSS_CLASS_NAMES[id], hint: LOSS_HINTS[id], recommended: i === 0 }));
}

/** The loss to use: the chosen one if it fits the data, else the recommended one (null: none fits). */
export function effectiveLoss(chosen: LossId, fitting: readonly LossId[]): LossId | null {
  if (fitting.includes(chosen)) return chosen;
  return fitting[0] ?? null;
}
