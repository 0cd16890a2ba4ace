/** What a person reads when a run fails: what happened, what was kept, what to try. */
import { NonFiniteTrainingError } from '../model/training-run.ts';

/** The weights a failed run kept: its last good checkpoint's, or its last evaluation's, or none. */
export interface KeptWeights {
  readonly checkpointStep?: number;
  readonly evalStep?: number;
}

export function failureMessage(error: unknown, kept: KeptWeights): string {
  const keptText =
    kept.checkpointStep !== undefined
      ? `The run keeps the weights of its last good checkpoint, step ${kept.checkpointStep}.`
      : kept.evalStep !== undefined
        ? `The run keeps the weights of its last evaluation, step ${kept.evalStep}.`
        : 'No weights were kept (no checkpoint or evaluation had been taken yet).';
  if (error instanceof NonFiniteTrainingError) {
    const what = Number.isFinite(error.loss) ? `the gradient norm became ${error.gradNorm}` : `the loss became ${error.loss}`;
    return `Training stopped at step ${error.step}: ${what}, so that step was not applied. ${keptText} Try a lower learning rate (it was ${error.lr}), or more warmup steps.`;
  }
  return `${(error as Error).message} ${keptText}`;
}
