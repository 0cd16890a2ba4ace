import { useEffect, useState } from 'react';
import type { MemoryPlanInfo } from '../../../worker/protocol.ts';
import { formatBytes } from '../../ui/format.ts';
import { studio } from '../../worker-client.ts';
import type { TrainingConfig } from '../../../shared/settings.ts';

/**
 * The memory a step of these settings needs, against the adapter's buffer limits, asked of the
 * worker whenever the settings change. A batch above the budget trains by gradient caching.
 */
export function MemoryPlan({ config }: { config: TrainingConfig }) {
  const [plan, setPlan] = useState<MemoryPlanInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify([config.batchSize, config.maxSeqLength, config.memoryBudgetMiB ?? null, config.loss]);
  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      studio()
        .memoryPlan(config)
        .then((p) => current && (setPlan(p), setError(null)), (e: unknown) => current && setError((e as Error).message));
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // The key holds the fields the plan depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return (
    <div className="memory-plan" data-testid="memory-plan" aria-live="polite">
      {error && <p className="error-text">{error}</p>}
      {plan && (
        <>
          <p>
            Memory per step: <strong>{formatBytes(plan.totalBytes)}</strong> (weights {formatBytes(plan.parametersBytes)}, gradients{' '}
            {formatBytes(plan.gradientsBytes)}, Adam {formatBytes(plan.optimizerBytes)}, activations {formatBytes(plan.activationsBytes)}) of a{' '}
            {formatBytes(plan.budgetBytes)} budget; largest buffer {plan.largestBuffer.name} {formatBytes(plan.largestBuffer.bytes)} (adapter limit{' '}
            {formatBytes(Math.min(plan.maxBufferSize, plan.maxStorageBufferBindingSize))}).
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
