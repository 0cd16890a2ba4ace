import { useCallback, useState } from 'react';
import type { ModelSource } from '../../../worker/protocol.ts';
import { useSession } from '../../session-store.ts';
import { errorMessage } from '../../ui/use-latest-async.ts';
import { formatBytes } from '../../ui/format.ts';
import { cancelModelLoad, loadModel } from './model-actions.ts';

/** Which of the panel's controls started a load: its error is shown next to that control. */
export type SourceSlot = 'builtin' | 'hub' | 'local';

export const MODEL_JOB = 'model';

/** The progress label: download stages with byte counts, others as the worker names them. */
export function progressLabel(stage: string, done: number, total: number): string {
  return total > 4096 ? `${stage} (${formatBytes(done)} of ${formatBytes(total)})` : stage;
}

/**
 * Loads a model in the worker with progress in the job bar; on success stores the model card and
 * the retrieval settings it implies. "Loading" is read from the job list, so it survives the
 * panel being left and re-opened mid-download.
 */
export function useModelLoader() {
  const loading = useSession((s) => MODEL_JOB in s.jobs);
  const [errors, setErrors] = useState<Partial<Record<SourceSlot, string>>>({});

  const load = useCallback(async (slot: SourceSlot, getSource: () => Promise<ModelSource> | ModelSource) => {
    const { setJob } = useSession.getState();
    if (MODEL_JOB in useSession.getState().jobs) return;
    setErrors({});
    setJob(MODEL_JOB, { label: 'Loading model…', done: 0, total: 0, cancel: cancelModelLoad });
    let lastReport = 0;
    const onProgress = (stage: string, done: number, total: number) => {
      const now = performance.now();
      // Downloads report per chunk; ten updates a second are plenty for a progress bar.
      if (done < total && now - lastReport < 100) return;
      lastReport = now;
      setJob(MODEL_JOB, { label: progressLabel(stage, done, total), done, total });
    };
    try {
      const source = await getSource();
      await loadModel(source, onProgress);
    } catch (e) {
      setErrors({ [slot]: errorMessage(e) });
    } finally {
      setJob(MODEL_JOB, null);
    }
  }, []);

  return { loading, errors, load };
}
