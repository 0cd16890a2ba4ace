import { useEffect, useState } from 'react';
import type { MemoryPlanInfo, StepProbe } from '../../../worker/protocol.ts';
import { studio } from '../../worker-client.ts';
import type { RetrievalSettings, TrainingConfig } from '../../../shared/settings.ts';

/**
 * Training steps timed on this device with these settings, asked of the worker 600 ms after the
 * fields a step's cost depends on last changed (typing a batch size digit by digit must not time
 * each value). `fresh`: the probe answers for the settings as they are now.
 */
export function useStepProbe(config: TrainingConfig, retrieval: RetrievalSettings, enabled: boolean): { probe: StepProbe | null; fresh: boolean; error: string | null } {
  const [probe, setProbe] = useState<{ key: string; result: StepProbe } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify([config.loss, config.batchSize, config.maxSeqLength, config.memoryBudgetMiB ?? null, config.matryoshkaDims, retrieval.queryTemplate, retrieval.corpusTemplate]);
  useEffect(() => {
    if (!enabled) return;
    let current = true;
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
  return { probe: probe?.result ?? null, fresh, error };
}

/** The memory a step of these settings needs, asked of the worker 200 ms after the settings change. */
export function useMemoryPlan(config: TrainingConfig): { plan: MemoryPlanInfo | null; error: string | null } {
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
  return { plan, error };
}
