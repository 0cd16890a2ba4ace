import type { ProgressCallback } from '../../worker/protocol.ts';
import { useSession } from '../session-store.ts';
import { callback } from '../worker-client.ts';

/**
 * Runs a worker call as a job of the shared job bar: its label, the worker's progress as counts,
 * and Cancel when `cancel` is given; the job leaves the bar when the call settles.
 */
export async function trackedJob<T>(id: string, label: string, run: (onProgress: ProgressCallback) => Promise<T>, cancel?: () => void): Promise<T> {
  // Progress arrives on its own message channel and may land after the result: ignore it then.
  let open = true;
  useSession.getState().setJob(id, { label, done: 0, total: 0, ...(cancel ? { cancel } : {}) });
  try {
    return await run(
      callback((stage: string, done: number, total: number) => {
        if (open) useSession.getState().setJob(id, { label: `${label}: ${stage}`, done, total });
      }),
    );
  } finally {
    open = false;
    useSession.getState().setJob(id, null);
  }
}
