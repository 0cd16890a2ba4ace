import { formatEta } from './format.ts';
import { useStepProbe } from './use-train-estimates.ts';
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
  const { probe, fresh, error } = useStepProbe(config, retrieval, enabled);
  // Nothing is being timed while a run trains or the settings are invalid: say nothing rather than "Timing…".
  if (!enabled && !(fresh && probe)) return null;
  return (
    <p className="small" data-testid="train-estimate" data-state={fresh ? 'ready' : 'measuring'} aria-live="polite">
      {error ? (
        <span className="warn-text">Could not time a step here: {error}</span>
      ) : fresh && probe ? (
        <>
          Estimated <strong data-testid="train-estimate-total">{formatEta((probe.stepMs * steps) / 1000)}</strong> for {steps} steps on this device (a step
          measured at {(probe.stepMs / 1000).toFixed(2)} s{probe.miniBatchSize ? `, gradient caching ${probe.miniBatchSize} texts a pass` : ''}), plus
          the evaluations.
        </>
      ) : (
        <span className="muted">Timing a training step on this device…</span>
      )}
    </p>
  );
}
