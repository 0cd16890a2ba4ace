import { create } from 'zustand';
import type { RunRecord } from '../../../worker/protocol.ts';
import { IDLE_RUN, isActive, type RunState, type RunStatus } from './run-state.ts';

/**
 * The current training run, kept outside the panel so switching panels keeps the curve. Only
 * this feature uses it; the session store only learns "trained" and the job's progress. The
 * worker calls that drive it are in train-actions.ts.
 */
export const useTrainRun = create<RunState>()(() => ({ ...IDLE_RUN }));

/** Shows a reopened run's curves in the Train panel, as if it had just ended there, unless a run is going there. */
export function showSavedRun(run: RunRecord): void {
  if (isActive(useTrainRun.getState().status)) return;
  const status: RunStatus = run.state === 'finished' ? 'finished' : run.state === 'failed' ? 'failed' : 'cancelled';
  useTrainRun.setState({
    ...IDLE_RUN,
    status,
    message: run.message ?? null,
    config: run.config,
    step: run.step,
    totalSteps: run.totalSteps,
    etaSeconds: 0,
    lossSteps: run.lossCurve.map((p) => p.step),
    lossValues: run.lossCurve.map((p) => p.loss),
    evals: run.evalHistory,
    seconds: run.durationSeconds,
  });
}
