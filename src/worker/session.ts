/**
 * What one studio session holds, shared by the jobs that work on it (retrieval, training,
 * export): the backend, the loaded model with its weight slots, and the dataset. Each job keeps
 * its own state; this is only what they have in common.
 */
import type { Backend } from '../engine/backend.ts';
import type { LoadedModel } from '../io/load-model.ts';
import type { LoadedDataset } from './loaded-dataset.ts';
import type { ModelInfo } from './protocol.ts';
import type { WeightSlots } from './weight-slots.ts';

export class Session {
  model: { readonly loaded: LoadedModel; readonly info: ModelInfo; readonly slots: WeightSlots } | null = null;
  dataset: LoadedDataset | null = null;
  /** Bumped whenever the model or its fine-tuned weights change, so caches outside the session know. */
  weightsVersion = 0;

  constructor(readonly backend: Backend) {}

  requireModel(): LoadedModel {
    if (!this.model) throw new Error('load a model first');
    return this.model.loaded;
  }

  requireSlots(): WeightSlots {
    if (!this.model) throw new Error('load a model first');
    return this.model.slots;
  }

  requireDataset(): LoadedDataset {
    if (!this.dataset) throw new Error('load a dataset first');
    return this.dataset;
  }
}
