import type { ProgressCallback } from '../../worker/protocol.ts';
import { useSession } from '../session-store.ts';
import { callback } from '../worker-client.ts';

export interface JobOptions {
  /** Offered as Cancel in the job bar. */
  readonly cancel?: () => void;
  /** The bar's label for a progress report; `label: stage` unless given. */
  readonly progressLabel?: (stage: string, done: number, total: number) => string;
}

export interface OpenJob {
  /** The worker's progress callback (proxied): updates the bar until the job is closed. */
  readonly report: ProgressCallback;
  /** Takes the job off the bar; later reports are ignored. */
  close(): void;
}

/**
 * Puts a job on the shared job bar. Progress arrives on its own message channel and may land
 * after the result: once the job is closed, a late report must not bring its bar back.
 */
export function openJob(id: string, label: string, options: JobOptions = {}): OpenJob {
  const { cancel, progressLabel = (stage: string) => `${label}: ${stage}` } = options;
  let open = true;
  useSession.getState().setJob(id, { label, done: 0, total: 0, ...(cancel ? { cancel } : {}) });
  return {
    report: callback((stage: string, done: number, total: number) => {
      if (open) useSession.getState().setJob(id, { label: progressLabel(stage, done, total), done, total });
    }),
    close: () => {
      open = false;
      useSession.getState().setJob(id, null);
    },
  };
}

/**
 * Runs a worker call as a job of the shared job bar: its label, the worker's progress as counts,
 * and Cancel when `cancel` is given; the job leaves the bar when the call settles.
 */
export async function trackedJob<T>(id: string, label: string, run: (onProgress: ProgressCallback) => Promise<T>, cancel?: () => void): Promise<T> {
  return withJob(id, label, run, cancel ? { cancel } : {});
}

/** `trackedJob` with all of openJob's options. */
export async function withJob<T>(id: string, label: string, run: (onProgress: ProgressCallback) => Promise<T>, options: JobOptions = {}): Promise<T> {
  const job = openJob(id, label, options);
  try {
    return await run(job.report);
  } finally {
    job.close();
  }
}
