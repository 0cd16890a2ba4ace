import { useEffect, useState } from 'react';
import type { StepProbe } from '../../../worker/protocol.ts';
import { studio } from '../../worker-client.ts';
import { formatEta } from './format.ts';
import type { RetrievalSettings, TrainingConfig } from '../../../shared/settings.ts';

export interface StepEstimateProps {
  readonly config: TrainingConfig;
  readonly retrieval: RetrievalSettings;
  readonly steps: number;
  /** Off while a run trains (the probe would have to wait for it) or when the settings are invalid. */
  readonly enabled: boolean;
}

/** The run's duration before it starts, from training steps timed on this device with these settings. */
export function StepEstimate({ config, retrieval, steps, enabled }: StepEstimateProps) {
  const [probe, setProbe] = useState<{ key: string; result: StepProbe } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify([config.loss, config.batchSize, config.maxSeqLength, config.memoryBudgetMiB ?? null, config.matryoshkaDims, retrieval.queryTemplate, retrieval.corpusTemplate]);
  useEffect(() => {
    if (!enabled) return;
    let current = true;
    // Typing a batch size digit by digit must not time each value.
    const timer = setTimeout(() => {
      studio()
        .probeStep(config, retrieval)
        .then((result) => current && (setProbe({ key, result }), setError(null)), (e: unknown) => current && setError((e as Error).message));
    }, 600);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // The key holds the fields a step's cost depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, enabled]);
  const fresh = probe !== null && probe.key === key;
  return (
    <p className="small" data-testid="train-estimate" data-state={fresh ? 'ready' : 'measuring'} aria-live="polite">
      {error ? (
        <span className="warn-text">Could not time a step here: {error}</span>
      ) : fresh ? (
        <>
          Estimated <strong data-testid="train-estimate-total">{formatEta((probe.result.stepMs * steps) / 1000)}</strong> for {steps} steps on this device (a step
          measured at {(probe.result.stepMs / 1000).toFixed(2)} s{probe.result.miniBatchSize ? `, gradient caching ${probe.result.miniBatchSize} texts a pass` : ''}), plus
          the evaluations.
        </>
      ) : (
        <span className="muted">Timing a training step on this device…</span>
      )}
    </p>
  );
}
