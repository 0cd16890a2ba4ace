import { formatBytes } from '../../ui/format.ts';
import { ErrorNote } from '../../ui/ErrorNote.tsx';
import { useMemoryPlan } from './use-train-estimates.ts';
import type { TrainingConfig } from '../../../shared/settings.ts';

/**
 * The memory a step of these settings needs, against the adapter's buffer limits, asked of the
 * worker whenever the settings change (use-train-estimates.ts). A batch above the budget trains by
 * gradient caching.
 */
export function MemoryPlan({ config }: { config: TrainingConfig }) {
  const { plan, error } = useMemoryPlan(config);
  return (
    <div className="memory-plan" data-testid="memory-plan" aria-live="polite">
      <ErrorNote error={error} />
      {plan && (
        <>
          <p>
            Memory per step: <strong>{formatBytes(plan.totalBytes)}</strong> (weights {formatBytes(plan.parametersBytes)}, gradients{' '}
            {formatBytes(plan.gradientsBytes)}, Adam {formatBytes(plan.optimizerBytes)}, activations {formatBytes(plan.activationsBytes)}) of a{' '}
            {formatBytes(plan.budgetBytes)} budget; largest buffer {plan.largestBuffer.name} {formatBytes(plan.largestBuffer.bytes)} (adapter limit{' '}
            {formatBytes(Math.min(plan.maxBufferSize, plan.maxStorageBufferBindingSize))}). Besides, {formatBytes(plan.weightCopiesBytes)} for the
            copies of the weights (base, fine-tuned, the run's own) that switching between them uses.
          </p>
          {!plan.fits && <p className="error-text">Does not fit: {plan.reason}. Lower the batch size or the max length.</p>}
          {plan.fits && plan.miniBatchSize !== null && (
            <p className="muted">
              Too big for one pass: trains with gradient caching, {plan.miniBatchSize} texts per pass, so every in-batch negative still counts.
            </p>
          )}
        </>
      )}
    </div>
  );
}
