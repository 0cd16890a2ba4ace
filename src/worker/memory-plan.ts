/** The memory a training step needs against the adapter's limits, shown before training. */
import type { AdapterDescription } from '../engine/backend.ts';
import { estimateTrainingMemory, planBatch } from '../model/memory-estimate.ts';
import type { SentenceModel } from '../model/sentence-model.ts';
import type { TrainingConfig } from '../shared/settings.ts';
import type { LoadedDataset } from './loaded-dataset.ts';
import type { MemoryPlanInfo } from './protocol.ts';

/** Base, trained and live: the copies WeightSlots keeps beside the model's own buffer. */
const WEIGHT_COPIES = 3;

/**
 * What a step of this configuration needs (at the longest allowed sequence) against the
 * adapter's buffer limits and the memory budget, and the gradient-caching mini-batch to use
 * when the whole batch does not fit.
 */
export function memoryPlanFor(model: SentenceModel, dataset: LoadedDataset, adapter: AdapterDescription, config: TrainingConfig): MemoryPlanInfo {
  const columns = dataset.data.examples[0]?.texts.length ?? 2;
  const seqLength = Math.min(config.maxSeqLength, model.dims.maxPositions);
  const { maxBufferSize, maxStorageBufferBindingSize } = adapter;
  const budgetBytes = (config.memoryBudgetMiB ?? 2048) * 1024 * 1024;
  const shape = { batchSize: config.batchSize, columns, seqLength, normalize: model.normalize };
  const plan = planBatch(model.dims, { maxBufferSize, maxStorageBufferBindingSize, budgetBytes }, shape);
  const e = estimateTrainingMemory(model.dims, plan.miniBatchSize ? { ...shape, miniBatchSize: plan.miniBatchSize } : shape);
  return {
    parametersBytes: e.parameters, gradientsBytes: e.gradients, optimizerBytes: e.optimizer, activationsBytes: e.activations,
    totalBytes: e.total, weightCopiesBytes: WEIGHT_COPIES * e.parameters, largestBuffer: e.largestBuffer, maxBufferSize, maxStorageBufferBindingSize, budgetBytes,
    fits: plan.fits, miniBatchSize: plan.miniBatchSize, reason: plan.reason,
  };
}
